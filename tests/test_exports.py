"""Export formats, without a database: studies as CSV, RIS, BibTeX and CSL-JSON, findings as FHIR.

Every study and finding here is fictional (DOIs under the 10.5555 test prefix). Each format
is parsed back by the library that reads it and by the project's own readers and normaliser,
and must give back what was exported.
"""

import csv
import io
import json
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime

import pytest
import rispy
from bibtexparser.entrypoint import parse_string
from bibtexparser.model import Entry
from fhir.resources.bundle import Bundle
from fhir.resources.citation import Citation
from fhir.resources.evidence import Evidence

from app.citations.formats.detect import ReferenceFormat, read_references, sniff
from app.citations.normalize import normalize
from app.citations.record import Author, RawCitation
from app.citations.record import Citation as NormalizedCitation
from app.exports.citations import (
    CSV_COLUMNS,
    FILE_EXTENSIONS,
    MEDIA_TYPES,
    WRITERS,
    ExportFormat,
    content_type,
    filename,
    format_for_accept,
    render_citations,
    stream_citations,
)
from app.exports.fhir import (
    FHIR_MEDIA_TYPE,
    accepts_fhir,
    citation_resource,
    evidence_bundle,
    evidence_resource,
    fhir_json,
)
from app.findings.schemas import FindingLinks, FindingNumbers, FindingRead
from app.links import ConditionRef, SourceRef, StudyRef, TreatmentRef
from app.models.enums import (
    Certainty,
    ComparatorType,
    Direction,
    EffectMeasure,
    FindingKind,
    StudyDesign,
)
from app.studies.schemas import AuthorRead, DataQualityWarningRead, StudyLinks, StudyRead

BASE_URL = "https://evidence.example.org"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def make_study(
    study_id: int,
    title: str,
    authors: Iterable[tuple[str, str | None]] = (),
    **fields: object,
) -> StudyRead:
    values: dict[str, object] = {
        "doi": None,
        "pmid": None,
        "pmcid": None,
        "journal": None,
        "year": None,
        "volume": None,
        "issue": None,
        "pages": None,
        "url": None,
        "abstract": None,
        "design": None,
        "pilot": False,
        "species": None,
        "sample_size": None,
        "duration_weeks": None,
        "blinding": None,
        "evidence_level": None,
        "retracted": False,
        "warnings": [],
    }
    values.update(fields)
    return StudyRead.model_validate(
        {
            "id": study_id,
            "title": title,
            "authors": [AuthorRead(family=family, given=given) for family, given in authors],
            "created_at": NOW,
            "updated_at": NOW,
            "links": StudyLinks(
                self=f"/v1/studies/{study_id}",
                findings=f"/v1/studies/{study_id}/findings",
                side_effects=f"/v1/studies/{study_id}/side-effects",
                source=None,
                doi=None,
                pubmed=None,
            ),
            **values,
        }
    )


FULL = make_study(
    12,
    "Synthetic test study: microneedling with fictional serum X-17 in imaginary androgenetic "
    "alopecia",
    [("Müller", "Hans-Jürgen"), ("Østergaard", "Lærke"), ("李", "小龙"), ("Nowak", "Łukasz")],
    doi="10.5555/fictderm.2019.0012",
    pmid="99999901",
    pmcid="PMC99999901",
    journal="Journal of Fictional Dermatology",
    year=2019,
    volume="12",
    issue="3",
    pages="145-152",
    url="https://example.org/fictional/12",
    abstract="BACKGROUND: This synthetic abstract describes a fictional trial; no patients took "
    "part. RESULTS: All numbers in this record are invented for software tests.",
    design=StudyDesign.randomized_trial,
    sample_size=40,
    evidence_level=2,
    warnings=[
        DataQualityWarningRead(
            code="year_cited_differently",
            field="year",
            message="the reference list gives 2019 but the citing text gives 2018",
            value="2019",
        ),
        DataQualityWarningRead(
            code="journal_abbreviated", field="journal", message="fictional", value=None
        ),
    ],
)
# LaTeX's special characters, a family name alone, name particles, a page that is no range.
SPECIAL = make_study(
    13,
    "Fictional 5% minoxidil & finasteride_foam #2 -- a {pilot} trial ~ $10 C:\\data "
    "``quoted'' ^ (synthetic)",
    [
        ("van der Berg", "Jan"),
        ("Fictional Hair Study Group", None),
        ("O'Brien", "Siobhán"),
        ("García-Pérez", "José"),
        ("Dupont", "Zoë"),
    ],
    doi="10.5555/hair.2020_13",
    pmid="99999913",
    journal="Hair & Scalp Letters",
    year=2020,
    volume="4",
    issue="Suppl 1",
    pages="e1234",
    abstract="An invented abstract with 100% synthetic data & no_patients.",
    design=StudyDesign.case_series,
)
MINIMAL = make_study(14, "A fictional record with nothing but a title")
STUDIES = [FULL, SPECIAL, MINIMAL]


