from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.db import SessionDep
from app.errors import problem_responses
from app.models.enums import SourceKind
from app.pagination import Page, PageDep, link_header
from app.params import ResourceId
from app.responses import json_response
from app.sources import service
from app.sources.schemas import SourceRead

router = APIRouter(prefix="/v1/sources", tags=["sources"])


@router.get("", response_model=Page[SourceRead], responses=problem_responses(422))
async def list_sources(
    request: Request,
    session: SessionDep,
    page: PageDep,
    kind: Annotated[SourceKind | None, Query(description="study or article")] = None,
) -> Response:
    """Sources in id order: every study, and secondary documents such as the article."""
    result = await service.list_sources(session, page, kind=kind)
    return json_response(request, result, headers=link_header(request, result.next_cursor))


@router.get("/{source_id}", response_model=SourceRead, responses=problem_responses(404, 422))
async def get_source(request: Request, session: SessionDep, source_id: ResourceId) -> Response:
    """One source."""
    return json_response(request, await service.get_source(session, source_id))
