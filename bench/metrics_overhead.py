"""What the Prometheus metrics cost a hot read: ``GET /v1/studies/1`` in process, through
httpx's ASGITransport, with metrics on and off (access log off in both), in alternating
rounds so that a shared machine's drift falls on both alike; then the per-request recording
(``Metrics.observe_request``) timed alone.

    DATABASE_URL=sqlite:////tmp/metrics.db hair-evidence db upgrade
    DATABASE_URL=sqlite:////tmp/metrics.db hair-evidence seed
    python -m bench.metrics_overhead sqlite:////tmp/metrics.db 5000 7
"""

import asyncio
import statistics
import sys
import time
import timeit
from contextlib import AsyncExitStack
from types import SimpleNamespace

import httpx
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from app.metrics.instruments import Metrics

PATH = "/v1/studies/1"


async def _timed(app: FastAPI, requests: int) -> float:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(200):  # warm: the reader's statements, the metrics' label children
            await client.get(PATH)
        started = time.perf_counter()
        for _ in range(requests):
            response = await client.get(PATH)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    return elapsed


async def compare(url: str, requests: int, rounds: int) -> None:
    async with AsyncExitStack() as stack:
        apps = {}
        for on in (False, True):
            app = create_app(Settings(database_url=url, access_log=False, metrics=on))
            await stack.enter_async_context(app.router.lifespan_context(app))
            apps[on] = app
        times: dict[bool, list[float]] = {False: [], True: []}
        for round_ in range(rounds):
            for on in (True, False) if round_ % 2 else (False, True):
                times[on].append(await _timed(apps[on], requests))
    medians = {on: statistics.median(times[on]) / requests * 1e6 for on in times}
    for on in (False, True):
        label = "on " if on else "off"
        spread = ", ".join(f"{t:.2f}" for t in times[on])
        print(f"metrics {label}: {medians[on]:7.1f} µs a request (rounds: {spread} s)")
    print(f"difference: {medians[True] - medians[False]:+.1f} µs a request")


def observe_alone(number: int = 200_000) -> None:
    metrics = Metrics(engine=lambda: None)
    scope = {"method": "GET", "route": SimpleNamespace(path="/v1/studies/{study_id}")}
    best = min(
        timeit.repeat(lambda: metrics.observe_request(scope, 200, 0.0007), number=number, repeat=5)
    )
    print(f"Metrics.observe_request alone: {best / number * 1e6:.2f} µs")


if __name__ == "__main__":
    url, requests, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    asyncio.run(compare(url, requests, rounds))
    observe_alone()
