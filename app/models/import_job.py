from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin, UTCDateTime, enum_check
from app.models.enums import ImportStatus


class ImportJob(TimestampMixin, Base):
    """One import of one reference file: its options, progress and per-record report."""

    __tablename__ = "import_jobs"
    __table_args__ = (
        enum_check("status", ImportStatus),
        UniqueConstraint("key_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    format: Mapped[str] = mapped_column(String(16))
    dry_run: Mapped[bool] = mapped_column(Boolean)
    on_error: Mapped[str] = mapped_column(String(16))
    # Also fill the imported studies' empty fields from Crossref or PubMed.
    resolve: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL"), index=True
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    # Kept until the job has run, so a job interrupted by a crash can be run again.
    payload: Mapped[str | None] = mapped_column(Text)
    total: Mapped[int | None] = mapped_column(Integer)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
