"""Writing every resource: create, validation, conflicts, preconditions, references, history.

Treatments' plain lifecycle is in test_write_treatments.py; here they are covered for
combinations (components) and alias conflicts. All data is fictional (DOIs under 10.5555/).
"""

import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.db import get_session
from app.main import create_app
from app.models import (
    AuditEntry,
    Caution,
    Condition,
    Finding,
    SideEffect,
    SideEffectReport,
    Source,
    Study,
    StudyAuthor,
    Treatment,
    TreatmentAlias,
    TreatmentComponent,
)
from app.reads import get_reader
from tests import factories
from tests.conftest import reader_on
from tests.factories import unique

PROBLEM = "application/problem+json"
STALE = '"00000000000000000000000000000000"'
MISSING_ID = 2_000_000_000
DROP = object()  # in a body change: remove the field


# --- Helpers ---------------------------------------------------------------------------------


async def count(session: AsyncSession, model: Any, *where: Any) -> int:
    statement = select(func.count()).select_from(model)
    if where:
        statement = statement.where(*where)
    return int(await session.scalar(statement) or 0)


WRITERS = ("test-writer", "test-admin")


async def audits_of(session: AsyncSession) -> int:
    """Audit entries written by this test's keys.

    Counts are scoped to what the test itself could have written: other processes may be
    committing to the same test database meanwhile.
    """
    return await count(session, AuditEntry, AuditEntry.actor.in_(WRITERS))


def identity(segment: str, body: dict[str, Any]) -> Any:
    """A clause matching the row a POST of ``body`` would have stored."""
    clauses: dict[str, Callable[[], Any]] = {
        "treatments": lambda: Treatment.slug == body.get("slug"),
        "conditions": lambda: Condition.slug == body.get("slug"),
        "side-effects": lambda: SideEffect.slug == body.get("slug"),
        "sources": lambda: Source.key == body.get("key"),
        "studies": lambda: Study.title == " ".join(str(body.get("title")).split()),
        "findings": lambda: Finding.quote == str(body.get("quote")).strip(),
        "side-effect-reports": lambda: SideEffectReport.quote == str(body.get("quote")).strip(),
        "cautions": lambda: Caution.quote == str(body.get("quote")).strip(),
    }
    return clauses[segment]()


