"""Writing a dump: one consistent snapshot of every table, streamed a batch at a time."""

from dataclasses import dataclass, field
from typing import BinaryIO

import orjson
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.backup.format import FORMAT, VERSION, check_migrated, dumped_tables, head_revision
from app.backup.ids import id_column, read_last_id
from app.backup.progress import Progress, Silent
from app.backup.values import RowCodec
from app.models.base import utcnow

_BATCH = 1000


@dataclass(slots=True)
class DumpSummary:
    rows: dict[str, int] = field(default_factory=dict)


async def dump(engine: AsyncEngine, out: BinaryIO, progress: Progress | None = None) -> DumpSummary:
    """Write the whole database to ``out`` as one JSON document (see app/backup/__init__)."""
    progress = progress or Silent()
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # One snapshot for every table, as SQLite's read transaction gives by itself;
            # concurrent writers are neither blocked nor seen.
            await connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        async with connection.begin():
            await check_migrated(connection)
            return await _write(connection, out, progress)


async def _write(connection: AsyncConnection, out: BinaryIO, progress: Progress) -> DumpSummary:
    header = {
        "format": FORMAT,
        "version": VERSION,
        "schema_revision": head_revision(),
        "created_at": utcnow().isoformat(),
    }
    out.write(orjson.dumps(header)[:-1] + b',"tables":{')
    summary = DumpSummary()
    for index, table in enumerate(dumped_tables()):
        count = int(await connection.scalar(select(func.count()).select_from(table)) or 0)
        progress.table(table.name, count)
        meta: dict[str, object] = {"columns": [c.name for c in table.columns], "count": count}
        column = id_column(table)
        if column is not None:
            meta["last_id"] = await read_last_id(connection, table, column)
        out.write(
            (b",\n" if index else b"\n")
            + orjson.dumps(table.name)
            + b":"
            + orjson.dumps(meta)[:-1]
            + b',"rows":['
        )
        written = await _write_rows(connection, table, out, progress)
        # The count was taken in the same snapshot, so a difference is a bug, not a race.
        assert written == count, f"{table.name}: counted {count} rows, wrote {written}"
        out.write(b"\n]}")
        summary.rows[table.name] = written
    out.write(b"\n}}\n")
    return summary


async def _write_rows(
    connection: AsyncConnection, table: Table, out: BinaryIO, progress: Progress
) -> int:
    codec = RowCodec(table)
    statement = select(table).order_by(*table.primary_key.columns)
    result = await connection.stream(statement.execution_options(yield_per=_BATCH))
    written = 0
    async for batch in result.partitions():
        lines = [orjson.dumps(codec.encode(row)) for row in batch]
        out.write((b",\n" if written else b"\n") + b",\n".join(lines))
        written += len(lines)
        progress.advance(len(lines))
    return written
