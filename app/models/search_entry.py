from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class SearchEntry(Base):
    """One searchable resource's text, kept current as the resource changes.

    The engines' own full-text indexes are built over this table by the migration: an FTS5
    table on SQLite, a weighted tsvector column with a GIN index on PostgreSQL.
    """

    __tablename__ = "search_entries"
    __table_args__ = (UniqueConstraint("kind", "ref_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
