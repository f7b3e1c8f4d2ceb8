from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin, VersionedMixin, enum_check
from app.models.enums import Severity


class SideEffect(VersionedMixin, TimestampMixin, Base):
    __tablename__ = "side_effects"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)


class SideEffectReport(VersionedMixin, TimestampMixin, Base):
    """A source reporting that a treatment caused a side effect, in its own words."""

    __tablename__ = "side_effect_reports"
    __table_args__ = (enum_check("severity", Severity),)

    id: Mapped[int] = mapped_column(primary_key=True)
    side_effect_id: Mapped[int] = mapped_column(
        ForeignKey("side_effects.id", ondelete="CASCADE"), index=True
    )
    treatment_id: Mapped[int] = mapped_column(
        ForeignKey("treatments.id", ondelete="RESTRICT"), index=True
    )
    study_id: Mapped[int | None] = mapped_column(
        ForeignKey("studies.id", ondelete="RESTRICT"), index=True
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="RESTRICT"), index=True
    )
    frequency: Mapped[str | None] = mapped_column(String(100))
    incidence: Mapped[float | None] = mapped_column(Float)
    severity: Mapped[str | None] = mapped_column(String(16))
    quote: Mapped[str] = mapped_column(Text)
