from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.auth.dependencies import WriterDep
from app.conditions import service, writes
from app.conditions.schemas import (
    ConditionCreate,
    ConditionDetail,
    ConditionRead,
    ConditionUpdate,
)
from app.db import SessionDep
from app.errors import problem_responses
from app.expansion import parse_expand
from app.pagination import Page, PageDep, link_header
from app.params import IfMatch
from app.responses import created_response, json_response

router = APIRouter(prefix="/v1/conditions", tags=["conditions"])


@router.get("", response_model=Page[ConditionRead], responses=problem_responses(422))
async def list_conditions(request: Request, session: SessionDep, page: PageDep) -> Response:
    """Conditions in slug order."""
    result = await service.list_conditions(session, page)
    return json_response(request, result, headers=link_header(request, result.next_cursor))


@router.get("/{slug}", response_model=ConditionDetail, responses=problem_responses(404, 422))
async def get_condition(
    request: Request,
    session: SessionDep,
    slug: str,
    expand: Annotated[str | None, Query(description="Comma-separated: findings, studies.")] = None,
) -> Response:
    """One condition; `expand` embeds the first page of its findings or studies."""
    expansions = parse_expand(expand, service.EXPANSIONS)
    return json_response(request, await service.get_condition(session, slug, expansions))


@router.post(
    "",
    status_code=201,
    response_model=ConditionDetail,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_condition(
    request: Request, session: SessionDep, actor: WriterDep, data: ConditionCreate
) -> Response:
    """Add a condition (needs a `write` key)."""
    created = await writes.create_condition(session, actor, data)
    return created_response(request, created, created.links.self)


@router.patch(
    "/{slug}",
    response_model=ConditionDetail,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def update_condition(
    request: Request,
    session: SessionDep,
    actor: WriterDep,
    slug: str,
    data: ConditionUpdate,
    if_match: IfMatch = None,
) -> Response:
    """Change the fields sent (needs a `write` key and `If-Match`)."""
    updated = await writes.update_condition(session, actor, slug, data, if_match)
    return json_response(request, updated)


@router.delete(
    "/{slug}",
    status_code=204,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def delete_condition(
    session: SessionDep, actor: WriterDep, slug: str, if_match: IfMatch = None
) -> Response:
    """Delete a condition no finding refers to (needs a `write` key and `If-Match`)."""
    await writes.delete_condition(session, actor, slug, if_match)
    return Response(status_code=204)
