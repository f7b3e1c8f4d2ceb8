"""Full-text search on each engine's own index: ranking, snippets, syntax, and freshness."""

from pathlib import Path

import httpx
import pytest

SAMPLES = Path(__file__).parent / "samples"


async def search(client: httpx.AsyncClient, q: str, **params: str) -> list[dict[str, object]]:
    response = await client.get("/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    hits: list[dict[str, object]] = response.json()["data"]
    return hits


def keys(hits: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(hit["type"], hit["slug"] or hit["id"]) for hit in hits]


async def test_a_word_finds_every_kind_with_links_and_marks(client: httpx.AsyncClient) -> None:
    hits = await search(client, "minoxidil")
    found = keys(hits)
    assert ("treatment", "minoxidil") in found[:2]
    assert ("treatment", "minoxidil-microneedling") in found
    assert {hit["type"] for hit in hits} >= {"treatment", "study", "finding"}
    scores = [hit["score"] for hit in hits]
    assert scores == sorted(scores, reverse=True)
    for hit in hits:
        assert (await client.get(str(hit["href"]))).status_code == 200
    assert any("<mark>" in str(hit["snippet"]).lower() for hit in hits)


async def test_phrases_prefixes_and_several_words(client: httpx.AsyncClient) -> None:
    phrase = await search(client, '"total hair count"')
    findings = (await client.get("/v1/findings", params={"limit": "500"})).json()["data"]
    quoting = {f["id"] for f in findings if "total hair count" in f["quote"].lower()}
    assert len(quoting) == 2
    assert {hit["id"] for hit in phrase} == quoting
    assert all(hit["type"] == "finding" and "<mark>" in str(hit["snippet"]) for hit in phrase)
    # The same words apart do not match the phrase.
    assert keys(await search(client, '"count hair total"')) == []

    prefix = keys(await search(client, "minox*"))
    assert ("treatment", "minoxidil") in prefix

    both = keys(await search(client, "bleeding itching"))
    assert both and all(kind == "finding" for kind, _ in both)  # only Gowda's sentence has both
    assert keys(await search(client, "bleeding zebra")) == []


async def test_type_narrows_and_limit_caps(client: httpx.AsyncClient) -> None:
    studies = await search(client, "microneedling", type="study", limit="3")
    assert 0 < len(studies) <= 3
    assert {hit["type"] for hit in studies} == {"study"}
    assert all(hit["id"] is not None and hit["slug"] is None for hit in studies)
    two = await search(client, "microneedling", type="treatment,side_effect")
    assert {hit["type"] for hit in two} <= {"treatment", "side_effect"}


@pytest.mark.parametrize(
    "q",
    ['"unclosed phrase', "***", "   ", "!!! ??? ---", "x" * 501],
)
async def test_unsearchable_queries_are_422(client: httpx.AsyncClient, q: str) -> None:
    response = await client.get("/v1/search", params={"q": q})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "q"


@pytest.mark.parametrize(
    "q",
    ["'; DROP TABLE studies; --", "NEAR(a b)", "title:minoxidil", "a OR b NOT c", "^x", "col : *"],
)
async def test_engine_syntax_in_a_query_is_just_text(client: httpx.AsyncClient, q: str) -> None:
    response = await client.get("/v1/search", params={"q": q})
    assert response.status_code in (200, 422), response.text
    assert (await client.get("/v1/studies/1")).status_code == 200


async def test_unknown_type_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/search", params={"q": "hair", "type": "study,gene"})
    assert response.status_code == 422
    assert "gene" in response.json()["detail"]


async def test_the_index_follows_every_write(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    body = {"slug": "zinc-pyrithione", "name": "Zinc pyrithione", "kind": "topical_drug",
            "aliases": ["Head-clear"], "description": "A <b>shampoo</b> ingredient."}  # fmt: skip
    created = await client.post("/v1/treatments", json=body, headers=writer)
    assert created.status_code == 201
    assert keys(await search(client, "pyrithione")) == [("treatment", "zinc-pyrithione")]
    assert keys(await search(client, "head-clear")) == [("treatment", "zinc-pyrithione")]
    (hit,) = await search(client, "shampoo")
    assert "<b>" not in str(hit["snippet"])  # escaped (SQLite) or dropped (PostgreSQL)

    patched = await client.patch(
        "/v1/treatments/zinc-pyrithione",
        json={"name": "Piroctone olamine"},
        headers={**writer, "If-Match": created.headers["etag"]},
    )
    assert patched.status_code == 200
    assert keys(await search(client, "piroctone")) == [("treatment", "zinc-pyrithione")]
    deleted = await client.delete(
        "/v1/treatments/zinc-pyrithione", headers={**writer, "If-Match": patched.headers["etag"]}
    )
    assert deleted.status_code == 204
    assert await search(client, "piroctone") == []


async def test_the_index_follows_imports(client: httpx.AsyncClient, writer: dict[str, str]) -> None:
    response = await client.post(
        "/v1/imports", content=(SAMPLES / "references.ris").read_bytes(), headers=writer
    )
    assert response.status_code == 200
    by_author = await search(client, "Østergaard", type="study")
    assert len(by_author) == 2
    assert keys(await search(client, "李", type="study")) != []
    assert keys(await search(client, '"fictional serum"', type="study")) != []


async def test_studies_q_combines_with_filters_and_pages(
    client: httpx.AsyncClient,
) -> None:
    everything = (await client.get("/v1/studies", params={"q": "microneedling"})).json()["data"]
    assert len(everything) >= 3
    trials = await client.get(
        "/v1/studies", params={"q": "microneedling", "design": "randomized_trial", "count": "true"}
    )
    assert trials.status_code == 200
    assert {s["design"] for s in trials.json()["data"]} == {"randomized_trial"}
    assert trials.json()["total"] == len(trials.json()["data"]) == 2
    seen, cursor = [], None
    while True:
        params = {"q": "microneedling", "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/studies", params=params)).json()
        seen += [s["id"] for s in page["data"]]
        if not (cursor := page["next_cursor"]):
            break
    assert sorted(seen) == sorted(s["id"] for s in everything) and len(set(seen)) == len(seen)
    bad = await client.get("/v1/studies", params={"q": '"open'})
    assert bad.status_code == 422
