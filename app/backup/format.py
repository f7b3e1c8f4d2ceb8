"""What a dump is: its name and version, the tables it holds, the schema it was written at."""

from typing import Any

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from app.models import Base
from app.resources import resource_dir

FORMAT = "hair-evidence-dump"
VERSION = 1

# Derived from the resources and rebuilt on restore (app/search/index.py).
DERIVED_TABLES = frozenset({"search_entries"})

UPGRADE_HINT = "run `hair-evidence db upgrade` first"


class BackupRefused(Exception):
    """Printed as it is; nothing was written."""


def dumped_tables() -> list[Table]:
    """The tables a dump holds, parents before the tables that refer to them."""
    return [table for table in Base.metadata.sorted_tables if table.name not in DERIVED_TABLES]


def head_revision() -> str:
    """The schema revision this code is written for."""
    head = ScriptDirectory(str(resource_dir("migrations"))).get_current_head()
    assert head is not None, "the migrations have no head"
    return head


async def database_revision(connection: AsyncConnection) -> str | None:
    """The revision the database was migrated to; None if it never was."""
    return await connection.run_sync(
        lambda sync: MigrationContext.configure(sync).get_current_revision()
    )


async def check_migrated(connection: AsyncConnection) -> None:
    """Both commands work on a database at this code's schema revision, and no other."""
    revision, head = await database_revision(connection), head_revision()
    if revision is None:
        raise BackupRefused(f"the database has no schema yet: {UPGRADE_HINT}")
    if revision != head:
        raise BackupRefused(
            f"the database is at schema revision {revision!r}, this hair-evidence at "
            f"{head!r}: {UPGRADE_HINT}"
        )


def check_header(header: dict[str, Any]) -> None:
    """Refuse, before anything is written, a file this code cannot restore exactly."""
    if header.get("format") != FORMAT:
        raise BackupRefused(f"this is not a hair-evidence dump (its format is not {FORMAT!r})")
    version = header.get("version")
    if version != VERSION:
        raise BackupRefused(
            f"the dump is in format version {version!r}; this hair-evidence reads version "
            f"{VERSION} only: restore it with the release that wrote it"
        )
    revision, head = header.get("schema_revision"), head_revision()
    if revision != head:
        # Its tables hold that revision's columns: only a release at that revision can load
        # them, and its own migrations then bring the database forward.
        raise BackupRefused(
            f"the dump was written at schema revision {revision!r}, this hair-evidence is at "
            f"{head!r}: restore it with a release at revision {revision!r}, then upgrade "
            "that database with `hair-evidence db upgrade`"
        )
