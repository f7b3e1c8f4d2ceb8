"""Every read endpoint against the article's seed: exact values, filters, links and expand."""

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import (
    Caution,
    Finding,
    SideEffectReport,
    Source,
    Study,
    StudyAuthor,
    Treatment,
)
from tests.factories import (
    make_condition,
    make_finding,
    make_side_effect_report,
    make_study,
    make_treatment,
    unique,
)

ARTICLE_TITLE = "Microneedling For Hair Loss: Do You Need It?"
KUMAR_TITLE = (
    "A randomized controlled, single-observer blinded study to determine the efficacy of "
    "topical minoxidil plus microneedling versus topical minoxidil alone in the treatment of "
    "androgenetic alopecia"
)
KUMAR_QUOTE = (
    "One study found that applying topical minoxidil following microneedling was significantly "
    "more effective at increasing the total hair count, compared to topical minoxidil alone "
    "(Kumar et al, 2018)."
)
GOWDA_TITLE = "A systematic review examining the potential adverse effects of microneedling"
GOWDA_QUOTE = (
    "Potential side effects that have been reported include small amounts of bleeding shortly "
    "after the procedure, irritation on the area and itching (Gowda et al, 2021)."
)
PRESSURE_QUOTE = (
    "Applying too much pressure or going over the same area of the scalp too many times can "
    "lead to irritation, bleeding and other problems."
)
CAUTION_QUOTE_START = (
    "However, using microneedling alongside topical hair loss medications may impact the amount"
)
PRACTICE_QUOTE = (
    "Longer microneedling treatments appeared to produce better hair growth results, as opposed "
    "to undergoing microneedling more frequently, which actually seemed to have a negative "
    "effect on total hair count."
)
DHURAT_DOI = "10.4103/0974-7753.114700"
KUMAR_DOI = "10.4103/JCAS.JCAS_130_17"

SEED_TREATMENTS = ["mesotherapy", "microneedling", "minoxidil", "minoxidil-microneedling"]


# --- helpers ---------------------------------------------------------------------------------


async def get_ok(client: httpx.AsyncClient, url: str, **params: Any) -> Any:
    """GET a URL (keeping any query string it has, plus ``params``) and expect a 200."""
    if params:
        url = str(httpx.URL(url).copy_merge_params(params))
    response = await client.get(url)
    assert response.status_code == 200, (url, params, response.text)
    assert response.headers["content-type"] == "application/json"
    return response.json()


async def data(client: httpx.AsyncClient, url: str, **params: Any) -> list[dict[str, Any]]:
    params.setdefault("limit", 500)
    body = await get_ok(client, url, **params)
    assert body["next_cursor"] is None, "expected every match on one page"
    return body["data"]


async def ids(client: httpx.AsyncClient, url: str, **params: Any) -> list[int]:
    return [item["id"] for item in await data(client, url, **params)]


async def slugs(client: httpx.AsyncClient, url: str, **params: Any) -> list[str]:
    return [item["slug"] for item in await data(client, url, **params)]


def hrefs(value: Any, *, in_links: bool = False) -> list[str]:
    """Every API URL in a response: `links` values and the `href` of embedded references."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str):
                if (in_links or key == "href") and item.startswith("/v1/"):
                    found.append(item)
            else:
                found.extend(hrefs(item, in_links=key == "links"))
    elif isinstance(value, list):
        for item in value:
            found.extend(hrefs(item))
    return found


async def assert_links_resolve(client: httpx.AsyncClient, body: Any) -> None:
    urls = sorted(set(hrefs(body)))
    assert urls, "the response names no links"
    for url in urls:
        response = await client.get(url)
        assert response.status_code == 200, (url, response.text)


async def seed_study_id(session: AsyncSession, first_author: str, year: int) -> int:
    study_id = await session.scalar(
        select(Study.id)
        .join(StudyAuthor, StudyAuthor.study_id == Study.id)
        .where(StudyAuthor.position == 1, StudyAuthor.family == first_author, Study.year == year)
    )
    assert study_id is not None, f"no seeded study by {first_author} ({year})"
    return study_id


async def seed_study_ids(session: AsyncSession) -> dict[str, int]:
    """First author's family name -> id, for the nine seeded references."""
    refs = {
        "Ansell": 2011,
        "Cooper": 2002,
        "Dhurat": 2013,
        "Fertig": 2018,
        "Gowda": 2021,
        "Gupta": 2021,
        "Lima": 2013,
        "Kim": 2016,
        "Kumar": 2018,
    }
    return {family: await seed_study_id(session, family, year) for family, year in refs.items()}


async def article_id(session: AsyncSession) -> int:
    source_id = await session.scalar(select(Source.id).where(Source.key == "source-article"))
    assert source_id is not None
    return source_id


async def finding_id_by_quote(session: AsyncSession, quote: str) -> int:
    finding_id = await session.scalar(select(Finding.id).where(Finding.quote == quote))
    assert finding_id is not None
    return finding_id


# --- treatments ------------------------------------------------------------------------------


