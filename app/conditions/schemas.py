from pydantic import BaseModel

from app.expansion import Expandable
from app.findings.schemas import FindingRead
from app.studies.schemas import StudyRead


class ConditionLinks(BaseModel):
    self: str
    findings: str
    studies: str


class ConditionRead(BaseModel):
    slug: str
    name: str
    description: str | None
    synonyms: list[str]
    links: ConditionLinks


class ConditionDetail(ConditionRead, Expandable):
    """A condition, with the related resources named in ``expand`` embedded (first page)."""

    findings: list[FindingRead] | None = None
    studies: list[StudyRead] | None = None
