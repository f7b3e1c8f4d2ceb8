from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.cautions import service
from app.cautions.schemas import CautionRead
from app.db import SessionDep
from app.errors import problem_responses
from app.pagination import Page, PageDep, link_header
from app.params import ResourceId
from app.responses import json_response

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
