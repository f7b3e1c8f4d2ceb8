from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.db import SessionDep
from app.errors import problem_responses
from app.expansion import parse_expand
from app.models.enums import StudyDesign
from app.pagination import Page, PageDep, link_header
from app.params import ResourceId, Year
from app.responses import json_response
from app.studies import service
from app.studies.schemas import StudyDetail, StudyRead

router = APIRouter(prefix="/v1/studies", tags=["studies"])


@router.get("", response_model=Page[StudyRead], responses=problem_responses(422))
async def list_studies(
    request: Request,
    session: SessionDep,
    page: PageDep,
    treatment: Annotated[
        str | None, Query(max_length=80, description="Treatment slug, combinations included.")
    ] = None,
    condition: Annotated[str | None, Query(max_length=80, description="Condition slug.")] = None,
    design: StudyDesign | None = None,
    evidence_level: Annotated[int | None, Query(ge=1, le=5)] = None,
    year_min: Year = None,
    year_max: Year = None,
    doi: Annotated[
        str | None,
        Query(
            max_length=400,
            description="Any spelling: `10.1111/x`, `doi:10.1111/x`, a https://doi.org/ URL, "
            "percent-encoded or not; compared without regard to case.",
        ),
    ] = None,
    pmid: Annotated[str | None, Query(max_length=20, description="PubMed id.")] = None,
    sort: Annotated[str, Query(description=f"One of: {', '.join(service.SORTS)}.")] = "id",
) -> Response:
    """Studies matching every filter given, in `sort` order."""
    filters = service.StudyFilters(
        treatment=treatment,
        condition=condition,
        design=design,
        evidence_level=evidence_level,
        year_min=year_min,
        year_max=year_max,
        doi=doi,
        pmid=pmid,
        sort=sort,
    )
    result = await service.list_studies(session, filters, page)
    return json_response(request, result, headers=link_header(request, result.next_cursor))


@router.get("/{study_id}", response_model=StudyDetail, responses=problem_responses(404, 422))
async def get_study(
    request: Request,
    session: SessionDep,
    study_id: ResourceId,
    expand: Annotated[
        str | None, Query(description="Comma-separated: findings, side_effects.")
    ] = None,
) -> Response:
    """One study: the full citation, its data-quality warnings and, with `expand`, its
    findings and side-effect reports."""
    expansions = parse_expand(expand, service.EXPANSIONS)
    return json_response(request, await service.get_study(session, study_id, expansions))
