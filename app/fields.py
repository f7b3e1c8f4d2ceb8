"""Constrained field types shared by the write schemas of every resource."""

from typing import Annotated

from pydantic import HttpUrl, Strict, StringConstraints, UrlConstraints

# PostgreSQL text cannot hold U+0000; refusing it here makes both engines answer alike (422).
NO_NUL = r"^[^\x00]*$"

Slug = Annotated[
    str,
    StringConstraints(min_length=1, max_length=80, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$"),
]
# As long as the columns they go to (a key's name, a time point, a frequency).
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NO_NUL)
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NO_NUL)
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300, pattern=NO_NUL)
]
LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000, pattern=NO_NUL)
]
Url = Annotated[HttpUrl, UrlConstraints(max_length=1000)]

# JSON keeps numbers, booleans and strings apart, and so does the schema; pydantic's lax mode
# would read `0` as false, "yes" as true and `false` or "5" as a number.
Flag = Annotated[bool, Strict()]