async def test_treatments_list_in_slug_order_with_aliases_and_components(
    client: httpx.AsyncClient,
) -> None:
    items = await data(client, "/v1/treatments")
    assert [item["slug"] for item in items] == SEED_TREATMENTS
    by_slug = {item["slug"]: item for item in items}

    microneedling = by_slug["microneedling"]
    assert microneedling["name"] == "Microneedling"
    assert microneedling["kind"] == "procedure"
    assert microneedling["setting"] == "clinic_or_home"
    assert microneedling["aliases"] == ["derma roller"]
    assert microneedling["components"] == []
    assert [ref["slug"] for ref in microneedling["part_of"]] == ["minoxidil-microneedling"]
    assert microneedling["description"].startswith("Microneedling is a minimally invasive")

    combination = by_slug["minoxidil-microneedling"]
    assert combination["kind"] == "combination"
    assert combination["components"] == [
        {"slug": "microneedling", "name": "Microneedling", "href": "/v1/treatments/microneedling"},
        {"slug": "minoxidil", "name": "Minoxidil", "href": "/v1/treatments/minoxidil"},
    ]
    assert combination["part_of"] == []
    assert combination["aliases"] == ["topical minoxidil plus microneedling"]

    assert by_slug["minoxidil"]["aliases"] == ["topical minoxidil"]
    assert by_slug["mesotherapy"]["kind"] == "injection"
    assert by_slug["mesotherapy"]["mechanism"] is None
    assert "total" not in (await get_ok(client, "/v1/treatments"))


async def test_treatment_links_resolve(client: httpx.AsyncClient) -> None:
    item = await get_ok(client, "/v1/treatments/microneedling")
    assert item["links"] == {
        "self": "/v1/treatments/microneedling",
        "studies": "/v1/treatments/microneedling/studies",
        "findings": "/v1/treatments/microneedling/findings",
        "side_effects": "/v1/treatments/microneedling/side-effects",
        "cautions": "/v1/treatments/microneedling/cautions",
    }
    await assert_links_resolve(client, item)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("procedure", ["microneedling"]),
        ("injection", ["mesotherapy"]),
        ("topical_drug", ["minoxidil"]),
        ("combination", ["minoxidil-microneedling"]),
        ("supplement", []),
    ],
)
async def test_treatments_kind_filter(
    client: httpx.AsyncClient, kind: str, expected: list[str]
) -> None:
    assert await slugs(client, "/v1/treatments", kind=kind) == expected


