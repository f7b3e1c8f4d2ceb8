"""MEDLINE (PubMed's ``.nbib`` / "PubMed format" text), read by Biopython's ``Bio.Medline``.

``Bio.Medline.parse`` is the reference reader of this format and streams: it takes any iterable
of lines and yields one ``Record`` (a dict of tag to value) per blank-line-separated record.
It accepts any text, though, so this module feeds it the lines through a counter that notes
where each record starts and which line is neither a ``TAG - value`` line nor a six-space
continuation; such a record is reported as ``UnreadableRecord`` rather than read as garbage.
A file whose first record has no ``PMID-`` line is not MEDLINE (PubMed writes it first).

Authors: ``FAU`` (full, ``Family, Given``) as printed, else ``AU`` (``Family Initials``);
``CN`` collective names are whole family names.
"""

import re
from collections.abc import Callable, Iterator

from Bio import Medline

from app.citations.formats._common import ReferenceText, iter_lines
from app.citations.record import Author, RawCitation, UnreadableFile, UnreadableRecord

# Bio.Medline has no annotations: its documented types.
_parse: Callable[[Iterator[str]], Iterator[Medline.Record]] = Medline.parse
# A tag of 2-4 capitals/digits padded to four columns, then "- " (or "-" ending the line):
# the columns Bio.Medline reads the tag and the value from.
_TAG_LINE = re.compile(r"[A-Z](?:[A-Z0-9]{3}|[A-Z0-9]{2} |[A-Z0-9]  )-(?: |\r?\n?$)")
_DOI = re.compile(r"(\S+)\s*\[doi\]")


class _Lines:
    """The text's lines for ``Bio.Medline.parse``, noting record starts and malformed lines."""

    def __init__(self, text: ReferenceText) -> None:
        self._text = text
        self.starts: list[int] = []
        # Record number -> (line, reason) for its first malformed line.
        self.problems: dict[int, tuple[int, str]] = {}

    def __iter__(self) -> Iterator[str]:
        in_record = False
        record = -1
        for number, line in enumerate(iter_lines(self._text), start=1):
            if line.isspace():
                in_record = False
                yield "\n"  # what Bio.Medline takes as the end of a record
                continue
            if not in_record:
                in_record = True
                record += 1
                self.starts.append(number)
            if not line.startswith("      ") and not _TAG_LINE.match(line):
                if record not in self.problems:
                    shown = line.strip()[:40]
                    reason = f"line {number} is neither a 'TAG - value' line nor a continuation"
                    self.problems[record] = (number, f"{reason}: {shown!r}")
            yield line


def _text(record: Medline.Record, key: str) -> str | None:
    value = record.get(key)
    if isinstance(value, list):
        value = " ".join(value)
    return value or None


def _doi(record: Medline.Record) -> str | None:
    for value in [*record.get("AID", []), record.get("LID", "")]:
        match = _DOI.search(value)
        if match:
            return match.group(1)
    return None


def _authors(record: Medline.Record) -> list[str | Author]:
    names: list[str | Author] = [*(record.get("FAU") or record.get("AU") or [])]
    names.extend(Author(name) for name in record.get("CN", []))
    return names


def _citation(record: Medline.Record, index: int, line: int) -> RawCitation:
    return RawCitation(
        title=_text(record, "TI"),
        authors=_authors(record),
        year=_text(record, "DP"),
        journal=_text(record, "JT") or _text(record, "TA"),
        volume=_text(record, "VI"),
        issue=_text(record, "IP"),
        pages=_text(record, "PG"),
        doi=_doi(record),
        pmid=_text(record, "PMID"),
        pmcid=_text(record, "PMC"),
        abstract=_text(record, "AB"),
        index=index,
        line=line,
    )


def read(text: ReferenceText) -> Iterator[RawCitation | UnreadableRecord]:
    lines = _Lines(text)
    index = -1
    for index, record in enumerate(_parse(iter(lines))):
        line = lines.starts[index]
        problem = lines.problems.get(index)
        if index == 0 and problem is not None:
            raise UnreadableFile(f"not MEDLINE: {problem[1]}", line=problem[0])
        if index == 0 and "PMID" not in record:
            raise UnreadableFile("not MEDLINE: the first record has no PMID- line", line=line)
        if problem is not None:
            yield UnreadableRecord(index, problem[1], line=line)
        else:
            yield _citation(record, index, line)
    if index < 0:
        raise UnreadableFile("not MEDLINE: no record found")
