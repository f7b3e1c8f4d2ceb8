from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.fields import Label, LongText, ShortText, Slug
from app.links import ConditionRef, SourceRef, StudyRef, TreatmentRef
from app.models.enums import Certainty, ComparatorType, Direction, EffectMeasure, FindingKind
from app.params import MAX_ID


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


_RATIO_MEASURES = (EffectMeasure.risk_ratio, EffectMeasure.odds_ratio)
Count = Annotated[int, Field(ge=0, le=100_000_000, strict=True)]
Number = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12, strict=True)]
ArmSize = Annotated[int, Field(ge=1, le=100_000_000, strict=True)]
Spread = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False, strict=True)]


class FindingNumbersPatch(BaseModel):
    """Numbers as the source reports them: an estimate with its measure and a confidence
    interval or standard error, and/or each arm's events and totals or mean, SD and size."""

    model_config = ConfigDict(extra="forbid")

    effect_measure: EffectMeasure | None = None
    effect_value: Number | None = None
    ci_lower: Number | None = None
    ci_upper: Number | None = None
    standard_error: (
        Annotated[float, Field(gt=0, le=1e12, allow_inf_nan=False, strict=True)] | None
    ) = None
    p_value: Annotated[float, Field(ge=0, le=1, strict=True)] | None = None
    n_intervention: ArmSize | None = None
    n_comparator: ArmSize | None = None
    events_intervention: Count | None = None
    events_comparator: Count | None = None
    mean_intervention: Number | None = None
    sd_intervention: Spread | None = None
    mean_comparator: Number | None = None
    sd_comparator: Spread | None = None
    time_point: Label | None = None


class FindingNumbersIn(FindingNumbersPatch):
    """The numbers of a finding, checked for consistency as a whole."""

    @model_validator(mode="after")
    def _consistent(self) -> "FindingNumbersIn":
        estimate = (self.effect_value, self.ci_lower, self.ci_upper, self.standard_error)
        if any(value is not None for value in estimate) and self.effect_measure is None:
            raise ValueError("effect_measure is required with an effect estimate")
        if self.ci_lower is not None and self.ci_upper is not None:
            if self.ci_lower > self.ci_upper:
                raise ValueError("ci_lower is above ci_upper")
            if self.effect_value is not None and not (
                self.ci_lower <= self.effect_value <= self.ci_upper
            ):
                raise ValueError("effect_value lies outside its confidence interval")
        if self.effect_measure in _RATIO_MEASURES:
            for name in ("effect_value", "ci_lower", "ci_upper"):
                value = getattr(self, name)
                if value is not None and value <= 0:
                    raise ValueError(f"{name} of a ratio ({self.effect_measure}) must be positive")
        for arm in ("intervention", "comparator"):
            events, total = getattr(self, f"events_{arm}"), getattr(self, f"n_{arm}")
            if events is not None and total is not None and events > total:
                raise ValueError(f"events_{arm} exceeds n_{arm}")
        return self


class FindingCreate(BaseModel):
    """A finding: what a study found about a treatment, in the source's own words. Without
    `source_id`, the study's own source states it; one of the two is required."""

    model_config = ConfigDict(extra="forbid")

    kind: FindingKind
    study_id: int | None = Field(default=None, ge=1, le=MAX_ID, strict=True)
    source_id: int | None = Field(default=None, ge=1, le=MAX_ID, strict=True)
    intervention: Slug
    comparator_type: ComparatorType | None = None
    comparator: Slug | None = Field(default=None, description="With comparator_type=treatment.")
    condition: Slug | None = None
    outcome: ShortText | None = None
    direction: Direction
    certainty: Certainty | None = None
    summary: LongText | None = None
    quote: LongText
    numbers: FindingNumbersIn = Field(default_factory=FindingNumbersIn)


class FindingUpdate(BaseModel):
    """Only the fields sent are changed (inside `numbers` too); null clears an optional field."""

    model_config = ConfigDict(extra="forbid")

    kind: FindingKind | None = None
    study_id: int | None = Field(default=None, ge=1, le=MAX_ID, strict=True)
    source_id: int | None = Field(default=None, ge=1, le=MAX_ID, strict=True)
    intervention: Slug | None = None
    comparator_type: ComparatorType | None = None
    comparator: Slug | None = None
    condition: Slug | None = None
    outcome: ShortText | None = None
    direction: Direction | None = None
    certainty: Certainty | None = None
    summary: LongText | None = None
    quote: LongText | None = None
    numbers: FindingNumbersPatch | None = Field(
        default=None, description="Merged into the stored numbers, then checked as a whole."
    )
