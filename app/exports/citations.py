"""Studies as reference files: CSV, RIS, BibTeX and CSL-JSON, streamed one record at a time.

Each writer takes the studies as an async iterable (a sync iterable works too) and yields
``str`` chunks: one per record, plus a header (the CSV column row, CSL-JSON's ``[``) and a
footer (CSL-JSON's ``]``) where the format has one. A writer pulls the next study only after
yielding the chunk of the one before, so a database cursor behind it is read as the client
reads; nothing is held but the record being written.

Every format reads back through the project's own readers (``app.citations.formats``) and
normaliser to the same title, authors, year, journal, volume, issue, pages, DOI and PMID:

- RIS is written by rispy's ``RisWriter`` (without its ``1.`` record-number header): ``AU`` in
  order (``Family, Given``, or ``Family,`` alone), ``SP``/``EP`` when the pages are a range,
  the PMID in ``AN`` with ``DB  - PubMed`` (what the RIS reader takes as a PMID), the PMCID
  in ``C2`` (as EndNote writes it) and the study id in ``ID``. Line breaks inside values are
  folded to spaces: a value can never start a tag line of its own.
- BibTeX is written by bibtexparser 2 (``@article{study12, ...}``). Text fields (title,
  journal, abstract, names) escape LaTeX's special characters (``% & # _ $ { } ~ \\``) and
  break the ``--``, ``````, ``''`` ligatures, so LaTeX and the BibTeX reader (pylatexenc) give
  the text back as stored; non-ASCII letters stay UTF-8 (biber, BibLaTeX, Zotero and JabRef
  read it). Identifiers, URLs, volume, issue and pages are never escaped (the reader never
  decodes them); braces in them are percent-encoded, which the DOI normaliser undoes.
- CSL-JSON is one JSON array, streamed as ``[``, items each prefixed by ``,`` after the first,
  ``]``.
- CSV has a header row; text cells that a spreadsheet would run as a formula (starting with
  ``= + - @``, tab or carriage return) get a leading ``'``.
"""

import csv
import io
import math
import re
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import orjson
import rispy
from bibtexparser.entrypoint import write_string
from bibtexparser.library import Library
from bibtexparser.model import Entry, Field

from app.studies.schemas import AuthorRead, StudyRead


class ExportFormat(StrEnum):
    csv = "csv"
    ris = "ris"
    bibtex = "bibtex"
    csl_json = "csl_json"


MEDIA_TYPES: Mapping[ExportFormat, str] = MappingProxyType(
    {
        ExportFormat.csv: "text/csv",
        ExportFormat.ris: "application/x-research-info-systems",
        ExportFormat.bibtex: "application/x-bibtex",
        ExportFormat.csl_json: "application/vnd.citationstyles.csl+json",
    }
)

FILE_EXTENSIONS: Mapping[ExportFormat, str] = MappingProxyType(
    {
        ExportFormat.csv: ".csv",
        ExportFormat.ris: ".ris",
        ExportFormat.bibtex: ".bib",
        ExportFormat.csl_json: ".json",
    }
)

# What ``Accept`` may name for each format: the media types above and their common aliases
# (the same aliases the importer's ``format_for_media_type`` reads).
_ACCEPTED: Mapping[str, ExportFormat] = MappingProxyType(
    {
        **{media_type: fmt for fmt, media_type in MEDIA_TYPES.items()},
        "application/x-ris": ExportFormat.ris,
        "text/x-research-info-systems": ExportFormat.ris,
        "text/x-bibtex": ExportFormat.bibtex,
        "application/citeproc+json": ExportFormat.csl_json,
    }
)

# The media type a caller serves when no export format is preferred.
_DEFAULT_MEDIA_TYPE = "application/json"


def content_type(fmt: ExportFormat) -> str:
    """The ``Content-Type`` header value for ``fmt``: its media type, with the UTF-8 charset
    for the text formats (JSON is UTF-8 by definition and takes no charset)."""
    media_type = MEDIA_TYPES[fmt]
    return media_type if fmt is ExportFormat.csl_json else f"{media_type}; charset=utf-8"


def filename(fmt: ExportFormat, stem: str = "studies") -> str:
    """A download name, e.g. ``studies.bib``, for ``Content-Disposition``."""
    return f"{stem}{FILE_EXTENSIONS[fmt]}"


# --- content negotiation -------------------------------------------------------------------


