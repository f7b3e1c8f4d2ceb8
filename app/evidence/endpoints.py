from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.db import SessionDep
from app.errors import InvalidParameter, problem_responses
from app.evidence import meta, service
from app.evidence.schemas import Comparison, EvidenceSummary
from app.exports.fhir import FHIR_MEDIA_TYPE, evidence_bundle
from app.exports.negotiation import FormatParam, Representation, base_url, chosen, fhir_response
from app.models.enums import EffectMeasure
from app.responses import etag_for, etag_matches, json_response
from app.synthesis import MetaAnalysis, forest_plot

router = APIRouter(prefix="/v1", tags=["evidence"])

Intervention = Annotated[str, Query(max_length=80, description="Treatment slug.")]
Comparator = Annotated[
    str | None, Query(max_length=80, description="Treatment slug, `placebo` or `none`.")
]
Outcome = Annotated[
    str | None, Query(max_length=300, description="Outcome, e.g. `total hair count`.")
]
Measure = Annotated[
    EffectMeasure | None,
    Query(description="Pool on this measure; by default the one most findings can give."),
]


@router.get(
    "/treatments/{slug}/evidence",
    response_model=EvidenceSummary,
    responses={200: {"content": {FHIR_MEDIA_TYPE: {}}}, **problem_responses(404, 422)},
)
async def treatment_evidence(
    request: Request, session: SessionDep, slug: str, format: FormatParam = None
) -> Response:
    """The evidence at a glance: studies by design and species, participants where known,
    the strongest evidence level, findings by kind, direction and certainty, side effects
    with their frequency and sources, cautions, and what the treatment was compared with.
    Combinations that include the treatment count towards it. `format=fhir` (or Accept
    application/fhir+json) gives its findings and studies as a FHIR R5 Bundle."""
    summary = await service.evidence_summary(session, slug)
    representation = chosen(request, format)
    if representation is Representation.fhir:
        findings, studies = await service.evidence_records(session, slug)
        return fhir_response(evidence_bundle(findings, studies, base_url(request)))
    if representation is not Representation.json:
        raise InvalidParameter("format", "a treatment's evidence is offered as json or fhir")
    return json_response(request, summary)


@router.get("/compare", response_model=Comparison, responses=problem_responses(422))
async def compare(
    request: Request,
    session: SessionDep,
    treatments: Annotated[
        str, Query(max_length=300, description="Two or three slugs, comma-separated.")
    ],
) -> Response:
    """Evidence summaries side by side, and the findings that compare them directly."""
    slugs = [slug.strip() for slug in treatments.split(",") if slug.strip()]
    return json_response(request, await service.compare(session, slugs))


@router.get("/meta-analysis", response_model=MetaAnalysis, responses=problem_responses(422))
async def meta_analysis(
    request: Request,
    session: SessionDep,
    intervention: Intervention,
    comparator: Comparator = None,
    outcome: Outcome = None,
    measure: Measure = None,
) -> Response:
    """Pool the matching findings that share one effect measure: fixed effect (inverse
    variance), and random effects by DerSimonian-Laird and REML, with CI (normal quantile),
    p-value, tau², I², Cochran's Q, the prediction interval and each study's weight. Ratios
    are pooled on the log scale and reported on the natural one (log values alongside).
    Fewer than two poolable findings is a 422 naming those left out and why."""
    result = await meta.pool(session, intervention, comparator, outcome, measure)
    return json_response(request, result.as_dict())


_PLOT_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


async def _forest(
    request: Request,
    session: SessionDep,
    image: Literal["svg", "png"],
    intervention: str,
    comparator: str | None,
    outcome: str | None,
    measure: EffectMeasure | None,
    model: Literal["reml", "dersimonian-laird", "fixed"],
) -> Response:
    result = await meta.pool(session, intervention, comparator, outcome, measure)
    body = forest_plot(result, image, model=model)
    etag = etag_for(body)
    if etag_matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type=_PLOT_TYPES[image], headers={"ETag": etag})


PlotModel = Annotated[
    Literal["reml", "dersimonian-laird", "fixed"], Query(description="Weights and diamond.")
]


@router.get(
    "/meta-analysis.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, **problem_responses(422)},
)
async def forest_svg(
    request: Request,
    session: SessionDep,
    intervention: Intervention,
    comparator: Comparator = None,
    outcome: Outcome = None,
    measure: Measure = None,
    model: PlotModel = "reml",
) -> Response:
    """The forest plot of the same query as SVG: each study's estimate and interval, its
    weight, the pooled diamond and the line of no effect, labelled with authors and year."""
    return await _forest(request, session, "svg", intervention, comparator, outcome, measure, model)


@router.get(
    "/meta-analysis.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **problem_responses(422)},
)
async def forest_png(
    request: Request,
    session: SessionDep,
    intervention: Intervention,
    comparator: Comparator = None,
    outcome: Outcome = None,
    measure: Measure = None,
    model: PlotModel = "reml",
) -> Response:
    """The same forest plot as PNG."""
    return await _forest(request, session, "png", intervention, comparator, outcome, measure, model)
