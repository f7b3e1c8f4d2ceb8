"""Parameter types shared by routes; bounds keep values inside what both databases store."""

from typing import Annotated

from fastapi import Header, Path, Query

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER

ResourceId = Annotated[int, Path(ge=1, le=MAX_ID, description="The resource's numeric id.")]
Year = Annotated[int | None, Query(ge=1000, le=9999)]

IfMatch = Annotated[
    str | None,
    Header(description="The ETag of the representation being changed, as GET returned it."),
]
