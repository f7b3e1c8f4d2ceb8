"""Reference-file readers, without a database.

Every sample under tests/samples/ holds the same three fictional studies (plus one record that
shows what is particular to its format); each reader must yield them field by field as
printed, and all six must agree once normalised. Files under tests/samples/bad/ must be
refused as a whole (``UnreadableFile``) or reported record by record (``UnreadableRecord``).
"""

import re
from pathlib import Path
from typing import Any

import pytest

from app.citations.formats import bibtex, crossref_json, csl_json, medline, pubmed_xml, ris
from app.citations.formats._common import open_text
from app.citations.formats.detect import (
    READERS,
    ReferenceFormat,
    format_for_media_type,
    read_references,
    sniff,
)
from app.citations.normalize import normalize
from app.citations.record import Author, RawCitation, UnreadableFile, UnreadableRecord

SAMPLES = Path(__file__).parent / "samples"
BAD = SAMPLES / "bad"

SAMPLE_FILES = {
    ReferenceFormat.ris: "references.ris",
    ReferenceFormat.bibtex: "references.bib",
    ReferenceFormat.csl_json: "references.csl.json",
    ReferenceFormat.pubmed_xml: "references.pubmed.xml",
    ReferenceFormat.medline: "references.nbib",
    ReferenceFormat.crossref_json: "references.crossref.json",
}

# The three fictional studies every sample shares.
TITLE_1 = (
    "Synthetic test study: microneedling with fictional serum X-17 in imaginary androgenetic "
    "alopecia"
)
TITLE_2 = "A fictional cohort of placebo foam users: synthetic record without DOI or pages"
TITLE_3 = "Imaginary meta-analysis of invented trials: a synthetic benchmark record"
ABSTRACT_1 = (
    "BACKGROUND: This synthetic abstract describes a fictional trial; no patients took part. "
    "RESULTS: All numbers in this record are invented for software tests."
)
ABSTRACT_2 = "This synthetic abstract belongs to a record that has no DOI and no pages."
JOURNAL_1 = "Journal of Fictional Dermatology"
JOURNAL_2 = "Fictional Hair Research"
JOURNAL_3 = "Synthetic Evidence Reviews"
DOI_1 = "10.5555/fictderm.2019.0012"
DOI_3 = "10.5555/synthev.2022.001"
PRINTED_1: list[str | Author] = ["Müller, Hans-Jürgen", "Østergaard, Lærke", "Nowak, Łukasz"]
PRINTED_2: list[str | Author] = ["李, 小龙", "García-Pérez, José"]
PRINTED_3: list[str | Author] = ["Østergaard, Lærke", "O'Brien, Siobhán", "Dupont, Zoë"]
SPLIT_1: list[str | Author] = [
    Author("Müller", "Hans-Jürgen"),
    Author("Østergaard", "Lærke"),
    Author("Nowak", "Łukasz"),
]
SPLIT_2: list[str | Author] = [Author("李", "小龙"), Author("García-Pérez", "José")]
SPLIT_3: list[str | Author] = [
    Author("Østergaard", "Lærke"),
    Author("O'Brien", "Siobhán"),
    Author("Dupont", "Zoë"),
]
GROUP = Author("Fictional Hair Study Group")


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def bad(name: str) -> str:
    return (BAD / name).read_text(encoding="utf-8")


def read_all(fmt: ReferenceFormat, text: str) -> list[RawCitation | UnreadableRecord]:
    return list(read_references(text, fmt))


def citations(fmt: ReferenceFormat, text: str) -> list[RawCitation]:
    records = read_all(fmt, text)
    assert all(isinstance(record, RawCitation) for record in records), records
    return [record for record in records if isinstance(record, RawCitation)]


# --- each reader, field by field ------------------------------------------------------------


def test_ris_reads_each_record_as_printed() -> None:
    assert read_all(ReferenceFormat.ris, sample("references.ris")) == [
        RawCitation(
            key="muller2019",
            title=TITLE_1,
            authors=PRINTED_1,
            year="2019",
            journal=JOURNAL_1,
            volume="12",
            issue="3",
            start_page="145",
            end_page="152",
            doi=DOI_1,
            pmid="99999901",  # AN, with DB naming PubMed
            pmcid="PMC99999901",  # C2, as EndNote writes it
            abstract=ABSTRACT_1,
            index=0,
            line=1,
        ),
        RawCitation(
            key="li2021",
            title=TITLE_2,
            authors=PRINTED_2,
            year="2021",
            journal=JOURNAL_2,
            volume="4",
            issue="2",
            pmid="99999902",
            abstract=ABSTRACT_2,
            index=1,
            line=21,
        ),
        RawCitation(
            key="ostergaard2022",
            title=TITLE_3,
            authors=PRINTED_3,
            year="2022",
            journal=JOURNAL_3,
            volume="1",
            issue="1",
            start_page="1",
            end_page="20",
            doi=f"https://doi.org/{DOI_3}",  # as printed: normalize strips the resolver
            pmid="PMID: 99999903",  # labelled in AN
            index=2,
            line=35,
        ),
        RawCitation(
            # A1, T1, JF, Y1, N2 (over two lines) and UR; AN with DB Embase is no PMID.
            title="A fourth synthetic record, written with older RIS tags",
            authors=["Dupont, Zoë"],
            year="2023/05/01/",
            journal=JOURNAL_3,
            volume="2",
            start_page="e1001",
            url="https://example.org/fictional/record-4",
            abstract="An abstract given in the N2 tag, continued on a second line.",
            index=3,
            line=51,
        ),
    ]


def test_bibtex_reads_each_entry_decoded_and_split() -> None:
    assert read_all(ReferenceFormat.bibtex, sample("references.bib")) == [
        RawCitation(
            key="muller2019",
            # Braces and accents decoded; the line break inside the value kept as printed.
            title=TITLE_1.replace(" androgenetic", "\n              androgenetic"),
            authors=SPLIT_1,
            year="2019",
            journal=JOURNAL_1,  # from the @string macro
            volume="12",
            issue="3",
            pages="145--152",
            doi=DOI_1,
            pmid="99999901",
            pmcid="PMC99999901",
            abstract=ABSTRACT_1.replace(" part.", "\n              part."),
            index=0,
            line=8,
        ),
        RawCitation(
            key="li2021",
            title=TITLE_2,
            authors=SPLIT_2,
            year="2021",
            journal=JOURNAL_2,
            volume="4",
            issue="2",
            pmid="99999902",  # eprint with eprinttype = {pubmed}
            abstract=ABSTRACT_2,
            index=1,
            line=25,
        ),
        RawCitation(
            key="ostergaard2022",
            title=TITLE_3,
            authors=SPLIT_3,
            year="2022-01",  # BibLaTeX date, as printed
            journal=JOURNAL_3,  # journaltitle
            volume="1",
            issue="1",  # BibLaTeX issue
            pages="1--20",
            doi=DOI_3,
            pmid="99999903",
            index=2,
            line=37,
        ),
        RawCitation(
            key="dupont2023",
            # A bare % and an escaped & are literal; the URL is not LaTeX-decoded.
            title="A fourth synthetic record: 5% of nothing, & a URL",
            authors=[Author("Dupont", "Zoë"), GROUP, Author("van der Berg Jr.", "Jan")],
            year="2023",
            url="https://example.org/fictional/record_4%2Fv1",
            index=3,
            line=50,
        ),
    ]


def test_csl_json_reads_each_item() -> None:
    assert read_all(ReferenceFormat.csl_json, sample("references.csl.json")) == [
        RawCitation(
            key="muller2019",
            title=TITLE_1,
            authors=SPLIT_1,
            year="2019",
            journal=JOURNAL_1,
            volume="12",
            issue="3",
            pages="145-152",
            doi=DOI_1,
            pmid="99999901",
            pmcid="PMC99999901",
            abstract=ABSTRACT_1,
            index=0,
        ),
        RawCitation(
            key="li2021",
            title=TITLE_2,
            authors=SPLIT_2,
            year="2021",
            journal=JOURNAL_2,
            volume="4",  # numbers in the JSON, passed on as printed
            issue="2",
            pmid="99999902",
            abstract=ABSTRACT_2,
            index=1,
        ),
        RawCitation(
            key="ostergaard2022",
            title=TITLE_3,
            authors=SPLIT_3,
            year="2022",
            journal=JOURNAL_3,
            volume="1",
            issue="1",
            pages="1-20",
            doi=DOI_3,
            pmid="99999903",
            index=2,
        ),
        RawCitation(
            key="4",
            title="A fourth synthetic record, with a literal author and a raw date",
            authors=[Author("Dupont", "Zoë"), GROUP, Author("van der Berg", "Jan")],
            year="2023-05-01",
            start_page="e1001",
            url="https://example.org/fictional/record-4",
            index=3,
        ),
    ]


