from pydantic import BaseModel, ConfigDict, Field

from app.fields import LongText, Name, Slug, Url
from app.links import StudyRef
from app.models.enums import SourceKind


class SourceLinks(BaseModel):
    self: str
    study: str | None
    findings: str


class SourceRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 1,
                "kind": "article",
                "key": "source-article",
                "title": "Microneedling For Hair Loss: Do You Need It?",
                "publisher": "XYON",
                "year": None,
                "url": None,
                "study": None,
                "finding_count": 12,
                "links": {
                    "self": "/v1/sources/1",
                    "study": None,
                    "findings": "/v1/findings?source=1",
                },
            }
        }
    )

    """Where statements come from: a study, or a secondary document such as the article."""

    id: int
    kind: SourceKind
    key: str | None = Field(description="A stable handle for secondary documents.")
    title: str
    publisher: str | None
    year: int | None
    url: str | None
    study: StudyRef | None
    finding_count: int = Field(description="Findings this source states.")
    links: SourceLinks


class SourceCreate(BaseModel):
    """A secondary document (review, article, guideline). Studies' sources come with them."""

    model_config = ConfigDict(extra="forbid")

    key: Slug = Field(description="A stable handle, e.g. `source-article`.")
    title: LongText
    publisher: Name | None = None
    year: int | None = Field(default=None, ge=1000, le=9999, strict=True)
    url: Url | None = None


class SourceUpdate(BaseModel):
    """Only the fields sent are changed; send null to clear an optional field."""

    model_config = ConfigDict(extra="forbid")

    key: Slug | None = None
    title: LongText | None = None
    publisher: Name | None = None
    year: int | None = Field(default=None, ge=1000, le=9999, strict=True)
    url: Url | None = None
