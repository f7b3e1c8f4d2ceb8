from pydantic import BaseModel, ConfigDict, Field

from app.links import ConditionRef, SourceRef, StudyRef, TreatmentRef
from app.models.enums import Certainty, ComparatorType, Direction, EffectMeasure, FindingKind


class FindingNumbers(BaseModel):
    """Numbers as the source reports them; each is null unless the source states it."""

    effect_measure: EffectMeasure | None = None
    effect_value: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    standard_error: float | None = None
    p_value: float | None = None
    n_intervention: int | None = None
    n_comparator: int | None = None
    events_intervention: int | None = None
    events_comparator: int | None = None
    mean_intervention: float | None = None
    sd_intervention: float | None = None
    mean_comparator: float | None = None
    sd_comparator: float | None = None
    time_point: str | None = None


class FindingLinks(BaseModel):
    self: str
    study: str | None
    source: str
    intervention: str
    comparator: str | None
    condition: str | None


class FindingRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 4,
                "kind": "efficacy",
                "intervention": {
                    "slug": "minoxidil-microneedling",
                    "name": "Minoxidil with microneedling",
                    "href": "/v1/treatments/minoxidil-microneedling",
                },
                "comparator_type": "treatment",
                "comparator": {
                    "slug": "minoxidil",
                    "name": "Minoxidil",
                    "href": "/v1/treatments/minoxidil",
                },
                "outcome": "total hair count",
                "direction": "benefit",
                "certainty": None,
                "quote": "One study found that applying topical minoxidil following "
                "microneedling was significantly more effective at increasing the total hair "
                "count, compared to topical minoxidil alone (Kumar et al, 2018).",
            }
        }
    )

    id: int
    kind: FindingKind
    study: StudyRef | None = Field(description="The cited study; null if the source cites none.")
    source: SourceRef = Field(description="The document that states the finding.")
    intervention: TreatmentRef
    comparator_type: ComparatorType | None = Field(
        description="What the intervention was compared with; null if the source does not say."
    )
    comparator: TreatmentRef | None
    condition: ConditionRef | None
    outcome: str | None
    direction: Direction
    certainty: Certainty | None = Field(description="GRADE certainty, if assessed.")
    summary: str | None
    quote: str = Field(description="The source's own words, verbatim.")
    numbers: FindingNumbers
    links: FindingLinks
