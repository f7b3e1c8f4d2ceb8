from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.db import SessionDep
from app.errors import InvalidParameter, problem_responses
from app.responses import json_response
from app.search import service
from app.search.index import SearchKind
from app.search.schemas import SearchResults

router = APIRouter(prefix="/v1/search", tags=["search"])


def _kinds(value: str | None) -> list[SearchKind]:
    if not value:
        return []
    names = [part.strip() for part in value.split(",") if part.strip()]
    unknown = sorted(set(names) - {kind.value for kind in SearchKind})
    if unknown:
        allowed = ", ".join(kind.value for kind in SearchKind)
        raise InvalidParameter("type", f"unknown {', '.join(unknown)}; choose from {allowed}")
    return [SearchKind(name) for name in names]


@router.get("", response_model=SearchResults, responses=problem_responses(422))
async def search(
    request: Request,
    session: SessionDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=500,
            description='Words (all must match), "quoted phrases" and prefixes (`minox*`).',
            examples=["minoxidil", '"total hair count"', "microneedl* growth"],
        ),
    ],
    type: Annotated[
        str | None,
        Query(description="Comma-separated: study, treatment, finding, side_effect."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    """One search box over studies (title, abstract, authors, journal), treatments (name,
    aliases, description), findings (outcome, summary, quote) and side effects, best first,
    each hit with a highlighted snippet and a link."""
    results = await service.search(session, q, _kinds(type), limit)
    return json_response(request, results)