def problem(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """Assert an RFC 9457 problem with this status (naming ``field`` in ``errors``)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    if field is not None:
        named = [error["field"] for error in body.get("errors") or []]
        assert field in named, body
    return body


def subset(actual: Any, expected: Any, where: str = "body") -> None:
    """Every key in ``expected`` has that value in ``actual`` (recursively for dicts)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not an object"
        for name, value in expected.items():
            assert name in actual, f"{where}.{name} is missing from {actual!r}"
            subset(actual[name], value, f"{where}.{name}")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def authorised(writer: dict[str, str], etag: str | None = None) -> dict[str, str]:
    return {**writer, "If-Match": etag} if etag is not None else dict(writer)


async def create(
    client: httpx.AsyncClient, segment: str, body: dict[str, Any], writer: dict[str, str]
) -> httpx.Response:
    """POST, then check 201, Location, and that a GET returns the same body and ETag."""
    response = await client.post(f"/v1/{segment}", json=body, headers=writer)
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    assert response.json()["links"]["self"] == location
    got = await client.get(location)
    assert got.status_code == 200, got.text
    assert got.headers["etag"] == response.headers["etag"]
    assert got.json() == response.json()
    return response


async def history(client: httpx.AsyncClient, segment: str, key: str | int) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/{segment}/{key}/history")
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["data"]
    return entries


async def etag_of(client: httpx.AsyncClient, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return response.headers["etag"]


def changed(body: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    result = dict(body)
    for name, value in changes.items():
        if value is DROP:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def fictional_pmid() -> str:
    return str(random.randint(90_000_000, 99_999_999))


# --- Fixtures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refs:
    """Fresh records to refer to, by the values the API names them with."""

    treatment: str
    other: str
    third: str
    condition: str
    study_id: int
    study_doi: str
    study_source_id: int
    source_id: int
    side_effect: str


@pytest.fixture
async def refs(session: AsyncSession) -> Refs:
    treatments = [await factories.make_treatment(session) for _ in range(3)]
    study = await factories.make_study(session, doi=f"10.5555/{unique('ref-study')}")
    study_source = await factories.source_of(session, study)
    source = await factories.make_source(session)
    side_effect = await factories.make_side_effect(session)
    condition = await factories.make_condition(session)
    assert study.doi is not None
    return Refs(
        treatment=treatments[0].slug,
        other=treatments[1].slug,
        third=treatments[2].slug,
        condition=condition.slug,
        study_id=study.id,
        study_doi=study.doi,
        study_source_id=study_source.id,
        source_id=source.id,
        side_effect=side_effect.slug,
    )


@pytest.fixture
async def committing_client(
    engine: AsyncEngine, session: AsyncSession, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """Like ``client``, but a failed request's work is rolled back, as ``get_session`` does.

    The shared ``client`` fixture never rolls a failed request back, and the test session
    autoflushes while the application's does not; a PATCH the application refuses after
    applying part of it would look half-done there although production discards it. Tests
    using this client commit their setup first (into the outer, rolled-back transaction).
    """
    app = create_app(settings, engine=engine)
    app.state.engine = engine

    async def _request_session() -> AsyncIterator[AsyncSession]:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()

    app.dependency_overrides[get_session] = _request_session
    app.dependency_overrides[get_reader] = reader_on(session)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def valid_body(segment: str, r: Refs) -> dict[str, Any]:
    """A body the POST of ``segment`` accepts."""
    tag = unique("w")
    bodies: dict[str, dict[str, Any]] = {
        "treatments": {
            "slug": unique("new-treatment"),
            "name": "Fictional foam",
            "kind": "topical_drug",
            "aliases": [f"fictional foam {tag}"],
        },
        "conditions": {"slug": unique("new-condition"), "name": "Fictional thinning"},
        "studies": {
            "title": f"A fictional trial {tag}",
            "authors": [{"family": "Testwright", "given": "A."}],
            "doi": f"10.5555/{tag}",
            "journal": "Journal of Fictional Dermatology",
            "year": 2021,
        },
        "findings": {
            "kind": "efficacy",
            "study_id": r.study_id,
            "intervention": r.treatment,
            "direction": "benefit",
            "quote": f"A fictional statement {tag}.",
        },
        "side-effects": {"slug": unique("new-side-effect"), "name": "Fictional tingling"},
        "side-effect-reports": {
            "side_effect": r.side_effect,
            "treatment": r.treatment,
            "study_id": r.study_id,
            "quote": f"A fictional report {tag}.",
        },
        "sources": {"key": unique("new-source"), "title": "A fictional review"},
        "cautions": {
            "treatment": r.treatment,
            "other_treatment": r.other,
            "source_id": r.source_id,
            "level": "caution",
            "quote": f"A fictional caution {tag}.",
        },
    }
    return bodies[segment]


MODELS: dict[str, Any] = {
    "treatments": Treatment,
    "conditions": Condition,
    "studies": Study,
    "findings": Finding,
    "side-effects": SideEffect,
    "side-effect-reports": SideEffectReport,
    "sources": Source,
    "cautions": Caution,
}


# --- One lifecycle per resource --------------------------------------------------------------


@dataclass
class Case:
    segment: str
    create: dict[str, Any]
    patch: dict[str, Any]
    patched: dict[str, Any]  # expected in the PATCH response (after ``view``)
    update_changes: dict[str, Any]  # the update's history entry, exactly
    created_changes: dict[str, Any]  # part of the create's history entry
    deleted_changes: dict[str, Any]  # part of the delete's history entry
    created: dict[str, Any] = field(default_factory=dict)  # expected in the POST response
    view: Callable[[dict[str, Any]], dict[str, Any]] = lambda body: body

    def key(self, body: dict[str, Any]) -> str:
        return str(body["slug"] if "slug" in body else body["id"])


def _slugs(refs: list[dict[str, Any]]) -> list[str]:
    return sorted(ref["slug"] for ref in refs)


def condition_case(r: Refs) -> Case:
    slug = unique("lifecycle-condition")
    return Case(
        segment="conditions",
        create={
            "slug": slug,
            "name": "Fictional thinning",
            "description": "A made-up condition.",
            "synonyms": ["made-up thinning"],
        },
        patch={
            "name": "Fictional thinning, revised",
            "synonyms": ["made-up thinning", "pretend alopecia"],
            "description": None,
        },
        patched={
            "name": "Fictional thinning, revised",
            "synonyms": ["made-up thinning", "pretend alopecia"],
            "description": None,
        },
        update_changes={
            "name": {"from": "Fictional thinning", "to": "Fictional thinning, revised"},
            "synonyms": {
                "from": ["made-up thinning"],
                "to": ["made-up thinning", "pretend alopecia"],
            },
            "description": {"from": "A made-up condition.", "to": None},
        },
        created_changes={
            "slug": {"from": None, "to": slug},
            "name": {"from": None, "to": "Fictional thinning"},
            "synonyms": {"from": None, "to": ["made-up thinning"]},
        },
        deleted_changes={
            "slug": {"from": slug, "to": None},
            "name": {"from": "Fictional thinning, revised", "to": None},
        },
        created={"slug": slug, "links": {"self": f"/v1/conditions/{slug}"}},
    )


def combination_case(r: Refs) -> Case:
    slug = unique("lifecycle-combination")
    alias = f"fictional combination {slug}"
    return Case(
        segment="treatments",
        create={
            "slug": slug,
            "name": "Fictional combination",
            "kind": "combination",
            "setting": "clinic",
            "components": [r.treatment, r.other],
            "aliases": [alias],
        },
        patch={"components": [r.third, r.treatment], "setting": "at_home"},
        patched={"components": sorted([r.treatment, r.third]), "setting": "at_home"},
        update_changes={
            "components": {
                "from": sorted([r.treatment, r.other]),
                "to": sorted([r.treatment, r.third]),
            },
            "setting": {"from": "clinic", "to": "at_home"},
        },
        created_changes={
            "slug": {"from": None, "to": slug},
            "kind": {"from": None, "to": "combination"},
            "components": {"from": None, "to": sorted([r.treatment, r.other])},
            "aliases": {"from": None, "to": [alias]},
        },
        deleted_changes={"components": {"from": sorted([r.treatment, r.third]), "to": None}},
        created={
            "kind": "combination",
            "components": sorted([r.treatment, r.other]),
            "aliases": [alias],
        },
        view=lambda body: {**body, "components": _slugs(body["components"])},
    )


def study_case(r: Refs) -> Case:
    tag = unique("lifecycle-study")
    doi = f"10.5555/{tag}"
    authors = [{"family": "Testwright", "given": "A. B."}, {"family": "Mockett", "given": None}]
    return Case(
        segment="studies",
        create={
            "title": f"A fictional randomised trial of foam {tag}",
            "authors": authors,
            "doi": doi,
            "journal": "Journal of Fictional Dermatology",
            "year": 2021,
            "volume": "3",
            "issue": "2",
            "pages": "10-19",
            "design": "randomized_trial",
            "sample_size": 20,
        },
        patch={"journal": "Journal of Fictional Trichology", "sample_size": 40},
        patched={"journal": "Journal of Fictional Trichology", "sample_size": 40, "doi": doi},
        update_changes={
            "journal": {
                "from": "Journal of Fictional Dermatology",
                "to": "Journal of Fictional Trichology",
            },
            "sample_size": {"from": 20, "to": 40},
        },
        created_changes={
            "doi": {"from": None, "to": doi},
            "authors": {"from": None, "to": authors},
            "design": {"from": None, "to": "randomized_trial"},
            "evidence_level": {"from": None, "to": 2},
        },
        deleted_changes={"doi": {"from": doi, "to": None}},
        created={
            "doi": doi,
            "authors": authors,
            "evidence_level": 2,
            "warnings": [],
            "links": {"doi": f"https://doi.org/{doi}"},
        },
    )


def finding_case(r: Refs) -> Case:
    quote = f"A fictional sentence about foam {unique('q')}."
    numbers = {
        "effect_measure": "RR",
        "effect_value": 1.5,
        "ci_lower": 1.1,
        "ci_upper": 2.0,
        "n_intervention": 20,
        "n_comparator": 20,
        "events_intervention": 12,
        "events_comparator": 8,
    }
    return Case(
        segment="findings",
        create={
            "kind": "efficacy",
            "study_id": r.study_id,
            "intervention": r.treatment,
            "comparator": r.other,
            "condition": r.condition,
            "outcome": "hair count",
            "direction": "benefit",
            "quote": quote,
            "numbers": numbers,
        },
        patch={"outcome": "hair density", "certainty": "low", "numbers": {"p_value": 0.03}},
        patched={
            "outcome": "hair density",
            "certainty": "low",
            "numbers": {**numbers, "p_value": 0.03},
        },
        update_changes={
            "outcome": {"from": "hair count", "to": "hair density"},
            "certainty": {"from": None, "to": "low"},
            "p_value": {"from": None, "to": 0.03},
        },
        created_changes={
            "quote": {"from": None, "to": quote},
            "effect_value": {"from": None, "to": 1.5},
            "study_id": {"from": None, "to": r.study_id},
        },
        deleted_changes={"quote": {"from": quote, "to": None}},
        created={
            # A comparator named without a type is a treatment; the study's source states it.
            "comparator_type": "treatment",
            "comparator": {"slug": r.other},
            "intervention": {"slug": r.treatment},
            "condition": {"slug": r.condition},
            "study": {"id": r.study_id},
            "source": {"id": r.study_source_id},
            "numbers": {**numbers, "p_value": None, "standard_error": None},
        },
    )


def side_effect_case(r: Refs) -> Case:
    slug = unique("lifecycle-side-effect")
    return Case(
        segment="side-effects",
        create={"slug": slug, "name": "Fictional tingling"},
        patch={"name": "Fictional tingling, mild", "description": "A made-up sensation."},
        patched={"name": "Fictional tingling, mild", "description": "A made-up sensation."},
        update_changes={
            "name": {"from": "Fictional tingling", "to": "Fictional tingling, mild"},
            "description": {"from": None, "to": "A made-up sensation."},
        },
        created_changes={"slug": {"from": None, "to": slug}},
        deleted_changes={"slug": {"from": slug, "to": None}},
        created={"slug": slug, "report_count": 0, "reports": [], "treatments": []},
    )


def report_case(r: Refs) -> Case:
    quote = f"A fictional report of tingling {unique('q')}."
    return Case(
        segment="side-effect-reports",
        create={
            "side_effect": r.side_effect,
            "treatment": r.treatment,
            "study_id": r.study_id,
            "frequency": "common",
            "incidence": 0.2,
            "severity": "moderate",
            "quote": quote,
        },
        patch={"frequency": "rare", "incidence": 0.05, "severity": "mild"},
        patched={"frequency": "rare", "incidence": 0.05, "severity": "mild"},
        update_changes={
            "frequency": {"from": "common", "to": "rare"},
            "incidence": {"from": 0.2, "to": 0.05},
            "severity": {"from": "moderate", "to": "mild"},
        },
        created_changes={"quote": {"from": None, "to": quote}},
        deleted_changes={"quote": {"from": quote, "to": None}},
        created={
            "side_effect": {"slug": r.side_effect},
            "treatment": {"slug": r.treatment},
            "study": {"id": r.study_id},
            "source": {"id": r.study_source_id},
        },
    )


def source_case(r: Refs) -> Case:
    key = unique("lifecycle-source")
    return Case(
        segment="sources",
        create={
            "key": key,
            "title": "A fictional review",
            "publisher": "Test Press",
            "year": 2021,
            "url": "https://example.org/fictional-review",
        },
        patch={"title": "A fictional review, second edition", "year": 2022, "url": None},
        patched={"title": "A fictional review, second edition", "year": 2022, "url": None},
        update_changes={
            "title": {"from": "A fictional review", "to": "A fictional review, second edition"},
            "year": {"from": 2021, "to": 2022},
            "url": {"from": "https://example.org/fictional-review", "to": None},
        },
        created_changes={"key": {"from": None, "to": key}},
        deleted_changes={"key": {"from": key, "to": None}},
        created={"kind": "article", "key": key, "study": None, "finding_count": 0},
    )


def caution_case(r: Refs) -> Case:
    quote = f"Do not combine these fictional things {unique('q')}."
    return Case(
        segment="cautions",
        create={
            "treatment": r.treatment,
            "other_treatment": r.other,
            "source_id": r.source_id,
            "level": "caution",
            "description": "A fictional interaction.",
            "quote": quote,
        },
        patch={"level": "avoid", "description": None},
        patched={"level": "avoid", "description": None},
        update_changes={
            "level": {"from": "caution", "to": "avoid"},
            "description": {"from": "A fictional interaction.", "to": None},
        },
        created_changes={"quote": {"from": None, "to": quote}},
        deleted_changes={"quote": {"from": quote, "to": None}},
        created={
            "treatment": {"slug": r.treatment},
            "other_treatment": {"slug": r.other},
            "source": {"id": r.source_id},
        },
    )


CASES: dict[str, Callable[[Refs], Case]] = {
    "conditions": condition_case,
    "treatments (combination)": combination_case,
    "studies": study_case,
    "findings": finding_case,
    "side-effects": side_effect_case,
    "side-effect-reports": report_case,
    "sources": source_case,
    "cautions": caution_case,
}


@pytest.mark.parametrize("name", CASES)
async def test_create_update_delete_with_preconditions_and_history(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], refs: Refs, name: str
) -> None:
    case = CASES[name](refs)
    created = await create(client, case.segment, case.create, writer)
    key = case.key(created.json())
    path = f"/v1/{case.segment}/{key}"
    assert created.headers["location"] == path
    subset(case.view(created.json()), case.created)
    etag = created.headers["etag"]

    # Without If-Match, or with a stale one, nothing changes.
    problem(await client.patch(path, json=case.patch, headers=writer), 428)
    problem(await client.patch(path, json=case.patch, headers=authorised(writer, STALE)), 412)
    assert await etag_of(client, path) == etag

    patched = await client.patch(path, json=case.patch, headers=authorised(writer, etag))
    assert patched.status_code == 200, patched.text
    subset(case.view(patched.json()), case.patched)
    new_etag = patched.headers["etag"]
    assert new_etag != etag
    got = await client.get(path)
    assert got.headers["etag"] == new_etag
    assert got.json() == patched.json()

    # The same PATCH again changes nothing: same representation, no history entry.
    audits = await audits_of(session)
    again = await client.patch(path, json=case.patch, headers=authorised(writer, new_etag))
    assert again.status_code == 200, again.text
    assert again.headers["etag"] == new_etag
    assert again.json() == patched.json()
    assert await audits_of(session) == audits
    # The ETag from before the change is stale now.
    problem(await client.patch(path, json=case.patch, headers=authorised(writer, etag)), 412)

    problem(await client.delete(path, headers=writer), 428)
    problem(await client.delete(path, headers=authorised(writer, etag)), 412)
    deleted = await client.delete(path, headers=authorised(writer, new_etag))
    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""
    problem(await client.get(path), 404)
    problem(await client.patch(path, json=case.patch, headers=authorised(writer, new_etag)), 404)
    problem(await client.delete(path, headers=authorised(writer, new_etag)), 404)

    entries = await history(client, case.segment, key)
    assert [entry["action"] for entry in entries] == ["create", "update", "delete"]
    assert {entry["actor"] for entry in entries} == {"test-writer"}
    assert {entry["resource"] for entry in entries} == {case.segment}
    assert [entry["at"] for entry in entries] == sorted(entry["at"] for entry in entries)
    subset(entries[0]["changes"], case.created_changes, "create")
    assert all(change["from"] is None for change in entries[0]["changes"].values())
    assert entries[1]["changes"] == case.update_changes
    subset(entries[2]["changes"], case.deleted_changes, "delete")
    assert all(change["to"] is None for change in entries[2]["changes"].values())


# --- Validation: 422 naming the field, nothing stored ----------------------------------------

RefChanges = Callable[[Refs], dict[str, Any]]

URL_1001 = "https://example.org/" + "a" * 981
INVALID: list[tuple[str, str, RefChanges, str]] = [
    # (id, resource, changes to a valid body, the field named)
    ("condition bad slug", "conditions", lambda r: {"slug": "Not A Slug"}, "slug"),
    ("condition extra field", "conditions", lambda r: {"colour": "red"}, "colour"),
    ("condition no name", "conditions", lambda r: {"name": DROP}, "name"),
    ("condition blank name", "conditions", lambda r: {"name": "   "}, "name"),
    ("condition synonyms", "conditions", lambda r: {"synonyms": "thin"}, "synonyms"),
    ("treatment bad kind", "treatments", lambda r: {"kind": "potion"}, "kind"),
    ("treatment bad setting", "treatments", lambda r: {"setting": "moon"}, "setting"),
    ("treatment extra field", "treatments", lambda r: {"strength": "5%"}, "strength"),
    (
        "combination of one",
        "treatments",
        lambda r: {"kind": "combination", "components": [r.treatment]},
        "components",
    ),
    (
        "combination of one twice",
        "treatments",
        lambda r: {"kind": "combination", "components": [r.treatment, r.treatment]},
        "components",
    ),
    (
        "combination of nothing",
        "treatments",
        lambda r: {"kind": "combination", "components": []},
        "components",
    ),
    (
        "components of a non-combination",
        "treatments",
        lambda r: {"components": [r.treatment, r.other]},
        "components",
    ),
    (
        "unknown component",
        "treatments",
        lambda r: {"kind": "combination", "components": [r.treatment, "no-such-treatment-x"]},
        "components",
    ),
    (
        "combination of itself",
        "treatments",
        lambda r: {
            "slug": "self-made-x",
            "kind": "combination",
            "components": ["self-made-x", r.treatment],
        },
        "components",
    ),
    ("study invalid doi", "studies", lambda r: {"doi": "not a doi"}, "doi"),
    ("study doi without suffix", "studies", lambda r: {"doi": "10.5555"}, "doi"),
    ("study doi url of nothing", "studies", lambda r: {"doi": "https://doi.org/"}, "doi"),
    ("study invalid pmid", "studies", lambda r: {"pmid": "PMID abc"}, "pmid"),
    ("study invalid pmcid", "studies", lambda r: {"pmcid": "XYZ"}, "pmcid"),
    ("study bad design", "studies", lambda r: {"design": "anecdote"}, "design"),
    ("study bad blinding", "studies", lambda r: {"blinding": "blindfolded"}, "blinding"),
    ("study implausible year", "studies", lambda r: {"year": 1500}, "year"),
    ("study bad url", "studies", lambda r: {"url": "not a url"}, "url"),
    (
        "study author without family",
        "studies",
        lambda r: {"authors": [{"given": "A."}]},
        "authors.0.family",
    ),
    ("study zero sample", "studies", lambda r: {"sample_size": 0}, "sample_size"),
    ("study level 6", "studies", lambda r: {"evidence_level": 6}, "evidence_level"),
    ("study blank title", "studies", lambda r: {"title": "   "}, "title"),
    ("study extra field", "studies", lambda r: {"impact": 9}, "impact"),
    (
        "finding unknown intervention",
        "findings",
        lambda r: {"intervention": "no-such-treatment-x"},
        "intervention",
    ),
    (
        "finding unknown comparator",
        "findings",
        lambda r: {"comparator": "no-such-treatment-x"},
        "comparator",
    ),
    (
        "finding unknown condition",
        "findings",
        lambda r: {"condition": "no-such-condition-x"},
        "condition",
    ),
    ("finding unknown study", "findings", lambda r: {"study_id": MISSING_ID}, "study_id"),
    ("finding unknown source", "findings", lambda r: {"source_id": MISSING_ID}, "source_id"),
    ("finding without study or source", "findings", lambda r: {"study_id": DROP}, "source_id"),
    ("finding bad kind", "findings", lambda r: {"kind": "rumour"}, "kind"),
    ("finding bad direction", "findings", lambda r: {"direction": "sideways"}, "direction"),
    ("finding bad certainty", "findings", lambda r: {"certainty": "certain"}, "certainty"),
    ("finding extra field", "findings", lambda r: {"colour": "red"}, "colour"),
    ("finding blank quote", "findings", lambda r: {"quote": " "}, "quote"),
    (
        "finding placebo with a comparator",
        "findings",
        lambda r: {"comparator_type": "placebo", "comparator": r.other},
        "comparator_type",
    ),
    (
        "finding treatment comparator unnamed",
        "findings",
        lambda r: {"comparator_type": "treatment"},
        "comparator",
    ),
    (
        "finding ci reversed",
        "findings",
        lambda r: {"numbers": {"effect_measure": "MD", "ci_lower": 2.0, "ci_upper": 1.0}},
        "numbers",
    ),
    (
        "finding negative ratio",
        "findings",
        lambda r: {"numbers": {"effect_measure": "RR", "effect_value": -0.5}},
        "numbers",
    ),
    (
        "finding zero odds ratio bound",
        "findings",
        lambda r: {"numbers": {"effect_measure": "OR", "ci_lower": 0, "ci_upper": 2}},
        "numbers",
    ),
    (
        "finding events above n",
        "findings",
        lambda r: {"numbers": {"n_intervention": 10, "events_intervention": 11}},
        "numbers",
    ),
    (
        "finding comparator events above n",
        "findings",
        lambda r: {"numbers": {"n_comparator": 5, "events_comparator": 6}},
        "numbers",
    ),
    (
        "finding effect outside its interval",
        "findings",
        lambda r: {
            "numbers": {"effect_measure": "MD", "effect_value": 3, "ci_lower": 1, "ci_upper": 2}
        },
        "numbers",
    ),
    (
        "finding estimate without measure",
        "findings",
        lambda r: {"numbers": {"effect_value": 1.2}},
        "numbers",
    ),
    (
        "finding p above one",
        "findings",
        lambda r: {"numbers": {"p_value": 1.5}},
        "numbers.p_value",
    ),
    (
        "finding negative events",
        "findings",
        lambda r: {"numbers": {"events_intervention": -1}},
        "numbers.events_intervention",
    ),
    (
        "finding infinite effect",
        "findings",
        lambda r: {"numbers": {"effect_measure": "MD", "effect_value": "Infinity"}},
        "numbers.effect_value",
    ),
    (
        "finding bad measure",
        "findings",
        lambda r: {"numbers": {"effect_measure": "HR"}},
        "numbers.effect_measure",
    ),
    (
        "finding numbers extra field",
        "findings",
        lambda r: {"numbers": {"hazard": 1}},
        "numbers.hazard",
    ),
    ("side effect bad slug", "side-effects", lambda r: {"slug": "Bad_Slug"}, "slug"),
    ("side effect blank name", "side-effects", lambda r: {"name": ""}, "name"),
    ("side effect extra field", "side-effects", lambda r: {"treatments": []}, "treatments"),
    (
        "report unknown side effect",
        "side-effect-reports",
        lambda r: {"side_effect": "no-such-side-effect-x"},
        "side_effect",
    ),
    (
        "report unknown treatment",
        "side-effect-reports",
        lambda r: {"treatment": "no-such-treatment-x"},
        "treatment",
    ),
    ("report unknown study", "side-effect-reports", lambda r: {"study_id": MISSING_ID}, "study_id"),
    (
        "report unknown source",
        "side-effect-reports",
        lambda r: {"study_id": DROP, "source_id": MISSING_ID},
        "source_id",
    ),
    (
        "report without study or source",
        "side-effect-reports",
        lambda r: {"study_id": DROP},
        "source_id",
    ),
    (
        "report incidence above one",
        "side-effect-reports",
        lambda r: {"incidence": 1.5},
        "incidence",
    ),
    (
        "report negative incidence",
        "side-effect-reports",
        lambda r: {"incidence": -0.1},
        "incidence",
    ),
    (
        "report bad severity",
        "side-effect-reports",
        lambda r: {"severity": "catastrophic"},
        "severity",
    ),
    ("report extra field", "side-effect-reports", lambda r: {"onset": "day 1"}, "onset"),
    ("source bad key", "sources", lambda r: {"key": "Source Key"}, "key"),
    ("source bad url", "sources", lambda r: {"url": "not a url"}, "url"),
    ("source bad year", "sources", lambda r: {"year": 99999}, "year"),
    ("source as a study", "sources", lambda r: {"kind": "study"}, "kind"),
    ("source no title", "sources", lambda r: {"title": DROP}, "title"),
    (
        "caution same treatment twice",
        "cautions",
        lambda r: {"other_treatment": r.treatment},
        "other_treatment",
    ),
    (
        "caution unknown treatment",
        "cautions",
        lambda r: {"treatment": "no-such-treatment-x"},
        "treatment",
    ),
    (
        "caution unknown other",
        "cautions",
        lambda r: {"other_treatment": "no-such-treatment-x"},
        "other_treatment",
    ),
    ("caution unknown source", "cautions", lambda r: {"source_id": MISSING_ID}, "source_id"),
    ("caution no source", "cautions", lambda r: {"source_id": DROP}, "source_id"),
    ("caution bad level", "cautions", lambda r: {"level": "panic"}, "level"),
    ("caution blank quote", "cautions", lambda r: {"quote": ""}, "quote"),
    # Found by schemathesis (tests/test_fuzz.py): JSON types are kept apart, no U+0000 (which
    # PostgreSQL cannot store), no text longer than its column.
    ("study retracted as 0", "studies", lambda r: {"retracted": 0}, "retracted"),
    ("study pilot as yes", "studies", lambda r: {"pilot": "yes"}, "pilot"),
    ("study year as text", "studies", lambda r: {"year": "2020"}, "year"),
    ("study sample as true", "studies", lambda r: {"sample_size": True}, "sample_size"),
    ("study url past its column", "studies", lambda r: {"url": URL_1001}, "url"),
    ("study journal with nul", "studies", lambda r: {"journal": "Hair\x00Res"}, "journal"),
    ("condition name with nul", "conditions", lambda r: {"name": "Thin\x00ning"}, "name"),
    (
        "report incidence as false",
        "side-effect-reports",
        lambda r: {"incidence": False},
        "incidence",
    ),
    (
        "report long frequency",
        "side-effect-reports",
        lambda r: {"frequency": "f" * 101},
        "frequency",
    ),
    (
        "finding sd as false",
        "findings",
        lambda r: {"numbers": {"sd_comparator": False}},
        "numbers.sd_comparator",
    ),
    (
        "finding long time point",
        "findings",
        lambda r: {"numbers": {"time_point": "w" * 101}},
        "numbers.time_point",
    ),
    ("caution source as text", "cautions", lambda r: {"source_id": str(r.source_id)}, "source_id"),
]


@pytest.mark.parametrize(
    ("resource", "changes", "field_name"),
    [
        pytest.param(resource, changes, name, id=case_id)
        for case_id, resource, changes, name in INVALID
    ],
)
async def test_invalid_bodies_are_422_naming_the_field(
    client: httpx.AsyncClient,
    session: AsyncSession,
    writer: dict[str, str],
    refs: Refs,
    resource: str,
    changes: RefChanges,
    field_name: str,
) -> None:
    model = MODELS[resource]
    body = changed(valid_body(resource, refs), changes(refs))
    audits = await audits_of(session)
    response = await client.post(f"/v1/{resource}", json=body, headers=writer)
    problem(response, 422, field_name)
    assert await count(session, model, identity(resource, body)) == 0
    assert await audits_of(session) == audits
    # The valid body it was made from is accepted: the refusal was about that field.
    assert (
        await client.post(f"/v1/{resource}", json=valid_body(resource, refs), headers=writer)
    ).status_code == 201


async def test_malformed_json_is_422(client: httpx.AsyncClient, writer: dict[str, str]) -> None:
    response = await client.post(
        "/v1/conditions",
        content=b'{"slug": "broken",',
        headers={**writer, "Content-Type": "application/json"},
    )
    problem(response, 422)


@pytest.mark.parametrize(
    "content",
    [b'{"slug": "bad-utf8", "name": "\xff"}', b"[" * 100_000 + b"]" * 100_000],
    ids=["not utf-8", "nested past the recursion limit"],
)
async def test_an_undecodable_json_body_is_422(
    client: httpx.AsyncClient, writer: dict[str, str], content: bytes
) -> None:
    """FastAPI answered these with an undocumented 400 (found by schemathesis)."""
    response = await client.post(
        "/v1/conditions", content=content, headers={**writer, "Content-Type": "application/json"}
    )
    problem(response, 422, "body")


# --- Conflicts: 409, nothing stored ----------------------------------------------------------


async def test_duplicate_slugs_and_keys_are_409_and_store_nothing(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], refs: Refs
) -> None:
    duplicates = [
        ("conditions", {"slug": "androgenetic-alopecia", "name": "Another"}),
        ("conditions", {"slug": refs.condition, "name": "Another"}),
        ("treatments", {"slug": "microneedling", "name": "Another", "kind": "device"}),
        ("treatments", {"slug": refs.treatment, "name": "Another", "kind": "device"}),
        ("side-effects", {"slug": "bleeding", "name": "Another"}),
        ("side-effects", {"slug": refs.side_effect, "name": "Another"}),
        ("sources", {"key": "source-article", "title": "Another"}),
    ]
    for segment, body in duplicates:
        model = MODELS[segment]
        audits = await audits_of(session)
        assert await count(session, model, identity(segment, body)) == 1
        problem(await client.post(f"/v1/{segment}", json=body, headers=writer), 409)
        assert await count(session, model, identity(segment, body)) == 1, segment
        assert await audits_of(session) == audits, segment
    seeded = await client.get("/v1/treatments/microneedling")
    assert seeded.json()["name"] == "Microneedling"


async def test_renaming_onto_a_taken_slug_or_key_is_409(
    client: httpx.AsyncClient, writer: dict[str, str], refs: Refs
) -> None:
    source = (await create(client, "sources", valid_body("sources", refs), writer)).json()
    attempts = [
        (f"/v1/conditions/{refs.condition}", {"slug": "androgenetic-alopecia"}),
        (f"/v1/treatments/{refs.treatment}", {"slug": refs.other}),
        (f"/v1/side-effects/{refs.side_effect}", {"slug": "bleeding"}),
        (f"/v1/sources/{source['id']}", {"key": "source-article"}),
    ]
    for path, body in attempts:
        etag = await etag_of(client, path)
        problem(await client.patch(path, json=body, headers=authorised(writer, etag)), 409)
        assert await etag_of(client, path) == etag, path


async def test_a_duplicate_caution_is_409_and_stores_nothing(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], refs: Refs
) -> None:
    body = valid_body("cautions", refs)
    await create(client, "cautions", body, writer)
    same_source = Caution.source_id == refs.source_id
    cautions, audits = await count(session, Caution, same_source), await audits_of(session)
    again = {**body, "quote": "The same pair from the same source, said again.", "level": "avoid"}
    problem(await client.post("/v1/cautions", json=again, headers=writer), 409)
    assert await count(session, Caution, same_source) == cautions == 1
    assert await audits_of(session) == audits
    # The reverse pair, or another source, is a different caution.
    await create(
        client,
        "cautions",
        {**body, "treatment": refs.other, "other_treatment": refs.treatment},
        writer,
    )


# --- Treatments: combinations and aliases ----------------------------------------------------


async def test_a_combination_shows_in_part_of_and_protects_its_components(
    committing_client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], refs: Refs
) -> None:
    client = committing_client
    await session.commit()
    slug = unique("combo")
    body = {
        "slug": slug,
        "name": "Fictional combo",
        "kind": "combination",
        "components": [refs.treatment, refs.other],
    }
    created = await create(client, "treatments", body, writer)
    assert _slugs(created.json()["components"]) == sorted([refs.treatment, refs.other])
    component = await client.get(f"/v1/treatments/{refs.treatment}")
    assert [ref["slug"] for ref in component.json()["part_of"]] == [slug]

    component_ids = select(Treatment.id).where(Treatment.slug == refs.treatment)
    as_component = TreatmentComponent.component_id.in_(component_ids)
    links = await count(session, TreatmentComponent, as_component)
    refused = await client.delete(
        f"/v1/treatments/{refs.treatment}", headers=authorised(writer, component.headers["etag"])
    )
    assert "combinations" in problem(refused, 409)["detail"]
    assert (await client.get(f"/v1/treatments/{refs.treatment}")).status_code == 200
    assert await count(session, TreatmentComponent, as_component) == links == 1

    # Ceasing to be a combination needs its components cleared too.
    etag = created.headers["etag"]
    problem(
        await client.patch(
            f"/v1/treatments/{slug}", json={"kind": "device"}, headers=authorised(writer, etag)
        ),
        422,
        "components",
    )
    plain = await client.patch(
        f"/v1/treatments/{slug}",
        json={"kind": "device", "components": []},
        headers=authorised(writer, etag),
    )
    assert plain.status_code == 200, plain.text
    assert plain.json()["components"] == []
    assert (await client.get(f"/v1/treatments/{refs.treatment}")).json()["part_of"] == []
    entries = await history(client, "treatments", slug)
    assert entries[-1]["changes"] == {
        "kind": {"from": "combination", "to": "device"},
        "components": {"from": sorted([refs.treatment, refs.other]), "to": []},
    }


