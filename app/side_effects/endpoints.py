from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.auth.dependencies import WriterDep
from app.db import SessionDep
from app.errors import problem_responses
from app.pagination import Page, PageDep, link_header
from app.params import MAX_ID, IfMatch, ResourceId
from app.responses import created_response, json_response
from app.side_effects import service, writes
from app.side_effects.schemas import (
    ReportCreate,
    ReportUpdate,
    SideEffectCreate,
    SideEffectDetail,
    SideEffectRead,
    SideEffectReportRead,
    SideEffectUpdate,
)

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


@router.post(
    "",
    status_code=201,
    response_model=SideEffectDetail,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_side_effect(
    request: Request, session: SessionDep, actor: WriterDep, data: SideEffectCreate
) -> Response:
    """Add a side effect (needs a `write` key)."""
    created = await writes.create_side_effect(session, actor, data)
    return created_response(request, created, created.links.self)


@router.patch(
    "/{slug}",
    response_model=SideEffectDetail,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def update_side_effect(
    request: Request,
    session: SessionDep,
    actor: WriterDep,
    slug: str,
    data: SideEffectUpdate,
    if_match: IfMatch = None,
) -> Response:
    """Change the fields sent (needs a `write` key and `If-Match`)."""
    updated = await writes.update_side_effect(session, actor, slug, data, if_match)
    return json_response(request, updated)


@router.delete(
    "/{slug}",
    status_code=204,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def delete_side_effect(
    session: SessionDep, actor: WriterDep, slug: str, if_match: IfMatch = None
) -> Response:
    """Delete a side effect no report refers to (needs a `write` key and `If-Match`)."""
    await writes.delete_side_effect(session, actor, slug, if_match)
    return Response(status_code=204)


@reports_router.post(
    "",
    status_code=201,
    response_model=SideEffectReportRead,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_report(
    request: Request, session: SessionDep, actor: WriterDep, data: ReportCreate
) -> Response:
    """Report a side effect of a treatment, with the source's words (needs a `write` key)."""
    created = await writes.create_report(session, actor, data)
    return created_response(request, created, created.links.self)


@reports_router.patch(
    "/{report_id}",
    response_model=SideEffectReportRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def update_report(
    request: Request,
    session: SessionDep,
    actor: WriterDep,
    report_id: ResourceId,
    data: ReportUpdate,
    if_match: IfMatch = None,
) -> Response:
    """Change the fields sent (needs a `write` key and `If-Match`)."""
    updated = await writes.update_report(session, actor, report_id, data, if_match)
    return json_response(request, updated)


@reports_router.delete(
    "/{report_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def delete_report(
    session: SessionDep, actor: WriterDep, report_id: ResourceId, if_match: IfMatch = None
) -> Response:
    """Delete a side-effect report (needs a `write` key and `If-Match`)."""
    await writes.delete_report(session, actor, report_id, if_match)
    return Response(status_code=204)
