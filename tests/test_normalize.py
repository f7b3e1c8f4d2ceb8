"""The normalise-and-validate path: what is normalised, what is warned about, what is refused."""

import pytest

from app.citations.normalize import (
    InvalidCitation,
    normalize,
    normalize_doi,
    normalize_pmcid,
    normalize_pmid,
    split_author,
)
from app.citations.record import Author, RawCitation


@pytest.mark.parametrize(
    "printed",
    [
        "10.4103/0974-7753.114700",
        "https://doi.org/10.4103%2F0974-7753.114700",
        "http://dx.doi.org/10.4103/0974-7753.114700",
        "doi:10.4103/0974-7753.114700",
        "DOI: 10.4103%2f0974-7753.114700",
        "  https://DOI.org/10.4103/0974-7753.114700 ",
    ],
)
def test_doi_spellings_normalise_to_one(printed: str) -> None:
    assert normalize_doi(printed) == "10.4103/0974-7753.114700"


def test_doi_keeps_its_case_for_display() -> None:
    assert normalize_doi("https://doi.org/10.4103%2FJCAS.JCAS_130_17") == "10.4103/JCAS.JCAS_130_17"


@pytest.mark.parametrize(
    "printed", ["jid.2010.291", "10.1/x", "https://example.org/10.1038", "11.1038/x"]
)
def test_non_dois_are_refused_naming_the_field(printed: str) -> None:
    with pytest.raises(InvalidCitation) as raised:
        normalize_doi(printed)
    assert raised.value.field == "doi"


def test_pmid_and_pmcid() -> None:
    assert normalize_pmid("PMID: 0123456") == "123456"
    assert normalize_pmcid("pmc998") == "PMC998"
    with pytest.raises(InvalidCitation, match="pmid"):
        normalize_pmid("12a")


@pytest.mark.parametrize(
    ("name", "author"),
    [
        ("Ansell, D.M.", Author("Ansell", "D.M.")),
        ("Lima, D.A.D.", Author("Lima", "D.A.D.")),
        ("Marie Curie", Author("Curie", "Marie")),
        ("Łukasz Żółć", Author("Żółć", "Łukasz")),
        ("van der Berg, J.", Author("van der Berg", "J.")),
    ],
)
def test_authors_split_into_family_and_given(name: str, author: Author) -> None:
    assert split_author(name) == author


def _raw(**fields: str) -> RawCitation:
    values = {"title": "A title", "year": "2016", "journal": "A journal", **fields}
    return RawCitation(**values)


def test_reversed_page_range_is_kept_and_warned() -> None:
    citation = normalize(_raw(start_page="596", end_page="592"), max_page_span=150)
    assert citation.pages == "596-592"
    assert [(w.code, w.field) for w in citation.warnings] == [("page_range_reversed", "pages")]


def test_implausible_page_span_is_kept_and_warned() -> None:
    citation = normalize(_raw(pages="1-414"), max_page_span=150)
    assert citation.pages == "1-414"
    assert [w.code for w in citation.warnings] == ["page_span_implausible"]


def test_plausible_pages_have_no_warning() -> None:
    citation = normalize(_raw(start_page="518", end_page="528"), max_page_span=150)
    assert (citation.pages, citation.warnings) == ("518-528", [])


def test_year_cited_differently_is_warned() -> None:
    citation = normalize(_raw(), max_page_span=150, cited_years=[2021, 2016])
    assert citation.year == 2016
    (warning,) = citation.warnings
    assert (warning.code, warning.value) == ("year_cited_differently", "2016")
    assert "2021" in warning.message


@pytest.mark.parametrize(
    ("field", "raw"), [("title", RawCitation(title=" ")), ("year", _raw(year="99"))]
)
def test_unstorable_records_name_the_field(field: str, raw: RawCitation) -> None:
    with pytest.raises(InvalidCitation) as raised:
        normalize(raw, max_page_span=150)
    assert raised.value.field == field


def test_missing_journal_is_a_warning_not_a_rejection() -> None:
    citation = normalize(RawCitation(title="T", year="2001"), max_page_span=150)
    assert [w.code for w in citation.warnings] == ["journal_missing"]


@pytest.mark.parametrize("printed", ["145--152", "145–152", " 145 - 152 "])
def test_page_range_separators_normalise_to_a_hyphen(printed: str) -> None:
    assert normalize(_raw(pages=printed), max_page_span=150).pages == "145-152"


def test_medline_abbreviated_last_pages_are_expanded() -> None:
    assert normalize(_raw(pages="244-55"), max_page_span=150).pages == "244-255"
    assert normalize(_raw(pages="1203-9"), max_page_span=150).pages == "1203-1209"
    reversed_range = normalize(_raw(pages="596-592"), max_page_span=150)
    assert [w.code for w in reversed_range.warnings] == ["page_range_reversed"]