async def agen(studies: Iterable[StudyRead]) -> AsyncIterator[StudyRead]:
    for study in studies:
        yield study


async def export(fmt: ExportFormat, studies: Iterable[StudyRead] = STUDIES) -> list[str]:
    return [chunk async for chunk in stream_citations(fmt, agen(studies))]


def names(study: StudyRead) -> list[Author]:
    return [Author(author.family, author.given) for author in study.authors]


# --- CSV -----------------------------------------------------------------------------------


async def test_csv_reads_back_field_by_field() -> None:
    chunks = await export(ExportFormat.csv)
    assert len(chunks) == 1 + len(STUDIES)
    rows = list(csv.DictReader(io.StringIO("".join(chunks), newline="")))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert rows[0] == {
        "id": "12",
        "doi": "10.5555/fictderm.2019.0012",
        "pmid": "99999901",
        "pmcid": "PMC99999901",
        "title": FULL.title,
        "authors": "Müller, Hans-Jürgen; Østergaard, Lærke; 李, 小龙; Nowak, Łukasz",
        "journal": "Journal of Fictional Dermatology",
        "year": "2019",
        "volume": "12",
        "issue": "3",
        "pages": "145-152",
        "url": "https://example.org/fictional/12",
        "design": "randomized_trial",
        "evidence_level": "2",
        "sample_size": "40",
        "warnings": "year_cited_differently; journal_abbreviated",
    }
    assert rows[1]["title"] == SPECIAL.title
    assert rows[1]["authors"] == (
        "van der Berg, Jan; Fictional Hair Study Group; O'Brien, Siobhán; García-Pérez, José; "
        "Dupont, Zoë"
    )
    assert rows[2] == {column: "" for column in CSV_COLUMNS} | {
        "id": "14",
        "title": MINIMAL.title,
    }


async def test_csv_neutralises_cells_a_spreadsheet_would_run() -> None:
    study = make_study(15, '=HYPERLINK("https://example.org","x")', [("-Fictional", "@Name")])
    rows = list(csv.reader(io.StringIO("".join(await export(ExportFormat.csv, [study])))))
    assert rows[1][CSV_COLUMNS.index("title")] == '\'=HYPERLINK("https://example.org","x")'
    assert rows[1][CSV_COLUMNS.index("authors")] == "'-Fictional, @Name"


# --- RIS -----------------------------------------------------------------------------------


