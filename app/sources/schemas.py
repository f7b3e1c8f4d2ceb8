from pydantic import BaseModel, Field

from app.links import StudyRef
from app.models.enums import SourceKind


class SourceLinks(BaseModel):
    self: str
    study: str | None
    findings: str


class SourceRead(BaseModel):
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
