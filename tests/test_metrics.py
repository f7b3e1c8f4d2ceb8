"""Prometheus metrics at /metrics: requests per route template, imports, the database pool."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.auth.keys import Actor
from app.config import Settings
from app.db import create_sessionmaker
from app.imports import jobs
from app.main import create_app
from app.metrics.instruments import Metrics
from app.metrics.pool import PoolCollector
from app.models import ImportJob
from app.models.enums import KeyScope

SAMPLES = Path(__file__).parent / "samples"
STUDY = "/v1/studies/{study_id}"
POOL_GAUGES = ("size", "checked_in", "checked_out", "overflow")

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; a series never created reads as 0, as Prometheus would see it."""
    return samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse(response.text)


async def test_requests_are_counted_by_route_template_never_by_path(
    client: httpx.AsyncClient,
) -> None:
    study_id = (await client.get("/v1/studies", params={"limit": 1})).json()["data"][0]["id"]
    for _ in range(2):
        assert (await client.get(f"/v1/studies/{study_id}")).status_code == 200
    assert (await client.get("/v1/studies/987654321")).status_code == 404
    assert (await client.get("/no-such-page-7c1e")).status_code == 404
    assert (await client.head(f"/v1/studies/{study_id}")).status_code == 200
    assert (await client.request("BREW", f"/v1/studies/{study_id}")).status_code == 405

    text = (await client.get("/metrics")).text
    samples = parse(text)
    requests = "hair_evidence_http_requests_total"
    assert value(samples, requests, method="GET", route=STUDY, status="200") == 2
    assert value(samples, requests, method="GET", route=STUDY, status="404") == 1
    assert value(samples, requests, method="GET", route="unmatched", status="404") == 1
    # HEAD is answered by GET's route (app.middleware.HeadAsGet), and counted as HEAD.
    assert value(samples, requests, method="HEAD", route=STUDY, status="200") == 1
    assert value(samples, requests, method="other", route=STUDY, status="405") == 1
    # Only this application's requests: the list above, and no scrape until this one.
    assert value(samples, requests, method="GET", route="/v1/studies", status="200") == 1
    assert value(samples, requests, method="GET", route="/metrics", status="200") == 0

    duration = "hair_evidence_http_request_duration_seconds"
    assert value(samples, f"{duration}_count", method="GET", route=STUDY) == 3
    assert value(samples, f"{duration}_bucket", method="GET", route=STUDY, le="+Inf") == 3
    assert 0 < value(samples, f"{duration}_sum", method="GET", route=STUDY) < 30
    for sent in (f"/studies/{study_id}", "987654321", "no-such-page", "BREW"):
        assert sent not in text


async def test_the_scrape_itself_is_counted_by_the_next_one(client: httpx.AsyncClient) -> None:
    await scrape(client)
    samples = await scrape(client)
    assert value(
        samples, "hair_evidence_http_requests_total", method="GET", route="/metrics", status="200"
    ) == 1  # fmt: skip


