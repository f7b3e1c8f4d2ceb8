"""``hair-evidence dump`` and ``hair-evidence restore`` on the configured database."""

import asyncio
import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from sqlalchemy.exc import DBAPIError
from tqdm import tqdm

from app.backup.dump import dump
from app.backup.format import BackupRefused
from app.backup.restore import restore
from app.config import get_settings
from app.db import create_engine

STDIO = "-"


class _Bar:
    """A progress bar on stderr, shown only on a terminal."""

    def __init__(self, action: str) -> None:
        self._action = action
        self._bar = tqdm(unit=" rows", leave=False, disable=None)

    def table(self, name: str, rows: int) -> None:
        self._bar.reset(total=rows)
        self._bar.set_description(f"{self._action} {name}")

    def advance(self, rows: int) -> None:
        self._bar.update(rows)

    def close(self) -> None:
        self._bar.close()


@contextlib.contextmanager
def _written(target: str) -> Iterator[BinaryIO]:
    """Standard output, or a file that appears only once complete: a dump that failed
    half-way never takes the place of a good one. Readable by its owner only: it holds
    the keys' hashes."""
    if target == STDIO:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    path = Path(target)
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            yield file
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _read(source: str) -> Iterator[TextIO]:
    if source == STDIO:
        yield io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8")
    else:
        with open(source, encoding="utf-8") as file:
            yield file


async def _dump(target: str) -> int:
    engine = create_engine(get_settings())
    bar = _Bar("dumping")
    try:
        with _written(target) as out:
            summary = await dump(engine, out, bar)
    finally:
        bar.close()
        await engine.dispose()
    where = "standard output" if target == STDIO else target
    print(f"dump: {sum(summary.rows.values())} rows of {len(summary.rows)} tables to {where}",
          file=sys.stderr)  # fmt: skip
    return 0


async def _restore(source: str) -> int:
    engine = create_engine(get_settings())
    bar = _Bar("restoring")
    try:
        with _read(source) as file:
            summary = await restore(engine, file, bar)
    finally:
        bar.close()
        await engine.dispose()
    print(f"restore: {sum(summary.rows.values())} rows into {len(summary.rows)} tables; "
          "search index rebuilt", file=sys.stderr)  # fmt: skip
    return 0


def dump_command(target: str) -> int:
    return _reported(_dump(target), "dump", "")


def restore_command(source: str) -> int:
    # A failed restore's transaction was rolled back: a constraint or a value the engine refuses.
    return _reported(_restore(source), "restore", ", nothing written")


def _reported(command: Coroutine[Any, Any, int], name: str, outcome: str) -> int:
    """Run the command; a refusal or failure is one line on stderr and exit status 1."""
    try:
        return asyncio.run(command)
    except BackupRefused as error:
        message = f"{name} refused{outcome}: {error}"
    except OSError as error:
        message = f"{name} failed{outcome}: {error}"
    except DBAPIError as error:
        message = f"{name} failed{outcome}: {error.orig}"
    print(f"hair-evidence: {message}", file=sys.stderr)
    return 1
