from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, enum_check, utcnow
from app.models.enums import AuditAction


class AuditEntry(Base):
    """One write to one resource: who, when, and each field's old and new value."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        enum_check("action", AuditAction),
        Index("ix_audit_entries_resource_resource_id", "resource", "resource_id", "id"),
        Index("ix_audit_entries_resource_resource_key", "resource", "resource_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[int] = mapped_column(Integer)
    # The slug (or id) the resource had when written, so history outlives renames and deletes.
    resource_key: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL"), index=True
    )
    # The key's name at the time, or "command line"; kept if the key is later deleted.
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
