"""The evidence browser: one server-rendered page per question a clinician asks, each read
through the same service functions the JSON endpoints call, in one round trip."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse

from app.db import SessionDep
from app.errors import InvalidParameter
from app.evidence import service as evidence
from app.findings.service import FindingFilters, get_finding, list_findings
from app.models.enums import StudyDesign
from app.pages.forests import poolable
from app.pages.rendering import PageRoute, render
from app.pagination import PageParams
from app.params import ResourceId
from app.reads import ReaderDep
from app.search import service as search_service
from app.search.index import SearchKind
from app.search.schemas import SearchHit
from app.side_effects.service import get_side_effect
from app.studies.service import StudyFilters, get_study, list_studies
from app.treatments import service as treatments

router = APIRouter(
    include_in_schema=False, route_class=PageRoute, default_response_class=HTMLResponse
)

PAGE_SIZE = 50
# Enough for every treatment in the compare form's menus (the benchmark data has ~200).
ALL_TREATMENTS = PageParams(limit=500, cursor=None, count=False)
SEARCH_ORDER = (SearchKind.treatment, SearchKind.study, SearchKind.finding, SearchKind.side_effect)

Cursor = Annotated[str | None, Query(max_length=500)]


def _page(cursor: str | None) -> PageParams:
    return PageParams(limit=PAGE_SIZE, cursor=cursor, count=False)


@router.get("/")
async def home(
    request: Request,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=500)] = None,
) -> HTMLResponse:
    """Search box; with ``q``, the hits grouped by type."""
    query = (q or "").strip()
    groups: dict[SearchKind, list[SearchHit]] = {}
    if query:
        try:
            results = await search_service.search(session, query, [], 60)
        except InvalidParameter as error:  # shown beside the box, so the words can be fixed
            return render(request, "home.html", 422, q=query, groups={}, error=error.detail)
        for kind in SEARCH_ORDER:
            hits = [hit for hit in results.data if hit.type is kind]
            if hits:
                groups[kind] = hits
    return render(request, "home.html", q=query, groups=groups, error=None)


@router.get("/treatments")
async def treatment_list(
    request: Request, session: SessionDep, cursor: Cursor = None
) -> HTMLResponse:
    """Every treatment with its evidence at a glance."""
    # A short page: each row's study counts cost what the treatment's evidence weighs.
    page = await treatments.list_treatments(session, PageParams(20, cursor, count=False))
    summaries = await evidence.evidence_glances(session, [t.slug for t in page.data])
    return render(
        request,
        "treatments.html",
        rows=list(zip(page.data, summaries, strict=True)),
        next_cursor=page.next_cursor,
    )


@router.get("/treatments/{slug}")
async def treatment_page(
    request: Request, reader: ReaderDep, session: SessionDep, slug: str, cursor: Cursor = None
) -> HTMLResponse:
    """One treatment: summary, findings, harms, cautions, pooled results, compare links."""
    detail = await treatments.get_treatment(reader, slug)
    summary = await evidence.evidence_summary(session, slug)
    findings = await list_findings(session, FindingFilters(treatment=slug), _page(cursor))
    others = await treatments.list_treatments(session, ALL_TREATMENTS)
    return render(
        request,
        "treatment.html",
        treatment=detail,
        summary=summary,
        findings=findings.data,
        next_cursor=findings.next_cursor,
        forests=await poolable(session, slug, findings.data),
        others=[t for t in others.data if t.slug != slug],
    )


@router.get("/studies")
async def study_list(
    request: Request,
    session: SessionDep,
    treatment: Annotated[str | None, Query(max_length=80)] = None,
    design: StudyDesign | None = None,
    evidence_level: Annotated[int | None, Query(ge=1, le=5)] = None,
    cursor: Cursor = None,
) -> HTMLResponse:
    """Studies behind a count on another page: by treatment, design or evidence level."""
    filters = StudyFilters(treatment=treatment, design=design, evidence_level=evidence_level)
    page = await list_studies(session, filters, _page(cursor))
    return render(
        request, "studies.html", studies=page.data, filters=filters, next_cursor=page.next_cursor
    )


@router.get("/studies/{study_id}")
async def study_page(request: Request, reader: ReaderDep, study_id: ResourceId) -> HTMLResponse:
    """One study: citation, links out, warnings, findings, side effects, downloads."""
    study = await get_study(reader, study_id, frozenset({"findings", "side_effects"}))
    return render(request, "study.html", study=study)


@router.get("/findings/{finding_id}")
async def finding_page(
    request: Request, session: SessionDep, finding_id: ResourceId
) -> HTMLResponse:
    """One finding with its quote and its study."""
    return render(request, "finding.html", finding=await get_finding(session, finding_id))


@router.get("/side-effects/{slug}")
async def side_effect_page(request: Request, session: SessionDep, slug: str) -> HTMLResponse:
    """One side effect and every report of it."""
    return render(request, "side_effect.html", side_effect=await get_side_effect(session, slug))


@router.get("/compare")
async def compare_page(
    request: Request,
    session: SessionDep,
    treatment: Annotated[list[str] | None, Query()] = None,
) -> HTMLResponse:
    """Two or three treatments side by side; with fewer chosen, just the form."""
    chosen = list(dict.fromkeys(slug for slug in treatment or [] if slug))
    comparison = await evidence.compare(session, chosen) if len(chosen) >= 2 else None
    everything = await treatments.list_treatments(session, ALL_TREATMENTS)
    return render(
        request,
        "compare.html",
        # Two different treatments preselected, so the bare form compares something sensible.
        chosen=chosen or [t.slug for t in everything.data[:2]],
        comparison=comparison,
        treatments=everything.data,
    )