def test_pubmed_xml_reads_each_article() -> None:
    assert read_all(ReferenceFormat.pubmed_xml, sample("references.pubmed.xml")) == [
        RawCitation(
            title=TITLE_1,
            authors=SPLIT_1,
            year="2019",
            journal=JOURNAL_1,
            volume="12",
            issue="3",
            start_page="145",
            end_page="152",
            pages="145-152",
            doi=DOI_1,
            pmid="99999901",  # not the PMID of the comment it cites
            pmcid="PMC99999901",  # not the PMCID of its reference list
            abstract=ABSTRACT_1,  # labelled parts joined
            index=0,
            line=4,
        ),
        RawCitation(
            title=TITLE_2,
            authors=SPLIT_2,
            year="2021",
            journal=JOURNAL_2,
            volume="4",
            issue="2",
            pmid="99999902",
            abstract=ABSTRACT_2,
            index=1,
            line=102,
        ),
        RawCitation(
            title=TITLE_3,
            authors=SPLIT_3,
            year="2022 Jan-Feb",  # MedlineDate, as printed
            journal=JOURNAL_3,
            volume="1",
            issue="1",
            pages="1-20",
            doi=DOI_3,  # from ArticleIdList: its ELocationID is a pii
            pmid="99999903",
            index=2,
            line=143,
        ),
        RawCitation(
            title="A fourth synthetic record with inline markup and H2O & a collective author",
            authors=[Author("Dupont", "Z"), GROUP],
            year="2023",
            journal="Synth Evid Rev",  # no Title: the ISO abbreviation
            volume="2",
            start_page="e1001",
            pmid="99999904",
            index=3,
            line=191,
        ),
        RawCitation(
            title="A Synthetic Handbook of Invented Hair Treatments",
            authors=[Author("Müller", "Hans-Jürgen")],  # the chapter's authors, not editors
            year="2020",
            pmid="99999905",
            abstract="A fictional book chapter.",
            index=4,
            line=228,
        ),
    ]


def test_medline_reads_each_record_as_printed() -> None:
    assert read_all(ReferenceFormat.medline, sample("references.nbib")) == [
        RawCitation(
            title=TITLE_1,  # continuation lines joined
            authors=PRINTED_1,  # FAU
            year="2019 Mar",
            journal=JOURNAL_1,
            volume="12",
            issue="3",
            pages="145-152",
            doi=DOI_1,
            pmid="99999901",
            pmcid="PMC99999901",
            abstract=ABSTRACT_1,
            index=0,
            line=1,
        ),
        RawCitation(
            title=TITLE_2,
            authors=PRINTED_2,
            year="2021",
            journal=JOURNAL_2,
            volume="4",
            issue="2",
            pmid="99999902",
            abstract=ABSTRACT_2,
            index=1,
            line=32,
        ),
        RawCitation(
            title=TITLE_3,
            authors=PRINTED_3,
            year="2022 Jan-Feb",
            journal=JOURNAL_3,
            volume="1",
            issue="1",
            pages="1-20",
            doi=DOI_3,  # the [doi] among the LID/AID lines, not the [pii]
            pmid="99999903",
            index=2,
            line=50,
        ),
        RawCitation(
            title="A fourth synthetic record, with abbreviated authors and a collective author",
            authors=["Dupont Z", "Nowak Ł", GROUP],  # AU when there is no FAU; CN
            year="2023 May 1",
            journal="Synth Evid Rev",  # TA when there is no JT
            volume="2",
            pages="e1001",
            pmid="99999904",
            index=3,
            line=74,
        ),
    ]


