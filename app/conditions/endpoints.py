from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.conditions import service
from app.conditions.schemas import ConditionDetail, ConditionRead
from app.db import SessionDep
from app.errors import problem_responses
from app.expansion import parse_expand
from app.pagination import Page, PageDep, link_header
from app.responses import json_response

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
