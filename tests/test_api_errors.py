"""Every kind of client error as RFC 9457 problem+json; ETag revalidation; health checks."""

import base64
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import make_study, make_treatment

PROBLEM_JSON = "application/problem+json"
MAX_ID = 2**31 - 1
HUGE = "99999999999999999999"


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is problem+json with type, title, status and detail filled in."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["type"] == "about:blank"
    assert isinstance(body["title"], str) and body["title"]
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["instance"] == response.request.url.path
    return body


def assert_invalid(response: httpx.Response, field: str, location: str = "query") -> str:
    """A 422 whose `errors` names ``field``; returns that error's reason."""
    body = assert_problem(response, 422)
    errors = body["errors"]
    assert isinstance(errors, list) and errors
    for error in errors:
        assert set(error) == {"field", "location", "reason"}
    named = [error for error in errors if error["field"] == field]
    assert named, f"no error names {field!r}: {errors}"
    assert named[0]["location"] == location
    assert field in body["detail"]
    reason: str = named[0]["reason"]
    return reason


def forged_cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode()


# --- 404 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "what", "named"),
    [
        ("/v1/treatments/nope", "treatment", "'nope'"),
        ("/v1/treatments/nope/studies", "treatment", "'nope'"),
        ("/v1/treatments/nope/findings", "treatment", "'nope'"),
        ("/v1/treatments/nope/side-effects", "treatment", "'nope'"),
        ("/v1/treatments/nope/cautions", "treatment", "'nope'"),
        ("/v1/conditions/nope", "condition", "'nope'"),
        ("/v1/side-effects/nope", "side effect", "'nope'"),
        (f"/v1/studies/{MAX_ID}", "study", str(MAX_ID)),
        (f"/v1/findings/{MAX_ID}", "finding", str(MAX_ID)),
        (f"/v1/side-effect-reports/{MAX_ID}", "side-effect report", str(MAX_ID)),
        (f"/v1/sources/{MAX_ID}", "source", str(MAX_ID)),
        (f"/v1/cautions/{MAX_ID}", "caution", str(MAX_ID)),
    ],
)
async def test_unknown_resource_is_404_naming_it(
    client: httpx.AsyncClient, url: str, what: str, named: str
) -> None:
    body = assert_problem(await client.get(url), 404)
    assert body["title"] == "Not found"
    assert what in body["detail"]
    assert named in body["detail"]
    assert "errors" not in body


async def test_unknown_route_is_404(client: httpx.AsyncClient) -> None:
    for url in ("/v1/nope", "/v2/treatments", "/v1/treatments/microneedling/nope"):
        body = assert_problem(await client.get(url), 404)
        assert body["detail"] == f"no route matches {url}"


# GET-only routes that no write API would add a method to: health, whole collections, and
# sub-collections of a treatment.
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", "/healthz"),
        ("DELETE", "/v1/treatments"),
        ("PUT", "/v1/studies"),
        ("POST", "/v1/treatments/microneedling/findings"),
        ("PATCH", "/v1/side-effect-reports"),
    ],
)
async def test_wrong_method_is_405(client: httpx.AsyncClient, method: str, url: str) -> None:
    response = await client.request(method, url, json={})
    body = assert_problem(response, 405)
    assert body["title"] == "Method not allowed"
    assert "GET" in response.headers["allow"]


@pytest.mark.parametrize(
    ("url", "allow"),
    [
        ("/v1/treatments/microneedling", "DELETE, GET, HEAD, PATCH"),
        ("/v1/treatments", "GET, HEAD, POST"),
        ("/v1/keys/someone", "DELETE"),
        ("/v1/imports", "POST"),
    ],
)
async def test_405_allows_every_method_of_the_path(
    client: httpx.AsyncClient, url: str, allow: str
) -> None:
    """Not only those of the first route that matched (found by schemathesis)."""
    response = await client.request("OPTIONS", url)
    assert_problem(response, 405)
    assert response.headers["allow"] == allow