def test_crossref_json_reads_each_work() -> None:
    assert read_all(ReferenceFormat.crossref_json, sample("references.crossref.json")) == [
        RawCitation(
            title=TITLE_1,
            authors=SPLIT_1,
            year="2019",
            journal=JOURNAL_1,
            volume="12",
            issue="3",
            pages="145-152",
            doi=DOI_1,
            url=f"https://doi.org/{DOI_1}",
            abstract=ABSTRACT_1,  # JATS tags and the "Abstract" heading dropped
            index=0,
        ),
        RawCitation(
            title=TITLE_2,
            authors=SPLIT_2,
            year="2021",
            journal=JOURNAL_2,
            volume="4",
            issue="2",
            abstract=ABSTRACT_2,
            index=1,
        ),
        RawCitation(
            title=TITLE_3,
            authors=SPLIT_3,
            year="2022",
            journal=JOURNAL_3,
            volume="1",
            issue="1",
            pages="1-20",
            doi=DOI_3,
            url=f"https://doi.org/{DOI_3}",
            index=2,
        ),
        RawCitation(
            title=None,  # an empty title list: normalize refuses the record, not the reader
            authors=[GROUP],
            year="2023",  # issued is [[null]]: published-online
            journal="Synth Evid Rev",
            doi="10.5555/synthev.2023.1001",
            url="https://doi.org/10.5555/synthev.2023.1001",
            index=3,
        ),
    ]


def test_every_format_yields_the_same_three_studies() -> None:
    """Normalised, the shared studies agree across all six formats."""

    def essentials(raw: RawCitation) -> tuple[object, ...]:
        citation = normalize(raw, max_page_span=100)
        pages = re.sub(r"-+", "-", citation.pages) if citation.pages else None
        return (
            citation.title,
            citation.authors,
            citation.year,
            citation.journal,
            citation.volume,
            citation.issue,
            pages,
            citation.doi,
            citation.abstract,
        )

    by_format = {
        fmt: [essentials(raw) for raw in citations(fmt, sample(name))[:3]]
        for fmt, name in SAMPLE_FILES.items()
    }
    expected = by_format[ReferenceFormat.pubmed_xml]
    assert [row[0] for row in expected] == [TITLE_1, TITLE_2, TITLE_3]
    assert expected[0][1] == SPLIT_1
    assert expected[1][6:8] == (None, None)  # the study without pages or DOI
    for fmt, rows in by_format.items():
        assert rows == expected, fmt
    # PMIDs agree wherever the format carries them (Crossref works have none).
    for fmt, name in SAMPLE_FILES.items():
        shared = citations(fmt, sample(name))[:3]
        pmids = [normalize(raw, max_page_span=100).pmid for raw in shared]
        if fmt is not ReferenceFormat.crossref_json:
            assert pmids[:3] == ["99999901", "99999902", "99999903"], fmt


# --- format details ---------------------------------------------------------------------------


def test_ris_takes_a_pmid_only_where_the_tag_clearly_holds_one() -> None:
    text = (
        "TY  - JOUR\nTI  - Labelled in M1\nM1  - PMID: 99999906\nER  - \n\n"
        "TY  - JOUR\nTI  - Digits in AN from PubMed\nAN  - 99999907\nDP  - NLM\nER  - \n\n"
        "TY  - JOUR\nTI  - Digits in AN from elsewhere\nAN  - 12345\nDB  - Scopus\nER  - \n\n"
        "TY  - JOUR\nTI  - An issue number in M1\nM1  - 3\nC1  - 99999908\nER  - \n"
    )
    assert [raw.pmid for raw in citations(ReferenceFormat.ris, text)] == [
        "PMID: 99999906",
        "99999907",
        None,
        None,
    ]


def test_ris_reads_crlf_lines_and_a_byte_order_mark() -> None:
    text = "\ufeff" + sample("references.ris").replace("\n", "\r\n")
    assert read_all(ReferenceFormat.ris, text) == read_all(
        ReferenceFormat.ris, sample("references.ris")
    )


def test_medline_reads_crlf_lines() -> None:
    text = sample("references.nbib").replace("\n", "\r\n")
    assert read_all(ReferenceFormat.medline, text) == read_all(
        ReferenceFormat.medline, sample("references.nbib")
    )


