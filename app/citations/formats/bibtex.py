"""BibTeX and BibLaTeX, read by bibtexparser 2.

The parse stack is the library's default (``@string`` resolution, enclosing braces and quotes
removed) plus its field-key normalisation, its co-author separation and its BibTeX name
splitting (``von Last, Jr, First``), then the library's LaTeX decoder (pylatexenc) applied
only where LaTeX is text: title, journal, abstract and each part of every name. Names are split
before decoding, so that a braced corporate name (``{World Health Organization}``) stays one
family name. Identifiers and URLs are never decoded: ``%`` and ``_`` are literal in them.

LaTeX decoding is pylatexenc's and slow (about 0.3 ms a value), so plain values skip it,
values whose only markup is case-protecting braces (``{DNA} repair``) just lose the braces (what
the decoder does with them), and decoded values are cached: names and journals repeat.

Blocks bibtexparser cannot read (syntax errors, duplicate keys, names it cannot split) become
``UnreadableRecord`` with their line; reading goes on with the next block.

Streaming: ``parse_string`` splits a whole text at once and keeps every block, so the text is
handed to it in pieces of about 256 KB, cut only before a line that opens a block
(``@type{``). bibtexparser itself ends any block at such a line (its error recovery), so the
cuts never change what it reads. ``@string`` macros carry over through the ``library``
argument, which the library provides for incremental parsing; duplicate entry keys across
pieces are caught here as bibtexparser catches them within one.
"""

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from bibtexparser.entrypoint import parse_string
from bibtexparser.exceptions import BlockAbortedException
from bibtexparser.library import Library
from bibtexparser.middlewares import (
    LatexDecodingMiddleware,
    NameParts,
    NormalizeFieldKeys,
    RemoveEnclosingMiddleware,
    ResolveStringReferencesMiddleware,
    SeparateCoAuthors,
    SplitNameParts,
)
from bibtexparser.middlewares.middleware import Middleware
from bibtexparser.middlewares.names import InvalidNameError
from bibtexparser.model import (
    Block,
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    MiddlewareErrorBlock,
    ParsingFailedBlock,
    String,
)

from app.citations.formats._common import BOM, require_text
from app.citations.record import Author, RawCitation, UnreadableFile, UnreadableRecord

_TEXT_FIELDS = frozenset({"title", "journal", "journaltitle", "abstract", "author"})
# What makes a value LaTeX rather than plain text; plain values skip the decoder.
_LATEX = re.compile(r"[\\{}$~]|--|``|''")
# LaTeX other than braces: a value without it only needs its braces dropped.
_LATEX_BEYOND_BRACES = re.compile(r"[\\$~]|--|``|''")
_NO_BRACES = str.maketrans("", "", "{}")
# Unescaped, these are literal in exported .bib values; to LaTeX, % starts a comment (losing
# the rest of a title) and & is an alignment tab (dropped).
_BARE_SPECIAL = re.compile(r"(?<!\\)[%&#]")
# A line that opens a block: where bibtexparser ends any unfinished block (see the docstring).
_BLOCK_START = re.compile(r"^[ \t]*@\w*[ \t]*[{(]", re.MULTILINE)
_PIECE = 256 * 1024
_BLOCK_TYPE = re.compile(r"\s*@\s*(\w+)")
_NOT_ENTRIES = frozenset({"string", "comment", "preamble"})
# A piece ends before a line that opens a block, so an entry still open there is one the next
# block interrupts (bibtexparser: "Unexpected block start"), not one the end of the file cuts.
_CUT_OPEN = "the entry is not closed when the next block starts"
# BibTeX field -> RawCitation field, for naming the field of an unreadable entry.
_FIELDS = {
    "title": "title",
    "author": "authors",
    "year": "year",
    "date": "year",
    "journal": "journal",
    "journaltitle": "journal",
    "volume": "volume",
    "number": "issue",
    "issue": "issue",
    "pages": "pages",
    "doi": "doi",
    "pmid": "pmid",
    "eprint": "pmid",
    "pmcid": "pmcid",
    "url": "url",
    "abstract": "abstract",
}


class _DecodeTextFields(LatexDecodingMiddleware):
    """The library's LaTeX decoding, limited to the fields read as text.

    The stock middleware decodes every string field (turning ``%2F`` in a DOI or URL into a
    comment) and skips split names (a list of ``NameParts``); this one decodes title, journal
    and abstract, and every part of every split name.
    """

    def __init__(self) -> None:
        super().__init__(allow_inplace_modification=True)
        self._cached = lru_cache(maxsize=1 << 16)(self._decode_latex)

    def _decode_latex(self, value: str) -> tuple[str, str]:
        if not _LATEX_BEYOND_BRACES.search(value):
            return value.translate(_NO_BRACES), ""
        return self._transform_python_value_string(_BARE_SPECIAL.sub(r"\\\g<0>", value))

    def _decode(self, value: str, errors: list[str]) -> str:
        if not _LATEX.search(value):
            return value
        decoded, error = self._cached(value)
        if error:
            errors.append(error)
        return decoded

    def transform_entry(self, entry: Entry, library: Library) -> Block:
        errors: list[str] = []
        for field in entry.fields:
            if field.key not in _TEXT_FIELDS:
                continue
            value = field.value
            if isinstance(value, str):
                field.value = self._decode(value, errors)
            elif isinstance(value, list):
                for name in value:
                    if isinstance(name, NameParts):
                        name.first = [self._decode(part, errors) for part in name.first]
                        name.von = [self._decode(part, errors) for part in name.von]
                        name.last = [self._decode(part, errors) for part in name.last]
                        name.jr = [self._decode(part, errors) for part in name.jr]
        if errors:
            return MiddlewareErrorBlock(entry, ValueError("; ".join(errors)))
        return entry


