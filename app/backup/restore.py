"""Restoring a dump into an empty database, in one transaction: all of it or nothing."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from sqlalchemy import JSON, Table, column, insert, literal, select, table, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.expression import TableClause

from app.backup.format import BackupRefused, check_header, check_migrated, dumped_tables
from app.backup.ids import id_column, set_last_id
from app.backup.progress import Progress, Silent
from app.backup.reader import DumpReader
from app.backup.values import RowCodec
from app.models import Base
from app.search.index import rebuild

_BATCH = 1000


@dataclass(slots=True)
class RestoreSummary:
    rows: dict[str, int] = field(default_factory=dict)
    last_ids: dict[str, int] = field(default_factory=dict)


async def restore(
    engine: AsyncEngine, source: TextIO, progress: Progress | None = None
) -> RestoreSummary:
    """Load a dump into an empty database migrated to the dump's schema revision."""
    reader = DumpReader(source)
    check_header(reader.header())  # before the database is touched
    async with engine.begin() as connection:
        await check_migrated(connection)
        await _lock(connection)
        await _check_empty(connection)
        summary = RestoreSummary()
        for name, meta, rows in reader.tables():
            target = _table(name, summary)
            await _load(connection, target, meta, rows, progress or Silent(), summary)
        missing = [t.name for t in dumped_tables() if t.name not in summary.rows]
        if missing:
            raise BackupRefused(f"the dump lacks tables: {', '.join(missing)}")
        # Only once the whole file has been read: PostgreSQL never rolls back a sequence.
        for target in dumped_tables():
            if (column := id_column(target)) is not None:
                await set_last_id(connection, target, column, summary.last_ids[target.name])
        await connection.run_sync(rebuild)
        return summary


async def _lock(connection: AsyncConnection) -> None:
    # No one may write between the check that the database is empty and the commit; readers
    # are let through (they see it empty until then). SQLite's single writer needs no lock:
    # a write since this transaction's first read fails it as busy.
    if connection.dialect.name == "postgresql":
        quote = connection.dialect.identifier_preparer.quote
        names = ", ".join(quote(t.name) for t in Base.metadata.sorted_tables)
        await connection.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))


async def _check_empty(connection: AsyncConnection) -> None:
    filled = [
        t.name
        for t in Base.metadata.sorted_tables
        if await connection.scalar(select(literal(1)).select_from(t).limit(1)) is not None
    ]
    if filled:
        raise BackupRefused(
            f"the database is not empty ({', '.join(filled)} hold rows): restore only into an "
            "empty database, made with `hair-evidence db upgrade`"
        )


def _table(name: str, summary: RestoreSummary) -> Table:
    tables = {t.name: t for t in dumped_tables()}
    if name not in tables:
        raise BackupRefused(f"the dump holds a table this schema has not: {name!r}")
    if name in summary.rows:
        raise BackupRefused(f"the dump holds {name!r} twice")
    return tables[name]


def _insert_target(target: Table) -> TableClause:
    """The table for inserts, with each column's type, except that None in a JSON column is
    SQL NULL (the models' JSON columns would write the JSON text 'null'; the application
    reads both as None)."""
    return table(
        target.name,
        *(
            column(c.name, JSON(none_as_null=True) if isinstance(c.type, JSON) else c.type)
            for c in target.columns
        ),
    )


async def _load(
    connection: AsyncConnection,
    target: Table,
    meta: dict[str, Any],
    rows: Iterator[list[Any]],
    progress: Progress,
    summary: RestoreSummary,
) -> None:
    codec = RowCodec(target)
    names = [c.name for c in codec.columns]
    if meta.get("columns") != names:
        raise BackupRefused(
            f"{target.name}: the dump's columns {meta.get('columns')!r} are not the schema's "
            f"{names!r}"
        )
    count = meta.get("count")
    progress.table(target.name, count if isinstance(count, int) else 0)
    id_col = id_column(target)
    loaded, largest = 0, 0
    statement = insert(_insert_target(target))
    for batch in _batches(target.name, codec, rows):
        try:
            await connection.execute(statement, batch)
        except DBAPIError as error:  # e.g. a NUL in SQLite text, which PostgreSQL cannot hold
            raise BackupRefused(
                f"{target.name}: the database refuses a row: {error.orig}"
            ) from None
        loaded += len(batch)
        progress.advance(len(batch))
        if id_col is not None:
            largest = max(largest, *(row[id_col.name] for row in batch))
    if loaded != count:
        raise BackupRefused(f"{target.name}: the dump says {count!r} rows but holds {loaded}")
    summary.rows[target.name] = loaded
    if id_col is not None:
        last_id = meta.get("last_id")
        if not isinstance(last_id, int):
            raise BackupRefused(f"{target.name}: the dump gives no last_id")
        summary.last_ids[target.name] = max(last_id, largest)


def _batches(
    name: str, codec: RowCodec, rows: Iterator[list[Any]]
) -> Iterator[list[dict[str, Any]]]:
    """Rows as insert parameters, a batch at a time."""
    batch: list[dict[str, Any]] = []
    for number, values in enumerate(rows, start=1):
        try:
            batch.append(codec.decode(values))
        except (TypeError, ValueError) as error:
            raise BackupRefused(f"{name}, row {number}: {error}") from None
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
