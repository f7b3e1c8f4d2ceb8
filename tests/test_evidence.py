"""Evidence summaries, comparisons and meta-analysis over stored findings."""

import xml.etree.ElementTree as ET

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.evidence.service import evidence_glances, evidence_summary
from tests.factories import (
    make_finding,
    make_side_effect,
    make_side_effect_report,
    make_study,
    make_treatment,
)
from tests.test_synthesis import BCG, sig3


async def test_microneedling_at_a_glance(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/treatments/microneedling/evidence")
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["treatment"]["slug"] == "microneedling"
    assert [t["slug"] for t in summary["includes"]] == ["minoxidil-microneedling"]

    studies = summary["studies"]
    assert studies["total"] == 9  # every reference backs a microneedling finding or report
    designs = {row["value"]: row["count"] for row in studies["by_design"]}
    assert designs == {
        None: 4, "animal_study": 1, "experimental": 1, "randomized_trial": 2,
        "systematic_review": 1,
    }  # fmt: skip
    assert studies["participants"] is None and studies["studies_with_sample_size"] == 0
    assert studies["strongest_evidence_level"] == 1
    assert [s["title"][:12] for s in studies["strongest"]] == ["A systematic"]

    findings = summary["findings"]
    assert findings["total"] == 12
    kinds = {row["value"]: row["count"] for row in findings["by_kind"]}
    assert kinds == {"efficacy": 3, "mechanism": 7, "practice": 1, "safety": 1}
    assert findings["by_certainty"] == [{"value": None, "count": 12}]  # the article grades none

    harms = {row["side_effect"]["slug"]: row for row in summary["side_effects"]}
    assert set(harms) == {"bleeding", "irritation", "itching", "infection"}
    assert harms["bleeding"]["reports"] == 2
    assert [s["year"] for s in harms["bleeding"]["studies"]] == [2021]
    assert harms["infection"]["studies"] == []  # the article's own statement
    assert [c["other_treatment"]["slug"] for c in summary["cautions"]] == ["minoxidil"]

    comparators = {
        (c["comparator_type"], c["comparator"]["slug"] if c["comparator"] else None): c["findings"]
        for c in summary["comparators"]
    }
    assert comparators == {(None, None): 10, ("treatment", "minoxidil"): 2}
    for link in summary["links"].values():
        assert (await client.get(link)).status_code in (200, 422)


async def test_unknown_treatment_evidence_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/treatments/nope/evidence")
    assert response.status_code == 404


async def test_compare_side_by_side_with_direct_findings(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v1/compare", params={"treatments": "minoxidil-microneedling,minoxidil"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [s["treatment"]["slug"] for s in body["treatments"]] == [
        "minoxidil-microneedling", "minoxidil",
    ]  # fmt: skip
    direct = body["direct"]
    assert len(direct) == 2
    assert {f["comparator"]["slug"] for f in direct} == {"minoxidil"}
    assert any("Kumar et al, 2018" in f["quote"] for f in direct)


@pytest.mark.parametrize(
    "treatments", ["microneedling", "a,b,c,d", "microneedling,microneedling", "microneedling,nope"]
)
async def test_compare_needs_two_or_three_known_treatments(
    client: httpx.AsyncClient, treatments: str
) -> None:
    response = await client.get("/v1/compare", params={"treatments": treatments})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "treatments"


async def test_the_seed_cannot_be_pooled_and_says_why(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v1/meta-analysis", params={"intervention": "microneedling", "outcome": "hair growth"}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["matching_findings"] == 1
    (excluded,) = problem["excluded"]
    assert excluded["label"] == "Gupta et al 2021"
    assert "number" in excluded["reason"].lower() or "no" in excluded["reason"].lower()


async def _bcg(session: AsyncSession) -> str:
    vaccine = await make_treatment(session, slug="bcg-vaccine-test", name="BCG vaccine")
    control = await make_treatment(session, slug="no-vaccine-test", name="No vaccine")
    for author, year, tpos, tneg, cpos, cneg in BCG:
        study = await make_study(session, authors=[(author, None)], year=year)
        await make_finding(
            session, intervention=vaccine, comparator=control, study=study,
            outcome="tuberculosis", direction="benefit", effect_measure="RR",
            events_intervention=tpos, n_intervention=tpos + tneg,
            events_comparator=cpos, n_comparator=cpos + cneg,
        )  # fmt: skip
    await session.flush()
    return vaccine.slug


async def test_pooling_stored_findings_matches_metafor(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    slug = await _bcg(session)
    query = {"intervention": slug, "comparator": "no-vaccine-test", "outcome": "Tuberculosis"}
    response = await client.get("/v1/meta-analysis", params=query)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["measure"], result["k"], result["log_scale"]) == ("RR", 13, True)
    reml = result["reml"]
    # metafor: rma(yi, vi, data=escalc(measure="RR", ...dat.bcg)) -> -0.7145, tau2 0.3132
    assert sig3(reml["log_summary"]["estimate"], -0.7145)
    assert sig3(reml["tau2"], 0.3132)
    assert sig3(reml["i2_percent"], 92.22)
    assert sig3(reml["q"], 152.2330)
    assert sig3(result["fixed"]["log_summary"]["estimate"], -0.4303)
    assert sig3(result["dersimonian_laird"]["tau2"], 0.3088)
    weights = [study["weight_percent"] for study in reml["studies"]]
    assert sig3(sum(weights), 100.0)
    assert reml["studies"][0]["label"] == "Aronson 1948"

    svg = await client.get("/v1/meta-analysis.svg", params=query)
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(svg.content)
    texts = "".join(root.itertext())
    assert all(f"{author} {year}" in texts for author, year, *_ in BCG)
    revalidated = await client.get(
        "/v1/meta-analysis.svg", params=query, headers={"If-None-Match": svg.headers["etag"]}
    )
    assert revalidated.status_code == 304
    png = await client.get("/v1/meta-analysis.png", params=query)
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")


async def test_meta_analysis_errors(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/meta-analysis")
    assert missing.status_code == 422
    unknown = await client.get("/v1/meta-analysis", params={"intervention": "nope"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "intervention"
    image = await client.get("/v1/meta-analysis.gif", params={"intervention": "microneedling"})
    assert image.status_code in (404, 422)


async def test_glances_of_many_treatments_match_each_ones_summary(session: AsyncSession) -> None:
    """The treatment list's batched glance agrees with each treatment's own evidence summary:
    studies reached through combinations and as a comparator, unknown years and species,
    more strongest studies than are listed, side effects counted once each."""
    busy = await make_treatment(session)
    other = await make_treatment(session)
    await make_treatment(session, components=[busy, other])
    harm = await make_side_effect(session)
    for i in range(25):
        study = await make_study(
            session,
            year=None if i % 5 == 0 else 2000 + i % 7,
            design="randomized_trial" if i % 2 else None,
            species="human" if i % 3 else None,
            evidence_level=2 if i < 22 else 3,
            sample_size=i * 10 if i % 4 else None,
        )
        await make_finding(session, intervention=busy, study=study)
        if i % 6 == 0:
            await make_finding(session, intervention=other, study=study)
            await make_side_effect_report(session, side_effect=harm, treatment=busy, study=study)
    compared = await make_study(session, year=1999, evidence_level=2)  # busy only as comparator
    await make_finding(session, intervention=other, comparator=busy, study=compared)
    lonely = await make_treatment(session)
    slugs = [busy.slug, other.slug, lonely.slug, "microneedling", "minoxidil-microneedling"]

    glances = await evidence_glances(session, slugs)

    for slug, glance in zip(slugs, glances, strict=True):
        summary = await evidence_summary(session, slug)
        assert glance.studies == summary.studies, slug
        assert glance.side_effects == len(summary.side_effects), slug
    assert glances[0].studies.total == 26 and len(glances[0].studies.strongest) == 20
    assert glances[2].studies.total == 0 and glances[2].side_effects == 0