async def test_patching_a_combination_onto_itself_is_422(
    client: httpx.AsyncClient, writer: dict[str, str], refs: Refs
) -> None:
    slug = unique("combo")
    body = {
        "slug": slug,
        "name": "Fictional combo",
        "kind": "combination",
        "components": [refs.treatment, refs.other],
    }
    created = await create(client, "treatments", body, writer)
    path = f"/v1/treatments/{slug}"
    for components in (
        [slug, refs.treatment],
        [refs.treatment, "no-such-treatment-x"],
        [refs.treatment],
    ):
        response = await client.patch(
            path,
            json={"components": components},
            headers=authorised(writer, created.headers["etag"]),
        )
        problem(response, 422, "components")
    assert await etag_of(client, path) == created.headers["etag"]


async def test_an_alias_of_another_treatment_is_409_on_create(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], refs: Refs
) -> None:
    mine = await create(client, "treatments", valid_body("treatments", refs), writer)
    taken = mine.json()["aliases"][0]
    for alias in ("derma roller", taken):
        audits = await audits_of(session)
        slug = unique("alias-clash")
        body = {
            "slug": slug,
            "name": "Alias clash",
            "kind": "device",
            "aliases": ["free alias " + slug, alias],
        }
        problem(await client.post("/v1/treatments", json=body, headers=writer), 409)
        assert await count(session, Treatment, Treatment.slug == slug) == 0
        assert (
            await count(session, TreatmentAlias, TreatmentAlias.alias == "free alias " + slug) == 0
        )
        assert await count(session, TreatmentAlias, TreatmentAlias.alias == alias) == 1
        assert await audits_of(session) == audits
        problem(await client.get(f"/v1/treatments/{slug}"), 404)