async def test_ris_reads_back_with_rispy() -> None:
    chunks = await export(ExportFormat.ris)
    assert len(chunks) == len(STUDIES)
    assert all(chunk.startswith("TY  - JOUR\n") for chunk in chunks)
    entries = rispy.loads("".join(chunks))
    assert entries == [
        {
            "type_of_reference": "JOUR",
            "id": "12",
            "authors": [
                "Müller, Hans-Jürgen",
                "Østergaard, Lærke",
                "李, 小龙",
                "Nowak, Łukasz",
            ],
            "title": FULL.title,
            "secondary_title": "Journal of Fictional Dermatology",
            "year": "2019",
            "volume": "12",
            "number": "3",
            "start_page": "145",
            "end_page": "152",
            "doi": "10.5555/fictderm.2019.0012",
            "accession_number": "99999901",
            "name_of_database": "PubMed",
            "custom2": "PMC99999901",
            "urls": ["https://example.org/fictional/12"],
            "abstract": FULL.abstract,
        },
        {
            "type_of_reference": "JOUR",
            "id": "13",
            "authors": [
                "van der Berg, Jan",
                "Fictional Hair Study Group,",
                "O'Brien, Siobhán",
                "García-Pérez, José",
                "Dupont, Zoë",
            ],
            "title": SPECIAL.title,
            "secondary_title": "Hair & Scalp Letters",
            "year": "2020",
            "volume": "4",
            "number": "Suppl 1",
            "start_page": "e1234",
            "doi": "10.5555/hair.2020_13",
            "accession_number": "99999913",
            "name_of_database": "PubMed",
            "abstract": SPECIAL.abstract,
        },
        {"type_of_reference": "JOUR", "id": "14", "title": MINIMAL.title},
    ]


async def test_ris_folds_line_breaks_so_no_value_starts_a_tag() -> None:
    study = make_study(16, "A fictional title", abstract="First line.\nER  - \nTY  - JOUR")
    entries = rispy.loads("".join(await export(ExportFormat.ris, [study])))
    assert len(entries) == 1
    assert entries[0]["abstract"] == "First line. ER - TY - JOUR"


# --- BibTeX --------------------------------------------------------------------------------


async def test_bibtex_reads_back_with_bibtexparser() -> None:
    chunks = await export(ExportFormat.bibtex)
    assert len(chunks) == len(STUDIES)
    library = parse_string("".join(chunks))
    assert library.failed_blocks == []
    entries: list[Entry] = library.entries
    assert [entry.key for entry in entries] == ["study12", "study13", "study14"]
    assert all(entry.entry_type == "article" for entry in entries)
    assert entries[0].fields_dict.keys() == {
        "author",
        "title",
        "journal",
        "year",
        "volume",
        "number",
        "pages",
        "doi",
        "pmid",
        "pmcid",
        "url",
        "abstract",
    }
    values = {key: field.value for key, field in entries[0].fields_dict.items()}
    assert values == {
        "author": "Müller, Hans-Jürgen and Østergaard, Lærke and 李, 小龙 and Nowak, Łukasz",
        "title": FULL.title,
        "journal": "Journal of Fictional Dermatology",
        "year": "2019",
        "volume": "12",
        "number": "3",
        "pages": "145--152",
        "doi": "10.5555/fictderm.2019.0012",
        "pmid": "99999901",
        "pmcid": "PMC99999901",
        "url": "https://example.org/fictional/12",
        "abstract": FULL.abstract,
    }
    special = {key: field.value for key, field in entries[1].fields_dict.items()}
    assert special["author"] == (
        "van der Berg, Jan and {Fictional Hair Study Group} and O'Brien, Siobhán and "
        "García-Pérez, José and Dupont, Zoë"
    )
    assert special["journal"] == r"Hair \& Scalp Letters"
    assert special["doi"] == "10.5555/hair.2020_13"  # identifiers are never escaped
    assert {key: field.value for key, field in entries[2].fields_dict.items()} == {
        "title": MINIMAL.title
    }


# --- CSL-JSON ------------------------------------------------------------------------------


