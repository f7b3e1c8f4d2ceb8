from pydantic import BaseModel, Field

from app.links import SourceRef, TreatmentRef
from app.models.enums import CautionLevel


class CautionLinks(BaseModel):
    self: str
    treatment: str
    other_treatment: str
    source: str


class CautionRead(BaseModel):
    id: int
    treatment: TreatmentRef
    other_treatment: TreatmentRef
    level: CautionLevel
    description: str | None
    quote: str = Field(description="The source's own words, verbatim.")
    source: SourceRef
    links: CautionLinks