async def test_an_alias_of_another_treatment_is_409_on_patch_and_changes_nothing(
    committing_client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], refs: Refs
) -> None:
    client = committing_client
    await session.commit()
    mine = await create(client, "treatments", valid_body("treatments", refs), writer)
    path, own_alias = mine.headers["location"], mine.json()["aliases"][0]
    audits = await audits_of(session)
    response = await client.patch(
        path,
        json={"name": "Renamed at the same time", "aliases": [own_alias, "derma roller"]},
        headers=authorised(writer, mine.headers["etag"]),
    )
    problem(response, 409)
    after = await client.get(path)
    assert after.headers["etag"] == mine.headers["etag"]
    assert after.json()["name"] == mine.json()["name"]
    assert (await client.get("/v1/treatments/microneedling")).json()["aliases"] == ["derma roller"]
    assert await audits_of(session) == audits

    # A freed alias can be taken by another treatment.
    freed = await client.patch(
        path, json={"aliases": []}, headers=authorised(writer, mine.headers["etag"])
    )
    assert freed.status_code == 200, freed.text
    other_path = f"/v1/treatments/{refs.other}"
    taken = await client.patch(
        other_path,
        json={"aliases": [own_alias]},
        headers=authorised(writer, await etag_of(client, other_path)),
    )
    assert taken.status_code == 200, taken.text
    assert taken.json()["aliases"] == [own_alias]


