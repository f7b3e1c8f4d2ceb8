from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin, VersionedMixin, enum_check
from app.models.enums import CautionLevel


class Caution(VersionedMixin, TimestampMixin, Base):
    """A warning against using one treatment with another, from a source."""

    __tablename__ = "cautions"
    __table_args__ = (
        enum_check("level", CautionLevel),
        UniqueConstraint("treatment_id", "other_treatment_id", "source_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    treatment_id: Mapped[int] = mapped_column(ForeignKey("treatments.id", ondelete="CASCADE"))
    other_treatment_id: Mapped[int] = mapped_column(
        ForeignKey("treatments.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="RESTRICT"), index=True
    )
    level: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    quote: Mapped[str] = mapped_column(Text)
