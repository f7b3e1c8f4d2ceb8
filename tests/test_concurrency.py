"""Concurrent writes on PostgreSQL: of many PATCHes sent with the same ETag, exactly one wins.

These requests must each have their own connection and transaction, so they cannot run in
the rolled-back test transaction: the test builds its own application on its own engine,
commits what it needs, and deletes it again afterwards so other tests see the seed unchanged.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.auth.keys import create_key
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.main import create_app
from app.models import ApiKey, AuditEntry, Condition, ImportJob, Source, Study, Treatment
from app.models.enums import KeyScope
from app.reads import create_reader
from tests.factories import unique

CONCURRENT = 10


@asynccontextmanager
async def _own_client(settings: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """The application on its own engine: every request gets its own session and connection."""
    app = create_app(settings, engine=engine)
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.reader = create_reader(engine)  # the production reader, on committed data
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@dataclass(frozen=True)
class Target:
    segment: str
    model: Any
    create: Callable[[str], dict[str, Any]]
    patch: Callable[[str, int], dict[str, Any]]
    changed: str  # the response field each PATCH sets differently


TARGETS = {
    # A column of the row itself.
    "condition name": Target(
        segment="conditions",
        model=Condition,
        create=lambda slug: {"slug": slug, "name": "Contested condition"},
        patch=lambda slug, i: {"name": f"Contested condition, edit {i}"},
        changed="name",
    ),
    # Only child rows: the row's version must still guard the change.
    "treatment aliases": Target(
        segment="treatments",
        model=Treatment,
        create=lambda slug: {"slug": slug, "name": "Contested device", "kind": "device"},
        patch=lambda slug, i: {"aliases": [f"contested alias {slug} {i}"]},
        changed="aliases",
    ),
}


@pytest.mark.parametrize("target_name", TARGETS)
async def test_concurrent_patches_with_one_etag_let_exactly_one_win(
    settings: Settings, engine: AsyncEngine, backend: str, target_name: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers; the race is a PostgreSQL matter")
    target = TARGETS[target_name]
    own_engine = create_engine(settings)
    slug, key_name = unique("contested"), unique("race-writer")
    try:
        async with AsyncSession(own_engine) as session, session.begin():
            key = await create_key(session, key_name, KeyScope.write)
        headers = {"Authorization": f"Bearer {key}"}

        async with _own_client(settings, own_engine) as client:
            created = await client.post(
                f"/v1/{target.segment}", json=target.create(slug), headers=headers
            )
            assert created.status_code == 201, created.text
            path, etag = created.headers["location"], created.headers["etag"]

            async def attempt(i: int) -> httpx.Response:
                return await client.patch(
                    path, json=target.patch(slug, i), headers={**headers, "If-Match": etag}
                )

            attempts: list[Awaitable[httpx.Response]] = [attempt(i) for i in range(CONCURRENT)]
            responses = await asyncio.gather(*attempts)
            final = await client.get(path)
            entries = await client.get(f"/v1/{target.segment}/{slug}/history")

        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200] + [412] * (CONCURRENT - 1), statuses
        for response in responses:
            if response.status_code == 412:
                assert response.headers["content-type"].startswith("application/problem+json")
        (winner,) = [response for response in responses if response.status_code == 200]
        assert final.status_code == 200
        assert final.headers["etag"] == winner.headers["etag"]
        assert final.json()[target.changed] == winner.json()[target.changed]

        assert entries.status_code == 200, entries.text
        actions = [entry["action"] for entry in entries.json()["data"]]
        assert actions == ["create", "update"], actions
        update = entries.json()["data"][1]
        assert update["actor"] == key_name
        assert update["changes"][target.changed]["to"] == winner.json()[target.changed]
    finally:
        async with AsyncSession(own_engine) as session, session.begin():
            row_ids = select(target.model.id).where(target.model.slug == slug)
            await session.execute(
                delete(AuditEntry).where(
                    AuditEntry.resource == target.segment,
                    or_(AuditEntry.resource_key == slug, AuditEntry.resource_id.in_(row_ids)),
                )
            )
            await session.execute(delete(target.model).where(target.model.slug == slug))
            await session.execute(delete(ApiKey).where(ApiKey.name == key_name))
        async with AsyncSession(own_engine) as session:
            assert (
                await session.scalar(select(target.model.id).where(target.model.slug == slug))
                is None
            )
            assert await session.scalar(select(ApiKey.id).where(ApiKey.name == key_name)) is None
        await own_engine.dispose()


CREATES: dict[str, Callable[[str, int], tuple[str, dict[str, Any]]]] = {
    # The same slug ten times.
    "condition slug": lambda tag, i: (
        "conditions",
        {"slug": f"contested-{tag}", "name": f"Contested condition {i}"},
    ),
    # The same DOI ten times, in different spellings.
    "study doi": lambda tag, i: (
        "studies",
        {
            "title": f"A contested fictional study {tag} {i}",
            "doi": (f"10.5555/Contested.{tag}", f"https://doi.org/10.5555%2Fcontested.{tag}")[
                i % 2
            ],
        },
    ),
}


@pytest.mark.parametrize("create_name", CREATES)
async def test_concurrent_creates_of_one_identity_let_exactly_one_win(
    settings: Settings, engine: AsyncEngine, backend: str, create_name: str
) -> None:
    """Each request's check for a clash passes before any commits: the database decides,
    and the losers must get 409 (not a 500), with nothing of theirs left behind."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers; the race is a PostgreSQL matter")
    make = CREATES[create_name]
    tag, key_name = unique("c"), unique("race-creator")
    segment = make(tag, 0)[0]
    own_engine = create_engine(settings)
    try:
        async with AsyncSession(own_engine) as session, session.begin():
            key = await create_key(session, key_name, KeyScope.write)
        headers = {"Authorization": f"Bearer {key}"}
        async with _own_client(settings, own_engine) as client:
            responses = await asyncio.gather(
                *(
                    client.post(f"/v1/{segment}", json=make(tag, i)[1], headers=headers)
                    for i in range(CONCURRENT)
                )
            )
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [201] + [409] * (CONCURRENT - 1), statuses

        async with AsyncSession(own_engine) as session:
            if segment == "conditions":
                rows = await session.scalars(
                    select(Condition.id).where(Condition.slug == f"contested-{tag}")
                )
            else:
                rows = await session.scalars(
                    select(Study.id).where(Study.doi_key == f"10.5555/contested.{tag}")
                )
            assert len(rows.all()) == 1
            audits = await session.scalars(
                select(AuditEntry.action).where(AuditEntry.actor == key_name)
            )
            assert audits.all() == ["create"]
    finally:
        async with AsyncSession(own_engine) as session, session.begin():
            if segment == "conditions":
                ids = select(Condition.id).where(Condition.slug == f"contested-{tag}")
            else:
                ids = select(Study.id).where(Study.doi_key == f"10.5555/contested.{tag}")
            row_ids = list((await session.scalars(ids)).all())
            await session.execute(delete(AuditEntry).where(AuditEntry.actor == key_name))
            await session.execute(
                delete(AuditEntry).where(
                    AuditEntry.resource == segment, AuditEntry.resource_id.in_(row_ids)
                )
            )
            if segment == "conditions":
                await session.execute(delete(Condition).where(Condition.id.in_(row_ids)))
            else:
                await session.execute(delete(Source).where(Source.study_id.in_(row_ids)))
                await session.execute(delete(Study).where(Study.id.in_(row_ids)))
            await session.execute(delete(ApiKey).where(ApiKey.name == key_name))
        async with AsyncSession(own_engine) as session:
            assert not (await session.scalars(ids)).all()
        await own_engine.dispose()


