from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, VersionedMixin, enum_check
from app.models.enums import Blinding, StudyDesign


class Study(VersionedMixin, TimestampMixin, Base):
    """One citation, with what is known of the study behind it."""

    __tablename__ = "studies"
    __table_args__ = (
        enum_check("design", StudyDesign),
        enum_check("blinding", Blinding),
        Index("ix_studies_title_key_year", "title_key", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # DOIs compare without regard to case: doi keeps the spelling, doi_key the lowered form.
    doi: Mapped[str | None] = mapped_column(String(300))
    doi_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    pmid: Mapped[str | None] = mapped_column(String(20), unique=True)
    pmcid: Mapped[str | None] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(Text)
    # Case, punctuation and spacing folded away: how probable duplicates are recognised.
    title_key: Mapped[str] = mapped_column(String(500))
    journal: Mapped[str | None] = mapped_column(String(300))
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    volume: Mapped[str | None] = mapped_column(String(40))
    issue: Mapped[str | None] = mapped_column(String(40))
    pages: Mapped[str | None] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(String(1000))
    abstract: Mapped[str | None] = mapped_column(Text)
    design: Mapped[str | None] = mapped_column(String(32), index=True)
    pilot: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    species: Mapped[str | None] = mapped_column(String(60), index=True)
    sample_size: Mapped[int | None] = mapped_column(Integer)
    duration_weeks: Mapped[float | None]
    blinding: Mapped[str | None] = mapped_column(String(32))
    evidence_level: Mapped[int | None] = mapped_column(Integer, index=True)
    retracted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The import that created the study, if one did.
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="SET NULL"), index=True
    )
    # Problems found while normalising the citation, kept as printed rather than "fixed".
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    authors: Mapped[list["StudyAuthor"]] = relationship(
        back_populates="study",
        cascade="all, delete-orphan",
        order_by="StudyAuthor.position",
        lazy="raise",
    )


class StudyAuthor(Base):
    __tablename__ = "study_authors"
    __table_args__ = (UniqueConstraint("study_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    family: Mapped[str] = mapped_column(String(200))
    given: Mapped[str | None] = mapped_column(String(200))

    study: Mapped[Study] = relationship(back_populates="authors", lazy="raise")