def test_bibtex_pieces_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut into pieces of a few entries, @string macros and line numbers carry over."""
    texts = [sample("references.bib"), bad("bibtex_broken_entry.bib")]
    whole = [read_all(ReferenceFormat.bibtex, text) for text in texts]
    monkeypatch.setattr(bibtex, "_PIECE", 100)
    pieces = [read_all(ReferenceFormat.bibtex, text) for text in texts]
    assert [[_shape(record) for record in records] for records in pieces] == [
        [_shape(record) for record in records] for records in whole
    ]
    # An entry left open at the end of a piece is reported as bibtexparser reports it when
    # the next block interrupts it, not as the end of the file.
    assert pieces[1][1] == UnreadableRecord(
        1, "the entry is not closed when the next block starts", line=7
    )


def _shape(record: RawCitation | UnreadableRecord) -> object:
    if isinstance(record, RawCitation):
        return record
    return (record.index, record.line, record.field)


def test_bibtex_duplicate_keys_are_caught_across_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bibtex, "_PIECE", 10)
    records = read_all(ReferenceFormat.bibtex, bad("bibtex_broken_entry.bib"))
    assert records[3] == UnreadableRecord(
        3, "duplicate entry key 'good1' (an earlier entry has the same key)", "key", 19
    )


@pytest.mark.parametrize(
    "value", ["{DNA} repair in {COVID}-19", "{X-17}", "The {\\O}stergaard {Trial}"]
)
def test_bibtex_brace_shortcut_matches_the_library_decoder(value: str) -> None:
    decoded, error = bibtex._DECODER._decode_latex(value)
    assert error == ""
    assert decoded == bibtex._DECODER._transform_python_value_string(value)[0]


def test_csl_json_reads_a_single_item_object() -> None:
    text = '{"id": "x", "type": "article-journal", "title": "One fictional item", "PMID": 7}'
    assert read_all(ReferenceFormat.csl_json, text) == [
        RawCitation(key="x", title="One fictional item", pmid="7", index=0)
    ]


@pytest.mark.parametrize(
    "text",
    [
        '{"status": "ok", "message-type": "work", "message": {"DOI": "10.5555/one", '
        '"title": ["One fictional work"], "issued": {"date-parts": [[2020, 1]]}}}',
        '[{"DOI": "10.5555/one", "title": ["One fictional work"], '
        '"issued": {"date-parts": [["2020"]]}}]',
        '{"DOI": "10.5555/one", "title": ["One fictional work"], '
        '"published-print": {"date-parts": [[2020]]}}',
    ],
    ids=["work", "bare-list", "bare-work"],
)
def test_crossref_json_reads_every_response_shape(text: str) -> None:
    assert read_all(ReferenceFormat.crossref_json, text) == [
        RawCitation(title="One fictional work", year="2020", doi="10.5555/one", index=0)
    ]


@pytest.mark.parametrize(
    ("jats", "text"),
    [
        (
            "<jats:p>Plain <jats:italic>and</jats:italic> H<jats:sub>2</jats:sub>O.</jats:p>",
            "Plain and H2O.",
        ),
        (
            "<jats:sec><jats:title>Methods</jats:title><jats:p>Invented.</jats:p></jats:sec>",
            "Methods Invented.",
        ),
        ("<jats:p>p &lt; 0.05 &amp; p < 0.01</jats:p>", "p < 0.05 & p < 0.01"),
        ("No markup at all.", "No markup at all."),
        ('<!DOCTYPE p [<!ENTITY e SYSTEM "file:///etc/passwd">]><jats:p>&e;</jats:p>', "]>&e;"),
    ],
)
def test_crossref_abstracts_lose_their_markup_safely(jats: str, text: str) -> None:
    assert crossref_json.jats_text(jats) == text


def test_pubmed_xml_allows_the_doctype_efetch_prints() -> None:
    text = sample("references.pubmed.xml")
    assert text.splitlines()[1].startswith("<!DOCTYPE PubmedArticleSet PUBLIC")
    assert len(citations(ReferenceFormat.pubmed_xml, text)) == 5


def test_pubmed_xml_releases_each_article_once_read() -> None:
    """Once an article is read, the tree holds nothing before the next one."""
    parser = pubmed_xml._parser()
    parser.feed(sample("references.pubmed.xml"))
    held = []
    for event, element in parser.read_events():
        if event == "end" and element.tag in ("PubmedArticle", "PubmedBookArticle"):
            pubmed_xml._release(element)
            held.append((len(element), element.getprevious()))
    assert held == [(0, None)] * 5


# --- whole files refused, records reported -------------------------------------------------


@pytest.mark.parametrize("fmt", list(ReferenceFormat))
@pytest.mark.parametrize("text", ["", "  \n\n", "\ufeff"])
def test_an_empty_file_is_no_file(fmt: ReferenceFormat, text: str) -> None:
    with pytest.raises(UnreadableFile, match="empty"):
        read_all(fmt, text)


@pytest.mark.parametrize(
    ("fmt", "name", "reason", "line"),
    [
        (ReferenceFormat.ris, "ris_wrong_format.ris", "not RIS", None),
        (ReferenceFormat.bibtex, "bibtex_wrong_format.bib", "not BibTeX", None),
        (ReferenceFormat.medline, "medline_wrong_format.nbib", "no PMID- line", 1),
        (ReferenceFormat.medline, "not_a_reference_file.txt", "not MEDLINE", 1),
        (ReferenceFormat.csl_json, "csl_invalid.json", "not valid JSON", 5),
        (ReferenceFormat.csl_json, "csl_truncated.json", "not valid JSON", 10),
        (ReferenceFormat.crossref_json, "crossref_truncated.json", "not valid JSON", 7),
        (ReferenceFormat.crossref_json, "crossref_failed_status.json", "status 'failed'", None),
        (ReferenceFormat.crossref_json, "crossref_wrong_message.json", "'member'", None),
        (ReferenceFormat.csl_json, "crossref_wrong_message.json", "Crossref", None),
        (ReferenceFormat.pubmed_xml, "pubmed_external_entity.xml", "unsafe XML", 2),
        (ReferenceFormat.pubmed_xml, "pubmed_external_entity_in_set.xml", "unsafe XML", 2),
        (ReferenceFormat.pubmed_xml, "pubmed_billion_laughs.xml", "unsafe XML", 3),
        (ReferenceFormat.pubmed_xml, "pubmed_billion_laughs_attribute.xml", "unsafe XML", 3),
        (ReferenceFormat.pubmed_xml, "pubmed_wrong_root.xml", "root element is <html>", 2),
        (ReferenceFormat.pubmed_xml, "not_a_reference_file.txt", "not well-formed XML", 1),
        (ReferenceFormat.pubmed_xml, "ris_truncated.ris", "not well-formed XML", 1),
    ],
)
def test_bad_files_are_refused_whole(
    fmt: ReferenceFormat, name: str, reason: str, line: int | None
) -> None:
    with pytest.raises(UnreadableFile) as raised:
        read_all(fmt, bad(name))
    assert reason in raised.value.reason
    assert raised.value.line == line


def test_unsafe_xml_is_refused_before_any_record() -> None:
    records = pubmed_xml.read(bad("pubmed_external_entity_in_set.xml"))
    with pytest.raises(UnreadableFile, match="external entity"):
        next(records)


def test_a_truncated_pubmed_file_yields_its_whole_records_then_fails() -> None:
    records = pubmed_xml.read(bad("pubmed_truncated.xml"))
    assert [record.title for record in [next(records), next(records)]] == [TITLE_1, TITLE_2]
    with pytest.raises(UnreadableFile, match="not well-formed XML") as raised:
        next(records)
    assert raised.value.line == 158


def summary(records: list[RawCitation | UnreadableRecord]) -> list[tuple[object, ...]]:
    return [
        (record.index, record.line, record.title)
        if isinstance(record, RawCitation)
        else (record.index, record.line, record.reason, record.field)
        for record in records
    ]


def test_pubmed_xml_reports_an_article_it_cannot_read() -> None:
    text = (
        "<PubmedArticleSet>\n"
        "<PubmedArticle>\n<PubmedData/>\n</PubmedArticle>\n"
        "<PubmedArticle><MedlineCitation><PMID>99999906</PMID><Article>"
        "<ArticleTitle>Fine</ArticleTitle></Article></MedlineCitation></PubmedArticle>\n"
        "</PubmedArticleSet>\n"
    )
    assert summary(read_all(ReferenceFormat.pubmed_xml, text)) == [
        (0, 2, "PubmedArticle has no MedlineCitation/Article", None),
        (1, 5, "Fine"),
    ]


def test_ris_reports_records_without_er() -> None:
    records = read_all(ReferenceFormat.ris, bad("ris_truncated.ris"))
    assert summary(records) == [
        (0, 1, TITLE_1),
        (1, 7, "the record is not closed by an ER tag before the next TY", None),
        (2, 12, TITLE_3),
        (3, 18, "the file ends inside this record, before its ER tag (truncated?)", None),
    ]


def test_bibtex_reports_a_broken_entry_among_good_ones() -> None:
    records = read_all(ReferenceFormat.bibtex, bad("bibtex_broken_entry.bib"))
    assert summary(records) == [
        (0, 1, "A first good synthetic entry"),
        (
            1,
            7,
            "Unexpected block start: `@article`. "
            "Was still looking for field-value closing `,` or `}`",
            None,
        ),
        (2, 13, "A second good synthetic entry"),
        (3, 19, "duplicate entry key 'good1' (an earlier entry has the same key)", "key"),
    ]
    assert records[2] == RawCitation(
        key="good2",
        title="A second good synthetic entry",
        authors=[Author("Østergaard", "Lærke")],
        year="2022",
        index=2,
        line=13,
    )


def test_bibtex_reports_a_truncated_entry() -> None:
    records = read_all(ReferenceFormat.bibtex, bad("bibtex_truncated.bib"))
    assert summary(records) == [
        (0, 1, "A good synthetic entry"),
        (1, 7, "Unexpectedly reached end of file.", None),
    ]


def test_medline_reports_a_record_cut_mid_tag() -> None:
    records = read_all(ReferenceFormat.medline, bad("medline_truncated.nbib"))
    assert summary(records) == [
        (0, 1, TITLE_1),
        (1, 7, "line 10 is neither a 'TAG - value' line nor a continuation: 'FA'", None),
    ]


def test_csl_json_reports_items_of_the_wrong_shape() -> None:
    records = read_all(ReferenceFormat.csl_json, bad("csl_bad_items.json"))
    assert summary(records) == [
        (0, None, "A good synthetic item"),
        (1, None, "author: Input should be a valid list", "authors"),
        (2, None, "the item is a JSON string, not an object", None),
        (3, None, "title: Input should be a valid string", "title"),
        (4, None, "A second good synthetic item"),
    ]


def test_crossref_json_reports_items_of_the_wrong_shape() -> None:
    text = (
        '{"message-type": "work-list", "message": {"items": ['
        '{"DOI": "10.5555/ok", "title": ["Fine"]}, '
        '{"DOI": "10.5555/bad", "author": [{"family": 1}]}'
        "]}}"
    )
    assert summary(read_all(ReferenceFormat.crossref_json, text)) == [
        (0, None, "Fine"),
        (1, None, "author.0.family: Input should be a valid string", "authors"),
    ]


# --- choosing the reader ------------------------------------------------------------------


def test_every_format_has_a_reader() -> None:
    assert set(READERS) == set(ReferenceFormat)
    assert READERS[ReferenceFormat.ris] is ris.read
    assert READERS[ReferenceFormat.medline] is medline.read
    assert READERS[ReferenceFormat.csl_json] is csl_json.read


@pytest.mark.parametrize(("fmt", "name"), list(SAMPLE_FILES.items()))
def test_sniffing_picks_each_sample_format(fmt: ReferenceFormat, name: str) -> None:
    assert sniff(sample(name)) is fmt
    assert sniff("\ufeff\n\n  " + sample(name)) is fmt


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("% JabRef export\n\n@Article{x,\n title={T}}\n", ReferenceFormat.bibtex),
        ("@misc( x, title = {T} )", ReferenceFormat.bibtex),
        ("Provider: a database\n\nTY  - JOUR\nER  - \n", ReferenceFormat.ris),
        ("\nPMID- 1\nTI  - T\n", ReferenceFormat.medline),
        ('[{"id": "x", "title": "T"}]', ReferenceFormat.csl_json),
        ('{"type": "article-journal", "title": "T"}', ReferenceFormat.csl_json),
        ('[{"DOI": "10.5555/x", "type": "journal-article"}]', ReferenceFormat.crossref_json),
        ('[{"DOI": "10.5555/x", "title": ["T"]}]', ReferenceFormat.crossref_json),
        ('{"message-type": "work", "message": {}}', ReferenceFormat.crossref_json),
        ("<PubmedArticleSet></PubmedArticleSet>", ReferenceFormat.pubmed_xml),
    ],
)
def test_sniffing_reads_the_first_characters(text: str, fmt: ReferenceFormat) -> None:
    assert sniff(text) is fmt


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("not_a_reference_file.txt", "is in no supported format"),
        ("pubmed_external_entity.xml", "XML file is in no supported format"),
        ("pubmed_wrong_root.xml", "XML file is in no supported format"),
    ],
)
def test_sniffing_refuses_unknown_files(name: str, reason: str) -> None:
    with pytest.raises(UnreadableFile, match=reason):
        sniff(bad(name))


@pytest.mark.parametrize("text", ["", "   \n", '{"name": "no reference here"}', "[]"])
def test_sniffing_refuses_empty_or_foreign_text(text: str) -> None:
    with pytest.raises(UnreadableFile):
        sniff(text)


@pytest.mark.parametrize(
    ("content_type", "fmt"),
    [
        ("application/x-research-info-systems", ReferenceFormat.ris),
        ("application/x-bibtex", ReferenceFormat.bibtex),
        ("text/x-bibtex; charset=utf-8", ReferenceFormat.bibtex),
        ("application/vnd.citationstyles.csl+json", ReferenceFormat.csl_json),
        ("application/vnd.crossref-api-message+json", ReferenceFormat.crossref_json),
        ("application/xml", ReferenceFormat.pubmed_xml),
        ("Text/XML; charset=UTF-8", ReferenceFormat.pubmed_xml),
        ("application/nbib", ReferenceFormat.medline),
        ("text/x-medline", ReferenceFormat.medline),
        ("application/json", None),
        ("text/plain", None),
        ("application/octet-stream", None),
        ("", None),
        (None, None),
    ],
)
def test_media_types_name_a_format_or_leave_it_to_sniffing(
    content_type: str | None, fmt: ReferenceFormat | None
) -> None:
    assert format_for_media_type(content_type) is fmt


def test_reference_format_values() -> None:
    assert [fmt.value for fmt in ReferenceFormat] == [
        "ris",
        "bibtex",
        "csl_json",
        "pubmed_xml",
        "medline",
        "crossref_json",
    ]


# --- streamed from a file -------------------------------------------------------------------

STREAMED_SAMPLES = {
    ReferenceFormat.ris: "references.ris",
    ReferenceFormat.medline: "references.nbib",
    ReferenceFormat.pubmed_xml: "references.pubmed.xml",
}
STREAMED_BAD = {
    "ris_truncated.ris": ReferenceFormat.ris,
    "medline_truncated.nbib": ReferenceFormat.medline,
    "pubmed_truncated.xml": ReferenceFormat.pubmed_xml,
    "pubmed_billion_laughs.xml": ReferenceFormat.pubmed_xml,
    "pubmed_external_entity.xml": ReferenceFormat.pubmed_xml,
    "pubmed_wrong_root.xml": ReferenceFormat.pubmed_xml,
}


def _outcome(fmt: ReferenceFormat, source: str | Path) -> tuple[list[Any], str | None]:
    records: list[Any] = []
    try:
        if isinstance(source, Path):
            with open_text(source) as text:
                records.extend(read_references(text, fmt))
        else:
            records.extend(read_references(source, fmt))
    except UnreadableFile as error:
        return records, f"{error.reason} (line {error.line})"
    return records, None


@pytest.mark.parametrize("fmt", list(STREAMED_SAMPLES))
def test_a_file_read_as_it_goes_gives_what_its_text_gives(fmt: ReferenceFormat) -> None:
    path = SAMPLES / STREAMED_SAMPLES[fmt]
    streamed = _outcome(fmt, path)
    assert streamed == _outcome(fmt, sample(STREAMED_SAMPLES[fmt]))
    assert streamed[1] is None and len(streamed[0]) >= 3


@pytest.mark.parametrize("name", list(STREAMED_BAD))
def test_a_bad_file_read_as_it_goes_fails_as_its_text_fails(name: str) -> None:
    fmt = STREAMED_BAD[name]
    streamed = _outcome(fmt, BAD / name)
    assert streamed == _outcome(fmt, bad(name))
    records, problem = streamed
    assert problem is not None or any(isinstance(r, UnreadableRecord) for r in records)


@pytest.mark.parametrize("fmt", list(STREAMED_SAMPLES))
def test_a_streamed_file_that_turns_out_not_utf8_is_unreadable(
    fmt: ReferenceFormat, tmp_path: Path
) -> None:
    good = (SAMPLES / STREAMED_SAMPLES[fmt]).read_bytes()
    broken = tmp_path / "broken"
    broken.write_bytes(good + b" " * (2 << 20) + b"\xff\xfe" + good)  # past every read-ahead
    records, problem = _outcome(fmt, broken)
    assert problem is not None and problem.startswith("not UTF-8 text")


def test_an_empty_file_streamed_is_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty.ris"
    empty.write_bytes(b"\xef\xbb\xbf  \n")
    assert _outcome(ReferenceFormat.ris, empty) == ([], "the file is empty (line None)")
