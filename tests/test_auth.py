"""Who may write: bearer keys, their scopes and revocation, and the `keys` command line.

Reads are public; every POST, PATCH and DELETE needs a key. The key itself is shown once
(by `keys create`) and must never come back in any response.
"""

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.keys import authenticate, create_key, revoke_key
from app.config import Settings
from app.db import create_engine
from app.models import (
    AuditEntry,
    Caution,
    Condition,
    Finding,
    SideEffect,
    SideEffectReport,
    Source,
    Study,
    Treatment,
)
from app.models.enums import KeyScope, SourceKind
from tests import factories
from tests.factories import unique

PROBLEM = "application/problem+json"
KEY_PATTERN = re.compile(r"^hek_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}$")

# URL segment -> (model, the attribute the URL names it by).
RESOURCES: dict[str, tuple[Any, str]] = {
    "treatments": (Treatment, "slug"),
    "conditions": (Condition, "slug"),
    "studies": (Study, "id"),
    "findings": (Finding, "id"),
    "side-effects": (SideEffect, "slug"),
    "side-effect-reports": (SideEffectReport, "id"),
    "sources": (Source, "id"),
    "cautions": (Caution, "id"),
}

# A real change per resource, so a write that slipped past authentication would show.
PATCHES: dict[str, dict[str, Any]] = {
    "treatments": {"name": "Renamed by nobody"},
    "conditions": {"name": "Renamed by nobody"},
    "studies": {"title": "Retitled by nobody"},
    "findings": {"outcome": "changed by nobody"},
    "side-effects": {"name": "Renamed by nobody"},
    "side-effect-reports": {"frequency": "changed by nobody"},
    "sources": {"title": "Retitled by nobody"},
    "cautions": {"description": "changed by nobody"},
}


async def _count(session: AsyncSession, model: Any, *where: Any) -> int:
    """Rows matching ``where``: scoped, as other processes may share the test database."""
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _identity(resource: str, body: dict[str, Any]) -> Any:
    """A clause matching the row a POST of ``body`` would have stored."""
    model, attribute = RESOURCES[resource]
    if attribute == "slug":
        return model.slug == body["slug"]
    if model is Source:
        return Source.key == body["key"]
    if model is Study:
        return Study.title == body["title"]
    return model.quote == body["quote"]


async def _seeded_key(session: AsyncSession, resource: str) -> str:
    """The URL key of a seeded record of this resource (a secondary source for sources)."""
    model, attribute = RESOURCES[resource]
    statement = select(getattr(model, attribute)).order_by(model.id).limit(1)
    if model is Source:
        statement = statement.where(Source.kind == SourceKind.article.value)
    value = await session.scalar(statement)
    assert value is not None, f"the seed has no {resource}"
    return str(value)


async def _valid_bodies(session: AsyncSession) -> dict[str, dict[str, Any]]:
    """A body each POST accepts, with fresh records to refer to."""
    treatment = await factories.make_treatment(session)
    other = await factories.make_treatment(session)
    study = await factories.make_study(session)
    source = await factories.make_source(session)
    side_effect = await factories.make_side_effect(session)
    return {
        "treatments": {"slug": unique("auth-treatment"), "name": "Auth device", "kind": "device"},
        "conditions": {"slug": unique("auth-condition"), "name": "Auth condition"},
        "studies": {"title": f"Auth study {unique('t')}", "doi": f"10.5555/{unique('auth')}"},
        "findings": {
            "kind": "efficacy",
            "study_id": study.id,
            "intervention": treatment.slug,
            "direction": "benefit",
            "quote": "A fictional statement.",
        },
        "side-effects": {"slug": unique("auth-side-effect"), "name": "Auth side effect"},
        "side-effect-reports": {
            "side_effect": side_effect.slug,
            "treatment": treatment.slug,
            "study_id": study.id,
            "quote": "A fictional report.",
        },
        "sources": {"key": unique("auth-source"), "title": "A fictional review"},
        "cautions": {
            "treatment": treatment.slug,
            "other_treatment": other.slug,
            "source_id": source.id,
            "level": "caution",
            "quote": "A fictional caution.",
        },
    }


def _key_of(created: dict[str, Any]) -> str:
    return str(created.get("slug") or created["id"])


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


