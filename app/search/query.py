"""The search box's language: words (all must match), "quoted phrases" and prefixes (minox*),
written out for each engine's full-text query syntax."""

import re
from dataclasses import dataclass

from app.errors import InvalidParameter

_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12


@dataclass(frozen=True, slots=True)
class Term:
    words: tuple[str, ...]
    prefix: bool = False  # the last word may continue


def parse(query: str) -> list[Term]:
    """Terms of a query; a query that cannot be searched is a 422 naming ``q``."""
    if query.count('"') % 2:
        raise InvalidParameter("q", "a quoted phrase is not closed")
    terms = []
    for phrase, word in _TOKEN.findall(query):
        text = phrase if phrase else word
        words = tuple(w.casefold() for w in _WORD.findall(text))
        if words:
            terms.append(Term(words, prefix=not phrase and word.endswith("*")))
    if not terms:
        raise InvalidParameter("q", "give at least one word to search for")
    if len(terms) > MAX_TERMS:
        raise InvalidParameter("q", f"use at most {MAX_TERMS} words or phrases")
    return terms


def to_fts5(terms: list[Term]) -> str:
    """SQLite FTS5: every word quoted, so no input is read as an operator."""
    parts = []
    for term in terms:
        quoted = '"' + " ".join(term.words) + '"'
        parts.append(quoted + "*" if term.prefix else quoted)
    return " AND ".join(parts)


def to_tsquery(terms: list[Term]) -> str:
    """PostgreSQL to_tsquery: phrases with <->, prefixes with :*, all terms ANDed."""
    parts = []
    for term in terms:
        words = [*term.words[:-1], term.words[-1] + (":*" if term.prefix else "")]
        parts.append("(" + " <-> ".join(words) + ")" if len(words) > 1 else words[0])
    return " & ".join(parts)
