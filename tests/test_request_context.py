"""Request ids, security headers and the structured request log."""

import json
import logging
import re

import httpx
import pytest

from app.logs import configure_logging


async def test_every_answer_carries_a_request_id_and_security_headers(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/v1/treatments", "/v1/studies/999999999", "/healthz"):
        response = await client.get(path)
        assert len(response.headers["x-request-id"]) == 32
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
    first, second = await client.get("/healthz"), await client.get("/healthz")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_a_plausible_client_request_id_is_kept_and_anything_else_replaced(
    client: httpx.AsyncClient,
) -> None:
    kept = await client.get("/healthz", headers={"X-Request-ID": "trace-42.a_b"})
    assert kept.headers["x-request-id"] == "trace-42.a_b"
    for hostile in ("<script>alert(1)</script>", "x" * 65, "a b", "\xe9".encode("latin-1")):
        response = await client.get("/healthz", headers={"X-Request-ID": hostile})
        assert response.headers["x-request-id"] != hostile
        assert len(response.headers["x-request-id"]) == 32


async def test_html_pages_get_a_policy_of_this_server_only(client: httpx.AsyncClient) -> None:
    for path in ("/docs", "/", "/treatments/microneedling"):
        page = await client.get(path)
        assert page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy
        assert "style-src 'self';" in policy
        assert "frame-ancestors 'none'" in policy
        # No CDN and no inline code: the docs and the pages work offline and under this policy.
        assert "unsafe-inline" not in policy and "https:" not in policy


async def test_the_docs_load_every_asset_from_this_server(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "/static/docs/swagger-ui-bundle.js" in assets
    assert all(asset.startswith("/") for asset in assets), assets
    for asset in assets:
        assert (await client.get(asset)).status_code == 200, asset
    assert (await client.get("/redoc")).status_code == 404  # ReDoc needs inline styles


async def test_each_request_is_logged_once_as_json_with_its_id_and_never_a_key(
    client: httpx.AsyncClient,
    writer: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO")
    try:
        response = await client.get(
            "/v1/treatments?limit=1", headers={**writer, "X-Request-ID": "log-me"}
        )
    finally:
        for name in ("app", "uvicorn", "uvicorn.error"):  # back to pytest's capture
            logging.getLogger(name).handlers.clear()
            logging.getLogger(name).propagate = True
    assert response.status_code == 200
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    (entry,) = [line for line in lines if line.get("request_id") == "log-me"]
    assert entry["logger"] == "app.access"
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/v1/treatments", 200)
    assert entry["ms"] >= 0
    key = writer["Authorization"].removeprefix("Bearer ")
    assert key not in json.dumps(lines)
