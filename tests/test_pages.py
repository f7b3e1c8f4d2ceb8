"""The evidence browser's pages over HTTP, on both databases: what each page says, its errors
as HTML, the forest plot where the findings can be pooled, and text escaped."""

import html
import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import make_finding, make_study, make_treatment
from tests.test_evidence import _bcg


async def _html(client: httpx.AsyncClient, path: str, status: int = 200) -> str:
    response = await client.get(path)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return response.text


async def test_each_page_shows_what_the_api_says(client: httpx.AsyncClient) -> None:
    findings = (await client.get("/v1/findings?treatment=microneedling&limit=100")).json()["data"]
    (hair_count,) = [
        f
        for f in findings
        if f["outcome"] == "total hair count" and (f["study"] or {}).get("year") == 2018
    ]
    study = hair_count["study"]

    assert "Minoxidil with microneedling" in await _html(client, "/?q=minoxidil")
    assert 'href="/treatments/microneedling"' in await _html(client, "/treatments")
    treatment = await _html(client, "/treatments/microneedling")
    assert html.escape(hair_count["quote"], quote=False) in treatment
    assert f'href="/studies/{study["id"]}"' in treatment
    assert "No pooled result" in treatment  # the article prints no numbers to pool
    page = await _html(client, f"/studies/{study['id']}")
    assert f"/v1/studies/{study['id']}?format=ris" in page
    assert html.escape(study["title"], quote=False) in await _html(
        client, f"/findings/{hair_count['id']}"
    )
    assert "Bleeding" in await _html(client, "/side-effects/bleeding")
    compared = await _html(client, "/compare?treatment=microneedling&treatment=minoxidil")
    assert f'id="finding-{hair_count["id"]}"' in compared
    listed = await _html(client, "/studies?treatment=microneedling&design=randomized_trial")
    assert f'href="/studies/{study["id"]}"' in listed


async def test_a_study_page_links_its_doi_and_states_its_warnings(
    client: httpx.AsyncClient,
) -> None:
    studies = (await client.get("/v1/studies?limit=100")).json()["data"]
    warned = next(s for s in studies if s["warnings"] and s["doi"])
    page = await _html(client, f"/studies/{warned['id']}")
    assert f'href="{html.escape(warned["links"]["doi"])}"' in page
    for warning in warned["warnings"]:
        assert html.escape(warning["message"], quote=False) in page


async def test_errors_are_pages_too(client: httpx.AsyncClient) -> None:
    assert "no treatment has the slug" in await _html(client, "/treatments/no-such", 404)
    assert "Invalid request" in await _html(client, "/studies/0", 422)
    searched = await _html(client, '/?q="', 422)
    assert 'role="alert"' in searched and 'id="q"' in searched  # the box, to fix the words
    many = "&".join(f"treatment={slug}" for slug in ("a", "b", "c", "d"))
    assert "two or three" in await _html(client, f"/compare?{many}", 422)


async def test_pooled_findings_show_a_forest_plot_with_each_study_linked(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    slug = await _bcg(session)
    page = await _html(client, f"/treatments/{slug}")
    (plot,) = re.findall(r'<img src="(/v1/meta-analysis\.svg\?[^"]+)"', page)
    plot = html.unescape(plot)
    assert "comparator=no-vaccine-test" in plot and "outcome=tuberculosis" in plot
    svg = await client.get(plot)
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    findings = (await client.get(f"/v1/findings?treatment={slug}&limit=100")).json()["data"]
    for finding in findings:
        assert f'href="/studies/{finding["study"]["id"]}"' in page
    assert "13 studies" in page


async def test_text_from_the_database_is_escaped_and_long_names_kept(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    hostile = '<script>alert("x")</script>'
    study = await make_study(
        session,
        title=f"{hostile} {'Trichology' * 30}",
        authors=[("山田", "太郎"), ("Ngô", "Bảo Châu"), (hostile, None)],
    )
    treatment = await make_treatment(session, name=f"{hostile} treatment")
    await make_finding(session, intervention=treatment, study=study, quote=hostile)
    for path in (f"/studies/{study.id}", f"/treatments/{treatment.slug}"):
        page = await _html(client, path)
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert" in page
    assert "山田 太郎, Ngô Bảo Châu" in await _html(client, f"/studies/{study.id}")


async def test_pages_stay_out_of_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert all(path.startswith("/v1/") or path in ("/healthz", "/readyz") for path in paths), [
        p for p in paths if not p.startswith("/v1/")
    ]
