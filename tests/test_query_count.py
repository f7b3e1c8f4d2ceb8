"""No N+1: a list costs the same number of SQL statements whatever the page size."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.factories import (
    make_caution,
    make_condition,
    make_finding,
    make_side_effect_report,
    make_study,
    make_treatment,
)

SMALL, LARGE = 3, 30


@contextmanager
def recorded_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every statement sent to the database while the block runs."""
    statements: list[str] = []

    def record(
        _connection: Any,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


@pytest.fixture
async def many_rows(session: AsyncSession) -> None:
    """~30 of everything, with the related rows each list item embeds."""
    condition = await make_condition(session)
    shared = await make_treatment(session, aliases=["shared alias"])
    for n in range(LARGE):
        study = await make_study(session, authors=[(f"First{n}", "A."), (f"Second{n}", "B.")])
        await make_finding(session, study=study, intervention=shared, condition=condition)
    parts = [await make_treatment(session, aliases=[f"part alias {n}"]) for n in range(4)]
    for n in range(LARGE):
        # A fresh intervention and comparator each: many distinct joined rows.
        combination = await make_treatment(
            session, components=parts[n % 2 : n % 2 + 2], aliases=[f"combo alias {n}"]
        )
        await make_finding(
            session, intervention=combination, comparator=parts[n % 4], certainty="low"
        )
    for _ in range(LARGE):
        await make_side_effect_report(session, treatment=shared)
        await make_side_effect_report(session)
        await make_caution(session)


async def count_statements(
    client: httpx.AsyncClient, engine: AsyncEngine, path: str, params: dict[str, Any]
) -> tuple[int, int, list[str]]:
    """Statements for one request, and how many items it returned."""
    with recorded_statements(engine) as statements:
        response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return len(statements), len(response.json()["data"]), statements


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/studies", {}),
        ("/v1/studies", {"sort": "-year"}),
        ("/v1/findings", {}),
        ("/v1/treatments", {}),
        ("/v1/side-effects", {}),
        ("/v1/side-effect-reports", {}),
        ("/v1/sources", {}),
        ("/v1/cautions", {}),
    ],
)
async def test_statement_count_does_not_grow_with_page_size(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    many_rows: None,
    path: str,
    params: dict[str, Any],
) -> None:
    # One request first, so the transaction and connection state are the same for both sizes.
    await client.get(path, params={**params, "limit": 1})

    small, small_items, small_sql = await count_statements(
        client, engine, path, {**params, "limit": SMALL}
    )
    large, large_items, large_sql = await count_statements(
        client, engine, path, {**params, "limit": LARGE}
    )
    assert (small_items, large_items) == (SMALL, LARGE)
    assert small == large, (
        f"{path}: {small} statements for {SMALL} items but {large} for {LARGE}:\n"
        + "\n---\n".join(large_sql)
    )
    assert small >= 1


@pytest.mark.parametrize("path", ["/v1/studies", "/v1/findings", "/v1/treatments"])
async def test_count_costs_one_more_statement(
    client: httpx.AsyncClient, engine: AsyncEngine, many_rows: None, path: str
) -> None:
    await client.get(path, params={"limit": 1})
    plain, _, _ = await count_statements(client, engine, path, {"limit": LARGE})
    counted, _, _ = await count_statements(client, engine, path, {"limit": LARGE, "count": True})
    assert counted == plain + 1


async def test_expanded_treatment_does_not_grow_with_related_rows(
    client: httpx.AsyncClient, engine: AsyncEngine, session: AsyncSession
) -> None:
    """expand= costs a fixed number of statements however many rows it embeds."""
    lonely = await make_treatment(session)
    busy = await make_treatment(session)
    for n in range(LARGE):
        study = await make_study(session, authors=[(f"A{n}", None), (f"B{n}", None)])
        await make_finding(session, intervention=busy, study=study)
        await make_side_effect_report(session, treatment=busy, study=study)
        await make_caution(session, treatment=busy)
    await make_study(session)
    await make_finding(session, intervention=lonely, study=await make_study(session))
    await make_side_effect_report(session, treatment=lonely)
    await make_caution(session, treatment=lonely)

    expand = {"expand": "studies,findings,side_effects,cautions"}
    await client.get(f"/v1/treatments/{lonely.slug}", params=expand)
    few, _, _ = await _count_detail(client, engine, f"/v1/treatments/{lonely.slug}", expand)
    many, body, _ = await _count_detail(client, engine, f"/v1/treatments/{busy.slug}", expand)
    assert len(body["studies"]) == len(body["findings"]) == len(body["cautions"]) == LARGE
    assert few == many


async def _count_detail(
    client: httpx.AsyncClient, engine: AsyncEngine, path: str, params: dict[str, Any]
) -> tuple[int, dict[str, Any], list[str]]:
    with recorded_statements(engine) as statements:
        response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return len(statements), response.json(), statements