# --- 422: filters naming nothing -------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "field", "location"),
    [
        ("/v1/studies?q=hair%00loss", "q", "query"),
        ("/v1/treatments?cursor=%00", "cursor", "query"),
        ("/v1/meta-analysis?intervention=%00&measure=SMD", "intervention", "query"),
        ("/v1/treatments/minox%00idil", "path", "path"),
    ],
)
async def test_nul_in_a_path_or_query_is_422(
    client: httpx.AsyncClient, url: str, field: str, location: str
) -> None:
    """PostgreSQL cannot hold U+0000 and failed on it with a 500 (found by schemathesis)."""
    assert_invalid(await client.get(url), field, location)


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/v1/studies", {"treatment": "nope"}, "treatment"),
        ("/v1/studies", {"condition": "nope"}, "condition"),
        ("/v1/findings", {"treatment": "nope"}, "treatment"),
        ("/v1/findings", {"comparator": "nope"}, "comparator"),
        ("/v1/findings", {"condition": "nope"}, "condition"),
        ("/v1/findings", {"study": 999999}, "study"),
        ("/v1/findings", {"source": 999999}, "source"),
        ("/v1/side-effects", {"treatment": "nope"}, "treatment"),
        ("/v1/side-effect-reports", {"side_effect": "nope"}, "side_effect"),
        ("/v1/side-effect-reports", {"treatment": "nope"}, "treatment"),
        ("/v1/side-effect-reports", {"study": 999999}, "study"),
        ("/v1/cautions", {"treatment": "nope"}, "treatment"),
    ],
)
async def test_unknown_filter_value_is_422(
    client: httpx.AsyncClient, url: str, params: dict[str, Any], field: str
) -> None:
    reason = assert_invalid(await client.get(url, params=params), field)
    assert str(params[field]) in reason


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/v1/treatments", {"kind": "potion"}, "kind"),
        ("/v1/sources", {"kind": "rumour"}, "kind"),
        ("/v1/studies", {"design": "anecdote"}, "design"),
        ("/v1/studies", {"evidence_level": 0}, "evidence_level"),
        ("/v1/studies", {"evidence_level": 6}, "evidence_level"),
        ("/v1/studies", {"year_min": "abc"}, "year_min"),
        ("/v1/studies", {"year_max": "2020.5"}, "year_max"),
        ("/v1/studies", {"year_min": 99999}, "year_min"),
        ("/v1/studies", {"sort": "title"}, "sort"),
        ("/v1/studies", {"pmid": "abc"}, "pmid"),
        ("/v1/studies", {"treatment": "x" * 81}, "treatment"),
        ("/v1/findings", {"kind": "anecdote"}, "kind"),
        ("/v1/findings", {"direction": "sideways"}, "direction"),
        ("/v1/findings", {"certainty": "certain"}, "certainty"),
        ("/v1/findings", {"study": "abc"}, "study"),
        ("/v1/findings", {"study": 0}, "study"),
        ("/v1/findings", {"study": HUGE}, "study"),
        ("/v1/findings", {"source": HUGE}, "source"),
        ("/v1/side-effect-reports", {"study": HUGE}, "study"),
        ("/v1/studies", {"count": "maybe"}, "count"),
    ],
)
async def test_malformed_query_value_is_422(
    client: httpx.AsyncClient, url: str, params: dict[str, Any], field: str
) -> None:
    assert_invalid(await client.get(url, params=params), field)


@pytest.mark.parametrize(
    "doi", ["nonsense", "11.1000/x", "10.12/too-short-prefix", "doi:", "https://doi.org/"]
)
async def test_invalid_doi_filter_is_422(client: httpx.AsyncClient, doi: str) -> None:
    reason = assert_invalid(await client.get("/v1/studies", params={"doi": doi}), "doi")
    assert "DOI" in reason


@pytest.mark.parametrize(("field", "value"), [("doi", ""), ("doi", "   "), ("pmid", "")])
async def test_empty_identifier_filter_is_422_not_500(
    client: httpx.AsyncClient, field: str, value: str
) -> None:
    assert_invalid(await client.get("/v1/studies", params={field: value}), field)


