"""CSL-JSON (citeproc JSON: a JSON array of items, or one item), parsed by orjson.

Each item is checked against a pydantic model of the fields read here (unknown fields are
ignored); an item whose fields have the wrong JSON types becomes ``UnreadableRecord`` naming
the field. CSL allows numbers where strings are usual (volume, issue, page, PMID): they are
passed on as printed. JSON has no streaming parser among orjson and the standard library, so
the document is parsed whole; each item is released as soon as it has been read.
"""

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.citations.formats._common import invalid_item, json_type, load_json
from app.citations.record import Author, RawCitation, UnreadableFile, UnreadableRecord


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Name(_Model):
    family: str | None = None
    given: str | None = None
    literal: str | None = None
    non_dropping_particle: str | None = Field(None, alias="non-dropping-particle")
    dropping_particle: str | None = Field(None, alias="dropping-particle")
    suffix: str | None = None


class _Date(_Model):
    date_parts: list[list[int | str | None]] | None = Field(None, alias="date-parts")
    raw: str | None = None
    literal: str | None = None


class _Item(_Model):
    id: str | int | None = None
    title: str | None = None
    author: list[_Name] | None = None
    issued: _Date | None = None
    container_title: str | list[str] | None = Field(None, alias="container-title")
    container_title_short: str | list[str] | None = Field(None, alias="container-title-short")
    journal_abbreviation: str | None = Field(None, alias="journalAbbreviation")
    volume: str | int | None = None
    issue: str | int | None = None
    page: str | int | None = None
    page_first: str | int | None = Field(None, alias="page-first")
    doi: str | None = Field(None, alias="DOI")
    pmid: str | int | None = Field(None, alias="PMID")
    pmcid: str | None = Field(None, alias="PMCID")
    url: str | None = Field(None, alias="URL")
    abstract: str | None = None


# CSL variable -> RawCitation field, for naming the field of an unreadable item.
_FIELDS = {
    "id": "key",
    "title": "title",
    "author": "authors",
    "issued": "year",
    "container-title": "journal",
    "container-title-short": "journal",
    "journalAbbreviation": "journal",
    "volume": "volume",
    "issue": "issue",
    "page": "pages",
    "page-first": "start_page",
    "DOI": "doi",
    "PMID": "pmid",
    "PMCID": "pmcid",
    "URL": "url",
    "abstract": "abstract",
}


def _printed(value: str | int | None) -> str | None:
    if value is None:
        return None
    printed = str(value)
    return printed if printed.strip() else None


def _one(value: str | list[str] | None) -> str | None:
    if isinstance(value, list):
        value = next((item for item in value if item.strip()), None)
    return _printed(value)


def _author(name: _Name) -> Author:
    if name.literal and not name.family:
        return Author(name.literal)
    family = " ".join(
        part for part in (name.non_dropping_particle, name.family, name.suffix) if part
    )
    given = " ".join(part for part in (name.given, name.dropping_particle) if part)
    return Author(family, given or None)


def _year(date: _Date | None) -> str | None:
    if date is None:
        return None
    if date.date_parts and date.date_parts[0] and date.date_parts[0][0] is not None:
        return _printed(date.date_parts[0][0])
    return _printed(date.raw) or _printed(date.literal)


def _citation(item: _Item, index: int) -> RawCitation:
    return RawCitation(
        key=_printed(item.id),
        title=_printed(item.title),
        authors=[_author(name) for name in item.author or []],
        year=_year(item.issued),
        journal=(
            _one(item.container_title)
            or _one(item.container_title_short)
            or _printed(item.journal_abbreviation)
        ),
        volume=_printed(item.volume),
        issue=_printed(item.issue),
        pages=_printed(item.page),
        start_page=_printed(item.page_first),
        doi=_printed(item.doi),
        pmid=_printed(item.pmid),
        pmcid=_printed(item.pmcid),
        url=_printed(item.url),
        abstract=_printed(item.abstract),
        index=index,
    )


def read(text: str) -> Iterator[RawCitation | UnreadableRecord]:
    document = load_json(text)
    items: list[Any]
    if isinstance(document, list):
        items = document
    elif isinstance(document, dict):
        if "message-type" in document:
            raise UnreadableFile("not CSL-JSON: this is a Crossref API response")
        items = [document]
    else:
        raise UnreadableFile("not CSL-JSON: expected an array of items or one item object")
    for index, raw in enumerate(items):
        items[index] = None  # let each item go once read
        if not isinstance(raw, dict):
            yield UnreadableRecord(index, f"the item is a JSON {json_type(raw)}, not an object")
            continue
        try:
            item = _Item.model_validate(raw)
        except ValidationError as exc:
            yield invalid_item(exc, index, _FIELDS)
            continue
        yield _citation(item, index)
