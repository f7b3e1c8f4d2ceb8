"""The drivers' readers return what the ORM session returns, value for value."""

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pydantic_core
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.findings.service import FINDINGS_OF_STUDY
from app.models import Finding, Study, Treatment
from app.models.enums import StudyDesign
from app.pagination import PageParams
from app.reads import (
    EngineReader,
    PostgresReader,
    Query,
    SessionReader,
    SQLiteReader,
    create_reader,
)
from app.responses import etag_for
from app.side_effects.service import REPORTS_OF_STUDY
from app.studies.schemas import StudyDetail, StudyPage
from app.studies.service import _AUTHORS_OF_STUDY, _STUDY, SORTS, StudyFilters, list_studies
from app.treatments.service import _ALIASES, _COMPONENTS, _PART_OF, _TREATMENT


@pytest.fixture
async def driver_reader(engine: AsyncEngine) -> AsyncIterator[SQLiteReader | PostgresReader]:
    reader = create_reader(engine)
    assert isinstance(reader, SQLiteReader | PostgresReader)  # the production path, not a fallback
    yield reader
    reader.close()


async def _seeded_study_ids(engine: AsyncEngine) -> list[int]:
    async with AsyncSession(engine) as session:
        with_findings = select(Finding.study_id).where(Finding.study_id.is_not(None))
        ids = list(await session.scalars(select(Study.id).where(Study.id.in_(with_findings))))
    assert ids, "the seed cites studies in its findings"
    return ids


async def test_driver_reader_reads_what_the_session_reads(
    engine: AsyncEngine, driver_reader: SQLiteReader | PostgresReader
) -> None:
    async with AsyncSession(engine) as session:
        through_session = SessionReader(session)
        for study_id in await _seeded_study_ids(engine):
            queries = [
                (query, {"study_id": study_id})
                for query in (_STUDY, _AUTHORS_OF_STUDY, FINDINGS_OF_STUDY, REPORTS_OF_STUDY)
            ]
            expected = await through_session.batch(*queries)
            assert await driver_reader.batch(*queries) == expected
            study, authors, findings, _ = expected
            assert study and authors and findings
            # Values were converted as the ORM converts them: aware datetimes, booleans.
            assert study[0].created_at.tzinfo is not None
            assert isinstance(study[0].retracted, bool)


async def test_treatment_queries_agree(
    engine: AsyncEngine, driver_reader: SQLiteReader | PostgresReader
) -> None:
    async with AsyncSession(engine) as session:
        slugs = list(await session.scalars(select(Treatment.slug)))
        for slug in slugs:
            queries = [
                (query, {"slug": slug}) for query in (_TREATMENT, _ALIASES, _COMPONENTS, _PART_OF)
            ]
            assert await driver_reader.batch(*queries) == await SessionReader(session).batch(
                *queries
            )
    combination = await driver_reader.batch((_COMPONENTS, {"slug": "minoxidil-microneedling"}))
    assert [row.slug for row in combination[0]] == ["microneedling", "minoxidil"]


async def test_single_query_and_missing_row(
    engine: AsyncEngine, driver_reader: SQLiteReader | PostgresReader
) -> None:
    (rows,) = await driver_reader.batch((_STUDY, {"study_id": 2**31 - 1}))
    assert rows == []
    (study_id, *_) = await _seeded_study_ids(engine)
    (rows,) = await driver_reader.batch((_STUDY, {"study_id": study_id}))
    assert [row.id for row in rows] == [study_id]


async def test_engine_reader_is_the_fallback_without_a_file(engine: AsyncEngine) -> None:
    (study_id, *_) = await _seeded_study_ids(engine)
    reader = EngineReader(engine)
    (rows,) = await reader.batch((_STUDY, {"study_id": study_id}))
    async with AsyncSession(engine) as session:
        (expected,) = await SessionReader(session).batch((_STUDY, {"study_id": study_id}))
    assert rows == expected