async def test_two_clients_importing_one_file_at_once_create_each_study_once(
    settings: Settings, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers; the race is a PostgreSQL matter")
    own_engine = create_engine(settings)
    tag, key_name = unique("twin"), unique("twin-importer")
    # Records with and without identifiers: the second kind is matched by title and year only.
    body = "".join(
        f"TY  - JOUR\nTI  - Twin import {tag} record {i}\nPY  - 2024\nT2  - Fictional Journal\n"
        + (f"DO  - 10.5555/twin.{tag}.{i}\n" if i % 2 else "")
        + "ER  - \n\n"
        for i in range(6)
    ).encode()
    try:
        async with AsyncSession(own_engine) as session, session.begin():
            key = await create_key(session, key_name, KeyScope.write)
        headers = {"Authorization": f"Bearer {key}"}
        async with _own_client(settings, own_engine) as client:
            first, second = await asyncio.gather(
                client.post("/v1/imports", content=body, headers=headers),
                client.post("/v1/imports", content=body, headers=headers),
            )
        assert first.status_code == second.status_code == 200, (first.text, second.text)
        counts = sorted(
            (r.json()["report"]["counts"]["created"], r.json()["report"]["counts"]["unchanged"])
            for r in (first, second)
        )
        assert counts == [(0, 6), (6, 0)]
        async with AsyncSession(own_engine) as session:
            stored = await session.scalars(
                select(Study.title).where(Study.title.like(f"Twin import {tag} %"))
            )
            assert sorted(stored) == sorted(f"Twin import {tag} record {i}" for i in range(6))
    finally:
        async with AsyncSession(own_engine) as session, session.begin():
            ids = select(Study.id).where(Study.title.like(f"Twin import {tag} %"))
            await session.execute(
                delete(AuditEntry).where(
                    AuditEntry.resource == "studies", AuditEntry.resource_id.in_(ids)
                )
            )
            await session.execute(delete(Source).where(Source.study_id.in_(ids)))
            await session.execute(delete(Study).where(Study.title.like(f"Twin import {tag} %")))
            key_id = select(ApiKey.id).where(ApiKey.name == key_name).scalar_subquery()
            await session.execute(delete(ImportJob).where(ImportJob.key_id == key_id))
            await session.execute(delete(ApiKey).where(ApiKey.name == key_name))
        await own_engine.dispose()
