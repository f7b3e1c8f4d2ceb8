"""Constrained field types shared by the write schemas of every resource."""

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints


def _storable(text: str) -> str:
    # PostgreSQL text cannot hold U+0000, and SQLite would keep what PostgreSQL refuses,
    # so a database could no longer move between the two.
    if "\x00" in text:
        raise ValueError("contains a NUL character (U+0000), which cannot be stored")
    return text


# Said in the schema too, so that generated clients and fuzzers know it.
NoNul = Field(json_schema_extra={"pattern": "^[^\\u0000]*$"})
Storable = AfterValidator(_storable)

Slug = Annotated[
    str,
    StringConstraints(min_length=1, max_length=80, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$"),
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Storable, NoNul
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), Storable, NoNul
]
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000),
    Storable,
    NoNul,
]
