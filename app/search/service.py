"""Full-text search with each engine's own index, ranked, with highlighted snippets."""

import html
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ScalarSelect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidParameter, lost_connection
from app.links import finding_href, side_effect_href, study_href, treatment_href
from app.models import SearchEntry
from app.search.index import SearchKind
from app.search.query import parse, to_fts5, to_tsquery
from app.search.schemas import SearchHit, SearchResults

# Private-use marks around matches: the text is escaped first, then they become <mark>.
_OPEN, _CLOSE = "\ue000", "\ue001"

# Ranked first, snippets after: FTS5 computes every selected column of every match before
# sorting, so a snippet beside the rank cost 34 s for a word in 200,000 entries. Ranked by
# FTS5's own `rank` (bm25 with the same weights, ``rank MATCH``), the engine sorts inside
# the index: 21 ms instead of 890 for words with 2,000-14,000 matches (bench data).
_SQLITE_TOP = """
SELECT search_fts.rowid AS id, -search_fts.rank AS score
FROM search_fts {join}
WHERE search_fts MATCH :query AND search_fts.rank MATCH 'bm25(4.0, 1.0)' {kinds}
ORDER BY search_fts.rank
LIMIT :limit
"""
_SQLITE = f"""
WITH top AS ({{top}})
SELECT e.kind, e.ref_id, e.key, e.title,
       snippet(search_fts, -1, '{_OPEN}', '{_CLOSE}', '…', 24) AS snippet, top.score
FROM top
JOIN search_fts ON search_fts.rowid = top.id
JOIN search_entries e ON e.id = top.id
WHERE search_fts MATCH :query
ORDER BY top.score DESC, e.id
"""

_POSTGRESQL = f"""
SELECT e.kind, e.ref_id, e.key, e.title,
       ts_headline('english', e.title || ' — ' || e.body, q,
                   'StartSel={_OPEN}, StopSel={_CLOSE}, MaxWords=30, MinWords=12,
                    MaxFragments=1, FragmentDelimiter=…') AS snippet,
       ts_rank_cd(e.document, q) AS score
FROM search_entries e, to_tsquery('english', :query) q
WHERE e.document @@ q {{kinds}}
ORDER BY score DESC, e.id
LIMIT :limit
"""

_HREFS = {
    SearchKind.study: lambda key: study_href(int(key)),
    SearchKind.finding: lambda key: finding_href(int(key)),
    SearchKind.treatment: treatment_href,
    SearchKind.side_effect: side_effect_href,
}


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def engine_query(session: AsyncSession, query: str) -> str:
    terms = parse(query)
    return to_tsquery(terms) if _dialect(session) == "postgresql" else to_fts5(terms)


def _highlight(snippet: str) -> str:
    return html.escape(snippet).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def _hit(row: Any) -> SearchHit:
    kind = SearchKind(row.kind)
    by_id = kind in (SearchKind.study, SearchKind.finding)
    return SearchHit(
        type=kind,
        id=row.ref_id if by_id else None,
        slug=None if by_id else row.key,
        title=row.title,
        snippet=_highlight(row.snippet or ""),
        href=_HREFS[kind](row.key),
        score=float(row.score),
    )


async def search(
    session: AsyncSession, query: str, kinds: Sequence[SearchKind], limit: int
) -> SearchResults:
    engine = engine_query(session, query)
    kind_clause = ""
    parameters: dict[str, Any] = {"query": engine, "limit": limit}
    if kinds:
        names = [f":kind{i}" for i in range(len(kinds))]
        kind_clause = f"AND e.kind IN ({', '.join(names)})"
        parameters |= {f"kind{i}": kind.value for i, kind in enumerate(kinds)}
    if _dialect(session) == "postgresql":
        statement = _POSTGRESQL.format(kinds=kind_clause)
    else:  # the kind filter needs the entries table before the limit
        join = "JOIN search_entries e ON e.id = search_fts.rowid" if kinds else ""
        statement = _SQLITE.format(top=_SQLITE_TOP.format(join=join, kinds=kind_clause))
    try:
        rows = await session.execute(text(statement), parameters)
    except DBAPIError as error:  # what the engine still cannot parse is the client's query
        if lost_connection(error):  # the database is away, not the query wrong
            raise
        raise InvalidParameter("q", "the search engine cannot read this query") from error
    return SearchResults(query=query, data=[_hit(row) for row in rows])


def matching(session: AsyncSession, kind: SearchKind, query: str) -> ScalarSelect[int]:
    """The ids of resources of one kind that match the query, for ``column.in_(...)``."""
    engine = engine_query(session, query)
    if _dialect(session) == "postgresql":
        match = text("search_entries.document @@ to_tsquery('english', :search_query)")
    else:
        match = text(
            "search_entries.id IN "
            "(SELECT rowid FROM search_fts WHERE search_fts MATCH :search_query)"
        )
    statement = select(SearchEntry.ref_id).where(SearchEntry.kind == kind.value, match)
    return statement.params(search_query=engine).scalar_subquery()