async def test_patching_aliases_keeps_those_still_listed(
    client: httpx.AsyncClient, writer: dict[str, str], refs: Refs
) -> None:
    """A treatment's own alias is no conflict: adding one beside it is a plain update."""
    mine = await create(client, "treatments", valid_body("treatments", refs), writer)
    path, own_alias = mine.headers["location"], mine.json()["aliases"][0]
    kept = await client.patch(
        path,
        json={"aliases": [own_alias, "another fictional name"]},
        headers=authorised(writer, mine.headers["etag"]),
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["aliases"] == sorted([own_alias, "another fictional name"])
    entries = await history(client, "treatments", mine.json()["slug"])
    assert entries[-1]["changes"] == {
        "aliases": {"from": [own_alias], "to": sorted([own_alias, "another fictional name"])}
    }


USES = ["finding intervention", "finding comparator", "side-effect report", "caution", "component"]


@pytest.mark.parametrize("use", USES)
async def test_a_treatment_in_use_cannot_be_deleted(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], use: str
) -> None:
    treatment = await factories.make_treatment(session)
    slug = treatment.slug
    if use == "finding intervention":
        await factories.make_finding(session, intervention=treatment)
    elif use == "finding comparator":
        await factories.make_finding(session, comparator=treatment)
    elif use == "side-effect report":
        await factories.make_side_effect_report(session, treatment=treatment)
    elif use == "caution":
        await factories.make_caution(session, other_treatment=treatment)
    else:
        await factories.make_treatment(
            session, components=[treatment, await factories.make_treatment(session)]
        )
    path = f"/v1/treatments/{slug}"
    etag = await etag_of(client, path)
    audits = await audits_of(session)
    problem(await client.delete(path, headers=authorised(writer, etag)), 409)
    assert await etag_of(client, path) == etag
    assert await count(session, Treatment, Treatment.slug == slug) == 1
    assert await audits_of(session) == audits


