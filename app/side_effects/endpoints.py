from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.db import SessionDep
from app.errors import problem_responses
from app.pagination import Page, PageDep, link_header
from app.params import MAX_ID, ResourceId
from app.responses import json_response
from app.side_effects import service
from app.side_effects.schemas import SideEffectDetail, SideEffectRead, SideEffectReportRead

router = APIRouter(prefix="/v1/side-effects", tags=["side effects"])
reports_router = APIRouter(prefix="/v1/side-effect-reports", tags=["side effects"])


@router.get("", response_model=Page[SideEffectRead], responses=problem_responses(422))
async def list_side_effects(
    request: Request,
    session: SessionDep,
    page: PageDep,
    treatment: Annotated[
        str | None, Query(max_length=80, description="Only those reported for this treatment.")
    ] = None,
) -> Response:
    """Side effects in slug order, each with the treatments reported to cause it."""
    result = await service.list_side_effects(
        session, service.SideEffectFilters(treatment=treatment), page
    )
    return json_response(request, result, headers=link_header(request, result.next_cursor))


@router.get("/{slug}", response_model=SideEffectDetail, responses=problem_responses(404, 422))
async def get_side_effect(request: Request, session: SessionDep, slug: str) -> Response:
    """One side effect with every report of it: the treatments, studies and quotes."""
    return json_response(request, await service.get_side_effect(session, slug))


@reports_router.get("", response_model=Page[SideEffectReportRead], responses=problem_responses(422))
async def list_reports(
    request: Request,
    session: SessionDep,
    page: PageDep,
    side_effect: Annotated[
        str | None, Query(max_length=80, description="Side-effect slug.")
    ] = None,
    treatment: Annotated[
        str | None, Query(max_length=80, description="Treatment slug, combinations included.")
    ] = None,
    study: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Study id.")] = None,
) -> Response:
    """Reports of side effects, filtered by side effect, treatment or study."""
    filters = service.ReportFilters(side_effect=side_effect, treatment=treatment, study=study)
    result = await service.list_reports(session, filters, page)
    return json_response(request, result, headers=link_header(request, result.next_cursor))


@reports_router.get(
    "/{report_id}", response_model=SideEffectReportRead, responses=problem_responses(404, 422)
)
async def get_report(request: Request, session: SessionDep, report_id: ResourceId) -> Response:
    """One side-effect report."""
    return json_response(request, await service.get_report(session, report_id))
