from pydantic import BaseModel, ConfigDict, Field

from app.fields import Label, LongText, Name, Slug
from app.links import SideEffectRef, SourceRef, StudyRef, TreatmentRef
from app.models.enums import Severity
from app.params import MAX_ID


class ReportLinks(BaseModel):
    self: str
    side_effect: str
    treatment: str
    study: str | None
    source: str


class SideEffectReportRead(BaseModel):
    """A source reporting a side effect of a treatment."""

    id: int
    side_effect: SideEffectRef
    treatment: TreatmentRef
    study: StudyRef | None = Field(description="The cited study; null if the source cites none.")
    source: SourceRef
    frequency: str | None = Field(description="As the source states it, e.g. 'common'.")
    incidence: float | None = Field(description="Proportion affected (0-1), if stated.")
    severity: Severity | None
    quote: str = Field(description="The source's own words, verbatim.")
    links: ReportLinks


class SideEffectLinks(BaseModel):
    self: str
    reports: str


class SideEffectRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "slug": "bleeding",
                "name": "Bleeding",
                "description": None,
                "treatments": [
                    {
                        "slug": "microneedling",
                        "name": "Microneedling",
                        "href": "/v1/treatments/microneedling",
                    }
                ],
                "report_count": 2,
                "links": {
                    "self": "/v1/side-effects/bleeding",
                    "reports": "/v1/side-effect-reports?side_effect=bleeding",
                },
            }
        }
    )

    slug: str
    name: str
    description: str | None
    treatments: list[TreatmentRef] = Field(description="Treatments reported to cause it.")
    report_count: int
    links: SideEffectLinks


class SideEffectDetail(SideEffectRead):
    """A side effect with every report of it, and so the treatments and studies behind it."""

    studies: list[StudyRef]
    reports: list[SideEffectReportRead]


class SideEffectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    name: Name
    description: LongText | None = None


class SideEffectUpdate(BaseModel):
    """Only the fields sent are changed; send null to clear an optional field."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug | None = None
    name: Name | None = None
    description: LongText | None = None


class ReportCreate(BaseModel):
    """A source reporting a side effect of a treatment. Without `source_id`, the study's own
    source is used; one of the two is required."""

    model_config = ConfigDict(extra="forbid")

    side_effect: Slug
    treatment: Slug
    study_id: int | None = Field(default=None, ge=1, le=MAX_ID, strict=True)
    source_id: int | None = Field(default=None, ge=1, le=MAX_ID, strict=True)
    frequency: Label | None = None
    incidence: float | None = Field(default=None, ge=0, le=1, strict=True)
    severity: Severity | None = None
    quote: LongText


class ReportUpdate(BaseModel):
    """Only the fields sent are changed; send null to clear an optional field."""

    model_config = ConfigDict(extra="forbid")

    side_effect: Slug | None = None
    treatment: Slug | None = None
    study_id: int | None = Field(default=None, ge=1, le=MAX_ID, strict=True)
    source_id: int | None = Field(default=None, ge=1, le=MAX_ID, strict=True)
    frequency: Label | None = None
    incidence: float | None = Field(default=None, ge=0, le=1, strict=True)
    severity: Severity | None = None
    quote: LongText | None = None
