"""The one normalise-and-validate path shared by the seed, API imports and the command line.

What is safe to normalise is normalised (DOI prefixes and percent-encoding, PMID prefixes,
author name order). What is suspicious but could be real (a reversed page range, a very
long span, a year cited differently elsewhere) is kept as printed and listed as a warning.
What cannot be stored at all raises ``InvalidCitation`` naming the field.
"""

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import unquote

from nameparser import HumanName

from app.citations.record import Author, Citation, DataQualityWarning, RawCitation

_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_PMID = re.compile(r"^(?:pmid:?\s*)?(\d{1,9})$", re.IGNORECASE)
_PMCID = re.compile(r"^(?:pmcid:?\s*)?(?:pmc)?(\d{1,9})$", re.IGNORECASE)
_PAGE_RANGE = re.compile(r"^\s*([A-Za-z]?\d+)\s*[-–—]+\s*([A-Za-z]?\d+)\s*$")
_FIRST_YEAR = 1600


class InvalidCitation(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def normalize_doi(value: str | None) -> str | None:
    """``https://doi.org/10.4103%2Fx`` and ``doi:10.4103/x`` both become ``10.4103/x``."""
    value = _clean(value)
    if value is None:
        return None
    doi = unquote(_DOI_PREFIX.sub("", value)).strip()
    if not _DOI.match(doi):
        raise InvalidCitation("doi", f"{value!r} is not a DOI (expected 10.<registrant>/<suffix>)")
    return doi


def normalize_pmid(value: str | None) -> str | None:
    value = _clean(value)
    if value is None:
        return None
    match = _PMID.match(value)
    if not match or int(match.group(1)) == 0:
        raise InvalidCitation("pmid", f"{value!r} is not a PubMed id (expected digits)")
    return str(int(match.group(1)))


def normalize_pmcid(value: str | None) -> str | None:
    value = _clean(value)
    if value is None:
        return None
    match = _PMCID.match(value)
    if not match:
        raise InvalidCitation("pmcid", f"{value!r} is not a PubMed Central id (expected PMC123)")
    return f"PMC{int(match.group(1))}"


def split_author(name: str) -> Author:
    """``Family, Given`` as reference formats print it, or ``Given Family`` as people write it."""
    name = _clean(name) or ""
    if not name:
        raise InvalidCitation("authors", "an author name is empty")
    if "," in name:
        family, _, given = name.partition(",")
        return Author(family=family.strip(), given=_clean(given))
    parsed = HumanName(name)
    if not parsed.last:
        return Author(family=name)
    given = " ".join(part for part in (parsed.first, parsed.middle) if part)
    return Author(family=parsed.last, given=given or None)


def _authors(names: list[str | Author]) -> list[Author]:
    authors = []
    for name in names:
        if isinstance(name, Author):
            family = _clean(name.family)
            if family is None:
                raise InvalidCitation("authors", "an author has no family name")
            authors.append(Author(family=family, given=_clean(name.given)))
        elif _clean(name):
            authors.append(split_author(name))
    return authors


def _year(
    value: str | None, cited_years: Iterable[int]
) -> tuple[int | None, list[DataQualityWarning]]:
    value = _clean(value)
    if value is None:
        return None, []
    match = re.match(r"^(\d{4})", value)
    latest = datetime.now(UTC).year + 1
    if not match or not _FIRST_YEAR <= int(match.group(1)) <= latest:
        raise InvalidCitation(
            "year", f"{value!r} is not a publication year ({_FIRST_YEAR}-{latest})"
        )
    year = int(match.group(1))
    cited = sorted(set(cited_years) - {year})
    if not cited:
        return year, []
    shown = ", ".join(str(other) for other in cited)
    warning = DataQualityWarning(
        code="year_cited_differently",
        field="year",
        message=f"the reference list gives {year} but the citing text gives {shown}",
        value=str(year),
    )
    return year, [warning]


def _pages(raw: RawCitation, max_span: int) -> tuple[str | None, list[DataQualityWarning]]:
    start, end = _clean(raw.start_page), _clean(raw.end_page)
    printed = _clean(raw.pages) or (f"{start}-{end}" if start and end else start or end)
    if printed is None:
        return None, []
    match = _PAGE_RANGE.match(printed)
    if not match:
        return printed, []
    first, last = match.groups()
    if first.isdigit() and last.isdigit() and len(last) < len(first):
        # MEDLINE abbreviates the last page: "244-55" is 244-255.
        last = first[: len(first) - len(last)] + last
    # "145--152" (BibTeX) and "145–152" (typeset) are the same range as "145-152".
    printed = f"{first}-{last}"
    if not (first.isdigit() and last.isdigit()):
        return printed, []
    if int(last) < int(first):
        return printed, [
            DataQualityWarning(
                code="page_range_reversed",
                field="pages",
                message=f"the last page ({last}) comes before the first ({first}); kept as printed",
                value=printed,
            )
        ]
    span = int(last) - int(first) + 1
    if span > max_span:
        return printed, [
            DataQualityWarning(
                code="page_span_implausible",
                field="pages",
                message=f"a span of {span} pages is implausible for one article; kept as printed",
                value=printed,
            )
        ]
    return printed, []


_TEXT_FIELDS = (
    "title", "year", "journal", "volume", "issue", "start_page", "end_page", "pages", "doi",
    "pmid", "pmcid", "url", "abstract",
)  # fmt: skip


def _refuse_nul(raw: RawCitation) -> None:
    # PostgreSQL text cannot hold U+0000; no reference format has a use for it.
    for name in _TEXT_FIELDS:
        value = getattr(raw, name)
        if value is not None and "\x00" in value:
            raise InvalidCitation(name, "contains a NUL character (U+0000)")
    for author in raw.authors:
        names = [author] if isinstance(author, str) else [author.family, author.given or ""]
        if any("\x00" in name for name in names):
            raise InvalidCitation("authors", "an author's name contains a NUL character (U+0000)")


def normalize(
    raw: RawCitation,
    *,
    max_page_span: int,
    cited_years: Iterable[int] = (),
) -> Citation:
    """Validate one record; ``cited_years`` are the years other text cites it under."""
    _refuse_nul(raw)
    title = _clean(raw.title)
    if title is None:
        raise InvalidCitation("title", "a title is required")
    year, year_warnings = _year(raw.year, cited_years)
    pages, page_warnings = _pages(raw, max_page_span)
    journal = _clean(raw.journal)
    warnings = [*year_warnings, *page_warnings]
    if journal is None:
        warnings.append(
            DataQualityWarning(code="journal_missing", field="journal", message="no journal given")
        )
    return Citation(
        title=title,
        authors=_authors(raw.authors),
        year=year,
        journal=journal,
        volume=_clean(raw.volume),
        issue=_clean(raw.issue),
        pages=pages,
        doi=normalize_doi(raw.doi),
        pmid=normalize_pmid(raw.pmid),
        pmcid=normalize_pmcid(raw.pmcid),
        url=_clean(raw.url),
        abstract=_clean(raw.abstract),
        warnings=warnings,
    )
