from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin, VersionedMixin, enum_check
from app.models.enums import Certainty, ComparatorType, Direction, EffectMeasure, FindingKind


class Finding(VersionedMixin, TimestampMixin, Base):
    """What a study found about a treatment, with the verbatim words of the source stating it."""

    __tablename__ = "findings"
    __table_args__ = (
        enum_check("kind", FindingKind),
        enum_check("comparator_type", ComparatorType),
        enum_check("direction", Direction),
        enum_check("certainty", Certainty),
        enum_check("effect_measure", EffectMeasure),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    # None when the source states it without citing a study.
    study_id: Mapped[int | None] = mapped_column(
        ForeignKey("studies.id", ondelete="RESTRICT"), index=True
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="RESTRICT"), index=True
    )
    intervention_id: Mapped[int] = mapped_column(
        ForeignKey("treatments.id", ondelete="RESTRICT"), index=True
    )
    # None when the source does not say what the intervention was compared with.
    comparator_type: Mapped[str | None] = mapped_column(String(16), index=True)
    comparator_id: Mapped[int | None] = mapped_column(
        ForeignKey("treatments.id", ondelete="RESTRICT"), index=True
    )
    condition_id: Mapped[int | None] = mapped_column(
        ForeignKey("conditions.id", ondelete="RESTRICT"), index=True
    )
    outcome: Mapped[str | None] = mapped_column(String(300), index=True)
    direction: Mapped[str] = mapped_column(String(16), index=True)
    certainty: Mapped[str | None] = mapped_column(String(16), index=True)
    summary: Mapped[str | None] = mapped_column(Text)
    quote: Mapped[str] = mapped_column(Text)

    # Numbers, each left empty unless the source states it.
    effect_measure: Mapped[str | None] = mapped_column(String(8))
    effect_value: Mapped[float | None] = mapped_column(Float)
    ci_lower: Mapped[float | None] = mapped_column(Float)
    ci_upper: Mapped[float | None] = mapped_column(Float)
    standard_error: Mapped[float | None] = mapped_column(Float)
    p_value: Mapped[float | None] = mapped_column(Float)
    n_intervention: Mapped[int | None] = mapped_column(Integer)
    n_comparator: Mapped[int | None] = mapped_column(Integer)
    events_intervention: Mapped[int | None] = mapped_column(Integer)
    events_comparator: Mapped[int | None] = mapped_column(Integer)
    mean_intervention: Mapped[float | None] = mapped_column(Float)
    sd_intervention: Mapped[float | None] = mapped_column(Float)
    mean_comparator: Mapped[float | None] = mapped_column(Float)
    sd_comparator: Mapped[float | None] = mapped_column(Float)
    time_point: Mapped[str | None] = mapped_column(String(100))