def _media_ranges(accept: str) -> list[tuple[str, float, int]]:
    """``(media range, q, position)`` for each range of an ``Accept`` header, lower-cased.

    A range whose ``q`` is not a number from 0 to 1 is dropped, as is an empty one.
    """
    ranges: list[tuple[str, float, int]] = []
    for position, part in enumerate(accept.split(",")):
        media_range, *params = part.split(";")
        media_range = media_range.strip().lower()
        if not media_range:
            continue
        q: float | None = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = None
                if q is not None and (math.isnan(q) or not 0.0 <= q <= 1.0):
                    q = None
        if q is not None:
            ranges.append((media_range, q, position))
    return ranges


def preferred_media_type(accept: str | None, offered: Iterable[str]) -> str | None:
    """The media type among ``offered`` that ``accept`` prefers to plain JSON, or ``None``.

    Only an exact (or alias) mention of an offered type selects it: ``*/*``, ``application/*``
    and ``text/*`` are left to the caller's normal JSON. An offered type wins over JSON when its
    ``q`` is higher; on equal ``q`` it wins over a wildcard, and over an explicit
    ``application/json`` when it is listed first. ``q=0`` means "not this one".
    """
    if not accept:
        return None
    offered_set = {media_type.lower() for media_type in offered}
    ranges = _media_ranges(accept)
    # JSON's standing: its most specific matching range decides its q (RFC 9110, 12.5.1).
    json_key: tuple[float, int, int] | None = None
    specificity = {_DEFAULT_MEDIA_TYPE: 2, "application/*": 1, "*/*": 0}
    for media_range, q, position in ranges:
        rank = specificity.get(media_range)
        if rank is not None and (json_key is None or rank > json_key[1]):
            json_key = (q, rank, -position)
    best: tuple[float, int, int] | None = None
    best_type: str | None = None
    for media_range, q, position in ranges:
        if media_range in offered_set and q > 0:
            key = (q, 2, -position)
            if best is None or key > best:
                best, best_type = key, media_range
    if best is None or (json_key is not None and json_key >= best):
        return None
    return best_type


def format_for_accept(accept_header: str | None) -> ExportFormat | None:
    """The export format an ``Accept`` header prefers by its q-values, or ``None`` when it
    prefers (or only allows, by ``*/*``) the API's normal JSON."""
    media_type = preferred_media_type(accept_header, _ACCEPTED)
    return _ACCEPTED[media_type] if media_type is not None else None


# --- shared helpers ------------------------------------------------------------------------

_PAGE_RANGE = re.compile(r"^\s*([A-Za-z]?\d+)\s*[-\u2013\u2014]+\s*([A-Za-z]?\d+)\s*$")


def _one_line(value: str | None) -> str | None:
    """``value`` with every run of whitespace (line breaks included) folded to one space."""
    if value is None:
        return None
    folded = " ".join(value.split())
    return folded or None


def split_pages(pages: str | None) -> tuple[str | None, str | None]:
    """First and last page when ``pages`` is a range, else ``(pages, None)``."""
    if pages is None:
        return None, None
    match = _PAGE_RANGE.match(pages)
    if match is None:
        return _one_line(pages), None
    return match.group(1), match.group(2)


def printed_name(author: AuthorRead) -> str:
    """``Family, Given``, or the family name alone."""
    return f"{author.family}, {author.given}" if author.given else author.family


async def _studies(
    studies: AsyncIterable[StudyRead] | Iterable[StudyRead],
) -> AsyncIterator[StudyRead]:
    if isinstance(studies, AsyncIterable):
        async for study in studies:
            yield study
    else:
        for study in studies:
            yield study


# --- CSV -----------------------------------------------------------------------------------

CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "doi",
    "pmid",
    "pmcid",
    "title",
    "authors",
    "journal",
    "year",
    "volume",
    "issue",
    "pages",
    "url",
    "design",
    "evidence_level",
    "sample_size",
    "warnings",
)
# Separators inside the authors and warnings cells.
AUTHOR_SEPARATOR = "; "
WARNING_SEPARATOR = "; "
# A cell starting with one of these runs as a formula in Excel, LibreOffice and Sheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str | int | None) -> str | int:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return f"'{value}"
    return value


