"""The hot read queries use their indexes on both engines (checked with EXPLAIN)."""

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Each hot path's query, and the index (or primary key) it must be able to use.
HOT = {
    "treatment by slug": (
        "SELECT id FROM treatments WHERE slug = 'microneedling'",
        "uq_treatments_slug",
    ),
    "study by id": ("SELECT title FROM studies WHERE id = 9", "pk_studies"),
    "authors of studies": (
        "SELECT family FROM study_authors WHERE study_id IN (1, 2) ORDER BY study_id, position",
        "uq_study_authors_study_id",
    ),
    "findings of a study": ("SELECT id FROM findings WHERE study_id = 9", "ix_findings_study_id"),
    "findings of treatments": (
        "SELECT id FROM findings WHERE intervention_id IN (1, 4) ORDER BY id",
        "ix_findings_intervention_id",
    ),
    "studies by design": (
        "SELECT id FROM studies WHERE design = 'randomized_trial' ORDER BY id LIMIT 51",
        "ix_studies_design",
    ),
    "studies by DOI": (
        "SELECT id FROM studies WHERE doi_key = '10.1111/jocd.14525'",
        "uq_studies_doi_key",
    ),
    "reports of treatments": (
        "SELECT id FROM side_effect_reports WHERE treatment_id IN (1, 4)",
        "ix_side_effect_reports_treatment_id",
    ),
}  # fmt: skip


async def _plan(session: AsyncSession, backend: str, query: str) -> str:
    if backend == "postgresql":
        # On a seed-sized table a sequential scan is cheapest; forbid it to see whether the
        # index can serve the query at all.
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        rows = await session.execute(text(f"EXPLAIN {query}"))
        return "\n".join(row[0] for row in rows)
    rows = await session.execute(text(f"EXPLAIN QUERY PLAN {query}"))
    return "\n".join(str(row[-1]) for row in rows)


@pytest.mark.parametrize("path", HOT)
async def test_hot_query_uses_its_index(session: AsyncSession, backend: str, path: str) -> None:
    query, index = HOT[path]
    plan = await _plan(session, backend, query)
    if backend == "postgresql":
        assert index in plan, plan
        return
    # SQLite: a SEARCH (never a full SCAN) through the primary key, the named index, or the
    # automatic index SQLite builds for a UNIQUE constraint.
    assert plan.startswith("SEARCH") and "SCAN" not in plan, plan
    if index.startswith("pk_"):
        assert "PRIMARY KEY" in plan, plan
    elif index.startswith("uq_"):
        assert "INDEX sqlite_autoindex_" in plan, plan
    else:
        assert f"INDEX {index}" in plan, plan