# --- No key, a bad key, a revoked key --------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
async def test_every_write_without_a_key_is_401_and_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, resource: str
) -> None:
    model, _ = RESOURCES[resource]
    bodies = await _valid_bodies(session)
    key = await _seeded_key(session, resource)
    path = f"/v1/{resource}/{key}"
    before = await client.get(path)
    assert before.status_code == 200
    written = (AuditEntry.resource == resource, AuditEntry.resource_key == key)
    audits = await _count(session, AuditEntry, *written)

    current = {"If-Match": before.headers["etag"]}
    for response in (
        await client.post(f"/v1/{resource}", json=bodies[resource]),
        await client.patch(path, json=PATCHES[resource], headers=current),
        await client.delete(path, headers=current),
    ):
        assert_unauthorized(response)

    assert await _count(session, model, _identity(resource, bodies[resource])) == 0
    assert await _count(session, AuditEntry, *written) == audits
    after = await client.get(path)
    assert after.status_code == 200
    assert after.headers["etag"] == before.headers["etag"]


def _bad_headers(key: str) -> dict[str, dict[str, str]]:
    """Authorization headers that must all be refused, built around a real key."""
    tag, prefix, secret = key.split("_", 2)
    return {
        "empty": {"Authorization": ""},
        "scheme only": {"Authorization": "Bearer"},
        "scheme and spaces": {"Authorization": "Bearer    "},
        "basic scheme": {"Authorization": "Basic dXNlcjpwYXNzd29yZA=="},
        "key without scheme": {"Authorization": key},
        "other scheme": {"Authorization": f"Token {key}"},
        "garbage": {"Authorization": "Bearer not-a-key"},
        "unknown prefix": {"Authorization": f"Bearer {tag}_000000000000_{secret}"},
        "wrong secret": {"Authorization": f"Bearer {tag}_{prefix}_{'x' * len(secret)}"},
        "empty secret": {"Authorization": f"Bearer {tag}_{prefix}_"},
        "secret with extra": {"Authorization": f"Bearer {key}x"},
        "secret cut short": {"Authorization": f"Bearer {key[:-1]}"},
        "wrong tag": {"Authorization": f"Bearer xyz_{prefix}_{secret}"},
        "secret alone": {"Authorization": f"Bearer {secret}"},
        "prefix alone": {"Authorization": f"Bearer {tag}_{prefix}"},
    }


BAD_HEADER_NAMES = list(_bad_headers("hek_000000000000_" + "s" * 43))


@pytest.mark.parametrize("variant", BAD_HEADER_NAMES)
async def test_malformed_unknown_or_wrong_keys_are_401(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], variant: str
) -> None:
    real_key = writer["Authorization"].removeprefix("Bearer ")
    headers = _bad_headers(real_key)[variant]
    bodies = await _valid_bodies(session)
    for resource, body in bodies.items():
        response = await client.post(f"/v1/{resource}", json=body, headers=headers)
        assert_unauthorized(response)
        assert real_key not in response.text
        assert await _count(session, RESOURCES[resource][0], _identity(resource, body)) == 0
    assert await _count(session, AuditEntry, AuditEntry.actor == "test-writer") == 0
    # The real key, sent properly, still works: the refusals were about the header.
    accepted = await client.post("/v1/conditions", json=bodies["conditions"], headers=writer)
    assert accepted.status_code == 201, accepted.text


async def test_the_bearer_scheme_is_case_insensitive(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    key = writer["Authorization"].removeprefix("Bearer ")
    body = {"slug": unique("lower-bearer"), "name": "Lowercase scheme"}
    response = await client.post(
        "/v1/conditions", json=body, headers={"Authorization": f"bearer {key}"}
    )
    assert response.status_code == 201, response.text


async def test_a_revoked_key_is_refused_at_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    name = unique("soon-revoked")
    headers = {"Authorization": f"Bearer {await create_key(session, name, KeyScope.write)}"}
    bodies = await _valid_bodies(session)
    created = await client.post("/v1/conditions", json=bodies["conditions"], headers=headers)
    assert created.status_code == 201, created.text
    path = created.headers["location"]

    await revoke_key(session, name)

    refused = await client.patch(
        path,
        json={"name": "After revocation"},
        headers={**headers, "If-Match": created.headers["etag"]},
    )
    assert_unauthorized(refused)
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    for resource, body in bodies.items():
        if resource != "conditions":
            assert_unauthorized(await client.post(f"/v1/{resource}", json=body, headers=headers))
    deleted = await client.delete(path, headers={**headers, "If-Match": created.headers["etag"]})
    assert_unauthorized(deleted)
    unchanged = await client.get(path)
    assert unchanged.status_code == 200
    assert unchanged.json()["name"] == bodies["conditions"]["name"]


async def test_revoking_one_key_leaves_the_others_working(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str]
) -> None:
    name = unique("other-key")
    other = {"Authorization": f"Bearer {await create_key(session, name, KeyScope.write)}"}
    await revoke_key(session, name)
    body = {"slug": unique("still-works"), "name": "Still works"}
    assert_unauthorized(await client.post("/v1/conditions", json=body, headers=other))
    assert (await client.post("/v1/conditions", json=body, headers=writer)).status_code == 201


