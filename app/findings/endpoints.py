from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.db import SessionDep
from app.errors import problem_responses
from app.findings import service
from app.findings.schemas import FindingRead
from app.models.enums import Certainty, Direction, FindingKind
from app.pagination import Page, PageDep, link_header
from app.params import MAX_ID, ResourceId
from app.responses import json_response

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


@router.get("/{finding_id}", response_model=FindingRead, responses=problem_responses(404, 422))
async def get_finding(request: Request, session: SessionDep, finding_id: ResourceId) -> Response:
    """One finding, with its study, source and verbatim quote."""
    return json_response(request, await service.get_finding(session, finding_id))