# --- 422: paths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/v1/studies/abc", "study_id"),
        ("/v1/studies/1.5", "study_id"),
        ("/v1/findings/abc", "finding_id"),
        ("/v1/side-effect-reports/abc", "report_id"),
        ("/v1/sources/abc", "source_id"),
        ("/v1/cautions/abc", "caution_id"),
    ],
)
async def test_non_integer_id_is_422(client: httpx.AsyncClient, url: str, field: str) -> None:
    assert_invalid(await client.get(url), field, location="path")


@pytest.mark.parametrize(
    ("prefix", "field"),
    [
        ("/v1/studies", "study_id"),
        ("/v1/findings", "finding_id"),
        ("/v1/side-effect-reports", "report_id"),
        ("/v1/sources", "source_id"),
        ("/v1/cautions", "caution_id"),
    ],
)
@pytest.mark.parametrize("value", [HUGE, str(MAX_ID + 1), "0", "-1"])
async def test_out_of_range_id_is_422_not_500(
    client: httpx.AsyncClient, prefix: str, field: str, value: str
) -> None:
    assert_invalid(await client.get(f"{prefix}/{value}"), field, location="path")


@pytest.mark.parametrize(
    "url",
    [
        "/v1/treatments/microneedling",
        "/v1/conditions/androgenetic-alopecia",
        "/v1/studies/1",
    ],
)
async def test_unknown_expand_is_422(client: httpx.AsyncClient, url: str) -> None:
    reason = assert_invalid(await client.get(url, params={"expand": "studies,gossip"}), "expand")
    assert "gossip" in reason


async def test_expand_names_only_what_a_resource_has(client: httpx.AsyncClient) -> None:
    # Studies have findings and side effects, but no cautions; conditions have no side effects.
    assert_invalid(await client.get("/v1/studies/1", params={"expand": "cautions"}), "expand")
    assert_invalid(
        await client.get("/v1/conditions/androgenetic-alopecia", params={"expand": "side_effects"}),
        "expand",
    )


# --- 422: paging -----------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["0", "-1", "501", "100000", HUGE, "abc", "1.5"])
@pytest.mark.parametrize("url", ["/v1/studies", "/v1/findings", "/v1/treatments"])
async def test_bad_limit_is_422(client: httpx.AsyncClient, url: str, limit: str) -> None:
    assert_invalid(await client.get(url, params={"limit": limit}), "limit")


@pytest.mark.parametrize("url", ["/v1/studies", "/v1/findings", "/v1/side-effect-reports"])
async def test_limit_500_is_allowed(client: httpx.AsyncClient, url: str) -> None:
    response = await client.get(url, params={"limit": 500})
    assert response.status_code == 200
    assert response.json()["next_cursor"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!",
        "é",
        forged_cursor(None),
        forged_cursor([1]),
        forged_cursor({"v": [1]}),
        forged_cursor({"s": "id"}),
        forged_cursor({"s": "id", "v": []}),
        forged_cursor({"s": "id", "v": [1, 2]}),
        forged_cursor({"s": "id", "v": [None]}),
        forged_cursor({"s": "id", "v": [{"a": 1}]}),
        base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
    ],
)
async def test_bad_cursor_is_422(client: httpx.AsyncClient, cursor: str) -> None:
    assert_invalid(await client.get("/v1/studies", params={"cursor": cursor}), "cursor")


@pytest.mark.parametrize("value", ["abc", 2**40])
async def test_tampered_cursor_value_is_422(client: httpx.AsyncClient, value: Any) -> None:
    """A cursor whose key has the wrong type or range for an integer id was not issued by
    the API: it must be refused as such, not compared with the column (PostgreSQL errors)."""
    cursor = forged_cursor({"s": "id", "v": [value]})
    assert_invalid(await client.get("/v1/studies", params={"cursor": cursor}), "cursor")


