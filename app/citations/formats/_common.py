"""Small helpers the readers share: lazy lines, JSON loading, empty-file checks."""

from collections.abc import Iterator, Mapping
from typing import Any, TextIO

import orjson
from pydantic import ValidationError

from app.citations.record import UnreadableFile, UnreadableRecord

BOM = "\ufeff"

# What a streaming reader reads: the whole text, or a file opened by ``open_text`` (read
# a line or a chunk at a time, so a large file is never held whole).
ReferenceText = str | TextIO


def open_text(path: Any) -> TextIO:
    """A reference file for a streaming reader: UTF-8 (a byte-order mark skipped), lines cut
    at ``\n`` only and kept unchanged, as ``iter_lines`` cuts a text."""
    return open(path, encoding="utf-8-sig", newline="\n")  # noqa: SIM115 (the caller closes)


def require_text(text: str) -> None:
    """An empty (or blank) upload is no file in any format."""
    if not text or text.isspace() or text == BOM:
        raise UnreadableFile("the file is empty")


def iter_lines(text: ReferenceText) -> Iterator[str]:
    """The lines of ``text`` with their ``\\n`` kept, one at a time.

    ``str.splitlines`` would build every line at once (and split on characters such as
    U+2028 that editors do not count as line breaks, shifting reported line numbers);
    ``io.StringIO`` would copy the text into a four-bytes-a-character buffer.
    A leading byte-order mark is skipped.
    """
    if not isinstance(text, str):
        yield from text
        return
    start = 1 if text.startswith(BOM) else 0
    find = text.find
    while True:
        end = find("\n", start)
        if end < 0:
            if start < len(text):
                yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def chunks(text: ReferenceText, size: int) -> Iterator[str]:
    """``text`` in pieces of ``size`` characters (a leading byte-order mark skipped)."""
    if not isinstance(text, str):
        while piece := text.read(size):
            yield piece
        return
    start = 1 if text.startswith(BOM) else 0
    for offset in range(start, len(text), size):
        yield text[offset : offset + size]


def load_json(text: str) -> Any:
    """The parsed document, or ``UnreadableFile`` naming the line where JSON broke."""
    require_text(text)
    try:
        return orjson.loads(text.removeprefix(BOM))
    except orjson.JSONDecodeError as exc:
        raise UnreadableFile(f"not valid JSON: {exc.msg}", line=exc.lineno) from None


def json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null"


def invalid_item(error: ValidationError, index: int, fields: Mapping[str, str]) -> UnreadableRecord:
    """The first problem pydantic found in a JSON item, naming the ``RawCitation`` field."""
    first = error.errors(include_url=False)[0]
    location = ".".join(str(part) for part in first["loc"])
    field = fields.get(str(first["loc"][0])) if first["loc"] else None
    return UnreadableRecord(index, f"{location}: {first['msg']}", field=field)
