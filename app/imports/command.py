"""``hair-evidence import``: straight into the configured database, or through a running API."""

import asyncio
import codecs
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from tqdm import tqdm

from app.auth.keys import COMMAND_LINE
from app.citations.formats._common import open_text
from app.citations.formats.detect import ReferenceFormat, sniff
from app.citations.record import UnreadableFile
from app.config import get_settings
from app.db import create_engine, create_sessionmaker
from app.errors import ProblemError
from app.imports import service
from app.imports.report_text import render
from app.imports.schemas import ImportRead
from app.models import ImportJob
from app.models.base import utcnow
from app.models.enums import ImportStatus, OnError


class CommandFailed(Exception):
    """Printed as it is; the command exits non-zero."""


_PIECE = 1 << 20


def _pieces(path: Path) -> Iterator[bytes]:
    """The file's bytes a megabyte at a time, checked to be UTF-8 without NUL on the way (as
    the API checks a body): a large file
    is read twice (hashed, then imported) rather than held in memory."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as file:
        while True:
            piece = file.read(_PIECE)
            try:
                decoder.decode(piece, final=not piece)
            except UnicodeDecodeError as error:
                raise CommandFailed(f"{path} is not UTF-8 (byte {offset + error.start})") from None
            if (nul := piece.find(b"\x00")) >= 0:
                raise CommandFailed(f"{path} holds a NUL byte (byte {offset + nul})")
            if not piece:
                return
            offset += len(piece)
            yield piece


def _head(path: Path) -> str:
    """The start of the file, enough to tell its format (bad bytes are refused later)."""
    with path.open("rb") as file:
        return file.read(64 * 1024).decode("utf-8-sig", errors="replace")


async def _direct(path: Path, options: service.ImportOptions, digest: str) -> ImportRead:
    settings = get_settings()
    engine = create_engine(settings)
    bar = tqdm(unit=" records", desc="importing", leave=False)

    async def advance(processed: int) -> None:
        bar.update(processed - bar.n)

    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            job = ImportJob(
                status=ImportStatus.running.value,
                format=options.format.value,
                dry_run=options.dry_run,
                on_error=options.on_error.value,
                resolve=options.resolve,
                request_hash=digest,
                processed=0,
                started_at=utcnow(),
            )
            session.add(job)
            await session.flush()
            with open_text(path) as text:
                report = await service.run(session, job, text, COMMAND_LINE, settings, advance)
            service.finish(job, report)
            await session.flush()
            return service.to_read(job)
    finally:
        bar.close()
        await engine.dispose()


def _via_api(body: bytes, options: service.ImportOptions, api: str, key: str) -> ImportRead:
    headers = {"Authorization": f"Bearer {key}"}
    params = {
        "format": options.format.value,
        "dry_run": str(options.dry_run).lower(),
        "on_error": options.on_error.value,
        "resolve": str(options.resolve).lower(),
    }
    with httpx.Client(base_url=api.rstrip("/"), headers=headers, timeout=600) as client:
        response = client.post("/v1/imports", content=body, params=params)
        if response.status_code == 422 and "import" in response.json():
            return ImportRead.model_validate(response.json()["import"])
        if response.status_code not in (200, 202):
            problem = (
                response.json() if response.headers.get("content-type", "").endswith("json") else {}
            )
            raise CommandFailed(f"{response.status_code}: {problem.get('detail', response.text)}")
        job = ImportRead.model_validate(response.json())
        with tqdm(unit=" records", desc="importing", leave=False) as bar:
            while job.status in (ImportStatus.queued, ImportStatus.running):
                time.sleep(0.5)
                job = ImportRead.model_validate(client.get(f"/v1/imports/{job.id}").json())
                bar.update(job.processed - bar.n)
        return job


def run_command(
    path: Path,
    fmt: ReferenceFormat | None,
    *,
    dry_run: bool,
    on_error: OnError,
    resolve: bool = False,
    api: str | None,
    key: str | None,
    verbose: bool,
) -> int:
    try:
        chosen = fmt or sniff(_head(path))
    except UnreadableFile as error:
        raise CommandFailed(f"{path}: {error.reason}") from None
    options = service.ImportOptions(chosen, dry_run, on_error, resolve)
    digest = service.request_hash(_pieces(path), options)  # UTF-8 throughout, or refused now
    if api is not None:
        if key is None:
            raise CommandFailed("--api needs --key")
        job = _via_api(path.read_bytes(), options, api, key)
    else:
        try:
            job = asyncio.run(_direct(path, options, digest))
        except ProblemError as error:
            raise CommandFailed(error.detail) from None
    print(render(job, verbose=verbose))
    return 0 if job.status == ImportStatus.succeeded else 1
