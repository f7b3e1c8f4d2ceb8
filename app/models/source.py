from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin, VersionedMixin, enum_check
from app.models.enums import SourceKind


class Source(VersionedMixin, TimestampMixin, Base):
    """Where a statement comes from: a study, or a secondary document such as the article."""

    __tablename__ = "sources"
    __table_args__ = (enum_check("kind", SourceKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    study_id: Mapped[int | None] = mapped_column(
        ForeignKey("studies.id", ondelete="CASCADE"), unique=True
    )
    # A stable handle for secondary documents (e.g. "source-article"); studies use study_id.
    key: Mapped[str | None] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(Text)
    publisher: Mapped[str | None] = mapped_column(String(200))
    year: Mapped[int | None] = mapped_column(Integer)
    url: Mapped[str | None] = mapped_column(String(1000))
    note: Mapped[str | None] = mapped_column(Text)
