from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.auth.dependencies import WriterDep
from app.config import SettingsDep
from app.db import SessionDep, StreamingSessionDep
from app.errors import InvalidParameter, problem_responses
from app.expansion import parse_expand
from app.exports.fhir import citation_resource
from app.exports.negotiation import (
    EXPORT_MEDIA,
    FormatParam,
    Representation,
    base_url,
    chosen,
    citation_format,
    fhir_response,
    rendered,
    streamed,
)
from app.models.enums import StudyDesign
from app.pagination import PageDep, link_header
from app.params import MAX_ID, IfMatch, ResourceId, Year
from app.reads import ReaderDep
from app.responses import created_response, json_response
from app.studies import service, writes
from app.studies.schemas import StudyCreate, StudyDetail, StudyPage, StudyUpdate

router = APIRouter(prefix="/v1/studies", tags=["studies"])


@router.get(
    "",
    response_model=StudyPage,
    responses={200: {"content": EXPORT_MEDIA}, **problem_responses(422)},
)
async def list_studies(
    request: Request,
    reader: ReaderDep,
    session: StreamingSessionDep,
    page: PageDep,
    format: FormatParam = None,
    facets: Annotated[
        str | None,
        Query(
            description=f"Comma-separated counts to return beside the page, over every "
            f"matching study: {', '.join(service.FACETS)}."
        ),
    ] = None,
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
    import_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Created by this import.")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=500,
            description="Full-text search of title, abstract, authors and journal: words, "
            '"phrases", prefixes (`minox*`).',
        ),
    ] = None,
    sort: Annotated[str, Query(description=f"One of: {', '.join(service.SORTS)}.")] = "id",
) -> Response:
    """Studies matching every filter given, in `sort` order. With `format=` (or Accept) csv,
    ris, bibtex or csl_json, every matching study is exported, streamed as a download."""
    filters = service.StudyFilters(
        treatment=treatment,
        condition=condition,
        design=design,
        evidence_level=evidence_level,
        year_min=year_min,
        year_max=year_max,
        doi=doi,
        pmid=pmid,
        import_id=import_id,
        q=q,
        sort=sort,
    )
    representation = chosen(request, format)
    if (fmt := citation_format(representation)) is not None:
        await service.list_studies(session, filters, page)  # refuse bad filters before streaming
        return streamed(fmt, service.every_study(session, filters), "studies")
    if representation is Representation.fhir:
        raise InvalidParameter("format", "FHIR is offered for one study, finding or treatment")
    result = await service.list_studies_json(session, filters, page, _facets(facets), reader=reader)
    headers = link_header(request, result.next_cursor)
    return json_response(request, result.as_json(), headers=headers)


def _facets(value: str | None) -> list[str]:
    names = [name.strip() for name in (value or "").split(",") if name.strip()]
    unknown = sorted(set(names) - set(service.FACETS))
    if unknown:
        raise InvalidParameter(
            "facets", f"cannot count {', '.join(unknown)}; choose from {', '.join(service.FACETS)}"
        )
    return list(dict.fromkeys(names))


@router.get(
    "/{study_id}",
    response_model=StudyDetail,
    responses={200: {"content": EXPORT_MEDIA}, **problem_responses(404, 422)},
)
async def get_study(
    request: Request,
    reader: ReaderDep,
    study_id: ResourceId,
    format: FormatParam = None,
    expand: Annotated[
        str | None, Query(description="Comma-separated: findings, side_effects.")
    ] = None,
) -> Response:
    """One study: the full citation, its data-quality warnings and, with `expand`, its
    findings and side-effect reports."""
    expansions = parse_expand(expand, service.EXPANSIONS)
    study = await service.get_study_json(reader, study_id, expansions)
    representation = chosen(request, format)
    if representation is Representation.json:
        return json_response(request, study)
    detail = StudyDetail.model_validate(study)
    if (fmt := citation_format(representation)) is not None:
        return await rendered(fmt, detail, f"study-{study_id}")
    return fhir_response(citation_resource(detail, base_url(request)))


@router.post(
    "",
    status_code=201,
    response_model=StudyDetail,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_study(
    request: Request,
    session: SessionDep,
    actor: WriterDep,
    settings: SettingsDep,
    data: StudyCreate,
) -> Response:
    """Add a study (needs a `write` key). Its DOI, PMID and PMCID must be new (409)."""
    created = await writes.create_study(session, actor, data, settings)
    return created_response(request, created, created.links.self)


@router.patch(
    "/{study_id}",
    response_model=StudyDetail,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def update_study(
    request: Request,
    session: SessionDep,
    actor: WriterDep,
    settings: SettingsDep,
    study_id: ResourceId,
    data: StudyUpdate,
    if_match: IfMatch = None,
) -> Response:
    """Change the fields sent (needs a `write` key and `If-Match`); the citation is checked
    again and its warnings recomputed."""
    updated = await writes.update_study(session, actor, study_id, data, if_match, settings)
    return json_response(request, updated)


@router.delete(
    "/{study_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def delete_study(
    session: SessionDep,
    actor: WriterDep,
    study_id: ResourceId,
    if_match: IfMatch = None,
    cascade: Annotated[
        bool, Query(description="Also delete the findings and reports that cite it.")
    ] = False,
) -> Response:
    """Delete a study (needs a `write` key and `If-Match`). Refused with 409 while findings
    or reports depend on it, unless `cascade=true`."""
    await writes.delete_study(session, actor, study_id, if_match, cascade=cascade)
    return Response(status_code=204)
