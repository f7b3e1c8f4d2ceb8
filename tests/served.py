"""Real server processes for tests: `hair-evidence serve` on a free port of loopback."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.databases import fresh_database
from tests.dump import dump

COMMAND = str(Path(sys.executable).parent / "hair-evidence")


def run_command(url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
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


def prepared(engine_name: str, folder: Path, name: str) -> str:
    """A fresh database of that engine, migrated and seeded; its URL."""
    url = fresh_database(engine_name, folder, name)
    run_command(url, "db", "upgrade")
    run_command(url, "seed")
    return url


def create_key(url: str, scope: str = "write") -> str:
    return run_command(
        url, "keys", "create", "--name", f"test {scope}", "--scope", scope
    ).stdout.strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def snapshot(url: str) -> dict[str, list[Any]]:
    """Every evidence table's rows, read through a connection of its own."""
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    from app.db import async_url

    async def _read() -> dict[str, list[Any]]:
        engine = create_async_engine(async_url(url))
        try:
            async with AsyncSession(engine) as session:
                return await dump(session)
        finally:
            await engine.dispose()

    return asyncio.run(_read())


class Served:
    def __init__(self, process: subprocess.Popen[bytes], base: str) -> None:
        self.process, self.base = process, base

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no rollback, as in a crash or an OOM kill."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


def wait_until_up(base: str, path: str = "/readyz", timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}{path}").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"the server at {base} did not answer {path}"
        time.sleep(0.2)


@contextmanager
def serving(
    url: str,
    env: dict[str, str] | None = None,
    *,
    ready: str = "/readyz",
    log: Path | None = None,
) -> Iterator[Served]:
    """`hair-evidence serve` on the database, until the block ends; its log to `log`."""
    port = free_port()
    output = log.open("ab") if log is not None else None
    process = subprocess.Popen(
        [COMMAND, "serve", "--port", str(port)],
        env={**os.environ, "DATABASE_URL": url, "HAIR_EVIDENCE_ACCESS_LOG": "false", **(env or {})},
        stdout=output or subprocess.DEVNULL,
        stderr=output or subprocess.DEVNULL,
    )
    served = Served(process, f"http://127.0.0.1:{port}")
    try:
        wait_until_up(served.base, ready)
        yield served
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
        if output is not None:
            output.close()