async def test_csl_json_streams_one_array() -> None:
    chunks = await export(ExportFormat.csl_json)
    assert chunks[0] == "[" and chunks[-1] == "]"
    assert len(chunks) == 2 + len(STUDIES)
    assert chunks[2].startswith(",") and chunks[3].startswith(",")
    items = json.loads("".join(chunks))
    assert items[0] == {
        "id": "12",
        "type": "article-journal",
        "title": FULL.title,
        "author": [
            {"family": "Müller", "given": "Hans-Jürgen"},
            {"family": "Østergaard", "given": "Lærke"},
            {"family": "李", "given": "小龙"},
            {"family": "Nowak", "given": "Łukasz"},
        ],
        "container-title": "Journal of Fictional Dermatology",
        "issued": {"date-parts": [[2019]]},
        "volume": "12",
        "issue": "3",
        "page": "145-152",
        "DOI": "10.5555/fictderm.2019.0012",
        "PMID": "99999901",
        "PMCID": "PMC99999901",
        "URL": "https://example.org/fictional/12",
        "abstract": FULL.abstract,
    }
    assert items[1]["author"][1] == {"family": "Fictional Hair Study Group"}
    assert items[2] == {"id": "14", "type": "article-journal", "title": MINIMAL.title}


async def test_csl_json_of_no_studies_is_an_empty_array() -> None:
    assert await export(ExportFormat.csl_json, []) == ["[", "]"]
    assert json.loads(await render_citations(ExportFormat.csl_json, [])) == []


# --- round trip through the project's readers and normaliser -------------------------------

ROUND_TRIP = {
    ExportFormat.ris: ReferenceFormat.ris,
    ExportFormat.bibtex: ReferenceFormat.bibtex,
    ExportFormat.csl_json: ReferenceFormat.csl_json,
}


@pytest.mark.parametrize("fmt", list(ROUND_TRIP))
async def test_round_trip_through_the_importer(fmt: ExportFormat) -> None:
    text = await render_citations(fmt, agen(STUDIES))
    assert sniff(text) == ROUND_TRIP[fmt]
    records = list(read_references(text, ROUND_TRIP[fmt]))
    raws = [record for record in records if isinstance(record, RawCitation)]
    assert raws == records
    citations: list[NormalizedCitation] = [normalize(raw, max_page_span=150) for raw in raws]
    assert len(citations) == len(STUDIES)
    for study, citation in zip(STUDIES, citations, strict=True):
        assert citation.title == study.title
        assert citation.authors == names(study)
        assert citation.year == study.year
        assert citation.journal == study.journal
        assert citation.volume == study.volume
        assert citation.issue == study.issue
        assert citation.pages == study.pages
        assert citation.doi == study.doi
        assert citation.pmid == study.pmid
        assert citation.pmcid == study.pmcid
        assert citation.url == study.url
        assert citation.abstract == study.abstract


# --- streaming -----------------------------------------------------------------------------


class Source:
    """Studies handed out one at a time, counting how many the writer has taken."""

    def __init__(self, studies: list[StudyRead]) -> None:
        self.studies = studies
        self.taken = 0

    async def __aiter__(self) -> AsyncIterator[StudyRead]:
        for study in self.studies:
            self.taken += 1
            yield study


HEADER = {ExportFormat.csv: 1, ExportFormat.csl_json: 1}
FOOTER = {ExportFormat.csl_json: 1}


@pytest.mark.parametrize("fmt", list(ExportFormat))
async def test_writers_take_one_study_per_chunk(fmt: ExportFormat) -> None:
    source = Source(STUDIES)
    chunks = WRITERS[fmt](source)
    for _ in range(HEADER.get(fmt, 0)):
        await anext(chunks)
        assert source.taken == 0  # the header is written before any study is read
    for written in range(1, len(STUDIES) + 1):
        await anext(chunks)
        assert source.taken == written  # no read-ahead
    rest = [chunk async for chunk in chunks]
    assert len(rest) == FOOTER.get(fmt, 0)
    assert source.taken == len(STUDIES)


@pytest.mark.parametrize("fmt", list(ExportFormat))
async def test_sync_iterables_and_render(fmt: ExportFormat) -> None:
    streamed = "".join(await export(fmt))
    assert await render_citations(fmt, STUDIES) == streamed