async def test_imports_are_counted_by_outcome_with_their_records(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    ris = (SAMPLES / "references.ris").read_bytes()
    imported = await client.post("/v1/imports", content=ris, headers=writer)
    assert imported.status_code == 200, imported.text
    counts = imported.json()["report"]["counts"]
    assert counts["created"] > 0

    bad = ris.replace(b"DO  - 10.5555/fictderm.2019.0012", b"DO  - not-a-doi")
    assert (await client.post("/v1/imports", content=bad, headers=writer)).status_code == 422
    # A file that cannot be read as the format it claims is rejected as a whole.
    unreadable = await client.post(
        "/v1/imports", content=ris, headers=writer, params={"format": "bibtex"}
    )
    assert unreadable.status_code == 422
    # Refused before an import began (no format recognised): not an import at all.
    unknown = await client.post(
        "/v1/imports", content=b"shopping list", headers={**writer, "Content-Type": "text/plain"}
    )
    assert unknown.status_code == 415

    samples = await scrape(client)
    imports = "hair_evidence_imports_total"
    assert value(samples, imports, outcome="succeeded") == 1
    assert value(samples, imports, outcome="rejected") == 2
    assert value(samples, imports, outcome="failed") == 0
    records = "hair_evidence_import_records_total"
    assert value(samples, records, status="created") == counts["created"]
    # The rejected file's records were read too: one refused, the rest would have been created.
    assert value(samples, records, status="rejected") == counts["rejected"] + 1
    assert sum(value(samples, records, status=s) for s in counts) == 2 * sum(counts.values())


async def test_a_background_import_that_breaks_is_counted_as_failed(
    engine: AsyncEngine, settings: Settings
) -> None:
    metrics = Metrics(engine=lambda: engine)
    writer = Actor(key_id=None, name="test", scope=KeyScope.write)
    # A queued job whose file is gone: the run fails before it reads a record.
    async with engine.begin() as connection:
        job_id = await connection.scalar(
            insert(ImportJob)
            .values(
                status="queued",
                format="ris",
                dry_run=False,
                on_error="reject",
                request_hash="0" * 64,
                payload=None,
                processed=0,
            )  # fmt: skip
            .returning(ImportJob.id)
        )
    try:
        await jobs.run(create_sessionmaker(engine), settings, job_id, writer, metrics)
        samples = parse(metrics.exposition("")[0].decode())
        assert value(samples, "hair_evidence_imports_total", outcome="failed") == 1
        assert value(samples, "hair_evidence_imports_total", outcome="succeeded") == 0
        async with engine.connect() as connection:
            status = await connection.scalar(select(ImportJob.status).where(ImportJob.id == job_id))
        assert status == "failed"
    finally:
        async with engine.begin() as connection:
            await connection.execute(delete(ImportJob).where(ImportJob.id == job_id))


async def test_pool_gauges_are_read_at_scrape_time(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings, backend: str
) -> None:
    before = await scrape(client)
    for gauge in POOL_GAUGES:
        assert (f"hair_evidence_db_pool_{gauge}", frozenset()) in before
    size = value(before, "hair_evidence_db_pool_size")
    # SQLAlchemy's own default on SQLite; the configured size on PostgreSQL.
    assert size == (settings.db_pool_size if backend == "postgresql" else 5)
    # The test's transaction holds one connection already.
    assert value(before, "hair_evidence_db_pool_checked_out") >= 1
    async with engine.connect():
        during = await scrape(client)
    assert value(during, "hair_evidence_db_pool_checked_out") == (
        value(before, "hair_evidence_db_pool_checked_out") + 1
    )


async def test_a_pool_that_does_not_count_reports_nothing_and_does_not_fail() -> None:
    memory = create_async_engine("sqlite+aiosqlite://")  # a StaticPool
    try:
        assert list(PoolCollector(lambda: memory).collect()) == []
    finally:
        await memory.dispose()
    assert list(PoolCollector(lambda: None).collect()) == []  # before the app has started


async def test_openmetrics_when_the_scraper_asks_and_not_in_the_api_document(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")
    assert "/metrics" not in (await client.get("/openapi.json")).json()["paths"]


async def test_metrics_can_be_turned_off(settings: Settings, engine: AsyncEngine) -> None:
    app = create_app(settings.model_copy(update={"metrics": False}), engine=engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/metrics")).status_code == 404
    counted = parse(app.state.metrics.exposition("")[0].decode())
    assert not any(name.startswith("hair_evidence_http_") for name, _ in counted)


# Two serving processes write to one directory; a scrape in either sums both.
_WORKER = """
import asyncio, sys
import httpx
from app.config import Settings
from app.main import create_app

async def main() -> None:
    app = create_app(Settings(database_url="sqlite:///unused.db", access_log=False))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://worker") as client:
        for _ in range(int(sys.argv[1])):
            await client.get("/healthz")
        if sys.argv[2] == "scrape":
            print((await client.get("/metrics")).text)

asyncio.run(main())
"""


def test_several_workers_share_their_counts_in_multiprocess_mode(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}

    def worker(requests: int, then: str) -> str:
        command = [sys.executable, "-c", _WORKER, str(requests), then]
        return subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout

    worker(3, "exit")
    samples = parse(worker(2, "scrape"))
    healthz = {"method": "GET", "route": "/healthz", "status": "200"}
    assert value(samples, "hair_evidence_http_requests_total", **healthz) == 5
    assert value(
        samples, "hair_evidence_http_request_duration_seconds_count", method="GET", route="/healthz"
    ) == 5  # fmt: skip
    assert len(list(tmp_path.glob("*.db"))) >= 2  # one file per process and kind of metric