async def test_treatments_kind_filter_sees_new_rows(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    supplement = await make_treatment(session, kind="supplement")
    assert await slugs(client, "/v1/treatments", kind="supplement") == [supplement.slug]


async def test_treatment_detail_without_expand_has_no_related_lists(
    client: httpx.AsyncClient,
) -> None:
    detail = await get_ok(client, "/v1/treatments/minoxidil-microneedling")
    assert detail["slug"] == "minoxidil-microneedling"
    assert detail["name"] == "Minoxidil with microneedling"
    for key in ("studies", "findings", "side_effects", "cautions"):
        assert key not in detail


async def test_treatment_detail_expand_embeds_every_list(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    detail = await get_ok(
        client, "/v1/treatments/minoxidil", expand="studies,findings,side_effects,cautions"
    )
    kumar = await seed_study_id(session, "Kumar", 2018)
    assert [study["id"] for study in detail["studies"]] == [kumar]
    assert [finding["quote"] for finding in detail["findings"]] == [
        KUMAR_QUOTE,
        "Firstly, it appears to enhance the effects of topical hair loss medications, such as "
        "minoxidil.",
    ]
    assert detail["side_effects"] == []
    assert [(c["treatment"]["slug"], c["other_treatment"]["slug"]) for c in detail["cautions"]] == [
        ("microneedling", "minoxidil")
    ]
    # The embedded lists are the same as the list endpoints' first pages.
    assert detail["findings"] == await data(client, "/v1/treatments/minoxidil/findings")
    assert detail["studies"] == await data(client, "/v1/treatments/minoxidil/studies")


async def test_treatment_detail_expand_only_what_was_asked(client: httpx.AsyncClient) -> None:
    detail = await get_ok(client, "/v1/treatments/microneedling", expand="side_effects")
    assert len(detail["side_effects"]) == 6
    assert {report["side_effect"]["slug"] for report in detail["side_effects"]} == {
        "bleeding",
        "irritation",
        "itching",
        "infection",
    }
    for key in ("studies", "findings", "cautions"):
        assert key not in detail


async def test_treatment_detail_expand_empty_list_is_present(client: httpx.AsyncClient) -> None:
    detail = await get_ok(client, "/v1/treatments/mesotherapy", expand="studies, findings")
    assert detail["studies"] == []
    assert detail["findings"] == []
    assert "cautions" not in detail


async def test_treatment_studies(client: httpx.AsyncClient, session: AsyncSession) -> None:
    study_ids = await seed_study_ids(session)
    # Microneedling: every seeded study, directly or through the combination.
    assert await ids(client, "/v1/treatments/microneedling/studies") == sorted(study_ids.values())
    # Minoxidil: only Kumar, whose finding is about the combination compared with minoxidil.
    assert await ids(client, "/v1/treatments/minoxidil/studies") == [study_ids["Kumar"]]
    assert await ids(client, "/v1/treatments/minoxidil-microneedling/studies") == [
        study_ids["Kumar"]
    ]
    assert await ids(client, "/v1/treatments/mesotherapy/studies") == []


async def test_treatment_findings_include_kumar_total_hair_count(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    kumar = await seed_study_id(session, "Kumar", 2018)
    findings = await data(client, "/v1/treatments/microneedling/findings")
    # Microneedling's own 10 findings plus the combination's 2.
    assert len(findings) == 12
    matches = [f for f in findings if f["quote"] == KUMAR_QUOTE]
    assert len(matches) == 1
    finding = matches[0]
    assert finding["outcome"] == "total hair count"
    assert finding["kind"] == "efficacy"
    assert finding["direction"] == "benefit"
    assert finding["intervention"]["slug"] == "minoxidil-microneedling"
    assert finding["comparator_type"] == "treatment"
    assert finding["comparator"]["slug"] == "minoxidil"
    assert finding["condition"]["slug"] == "androgenetic-alopecia"
    assert finding["study"] == {
        "id": kumar,
        "title": KUMAR_TITLE,
        "year": 2018,
        "href": f"/v1/studies/{kumar}",
    }
    assert finding["links"]["study"] == f"/v1/studies/{kumar}"
    await assert_links_resolve(client, finding)
    study = await get_ok(client, finding["links"]["study"])
    assert study["title"] == KUMAR_TITLE

    assert [f["id"] for f in findings] == sorted(f["id"] for f in findings)
    assert await data(client, "/v1/treatments/mesotherapy/findings") == []


async def test_treatment_side_effects(client: httpx.AsyncClient, session: AsyncSession) -> None:
    gowda = await seed_study_id(session, "Gowda", 2021)
    reports = await data(client, "/v1/treatments/microneedling/side-effects")
    assert len(reports) == 6
    bleeding = [r for r in reports if r["side_effect"]["slug"] == "bleeding"]
    assert sorted(r["quote"] for r in bleeding) == sorted([GOWDA_QUOTE, PRESSURE_QUOTE])
    assert {r["study"]["id"] if r["study"] else None for r in bleeding} == {gowda, None}
    await assert_links_resolve(client, reports)
    assert await data(client, "/v1/treatments/minoxidil/side-effects") == []


async def test_treatment_side_effects_include_combinations(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    report = await make_side_effect_report(
        session, treatment=await _treatment(session, "minoxidil")
    )
    combined = await make_side_effect_report(
        session, treatment=await _treatment(session, "minoxidil-microneedling")
    )
    assert [r["id"] for r in await data(client, "/v1/treatments/minoxidil/side-effects")] == [
        report.id,
        combined.id,
    ]


async def _treatment(session: AsyncSession, slug: str) -> Treatment:
    treatment = await session.scalar(select(Treatment).where(Treatment.slug == slug))
    assert treatment is not None
    return treatment


async def test_treatment_cautions_from_either_side(client: httpx.AsyncClient) -> None:
    for slug in ("microneedling", "minoxidil"):
        cautions = await data(client, f"/v1/treatments/{slug}/cautions")
        assert len(cautions) == 1
        caution = cautions[0]
        assert caution["treatment"]["slug"] == "microneedling"
        assert caution["other_treatment"]["slug"] == "minoxidil"
        assert caution["level"] == "caution"
        assert caution["quote"].startswith(CAUTION_QUOTE_START)
    assert await data(client, "/v1/treatments/mesotherapy/cautions") == []


# --- conditions ------------------------------------------------------------------------------


async def test_conditions_list(client: httpx.AsyncClient) -> None:
    items = await data(client, "/v1/conditions")
    assert items == [
        {
            "slug": "androgenetic-alopecia",
            "name": "Androgenetic alopecia",
            "description": "androgenetic alopecia (male and female pattern hair loss)",
            "synonyms": ["male pattern hair loss", "female pattern hair loss"],
            "links": {
                "self": "/v1/conditions/androgenetic-alopecia",
                "findings": "/v1/findings?condition=androgenetic-alopecia",
                "studies": "/v1/studies?condition=androgenetic-alopecia",
            },
        }
    ]
    await assert_links_resolve(client, items)


async def test_conditions_list_in_slug_order(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    later = await make_condition(session, slug=unique("zz-condition"))
    earlier = await make_condition(session, slug=unique("aa-condition"))
    assert await slugs(client, "/v1/conditions") == [
        earlier.slug,
        "androgenetic-alopecia",
        later.slug,
    ]


async def test_condition_detail_and_expand(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    study_ids = await seed_study_ids(session)
    plain = await get_ok(client, "/v1/conditions/androgenetic-alopecia")
    assert plain["name"] == "Androgenetic alopecia"
    assert "findings" not in plain and "studies" not in plain

    expanded = await get_ok(
        client, "/v1/conditions/androgenetic-alopecia", expand="findings,studies"
    )
    assert [s["id"] for s in expanded["studies"]] == sorted(
        [study_ids["Dhurat"], study_ids["Gupta"], study_ids["Kumar"]]
    )
    assert len(expanded["findings"]) == 3
    assert KUMAR_QUOTE in [f["quote"] for f in expanded["findings"]]
    assert all(f["condition"]["slug"] == "androgenetic-alopecia" for f in expanded["findings"])

    only_studies = await get_ok(client, "/v1/conditions/androgenetic-alopecia", expand="studies")
    assert "findings" not in only_studies
    assert only_studies["studies"] == expanded["studies"]


# --- studies ---------------------------------------------------------------------------------


async def test_studies_list_has_every_seeded_reference(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    study_ids = await seed_study_ids(session)
    items = await data(client, "/v1/studies")
    assert [s["id"] for s in items] == sorted(study_ids.values())
    by_id = {s["id"]: s for s in items}

    kumar = by_id[study_ids["Kumar"]]
    assert kumar["title"] == KUMAR_TITLE
    assert kumar["doi"] == KUMAR_DOI
    assert kumar["authors"] == [
        {"family": "Kumar", "given": "M.K."},
        {"family": "Inamadar", "given": "A.C."},
        {"family": "Palit", "given": "A."},
    ]
    assert kumar["journal"] == "Journal of Cutaneous and Aesthetic Surgery"
    assert (kumar["volume"], kumar["issue"], kumar["pages"]) == ("11", "4", "211-216")
    assert kumar["design"] == "randomized_trial"
    assert kumar["blinding"] == "assessor_blind"
    assert kumar["evidence_level"] == 2
    assert kumar["warnings"] == []
    assert kumar["links"]["doi"] == f"https://doi.org/{KUMAR_DOI}"
    assert kumar["links"]["pubmed"] is None

    # The printed reference percent-encodes the DOI; it is stored decoded.
    assert by_id[study_ids["Dhurat"]]["doi"] == DHURAT_DOI
    assert by_id[study_ids["Dhurat"]]["pilot"] is True
    assert by_id[study_ids["Kim"]]["species"] == "mouse"
    assert [w["code"] for w in by_id[study_ids["Kim"]]["warnings"]] == ["page_range_reversed"]
    assert by_id[study_ids["Kim"]]["pages"] == "596-592"
    assert [w["code"] for w in by_id[study_ids["Gupta"]]["warnings"]] == ["page_span_implausible"]
    assert [w["code"] for w in by_id[study_ids["Fertig"]]["warnings"]] == ["year_cited_differently"]
    assert by_id[study_ids["Cooper"]]["doi"] is None
    assert by_id[study_ids["Cooper"]]["links"]["doi"] is None


async def test_study_links_resolve(client: httpx.AsyncClient, session: AsyncSession) -> None:
    gowda = await seed_study_id(session, "Gowda", 2021)
    study = await get_ok(client, f"/v1/studies/{gowda}")
    links = study["links"]
    assert links["self"] == f"/v1/studies/{gowda}"
    assert links["findings"] == f"/v1/findings?study={gowda}"
    assert links["side_effects"] == f"/v1/side-effect-reports?study={gowda}"
    await assert_links_resolve(client, {"links": {k: v for k, v in links.items() if k != "doi"}})
    source = await get_ok(client, links["source"])
    assert source["kind"] == "study"
    assert source["study"]["id"] == gowda
    reports = (await get_ok(client, links["side_effects"]))["data"]
    assert {r["side_effect"]["slug"] for r in reports} == {"bleeding", "irritation", "itching"}


async def test_studies_treatment_filter(client: httpx.AsyncClient, session: AsyncSession) -> None:
    study_ids = await seed_study_ids(session)
    assert await ids(client, "/v1/studies", treatment="minoxidil") == [study_ids["Kumar"]]
    assert await ids(client, "/v1/studies", treatment="mesotherapy") == []
    assert await ids(client, "/v1/studies", treatment="microneedling") == sorted(study_ids.values())


async def test_studies_treatment_filter_counts_side_effect_reports(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    treatment = await make_treatment(session)
    reported = await make_study(session)
    await make_study(session)  # unrelated
    await make_side_effect_report(session, treatment=treatment, study=reported)
    assert await ids(client, "/v1/studies", treatment=treatment.slug) == [reported.id]


async def test_studies_condition_filter(client: httpx.AsyncClient, session: AsyncSession) -> None:
    study_ids = await seed_study_ids(session)
    assert await ids(client, "/v1/studies", condition="androgenetic-alopecia") == sorted(
        [study_ids["Dhurat"], study_ids["Gupta"], study_ids["Kumar"]]
    )
    empty = await make_condition(session)
    assert await ids(client, "/v1/studies", condition=empty.slug) == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"design": "randomized_trial"}, ["Dhurat", "Kumar"]),
        ({"design": "systematic_review"}, ["Gowda"]),
        ({"design": "animal_study"}, ["Kim"]),
        ({"design": "cohort"}, []),
        ({"evidence_level": 1}, ["Gowda"]),
        ({"evidence_level": 2}, ["Dhurat", "Kumar"]),
        ({"evidence_level": 5}, ["Lima", "Kim"]),
        ({"evidence_level": 3}, []),
        ({"year_min": 2018}, ["Fertig", "Gowda", "Gupta", "Kumar"]),
        ({"year_max": 2011}, ["Ansell", "Cooper"]),
        ({"year_min": 2013, "year_max": 2016}, ["Dhurat", "Lima", "Kim"]),
        ({"year_min": 2018, "year_max": 2018}, ["Fertig", "Kumar"]),
        ({"year_min": 2022}, []),
        ({"design": "randomized_trial", "year_min": 2014}, ["Kumar"]),
    ],
)
async def test_studies_filters(
    client: httpx.AsyncClient,
    session: AsyncSession,
    params: dict[str, Any],
    expected: list[str],
) -> None:
    study_ids = await seed_study_ids(session)
    assert await ids(client, "/v1/studies", **params) == sorted(
        study_ids[family] for family in expected
    )


@pytest.mark.parametrize(
    ("doi", "family"),
    [
        (DHURAT_DOI, "Dhurat"),
        ("doi:10.4103/0974-7753.114700", "Dhurat"),
        ("DOI: 10.4103/0974-7753.114700", "Dhurat"),
        ("https://doi.org/10.4103/0974-7753.114700", "Dhurat"),
        ("https://dx.doi.org/10.4103/0974-7753.114700", "Dhurat"),
        ("10.4103%2F0974-7753.114700", "Dhurat"),
        ("https://doi.org/10.4103%2F0974-7753.114700", "Dhurat"),
        (KUMAR_DOI, "Kumar"),
        (KUMAR_DOI.upper(), "Kumar"),
        (KUMAR_DOI.lower(), "Kumar"),
        ("HTTPS://DOI.ORG/10.4103%2FJCAS.JCAS_130_17", "Kumar"),
        ("10.1111/JOCD.14525", "Gupta"),
    ],
)
async def test_studies_doi_filter_any_spelling(
    client: httpx.AsyncClient, session: AsyncSession, doi: str, family: str
) -> None:
    study_ids = await seed_study_ids(session)
    found = await data(client, "/v1/studies", doi=doi)
    assert [s["id"] for s in found] == [study_ids[family]]


async def test_studies_doi_filter_no_match(client: httpx.AsyncClient) -> None:
    assert await ids(client, "/v1/studies", doi="10.9999/not-in-the-seed") == []


@pytest.mark.parametrize("pmid", ["{pmid}", "PMID:{pmid}", "pmid: {pmid}", "0{pmid}"])
async def test_studies_pmid_filter(
    client: httpx.AsyncClient, session: AsyncSession, pmid: str
) -> None:
    study = await make_study(session, pmid="31415926")
    await make_study(session, pmid="27182818")
    assert await ids(client, "/v1/studies", pmid=pmid.format(pmid="31415926")) == [study.id]


async def test_studies_pmid_filter_no_match(client: httpx.AsyncClient) -> None:
    assert await ids(client, "/v1/studies", pmid="123") == []


async def test_studies_pmid_and_links(client: httpx.AsyncClient, session: AsyncSession) -> None:
    study = await make_study(session, pmid="11223344", doi="10.5555/Factory.1")
    item = await get_ok(client, f"/v1/studies/{study.id}")
    assert item["pmid"] == "11223344"
    assert item["links"]["pubmed"] == "https://pubmed.ncbi.nlm.nih.gov/11223344/"
    assert item["links"]["doi"] == "https://doi.org/10.5555/Factory.1"
    assert item["authors"] == [
        {"family": "Doe", "given": "J."},
        {"family": "Roe", "given": "R."},
    ]


@pytest.mark.parametrize("sort", ["id", "-id", "year", "-year"])
async def test_studies_sort(client: httpx.AsyncClient, session: AsyncSession, sort: str) -> None:
    await make_study(session, year=None)
    await make_study(session, year=2013)
    rows = (await session.execute(select(Study.id, Study.year))).all()
    items = await data(client, "/v1/studies", sort=sort)
    got = [(s["id"], s["year"]) for s in items]
    if sort == "id":
        expected = sorted((r.id, r.year) for r in rows)
    elif sort == "-id":
        expected = sorted(((r.id, r.year) for r in rows), reverse=True)
    elif sort == "year":
        dated = sorted((r.year, r.id) for r in rows if r.year is not None)
        expected = [(i, y) for y, i in dated] + sorted((r.id, None) for r in rows if r.year is None)
    else:
        dated = sorted(((r.year, r.id) for r in rows if r.year is not None), reverse=True)
        undated = sorted(((r.id, None) for r in rows if r.year is None), reverse=True)
        expected = [(i, y) for y, i in dated] + undated
    assert got == expected
    if sort in ("year", "-year"):
        assert got[-1][1] is None, "studies without a year come last"


async def test_study_detail(client: httpx.AsyncClient, session: AsyncSession) -> None:
    kumar = await seed_study_id(session, "Kumar", 2018)
    detail = await get_ok(client, f"/v1/studies/{kumar}")
    listed = await data(client, "/v1/studies", doi=KUMAR_DOI)
    assert detail == listed[0]
    assert detail["id"] == kumar
    assert detail["year"] == 2018
    assert "findings" not in detail and "side_effects" not in detail


async def test_study_detail_expand(client: httpx.AsyncClient, session: AsyncSession) -> None:
    gowda = await seed_study_id(session, "Gowda", 2021)
    detail = await get_ok(client, f"/v1/studies/{gowda}", expand="findings,side_effects")
    assert [f["quote"] for f in detail["findings"]] == [GOWDA_QUOTE]
    assert detail["findings"][0]["kind"] == "safety"
    assert detail["findings"][0]["direction"] == "harm"
    assert [r["side_effect"]["slug"] for r in detail["side_effects"]] == [
        "bleeding",
        "irritation",
        "itching",
    ]
    assert all(r["quote"] == GOWDA_QUOTE for r in detail["side_effects"])

    only = await get_ok(client, f"/v1/studies/{gowda}", expand="side_effects")
    assert "findings" not in only
    assert only["side_effects"] == detail["side_effects"]

    kumar = await seed_study_id(session, "Kumar", 2018)
    kumar_detail = await get_ok(client, f"/v1/studies/{kumar}", expand="findings,side_effects")
    assert [f["quote"] for f in kumar_detail["findings"]] == [KUMAR_QUOTE]
    assert kumar_detail["side_effects"] == []


# --- findings --------------------------------------------------------------------------------


async def test_findings_list(client: httpx.AsyncClient, session: AsyncSession) -> None:
    findings = await data(client, "/v1/findings")
    assert len(findings) == 12
    assert [f["id"] for f in findings] == sorted(f["id"] for f in findings)
    article = await article_id(session)
    assert {f["source"]["id"] for f in findings} == {article}
    assert all(f["source"]["title"] == ARTICLE_TITLE for f in findings)
    practice = [f for f in findings if f["kind"] == "practice"]
    assert [(f["quote"], f["study"], f["links"]["study"]) for f in practice] == [
        (PRACTICE_QUOTE, None, None)
    ]
    numbers = findings[0]["numbers"]
    assert numbers and all(value is None for value in numbers.values())


async def test_finding_detail(client: httpx.AsyncClient, session: AsyncSession) -> None:
    finding_id = await finding_id_by_quote(session, KUMAR_QUOTE)
    kumar = await seed_study_id(session, "Kumar", 2018)
    finding = await get_ok(client, f"/v1/findings/{finding_id}")
    assert finding["id"] == finding_id
    assert finding["quote"] == KUMAR_QUOTE
    assert finding["study"]["id"] == kumar
    assert finding["links"] == {
        "self": f"/v1/findings/{finding_id}",
        "study": f"/v1/studies/{kumar}",
        "source": f"/v1/sources/{await article_id(session)}",
        "intervention": "/v1/treatments/minoxidil-microneedling",
        "comparator": "/v1/treatments/minoxidil",
        "condition": "/v1/conditions/androgenetic-alopecia",
    }
    await assert_links_resolve(client, finding)
    listed = [f for f in await data(client, "/v1/findings") if f["id"] == finding_id]
    assert listed == [finding]


async def test_finding_numbers_are_reported(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    finding = await make_finding(
        session,
        effect_measure="MD",
        effect_value=12.5,
        ci_lower=3.0,
        ci_upper=22.0,
        p_value=0.01,
        n_intervention=50,
        n_comparator=48,
        time_point="24 weeks",
        certainty="moderate",
    )
    body = await get_ok(client, f"/v1/findings/{finding.id}")
    numbers = body["numbers"]
    assert numbers["effect_measure"] == "MD"
    assert numbers["effect_value"] == 12.5
    assert (numbers["ci_lower"], numbers["ci_upper"]) == (3.0, 22.0)
    assert numbers["p_value"] == 0.01
    assert (numbers["n_intervention"], numbers["n_comparator"]) == (50, 48)
    assert numbers["time_point"] == "24 weeks"
    assert numbers["sd_comparator"] is None
    assert body["certainty"] == "moderate"


async def test_findings_treatment_filter(client: httpx.AsyncClient, session: AsyncSession) -> None:
    kumar_finding = await finding_id_by_quote(session, KUMAR_QUOTE)
    minoxidil = [f["id"] for f in await data(client, "/v1/findings", treatment="minoxidil")]
    # Minoxidil is never the intervention itself; the combination's two findings count.
    assert len(minoxidil) == 2 and kumar_finding in minoxidil
    assert len(await data(client, "/v1/findings", treatment="microneedling")) == 12
    combination = await data(client, "/v1/findings", treatment="minoxidil-microneedling")
    assert [f["id"] for f in combination] == minoxidil
    assert await data(client, "/v1/findings", treatment="mesotherapy") == []


async def test_findings_comparator_filter(client: httpx.AsyncClient, session: AsyncSession) -> None:
    kumar_finding = await finding_id_by_quote(session, KUMAR_QUOTE)
    by_minoxidil = await data(client, "/v1/findings", comparator="minoxidil")
    assert len(by_minoxidil) == 2 and kumar_finding in [f["id"] for f in by_minoxidil]
    assert all(f["comparator"]["slug"] == "minoxidil" for f in by_minoxidil)
    assert await data(client, "/v1/findings", comparator="placebo") == []
    assert await data(client, "/v1/findings", comparator="microneedling") == []

    placebo = await make_finding(session, comparator_type="placebo")
    untreated = await make_finding(session, comparator_type="none")
    assert await ids(client, "/v1/findings", comparator="placebo") == [placebo.id]
    assert await ids(client, "/v1/findings", comparator="none") == [untreated.id]
    item = await get_ok(client, f"/v1/findings/{placebo.id}")
    assert item["comparator_type"] == "placebo"
    assert item["comparator"] is None


async def test_findings_condition_filter(client: httpx.AsyncClient, session: AsyncSession) -> None:
    found = await data(client, "/v1/findings", condition="androgenetic-alopecia")
    assert len(found) == 3
    assert {f["outcome"] for f in found} == {
        "total hair count",
        "growth factor release",
        "hair growth",
    }
    empty = await make_condition(session)
    assert await data(client, "/v1/findings", condition=empty.slug) == []


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"kind": "mechanism"}, 7),
        ({"kind": "efficacy"}, 3),
        ({"kind": "safety"}, 1),
        ({"kind": "practice"}, 1),
        ({"direction": "benefit"}, 10),
        ({"direction": "harm"}, 1),
        ({"direction": "unclear"}, 1),
        ({"direction": "no_difference"}, 0),
        ({"certainty": "high"}, 0),
        ({"kind": "efficacy", "condition": "androgenetic-alopecia"}, 2),
        ({"kind": "mechanism", "direction": "harm"}, 0),
    ],
)
async def test_findings_enum_filters(
    client: httpx.AsyncClient, params: dict[str, str], count: int
) -> None:
    found = await data(client, "/v1/findings", **params)
    assert len(found) == count
    for finding in found:
        for key, value in params.items():
            if key == "condition":
                assert finding["condition"]["slug"] == value
            else:
                assert finding[key] == value


async def test_findings_filter_by_kind_values(client: httpx.AsyncClient) -> None:
    safety = await data(client, "/v1/findings", kind="safety")
    assert [f["quote"] for f in safety] == [GOWDA_QUOTE]
    unclear = await data(client, "/v1/findings", direction="unclear")
    assert [f["quote"] for f in unclear] == [PRACTICE_QUOTE]


async def test_findings_certainty_filter(client: httpx.AsyncClient, session: AsyncSession) -> None:
    low = await make_finding(session, certainty="low")
    await make_finding(session, certainty="high")
    assert await ids(client, "/v1/findings", certainty="low") == [low.id]


async def test_findings_study_filter(client: httpx.AsyncClient, session: AsyncSession) -> None:
    study_ids = await seed_study_ids(session)
    gupta = await data(client, "/v1/findings", study=study_ids["Gupta"])
    assert {f["outcome"] for f in gupta} == {"wound healing mechanisms", "hair growth"}
    assert all(f["study"]["id"] == study_ids["Gupta"] for f in gupta)
    kumar = await data(client, "/v1/findings", study=study_ids["Kumar"])
    assert [f["quote"] for f in kumar] == [KUMAR_QUOTE]
    lonely = await make_study(session)
    assert await data(client, "/v1/findings", study=lonely.id) == []


async def test_findings_source_filter(client: httpx.AsyncClient, session: AsyncSession) -> None:
    article = await article_id(session)
    assert len(await data(client, "/v1/findings", source=article)) == 12
    study = await make_study(session)
    own = await make_finding(session, study=study)
    assert await ids(client, "/v1/findings", source=own.source_id) == [own.id]
    assert await ids(client, "/v1/findings", study=study.id) == [own.id]


# --- side effects ----------------------------------------------------------------------------


async def test_side_effects_list(client: httpx.AsyncClient) -> None:
    items = await data(client, "/v1/side-effects")
    assert [i["slug"] for i in items] == ["bleeding", "infection", "irritation", "itching"]
    counts = {i["slug"]: i["report_count"] for i in items}
    assert counts == {"bleeding": 2, "infection": 1, "irritation": 2, "itching": 1}
    assert all([t["slug"] for t in i["treatments"]] == ["microneedling"] for i in items)
    await assert_links_resolve(client, items)


async def test_side_effects_treatment_filter(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    assert await slugs(client, "/v1/side-effects", treatment="microneedling") == [
        "bleeding",
        "infection",
        "irritation",
        "itching",
    ]
    assert await slugs(client, "/v1/side-effects", treatment="minoxidil") == []
    report = await make_side_effect_report(
        session, treatment=await _treatment(session, "minoxidil")
    )
    listed = await data(client, "/v1/side-effects", treatment="minoxidil")
    assert len(listed) == 1
    assert listed[0]["report_count"] == 1
    assert [t["slug"] for t in listed[0]["treatments"]] == ["minoxidil"]
    assert listed[0]["links"]["reports"] == (
        f"/v1/side-effect-reports?side_effect={listed[0]['slug']}"
    )
    reports = await data(client, listed[0]["links"]["reports"])
    assert [r["id"] for r in reports] == [report.id]


async def test_side_effect_detail_bleeding(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    gowda = await seed_study_id(session, "Gowda", 2021)
    detail = await get_ok(client, "/v1/side-effects/bleeding")
    assert detail["slug"] == "bleeding"
    assert detail["name"] == "Bleeding"
    assert [t["slug"] for t in detail["treatments"]] == ["microneedling"]
    assert detail["studies"] == [
        {"id": gowda, "title": GOWDA_TITLE, "year": 2021, "href": f"/v1/studies/{gowda}"}
    ]
    assert detail["report_count"] == 2
    assert [r["quote"] for r in detail["reports"]] == [GOWDA_QUOTE, PRESSURE_QUOTE]
    assert [r["study"]["id"] if r["study"] else None for r in detail["reports"]] == [gowda, None]
    await assert_links_resolve(client, detail)


async def test_side_effect_detail_infection_has_no_study(client: httpx.AsyncClient) -> None:
    detail = await get_ok(client, "/v1/side-effects/infection")
    assert detail["studies"] == []
    assert len(detail["reports"]) == 1
    assert detail["reports"][0]["quote"].startswith("One of the main risks of using these devices")


async def test_side_effect_reports_list_and_filters(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    gowda = await seed_study_id(session, "Gowda", 2021)
    everything = await data(client, "/v1/side-effect-reports")
    assert len(everything) == 6
    assert [r["id"] for r in everything] == sorted(r["id"] for r in everything)
    await assert_links_resolve(client, everything)

    bleeding = await data(client, "/v1/side-effect-reports", side_effect="bleeding")
    assert [r["quote"] for r in bleeding] == [GOWDA_QUOTE, PRESSURE_QUOTE]
    by_gowda = await data(client, "/v1/side-effect-reports", study=gowda)
    assert [r["side_effect"]["slug"] for r in by_gowda] == ["bleeding", "irritation", "itching"]
    assert len(await data(client, "/v1/side-effect-reports", treatment="microneedling")) == 6
    assert await data(client, "/v1/side-effect-reports", treatment="minoxidil") == []
    both = await data(client, "/v1/side-effect-reports", side_effect="irritation", study=gowda)
    assert len(both) == 1 and both[0]["quote"] == GOWDA_QUOTE


async def test_side_effect_report_detail(client: httpx.AsyncClient, session: AsyncSession) -> None:
    report = await make_side_effect_report(
        session, frequency="common", incidence=0.25, severity="mild"
    )
    body = await get_ok(client, f"/v1/side-effect-reports/{report.id}")
    assert body["id"] == report.id
    assert (body["frequency"], body["incidence"], body["severity"]) == ("common", 0.25, "mild")
    assert body["quote"] == report.quote
    assert body["study"] is None and body["links"]["study"] is None
    await assert_links_resolve(client, body)

    seeded = await session.scalar(
        select(SideEffectReport.id).where(SideEffectReport.quote == PRESSURE_QUOTE).limit(1)
    )
    seeded_body = await get_ok(client, f"/v1/side-effect-reports/{seeded}")
    assert seeded_body["quote"] == PRESSURE_QUOTE
    assert seeded_body["treatment"]["slug"] == "microneedling"


# --- sources ---------------------------------------------------------------------------------


async def test_sources_list(client: httpx.AsyncClient, session: AsyncSession) -> None:
    article = await article_id(session)
    study_ids = await seed_study_ids(session)
    items = await data(client, "/v1/sources")
    assert len(items) == 10
    assert [i["id"] for i in items] == sorted(i["id"] for i in items)
    first = {i["id"]: i for i in items}[article]
    assert first["kind"] == "article"
    assert first["key"] == "source-article"
    assert first["title"] == ARTICLE_TITLE
    assert first["publisher"] == "XYON"
    assert first["study"] is None
    assert first["finding_count"] == 12
    study_sources = [i for i in items if i["kind"] == "study"]
    assert sorted(i["study"]["id"] for i in study_sources) == sorted(study_ids.values())
    assert all(i["finding_count"] == 0 for i in study_sources)
    await assert_links_resolve(client, items)


async def test_sources_kind_filter(client: httpx.AsyncClient, session: AsyncSession) -> None:
    assert await ids(client, "/v1/sources", kind="article") == [await article_id(session)]
    assert len(await data(client, "/v1/sources", kind="study")) == 9


async def test_source_detail(client: httpx.AsyncClient, session: AsyncSession) -> None:
    article = await article_id(session)
    body = await get_ok(client, f"/v1/sources/{article}")
    assert body["links"] == {
        "self": f"/v1/sources/{article}",
        "study": None,
        "findings": f"/v1/findings?source={article}",
    }
    assert body["finding_count"] == 12
    kumar = await seed_study_id(session, "Kumar", 2018)
    source_id = await session.scalar(select(Source.id).where(Source.study_id == kumar))
    study_source = await get_ok(client, f"/v1/sources/{source_id}")
    assert study_source["study"]["id"] == kumar
    assert study_source["title"] == KUMAR_TITLE
    assert study_source["links"]["study"] == f"/v1/studies/{kumar}"
    await assert_links_resolve(client, study_source)


# --- cautions --------------------------------------------------------------------------------


async def test_cautions_list_and_detail(client: httpx.AsyncClient, session: AsyncSession) -> None:
    items = await data(client, "/v1/cautions")
    assert len(items) == 1
    caution = items[0]
    assert caution["treatment"]["slug"] == "microneedling"
    assert caution["other_treatment"]["slug"] == "minoxidil"
    assert caution["level"] == "caution"
    assert caution["description"].startswith("using microneedling alongside topical")
    assert caution["quote"].startswith(CAUTION_QUOTE_START)
    assert "we advise against using microneedling" in caution["quote"]
    assert caution["source"]["id"] == await article_id(session)
    await assert_links_resolve(client, caution)

    caution_id = await session.scalar(select(Caution.id))
    assert caution["id"] == caution_id
    assert await get_ok(client, f"/v1/cautions/{caution_id}") == caution


async def test_cautions_treatment_filter(client: httpx.AsyncClient) -> None:
    for slug in ("microneedling", "minoxidil"):
        assert len(await data(client, "/v1/cautions", treatment=slug)) == 1
    assert await data(client, "/v1/cautions", treatment="mesotherapy") == []
    assert await data(client, "/v1/cautions", treatment="minoxidil-microneedling") == []


# --- representation --------------------------------------------------------------------------


async def test_timestamps_carry_their_utc_offset(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """created_at/updated_at are instants: on every database they say which zone they are in."""
    kumar = await seed_study_id(session, "Kumar", 2018)
    study = await get_ok(client, f"/v1/studies/{kumar}")
    for field in ("created_at", "updated_at"):
        stamp = datetime.fromisoformat(study[field].replace("Z", "+00:00"))
        assert stamp.utcoffset() == timedelta(0), f"{field}={study[field]!r} has no UTC offset"