def test_media_types_and_extensions() -> None:
    assert {fmt: MEDIA_TYPES[fmt] for fmt in ExportFormat} == {
        ExportFormat.csv: "text/csv",
        ExportFormat.ris: "application/x-research-info-systems",
        ExportFormat.bibtex: "application/x-bibtex",
        ExportFormat.csl_json: "application/vnd.citationstyles.csl+json",
    }
    assert set(FILE_EXTENSIONS) == set(ExportFormat)
    assert filename(ExportFormat.bibtex) == "studies.bib"
    assert filename(ExportFormat.ris, "study-12") == "study-12.ris"
    assert content_type(ExportFormat.csv) == "text/csv; charset=utf-8"
    assert content_type(ExportFormat.csl_json) == "application/vnd.citationstyles.csl+json"


# --- Accept --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, None),
        ("", None),
        ("text/csv", ExportFormat.csv),
        ("TEXT/CSV; charset=utf-8", ExportFormat.csv),
        ("application/x-research-info-systems", ExportFormat.ris),
        ("application/x-ris", ExportFormat.ris),
        ("application/x-bibtex", ExportFormat.bibtex),
        ("text/x-bibtex", ExportFormat.bibtex),
        ("application/vnd.citationstyles.csl+json", ExportFormat.csl_json),
        ("application/citeproc+json", ExportFormat.csl_json),
        ("application/json", None),
        ("*/*", None),
        ("text/*", None),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None),
        ("text/csv;q=0.2, application/x-research-info-systems;q=0.8", ExportFormat.ris),
        ("application/x-bibtex;q=0.9, text/csv", ExportFormat.csv),
        ("application/json, text/csv;q=0.5", None),
        ("application/json;q=0.5, text/csv", ExportFormat.csv),
        ("application/json, text/csv", None),  # equal q: the first listed
        ("text/csv, application/json", ExportFormat.csv),
        ("text/csv, */*", ExportFormat.csv),  # equal q: named beats wildcard
        ("*/*;q=0.1, application/x-bibtex;q=0.05", None),
        ("text/csv;q=0", None),
        ("text/csv;q=0, application/x-bibtex;q=0.1", ExportFormat.bibtex),
        ("text/csv;q=abc", None),
        ("text/csv;q=2", None),
        (" , ;q=1, application/x-bibtex", ExportFormat.bibtex),
    ],
)
def test_format_for_accept(accept: str | None, expected: ExportFormat | None) -> None:
    assert format_for_accept(accept) == expected


def test_accepts_fhir() -> None:
    assert accepts_fhir(FHIR_MEDIA_TYPE)
    assert accepts_fhir("application/fhir+json;q=0.9, */*;q=0.1")
    assert not accepts_fhir("application/json")
    assert not accepts_fhir("application/json, application/fhir+json;q=0.5")
    assert not accepts_fhir(None)


# --- FHIR ----------------------------------------------------------------------------------


def make_finding(
    finding_id: int,
    study: StudyRead | None,
    *,
    comparator: TreatmentRef | None,
    comparator_type: ComparatorType | None,
    certainty: Certainty | None,
    numbers: FindingNumbers,
    condition: ConditionRef | None = None,
    outcome: str | None = "total hair count",
) -> FindingRead:
    intervention = TreatmentRef.of("fictional-serum", "Fictional serum X-17")
    source = SourceRef.of(3, "article", "A fictional review of invented trials")
    return FindingRead(
        id=finding_id,
        kind=FindingKind.efficacy,
        study=StudyRef.of(study.id, study.title, study.year) if study is not None else None,
        source=source,
        intervention=intervention,
        comparator_type=comparator_type,
        comparator=comparator,
        condition=condition,
        outcome=outcome,
        direction=Direction.benefit,
        certainty=certainty,
        summary="Fictional serum X-17 increased the invented hair count.",
        quote="In this synthetic trial, serum X-17 raised the hair count (fictional).",
        numbers=numbers,
        links=FindingLinks(
            self=f"/v1/findings/{finding_id}",
            study=f"/v1/studies/{study.id}" if study is not None else None,
            source=source.href,
            intervention=intervention.href,
            comparator=comparator.href if comparator is not None else None,
            condition=condition.href if condition is not None else None,
        ),
    )


