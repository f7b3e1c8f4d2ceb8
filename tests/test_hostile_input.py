"""Hostile and broken input against every operation the OpenAPI document lists: broken
bodies, invalid UTF-8 and NUL in query strings and paths, absurd numbers and dates, strings
too long, injection fragments. Each refusal is a clear 4xx problem+json, writes nothing, and
echoes nothing unescaped. (Broken files for every import format: tests/samples/bad, tried by
tests/test_imports.py.)"""

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.main import create_app
from tests.dump import dump

SCRIPT = "<script>alert(1)</script>"
INJECTIONS = (
    "'; DROP TABLE studies; --",
    '" OR 1=1 --',
    "Robert'); DELETE FROM findings WHERE ('1'='1",
    SCRIPT,
    "{{7*7}} ${7*7} %s%n",
    "..\\..\\etc\\passwd",
    "\u202eevil\u202c 李 🙂",
)
BROKEN_BODIES = {
    "truncated": b'{"name": "cut sho',
    "invalid UTF-8": b'{"name": "\xff\xfe\xfa"}',
    "UTF-16": '{"name": "x"}'.encode("utf-16"),
    "binary": bytes.fromhex("89504e470d0a1a0a") + bytes(range(256)),
    "deeply nested": b'{"name": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    "not an object": b"[1, 2, 3]",
    "null": b"null",
    "NaN": b'{"sample_size": NaN, "year": Infinity}',
    "duplicate keys of the wrong type": b'{"name": "a", "name": {"$gt": ""}}',
    "script": orjson.dumps({SCRIPT: SCRIPT}),
}
ABSURD_INTEGERS = (10**30, -(10**30), 2**63, 1.5, "12<script>")
ABSURD_NUMBERS = (1e308 * 10, 10**400, "NaN", "-Infinity")
ABSURD_DATES = ("9999-99-99", "0000-00-00", "2024-02-30", "yesterday<script>")
NO_NUL = r"^[^\x00]*$"  # every free-text field says so
REFUSED = (400, 404, 405, 409, 413, 415, 422)


def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = create_app(Settings(database_url="sqlite://")).openapi()
    return spec


SPEC = _spec()


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = SPEC["components"]["schemas"][name]
    return schema


def _kinds(schema: dict[str, Any]) -> set[str]:
    """The JSON types (and string formats) a property accepts, through anyOf and refs."""
    schema = _resolve(schema)
    kinds = set()
    for option in schema.get("anyOf", [schema]):
        option = _resolve(option)
        kind = option.get("type")
        if kind == "string" and option.get("format") in ("date", "date-time"):
            kinds.add("date")
        elif kind == "string" and "enum" not in option:
            ruled = option.get("pattern", NO_NUL) != NO_NUL or "format" in option
            kinds.add("pattern" if ruled else "string")
        elif kind in ("integer", "number"):
            kinds.add(kind)
    return kinds


