"""RIS, read by rispy."""

from collections.abc import Iterator
from typing import Any

import rispy

from app.citations.record import RawCitation


def _first(entry: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = entry.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if value:
            return str(value)
    return None


def read(text: str) -> Iterator[RawCitation]:
    for index, entry in enumerate(rispy.loads(text)):
        yield RawCitation(
            key=_first(entry, "id"),
            title=_first(entry, "title", "primary_title"),
            authors=[*entry.get("authors", []), *entry.get("first_authors", [])],
            year=_first(entry, "year", "publication_year"),
            journal=_first(entry, "secondary_title", "journal_name", "alternate_title3"),
            volume=_first(entry, "volume"),
            issue=_first(entry, "number"),
            start_page=_first(entry, "start_page"),
            end_page=_first(entry, "end_page"),
            doi=_first(entry, "doi"),
            url=_first(entry, "urls"),
            abstract=_first(entry, "abstract", "notes_abstract"),
            index=index,
        )
