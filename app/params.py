"""Parameter types shared by routes; bounds keep values inside what both databases store."""

from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER

ResourceId = Annotated[int, Path(ge=1, le=MAX_ID, description="The resource's numeric id.")]
Year = Annotated[int | None, Query(ge=1000, le=9999)]
