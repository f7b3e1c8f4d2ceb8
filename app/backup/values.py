"""Column values to JSON and back, exactly, chosen by each column's type."""

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Float, Integer, String, Table
from sqlalchemy.types import TypeEngine

from app.models.base import UTCDateTime

Convert = Callable[[Any], Any]


def _encode_datetime(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _decode_datetime(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"the timestamp {value!r} has no time zone")
    return parsed


def _encode_float(value: float | None) -> float | str | None:
    # JSON has no NaN or infinities (orjson would write null): they travel as strings.
    return value if value is None or math.isfinite(value) else str(value)


def _decode_float(value: float | int | str | None) -> float | None:
    return None if value is None else float(value)


def _converters(type_: TypeEngine[Any]) -> tuple[Convert | None, Convert | None]:
    """(to JSON, from JSON) for one column type; None where JSON holds the value as it is."""
    if isinstance(type_, UTCDateTime):
        return _encode_datetime, _decode_datetime
    if isinstance(type_, Float):
        return _encode_float, _decode_float
    if isinstance(type_, Boolean | Integer | String | JSON):
        return None, None
    # A new kind of column must be taught here, or its values could change on the way.
    raise TypeError(f"{type_!r} has no dump encoding: add it to app/backup/values.py")


class RowCodec:
    """Encodes a table's rows for a dump and decodes them for an insert."""

    def __init__(self, table: Table) -> None:
        self.columns: list[Column[Any]] = list(table.columns)
        pairs = [_converters(column.type) for column in self.columns]
        self._encoders = [(i, encode) for i, (encode, _) in enumerate(pairs) if encode]
        self._decoders = [(i, decode) for i, (_, decode) in enumerate(pairs) if decode]
        self._names = [column.name for column in self.columns]

    def encode(self, row: Sequence[Any]) -> list[Any]:
        values = list(row)
        for i, encode in self._encoders:
            values[i] = encode(values[i])
        return values

    def decode(self, values: list[Any]) -> dict[str, Any]:
        """A row as read from a dump (columns in this table's order) as insert parameters."""
        if len(values) != len(self._names):
            raise ValueError(f"a row has {len(values)} values for {len(self._names)} columns")
        for i, decode in self._decoders:
            values[i] = decode(values[i])
        return dict(zip(self._names, values, strict=True))
