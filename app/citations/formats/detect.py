"""Which reader a file needs: from its declared media type, else from its first characters."""

import re
from collections.abc import Callable, Iterator, Mapping
from enum import StrEnum
from types import MappingProxyType

from app.citations.formats import bibtex, crossref_json, csl_json, medline, pubmed_xml, ris
from app.citations.formats._common import BOM, ReferenceText, require_text
from app.citations.record import RawCitation, UnreadableFile, UnreadableRecord

Reader = Callable[[str], Iterator[RawCitation | UnreadableRecord]]


class ReferenceFormat(StrEnum):
    ris = "ris"
    bibtex = "bibtex"
    csl_json = "csl_json"
    pubmed_xml = "pubmed_xml"
    medline = "medline"
    crossref_json = "crossref_json"


READERS: Mapping[ReferenceFormat, Reader] = MappingProxyType(
    {
        ReferenceFormat.ris: ris.read,
        ReferenceFormat.bibtex: bibtex.read,
        ReferenceFormat.csl_json: csl_json.read,
        ReferenceFormat.pubmed_xml: pubmed_xml.read,
        ReferenceFormat.medline: medline.read,
        ReferenceFormat.crossref_json: crossref_json.read,
    }
)

# Media types that name one format. Generic ones (application/json, text/plain,
# application/octet-stream) are absent on purpose: the caller sniffs those.
_MEDIA_TYPES: Mapping[str, ReferenceFormat] = MappingProxyType(
    {
        "application/x-research-info-systems": ReferenceFormat.ris,
        "application/x-ris": ReferenceFormat.ris,
        "text/x-research-info-systems": ReferenceFormat.ris,
        "application/x-bibtex": ReferenceFormat.bibtex,
        "text/x-bibtex": ReferenceFormat.bibtex,
        "application/x-biblatex": ReferenceFormat.bibtex,
        "application/vnd.citationstyles.csl+json": ReferenceFormat.csl_json,
        "application/citeproc+json": ReferenceFormat.csl_json,
        "application/vnd.crossref-api-message+json": ReferenceFormat.crossref_json,
        # PubMed XML is the only XML format read here.
        "application/xml": ReferenceFormat.pubmed_xml,
        "text/xml": ReferenceFormat.pubmed_xml,
        "application/nbib": ReferenceFormat.medline,
        "application/x-nbib": ReferenceFormat.medline,
        "text/x-medline": ReferenceFormat.medline,
        "application/x-medline": ReferenceFormat.medline,
    }
)

# How much of the start of a file sniffing looks at.
_HEAD = 64 * 1024
_RIS_START = re.compile(r"^TY  -", re.MULTILINE)
_MEDLINE_START = re.compile(r"^PMID- ", re.MULTILINE)
_BIBTEX_START = re.compile(r"^[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(]", re.MULTILINE)
_PUBMED_ROOT = re.compile(r"<(?:!DOCTYPE\s+)?PubmedArticle(?:Set)?\b")
# Item types only one of the two vocabularies has (Crossref's and CSL's).
_CROSSREF_TYPE = re.compile(
    r'"type"\s*:\s*"(?:journal-article|proceedings-article|book-chapter|posted-content'
    r'|peer-review|journal-issue|reference-entry)"'
)
_CSL_TYPE = re.compile(
    r'"type"\s*:\s*"(?:article-journal|article-magazine|article-newspaper|paper-conference'
    r'|chapter|entry-encyclopedia|entry-dictionary|post-weblog|webpage)"'
)
# Shapes only a Crossref work has: titles in arrays, and its bookkeeping fields.
_CROSSREF_SHAPE = re.compile(
    r'"(?:title|container-title)"\s*:\s*\['
    r'|"(?:reference-count|is-referenced-by-count|short-container-title|deposited|indexed)"\s*:'
)
_CSL_KEY = re.compile(r'"(?:type|title|author|issued|container-title|DOI|id)"\s*:')


def _sniff_json(head: str) -> ReferenceFormat:
    if '"message-type"' in head:
        return ReferenceFormat.crossref_json
    crossref_type, csl_type = _CROSSREF_TYPE.search(head), _CSL_TYPE.search(head)
    if crossref_type or csl_type:
        # Whichever vocabulary the first item uses.
        if csl_type is None or (
            crossref_type is not None and crossref_type.start() < csl_type.start()
        ):
            return ReferenceFormat.crossref_json
        return ReferenceFormat.csl_json
    if _CROSSREF_SHAPE.search(head):
        return ReferenceFormat.crossref_json
    if _CSL_KEY.search(head):
        return ReferenceFormat.csl_json
    raise UnreadableFile("the JSON file is in no supported format (CSL-JSON or Crossref)")


def format_for_media_type(content_type: str | None) -> ReferenceFormat | None:
    """The format a ``Content-Type`` names, or ``None`` when it names no single one."""
    if not content_type:
        return None
    media_type = content_type.partition(";")[0].strip().lower()
    return _MEDIA_TYPES.get(media_type)


def sniff(text: str) -> ReferenceFormat:
    """The format of ``text`` judged by its first characters; ``UnreadableFile`` if none fits."""
    head = text[:_HEAD].removeprefix(BOM).lstrip()
    if not head:
        raise UnreadableFile("the file is empty")
    first = head[0]
    if first in "[{":
        return _sniff_json(head)
    if first == "<":
        if _PUBMED_ROOT.search(head):
            return ReferenceFormat.pubmed_xml
        raise UnreadableFile("the XML file is in no supported format (PubMed XML)")
    # Text formats may open with comments or a header: the earliest record start wins.
    found = [
        (match.start(), fmt)
        for pattern, fmt in (
            (_RIS_START, ReferenceFormat.ris),
            (_MEDLINE_START, ReferenceFormat.medline),
            (_BIBTEX_START, ReferenceFormat.bibtex),
        )
        if (match := pattern.search(head))
    ]
    if not found:
        raise UnreadableFile(
            "the file is in no supported format (RIS, BibTeX, CSL-JSON, PubMed XML, MEDLINE "
            "or Crossref JSON)"
        )
    return min(found)[1]


# Formats read a line or a chunk at a time; the others parse the whole document.
STREAMING_READERS: Mapping[
    ReferenceFormat, Callable[[ReferenceText], Iterator[RawCitation | UnreadableRecord]]
] = MappingProxyType(
    {
        ReferenceFormat.ris: ris.read,
        ReferenceFormat.medline: medline.read,
        ReferenceFormat.pubmed_xml: pubmed_xml.read,
    }
)
STREAMED = frozenset(STREAMING_READERS)


def read_references(
    text: ReferenceText, fmt: ReferenceFormat
) -> Iterator[RawCitation | UnreadableRecord]:
    """The records of ``text`` (the whole text, or a file from ``open_text``) read as
    ``fmt``, in file order.

    Readers stream: ``UnreadableFile`` can be raised after some records were yielded (a file
    truncated part-way), so a caller treats it as failing the whole file.
    """
    if isinstance(text, str):
        require_text(text)
    else:
        head = text.read(_HEAD)
        text.seek(0)
        if len(head) < _HEAD:
            require_text(head)
    try:
        if fmt in STREAMED:
            yield from STREAMING_READERS[fmt](text)
        else:
            yield from READERS[fmt](text if isinstance(text, str) else text.read())
    except UnicodeDecodeError as error:  # a file read as it goes: bad bytes part-way
        raise UnreadableFile(f"not UTF-8 text ({error.reason})") from None
