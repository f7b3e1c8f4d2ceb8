"""Crossref REST API works JSON, parsed by orjson.

Accepted shapes: one work (``{"status": "ok", "message-type": "work", "message": {...}}``),
a work list (``{"message-type": "work-list", "message": {"items": [...]}}``), a bare array of
work items, or one bare work object. Items are checked against a pydantic model of the
fields read here (unknown fields ignored); an item with wrongly typed fields becomes
``UnreadableRecord`` naming the field.

Abstracts are JATS XML fragments (``<jats:p>...</jats:p>``), often with undeclared namespace
prefixes and HTML entities, so they are not well-formed XML: their text is taken with lxml's
HTML parser, which loads no DTD, resolves no external entity and touches no network. Block
elements are kept apart by a space and a leading "Abstract" heading is dropped.
"""

from collections.abc import Iterator
from typing import Any

from lxml import etree, html
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.citations.formats._common import invalid_item, json_type, load_json
from app.citations.record import Author, RawCitation, UnreadableFile, UnreadableRecord


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Name(_Model):
    family: str | None = None
    given: str | None = None
    name: str | None = None  # an organisation
    suffix: str | None = None


class _Date(_Model):
    date_parts: list[list[int | str | None]] | None = Field(None, alias="date-parts")


class _Work(_Model):
    title: list[str] | str | None = None
    author: list[_Name] | None = None
    issued: _Date | None = None
    published_print: _Date | None = Field(None, alias="published-print")
    published_online: _Date | None = Field(None, alias="published-online")
    published: _Date | None = None
    container_title: list[str] | str | None = Field(None, alias="container-title")
    short_container_title: list[str] | str | None = Field(None, alias="short-container-title")
    volume: str | int | None = None
    issue: str | int | None = None
    page: str | int | None = None
    doi: str | None = Field(None, alias="DOI")
    url: str | None = Field(None, alias="URL")
    abstract: str | None = None


_FIELDS = {
    "title": "title",
    "author": "authors",
    "issued": "year",
    "published-print": "year",
    "published-online": "year",
    "published": "year",
    "container-title": "journal",
    "short-container-title": "journal",
    "volume": "volume",
    "issue": "issue",
    "page": "pages",
    "DOI": "doi",
    "URL": "url",
    "abstract": "abstract",
}

_BLOCKS = frozenset({"p", "title", "sec", "list-item", "label", "caption", "disp-quote"})


def _printed(value: str | int | None) -> str | None:
    if value is None:
        return None
    printed = str(value)
    return printed if printed.strip() else None


def _one(value: list[str] | str | None) -> str | None:
    if isinstance(value, list):
        value = next((item for item in value if item.strip()), None)
    return _printed(value)


def _author(name: _Name) -> Author:
    if name.name and not name.family:
        return Author(name.name)
    family = " ".join(part for part in (name.family, name.suffix) if part)
    return Author(family, name.given or None)


def _year(work: _Work) -> str | None:
    for date in (work.issued, work.published_print, work.published_online, work.published):
        if date and date.date_parts and date.date_parts[0] and date.date_parts[0][0] is not None:
            return _printed(date.date_parts[0][0])
    return None


def jats_text(fragment: str) -> str | None:
    """The text of a JATS (or HTML) abstract, markup dropped, blocks kept apart."""
    if "<" not in fragment and "&" not in fragment:
        return fragment if fragment.strip() else None
    try:
        root = html.fragment_fromstring(fragment, create_parent="div")
    except etree.ParserError:
        return None
    for element in root.iter():
        if not isinstance(element.tag, str):  # comments, processing instructions
            continue
        name = element.tag.rpartition(":")[2]
        if name == "title" and (element.text or "").strip().lower() == "abstract":
            element.text = None
        if name in _BLOCKS:
            element.tail = " " + (element.tail or "")
    text: str = root.text_content().strip()
    return text or None


def _citation(work: _Work, index: int) -> RawCitation:
    return RawCitation(
        title=_one(work.title),
        authors=[_author(name) for name in work.author or []],
        year=_year(work),
        journal=_one(work.container_title) or _one(work.short_container_title),
        volume=_printed(work.volume),
        issue=_printed(work.issue),
        pages=_printed(work.page),
        doi=_printed(work.doi),
        url=_printed(work.url),
        abstract=jats_text(work.abstract) if work.abstract else None,
        index=index,
    )


def _items(document: Any) -> list[Any]:
    if isinstance(document, list):
        return document
    if not isinstance(document, dict):
        raise UnreadableFile("not Crossref JSON: expected an API response, or work items")
    if "message" not in document:
        if "DOI" in document:
            return [document]  # one bare work
        raise UnreadableFile("not Crossref JSON: no 'message' and no work 'DOI'")
    status = document.get("status", "ok")
    if status != "ok":
        raise UnreadableFile(f"the Crossref response reports status {status!r}, not 'ok'")
    kind = document.get("message-type")
    message = document["message"]
    if kind == "work" and isinstance(message, dict):
        return [message]
    if kind == "work-list" and isinstance(message, dict) and isinstance(message.get("items"), list):
        items: list[Any] = message["items"]
        return items
    raise UnreadableFile(f"not Crossref works: the message type is {kind!r}")


def read(text: str) -> Iterator[RawCitation | UnreadableRecord]:
    items = _items(load_json(text))
    for index, raw in enumerate(items):
        items[index] = None  # let each item go once read
        if not isinstance(raw, dict):
            yield UnreadableRecord(index, f"the item is a JSON {json_type(raw)}, not an object")
            continue
        try:
            work = _Work.model_validate(raw)
        except ValidationError as exc:
            yield invalid_item(exc, index, _FIELDS)
            continue
        yield _citation(work, index)
