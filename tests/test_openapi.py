"""The OpenAPI document that clients are generated from: complete, valid, with examples."""

from typing import Any

import httpx
import orjson
import pytest
from openapi_spec_validator import validate

READ_PATHS = [
    "/v1/treatments",
    "/v1/treatments/{slug}",
    "/v1/treatments/{slug}/studies",
    "/v1/treatments/{slug}/findings",
    "/v1/treatments/{slug}/side-effects",
    "/v1/treatments/{slug}/cautions",
    "/v1/conditions",
    "/v1/conditions/{slug}",
    "/v1/studies",
    "/v1/studies/{study_id}",
    "/v1/findings",
    "/v1/findings/{finding_id}",
    "/v1/side-effects",
    "/v1/side-effects/{slug}",
    "/v1/side-effect-reports",
    "/v1/side-effect-reports/{report_id}",
    "/v1/sources",
    "/v1/sources/{source_id}",
    "/v1/cautions",
    "/v1/cautions/{caution_id}",
    "/healthz",
    "/readyz",
]


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)


async def test_every_read_path_is_documented(document: dict[str, Any]) -> None:
    assert set(READ_PATHS) <= set(document["paths"])
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation.get("description") or operation.get("summary"), (method, path)


async def test_v1_errors_are_documented_as_problems(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in item.items():
            responses = operation["responses"]
            assert "application/problem+json" in responses["422"]["content"], (method, path)
            if "{" in path:
                assert "application/problem+json" in responses["404"]["content"], path
            if method in ("post", "patch", "delete"):
                assert {"401", "403"} <= set(responses), (method, path)
            if method in ("patch", "delete") and not path.startswith("/v1/keys"):
                assert {"412", "428"} <= set(responses), (method, path)


async def test_main_resources_carry_examples(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in (
        "TreatmentRead",
        "StudyRead",
        "FindingRead",
        "SideEffectRead",
        "SourceRead",
        "ConditionRead",
        "CautionRead",
    ):
        assert "example" in schemas[name], name


async def test_problems_are_documented_with_their_schema(document: dict[str, Any]) -> None:
    """A problem is sent as problem+json; that is where its schema must be (schemathesis
    validates each error body against it), and FastAPI's own 422 shape is never sent."""
    problem = {"$ref": "#/components/schemas/ProblemDetail"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                content = response.get("content", {})
                if "application/problem+json" in content:
                    assert content["application/problem+json"]["schema"] == problem, (
                        method,
                        path,
                        status,
                    )
    assert "HTTPValidationError" not in document["components"]["schemas"]


async def test_the_import_body_is_documented(document: dict[str, Any]) -> None:
    """The route reads the raw body, so FastAPI cannot see it; schemathesis sent none."""
    body = document["paths"]["/v1/imports"]["post"]["requestBody"]
    assert body["required"] is True
    assert {
        "application/x-research-info-systems",
        "application/x-bibtex",
        "application/vnd.citationstyles.csl+json",
        "application/vnd.crossref-api-message+json",
        "application/xml",
        "application/nbib",
        "text/plain",
        "application/json",
    } == set(body["content"])


async def test_each_import_example_imports_one_study(
    client: httpx.AsyncClient, writer: dict[str, str], document: dict[str, Any]
) -> None:
    content = document["paths"]["/v1/imports"]["post"]["requestBody"]["content"]
    examples = {media: item["example"] for media, item in content.items() if "example" in item}
    assert len(examples) == 6
    for media, example in examples.items():
        body = example.encode() if isinstance(example, str) else orjson.dumps(example)
        response = await client.post(
            "/v1/imports?dry_run=true", content=body, headers={**writer, "Content-Type": media}
        )
        assert response.status_code == 200, (media, response.text)
        assert response.json()["report"]["counts"]["created"] == 1, media
