"""Schema-driven fuzzing: schemathesis builds cases for every operation of the OpenAPI
document, writes included, and sends them to a running server; every answer must be free of
5xx, have a documented status, and match its documented content type, headers and schema.

The server is uvicorn on a free loopback port, on a database of its own (migrated, seeded,
with an admin key the cases are sent with), so what the fuzzer writes never reaches the
other tests' data. Before any case is sent, the document the server serves at /openapi.json
must be the one the cases were built from.

Both engines get the documented examples. To stay inside CI's time, each of the two larger
phases runs on one engine: PostgreSQL gets the coverage phase (each value at and just past its
schema's bounds, each wrong type, each missing field, each undocumented method), since the
longest strings and odd characters are where the engines differ and only PostgreSQL refuses
them; SQLite gets the random cases of the fuzzing phase.
"""

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
import uvicorn
from schemathesis import Case
from sqlalchemy.ext.asyncio import AsyncSession

from app import migrate
from app.auth.keys import create_key
from app.config import Settings
from app.db import create_engine
from app.main import create_app
from app.models.enums import KeyScope
from app.seed import seed
from tests.databases import fresh_database

# Random cases per operation, in the fuzzing phase.
MAX_EXAMPLES = 15
# Fixed, so that a failure in CI is the same failure on a developer's machine.
SEED = 20240601


def _config(*, systematic: bool) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            # Report every distinct failure of an operation, not only the first.
            "continue-on-failure": True,
            "phases": {
                "coverage": {"enabled": systematic},
                "fuzzing": {"enabled": not systematic},
            },
            "checks": {
                # A schema-valid request may still name nothing: a cursor the API never
                # issued, a slug no treatment has, an If-Match that is not the current ETag, a
                # body that breaks a rule between fields, text that is no reference file. The
                # API refuses these with its documented 422 and 412, and no schema can know
                # which slugs exist or which ETag is current. If-Match is optional in the
                # schema so that a request without it reaches the API, which answers 428
                # (RFC 6585). Those three statuses join schemathesis's defaults.
                "positive_data_acceptance": {
                    "expected-statuses": [
                        *("2xx", "3xx", "401", "403", "404", "409", "429", "5xx"),
                        *("412", "422", "428"),
                    ],
                },
            },
            "operations": [
                {
                    # text/plain and application/json bodies are sniffed; content in none of
                    # the formats is refused with the documented 415, as for a media type
                    # the API does not read.
                    "include-name": "POST /v1/imports",
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [
                                *("2xx", "3xx", "401", "403", "404", "409", "429", "5xx"),
                                *("415", "422"),
                            ],
                        },
                    },
                },
            ],
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                # No .hypothesis/ directory: every run starts from the seed alone.
                "database": "none",
            },
        }
    )


# The import formats that are text go on the wire as text, as text/plain does.
schemathesis.serializer.alias(
    ["application/x-research-info-systems", "application/x-bibtex", "application/nbib"],
    "text/plain",
)


def _settings(database_url: str) -> Settings:
    unlimited = "1000000/minute"  # the fuzzer writes far faster than any client may
    return Settings(
        database_url=database_url,
        rate_limit_writes=unlimited,
        rate_limit_imports=unlimited,
        access_log=False,
    )


# Built at import, as pytest collects one test per operation; no database is touched.
DOCUMENT: dict[str, Any] = create_app(_settings("sqlite://")).openapi()
systematic = schemathesis.openapi.from_dict(DOCUMENT, config=_config(systematic=True))
fuzzing = schemathesis.openapi.from_dict(DOCUMENT, config=_config(systematic=False))


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    headers: dict[str, str]  # an admin key's: every write and key operation is allowed
    session: requests.Session  # one kept-alive connection for every case

    def send_and_check(self, case: Case) -> None:
        case.call_and_validate(base_url=self.base_url, headers=self.headers, session=self.session)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _seed_with_key(settings: Settings) -> str:
    engine = create_engine(settings)
    try:
        async with AsyncSession(engine) as session, session.begin():
            await seed(session, settings)
            return await create_key(session, "fuzz-admin", KeyScope.admin)
    finally:
        await engine.dispose()


def _serve(engine_name: str, folder: Path) -> Iterator[LiveServer]:
    url = fresh_database(engine_name, folder, "hair_evidence_fuzz")
    migrate.upgrade("head", url)
    settings = _settings(url)
    key = asyncio.run(_seed_with_key(settings))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=port,
            log_config=None,
            log_level="warning",
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, name=f"fuzz-{engine_name}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        base_url = f"http://127.0.0.1:{port}"
        served = httpx.get(f"{base_url}/openapi.json")
        assert served.json() == DOCUMENT, "the server serves another document than was fuzzed"
        with requests.Session() as session:
            yield LiveServer(base_url, {"Authorization": f"Bearer {key}"}, session)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def postgresql_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from _serve("postgresql", tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from _serve("sqlite", tmp_path_factory.mktemp("fuzz"))


@systematic.parametrize()
def test_postgresql_answers_as_documented(case: Case, postgresql_server: LiveServer) -> None:
    postgresql_server.send_and_check(case)


@fuzzing.parametrize()
def test_sqlite_answers_as_documented(case: Case, sqlite_server: LiveServer) -> None:
    sqlite_server.send_and_check(case)
