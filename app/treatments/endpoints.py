from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.auth.dependencies import WriterDep
from app.cautions.schemas import CautionRead
from app.cautions.service import list_cautions
from app.db import SessionDep
from app.errors import problem_responses
from app.expansion import parse_expand
from app.findings.schemas import FindingRead
from app.findings.service import FindingFilters, list_findings
from app.lookups import resolve_treatment_id
from app.models.enums import TreatmentKind
from app.pagination import Page, PageDep, link_header
from app.params import IfMatch
from app.reads import ReaderDep
from app.responses import created_response, json_response
from app.side_effects.schemas import SideEffectReportRead
from app.side_effects.service import ReportFilters, list_reports
from app.studies.schemas import StudyRead
from app.studies.service import StudyFilters, list_studies
from app.treatments import service, writes
from app.treatments.schemas import (
    TreatmentCreate,
    TreatmentDetail,
    TreatmentRead,
    TreatmentUpdate,
)

router = APIRouter(prefix="/v1/treatments", tags=["treatments"])


@router.get("", response_model=Page[TreatmentRead], responses=problem_responses(422))
async def list_treatments(
    request: Request,
    session: SessionDep,
    page: PageDep,
    kind: Annotated[TreatmentKind | None, Query(description="Only this kind.")] = None,
) -> Response:
    """Treatments in slug order, each with its aliases, components and combinations."""
    result = await service.list_treatments(session, page, kind=kind)
    return json_response(request, result, headers=link_header(request, result.next_cursor))


@router.get("/{slug}", response_model=TreatmentDetail, responses=problem_responses(404, 422))
async def get_treatment(
    request: Request,
    reader: ReaderDep,
    session: SessionDep,
    slug: str,
    expand: Annotated[
        str | None,
        Query(description="Comma-separated: studies, findings, side_effects, cautions."),
    ] = None,
) -> Response:
    """One treatment; `expand` embeds the first page of each related list."""
    expansions = parse_expand(expand, service.EXPANSIONS)
    detail = await service.get_treatment(reader, slug)
    if expansions:
        detail = await service.expand(session, detail, expansions)
    return json_response(request, detail)


@router.get(
    "/{slug}/studies", response_model=Page[StudyRead], responses=problem_responses(404, 422)
)
async def treatment_studies(
    request: Request, session: SessionDep, page: PageDep, slug: str
) -> Response:
    """Studies with a finding or side-effect report about this treatment or a combination
    that includes it."""
    await resolve_treatment_id(session, slug, field=None)
    result = await list_studies(session, StudyFilters(treatment=slug), page)
    return json_response(request, result, headers=link_header(request, result.next_cursor))


@router.get(
    "/{slug}/findings", response_model=Page[FindingRead], responses=problem_responses(404, 422)
)
async def treatment_findings(
    request: Request, session: SessionDep, page: PageDep, slug: str
) -> Response:
    """Findings whose intervention is this treatment or a combination that includes it."""
    await resolve_treatment_id(session, slug, field=None)
    result = await list_findings(session, FindingFilters(treatment=slug), page)
    return json_response(request, result, headers=link_header(request, result.next_cursor))


@router.get(
    "/{slug}/side-effects",
    response_model=Page[SideEffectReportRead],
    responses=problem_responses(404, 422),
)
async def treatment_side_effects(
    request: Request, session: SessionDep, page: PageDep, slug: str
) -> Response:
    """Side-effect reports for this treatment (and combinations that include it), each with
    its frequency, source and verbatim quote."""
    await resolve_treatment_id(session, slug, field=None)
    result = await list_reports(session, ReportFilters(treatment=slug), page)
    return json_response(request, result, headers=link_header(request, result.next_cursor))


@router.get(
    "/{slug}/cautions", response_model=Page[CautionRead], responses=problem_responses(404, 422)
)
async def treatment_cautions(
    request: Request, session: SessionDep, page: PageDep, slug: str
) -> Response:
    """Cautions against using this treatment together with another."""
    result = await list_cautions(session, page, treatment=slug, field=None)
    return json_response(request, result, headers=link_header(request, result.next_cursor))


@router.post(
    "",
    status_code=201,
    response_model=TreatmentDetail,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_treatment(
    request: Request, session: SessionDep, actor: WriterDep, data: TreatmentCreate
) -> Response:
    """Add a treatment (needs a `write` key). A combination names its components."""
    created = await writes.create_treatment(session, actor, data)
    return created_response(request, created, created.links.self)


@router.patch(
    "/{slug}",
    response_model=TreatmentDetail,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def update_treatment(
    request: Request,
    session: SessionDep,
    actor: WriterDep,
    slug: str,
    data: TreatmentUpdate,
    if_match: IfMatch = None,
) -> Response:
    """Change the fields sent (needs a `write` key and `If-Match`)."""
    updated = await writes.update_treatment(session, actor, slug, data, if_match)
    return json_response(request, updated)


@router.delete(
    "/{slug}",
    status_code=204,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def delete_treatment(
    session: SessionDep,
    actor: WriterDep,
    slug: str,
    if_match: IfMatch = None,
) -> Response:
    """Delete a treatment nothing refers to (needs a `write` key and `If-Match`)."""
    await writes.delete_treatment(session, actor, slug, if_match)
    return Response(status_code=204)