def _operations(*methods: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in SPEC["paths"].items():
        for method, operation in operations.items():
            if method in methods:
                yield method, path, operation


QUERY_PARAMETERS = [
    (path, parameter["name"])
    for _, path, operation in _operations("get")
    for parameter in operation.get("parameters", [])
    if parameter["in"] == "query"
]
UPDATES = [(path, operation) for method, path, operation in _operations("patch")]
BODY_WRITES = [
    (method, path)
    for method, path, operation in _operations("post", "patch")
    if "application/json" in operation.get("requestBody", {}).get("content", {})
]


def _assert_refused(response: httpx.Response, *sent: str) -> dict[str, Any]:
    assert response.status_code in REFUSED, (response.status_code, response.text[:500])
    assert response.headers["content-type"] == "application/problem+json", response.text[:200]
    body: dict[str, Any] = response.json()
    assert body["detail"]
    for value in sent:
        if "<" in value:  # markup the client sent never comes back as markup
            assert value not in response.text
    assert "Traceback" not in response.text and "sqlalchemy" not in response.text.lower()
    return body


def _names(body: dict[str, Any], field: str) -> bool:
    return any(error["field"].startswith(field) for error in body.get("errors") or [])


async def _target(client: httpx.AsyncClient, path: str) -> tuple[str, str]:
    """An existing resource under a PATCH path (from its collection), and its ETag."""
    collection = path.rsplit("/", 1)[0]
    listed = await client.get(collection, params={"limit": 1})
    assert listed.status_code == 200, (collection, listed.text)
    first = listed.json()["data"][0]
    href = first["links"]["self"] if "links" in first else f"{collection}/{first['id']}"
    current = await client.get(href)
    return href, current.headers["etag"]


# --- query strings and paths -----------------------------------------------------------------


async def test_invalid_utf8_nul_and_markup_in_any_query_parameter_is_refused_by_name(
    client: httpx.AsyncClient,
) -> None:
    assert len(QUERY_PARAMETERS) > 40
    for path, name in QUERY_PARAMETERS:
        concrete = path.replace("{slug}", "minoxidil").replace("{study_id}", "1")
        concrete = concrete.replace("{finding_id}", "1").replace("{report_id}", "1")
        concrete = concrete.replace("{source_id}", "1").replace("{caution_id}", "1")
        concrete = concrete.replace("{import_id}", "1").replace("{name}", "x")
        for raw in ("%FF%FEbad", "nul%00byte"):
            response = await client.get(f"{concrete}?{name}={raw}")
            body = _assert_refused(response)
            assert response.status_code == 422 and _names(body, name), (path, name, body)


@pytest.mark.parametrize(
    "segment", ["%00", "%FF", "99999999999999999999999999", "-1", "%3Cscript%3E"]
)
async def test_hostile_path_segments_are_refused(client: httpx.AsyncClient, segment: str) -> None:
    paths = [path for path in SPEC["paths"] if "{" in path]
    for path in paths:
        concrete = path.split("{", 1)[0] + segment + path.split("}", 1)[1]
        concrete = concrete.replace("{slug}", "minoxidil")
        response = await client.get(concrete)
        if response.status_code == 405:  # a write-only path
            continue
        _assert_refused(response, "<script>")


async def test_absurd_numbers_dates_and_limits_in_query_strings_are_refused(
    client: httpx.AsyncClient,
) -> None:
    tried = 0
    for _, path, operation in _operations("get"):
        if "{" in path:
            continue
        for parameter in operation.get("parameters", []):
            kinds = _kinds(parameter["schema"])
            values: tuple[Any, ...] = ()
            if kinds & {"integer"}:
                values = (10**30, -(10**30), "1e3", "0x10")
            elif kinds & {"number"}:
                values = ("1e999", "NaN", "-inf")
            elif kinds & {"date"}:
                values = ABSURD_DATES
            for value in values:
                response = await client.get(path, params={parameter["name"]: str(value)})
                tried += 1
                if response.status_code == 200 and parameter["name"] == "q":
                    continue
                body = _assert_refused(response, str(value))
                assert _names(body, parameter["name"]), (path, parameter["name"], value, body)
    assert tried > 20


# --- request bodies --------------------------------------------------------------------------


async def test_broken_bodies_are_refused_by_every_write_and_write_nothing(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], admin: dict[str, str]
) -> None:
    before = await dump(session)
    for method, path in BODY_WRITES:
        target = path
        headers = {**(admin if path == "/v1/keys" else writer), "Content-Type": "application/json"}
        if method == "patch":
            target, etag = await _target(client, path)
            headers["If-Match"] = etag
        for kind, body in BROKEN_BODIES.items():
            response = await client.request(method, target, content=body, headers=headers)
            _assert_refused(response, SCRIPT)
            assert response.status_code != 404, (method, path, kind)
    assert await dump(session) == before


async def test_every_text_field_refuses_nul_and_overlong_strings_by_name(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str]
) -> None:
    before = await dump(session)
    tried = 0
    for path, operation in UPDATES:
        target, etag = await _target(client, path)
        schema = _resolve(operation["requestBody"]["content"]["application/json"]["schema"])
        for field, prop in schema["properties"].items():
            kinds = _kinds(prop)
            values: list[Any] = []
            if kinds & {"string", "pattern"}:
                values += ["text\u0000with a NUL", "x" * 300_000]
            if kinds & {"integer"}:
                values += list(ABSURD_INTEGERS)
            if kinds & {"number"}:
                values += ["NaN", "1e999", 10**400]
            if kinds & {"date"}:
                values += list(ABSURD_DATES)
            for value in values:
                body = (
                    orjson.dumps({field: value})
                    if not isinstance(value, int)
                    else (f'{{"{field}": {value}}}'.encode())
                )
                headers = {**writer, "If-Match": etag, "Content-Type": "application/json"}
                response = await client.patch(target, content=body, headers=headers)
                tried += 1
                problem = _assert_refused(response, str(value))
                assert response.status_code == 422 and _names(problem, field), (
                    path, field, str(value)[:40], problem,
                )  # fmt: skip
    assert tried > 100
    assert await dump(session) == before


async def test_injection_fragments_are_stored_as_plain_text_and_read_back_verbatim(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    stored = 0
    for path, operation in UPDATES:
        target, _ = await _target(client, path)
        schema = _resolve(operation["requestBody"]["content"]["application/json"]["schema"])
        free_text = [f for f, prop in schema["properties"].items() if _kinds(prop) == {"string"}]
        for field, fragment in zip(free_text, INJECTIONS * 10, strict=False):
            etag = (await client.get(target)).headers["etag"]
            headers = {**writer, "If-Match": etag}
            response = await client.patch(target, json={field: fragment}, headers=headers)
            if response.status_code == 422:  # a field with its own rules (a name list, a quote)
                _assert_refused(response, fragment)
                continue
            assert response.status_code == 200, (path, field, response.text)
            assert (await client.get(target)).json()[field] == fragment
            stored += 1
    assert stored >= 10
    tables = await client.get("/v1/studies", params={"limit": 1})
    assert tables.status_code == 200  # nothing was dropped