# --- Conditions ------------------------------------------------------------------------------


async def test_renaming_a_condition_keeps_its_history_under_both_slugs(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    old, new = unique("old-condition"), unique("new-condition")
    created = await create(client, "conditions", {"slug": old, "name": "Fictional"}, writer)
    renamed = await client.patch(
        f"/v1/conditions/{old}",
        json={"slug": new},
        headers=authorised(writer, created.headers["etag"]),
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["slug"] == new
    assert renamed.json()["links"]["self"] == f"/v1/conditions/{new}"
    problem(await client.get(f"/v1/conditions/{old}"), 404)
    assert (await client.get(f"/v1/conditions/{new}")).headers["etag"] == renamed.headers["etag"]
    for key in (old, new):
        entries = await history(client, "conditions", key)
        assert [entry["action"] for entry in entries] == ["create", "update"]
        assert entries[1]["changes"] == {"slug": {"from": old, "to": new}}


async def test_a_condition_used_by_a_finding_cannot_be_deleted(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str]
) -> None:
    condition = await factories.make_condition(session)
    slug = condition.slug
    finding = await factories.make_finding(session, condition=condition)
    finding_id = finding.id
    path = f"/v1/conditions/{slug}"
    etag = await etag_of(client, path)
    audits = await audits_of(session)
    assert (
        "findings"
        in problem(await client.delete(path, headers=authorised(writer, etag)), 409)["detail"]
    )
    assert await count(session, Condition, Condition.slug == slug) == 1
    assert await audits_of(session) == audits
    assert await etag_of(client, path) == etag

    finding_path = f"/v1/findings/{finding_id}"
    gone = await client.delete(
        finding_path, headers=authorised(writer, await etag_of(client, finding_path))
    )
    assert gone.status_code == 204, gone.text
    assert (await client.delete(path, headers=authorised(writer, etag))).status_code == 204
    problem(await client.get(path), 404)

    # The seeded condition is used by seeded findings.
    seeded = "/v1/conditions/androgenetic-alopecia"
    problem(
        await client.delete(seeded, headers=authorised(writer, await etag_of(client, seeded))), 409
    )


# --- Studies ---------------------------------------------------------------------------------


async def test_a_created_study_is_normalised_warned_and_levelled(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    tag = unique("ABC")
    body = {
        "title": f"  A fictional  systematic review {tag} ",
        "authors": [{"family": " Testwright ", "given": "A."}],
        "doi": "https://doi.org/10.5555%2FABC.1",
        "pmid": "PMID: " + (pmid := fictional_pmid()),
        "pmcid": "pmc" + pmid[-6:],
        "journal": "Journal of Fictional Reviews",
        "year": 2020,
        "pages": "596-592",
        "design": "systematic_review",
    }
    created = await create(client, "studies", body, writer)
    study = created.json()
    assert study["doi"] == "10.5555/ABC.1"
    assert study["links"]["doi"] == "https://doi.org/10.5555/ABC.1"
    assert study["pmid"] == pmid
    assert study["pmcid"] == f"PMC{int(pmid[-6:])}"
    assert study["title"] == f"A fictional systematic review {tag}"
    assert study["authors"] == [{"family": "Testwright", "given": "A."}]
    assert study["pages"] == "596-592", "pages are kept as printed"
    assert [(w["code"], w["field"], w["value"]) for w in study["warnings"]] == [
        ("page_range_reversed", "pages", "596-592")
    ]
    assert study["design"] == "systematic_review"
    assert study["evidence_level"] == 1

    # Found by its DOI in another spelling.
    found = await client.get("/v1/studies", params={"doi": "doi:10.5555/abc.1"})
    assert [s["id"] for s in found.json()["data"]] == [study["id"]]


@pytest.mark.parametrize(
    ("design", "level"),
    [
        ("meta_analysis", 1),
        ("randomized_trial", 2),
        ("cohort", 3),
        ("case_series", 4),
        ("in_vitro", 5),
        (None, None),
    ],
)
async def test_evidence_level_is_derived_from_design(
    client: httpx.AsyncClient,
    writer: dict[str, str],
    refs: Refs,
    design: str | None,
    level: int | None,
) -> None:
    body = {**valid_body("studies", refs), "design": design}
    assert (await create(client, "studies", body, writer)).json()["evidence_level"] == level


async def test_a_curated_evidence_level_is_kept(
    client: httpx.AsyncClient, writer: dict[str, str], refs: Refs
) -> None:
    body = {**valid_body("studies", refs), "design": "randomized_trial", "evidence_level": 3}
    assert (await create(client, "studies", body, writer)).json()["evidence_level"] == 3


async def test_a_study_without_journal_is_warned(
    client: httpx.AsyncClient, writer: dict[str, str], refs: Refs
) -> None:
    body = changed(valid_body("studies", refs), {"journal": DROP})
    study = (await create(client, "studies", body, writer)).json()
    assert [w["code"] for w in study["warnings"]] == ["journal_missing"]


def _spellings(doi: str) -> list[str]:
    prefix, suffix = doi.split("/", 1)
    return [
        doi.lower(),
        doi.upper(),
        f"doi:{doi.swapcase()}",
        f"DOI: {doi}",
        f"https://doi.org/{prefix}%2F{suffix.upper()}",
        f"http://dx.doi.org/{doi.lower()}",
    ]


async def test_a_taken_doi_in_any_spelling_is_409(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], refs: Refs
) -> None:
    existing = (
        await create(
            client,
            "studies",
            {**valid_body("studies", refs), "doi": f"10.5555/Mixed.{unique('Case')}"},
            writer,
        )
    ).json()
    audits = await audits_of(session)
    spellings = [
        *_spellings(existing["doi"]),
        *_spellings(refs.study_doi),
        "https://doi.org/10.1038/JID.2010.291",
    ]
    titles = []
    for spelling in spellings:
        body = {**valid_body("studies", refs), "doi": spelling}
        titles.append(body["title"])
        problem(await client.post("/v1/studies", json=body, headers=writer), 409)
    assert await count(session, Study, Study.title.in_(titles)) == 0
    assert await count(session, Source, Source.title.in_(titles)) == 0
    for doi in (existing["doi"], refs.study_doi, "10.1038/jid.2010.291"):
        assert await count(session, Study, Study.doi_key == doi.lower()) == 1
    assert await audits_of(session) == audits


async def test_a_taken_pmid_or_pmcid_is_409(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], refs: Refs
) -> None:
    pmid = fictional_pmid()
    pmcid = f"PMC{pmid[:7]}"
    await create(
        client, "studies", {**valid_body("studies", refs), "pmid": pmid, "pmcid": pmcid}, writer
    )
    titles = []
    for taken in (
        {"pmid": f"PMID: {pmid}"},
        {"pmid": f"0{pmid}"},
        {"pmcid": pmcid.lower()},
        {"pmcid": pmid[:7]},
    ):
        body = {**valid_body("studies", refs), **taken}
        titles.append(body["title"])
        problem(await client.post("/v1/studies", json=body, headers=writer), 409)
    assert await count(session, Study, Study.title.in_(titles)) == 0
    assert await count(session, Study, Study.pmid == pmid) == 1


