"""The ``hair-evidence`` command, run as a user runs it, against real databases."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_database

COMMAND = str(Path(sys.executable).parent / "hair-evidence")


def _run(url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": url}
    result = subprocess.run(
        [COMMAND, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_over_http(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    _run(url, "db", "upgrade")
    _run(url, "seed")
    port = _free_port()
    server = subprocess.Popen(
        [COMMAND, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.2)
        response = httpx.get(f"{base}/v1/treatments/microneedling")
        assert response.status_code == 200
        assert response.json()["aliases"] == ["derma roller"]
        assert httpx.get(f"{base}/docs").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
