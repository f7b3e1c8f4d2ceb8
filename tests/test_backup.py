"""Backup and restore: a dump restored into an empty database of either engine is the same
database, answers the API the same, and hands out new ids after the old ones; a restore that
could not be exact writes nothing.

The databases here are their own (not the suite's rolled-back one): a restore commits.
"""

import asyncio
import io
import json
import math
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import migrate
from app.auth.keys import create_key, revoke_key
from app.backup.dump import dump
from app.backup.format import BackupRefused
from app.backup.ids import id_column, read_last_id
from app.backup.restore import restore
from app.backup.values import RowCodec
from app.cli import main
from app.config import Settings, get_settings
from app.db import create_engine, create_sessionmaker
from app.main import create_app
from app.models import Base, Finding, Treatment
from app.models.enums import KeyScope
from app.reads import create_reader
from app.seed import seed
from tests.databases import fresh_database

ENGINES = ("sqlite", "postgresql")
# (the engine dumped, the engine restored into)
CROSSINGS = [("sqlite", "postgresql"), ("postgresql", "sqlite")]
CROSSING_IDS = [f"{a}-to-{b}" for a, b in CROSSINGS]
SAMPLE_RIS = Path(__file__).parent / "samples" / "references.ris"
COMMAND = str(Path(sys.executable).parent / "hair-evidence")


def _settings(url: str) -> Settings:
    unlimited = "1000000/minute"
    return Settings(database_url=url, rate_limit_writes=unlimited, rate_limit_imports=unlimited)


def _empty(engine_name: str, folder: Path, name: str) -> str:
    """A new database migrated to head, with nothing in it."""
    url = fresh_database(engine_name, folder, name)
    migrate.upgrade("head", url)
    return url


