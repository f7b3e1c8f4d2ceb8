"""Cursor (keyset) pagination: the page after a cursor costs what the first page costs."""

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Depends, Query, Request
from pydantic import (
    BaseModel,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
)
from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import UnaryExpression

from app.config import SettingsDep
from app.errors import InvalidParameter
from app.params import MAX_ID

T = TypeVar("T")

# A result row of any width (SQLAlchemy 2.1 types rows by their columns).
AnyRow = Row[*tuple[Any, ...]]


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )
    total: int | None = Field(
        default=None, description="Number of matching records; present only with `count=true`."
    )

    @model_serializer(mode="wrap")
    def _omit_uncounted_total(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name in ("total", "facets"):  # present only when asked for
            if name in data and data[name] is None:
                del data[name]
        return data


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    cursor: str | None
    count: bool


# What `expand=` embeds: the first page of each related list, at the default size.
FIRST_PAGE = PageParams(limit=50, cursor=None, count=False)


async def page_params(  # async: no threadpool hop per request
    settings: SettingsDep,
    limit: Annotated[
        int | None,
        Query(ge=1, description="Page size (default 50, at most 500)."),
    ] = None,
    cursor: Annotated[
        str | None, Query(description="The `next_cursor` of the previous page.")
    ] = None,
    count: Annotated[
        bool, Query(description="Also return `total`, the number of matching records.")
    ] = False,
) -> PageParams:
    if limit is not None and limit > settings.page_size_max:
        raise InvalidParameter("limit", f"must be at most {settings.page_size_max}")
    return PageParams(limit or settings.page_size_default, cursor, count)


@dataclass(frozen=True, slots=True)
class SortKey:
    """One column of an ordering; the last key of every ordering is unique and not null."""

    column: ColumnElement[Any] | QueryableAttribute[Any]
    descending: bool = False
    nullable: bool = False
    # The row attribute holding this key's value, when it differs from the column's name.
    label: str | None = None

    def accepts(self, value: Any) -> bool:
        """Whether a decoded cursor value could have come from this key's column."""
        if value is None:
            return self.nullable
        if self.column.type.python_type is int:
            return type(value) is int and -MAX_ID <= value <= MAX_ID
        return isinstance(value, str)

    def value_in(self, row: Any) -> Any:
        return getattr(row, self.label or str(self.column.key))

    def order_by(self) -> UnaryExpression[Any]:
        ordered = self.column.desc() if self.descending else self.column.asc()
        return ordered.nulls_last() if self.nullable else ordered

    def after(self, value: Any, name: str) -> ColumnElement[bool]:
        if value is None:
            return false()  # nulls sort last: nothing follows a null in this key
        bound = bindparam(name, type_=self.column.type)
        beyond = self.column < bound if self.descending else self.column > bound
        return or_(beyond, self.column.is_(None)) if self.nullable else beyond

    def equals(self, value: Any, name: str) -> ColumnElement[bool]:
        return (
            self.column.is_(None)
            if value is None
            else self.column == bindparam(name, type_=self.column.type)
        )


def encode_cursor(sort: str, values: Sequence[Any]) -> str:
    raw = orjson.dumps({"s": sort, "v": list(values)})
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, sort: str, size: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise InvalidParameter("cursor", "is not a cursor this API issued") from None
    if not isinstance(decoded, dict) or decoded.get("s") != sort:
        raise InvalidParameter("cursor", "was issued for another sort order")
    values = decoded.get("v")
    if not isinstance(values, list) or len(values) != size:
        raise InvalidParameter("cursor", "is not a cursor this API issued")
    return values


def cursor_values(
    keys: Sequence[SortKey], sort: str, params: PageParams
) -> tuple[list[Any] | None, dict[str, Any]]:
    """The decoded cursor, and the values a keyset statement binds: ``limit`` and an
    ``after_N`` per non-null cursor value (their names are the statement's shape)."""
    bound: dict[str, Any] = {"limit": params.limit + 1}
    if params.cursor is None:
        return None, bound
    values = decode_cursor(params.cursor, sort, len(keys))
    if not all(key.accepts(value) for key, value in zip(keys, values, strict=True)):
        raise InvalidParameter("cursor", "is not a cursor this API issued")
    bound |= {f"after_{i}": value for i, value in enumerate(values) if value is not None}
    return values, bound


def keyset(
    statement: Select[Any], keys: Sequence[SortKey], sort: str, params: PageParams
) -> tuple[Select[Any], dict[str, Any]]:
    """Order by the keys, start after the cursor, and fetch one row more than a page.

    Values are named bind parameters (``limit``, ``after_0``...) returned beside the
    statement, so a statement of the same shape can be compiled once and reused."""
    values, bound = cursor_values(keys, sort, params)
    statement = statement.order_by(*(key.order_by() for key in keys))
    if values is not None:
        names = [f"after_{position}" for position in range(len(keys))]
        branches = []
        for position, key in enumerate(keys):
            prefix = [keys[i].equals(values[i], names[i]) for i in range(position)]
            branches.append(and_(*prefix, key.after(values[position], names[position])))
        statement = statement.where(or_(*branches))
    return statement.limit(bindparam("limit")), bound


@dataclass(frozen=True, slots=True)
class FetchedPage:
    rows: Sequence[AnyRow]
    next_cursor: str | None
    total: int | None


def next_cursor(
    rows: Sequence[Any], keys: Sequence[SortKey], params: PageParams, sort: str
) -> tuple[Sequence[Any], str | None]:
    """The page's rows without the extra one fetched, and the cursor of the next page."""
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    return rows, encode_cursor(sort, [key.value_in(rows[-1]) for key in keys])


async def count_matching(
    session: AsyncSession, statement: Select[Any], bound: dict[str, Any] | None = None
) -> int:
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    return int(await session.scalar(counted, bound) or 0)


async def fetch_page(
    session: AsyncSession,
    statement: Select[Any],
    keys: Sequence[SortKey],
    params: PageParams,
    *,
    sort: str = "id",
) -> FetchedPage:
    """One page of rows after the cursor, the cursor of the next page, and the total if asked."""
    page, bound = keyset(statement, keys, sort, params)
    rows, cursor = next_cursor((await session.execute(page, bound)).all(), keys, params, sort)
    total = await count_matching(session, statement) if params.count else None
    return FetchedPage(rows, cursor, total)


def link_header(request: Request, cursor: str | None) -> dict[str, str]:
    if cursor is None:
        return {}
    url = request.url.include_query_params(cursor=cursor)
    return {"Link": f'<{url}>; rel="next"'}


PageDep = Annotated[PageParams, Depends(page_params)]
