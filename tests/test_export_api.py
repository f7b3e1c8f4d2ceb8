"""Exports through the API: every format parsed back, and re-imported to the same records."""

import csv
import io
import json

import bibtexparser
import httpx
import pytest
import rispy
from fhir.resources.bundle import Bundle
from fhir.resources.citation import Citation
from fhir.resources.evidence import Evidence


async def _titles(client: httpx.AsyncClient, **params: str) -> list[str]:
    response = await client.get("/v1/studies", params={"limit": "500", **params})
    return [study["title"] for study in response.json()["data"]]


async def test_every_format_parses_back(client: httpx.AsyncClient) -> None:
    expected = await _titles(client)
    assert len(expected) == 9

    ris = await client.get("/v1/studies", params={"format": "ris"})
    assert ris.status_code == 200
    assert ris.headers["content-type"].startswith("application/x-research-info-systems")
    assert 'filename="studies.ris"' in ris.headers["content-disposition"]
    assert [entry["title"] for entry in rispy.loads(ris.text)] == expected

    bib = await client.get("/v1/studies", headers={"Accept": "application/x-bibtex"})
    assert bib.headers["content-type"].startswith("application/x-bibtex")
    assert len(bibtexparser.parse_string(bib.text).entries) == 9

    table = await client.get("/v1/studies", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [row["title"] for row in rows] == expected
    kumar = next(row for row in rows if row["title"].startswith("A randomized controlled"))
    assert kumar["doi"] == "10.4103/JCAS.JCAS_130_17"
    assert kumar["authors"].startswith("Kumar, M.K.; Inamadar, A.C.")

    items = json.loads((await client.get("/v1/studies", params={"format": "csl_json"})).text)
    assert [item["title"] for item in items] == expected


async def test_exports_follow_the_filters(client: httpx.AsyncClient) -> None:
    trials = await client.get("/v1/studies", params={"design": "randomized_trial", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(trials.text)))
    assert {row["design"] for row in rows} == {"randomized_trial"} and len(rows) == 2
    one = await client.get("/v1/studies/9", params={"format": "ris"})
    (entry,) = rispy.loads(one.text)
    assert entry["doi"] == "10.4103/JCAS.JCAS_130_17"
    assert entry["authors"] == ["Kumar, M.K.", "Inamadar, A.C.", "Palit, A."]


@pytest.mark.parametrize("fmt", ["ris", "bibtex", "csl_json"])
async def test_exports_reimport_to_the_same_records(
    client: httpx.AsyncClient, writer: dict[str, str], fmt: str
) -> None:
    exported = await client.get("/v1/studies", params={"format": fmt})
    response = await client.post(
        "/v1/imports",
        content=exported.content,
        params={"format": fmt, "dry_run": "true"},
        headers=writer,
    )
    assert response.status_code == 200, response.text
    counts = response.json()["report"]["counts"]
    assert counts == {"created": 0, "updated": 0, "unchanged": 9, "duplicate": 0, "rejected": 0}


async def test_fhir_resources_validate(client: httpx.AsyncClient) -> None:
    citation = await client.get("/v1/studies/9", params={"format": "fhir"})
    assert citation.headers["content-type"] == "application/fhir+json"
    parsed = Citation.model_validate(citation.json())
    assert "10.4103/JCAS.JCAS_130_17" in citation.text
    assert parsed.id == "9"

    findings = (await client.get("/v1/findings", params={"study": "9"})).json()["data"]
    evidence = await client.get(
        f"/v1/findings/{findings[0]['id']}", headers={"Accept": "application/fhir+json"}
    )
    assert evidence.status_code == 200, evidence.text
    Evidence.model_validate(evidence.json())
    assert "total hair count" in evidence.text

    bundle = await client.get("/v1/treatments/microneedling/evidence", params={"format": "fhir"})
    parsed_bundle = Bundle.model_validate(bundle.json())
    kinds = [entry.resource.get_resource_type() for entry in parsed_bundle.entry or []]
    assert kinds.count("Evidence") == 12 and kinds.count("Citation") == 9


@pytest.mark.parametrize(
    ("path", "fmt"),
    [("/v1/studies", "fhir"), ("/v1/studies", "pdf"), ("/v1/findings/1", "ris")],
)
async def test_unoffered_formats_are_422(client: httpx.AsyncClient, path: str, fmt: str) -> None:
    response = await client.get(path, params={"format": fmt})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "format"
