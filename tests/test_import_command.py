"""`hair-evidence import`, straight into a database and through a running server, and a large
import run as a background job: real processes, real HTTP."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_database
from tests.test_imports import FILES, SAMPLES
from tests.test_metrics import parse, value

COMMAND = str(Path(sys.executable).parent / "hair-evidence")


def _run(url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [COMMAND, *args],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def _prepared(engine_name: str, folder: Path, name: str) -> str:
    url = fresh_database(engine_name, folder, name)
    _run(url, "db", "upgrade")
    _run(url, "seed")
    return url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(self, url: str, key: str, base: str) -> None:
        self.url, self.key, self.base = url, key, base


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A served database whose imports above 1 kB run in the background."""
    url = _prepared(request.param, tmp_path_factory.mktemp("served"), "hair_evidence_served")
    key = _run(url, "keys", "create", "--name", "importer", "--scope", "write").stdout.strip()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "HAIR_EVIDENCE_IMPORT_BACKGROUND_BYTES": "1000"}
    process = subprocess.Popen(
        [COMMAND, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.2)
        yield Server(url, key, base)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_direct_and_api_imports_print_the_same_report(
    server: Server, tmp_path_factory: pytest.TempPathFactory
) -> None:
    engine_name = "postgresql" if server.url.startswith("postgresql") else "sqlite"
    direct = _prepared(engine_name, tmp_path_factory.mktemp("direct"), "hair_evidence_direct")
    for fmt, name in FILES.items():
        path = str(SAMPLES / name)
        via_api = _run(
            server.url, "import", path, "--on-error", "skip", "--api", server.base,
            "--key", server.key, "--verbose",
        )  # fmt: skip
        straight = _run(direct, "import", path, "--on-error", "skip", "--verbose")
        assert via_api.stdout == straight.stdout, fmt
        assert f"({fmt})" in straight.stdout
    again = _run(direct, "import", str(SAMPLES / FILES["ris"]))
    assert "created 0, updated 0, unchanged 4, duplicate 0, rejected 0" in again.stdout


def test_dry_run_and_rejection_from_the_command_line(tmp_path: Path) -> None:
    url = _prepared("sqlite", tmp_path, "cli_dry_run")
    dry = _run(url, "import", str(SAMPLES / FILES["ris"]), "--dry-run")
    assert "dry run" in dry.stdout and "created 4" in dry.stdout
    real = _run(url, "import", str(SAMPLES / FILES["ris"]))
    assert "created 4" in real.stdout  # the dry run wrote nothing

    bad = tmp_path / "bad.ris"
    bad.write_bytes((SAMPLES / FILES["ris"]).read_bytes().replace(b"PY  - 2019", b"PY  - 19"))
    refused = _run(url, "import", str(bad), check=False)
    assert refused.returncode == 1
    assert "rejected" in refused.stdout and "year" in refused.stdout

    unknown = tmp_path / "notes.txt"
    unknown.write_text("shopping list: eggs")
    failed = _run(url, "import", str(unknown), check=False)
    assert failed.returncode == 2
    assert "no supported format" in failed.stderr


def test_large_import_runs_as_a_background_job(server: Server) -> None:
    body = (SAMPLES / FILES["pubmed_xml"]).read_bytes()
    assert len(body) > 1000
    headers = {"Authorization": f"Bearer {server.key}"}
    before = parse(httpx.get(f"{server.base}/metrics").text)
    response = httpx.post(f"{server.base}/v1/imports", content=body, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["status"] in ("queued", "running")
    location = response.headers["location"]
    deadline = time.monotonic() + 60
    while (job := httpx.get(f"{server.base}{location}").json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["status"] == "succeeded", job
    assert job["processed"] == job["total"] == len(job["report"]["records"])
    assert job["started_at"] is not None and job["finished_at"] is not None
    counts = job["report"]["counts"]
    assert sum(counts.values()) == job["total"]
    studies = httpx.get(f"{server.base}{job['links']['studies']}&count=true")
    assert studies.json()["total"] == counts["created"]

    after = parse(httpx.get(f"{server.base}/metrics").text)

    def added(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    imports = "hair_evidence_imports_total"
    assert added(imports, outcome="succeeded") == 1
    assert added(imports, outcome="rejected") == added(imports, outcome="failed") == 0
    records = "hair_evidence_import_records_total"
    assert sum(added(records, status=status) for status in counts) == job["total"]
