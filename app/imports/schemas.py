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


_TITLE = "Topical minoxidil in androgenetic alopecia: a randomised trial"
_TEXT = {"type": "string", "minLength": 1}

# The route reads the raw body (any size, any charset), so FastAPI cannot describe it; this is
# what the document says instead: the formats, each media type that names one, an example.
IMPORT_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "description": "The file. Its media type names the format, unless `format=` does; "
    "text/plain and application/json are sniffed. A `charset` parameter is honoured.",
    "content": {
        "application/x-research-info-systems": {
            "schema": _TEXT,
            "example": f"TY  - JOUR\nTI  - {_TITLE}\nAU  - Doe, Jane\nPY  - 2020\n"
            "JO  - Journal of Hair Research\nDO  - 10.5555/hair.2020.1\nER  - \n",
        },
        "application/x-bibtex": {
            "schema": _TEXT,
            "example": f"@article{{doe2020,\n  title = {{{_TITLE}}},\n  author = {{Doe, Jane}},\n"
            "  journal = {Journal of Hair Research},\n  year = {2020},\n"
            "  doi = {10.5555/hair.2020.2}\n}\n",
        },
        "application/vnd.citationstyles.csl+json": {
            "schema": {"type": "array", "items": {"type": "object"}},
            "example": [
                {
                    "type": "article-journal",
                    "title": _TITLE,
                    "author": [{"family": "Doe", "given": "Jane"}],
                    "issued": {"date-parts": [[2020]]},
                    "container-title": "Journal of Hair Research",
                    "DOI": "10.5555/hair.2020.3",
                }
            ],
        },
        "application/vnd.crossref-api-message+json": {
            "schema": {"type": "object"},
            "example": {
                "status": "ok",
                "message-type": "work",
                "message": {
                    "type": "journal-article",
                    "title": [_TITLE],
                    "author": [{"family": "Doe", "given": "Jane"}],
                    "issued": {"date-parts": [[2020]]},
                    "container-title": ["Journal of Hair Research"],
                    "DOI": "10.5555/hair.2020.4",
                },
            },
        },
        "application/xml": {
            "schema": _TEXT,
            "example": "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>99999990</PMID>"
            f"<Article><ArticleTitle>{_TITLE}</ArticleTitle><Journal><Title>Journal of Hair "
            "Research</Title><JournalIssue><PubDate><Year>2020</Year></PubDate></JournalIssue>"
            "</Journal></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>",
        },
        "application/nbib": {
            "schema": _TEXT,
            "example": f"PMID- 99999991\nTI  - {_TITLE}\nDP  - 2020\nFAU - Doe, Jane\n"
            "JT  - Journal of Hair Research\n",
        },
        "text/plain": {"schema": _TEXT},
        "application/json": {"schema": {"type": ["array", "object"]}},
    },
}
