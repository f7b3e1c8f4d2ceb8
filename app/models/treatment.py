from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, VersionedMixin, enum_check
from app.models.enums import TreatmentKind, TreatmentSetting


class Treatment(VersionedMixin, TimestampMixin, Base):
    __tablename__ = "treatments"
    __table_args__ = (
        enum_check("kind", TreatmentKind),
        enum_check("setting", TreatmentSetting),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    mechanism: Mapped[str | None] = mapped_column(Text)
    setting: Mapped[str | None] = mapped_column(String(32), index=True)

    aliases: Mapped[list["TreatmentAlias"]] = relationship(
        back_populates="treatment",
        cascade="all, delete-orphan",
        order_by="TreatmentAlias.alias",
        lazy="raise",
    )
    components: Mapped[list["Treatment"]] = relationship(
        secondary="treatment_components",
        primaryjoin="Treatment.id == TreatmentComponent.combination_id",
        secondaryjoin="Treatment.id == TreatmentComponent.component_id",
        lazy="raise",
    )


class TreatmentAlias(Base):
    __tablename__ = "treatment_aliases"
    __table_args__ = (UniqueConstraint("alias"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    treatment_id: Mapped[int] = mapped_column(
        ForeignKey("treatments.id", ondelete="CASCADE"), index=True
    )
    alias: Mapped[str] = mapped_column(String(200))

    treatment: Mapped[Treatment] = relationship(back_populates="aliases", lazy="raise")


class TreatmentComponent(Base):
    """Links a combination treatment to each treatment it combines."""

    __tablename__ = "treatment_components"
    __table_args__ = (Index("ix_treatment_components_component_id", "component_id"),)

    combination_id: Mapped[int] = mapped_column(
        ForeignKey("treatments.id", ondelete="CASCADE"), primary_key=True
    )
    component_id: Mapped[int] = mapped_column(
        ForeignKey("treatments.id", ondelete="RESTRICT"), primary_key=True
    )