async def test_cursor_from_another_sort_is_422(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    page = (await client.get("/v1/studies", params={"sort": "year", "limit": 2})).json()
    cursor = page["next_cursor"]
    assert cursor is not None
    ok = await client.get("/v1/studies", params={"sort": "year", "limit": 2, "cursor": cursor})
    assert ok.status_code == 200
    for sort in ("id", "-id", "-year"):
        response = await client.get("/v1/studies", params={"sort": sort, "cursor": cursor})
        reason = assert_invalid(response, "cursor")
        assert "sort" in reason

    # A cursor from a list sorted by id is no cursor for a list sorted by slug.
    await make_treatment(session)
    findings = (await client.get("/v1/findings", params={"limit": 2})).json()
    assert findings["next_cursor"] is not None
    response = await client.get("/v1/treatments", params={"cursor": findings["next_cursor"]})
    assert_invalid(response, "cursor")


# --- ETag and If-None-Match ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/v1/treatments",
        "/v1/treatments/microneedling?expand=findings",
        "/v1/studies?sort=-year",
        "/v1/findings/1",
        "/v1/side-effects/bleeding",
        "/v1/cautions",
    ],
)
async def test_matching_if_none_match_is_304(client: httpx.AsyncClient, url: str) -> None:
    first = await client.get(url)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 2

    again = await client.get(url)
    assert again.headers["etag"] == etag, "the same data must give the same ETag"

    cached = await client.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag

    weak = await client.get(url, headers={"If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304
    listed = await client.get(url, headers={"If-None-Match": f'"other", {etag}'})
    assert listed.status_code == 304
    anything = await client.get(url, headers={"If-None-Match": "*"})
    assert anything.status_code == 304


@pytest.mark.parametrize(
    "if_none_match",
    ['"0123456789abcdef0123456789abcdef"', "garbled", '"', "W/", ",", '"other", W/"x"'],
)
async def test_other_if_none_match_is_200(client: httpx.AsyncClient, if_none_match: str) -> None:
    first = await client.get("/v1/treatments")
    response = await client.get("/v1/treatments", headers={"If-None-Match": if_none_match})
    assert response.status_code == 200
    assert response.json() == first.json()
    assert response.headers["etag"] == first.headers["etag"]


async def test_etag_of_a_stripped_tag_does_not_match(client: httpx.AsyncClient) -> None:
    etag = (await client.get("/v1/treatments")).headers["etag"]
    unquoted = etag.strip('"')
    response = await client.get("/v1/treatments", headers={"If-None-Match": unquoted})
    assert response.status_code == 200


async def test_etag_differs_between_representations(client: httpx.AsyncClient) -> None:
    everything = (await client.get("/v1/treatments")).headers["etag"]
    procedures = (await client.get("/v1/treatments?kind=procedure")).headers["etag"]
    assert everything != procedures
    response = await client.get(
        "/v1/treatments?kind=procedure", headers={"If-None-Match": everything}
    )
    assert response.status_code == 200


async def test_etag_changes_when_data_changes(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    before = await client.get("/v1/studies")
    etag = before.headers["etag"]
    study = await make_study(session)

    after = await client.get("/v1/studies", headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["etag"] != etag
    assert study.id in [item["id"] for item in after.json()["data"]]

    treatments = await client.get("/v1/treatments")
    treatment = await make_treatment(session)
    changed = await client.get(
        "/v1/treatments", headers={"If-None-Match": treatments.headers["etag"]}
    )
    assert changed.status_code == 200
    assert treatment.slug in [item["slug"] for item in changed.json()["data"]]

    # A changed row changes its detail's ETag too.
    detail = await client.get(f"/v1/studies/{study.id}")
    study.title = "A retitled factory study"
    await session.flush()
    retitled = await client.get(
        f"/v1/studies/{study.id}", headers={"If-None-Match": detail.headers["etag"]}
    )
    assert retitled.status_code == 200
    assert retitled.json()["title"] == "A retitled factory study"


# --- health ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/healthz", "/readyz"])
async def test_health(client: httpx.AsyncClient, url: str) -> None:
    response = await client.get(url)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
