"""How a dump or a restore reports how far it has got (the command shows a bar)."""

from typing import Protocol


class Progress(Protocol):
    def table(self, name: str, rows: int) -> None:
        """A table with this many rows begins."""

    def advance(self, rows: int) -> None:
        """This many more rows are done."""


class Silent:
    def table(self, name: str, rows: int) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass
