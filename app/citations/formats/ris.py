"""RIS, read by rispy one record at a time.

``rispy.loads`` parses a whole file into a list and silently drops a last record that is not
closed by ``ER  -`` (a truncated file). To stream, to report where each record starts and to
report unclosed records, this module only cuts the text at the ``TY  -`` and ``ER  -`` tag
lines; every record's lines are then parsed by rispy's own ``RisParser``.

PMIDs: RIS has no PMID tag. Exports put it in ``AN`` (accession number, with ``DB``/``DP``
naming PubMed), or write it labelled (``PMID: 123``) in ``AN``, ``M1``, ``C1`` or ``N1``; only
those are taken. EndNote writes the PMCID to ``C2``, taken only when it reads ``PMC<digits>``.
"""

import re
from collections.abc import Iterator
from typing import Any

import rispy

from app.citations.formats._common import ReferenceText, iter_lines
from app.citations.record import RawCitation, UnreadableFile, UnreadableRecord

# rispy's parser keeps no state between calls; unknown tags are not needed here.
_PARSER = rispy.RisParser(skip_unknown_tags=True)

_PMID_LABELLED = re.compile(r"\s*PMID\s*:?\s*\d{1,9}\s*", re.IGNORECASE)
_PMCID_LABELLED = re.compile(r"\s*PMCID\s*:?\s*PMC\d{1,9}\s*", re.IGNORECASE)
_PMCID = re.compile(r"\s*PMC\d{1,9}\s*")
_DIGITS = re.compile(r"\s*\d{1,9}\s*")
_PUBMED_SOURCE = re.compile(r"pubmed|medline|\bnlm\b", re.IGNORECASE)


def _first(entry: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = entry.get(key)
        if isinstance(value, list):
            value = next((item for item in value if item), None)
        if value:
            return str(value)
    return None


def _values(entry: dict[str, Any], *keys: str) -> Iterator[str]:
    for key in keys:
        value = entry.get(key)
        if isinstance(value, list):
            yield from (str(item) for item in value if item)
        elif value:
            yield str(value)


def _pmid(entry: dict[str, Any]) -> str | None:
    accession = _first(entry, "accession_number")
    if accession and _DIGITS.fullmatch(accession):
        source = " ".join(_values(entry, "name_of_database", "database_provider"))
        if _PUBMED_SOURCE.search(source):
            return accession
    for value in _values(entry, "accession_number", "note", "custom1", "notes"):
        if _PMID_LABELLED.fullmatch(value):
            return value
    return None


def _pmcid(entry: dict[str, Any]) -> str | None:
    custom2 = _first(entry, "custom2")
    if custom2 and _PMCID.fullmatch(custom2):
        return custom2
    for value in _values(entry, "note", "custom1", "custom2", "notes"):
        if _PMCID_LABELLED.fullmatch(value):
            return value
    return None


def _record(lines: list[str], index: int, line: int) -> RawCitation | UnreadableRecord:
    try:
        entries = _PARSER.parse_lines(iter(lines))
    except Exception as exc:  # rispy raises plain exceptions on malformed records
        return UnreadableRecord(index, f"rispy could not read the record: {exc}", line=line)
    if not entries:
        return UnreadableRecord(index, "rispy found no record between TY and ER", line=line)
    entry: dict[str, Any] = entries[0]
    return RawCitation(
        key=_first(entry, "id"),
        title=_first(entry, "title", "primary_title"),
        authors=[*_values(entry, "authors", "first_authors")],
        year=_first(entry, "year", "publication_year", "date"),
        journal=_first(
            entry,
            "secondary_title",
            "alternate_title3",  # JF, the full journal name
            "journal_name",  # JO
            "alternate_title2",  # JA, an abbreviation
            "alternate_title1",  # J2, an abbreviation
        ),
        volume=_first(entry, "volume"),
        issue=_first(entry, "number"),
        start_page=_first(entry, "start_page"),
        end_page=_first(entry, "end_page"),
        doi=_first(entry, "doi"),
        pmid=_pmid(entry),
        pmcid=_pmcid(entry),
        url=_first(entry, "urls"),
        abstract=_first(entry, "abstract", "notes_abstract"),
        index=index,
        line=line,
    )


def read(text: ReferenceText) -> Iterator[RawCitation | UnreadableRecord]:
    index = 0
    start: int | None = None
    lines: list[str] = []
    for number, line in enumerate(iter_lines(text), start=1):
        if line.startswith("TY  -"):
            if start is not None:
                yield UnreadableRecord(
                    index, "the record is not closed by an ER tag before the next TY", line=start
                )
                index += 1
            start, lines = number, [line]
        elif start is not None:
            lines.append(line)
            if line.startswith("ER  -"):
                yield _record(lines, index, start)
                index += 1
                start, lines = None, []
    if start is not None:
        yield UnreadableRecord(
            index, "the file ends inside this record, before its ER tag (truncated?)", line=start
        )
        index += 1
    if index == 0:
        raise UnreadableFile("not RIS: no line starts a record with 'TY  - '")