# Shared by every read: it holds no state but its cache of decoded values.
_DECODER = _DecodeTextFields()


def _parse_stack() -> list[Middleware]:
    return [
        ResolveStringReferencesMiddleware(allow_inplace_modification=True),
        RemoveEnclosingMiddleware(allow_inplace_modification=True),
        NormalizeFieldKeys(allow_inplace_modification=True),
        SeparateCoAuthors(allow_inplace_modification=True),
        SplitNameParts(allow_inplace_modification=True),
        _DECODER,
    ]


def _text(fields: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = fields.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _author(name: NameParts) -> Author:
    family = " ".join([*name.von, *name.last, *name.jr])
    given = " ".join(name.first) or None
    return Author(family, given)


def _authors(value: Any) -> list[str | Author]:
    if value is None:
        return []
    if isinstance(value, list):
        return [_author(name) if isinstance(name, NameParts) else str(name) for name in value]
    return [str(value)]


def _eprint(fields: dict[str, Any], *types: str) -> str | None:
    kind = (_text(fields, "eprinttype", "archiveprefix") or "").strip().lower()
    return _text(fields, "eprint") if kind in types else None


def _citation(entry: Entry, index: int, line: int | None) -> RawCitation:
    # Entry.fields_dict builds a new dict on every access: build it once.
    fields = {field.key: field.value for field in entry.fields}
    return RawCitation(
        key=entry.key,
        title=_text(fields, "title"),
        authors=_authors(fields.get("author")),
        year=_text(fields, "year", "date"),
        journal=_text(fields, "journal", "journaltitle"),
        volume=_text(fields, "volume"),
        issue=_text(fields, "number", "issue"),
        pages=_text(fields, "pages"),
        doi=_text(fields, "doi"),
        pmid=_text(fields, "pmid") or _eprint(fields, "pubmed", "pmid"),
        pmcid=_text(fields, "pmcid") or _eprint(fields, "pmc", "pmcid"),
        url=_text(fields, "url"),
        abstract=_text(fields, "abstract"),
        index=index,
        line=line,
    )


def _failure(block: ParsingFailedBlock, index: int, line: int | None) -> UnreadableRecord:
    error = block.error
    field: str | None = None
    if isinstance(block, DuplicateBlockKeyBlock):
        return _duplicate(block.key, index, line)
    if isinstance(block, DuplicateFieldKeyBlock):
        keys = sorted(block.duplicate_keys)
        field = next((_FIELDS[key] for key in keys if key in _FIELDS), None)
        reason = f"the entry repeats the field(s) {', '.join(keys)}"
    elif isinstance(error, InvalidNameError):
        field = "authors"
        reason = f"cannot split the name {error.name!r}: {error.reason}"
    else:
        reason = getattr(error, "abort_reason", None) or str(error) or type(error).__name__
        reason = " ".join(reason.split())
    return UnreadableRecord(index, reason, field=field, line=line)


def _is_entry(block: ParsingFailedBlock) -> bool:
    match = _BLOCK_TYPE.match(block.raw or "")
    return match is None or match.group(1).lower() not in _NOT_ENTRIES


def _open_at_end(block: ParsingFailedBlock, length: int) -> bool:
    error = block.error
    if not isinstance(error, BlockAbortedException):
        return False
    return error.end_index is None or error.end_index >= length


def _duplicate(key: str, index: int, line: int | None) -> UnreadableRecord:
    reason = f"duplicate entry key {key!r} (an earlier entry has the same key)"
    return UnreadableRecord(index, reason, field="key", line=line)


def _pieces(text: str) -> Iterator[tuple[str, int, bool]]:
    """Pieces of about ``_PIECE`` characters cut before block-opening lines, with their line
    offset and whether they end the text."""
    start, lines = 0, 0
    while start < len(text):
        end = len(text)
        if end - start > _PIECE:
            match = _BLOCK_START.search(text, start + _PIECE)
            if match is not None:
                end = match.start()
        piece = text[start:end]
        yield piece, lines, end == len(text)
        lines += piece.count("\n")
        start = end


def read(text: str) -> Iterator[RawCitation | UnreadableRecord]:
    require_text(text)
    stack = _parse_stack()
    strings: list[Block] = []  # @string macros so far, visible to later pieces
    keys: set[str] = set()
    index = 0
    for piece, offset, last in _pieces(text.removeprefix(BOM)):
        library = parse_string(piece, parse_stack=stack, library=Library(strings))
        for block in library.blocks[len(strings) :]:
            # bibtexparser counts lines from 0.
            line = block.start_line + offset + 1 if block.start_line is not None else None
            if isinstance(block, Entry):
                if block.key in keys:
                    yield _duplicate(block.key, index, line)
                else:
                    keys.add(block.key)
                    yield _citation(block, index, line)
            elif isinstance(block, ParsingFailedBlock):
                if not _is_entry(block):
                    continue  # a broken @string, @comment or @preamble is no record
                if not last and _open_at_end(block, len(piece)):
                    yield UnreadableRecord(index, _CUT_OPEN, line=line)
                    index += 1
                    continue
                yield _failure(block, index, line)
            else:  # @string, @preamble, @comment and text between entries
                if isinstance(block, String):
                    strings.append(block)
                continue
            index += 1
    if index == 0:
        raise UnreadableFile("not BibTeX: no @type{key, ...} entry found")
