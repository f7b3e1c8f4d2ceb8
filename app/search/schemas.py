from pydantic import BaseModel, Field

from app.search.index import SearchKind


class SearchHit(BaseModel):
    type: SearchKind
    id: int | None = Field(description="For studies and findings.")
    slug: str | None = Field(description="For treatments and side effects.")
    title: str
    snippet: str = Field(
        description="The best matching passage, HTML-escaped, matches wrapped in <mark>."
    )
    href: str
    score: float = Field(description="Relevance; higher is better.")


class SearchResults(BaseModel):
    query: str
    data: list[SearchHit]
