"""The normalised shape every reference format is read into before it is stored."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Author:
    family: str
    given: str | None = None


@dataclass(frozen=True, slots=True)
class DataQualityWarning:
    """A value kept as printed because it could not be safely normalised."""

    code: str
    field: str
    message: str
    value: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "field": self.field,
            "message": self.message,
            "value": self.value,
        }


@dataclass(slots=True)
class RawCitation:
    """A record as a reader found it: strings as printed, nothing checked yet."""

    title: str | None = None
    # Printed names ("Family, Given" or "Given Family"), or names a format already split.
    authors: list["str | Author"] = field(default_factory=list)
    year: str | None = None
    journal: str | None = None
    volume: str | None = None
    issue: str | None = None
    start_page: str | None = None
    end_page: str | None = None
    pages: str | None = None
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    url: str | None = None
    abstract: str | None = None
    key: str | None = None
    # Position in the file, for reports.
    index: int = 0
    line: int | None = None


@dataclass(slots=True)
class Citation:
    """A record that passed validation: identifiers normalised, problems listed."""

    title: str
    authors: list[Author]
    year: int | None
    journal: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    doi: str | None
    pmid: str | None
    pmcid: str | None
    url: str | None
    abstract: str | None
    warnings: list[DataQualityWarning] = field(default_factory=list)

    @property
    def doi_key(self) -> str | None:
        return self.doi.lower() if self.doi else None


@dataclass(frozen=True, slots=True)
class UnreadableRecord:
    """A record a reader found but could not read; reported as rejected, never stored."""

    index: int
    reason: str
    field: str | None = None
    line: int | None = None


class UnreadableFile(ValueError):
    """The file as a whole is not in the declared or detected format (or is not safe to read)."""

    def __init__(self, reason: str, *, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
