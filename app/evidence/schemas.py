from pydantic import BaseModel, Field

from app.cautions.schemas import CautionRead
from app.findings.schemas import FindingRead
from app.links import SideEffectRef, SourceRef, StudyRef, TreatmentRef


class Count(BaseModel):
    value: str | int | None = Field(description="The category; null where it is not known.")
    count: int


class StudyOverview(BaseModel):
    total: int
    by_design: list[Count]
    by_species: list[Count]
    participants: int | None = Field(
        description="Sum of sample sizes where known; null if no study states one."
    )
    studies_with_sample_size: int
    strongest_evidence_level: int | None = Field(
        description="1 (systematic review) is the strongest; null if no study has a level."
    )
    strongest: list[StudyRef] = Field(description="The studies at that level.")


class FindingOverview(BaseModel):
    total: int
    by_kind: list[Count]
    by_direction: list[Count]
    by_certainty: list[Count] = Field(description="GRADE certainty; null where not assessed.")


class SideEffectOverview(BaseModel):
    side_effect: SideEffectRef
    reports: int
    frequencies: list[str] = Field(description="As the sources state them.")
    studies: list[StudyRef]
    sources: list[SourceRef]


class ComparatorOverview(BaseModel):
    comparator_type: str | None = Field(description="treatment, placebo, none, or null: unstated.")
    comparator: TreatmentRef | None
    findings: int


class EvidenceSummary(BaseModel):
    """What the evidence says about one treatment, at a glance, every figure linked."""

    treatment: TreatmentRef
    includes: list[TreatmentRef] = Field(
        description="Combinations containing the treatment, whose evidence is counted too."
    )
    studies: StudyOverview
    findings: FindingOverview
    side_effects: list[SideEffectOverview]
    cautions: list[CautionRead]
    comparators: list[ComparatorOverview]
    links: dict[str, str]


class EvidenceGlance(BaseModel):
    """The part of the summary a list of treatments shows for each: its studies and how many
    different side effects were reported."""

    studies: StudyOverview
    side_effects: int


class Comparison(BaseModel):
    treatments: list[EvidenceSummary]
    direct: list[FindingRead] = Field(
        description="Findings in which one of the treatments was compared with another."
    )
