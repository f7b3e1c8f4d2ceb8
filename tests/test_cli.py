"""The ``hair-evidence`` command, run as a user runs it, against real databases."""

from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_database
from tests.served import run_command, serving


def _run(url: str, *args: str) -> str:
    return run_command(url, *args).stdout


@pytest.mark.parametrize("engine_name", ["sqlite", "postgresql"])
def test_upgrade_seed_twice_downgrade(engine_name: str, tmp_path: Path) -> None:
    url = fresh_database(engine_name, tmp_path, "hair_evidence_cli")
    _run(url, "db", "upgrade")

    first = _run(url, "seed")
    assert "studies.created=9" in first
    assert "findings.created=12" in first
    assert _run(url, "seed").strip() == "seed: nothing to change"

    _run(url, "db", "downgrade")
    _run(url, "db", "upgrade")
    assert "studies.created=9" in _run(url, "seed")


def test_serve_answers_over_http(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    _run(url, "db", "upgrade")
    _run(url, "seed")
    with serving(url) as server:
        response = httpx.get(f"{server.base}/v1/treatments/microneedling")
        assert response.status_code == 200
        assert response.json()["aliases"] == ["derma roller"]
        assert httpx.get(f"{server.base}/docs").status_code == 200
