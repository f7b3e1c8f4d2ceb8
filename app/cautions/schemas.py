from pydantic import BaseModel, ConfigDict, Field

from app.fields import LongText, Slug
from app.links import SourceRef, TreatmentRef
from app.models.enums import CautionLevel
from app.params import MAX_ID


class CautionLinks(BaseModel):
    self: str
    treatment: str
    other_treatment: str
    source: str


class CautionRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 1,
                "treatment": {
                    "slug": "microneedling",
                    "name": "Microneedling",
                    "href": "/v1/treatments/microneedling",
                },
                "other_treatment": {
                    "slug": "minoxidil",
                    "name": "Minoxidil",
                    "href": "/v1/treatments/minoxidil",
                },
                "level": "caution",
                "description": "using microneedling alongside topical hair loss medications may "
                "impact the amount of active ingredients being absorbed into the bloodstream "
                "and the total dose delivered to the skin.",
                "source": {
                    "id": 1,
                    "kind": "article",
                    "title": "Microneedling For Hair Loss: Do You Need It?",
                    "href": "/v1/sources/1",
                },
            }
        }
    )

    id: int
    treatment: TreatmentRef
    other_treatment: TreatmentRef
    level: CautionLevel
    description: str | None
    quote: str = Field(description="The source's own words, verbatim.")
    source: SourceRef
    links: CautionLinks


class CautionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    treatment: Slug
    other_treatment: Slug
    source_id: int = Field(ge=1, le=MAX_ID, strict=True)
    level: CautionLevel
    description: LongText | None = None
    quote: LongText


class CautionUpdate(BaseModel):
    """Only the fields sent are changed; send null to clear an optional field."""

    model_config = ConfigDict(extra="forbid")

    treatment: Slug | None = None
    other_treatment: Slug | None = None
    source_id: int | None = Field(default=None, ge=1, le=MAX_ID, strict=True)
    level: CautionLevel | None = None
    description: LongText | None = None
    quote: LongText | None = None