MEAN_DIFFERENCE = make_finding(
    4,
    FULL,
    comparator=TreatmentRef.of("fictional-placebo-foam", "Fictional placebo foam"),
    comparator_type=ComparatorType.treatment,
    certainty=Certainty.moderate,
    condition=ConditionRef.of("imaginary-alopecia", "Imaginary androgenetic alopecia"),
    numbers=FindingNumbers(
        effect_measure=EffectMeasure.mean_difference,
        effect_value=12.5,
        ci_lower=4.1,
        ci_upper=20.9,
        p_value=0.004,
        n_intervention=20,
        n_comparator=19,
        time_point="24 weeks",
    ),
)
RISK_RATIO = make_finding(
    5,
    SPECIAL,
    comparator=None,
    comparator_type=ComparatorType.placebo,
    certainty=Certainty.very_low,
    numbers=FindingNumbers(effect_measure=EffectMeasure.risk_ratio, effect_value=1.8),
)
NO_NUMBERS = make_finding(
    6,
    None,
    comparator=None,
    comparator_type=None,
    certainty=None,
    numbers=FindingNumbers(),
    outcome=None,
)


def coding(concept: dict[str, object]) -> tuple[object, object]:
    codings = concept["coding"]
    assert isinstance(codings, list)
    return codings[0]["system"], codings[0]["code"]


def test_citation_re_parses_and_carries_the_study() -> None:
    resource = citation_resource(FULL, BASE_URL)
    parsed = Citation.model_validate_json(fhir_json(resource))
    assert parsed.id == "12"
    assert parsed.url == f"{BASE_URL}/v1/studies/12"
    assert parsed.title == FULL.title
    artifact = resource["citedArtifact"]
    assert {(i["system"], i["value"]) for i in artifact["identifier"]} == {
        ("https://doi.org", "10.5555/fictderm.2019.0012"),
        ("https://pubmed.ncbi.nlm.nih.gov", "99999901"),
        ("https://www.ncbi.nlm.nih.gov/pmc", "PMC99999901"),
    }
    assert artifact["title"] == [{"text": FULL.title}]
    assert artifact["abstract"] == [{"text": FULL.abstract}]
    assert artifact["publicationForm"] == [
        {
            "publishedIn": {"title": "Journal of Fictional Dermatology"},
            "volume": "12",
            "issue": "3",
            "articleDate": "2019",
            "publicationDateText": "2019",
            "pageString": "145-152",
            "firstPage": "145",
            "lastPage": "152",
        }
    ]
    entries = artifact["contributorship"]["entry"]
    assert [entry["rankingOrder"] for entry in entries] == [1, 2, 3, 4]
    contained = {item["id"]: item for item in resource["contained"]}
    authors = []
    for entry in entries:
        reference = entry["contributor"]["reference"]
        practitioner = contained[reference.removeprefix("#")]
        assert practitioner["resourceType"] == "Practitioner"
        name = practitioner["name"][0]
        authors.append(Author(name["family"], name.get("given", [None])[0]))
    assert authors == names(FULL)
    assert entries[2]["contributor"]["display"] == "李, 小龙"


def test_citation_of_a_minimal_study() -> None:
    resource = citation_resource(MINIMAL, BASE_URL + "/")
    assert Citation.model_validate(resource).title == MINIMAL.title
    assert resource["url"] == f"{BASE_URL}/v1/studies/14"
    assert "contained" not in resource
    assert resource["citedArtifact"] == {"title": [{"text": MINIMAL.title}]}


