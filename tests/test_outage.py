"""The database goes away mid-run and comes back: requests get 503 problem+json, /readyz
says why, and the service recovers by itself. A real server process whose PostgreSQL
connections pass through a proxy the test cuts."""

import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from tests.proxy import CuttableProxy
from tests.served import create_key, prepared, serving

PATHS = (
    "/v1/studies/1",
    "/v1/studies?limit=5",
    "/v1/treatments/microneedling",
    "/v1/search?q=minoxidil",
)


def _hammer(base: str, stop: threading.Event, statuses: Counter[int]) -> None:
    """Requests in flight while the database goes and comes back."""
    with httpx.Client(base_url=base) as client:
        while not stop.is_set():
            for path in PATHS:
                statuses[client.get(path).status_code] += 1


def test_requests_get_503_while_postgresql_is_away_and_recover_without_a_restart(
    tmp_path: Path,
) -> None:
    url = prepared("postgresql", tmp_path, "outage")
    key = create_key(url)
    direct = make_url(url)
    with CuttableProxy((direct.host or "127.0.0.1", direct.port or 5432)) as proxy:
        proxied = direct.set(port=proxy.port).render_as_string(hide_password=False)
        with (
            serving(proxied, log=tmp_path / "server.log") as server,
            httpx.Client(base_url=server.base) as client,
        ):
            for path in PATHS:
                assert client.get(path).status_code == 200, path

            stop, statuses = threading.Event(), Counter[int]()
            beside = threading.Thread(target=_hammer, args=(server.base, stop, statuses))
            beside.start()
            time.sleep(0.5)
            proxy.cut()
            for path in (*PATHS, *PATHS):  # twice: pooled connections, then new ones
                response = client.get(path)
                assert response.status_code == 503, (path, response.text)
                assert response.headers["content-type"] == "application/problem+json"
                assert response.headers["retry-after"].isdigit()
                assert "Traceback" not in response.text and "SELECT" not in response.text
            write = client.post(
                "/v1/treatments", json={"slug": "outage", "name": "Outage"},
                headers={"Authorization": f"Bearer {key}"},
            )  # fmt: skip
            assert write.status_code == 503, write.text
            ready = client.get("/readyz")
            assert ready.status_code == 503
            assert "database" in ready.json()["detail"]
            assert client.get("/healthz").status_code == 200  # the process itself is fine

            proxy.restore()
            deadline = time.monotonic() + 30
            while client.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, "the service did not recover"
                time.sleep(0.2)
            for path in PATHS:
                assert client.get(path).status_code == 200, path
            stop.set()
            beside.join()
    assert set(statuses) == {200, 503}, statuses  # never a 500, nor a hang
