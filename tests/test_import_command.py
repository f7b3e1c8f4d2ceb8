"""`hair-evidence import`, straight into a database and through a running server, and a large
import run as a background job: real processes, real HTTP."""

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.served import create_key, prepared, run_command, serving
from tests.test_imports import FILES, SAMPLES
from tests.test_metrics import parse, value


class Server:
    def __init__(self, url: str, key: str, base: str) -> None:
        self.url, self.key, self.base = url, key, base


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A served database whose imports above 1 kB run in the background."""
    url = prepared(request.param, tmp_path_factory.mktemp("served"), "hair_evidence_served")
    key = create_key(url)
    with serving(url, {"HAIR_EVIDENCE_IMPORT_BACKGROUND_BYTES": "1000"}) as served:
        yield Server(url, key, served.base)


def test_direct_and_api_imports_print_the_same_report(
    server: Server, tmp_path_factory: pytest.TempPathFactory
) -> None:
    engine_name = "postgresql" if server.url.startswith("postgresql") else "sqlite"
    direct = prepared(engine_name, tmp_path_factory.mktemp("direct"), "hair_evidence_direct")
    for fmt, name in FILES.items():
        path = str(SAMPLES / name)
        via_api = run_command(
            server.url, "import", path, "--on-error", "skip", "--api", server.base,
            "--key", server.key, "--verbose",
        )  # fmt: skip
        straight = run_command(direct, "import", path, "--on-error", "skip", "--verbose")
        assert via_api.stdout == straight.stdout, fmt
        assert f"({fmt})" in straight.stdout
    again = run_command(direct, "import", str(SAMPLES / FILES["ris"]))
    assert "created 0, updated 0, unchanged 4, duplicate 0, rejected 0" in again.stdout


def test_dry_run_and_rejection_from_the_command_line(tmp_path: Path) -> None:
    url = prepared("sqlite", tmp_path, "cli_dry_run")
    dry = run_command(url, "import", str(SAMPLES / FILES["ris"]), "--dry-run")
    assert "dry run" in dry.stdout and "created 4" in dry.stdout
    real = run_command(url, "import", str(SAMPLES / FILES["ris"]))
    assert "created 4" in real.stdout  # the dry run wrote nothing

    bad = tmp_path / "bad.ris"
    bad.write_bytes((SAMPLES / FILES["ris"]).read_bytes().replace(b"PY  - 2019", b"PY  - 19"))
    refused = run_command(url, "import", str(bad), check=False)
    assert refused.returncode == 1
    assert "rejected" in refused.stdout and "year" in refused.stdout

    unknown = tmp_path / "notes.txt"
    unknown.write_text("shopping list: eggs")
    failed = run_command(url, "import", str(unknown), check=False)
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
