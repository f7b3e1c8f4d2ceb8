"""A dump read piece by piece: its header at once, then each table's rows one at a time.

A large database's dump does not fit in memory as Python objects, so it is never parsed as
a whole. This reads the layout ``dump`` writes (any spacing): the header's keys first and
``tables`` last; in each table, ``rows`` last.
"""

import json
from collections.abc import Iterator
from typing import Any, TextIO

from app.backup.format import BackupRefused

_PIECE = 1 << 20
_SPACE = " \t\r\n"
_DECODER = json.JSONDecoder()


class DumpUnreadable(BackupRefused):
    pass


class DumpReader:
    def __init__(self, source: TextIO) -> None:
        self._source = source
        self._buffer = ""
        self._at = 0  # in the buffer
        self._dropped = 0  # characters read and dropped from the buffer
        self._eof = False

    def header(self) -> dict[str, Any]:
        """The keys before ``tables``; after this, read ``tables()``."""
        self._expect("{")
        header: dict[str, Any] = {}
        while (key := self._key()) != "tables":
            header[key] = self._value()
            self._expect(",")
        return header

    def tables(self) -> Iterator[tuple[str, dict[str, Any], Iterator[list[Any]]]]:
        """Each table's name, its keys before ``rows``, and its rows (read them before the
        next table)."""
        self._expect("{")
        if self._next_is("}"):
            self._end()
            return
        while True:
            name = self._key()
            self._expect("{")
            meta: dict[str, Any] = {}
            while (key := self._key()) != "rows":
                meta[key] = self._value()
                self._expect(",")
            rows = self._rows(name)
            yield name, meta, rows
            for _ in rows:  # what the caller left unread
                pass
            self._expect("}")
            if self._next_is("}"):
                self._end()
                return
            self._expect(",")

    def _rows(self, table: str) -> Iterator[list[Any]]:
        self._expect("[")
        if self._next_is("]"):
            return
        while True:
            row = self._value()
            if not isinstance(row, list):
                raise self._unreadable(f"a row of {table} is not a list")
            yield row
            if self._next_is("]"):
                return
            self._expect(",")

    def _end(self) -> None:
        self._expect("}")
        if self._peek():
            raise self._unreadable("more follows the dump's end")

    def _key(self) -> str:
        key = self._value()
        if not isinstance(key, str):
            raise self._unreadable("expected a key")
        self._expect(":")
        return key

    def _value(self) -> Any:
        self._peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buffer, self._at)
            except json.JSONDecodeError:
                if self._fill():
                    continue
                raise self._unreadable("expected a JSON value") from None
            # A number at the end of the buffer may go on in the next piece.
            if end == len(self._buffer) and self._fill():
                continue
            self._at = end
            return value

    def _peek(self) -> str:
        """The next character that is not space ("" at the end), left unread."""
        while True:
            while self._at < len(self._buffer) and self._buffer[self._at] in _SPACE:
                self._at += 1
            if self._at < len(self._buffer):
                return self._buffer[self._at]
            if not self._fill():
                return ""

    def _next_is(self, char: str) -> bool:
        """Read ``char`` if it comes next."""
        if self._peek() == char:
            self._at += 1
            return True
        return False

    def _expect(self, char: str) -> None:
        if not self._next_is(char):
            raise self._unreadable(f"expected {char!r}")

    def _fill(self) -> bool:
        if self._eof:
            return False
        # At least as much as is buffered: a value longer than a piece is read in doubling
        # pieces, not parsed again from its start after every megabyte.
        try:
            piece = self._source.read(max(_PIECE, len(self._buffer) - self._at))
        except UnicodeDecodeError as error:
            raise self._unreadable(f"the file is not UTF-8 ({error.reason})") from None
        if not piece:
            self._eof = True
            return False
        self._dropped += self._at
        self._buffer = self._buffer[self._at :] + piece
        self._at = 0
        return True

    def _unreadable(self, problem: str) -> DumpUnreadable:
        where = "at its end" if self._eof and self._at >= len(self._buffer) else (
            f"at character {self._dropped + self._at}"
        )  # fmt: skip
        return DumpUnreadable(f"the dump cannot be read: {problem} {where}")