@asynccontextmanager
async def _client(url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The application on the database at ``url``, as it is served: its own engine, a
    session per request, the production reader."""
    settings = _settings(url)
    engine = create_engine(settings)
    app = create_app(settings, engine=engine)
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.reader = create_reader(engine)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        app.state.reader.close()
        await engine.dispose()


def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


async def _fill(url: str) -> None:
    """The seed, then what only use leaves behind: keys (one revoked), edits and their
    history, a deleted row, exact numbers, text in many scripts and an import job."""
    settings = _settings(url)
    engine = create_engine(settings)
    async with AsyncSession(engine) as session, session.begin():
        await seed(session, settings)
        key = await create_key(session, "backup-writer", KeyScope.write)
        await create_key(session, "retired", KeyScope.admin)
        await revoke_key(session, "retired")
    await engine.dispose()

    writer = {"Authorization": f"Bearer {key}"}
    async with _client(url) as client:
        synonyms = [
            'Haarausfall „diffus“ – "TE"',
            "休止期脱毛",
            "\U0001f9d1\u200d\U0001f9b2\nshedding",
        ]
        condition = {"slug": "telogen-effluvium", "name": "Telogen effluvium", "synonyms": synonyms}
        created = await client.post("/v1/conditions", json=condition, headers=writer)
        _ok(created, 201)
        renamed = await client.patch(
            "/v1/conditions/telogen-effluvium",
            json={"name": "Telogen effluvium (acute)"},
            headers={**writer, "If-Match": created.headers["etag"]},
        )
        _ok(renamed)

        # Deleted after creation: its id must never be handed out again.
        foam = {"slug": "short-lived-foam", "name": "Short-lived foam", "kind": "topical_drug"}
        made = await client.post("/v1/treatments", json=foam, headers=writer)
        _ok(made, 201)
        gone = await client.delete(
            "/v1/treatments/short-lived-foam",
            headers={**writer, "If-Match": made.headers["etag"]},
        )
        _ok(gone, 204)

        study = _ok(await client.get("/v1/studies", params={"limit": 1}))["data"][0]
        numbers = {"effect_measure": "MD", "effect_value": 0.1 + 0.2, "ci_lower": 1e-9,
                   "ci_upper": 123456.789012345, "p_value": 5e-300,
                   "mean_intervention": -1234.5678e-5, "n_intervention": 17,
                   "n_comparator": 19}  # fmt: skip
        finding = {"kind": "efficacy", "study_id": study["id"], "intervention": "minoxidil",
                   "direction": "benefit", "quote": "Fictional: density rose by 0.3 hairs per cm².",
                   "numbers": numbers}  # fmt: skip
        _ok(await client.post("/v1/findings", json=finding, headers=writer), 201)

        imported = await client.post("/v1/imports", content=SAMPLE_RIS.read_bytes(), headers=writer)
        assert _ok(imported)["report"]["counts"]["created"] > 0


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A used database on each engine."""
    folder = tmp_path_factory.mktemp("backup-sources")
    urls = {name: _empty(name, folder, f"hair_evidence_backup_{name}") for name in ENGINES}
    for url in urls.values():
        asyncio.run(_fill(url))
    return urls


async def _dump(url: str) -> bytes:
    engine = create_engine(_settings(url))
    out = io.BytesIO()
    try:
        await dump(engine, out)
    finally:
        await engine.dispose()
    return out.getvalue()


async def _restore(url: str, data: bytes) -> None:
    engine = create_engine(_settings(url))
    try:
        await restore(engine, io.StringIO(data.decode()))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def dumps(sources: dict[str, str]) -> dict[str, bytes]:
    return {name: asyncio.run(_dump(url)) for name, url in sources.items()}


@pytest.fixture(scope="module")
def restored(
    tmp_path_factory: pytest.TempPathFactory, dumps: dict[str, bytes]
) -> dict[tuple[str, str], str]:
    """Each source's dump restored into an empty database of the other engine."""
    folder = tmp_path_factory.mktemp("backup-restored")
    urls = {}
    for origin, target in CROSSINGS:
        url = _empty(target, folder, f"hair_evidence_restored_from_{origin}")
        asyncio.run(_restore(url, dumps[origin]))
        urls[origin, target] = url
    return urls


def _split(data: bytes) -> tuple[dict[str, Any], bytes]:
    """A dump's header (its first line, up to the tables) and the tables after it."""
    first, rest = data.split(b"\n", 1)
    header = json.loads(first.removesuffix(b',"tables":{') + b"}")
    return header, rest


def _parts(data: bytes) -> tuple[dict[str, Any], bytes]:
    """A dump's header without its creation time, and the rest of it byte for byte."""
    header, rest = _split(data)
    del header["created_at"]
    return header, rest


async def _untouched(url: str) -> bool:
    """No table holds a row, and no id has been handed out."""
    engine = create_engine(_settings(url))
    try:
        async with engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                if await connection.scalar(select(func.count()).select_from(table)):
                    return False
                column = id_column(table)
                if column is not None and await read_last_id(connection, table, column):
                    return False
            return True
    finally:
        await engine.dispose()


SEARCHES = ("minoxidil", "hair", "micro*", '"hair loss"', "müller")


async def _search(url: str, query: str) -> list[dict[str, Any]]:
    """A search's hits, those of equal score in a fixed order: restore rebuilds the index,
    so ties no longer come in the order the resources were first indexed."""
    async with _client(url) as client:
        hits = _ok(await client.get("/v1/search", params={"q": query, "limit": 100}))["data"]
    assert hits, f"nothing found for {query!r}"
    return sorted(hits, key=lambda hit: (-hit["score"], hit["type"], hit["id"] or hit["slug"]))


def _found(hits: list[dict[str, Any]]) -> set[tuple[str, int | None, str | None]]:
    return {(hit["type"], hit["id"], hit["slug"]) for hit in hits}


# --- The round trip ---------------------------------------------------------------------------


@pytest.mark.parametrize(("origin", "target"), CROSSINGS, ids=CROSSING_IDS)
async def test_round_trip_between_engines_is_lossless(
    origin: str,
    target: str,
    sources: dict[str, str],
    dumps: dict[str, bytes],
    restored: dict[tuple[str, str], str],
    tmp_path: Path,
) -> None:
    first = dumps[origin]
    tables = json.loads(first)["tables"]
    # What must travel is there: history, keys (hashes only), the import job, a gap in ids.
    assert tables["audit_entries"]["count"] > 0
    assert [row[1] for row in tables["api_keys"]["rows"]] == ["backup-writer", "retired"]
    assert tables["api_keys"]["rows"][1][5] is not None  # revoked_at
    assert tables["import_jobs"]["count"] == 1
    treatments = tables["treatments"]
    assert treatments["last_id"] > max(row[0] for row in treatments["rows"])
    assert "search_entries" not in tables

    second = await _dump(restored[origin, target])
    assert _parts(second) == _parts(first)

    # And back into the engine it came from, where search ranks as it did.
    back = await asyncio.to_thread(_empty, origin, tmp_path, "hair_evidence_restored_back")
    await _restore(back, second)
    assert _parts(await _dump(back)) == _parts(first)
    for query in SEARCHES:
        assert await _search(back, query) == await _search(sources[origin], query)


API_READS = [
    "/v1/treatments",
    "/v1/treatments/minoxidil",
    "/v1/treatments/minoxidil/studies",
    "/v1/studies?limit=500",
    "/v1/findings?limit=500",
    "/v1/conditions",
    "/v1/conditions/telogen-effluvium",
    "/v1/conditions/telogen-effluvium/history",
    "/v1/treatments/short-lived-foam/history",
    "/v1/side-effects",
    "/v1/side-effect-reports",
    "/v1/sources",
    "/v1/cautions",
    "/v1/imports/1",
]


async def _reads(url: str) -> dict[str, Any]:
    async with _client(url) as client:
        answers: dict[str, Any] = {}
        for path in API_READS:
            response = await client.get(path)
            answers[path] = (response.status_code, response.headers.get("etag"), response.json())
        # Every study in full: authors, findings, warnings.
        for study in answers["/v1/studies?limit=500"][2]["data"]:
            path = f"/v1/studies/{study['id']}"
            answers[path] = (await client.get(path)).json()
        return answers


@pytest.mark.parametrize(("origin", "target"), CROSSINGS, ids=CROSSING_IDS)
async def test_the_restored_database_answers_the_api_alike(
    origin: str,
    target: str,
    sources: dict[str, str],
    restored: dict[tuple[str, str], str],
) -> None:
    before = await _reads(sources[origin])
    assert all(before[path][0] == 200 for path in API_READS)
    findings = before["/v1/findings?limit=500"][2]["data"]
    assert any(finding["numbers"]["p_value"] == 5e-300 for finding in findings)
    assert await _reads(restored[origin, target]) == before
    # Each engine ranks by its own measure; on these words their tokenisers agree.
    for query in SEARCHES:
        expected = _found(await _search(sources[origin], query))
        assert _found(await _search(restored[origin, target], query)) == expected


@pytest.mark.parametrize("engine_name", ENGINES)
async def test_rows_created_after_a_restore_take_new_ids(
    engine_name: str, dumps: dict[str, bytes], tmp_path: Path
) -> None:
    origin = next(a for a, b in CROSSINGS if b == engine_name)
    url = await asyncio.to_thread(_empty, engine_name, tmp_path, "hair_evidence_restored_used")
    await _restore(url, dumps[origin])
    engine = create_engine(_settings(url))
    async with AsyncSession(engine) as session, session.begin():
        key = await create_key(session, "after-restore", KeyScope.write)
    await engine.dispose()

    treatments = json.loads(dumps[origin])["tables"]["treatments"]
    async with _client(url) as client:
        body = {"slug": "after-restore", "name": "After restore", "kind": "device"}
        created = await client.post(
            "/v1/treatments", json=body, headers={"Authorization": f"Bearer {key}"}
        )
        _ok(created, 201)
    # Past the deleted treatment's id too, as the original database would have gone on.
    engine = create_engine(_settings(url))
    async with engine.connect() as connection:
        new_id = await connection.scalar(
            select(Treatment.id).where(Treatment.slug == "after-restore")
        )
    await engine.dispose()
    assert new_id == treatments["last_id"] + 1


# --- Refusals: nothing written ----------------------------------------------------------------


@pytest.mark.parametrize("engine_name", ENGINES)
async def test_restore_refuses_a_database_that_is_not_empty(
    engine_name: str, sources: dict[str, str], dumps: dict[str, bytes]
) -> None:
    before = await _dump(sources[engine_name])
    with pytest.raises(BackupRefused, match="the database is not empty"):
        await _restore(sources[engine_name], dumps[engine_name])
    assert _parts(await _dump(sources[engine_name])) == _parts(before)


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("backup-empty")
    return {name: _empty(name, folder, f"hair_evidence_backup_empty_{name}") for name in ENGINES}


def _edit_header(data: bytes, **changes: Any) -> bytes:
    header, rest = _split(data)
    return orjson.dumps(header | changes)[:-1] + b',"tables":{\n' + rest


def _edit_table(data: bytes, table: str, edit: Callable[[bytes], bytes]) -> bytes:
    start = data.index(b'\n"' + table.encode() + b'":')
    end = data.index(b"\n]}", start)
    return data[:start] + edit(data[start:end]) + data[end:]


# Each spoils a good dump; the last ones only show once earlier tables are written.
SPOILED: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "another format": (lambda d: _edit_header(d, format="other-dump"), "not a hair-evidence"),
    "a later version": (lambda d: _edit_header(d, version=2), "format version 2"),
    "another schema": (lambda d: _edit_header(d, schema_revision="0001"), "revision '0001'"),
    "not JSON": (lambda d: b"PGDMP\x00binary", "cannot be read"),
    "cut short": (lambda d: d[: len(d) * 2 // 3], "cannot be read"),
    "a row too few": (
        lambda d: _edit_table(d, "findings", lambda t: t.rsplit(b",\n", 1)[0]),
        "findings: the dump says",
    ),
    "a bad timestamp": (
        lambda d: _edit_table(d, "cautions", lambda t: t.replace(b"+00:00", b"", 1)),
        "has no time zone",
    ),
    "a table missing": (
        lambda d: d[: d.index(b',\n"side_effect_reports":')] + b"\n}}\n",
        "lacks tables: side_effect_reports",
    ),
}


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize("spoil", SPOILED)
async def test_restore_refuses_a_dump_it_cannot_restore_exactly(
    spoil: str, engine_name: str, empty: dict[str, str], dumps: dict[str, bytes]
) -> None:
    edit, message = SPOILED[spoil]
    with pytest.raises(BackupRefused, match=message):
        await _restore(empty[engine_name], edit(dumps["sqlite"]))
    assert await _untouched(empty[engine_name])


async def test_text_postgresql_cannot_hold_is_refused_whole(
    empty: dict[str, str], dumps: dict[str, bytes]
) -> None:
    # SQLite stores a NUL character in text; PostgreSQL refuses it.
    spoiled = _edit_table(
        dumps["sqlite"], "conditions", lambda t: t.replace(b"Telogen", b"\\u0000")
    )
    with pytest.raises(BackupRefused, match="conditions: the database refuses a row"):
        await _restore(empty["postgresql"], spoiled)
    assert await _untouched(empty["postgresql"])


async def test_both_commands_refuse_a_database_without_the_schema(
    tmp_path: Path, dumps: dict[str, bytes]
) -> None:
    url = fresh_database("sqlite", tmp_path, "never_migrated")
    with pytest.raises(BackupRefused, match="run `hair-evidence db upgrade` first"):
        await _restore(url, dumps["sqlite"])
    with pytest.raises(BackupRefused, match="run `hair-evidence db upgrade` first"):
        await _dump(url)


def test_floats_json_cannot_spell_travel_as_strings() -> None:
    codec = RowCodec(Base.metadata.tables[Finding.__tablename__])
    names = [column.name for column in codec.columns]
    row = [None] * len(names)
    for name, value in {"effect_value": math.inf, "ci_lower": -math.inf, "p_value": math.nan,
                        "ci_upper": 5e-324}.items():  # fmt: skip
        row[names.index(name)] = value
    decoded = codec.decode(json.loads(orjson.dumps(codec.encode(row))))
    assert decoded["effect_value"] == math.inf and decoded["ci_lower"] == -math.inf
    assert math.isnan(decoded["p_value"]) and decoded["ci_upper"] == 5e-324


# --- The command --------------------------------------------------------------------------------


def _in_process(monkeypatch: pytest.MonkeyPatch, url: str, *args: str, stdin: bytes = b"") -> int:
    """``main`` as the console script calls it, without a new interpreter's start-up."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    get_settings.cache_clear()
    try:
        return main(list(args))
    finally:
        get_settings.cache_clear()


def test_the_commands_dump_to_a_file_and_restore_from_stdin(
    sources: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    path = tmp_path / "hair-evidence.json"
    dumped = subprocess.run(
        [COMMAND, "dump", str(path)], env={**os.environ, "DATABASE_URL": sources["sqlite"]},
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert dumped.returncode == 0, dumped.stderr
    assert b"rows of 14 tables" in dumped.stderr
    assert path.stat().st_mode & 0o077 == 0  # it holds the keys' hashes
    assert list(tmp_path.iterdir()) == [path]

    target = _empty("postgresql", tmp_path, "hair_evidence_backup_command")
    assert _in_process(monkeypatch, target, "restore", "-", stdin=path.read_bytes()) == 0
    assert b"search index rebuilt" in capsysbinary.readouterr().err

    assert _in_process(monkeypatch, target, "restore", str(path)) == 1
    refused = capsysbinary.readouterr().err
    assert b"restore refused, nothing written: the database is not empty" in refused

    assert _in_process(monkeypatch, target, "dump", "-") == 0
    assert _parts(capsysbinary.readouterr().out) == _parts(path.read_bytes())