FILTERS = [
    StudyFilters(),
    StudyFilters(design=StudyDesign.randomized_trial),
    StudyFilters(evidence_level=2, year_min=2010),
    StudyFilters(year_min=2015, year_max=2021),
    StudyFilters(doi="https://doi.org/10.4103/JCAS.JCAS_130_17"),
]


@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("filters", FILTERS, ids=range(len(FILTERS)))
async def test_study_pages_through_the_driver_match_the_session(
    engine: AsyncEngine,
    driver_reader: SQLiteReader | PostgresReader,
    filters: StudyFilters,
    sort: str,
) -> None:
    """Every page of every filter shape, with cursors that carry null years too."""
    filters = replace(filters, sort=sort)
    async with AsyncSession(engine) as session:
        cursor, pages = None, 0
        while True:
            params = PageParams(limit=2, cursor=cursor, count=False)
            fast = await list_studies(session, filters, params, reader=driver_reader)
            assert fast == await list_studies(session, filters, params)
            pages += 1
            if fast.next_cursor is None:
                break
            cursor = fast.next_cursor
        assert pages >= 1
    if filters == StudyFilters(sort=sort):
        assert pages > 2, "the seed spans several pages of two"


def test_a_value_compiled_into_a_reused_statement_is_refused(engine: AsyncEngine) -> None:
    with pytest.raises(ValueError, match="by name, not by value"):
        Query(select(Study.id).where(Study.id == 5)).compiled(engine.dialect)


async def test_study_lists_built_as_dicts_are_what_the_schema_serialises(
    client: httpx.AsyncClient,
) -> None:
    """Pages skip validation; each must still be exactly what ``StudyPage`` would write."""
    response = await client.get("/v1/studies", params={"limit": 500, "count": "true"})
    assert response.status_code == 200
    body = response.json()
    assert len(body["data"]) == body["total"] > 3
    assert any(study["warnings"] for study in body["data"]), "the seed has a warning to show"
    assert body == StudyPage.model_validate(body).model_dump(mode="json")
    faceted = (await client.get("/v1/studies", params={"facets": "design"})).json()
    assert faceted == StudyPage.model_validate(faceted).model_dump(mode="json")
    assert faceted["facets"]["design"][0]["count"] >= 1


async def test_a_lookup_filter_never_reuses_a_simple_shapes_statement(
    engine: AsyncEngine, driver_reader: SQLiteReader | PostgresReader
) -> None:
    params = PageParams(limit=50, cursor=None, count=False)
    async with AsyncSession(engine) as session:
        everything = await list_studies(session, StudyFilters(), params, reader=driver_reader)
        for filters in (
            StudyFilters(treatment="minoxidil"),
            StudyFilters(condition="androgenetic-alopecia"),
            StudyFilters(q="microneedling"),
        ):
            page = await list_studies(session, filters, params, reader=driver_reader)
            assert page == await list_studies(session, filters, params)
            assert 0 < len(page.data) < len(everything.data), filters


@pytest.mark.parametrize("expand", ["", "findings", "findings,side_effects"])
async def test_a_study_built_as_dicts_is_byte_for_byte_its_models_json(
    client: httpx.AsyncClient, session: AsyncSession, expand: str
) -> None:
    """Writes check If-Match against the model's serialisation; a GET serialises dicts.
    The bytes, and so the ETags, must be the same."""
    ids = list(await session.scalars(select(Study.id)))
    served_findings = 0
    for study_id in ids:
        response = await client.get(f"/v1/studies/{study_id}", params={"expand": expand})
        assert response.status_code == 200
        model = StudyDetail.model_validate(response.json())
        assert pydantic_core.to_json(model) == response.content
        assert response.headers["etag"] == etag_for(pydantic_core.to_json(model))
        served_findings += len(response.json().get("findings", []))
    assert served_findings > 0 or not expand