def _csv_line(values: Iterable[str | int]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue()


def csv_header() -> str:
    return _csv_line(CSV_COLUMNS)


def csv_record(study: StudyRead) -> str:
    values: list[str | int | None] = [
        study.id,
        study.doi,
        study.pmid,
        study.pmcid,
        study.title,
        AUTHOR_SEPARATOR.join(printed_name(author) for author in study.authors),
        study.journal,
        study.year,
        study.volume,
        study.issue,
        study.pages,
        study.url,
        study.design.value if study.design is not None else None,
        study.evidence_level,
        study.sample_size,
        WARNING_SEPARATOR.join(warning.code for warning in study.warnings),
    ]
    return _csv_line(_cell(value) for value in values)


async def write_csv(studies: AsyncIterable[StudyRead] | Iterable[StudyRead]) -> AsyncIterator[str]:
    """The header row, then one CSV row per study (RFC 4180: ``\\r\\n`` line ends)."""
    yield csv_header()
    async for study in _studies(studies):
        yield csv_record(study)


# --- RIS -----------------------------------------------------------------------------------


class _RisWriter(rispy.RisWriter):  # type: ignore[misc]  # rispy is untyped
    """rispy's RIS writer without the ``1.`` line it puts before every record (each record
    is written alone, so every one would be numbered 1)."""

    def set_header(self, count: int) -> str:
        return ""


def _ris_name(author: AuthorRead) -> str:
    """``Family, Given``; a family name alone keeps its comma (``Group,``), so that readers
    do not split it as ``Given Family``."""
    family = " ".join(author.family.split())
    given = _one_line(author.given)
    return f"{family}, {given}" if given else f"{family},"


def ris_entry(study: StudyRead) -> dict[str, Any]:
    """The rispy entry (rispy's field names) for ``study``; empty fields are left out."""
    start_page, end_page = split_pages(study.pages)
    entry: dict[str, Any] = {
        "type_of_reference": "JOUR",
        "id": str(study.id),
        "authors": [_ris_name(author) for author in study.authors],
        "title": _one_line(study.title),
        "secondary_title": _one_line(study.journal),
        "year": str(study.year) if study.year is not None else None,
        "volume": _one_line(study.volume),
        "number": _one_line(study.issue),
        "start_page": start_page,
        "end_page": end_page,
        "doi": _one_line(study.doi),
        "accession_number": _one_line(study.pmid),
        "name_of_database": "PubMed" if study.pmid else None,
        "custom2": _one_line(study.pmcid),
        "urls": [url] if (url := _one_line(study.url)) else None,
        "abstract": _one_line(study.abstract),
    }
    return {key: value for key, value in entry.items() if value}


def ris_record(study: StudyRead) -> str:
    """One ``TY`` ... ``ER`` record, followed by a blank line."""
    text: str = rispy.dumps([ris_entry(study)], implementation=_RisWriter)
    return f"{text}\n"


async def write_ris(studies: AsyncIterable[StudyRead] | Iterable[StudyRead]) -> AsyncIterator[str]:
    async for study in _studies(studies):
        yield ris_record(study)


# --- BibTeX --------------------------------------------------------------------------------

_LATEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
}
_LATEX_SPECIAL = re.compile(r"[\\{}$%&#_~]")
# Pairs TeX fonts join into one glyph (-- en dash, `` and '' curly quotes, ?` and !` inverted
# marks); an empty group between the two keeps them apart.
_LIGATURE = re.compile(r"(?<=-)(?=-)|(?<=`)(?=`)|(?<=')(?=')|(?<=[?!])(?=`)")
_NAME_NEEDS_BRACES = re.compile(r",|\band\b", re.IGNORECASE)


def latex_text(value: str) -> str:
    """``value`` as BibTeX text that LaTeX (and the BibTeX reader) gives back unchanged."""
    escaped = _LATEX_SPECIAL.sub(lambda match: _LATEX_ESCAPES[match.group()], value)
    return _LIGATURE.sub("{}", escaped)


def _bibtex_name(author: AuthorRead) -> str:
    """``Family, Given``; a family name alone (or one holding a comma or the word "and") is
    braced, so BibTeX keeps it whole as one family name."""
    family = latex_text(" ".join(author.family.split()))
    if not author.given:
        return f"{{{family}}}"
    given = latex_text(" ".join(author.given.split()))
    if _NAME_NEEDS_BRACES.search(family):
        family = f"{{{family}}}"
    if _NAME_NEEDS_BRACES.search(given):
        given = f"{{{given}}}"
    return f"{family}, {given}"