def test_evidence_re_parses_and_carries_the_numbers() -> None:
    resource = evidence_resource(MEAN_DIFFERENCE, BASE_URL, study=FULL)
    parsed = Evidence.model_validate_json(fhir_json(resource))
    assert parsed.id == "4"
    assert resource["citeAsReference"]["reference"] == f"{BASE_URL}/v1/studies/12"
    assert resource["note"][0]["text"] == MEAN_DIFFERENCE.quote
    assert resource["description"] == MEAN_DIFFERENCE.summary
    roles = {
        coding(variable["variableRole"])[1]: variable["description"]
        for variable in resource["variableDefinition"]
    }
    assert roles == {
        "population": "Imaginary androgenetic alopecia",
        "exposure": "Fictional serum X-17",
        "referenceExposure": "Fictional placebo foam",
        "measuredVariable": "total hair count",
    }
    [statistic] = resource["statistic"]
    assert coding(statistic["statisticType"]) == (
        "http://terminology.hl7.org/CodeSystem/statistic-type",
        "0000457",
    )
    assert statistic["quantity"] == {"value": 12.5}
    assert statistic["sampleSize"] == {"numberOfStudies": 1, "numberOfParticipants": 39}
    ci, p_value = statistic["attributeEstimate"]
    assert coding(ci["type"])[1] == "C53324"
    assert ci["level"] == 0.95
    assert ci["range"] == {"low": {"value": 4.1}, "high": {"value": 20.9}}
    assert coding(p_value["type"])[1] == "C44185"
    assert p_value["quantity"] == {"value": 0.004}
    [certainty] = resource["certainty"]
    assert coding(certainty["type"]) == ("http://hl7.org/fhir/certainty-type", "Overall")
    assert coding(certainty["rating"]) == ("http://hl7.org/fhir/certainty-rating", "moderate")


def test_evidence_with_placebo_and_without_numbers() -> None:
    ratio = evidence_resource(RISK_RATIO, BASE_URL, study=SPECIAL)
    Evidence.model_validate(ratio)
    [statistic] = ratio["statistic"]
    assert coding(statistic["statisticType"])[1] == "C93152"
    assert statistic["quantity"] == {"value": 1.8}
    assert "attributeEstimate" not in statistic
    assert coding(ratio["certainty"][0]["rating"])[1] == "very-low"
    placebo = [v for v in ratio["variableDefinition"] if v["description"] == "placebo"]
    assert coding(placebo[0]["variableRole"])[1] == "referenceExposure"

    bare = evidence_resource(NO_NUMBERS, BASE_URL)
    Evidence.model_validate(bare)
    assert "statistic" not in bare and "certainty" not in bare and "citeAsReference" not in bare
    assert [coding(v["variableRole"])[1] for v in bare["variableDefinition"]] == ["exposure"]


def test_bundle_holds_the_citations_and_the_evidence() -> None:
    findings = [MEAN_DIFFERENCE, RISK_RATIO, NO_NUMBERS, MEAN_DIFFERENCE]
    resource = evidence_bundle(findings, [FULL, SPECIAL, FULL], BASE_URL, bundle_id="fictional")
    bundle = Bundle.model_validate_json(fhir_json(resource))
    assert bundle.type == "collection"
    entries = resource["entry"]
    assert [(entry["resource"]["resourceType"], entry["fullUrl"]) for entry in entries] == [
        ("Citation", f"{BASE_URL}/v1/studies/12"),
        ("Citation", f"{BASE_URL}/v1/studies/13"),
        ("Evidence", f"{BASE_URL}/v1/findings/4"),
        ("Evidence", f"{BASE_URL}/v1/findings/5"),
        ("Evidence", f"{BASE_URL}/v1/findings/6"),
    ]
    full_urls = {entry["fullUrl"] for entry in entries}
    cited = [entry["resource"].get("citeAsReference") for entry in entries[2:]]
    assert [ref["reference"] if ref else None for ref in cited] == [
        f"{BASE_URL}/v1/studies/12",
        f"{BASE_URL}/v1/studies/13",
        None,
    ]
    assert all(ref["reference"] in full_urls for ref in cited if ref)
    doi = entries[0]["resource"]["citedArtifact"]["identifier"][0]
    assert doi == {"system": "https://doi.org", "value": FULL.doi, "type": {"text": "DOI"}}


def test_empty_bundle() -> None:
    resource = evidence_bundle([], [], BASE_URL, timestamp=NOW)
    assert Bundle.model_validate(resource).type == "collection"
    assert resource == {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": "2026-01-02T03:04:05Z",
    }
