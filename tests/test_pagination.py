"""Keyset pagination: walking every page loses nothing, repeats nothing and keeps the order."""

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Finding, Study
from tests.factories import (
    make_caution,
    make_condition,
    make_finding,
    make_side_effect_report,
    make_study,
    make_treatment,
)

LINK_NEXT = re.compile(r'^<([^<>]+)>;\s*rel="next"$')

# 23 studies: five without a year, and several sharing a year (ties broken by id).
YEARS: list[int | None] = [
    None,
    2015,
    2019,
    2015,
    None,
    2001,
    2015,
    2019,
    2015,
    None,
    2013,  # the same year as two seeded studies
    2015,
    2024,
    None,
    2019,
    2015,
    1999,
    2019,
    None,
    2010,
    2015,
    2021,
    2010,
]


async def walk(
    client: httpx.AsyncClient, path: str, params: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Follow the Link header from the first page to the last; return items and page bodies.

    Each page is also fetched with `cursor=next_cursor`, which must give the same page.
    """
    limit = params["limit"]
    response = await client.get(path, params=params)
    items: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        items.extend(body["data"])
        assert len(pages) <= 100, "the walk does not end"
        cursor = body["next_cursor"]
        if cursor is None:
            assert "link" not in response.headers
            assert len(body["data"]) <= limit
            return items, pages
        assert len(body["data"]) == limit, "only the last page may be short"

        match = LINK_NEXT.match(response.headers["link"])
        assert match, response.headers["link"]
        next_url = httpx.URL(match.group(1))
        assert next_url.path == path
        assert next_url.params["cursor"] == cursor
        for key, value in params.items():
            wanted = str(value).lower() if isinstance(value, bool) else str(value)
            assert next_url.params[key] == wanted, f"the Link URL lost {key}"

        by_param = await client.get(path, params={**params, "cursor": cursor})
        response = await client.get(str(next_url))
        assert by_param.status_code == 200
        assert by_param.json() == response.json()


def expected_study_order(rows: list[Any], sort: str) -> list[int]:
    """The order each sort promises, computed here: nulls last, ties broken by id."""
    if sort == "id":
        return sorted(row.id for row in rows)
    if sort == "-id":
        return sorted((row.id for row in rows), reverse=True)
    dated = [row for row in rows if row.year is not None]
    undated = [row.id for row in rows if row.year is None]
    if sort == "year":
        return [row.id for row in sorted(dated, key=lambda r: (r.year, r.id))] + sorted(undated)
    assert sort == "-year"
    descending = sorted(dated, key=lambda r: (r.year, r.id), reverse=True)
    return [row.id for row in descending] + sorted(undated, reverse=True)


@pytest.fixture
async def studies(session: AsyncSession) -> list[Study]:
    return [await make_study(session, year=year) for year in YEARS]


@pytest.mark.parametrize("sort", ["id", "-id", "year", "-year"])
async def test_walk_studies(
    client: httpx.AsyncClient, session: AsyncSession, studies: list[Study], sort: str
) -> None:
    rows = (await session.execute(select(Study.id, Study.year))).all()
    assert len(rows) >= len(studies) + 9
    expected = expected_study_order(list(rows), sort)

    items, pages = await walk(client, "/v1/studies", {"sort": sort, "limit": 5})
    got = [item["id"] for item in items]
    assert len(got) == len(set(got)), "a study was repeated"
    assert set(got) == {row.id for row in rows}, "a study was lost"
    assert got == expected
    assert len(pages) == -(-len(rows) // 5)
    if sort in ("year", "-year"):
        years = [item["year"] for item in items]
        assert years[-5:] == [None] * 5, "studies without a year come last"
        assert None not in years[:-5]


@pytest.mark.parametrize("sort", ["year", "-year"])
async def test_walk_studies_page_boundary_inside_ties_and_nulls(
    client: httpx.AsyncClient, session: AsyncSession, studies: list[Study], sort: str
) -> None:
    """Pages of 1, 2 and 3 cut through runs of equal years and through the nulls."""
    rows = (await session.execute(select(Study.id, Study.year))).all()
    expected = expected_study_order(list(rows), sort)
    for limit in (1, 2, 3):
        items, _ = await walk(client, "/v1/studies", {"sort": sort, "limit": limit})
        assert [item["id"] for item in items] == expected, f"limit={limit}"


async def test_walk_filtered_studies(
    client: httpx.AsyncClient, session: AsyncSession, studies: list[Study]
) -> None:
    rows = (await session.execute(select(Study.id, Study.year).where(Study.year >= 2015))).all()
    expected = expected_study_order(list(rows), "-year")
    items, _ = await walk(client, "/v1/studies", {"sort": "-year", "limit": 4, "year_min": 2015})
    assert [item["id"] for item in items] == expected
    assert all(item["year"] >= 2015 for item in items)


async def test_count_gives_total(
    client: httpx.AsyncClient, session: AsyncSession, studies: list[Study]
) -> None:
    total = await session.scalar(select(func.count()).select_from(Study))
    _, pages = await walk(client, "/v1/studies", {"sort": "year", "limit": 5, "count": True})
    assert len(pages) > 1
    assert all(page["total"] == total for page in pages)

    in_2015 = await session.scalar(select(func.count()).where(Study.year == 2015))
    assert in_2015 == YEARS.count(2015)
    params = {"year_min": 2015, "year_max": 2015, "count": True}
    body = (await client.get("/v1/studies", params=params)).json()
    assert body["total"] == in_2015 == len(body["data"])

    since_2015 = await session.scalar(select(func.count()).where(Study.year >= 2015))
    params = {"limit": 2, "count": "true", "year_min": 2015}
    filtered = (await client.get("/v1/studies", params=params)).json()
    assert len(filtered["data"]) == 2
    assert filtered["total"] == since_2015


async def test_total_absent_without_count(client: httpx.AsyncClient, studies: list[Study]) -> None:
    for params in ({}, {"count": False}, {"limit": 5}):
        body = (await client.get("/v1/studies", params=params)).json()
        assert "total" not in body
        assert set(body) == {"data", "next_cursor"}


@pytest.mark.parametrize(
    "path",
    [
        "/v1/treatments",
        "/v1/conditions",
        "/v1/findings",
        "/v1/side-effects",
        "/v1/side-effect-reports",
        "/v1/sources",
        "/v1/cautions",
    ],
)
async def test_count_on_every_list(client: httpx.AsyncClient, path: str) -> None:
    everything = (await client.get(path, params={"limit": 500})).json()["data"]
    body = (await client.get(path, params={"limit": 1, "count": True})).json()
    assert body["total"] == len(everything)
    assert "total" not in (await client.get(path, params={"limit": 1})).json()


@pytest.fixture
async def findings(session: AsyncSession) -> list[Finding]:
    study = await make_study(session)
    treatment = await make_treatment(session)
    return [
        await make_finding(session, intervention=treatment, study=study if n % 2 else None)
        for n in range(23)
    ]


async def test_walk_findings(
    client: httpx.AsyncClient, session: AsyncSession, findings: list[Finding]
) -> None:
    all_ids = sorted((await session.scalars(select(Finding.id))).all())
    assert len(all_ids) >= len(findings) + 12
    items, pages = await walk(client, "/v1/findings", {"limit": 5, "count": True})
    got = [item["id"] for item in items]
    assert got == all_ids
    assert len(pages) == -(-len(all_ids) // 5)
    assert all(page["total"] == len(all_ids) for page in pages)


async def test_walk_filtered_findings(client: httpx.AsyncClient, findings: list[Finding]) -> None:
    treatment = (await client.get(f"/v1/findings/{findings[0].id}")).json()["intervention"]
    items, pages = await walk(client, "/v1/findings", {"limit": 5, "treatment": treatment["slug"]})
    assert [item["id"] for item in items] == [finding.id for finding in findings]
    assert [len(page["data"]) for page in pages] == [5, 5, 5, 5, 3]


async def test_exact_multiple_of_the_limit_has_no_empty_last_page(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    treatment = await make_treatment(session)
    made = [await make_finding(session, intervention=treatment) for _ in range(10)]
    items, pages = await walk(client, "/v1/findings", {"limit": 5, "treatment": treatment.slug})
    assert [item["id"] for item in items] == [finding.id for finding in made]
    assert [len(page["data"]) for page in pages] == [5, 5]


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/v1/treatments", "slug"),
        ("/v1/conditions", "slug"),
        ("/v1/side-effects", "slug"),
        ("/v1/side-effect-reports", "id"),
        ("/v1/sources", "id"),
        ("/v1/studies", "id"),
        ("/v1/cautions", "id"),
    ],
)
async def test_walk_every_list_matches_one_big_page(
    client: httpx.AsyncClient, session: AsyncSession, path: str, key: str
) -> None:
    # Enough rows in every list for several pages of one.
    for _ in range(2):
        await make_condition(session)
        await make_caution(session)
    await make_side_effect_report(session)
    everything = (await client.get(path, params={"limit": 500})).json()["data"]
    assert len(everything) >= 3
    items, pages = await walk(client, path, {"limit": 1})
    assert items == everything
    assert len(pages) == len(everything)
    keys = [item[key] for item in items]
    assert len(set(keys)) == len(keys)
    if key == "id":  # slugs follow the database's collation, which Python need not share
        assert keys == sorted(keys)
