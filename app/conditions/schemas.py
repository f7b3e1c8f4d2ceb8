from pydantic import BaseModel, ConfigDict, Field

from app.expansion import Expandable
from app.fields import LongText, Name, Slug
from app.findings.schemas import FindingRead
from app.studies.schemas import StudyRead


class ConditionLinks(BaseModel):
    self: str
    findings: str
    studies: str


class ConditionRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "slug": "androgenetic-alopecia",
                "name": "Androgenetic alopecia",
                "description": "androgenetic alopecia (male and female pattern hair loss)",
                "synonyms": ["male pattern hair loss", "female pattern hair loss"],
                "links": {
                    "self": "/v1/conditions/androgenetic-alopecia",
                    "findings": "/v1/findings?condition=androgenetic-alopecia",
                    "studies": "/v1/studies?condition=androgenetic-alopecia",
                },
            }
        }
    )

    slug: str
    name: str
    description: str | None
    synonyms: list[str]
    links: ConditionLinks


class ConditionDetail(ConditionRead, Expandable):
    """A condition, with the related resources named in ``expand`` embedded (first page)."""

    findings: list[FindingRead] | None = None
    studies: list[StudyRead] | None = None


class ConditionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    name: Name
    description: LongText | None = None
    synonyms: list[Name] = Field(default_factory=list, max_length=50)


class ConditionUpdate(BaseModel):
    """Only the fields sent are changed; send null to clear an optional field."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug | None = None
    name: Name | None = None
    description: LongText | None = None
    synonyms: list[Name] | None = Field(default=None, max_length=50)
