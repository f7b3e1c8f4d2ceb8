from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.auth.dependencies import WriterDep
from app.db import SessionDep
from app.errors import problem_responses
from app.models.enums import SourceKind
from app.pagination import Page, PageDep, link_header
from app.params import IfMatch, ResourceId
from app.responses import created_response, json_response
from app.sources import service, writes
from app.sources.schemas import SourceCreate, SourceRead, SourceUpdate

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


@router.post(
    "",
    status_code=201,
    response_model=SourceRead,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_source(
    request: Request, session: SessionDep, actor: WriterDep, data: SourceCreate
) -> Response:
    """Add a secondary source such as a review or article (needs a `write` key)."""
    created = await writes.create_source(session, actor, data)
    return created_response(request, created, created.links.self)


@router.patch(
    "/{source_id}",
    response_model=SourceRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def update_source(
    request: Request,
    session: SessionDep,
    actor: WriterDep,
    source_id: ResourceId,
    data: SourceUpdate,
    if_match: IfMatch = None,
) -> Response:
    """Change the fields sent (needs a `write` key and `If-Match`)."""
    updated = await writes.update_source(session, actor, source_id, data, if_match)
    return json_response(request, updated)


@router.delete(
    "/{source_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def delete_source(
    session: SessionDep, actor: WriterDep, source_id: ResourceId, if_match: IfMatch = None
) -> Response:
    """Delete a secondary source nothing refers to (needs a `write` key and `If-Match`)."""
    await writes.delete_source(session, actor, source_id, if_match)
    return Response(status_code=204)
