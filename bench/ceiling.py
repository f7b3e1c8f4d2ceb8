"""The framework's ceiling: a bare FastAPI app answering every GET with constant JSON.

    BENCH_CEILING_BYTES=8600 uvicorn bench.ceiling:app --no-access-log

The payload is a dict built once at import, shaped like a study with its findings (scalar
fields, a list of authors, a list of findings) and padded so that its JSON is exactly
``BENCH_CEILING_BYTES`` long as FastAPI sends it. ``GET /{anything}`` returns the dict, so
FastAPI encodes and serialises it on every request, as a route returning data does;
``GET /_bytes/{anything}`` returns the same body pre-serialised, the cost of the framework
alone.
"""

import json
import os
from typing import Any

from fastapi import FastAPI
from starlette.responses import Response


def _dumps(payload: dict[str, Any]) -> bytes:
    # What starlette's JSONResponse.render does.
    return json.dumps(
        payload, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


def build_payload(size: int) -> dict[str, Any]:
    """A study-like dict whose JSON is exactly ``size`` bytes (or its skeleton if larger)."""
    finding = {
        "id": 123456,
        "kind": "efficacy",
        "direction": "benefit",
        "certainty": "moderate",
        "outcome": "total hair count",
        "summary": "constant finding summary",
        "quote": "constant quote",
        "effect_measure": "MD",
        "effect_value": 12.5,
        "ci_lower": 4.25,
        "ci_upper": 20.75,
        "n_intervention": 120,
        "n_comparator": 118,
        "href": "/v1/findings/123456",
    }
    payload: dict[str, Any] = {
        "id": 1,
        "doi": "10.5555/ceiling.0000001",
        "pmid": "900000001",
        "title": "Constant ceiling payload",
        "authors": [{"family": "Constant", "given": "Ceiling"} for _ in range(3)],
        "journal": "Constant Journal",
        "year": 2024,
        "design": "randomized_trial",
        "evidence_level": 2,
        "retracted": False,
        "warnings": [],
        "links": {"self": "/v1/studies/1", "findings": "/v1/findings?study=1"},
        "findings": [dict(finding) for _ in range(3)],
        "abstract": "",
    }
    missing = size - len(_dumps(payload))
    if missing > 0:
        payload["abstract"] = "x" * missing
    return payload


SIZE = int(os.environ.get("BENCH_CEILING_BYTES", "8000"))
PAYLOAD = build_payload(SIZE)
BODY = _dumps(PAYLOAD)

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/_bytes/{path:path}", response_model=None)
async def constant_bytes(path: str) -> Response:
    return Response(BODY, media_type="application/json")


@app.get("/{path:path}", response_model=None)
async def constant(path: str) -> dict[str, Any]:
    return PAYLOAD
