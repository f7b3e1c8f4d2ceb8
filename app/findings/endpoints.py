from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.auth.dependencies import WriterDep
from app.db import SessionDep
from app.errors import InvalidParameter, problem_responses
from app.exports.fhir import FHIR_MEDIA_TYPE, evidence_resource
from app.exports.negotiation import FormatParam, Representation, base_url, chosen, fhir_response
from app.findings import service, writes
from app.findings.schemas import FindingCreate, FindingRead, FindingUpdate
from app.models.enums import Certainty, Direction, FindingKind
from app.pagination import Page, PageDep, link_header
from app.params import MAX_ID, IfMatch, ResourceId
from app.reads import SessionReader
from app.responses import created_response, json_response
from app.studies.service import get_study

router = APIRouter(prefix="/v1/findings", tags=["findings"])


@router.get("", response_model=Page[FindingRead], responses=problem_responses(422))
async def list_findings(
    request: Request,
    session: SessionDep,
    page: PageDep,
    treatment: Annotated[
        str | None,
        Query(max_length=80, description="Intervention slug; combinations including it count."),
    ] = None,
    comparator: Annotated[
        str | None,
        Query(max_length=80, description="A treatment slug, or `placebo` or `none`."),
    ] = None,
    condition: Annotated[str | None, Query(max_length=80, description="Condition slug.")] = None,
    kind: FindingKind | None = None,
    direction: Direction | None = None,
    certainty: Certainty | None = None,
    study: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Study id.")] = None,
    source: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Source id.")] = None,
) -> Response:
    """Findings matching every filter given, in id order."""
    filters = service.FindingFilters(
        treatment=treatment,
        comparator=comparator,
        condition=condition,
        kind=kind,
        direction=direction,
        certainty=certainty,
        study=study,
        source=source,
    )
    result = await service.list_findings(session, filters, page)
    return json_response(request, result, headers=link_header(request, result.next_cursor))


@router.get(
    "/{finding_id}",
    response_model=FindingRead,
    responses={200: {"content": {FHIR_MEDIA_TYPE: {}}}, **problem_responses(404, 422)},
)
async def get_finding(
    request: Request, session: SessionDep, finding_id: ResourceId, format: FormatParam = None
) -> Response:
    """One finding, with its study, source and verbatim quote; `format=fhir` (or Accept
    application/fhir+json) gives it as a FHIR R5 Evidence."""
    finding = await service.get_finding(session, finding_id)
    representation = chosen(request, format)
    if representation is Representation.fhir:
        study = await get_study(SessionReader(session), finding.study.id) if finding.study else None
        return fhir_response(evidence_resource(finding, base_url(request), study=study))
    if representation is not Representation.json:
        raise InvalidParameter("format", "a finding is offered as json or fhir")
    return json_response(request, finding)


@router.post(
    "",
    status_code=201,
    response_model=FindingRead,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_finding(
    request: Request, session: SessionDep, actor: WriterDep, data: FindingCreate
) -> Response:
    """Add a finding, quoting its source verbatim (needs a `write` key)."""
    created = await writes.create_finding(session, actor, data)
    return created_response(request, created, created.links.self)


@router.patch(
    "/{finding_id}",
    response_model=FindingRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def update_finding(
    request: Request,
    session: SessionDep,
    actor: WriterDep,
    finding_id: ResourceId,
    data: FindingUpdate,
    if_match: IfMatch = None,
) -> Response:
    """Change the fields sent (needs a `write` key and `If-Match`)."""
    updated = await writes.update_finding(session, actor, finding_id, data, if_match)
    return json_response(request, updated)


@router.delete(
    "/{finding_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def delete_finding(
    session: SessionDep, actor: WriterDep, finding_id: ResourceId, if_match: IfMatch = None
) -> Response:
    """Delete a finding (needs a `write` key and `If-Match`)."""
    await writes.delete_finding(session, actor, finding_id, if_match)
    return Response(status_code=204)