async def test_patching_a_study_rechecks_its_citation(
    client: httpx.AsyncClient, writer: dict[str, str], refs: Refs
) -> None:
    body = {**valid_body("studies", refs), "pages": "10-19", "design": "cohort"}
    created = await create(client, "studies", body, writer)
    path, etag = created.headers["location"], created.headers["etag"]
    assert created.json()["warnings"] == []
    assert created.json()["evidence_level"] == 3

    reversed_pages = await client.patch(
        path, json={"pages": "19-10"}, headers=authorised(writer, etag)
    )
    assert reversed_pages.status_code == 200, reversed_pages.text
    assert [w["code"] for w in reversed_pages.json()["warnings"]] == ["page_range_reversed"]
    etag = reversed_pages.headers["etag"]

    fixed = await client.patch(path, json={"pages": "10-19"}, headers=authorised(writer, etag))
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["warnings"] == []
    etag = fixed.headers["etag"]

    for invalid, field_name in (
        ({"doi": "not a doi"}, "doi"),
        ({"pmid": "x1"}, "pmid"),
        ({"year": 1200}, "year"),
    ):
        problem(
            await client.patch(path, json=invalid, headers=authorised(writer, etag)),
            422,
            field_name,
        )
    problem(
        await client.patch(
            path, json={"doi": refs.study_doi.upper()}, headers=authorised(writer, etag)
        ),
        409,
    )
    problem(
        await client.patch(path, json={"title": None}, headers=authorised(writer, etag)),
        422,
        "title",
    )
    assert await etag_of(client, path) == etag

    tag = unique("NEW")
    renamed = await client.patch(
        path,
        json={"doi": f"https://doi.org/10.5555%2F{tag}", "design": "systematic_review"},
        headers=authorised(writer, etag),
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["doi"] == f"10.5555/{tag}"
    assert renamed.json()["evidence_level"] == 1, "the level follows the new design"
    found = await client.get("/v1/studies", params={"doi": f"10.5555/{tag.lower()}"})
    assert [s["id"] for s in found.json()["data"]] == [created.json()["id"]]

    entries = await history(client, "studies", created.json()["id"])
    assert [entry["action"] for entry in entries] == ["create", "update", "update", "update"]
    assert entries[1]["changes"]["pages"] == {"from": "10-19", "to": "19-10"}
    assert entries[1]["changes"]["warnings"]["from"] == []
    assert set(entries[1]["changes"]) == {"pages", "warnings"}
    assert entries[3]["changes"]["doi"] == {"from": body["doi"], "to": f"10.5555/{tag}"}
    assert entries[3]["changes"]["evidence_level"] == {"from": 3, "to": 1}


async def test_resending_a_studys_design_keeps_its_curated_level(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], refs: Refs
) -> None:
    """A PATCH that changes nothing changes nothing, even when it names the design."""
    body = {**valid_body("studies", refs), "design": "randomized_trial", "evidence_level": 3}
    created = await create(client, "studies", body, writer)
    audits = await audits_of(session)
    same = await client.patch(
        created.headers["location"],
        json={"design": "randomized_trial"},
        headers=authorised(writer, created.headers["etag"]),
    )
    assert same.status_code == 200, same.text
    assert same.json()["evidence_level"] == 3
    assert same.headers["etag"] == created.headers["etag"]
    assert await audits_of(session) == audits


async def test_patching_a_studys_authors_replaces_them(
    client: httpx.AsyncClient, writer: dict[str, str], refs: Refs
) -> None:
    authors = [{"family": "Testwright", "given": "A."}, {"family": "Mockett", "given": None}]
    created = await create(
        client, "studies", {**valid_body("studies", refs), "authors": authors}, writer
    )
    revised = [{"family": "Testwright", "given": "A. B."}, {"family": "Fakeley", "given": "C."}]
    patched = await client.patch(
        created.headers["location"],
        json={"authors": revised},
        headers=authorised(writer, created.headers["etag"]),
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["authors"] == revised
    assert (await client.get(created.headers["location"])).json()["authors"] == revised
    entries = await history(client, "studies", created.json()["id"])
    assert entries[-1]["changes"] == {"authors": {"from": authors, "to": revised}}


async def test_a_study_with_findings_is_deleted_only_with_cascade(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str]
) -> None:
    study = await factories.make_study(session, doi=f"10.5555/{unique('cascade')}")
    study_id = study.id
    study_source_id = (await factories.source_of(session, study)).id
    cited = await factories.make_finding(
        session, study=study, source=await factories.make_source(session)
    )
    stated = await factories.make_finding(session, study=study)
    report = await factories.make_side_effect_report(session, study=study)
    finding_ids, report_id = sorted([cited.id, stated.id]), report.id
    path = f"/v1/studies/{study_id}"
    etag = await etag_of(client, path)

    scoped = (
        (Study, Study.id == study_id),
        (Source, Source.id == study_source_id),
        (Finding, Finding.id.in_(finding_ids)),
        (SideEffectReport, SideEffectReport.id == report_id),
    )
    audits = await audits_of(session)
    refused = problem(await client.delete(path, headers=authorised(writer, etag)), 409)
    assert "findings" in refused["detail"] and "cascade" in refused["detail"]
    explicit = await client.delete(
        path, params={"cascade": "false"}, headers=authorised(writer, etag)
    )
    problem(explicit, 409)
    assert [await count(session, model, clause) for model, clause in scoped] == [1, 1, 2, 1]
    assert await audits_of(session) == audits
    assert await etag_of(client, path) == etag

    deleted = await client.delete(
        path, params={"cascade": "true"}, headers=authorised(writer, etag)
    )
    assert deleted.status_code == 204, deleted.text
    problem(await client.get(path), 404)
    problem(await client.get(f"/v1/sources/{study_source_id}"), 404)
    for finding_id in finding_ids:
        problem(await client.get(f"/v1/findings/{finding_id}"), 404)
        entries = await history(client, "findings", finding_id)
        assert [(e["action"], e["actor"]) for e in entries] == [("delete", "test-writer")]
        assert entries[0]["changes"]["study_id"] == {"from": study_id, "to": None}
    problem(await client.get(f"/v1/side-effect-reports/{report_id}"), 404)
    entries = await history(client, "side-effect-reports", report_id)
    assert [(e["action"], e["actor"]) for e in entries] == [("delete", "test-writer")]
    entries = await history(client, "studies", study_id)
    assert [(e["action"], e["actor"]) for e in entries] == [("delete", "test-writer")]
    assert [await count(session, model, clause) for model, clause in scoped] == [0, 0, 0, 0]
    assert await audits_of(session) == audits + 4  # two findings, a report, the study


async def test_a_study_without_findings_is_deleted_without_cascade(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], refs: Refs
) -> None:
    created = await create(client, "studies", valid_body("studies", refs), writer)
    study = created.json()
    source_path = study["links"]["source"]
    assert (await client.get(source_path)).status_code == 200
    deleted = await client.delete(
        created.headers["location"], headers=authorised(writer, created.headers["etag"])
    )
    assert deleted.status_code == 204, deleted.text
    problem(await client.get(source_path), 404)
    assert await count(session, StudyAuthor, StudyAuthor.study_id == study["id"]) == 0


# --- Findings --------------------------------------------------------------------------------


async def test_a_findings_numbers_are_merged_and_rechecked_on_patch(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], refs: Refs
) -> None:
    body = finding_case(refs).create
    created = await create(client, "findings", body, writer)
    path, etag = created.headers["location"], created.headers["etag"]
    audits = await audits_of(session)

    for numbers in (
        {"ci_lower": 1.8},  # the estimate (1.5) falls outside the interval
        {"ci_upper": 1.0},  # below ci_lower
        {"effect_value": -1.0},  # a ratio
        {"events_intervention": 21},  # more than n_intervention (20)
        {"n_comparator": 7},  # fewer than events_comparator (8)
        {"effect_measure": None},  # an estimate without its measure
    ):
        response = await client.patch(
            path, json={"numbers": numbers}, headers=authorised(writer, etag)
        )
        problem(response, 422, "numbers")
    assert await etag_of(client, path) == etag
    assert await audits_of(session) == audits

    moved = await client.patch(
        path, json={"numbers": {"ci_lower": 1.2, "ci_upper": 1.9}}, headers=authorised(writer, etag)
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["numbers"] | {} == {
        **created.json()["numbers"],
        "ci_lower": 1.2,
        "ci_upper": 1.9,
    }
    entries = await history(client, "findings", created.json()["id"])
    assert entries[-1]["changes"] == {
        "ci_lower": {"from": 1.1, "to": 1.2},
        "ci_upper": {"from": 2.0, "to": 1.9},
    }


async def test_a_findings_required_fields_and_comparator_stay_consistent_on_patch(
    client: httpx.AsyncClient, writer: dict[str, str], refs: Refs
) -> None:
    created = await create(client, "findings", finding_case(refs).create, writer)
    path, etag = created.headers["location"], created.headers["etag"]
    for body, field_name in (
        ({"quote": None}, "quote"),
        ({"intervention": None}, "intervention"),
        ({"direction": None}, "direction"),
        ({"kind": None}, "kind"),
        ({"source_id": None}, "source_id"),
        ({"comparator_type": "placebo"}, "comparator_type"),
        ({"comparator": None}, "comparator"),
        ({"intervention": "no-such-treatment-x"}, "intervention"),
        ({"condition": "no-such-condition-x"}, "condition"),
        ({"study_id": MISSING_ID}, "study_id"),
    ):
        problem(
            await client.patch(path, json=body, headers=authorised(writer, etag)), 422, field_name
        )
    assert await etag_of(client, path) == etag

    placebo = await client.patch(
        path,
        json={"comparator_type": "placebo", "comparator": None, "condition": None},
        headers=authorised(writer, etag),
    )
    assert placebo.status_code == 200, placebo.text
    assert placebo.json()["comparator_type"] == "placebo"
    assert placebo.json()["comparator"] is None and placebo.json()["condition"] is None
    assert placebo.json()["links"]["comparator"] is None


async def test_a_finding_can_be_stated_by_a_source_without_a_study(
    client: httpx.AsyncClient, writer: dict[str, str], refs: Refs
) -> None:
    body = changed(valid_body("findings", refs), {"study_id": DROP, "source_id": refs.source_id})
    finding = (await create(client, "findings", body, writer)).json()
    assert finding["study"] is None
    assert finding["source"]["id"] == refs.source_id
    assert finding["comparator_type"] is None
    source = await client.get(f"/v1/sources/{refs.source_id}")
    assert source.json()["finding_count"] == 1


# --- Side effects and their reports ----------------------------------------------------------


async def test_a_side_effect_with_reports_cannot_be_deleted(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], refs: Refs
) -> None:
    report = await create(
        client, "side-effect-reports", valid_body("side-effect-reports", refs), writer
    )
    path = f"/v1/side-effects/{refs.side_effect}"
    side_effect = await client.get(path)
    assert side_effect.json()["report_count"] == 1
    assert [t["slug"] for t in side_effect.json()["treatments"]] == [refs.treatment]
    assert [s["id"] for s in side_effect.json()["studies"]] == [refs.study_id]

    report_id = report.json()["id"]
    audits = await audits_of(session)
    refused = problem(
        await client.delete(path, headers=authorised(writer, side_effect.headers["etag"])), 409
    )
    assert "reports" in refused["detail"]
    assert await count(session, SideEffect, SideEffect.slug == refs.side_effect) == 1
    assert await count(session, SideEffectReport, SideEffectReport.id == report_id) == 1
    assert await audits_of(session) == audits

    gone = await client.delete(
        report.headers["location"], headers=authorised(writer, report.headers["etag"])
    )
    assert gone.status_code == 204, gone.text
    emptied = await client.get(path)
    assert emptied.json()["report_count"] == 0
    assert (
        await client.delete(path, headers=authorised(writer, emptied.headers["etag"]))
    ).status_code == 204

    seeded = "/v1/side-effects/bleeding"
    problem(
        await client.delete(seeded, headers=authorised(writer, await etag_of(client, seeded))), 409
    )