def _verbatim(value: str | None) -> str | None:
    """A value the BibTeX reader takes as printed (identifiers, URLs, volume, issue, pages):
    never escaped, but braces are percent-encoded (an unbalanced one would end the value; the
    DOI normaliser decodes them)."""
    value = _one_line(value)
    return value.replace("{", "%7B").replace("}", "%7D") if value else None


def _text(value: str | None) -> str | None:
    """A value the BibTeX reader decodes as LaTeX (title, journal, abstract)."""
    value = _one_line(value)
    return latex_text(value) if value else None


def bibtex_key(study: StudyRead) -> str:
    return f"study{study.id}"


def bibtex_entry(study: StudyRead) -> Entry:
    """The bibtexparser ``Entry`` for ``study``; empty fields are left out."""
    start_page, end_page = split_pages(study.pages)
    values = {
        "author": " and ".join(_bibtex_name(author) for author in study.authors),
        "title": _text(study.title),
        "journal": _text(study.journal),
        "year": str(study.year) if study.year is not None else None,
        "volume": _verbatim(study.volume),
        "number": _verbatim(study.issue),
        "pages": _verbatim(f"{start_page}--{end_page}" if end_page else start_page),
        "doi": _verbatim(study.doi),
        "pmid": _verbatim(study.pmid),
        "pmcid": _verbatim(study.pmcid),
        "url": _verbatim(study.url),
        "abstract": _text(study.abstract),
    }
    fields = [Field(key, value) for key, value in values.items() if value]
    return Entry("article", bibtex_key(study), fields)


def bibtex_record(study: StudyRead) -> str:
    """One ``@article`` entry, followed by a blank line."""
    text: str = write_string(Library([bibtex_entry(study)]))
    return f"{text}\n"


async def write_bibtex(
    studies: AsyncIterable[StudyRead] | Iterable[StudyRead],
) -> AsyncIterator[str]:
    async for study in _studies(studies):
        yield bibtex_record(study)


# --- CSL-JSON ------------------------------------------------------------------------------


def csl_item(study: StudyRead) -> dict[str, Any]:
    """The CSL-JSON item for ``study``; empty variables are left out."""
    authors: list[dict[str, str]] = []
    for author in study.authors:
        name = {"family": author.family}
        if author.given:
            name["given"] = author.given
        authors.append(name)
    item: dict[str, Any] = {
        "id": str(study.id),
        "type": "article-journal",
        "title": study.title,
        "author": authors or None,
        "container-title": study.journal,
        "issued": {"date-parts": [[study.year]]} if study.year is not None else None,
        "volume": study.volume,
        "issue": study.issue,
        "page": study.pages,
        "DOI": study.doi,
        "PMID": study.pmid,
        "PMCID": study.pmcid,
        "URL": study.url,
        "abstract": study.abstract,
    }
    return {key: value for key, value in item.items() if value is not None}


def csl_json_record(study: StudyRead) -> str:
    return orjson.dumps(csl_item(study)).decode()


async def write_csl_json(
    studies: AsyncIterable[StudyRead] | Iterable[StudyRead],
) -> AsyncIterator[str]:
    """``[``, then one item per study (each after the first prefixed by ``,``), then ``]``."""
    yield "["
    first = True
    async for study in _studies(studies):
        yield csl_json_record(study) if first else f",{csl_json_record(study)}"
        first = False
    yield "]"


# --- by format -----------------------------------------------------------------------------

Writer = Callable[[AsyncIterable[StudyRead] | Iterable[StudyRead]], AsyncIterator[str]]

WRITERS: Mapping[ExportFormat, Writer] = MappingProxyType(
    {
        ExportFormat.csv: write_csv,
        ExportFormat.ris: write_ris,
        ExportFormat.bibtex: write_bibtex,
        ExportFormat.csl_json: write_csl_json,
    }
)


def stream_citations(
    fmt: ExportFormat, studies: AsyncIterable[StudyRead] | Iterable[StudyRead]
) -> AsyncIterator[str]:
    """The chunks of ``studies`` written as ``fmt``; hand it to a ``StreamingResponse``."""
    return WRITERS[fmt](studies)


async def render_citations(
    fmt: ExportFormat, studies: AsyncIterable[StudyRead] | Iterable[StudyRead]
) -> str:
    """The whole file at once, e.g. for one study."""
    return "".join([chunk async for chunk in stream_citations(fmt, studies)])
