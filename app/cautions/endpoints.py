from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.auth.dependencies import WriterDep
from app.cautions import service, writes
from app.cautions.schemas import CautionCreate, CautionRead, CautionUpdate
from app.db import SessionDep
from app.errors import problem_responses
from app.pagination import Page, PageDep, link_header
from app.params import IfMatch, ResourceId
from app.responses import created_response, json_response

router = APIRouter(prefix="/v1/cautions", tags=["cautions"])


@router.get("", response_model=Page[CautionRead], responses=problem_responses(422))
async def list_cautions(
    request: Request,
    session: SessionDep,
    page: PageDep,
    treatment: Annotated[
        str | None, Query(max_length=80, description="Cautions naming this treatment.")
    ] = None,
) -> Response:
    """Cautions against combining treatments, each with its source's words."""
    result = await service.list_cautions(session, page, treatment=treatment)
    return json_response(request, result, headers=link_header(request, result.next_cursor))


@router.get("/{caution_id}", response_model=CautionRead, responses=problem_responses(404, 422))
async def get_caution(request: Request, session: SessionDep, caution_id: ResourceId) -> Response:
    """One caution."""
    return json_response(request, await service.get_caution(session, caution_id))


@router.post(
    "",
    status_code=201,
    response_model=CautionRead,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_caution(
    request: Request, session: SessionDep, actor: WriterDep, data: CautionCreate
) -> Response:
    """Add a caution against combining two treatments (needs a `write` key)."""
    created = await writes.create_caution(session, actor, data)
    return created_response(request, created, created.links.self)


@router.patch(
    "/{caution_id}",
    response_model=CautionRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def update_caution(
    request: Request,
    session: SessionDep,
    actor: WriterDep,
    caution_id: ResourceId,
    data: CautionUpdate,
    if_match: IfMatch = None,
) -> Response:
    """Change the fields sent (needs a `write` key and `If-Match`)."""
    updated = await writes.update_caution(session, actor, caution_id, data, if_match)
    return json_response(request, updated)


@router.delete(
    "/{caution_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def delete_caution(
    session: SessionDep, actor: WriterDep, caution_id: ResourceId, if_match: IfMatch = None
) -> Response:
    """Delete a caution (needs a `write` key and `If-Match`)."""
    await writes.delete_caution(session, actor, caution_id, if_match)
    return Response(status_code=204)