async def test_a_report_can_move_to_another_side_effect(
    client: httpx.AsyncClient, writer: dict[str, str], refs: Refs
) -> None:
    report = await create(
        client, "side-effect-reports", valid_body("side-effect-reports", refs), writer
    )
    moved = await client.patch(
        report.headers["location"],
        json={"side_effect": "bleeding"},
        headers=authorised(writer, report.headers["etag"]),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["side_effect"]["slug"] == "bleeding"
    assert (await client.get(f"/v1/side-effects/{refs.side_effect}")).json()["report_count"] == 0
    for body, field_name in (
        ({"side_effect": None}, "side_effect"),
        ({"treatment": "no-such-treatment-x"}, "treatment"),
        ({"quote": None}, "quote"),
        ({"incidence": 2}, "incidence"),
    ):
        response = await client.patch(
            report.headers["location"], json=body, headers=authorised(writer, moved.headers["etag"])
        )
        problem(response, 422, field_name)


# --- Sources ---------------------------------------------------------------------------------


async def test_a_studys_own_source_is_changed_through_the_study(
    client: httpx.AsyncClient, writer: dict[str, str], refs: Refs
) -> None:
    path = f"/v1/sources/{refs.study_source_id}"
    etag = await etag_of(client, path)
    problem(
        await client.patch(path, json={"title": "Retitled"}, headers=authorised(writer, etag)), 409
    )
    problem(await client.delete(path, headers=authorised(writer, etag)), 409)
    assert await etag_of(client, path) == etag


@pytest.mark.parametrize("use", ["finding", "side-effect report", "caution"])
async def test_a_source_in_use_cannot_be_deleted(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], use: str
) -> None:
    source = await factories.make_source(session)
    source_id = source.id
    if use == "finding":
        await factories.make_finding(session, source=source)
    elif use == "side-effect report":
        await factories.make_side_effect_report(session, source=source)
    else:
        await factories.make_caution(session, source=source)
    path = f"/v1/sources/{source_id}"
    etag = await etag_of(client, path)
    audits = await audits_of(session)
    problem(await client.delete(path, headers=authorised(writer, etag)), 409)
    assert await count(session, Source, Source.id == source_id) == 1
    assert await audits_of(session) == audits
    assert await etag_of(client, path) == etag


# --- Cautions --------------------------------------------------------------------------------


async def test_a_caution_cannot_be_patched_onto_one_treatment(
    client: httpx.AsyncClient, writer: dict[str, str], refs: Refs
) -> None:
    created = await create(client, "cautions", valid_body("cautions", refs), writer)
    path, etag = created.headers["location"], created.headers["etag"]
    for body, field_name in (
        ({"other_treatment": refs.treatment}, "other_treatment"),
        ({"treatment": refs.other}, "other_treatment"),
        ({"treatment": refs.third, "other_treatment": refs.third}, "other_treatment"),
        ({"source_id": MISSING_ID}, "source_id"),
        ({"level": None}, "level"),
    ):
        problem(
            await client.patch(path, json=body, headers=authorised(writer, etag)), 422, field_name
        )
    assert await etag_of(client, path) == etag
    swapped = await client.patch(
        path,
        json={"treatment": refs.other, "other_treatment": refs.treatment},
        headers=authorised(writer, etag),
    )
    assert swapped.status_code == 200, swapped.text
    assert swapped.json()["treatment"]["slug"] == refs.other


async def test_patching_a_caution_into_a_duplicate_is_409_and_changes_nothing(
    committing_client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], refs: Refs
) -> None:
    client = committing_client
    await session.commit()
    first = await create(client, "cautions", valid_body("cautions", refs), writer)
    second = await create(
        client, "cautions", {**valid_body("cautions", refs), "other_treatment": refs.third}, writer
    )
    audits = await audits_of(session)
    response = await client.patch(
        second.headers["location"],
        json={"other_treatment": refs.other, "level": "avoid"},
        headers=authorised(writer, second.headers["etag"]),
    )
    problem(response, 409)
    assert await etag_of(client, second.headers["location"]) == second.headers["etag"]
    assert await etag_of(client, first.headers["location"]) == first.headers["etag"]
    assert await audits_of(session) == audits


# --- History ---------------------------------------------------------------------------------


@pytest.mark.parametrize("segment", list(MODELS))
async def test_history_of_an_unknown_resource_is_404(
    client: httpx.AsyncClient, segment: str
) -> None:
    key = (
        str(MISSING_ID)
        if segment in ("studies", "findings", "side-effect-reports", "sources", "cautions")
        else "no-such-thing-x"
    )
    problem(await client.get(f"/v1/{segment}/{key}/history"), 404)


async def test_history_of_an_unknown_kind_is_404(client: httpx.AsyncClient) -> None:
    problem(await client.get("/v1/widgets/1/history"), 404)


async def test_history_does_not_mix_resources_sharing_an_id(
    client: httpx.AsyncClient, writer: dict[str, str], refs: Refs
) -> None:
    """Ids are per table: the history of source N is not that of caution N."""
    source = (await create(client, "sources", valid_body("sources", refs), writer)).json()
    entries = await history(client, "sources", source["id"])
    assert [(e["resource"], e["action"]) for e in entries] == [("sources", "create")]
    assert entries[0]["resource_id"] == source["id"]


@pytest.mark.parametrize("segment", ["sources", "findings", "side-effect-reports", "cautions"])
async def test_a_new_resource_does_not_inherit_a_deleted_ones_history(
    client: httpx.AsyncClient, writer: dict[str, str], refs: Refs, segment: str
) -> None:
    """Histories are kept after deletion and looked up by id, so an id is never reused."""
    first = await create(client, segment, valid_body(segment, refs), writer)
    deleted = await client.delete(
        first.headers["location"], headers=authorised(writer, first.headers["etag"])
    )
    assert deleted.status_code == 204, deleted.text
    second = await create(client, segment, valid_body(segment, refs), writer)
    first_id, second_id = first.json()["id"], second.json()["id"]

    assert [e["action"] for e in await history(client, segment, second_id)] == ["create"]
    assert [e["action"] for e in await history(client, segment, first_id)] == ["create", "delete"]
    assert second_id != first_id
