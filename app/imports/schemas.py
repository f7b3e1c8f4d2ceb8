from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from app.citations.formats.detect import ReferenceFormat
from app.models.enums import ImportStatus, OnError
from app.studies.schemas import DataQualityWarningRead


class RecordStatus(StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"
    duplicate = "duplicate"
    rejected = "rejected"


class ImportCounts(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate: int = 0
    rejected: int = 0


class FieldConflict(BaseModel):
    field: str
    stored: Any
    incoming: Any


class RecordReport(BaseModel):
    """What happened to one record of the file."""

    index: int = Field(description="0-based position of the record in the file.")
    line: int | None = Field(
        description="1-based line where it starts, where the format has lines."
    )
    status: RecordStatus
    study_id: int | None = Field(description="The stored study it created, updated or matched.")
    href: str | None
    title: str | None = None
    field: str | None = Field(default=None, description="For a rejection: the field at fault.")
    reason: str | None = Field(default=None, description="For a rejection or duplicate: why.")
    duplicate_of: int | None = Field(
        default=None, description="For a repeat within the file: the index of the first record."
    )
    updated_fields: list[str] = Field(default_factory=list)
    conflicts: list[FieldConflict] = Field(
        default_factory=list, description="Stored values that differ and were kept."
    )
    warnings: list[DataQualityWarningRead] = Field(default_factory=list)


class ImportReport(BaseModel):
    format: ReferenceFormat
    dry_run: bool
    on_error: OnError
    counts: ImportCounts
    records: list[RecordReport]
    resolved: list[str] = Field(
        default_factory=list,
        description="With resolve=true: what Crossref or PubMed filled in, study by study.",
    )


class ImportLinks(BaseModel):
    self: str
    studies: str = Field(description="The studies this import created.")


class ImportRead(BaseModel):
    """An import: its options, progress and, once finished, the per-record report."""

    id: int
    status: ImportStatus
    format: ReferenceFormat
    dry_run: bool
    on_error: OnError
    resolve: bool
    processed: int
    total: int | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    report: ImportReport | None
    links: ImportLinks
