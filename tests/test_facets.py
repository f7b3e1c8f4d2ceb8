"""Facets: counts beside a page of studies, over the whole filtered set."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import make_finding, make_side_effect_report, make_study, make_treatment


def _counts(body: dict[str, object], name: str) -> dict[object, int]:
    facets = body["facets"]
    assert isinstance(facets, dict)
    return {row["value"]: row["count"] for row in facets[name]}


async def test_facets_on_the_seed_match_hand_counts(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v1/studies", params={"facets": "design,year,evidence_level,treatment", "limit": "2"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["data"]) == 2  # the page is small, the counts are not
    # Counted by hand from seed_data/curated.toml and references.ris:
    assert _counts(body, "design") == {
        None: 4, "randomized_trial": 2, "systematic_review": 1, "experimental": 1,
        "animal_study": 1,
    }  # fmt: skip
    assert _counts(body, "year") == {2013: 2, 2021: 2, 2018: 2, 2011: 1, 2002: 1, 2016: 1}
    assert _counts(body, "evidence_level") == {None: 4, 5: 2, 2: 2, 1: 1}
    # Kumar 2018 is the only study about the combination and about minoxidil (comparator);
    # microneedling's own findings and reports cite the other eight.
    assert _counts(body, "treatment") == {
        "microneedling": 8, "minoxidil": 1, "minoxidil-microneedling": 1,
    }  # fmt: skip
    treatment = body["facets"]["treatment"][0]
    assert treatment["label"] == "Microneedling"
    assert "facets" not in (await client.get("/v1/studies")).json()


async def test_facets_follow_the_filters(client: httpx.AsyncClient) -> None:
    body = (
        await client.get("/v1/studies", params={"facets": "design,treatment", "year_min": "2016"})
    ).json()
    assert _counts(body, "design") == {
        None: 2, "randomized_trial": 1, "systematic_review": 1, "animal_study": 1,
    }  # fmt: skip
    assert sum(_counts(body, "design").values()) == 5


async def test_many_to_many_treatment_counts_each_study_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    laser = await make_treatment(session, slug="low-level-laser-test", name="Low-level laser")
    study = await make_study(session, title="A laser facet study", year=1999)
    for _ in range(3):  # three findings and a report: still one study
        await make_finding(session, intervention=laser, study=study)
    await make_side_effect_report(session, treatment=laser, study=study)
    body = (
        await client.get("/v1/studies", params={"facets": "treatment", "year_max": "1999"})
    ).json()
    assert _counts(body, "treatment") == {"low-level-laser-test": 1}


async def test_unknown_facet_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/studies", params={"facets": "design,colour"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "facets"
