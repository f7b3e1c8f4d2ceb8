"""Hot reads straight off the driver: SQL built and compiled once by SQLAlchemy Core.

Measured on one study by id (bench/README.md): the ORM session costs 404 µs a query, an
async Core connection 286 µs, the bare aiosqlite driver 69 µs and sqlite3 itself 10 µs;
most of the difference is per-query thread hops and per-execution statement caching. A
``Reader`` runs a batch of precompiled queries in one snapshot and returns plain named
tuples whose values went through the same SQLAlchemy type processors as the ORM's.

- ``SQLiteReader``: a few threads, each with its own read-only ``sqlite3`` connection; a
  whole batch (BEGIN, every query, COMMIT) is one hop to a thread.
- ``PostgresReader``: the pooled asyncpg connection, one read-only repeatable-read
  transaction when a batch has more than one query.
- ``SessionReader``: the request's ORM session, for code that reads what it just wrote
  (writes answer with the same representation) and for tests inside a transaction.
"""

import asyncio
import sqlite3
import threading
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import BindParameter, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql.visitors import iterate

from app.errors import DatabaseUnavailable

Params = Mapping[str, Any]
Row = Any  # a named tuple made by Query.row_type


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # bound parameters in positional order
    processors: tuple[Callable[[Any], Any] | None, ...]
    constants: dict[str, Any]


class Query:
    """A Core select with named ``bindparam``s, compiled once per dialect."""

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        names = [str(column.key) for column in statement.selected_columns]
        self.row_type: Any = namedtuple("Row", names)  # type: ignore[misc]
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect, coltypes: Sequence[Any] | None = None) -> _Compiled:
        """The SQL for this dialect and a result processor per column (given the driver's
        column types where the dialect's processors depend on them, as asyncpg's do)."""
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            embedded = [
                element.key
                for element in iterate(self.statement)
                if isinstance(element, BindParameter) and element.value is not None
            ]
            if embedded:  # compiled once, such a value would be reused for every later call
                raise ValueError(f"bind {', '.join(embedded)} by name, not by value")
            sql = self.statement.compile(dialect=dialect)
            columns = self.statement.selected_columns
            processors = tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, coltype)
                for column, coltype in zip(columns, coltypes or [None] * len(columns), strict=True)
            )
            # Values the compiler adds itself (SQLite's OFFSET 0 after a bound LIMIT).
            constants = {name: value for name, value in sql.params.items() if value is not None}
            compiled = _Compiled(sql.string, tuple(sql.positiontup or ()), processors, constants)
            self._compiled[dialect.name] = compiled
        return compiled

    def is_compiled(self, dialect: Dialect) -> bool:
        return dialect.name in self._compiled

    def rows(self, compiled: _Compiled, raw: Sequence[Sequence[Any]]) -> list[Row]:
        make = self.row_type._make
        processed = [(i, f) for i, f in enumerate(compiled.processors) if f is not None]
        if not processed:
            return [make(row) for row in raw]
        rows = []
        for row in raw:
            values = list(row)
            for i, process in processed:
                values[i] = process(values[i])
            rows.append(make(values))
        return rows


class Reader(Protocol):
    async def batch(self, *queries: tuple[Query, Params]) -> list[list[Row]]:
        """Every query's rows, all read from one snapshot of the database."""
        ...


def _arguments(compiled: _Compiled, params: Params) -> list[Any]:
    if compiled.constants:
        params = {**compiled.constants, **params}
    return [params[name] for name in compiled.names]


class SQLiteReader:
    def __init__(self, path: str, dialect: Dialect, threads: int = 2) -> None:
        self._path = path
        self._dialect = dialect
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="sqlite-read")

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA query_only = ON")
            connection.execute("PRAGMA busy_timeout = 5000")
            # Pages read through the OS cache, not copied into a 2 MB private one: random
            # studies of a 100k-study file otherwise keep missing it.
            connection.execute("PRAGMA mmap_size = 1073741824")
            self._local.connection = connection
            self._connections.append(connection)
        return connection

    def _run(self, queries: Sequence[tuple[Query, Params]]) -> list[list[Row]]:
        connection = self._connection()
        results = []
        snapshot = len(queries) > 1
        if snapshot:
            connection.execute("BEGIN")
        try:
            for query, params in queries:
                compiled = query.compiled(self._dialect)
                raw = connection.execute(compiled.sql, _arguments(compiled, params)).fetchall()
                results.append(query.rows(compiled, raw))
        finally:
            if snapshot:
                connection.execute("COMMIT")
        return results

    async def batch(self, *queries: tuple[Query, Params]) -> list[list[Row]]:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._run, queries)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        for connection in self._connections:
            connection.close()


class PostgresReader:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = engine.dialect

    async def batch(self, *queries: tuple[Query, Params]) -> list[list[Row]]:
        async with self._engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None
            try:
                if len(queries) == 1:
                    return [await self._fetch(raw, *queries[0])]
                async with raw.transaction(isolation="repeatable_read", readonly=True):
                    return [await self._fetch(raw, query, params) for query, params in queries]
            except (asyncpg.InterfaceError, asyncpg.PostgresConnectionError, OSError) as error:
                # Past SQLAlchemy, so it cannot know: the pool must not hand this one out again.
                await connection.invalidate(error)
                raise DatabaseUnavailable() from error

    async def _fetch(self, raw: Any, query: Query, params: Params) -> list[Row]:
        if not query.is_compiled(self._dialect):
            sql = query.statement.compile(dialect=self._dialect).string
            prepared = await raw.prepare(sql)
            coltypes = [attribute.type.oid for attribute in prepared.get_attributes()]
            query.compiled(self._dialect, coltypes)
        compiled = query.compiled(self._dialect)
        return query.rows(compiled, await raw.fetch(compiled.sql, *_arguments(compiled, params)))

    def close(self) -> None:
        pass


async def _through(
    connection: AsyncConnection | AsyncSession, query: Query, params: Params
) -> list[Row]:
    result = await connection.execute(query.statement, dict(params))
    return [query.row_type._make(row) for row in result]


class SessionReader:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def batch(self, *queries: tuple[Query, Params]) -> list[list[Row]]:
        return [await _through(self._session, query, params) for query, params in queries]


class EngineReader:
    """Through SQLAlchemy's own connection: an in-memory SQLite database has no file that
    another connection could open."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def batch(self, *queries: tuple[Query, Params]) -> list[list[Row]]:
        async with self._engine.begin() as connection:
            return [await _through(connection, query, params) for query, params in queries]

    def close(self) -> None:
        pass


def create_reader(engine: AsyncEngine) -> SQLiteReader | PostgresReader | EngineReader:
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return PostgresReader(engine)
    if url.database not in (None, "", ":memory:") and "mode=memory" not in str(url):
        return SQLiteReader(url.database, engine.dialect)
    return EngineReader(engine)


async def get_reader(request: Request) -> Reader:  # async: no threadpool hop
    reader: Reader = request.app.state.reader
    return reader


ReaderDep = Annotated[Reader, Depends(get_reader)]