# --- Scopes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
async def test_write_and_admin_keys_may_both_write(
    client: httpx.AsyncClient,
    session: AsyncSession,
    writer: dict[str, str],
    admin: dict[str, str],
    resource: str,
) -> None:
    """There are only two scopes; `write` is enough to write and `admin` includes it."""
    bodies = await _valid_bodies(session)
    by_admin = await client.post(f"/v1/{resource}", json=bodies[resource], headers=admin)
    assert by_admin.status_code == 201, by_admin.text
    path = by_admin.headers["location"]

    # The writer (a different key) changes it, then the admin deletes it.
    patched = await client.patch(
        path, json=PATCHES[resource], headers={**writer, "If-Match": by_admin.headers["etag"]}
    )
    assert patched.status_code == 200, patched.text
    deleted = await client.delete(path, headers={**admin, "If-Match": patched.headers["etag"]})
    assert deleted.status_code == 204, deleted.text

    history = await client.get(f"/v1/{resource}/{_key_of(by_admin.json())}/history")
    assert history.status_code == 200, history.text
    assert [(e["action"], e["actor"]) for e in history.json()["data"]] == [
        ("create", "test-admin"),
        ("update", "test-writer"),
        ("delete", "test-admin"),
    ]


async def test_a_key_named_in_any_script_is_created_and_revoked_over_http(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """Its name went into the Location header as it was: a 500 (found by schemathesis)."""
    created = await client.post("/v1/keys", json={"name": "clinic ✓ north"}, headers=admin)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/v1/keys/clinic%20%E2%9C%93%20north"
    assert (await client.delete(created.headers["location"], headers=admin)).status_code == 204


async def test_a_key_name_longer_than_its_column_is_422(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """PostgreSQL refused it with a 500 (found by schemathesis)."""
    response = await client.post("/v1/keys", json={"name": "k" * 101}, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "name"


# --- The key is a secret ---------------------------------------------------------------------


async def test_the_key_never_appears_in_a_response(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str]
) -> None:
    key = writer["Authorization"].removeprefix("Bearer ")
    secret = key.split("_", 2)[2]
    bodies = await _valid_bodies(session)
    responses: list[httpx.Response] = []

    for resource, body in bodies.items():
        created = await client.post(f"/v1/{resource}", json=body, headers=writer)
        assert created.status_code == 201, created.text
        path = created.headers["location"]
        etag = created.headers["etag"]
        patched = await client.patch(
            path, json=PATCHES[resource], headers={**writer, "If-Match": etag}
        )
        assert patched.status_code == 200, patched.text
        responses += [
            created,
            patched,
            await client.patch(path, json=PATCHES[resource], headers=writer),  # 428
            await client.patch(path, json=PATCHES[resource], headers={**writer, "If-Match": etag}),
            await client.patch(path, json={"no_such_field": 1}, headers=writer),  # 422
            await client.post(f"/v1/{resource}", json={"no_such_field": 1}, headers=writer),
            await client.delete(path, headers={**writer, "If-Match": patched.headers["etag"]}),
            await client.get(f"/v1/{resource}/{_key_of(created.json())}/history"),
        ]
    seeded = {"slug": "androgenetic-alopecia", "name": "Taken"}
    responses += [
        await client.post("/v1/conditions", json=seeded, headers=writer),  # 409
        await client.post(
            "/v1/conditions", json=bodies["conditions"], headers={"Authorization": f"Bearer {key}x"}
        ),
        await client.post(
            "/v1/conditions", json=bodies["conditions"], headers={"Authorization": f"Token {key}"}
        ),
    ]
    await revoke_key(session, "test-writer")
    responses.append(await client.post("/v1/sources", json=bodies["sources"], headers=writer))

    statuses = {response.status_code for response in responses}
    assert {200, 201, 204, 401, 409, 412, 422, 428} <= statuses
    for response in responses:
        assert secret not in response.text, response.request.url
        for name, value in response.headers.items():
            assert secret not in value, (
                f"{name} of {response.request.method} {response.request.url}"
            )


# --- Reads stay public -----------------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
async def test_reads_need_no_key(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], resource: str
) -> None:
    listed = await client.get(f"/v1/{resource}")
    assert listed.status_code == 200, listed.text
    assert listed.json()["data"], f"the seed has {resource}"
    detail = await client.get(f"/v1/{resource}/{await _seeded_key(session, resource)}")
    assert detail.status_code == 200, detail.text
    assert "www-authenticate" not in detail.headers

    bodies = await _valid_bodies(session)
    created = await client.post(f"/v1/{resource}", json=bodies[resource], headers=writer)
    assert created.status_code == 201, created.text
    history = await client.get(f"/v1/{resource}/{_key_of(created.json())}/history")
    assert history.status_code == 200, history.text
    assert [entry["action"] for entry in history.json()["data"]] == ["create"]


# --- The `keys` command line -----------------------------------------------------------------

COMMAND = str(Path(sys.executable).parent / "hair-evidence")


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("HAIR_EVIDENCE_DATABASE_URL", None)
    return subprocess.run(
        [COMMAND, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _listed(url: str) -> dict[str, list[str]]:
    """``keys list`` as {name: [scope, prefix, state]}."""
    result = _cli(url, "keys", "list")
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines() if line.strip()]
    return {row[0]: row[1:] for row in rows}


def _authenticate(url: str, key: str) -> Any:
    async def check() -> Any:
        engine = create_engine(Settings(database_url=url))
        try:
            async with AsyncSession(engine) as session:
                return await authenticate(session, key)
        finally:
            await engine.dispose()

    return asyncio.run(check())


def test_keys_create_list_revoke_on_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    upgrade = _cli(url, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr

    created = _cli(url, "keys", "create", "--name", "ci-writer", "--scope", "write")
    assert created.returncode == 0, created.stderr
    writer_key = created.stdout.strip()
    assert KEY_PATTERN.match(writer_key), created.stdout
    assert writer_key not in created.stderr
    admin = _cli(url, "keys", "create", "--name", "ci-admin", "--scope", "admin")
    assert admin.returncode == 0, admin.stderr
    admin_key = admin.stdout.strip()
    assert KEY_PATTERN.match(admin_key) and admin_key != writer_key

    listing = _cli(url, "keys", "list")
    assert listing.returncode == 0, listing.stderr
    for key in (writer_key, admin_key):
        secret = key.split("_", 2)[2]
        assert secret not in listing.stdout and secret not in listing.stderr
    keys = _listed(url)
    assert set(keys) == {"ci-writer", "ci-admin"}
    assert keys["ci-writer"][0] == "write" and keys["ci-admin"][0] == "admin"
    assert keys["ci-writer"][-1] == "active" and keys["ci-admin"][-1] == "active"

    # The printed key is the real one: it authenticates as its name and scope.
    actor = _authenticate(url, writer_key)
    assert actor is not None and (actor.name, actor.scope) == ("ci-writer", KeyScope.write)

    again = _cli(url, "keys", "create", "--name", "ci-writer", "--scope", "admin")
    assert again.returncode != 0
    assert "ci-writer" in again.stderr and "already exists" in again.stderr
    assert not again.stdout.strip(), "no key may be printed when none was created"
    assert _listed(url)["ci-writer"] == keys["ci-writer"], "the first key must be untouched"

    revoked = _cli(url, "keys", "revoke", "ci-writer")
    assert revoked.returncode == 0, revoked.stderr
    after = _listed(url)
    assert after["ci-writer"][-1].startswith("revoked")
    assert after["ci-admin"][-1] == "active"
    assert _authenticate(url, writer_key) is None
    admin_actor = _authenticate(url, admin_key)
    assert admin_actor is not None and admin_actor.scope is KeyScope.admin

    unknown = _cli(url, "keys", "revoke", "no-such-key")
    assert unknown.returncode != 0
    assert "no-such-key" in unknown.stderr

    bad_scope = _cli(url, "keys", "create", "--name", "ci-reader", "--scope", "read")
    assert bad_scope.returncode != 0
    assert "ci-reader" not in _listed(url)
