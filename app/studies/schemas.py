from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.expansion import Expandable
from app.fields import NO_NUL, Flag, LongText, Name, ShortText, Url
from app.findings.schemas import FindingRead
from app.models.enums import Blinding, StudyDesign
from app.pagination import Page
from app.side_effects.schemas import SideEffectReportRead


class AuthorRead(BaseModel):
    family: str
    given: str | None


class DataQualityWarningRead(BaseModel):
    code: str = Field(description="e.g. page_range_reversed, page_span_implausible")
    field: str
    message: str
    value: str | None = Field(description="The value as printed, kept unchanged.")


class StudyLinks(BaseModel):
    self: str
    findings: str
    side_effects: str
    source: str | None
    doi: str | None = Field(description="The DOI resolver URL.")
    pubmed: str | None


class StudyRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 9,
                "doi": "10.4103/JCAS.JCAS_130_17",
                "title": "A randomized controlled, single-observer blinded study to determine "
                "the efficacy of topical minoxidil plus microneedling versus topical minoxidil "
                "alone in the treatment of androgenetic alopecia",
                "authors": [
                    {"family": "Kumar", "given": "M.K."},
                    {"family": "Inamadar", "given": "A.C."},
                    {"family": "Palit", "given": "A."},
                ],
                "journal": "Journal of Cutaneous and Aesthetic Surgery",
                "year": 2018,
                "design": "randomized_trial",
                "evidence_level": 2,
                "warnings": [],
            }
        }
    )

    id: int
    doi: str | None
    pmid: str | None
    pmcid: str | None
    title: str
    authors: list[AuthorRead] = Field(description="In the order printed.")
    journal: str | None
    year: int | None
    volume: str | None
    issue: str | None
    pages: str | None = Field(description="As printed; see warnings if suspicious.")
    url: str | None
    abstract: str | None
    design: StudyDesign | None
    pilot: bool
    species: str | None
    sample_size: int | None
    duration_weeks: float | None
    blinding: Blinding | None
    evidence_level: int | None = Field(
        description="1 (systematic review) to 5 (mechanistic, animal or expert opinion)."
    )
    retracted: bool
    warnings: list[DataQualityWarningRead] = Field(
        description="Data-quality problems kept as printed rather than silently fixed."
    )
    created_at: datetime
    updated_at: datetime
    links: StudyLinks


class StudyDetail(StudyRead, Expandable):
    """A study, with the related resources named in ``expand`` embedded."""

    findings: list[FindingRead] | None = None
    side_effects: list[SideEffectReportRead] | None = None


class AuthorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    family: Name
    given: Name | None = None


class StudyCreate(BaseModel):
    """A citation, checked by the same rules as imports: DOI and PMID normalised, suspicious
    pages or years kept and listed in `warnings`."""

    model_config = ConfigDict(extra="forbid")

    title: LongText
    authors: list[AuthorIn] = Field(default_factory=list, max_length=2000)
    doi: ShortText | None = Field(default=None, description="Any spelling, URL included.")
    pmid: Annotated[str, Field(max_length=20, pattern=NO_NUL)] | None = None
    pmcid: Annotated[str, Field(max_length=20, pattern=NO_NUL)] | None = None
    journal: ShortText | None = None
    year: int | None = Field(default=None, ge=1000, le=9999, strict=True)
    volume: Annotated[str, Field(max_length=40, pattern=NO_NUL)] | None = None
    issue: Annotated[str, Field(max_length=40, pattern=NO_NUL)] | None = None
    pages: Annotated[str, Field(max_length=40, pattern=NO_NUL)] | None = None
    url: Url | None = None
    abstract: LongText | None = None
    design: StudyDesign | None = None
    pilot: Flag = False
    species: Annotated[str, Field(max_length=60, pattern=NO_NUL)] | None = None
    sample_size: int | None = Field(default=None, ge=1, le=100_000_000, strict=True)
    duration_weeks: float | None = Field(default=None, gt=0, le=5200, strict=True)
    blinding: Blinding | None = None
    evidence_level: int | None = Field(
        default=None, ge=1, le=5, strict=True, description="Derived from design when not given."
    )
    retracted: Flag = False


class StudyUpdate(BaseModel):
    """Only the fields sent are changed; send null to clear an optional field."""

    model_config = ConfigDict(extra="forbid")

    title: LongText | None = None
    authors: list[AuthorIn] | None = Field(default=None, max_length=2000)
    doi: ShortText | None = None
    pmid: Annotated[str, Field(max_length=20, pattern=NO_NUL)] | None = None
    pmcid: Annotated[str, Field(max_length=20, pattern=NO_NUL)] | None = None
    journal: ShortText | None = None
    year: int | None = Field(default=None, ge=1000, le=9999, strict=True)
    volume: Annotated[str, Field(max_length=40, pattern=NO_NUL)] | None = None
    issue: Annotated[str, Field(max_length=40, pattern=NO_NUL)] | None = None
    pages: Annotated[str, Field(max_length=40, pattern=NO_NUL)] | None = None
    url: Url | None = None
    abstract: LongText | None = None
    design: StudyDesign | None = None
    pilot: Flag | None = None
    species: Annotated[str, Field(max_length=60, pattern=NO_NUL)] | None = None
    sample_size: int | None = Field(default=None, ge=1, le=100_000_000, strict=True)
    duration_weeks: float | None = Field(default=None, gt=0, le=5200, strict=True)
    blinding: Blinding | None = None
    evidence_level: int | None = Field(default=None, ge=1, le=5, strict=True)
    retracted: Flag | None = None


class FacetCount(BaseModel):
    value: str | int | None = Field(description="The value; null where it is not known.")
    label: str | None = Field(default=None, description="For treatments, the name.")
    count: int


class StudyPage(Page[StudyRead]):
    facets: dict[str, list[FacetCount]] | None = Field(
        default=None,
        description="With facets=: counts over every matching study (not only this page).",
    )
