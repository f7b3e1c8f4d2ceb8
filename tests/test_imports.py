"""Importing reference files through the API: every format, field by field, and every refusal."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.db import get_session
from app.main import create_app
from app.models import AuditEntry, ImportJob, Study
from app.reads import get_reader
from tests.conftest import reader_on
from tests.dump import dump

SAMPLES = Path(__file__).parent / "samples"
FILES = {
    "ris": "references.ris",
    "bibtex": "references.bib",
    "csl_json": "references.csl.json",
    "pubmed_xml": "references.pubmed.xml",
    "medline": "references.nbib",
    "crossref_json": "references.crossref.json",
}
# The three studies every sample file holds, as each format should deliver them.
SHARED = {
    "Synthetic test study: microneedling with fictional serum X-17 in imaginary androgenetic "
    "alopecia": {
        "authors": [("Müller", "Hans-Jürgen"), ("Østergaard", "Lærke"), ("Nowak", "Łukasz")],
        "year": 2019,
        "journal": "Journal of Fictional Dermatology",
        "volume": "12",
        "issue": "3",
        "pages": "145-152",
        "doi": "10.5555/fictderm.2019.0012",
        "pmid": "99999901",
    },
    "A fictional cohort of placebo foam users: synthetic record without DOI or pages": {
        "authors": [("李", "小龙"), ("García-Pérez", "José")],
        "year": 2021,
        "journal": "Fictional Hair Research",
        "volume": "4",
        "issue": "2",
        "pages": None,
        "doi": None,
        "pmid": "99999902",
    },
    "Imaginary meta-analysis of invented trials: a synthetic benchmark record": {
        "authors": [("Østergaard", "Lærke"), ("O'Brien", "Siobhán"), ("Dupont", "Zoë")],
        "year": 2022,
        "journal": "Synthetic Evidence Reviews",
        "volume": "1",
        "issue": "1",
        "pages": "1-20",
        "doi": "10.5555/synthev.2022.001",
        "pmid": "99999903",
    },
}
# Crossref works carry no PubMed ids.
WITHOUT_PMID = {"crossref_json"}


def sample(fmt: str) -> bytes:
    return (SAMPLES / FILES[fmt]).read_bytes()


async def post_import(
    client: httpx.AsyncClient, headers: dict[str, str], body: bytes, **params: Any
) -> httpx.Response:
    query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}
    return await client.post("/v1/imports", content=body, headers=headers, params=query)


async def _studies_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Study)) or 0)


@pytest.mark.parametrize("fmt", FILES)
async def test_each_format_imports_field_by_field(
    client: httpx.AsyncClient, writer: dict[str, str], fmt: str
) -> None:
    response = await post_import(client, writer, sample(fmt), on_error="skip")
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["format"] == fmt  # sniffed: no format parameter, no specific Content-Type
    assert job["status"] == "succeeded"
    assert response.headers["location"] == f"/v1/imports/{job['id']}"
    records = job["report"]["records"]
    assert [r["index"] for r in records] == list(range(len(records)))
    by_title = {r["title"]: r for r in records if r["status"] == "created"}
    assert set(SHARED) <= set(by_title)

    for title, expected in SHARED.items():
        study = (await client.get(by_title[title]["href"])).json()
        assert study["title"] == title
        assert [(a["family"], a["given"]) for a in study["authors"]] == expected["authors"]
        for field in ("year", "journal", "volume", "issue", "pages", "doi"):
            assert study[field] == expected[field], (fmt, title, field)
        assert study["pmid"] == (None if fmt in WITHOUT_PMID else expected["pmid"])

    listed = await client.get("/v1/studies", params={"import_id": job["id"], "count": "true"})
    assert listed.json()["total"] == job["report"]["counts"]["created"]
    history = await client.get(f"/v1/studies/{by_title[next(iter(SHARED))]['study_id']}/history")
    assert [e["action"] for e in history.json()["data"]] == ["create"]
    assert history.json()["data"][0]["actor"] == "test-writer"


@pytest.mark.parametrize("fmt", FILES)
async def test_reimporting_the_same_file_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], fmt: str
) -> None:
    first = await post_import(client, writer, sample(fmt), on_error="skip")
    assert first.status_code == 200
    before = await dump(session)
    again = await post_import(client, writer, sample(fmt), on_error="skip")
    assert again.status_code == 200
    counts = again.json()["report"]["counts"]
    first_counts = first.json()["report"]["counts"]
    assert counts["created"] == counts["updated"] == 0
    assert counts["unchanged"] == first_counts["created"]
    assert counts["rejected"] == first_counts["rejected"]
    assert await dump(session) == before


@pytest.mark.parametrize("fmt", FILES)
async def test_dry_run_reports_and_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], fmt: str
) -> None:
    before = await dump(session)
    response = await post_import(client, writer, sample(fmt), dry_run=True, on_error="skip")
    assert response.status_code == 200, response.text
    report = response.json()["report"]
    assert report["dry_run"] is True
    assert report["counts"]["created"] >= 3
    assert await dump(session) == before


async def test_every_format_matches_the_same_three_studies(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str]
) -> None:
    assert (await post_import(client, writer, sample("ris"))).status_code == 200
    stored = await _studies_count(session)
    for fmt in FILES:
        response = await post_import(client, writer, sample(fmt), on_error="skip")
        records = response.json()["report"]["records"]
        shared = [r for r in records if r["title"] in SHARED]
        assert len(shared) == 3, fmt
        assert {r["status"] for r in shared} <= {"unchanged", "updated"}, (fmt, shared)
    # Only the fourth record of some files differs between formats.
    assert await _studies_count(session) - stored <= len(FILES)


async def test_updates_fill_empty_fields_and_report_conflicts(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    crossref = await post_import(client, writer, sample("crossref_json"), on_error="skip")
    created = {r["title"]: r for r in crossref.json()["report"]["records"]}
    ris = await post_import(client, writer, sample("ris"))
    records = {r["title"]: r for r in ris.json()["report"]["records"]}
    muller = records[next(iter(SHARED))]
    assert muller["status"] == "updated"
    assert "pmid" in muller["updated_fields"]
    assert muller["study_id"] == created[next(iter(SHARED))]["study_id"]
    study = (await client.get(muller["href"])).json()
    assert study["pmid"] == "99999901"

    changed = sample("ris").replace(b"VL  - 12", b"VL  - 13")
    conflicting = await post_import(client, writer, changed)
    record = {r["title"]: r for r in conflicting.json()["report"]["records"]}[next(iter(SHARED))]
    assert record["status"] == "unchanged"
    assert record["conflicts"] == [{"field": "volume", "stored": "12", "incoming": "13"}]
    assert (await client.get(muller["href"])).json()["volume"] == "12"


async def test_repeats_within_a_file_and_probable_duplicates(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str]
) -> None:
    ris = sample("ris").decode()
    first_record = ris.split("ER  - ")[0] + "ER  - \n"
    twice = (first_record + "\n" + first_record).encode()
    response = await post_import(client, writer, twice)
    records = response.json()["report"]["records"]
    assert [r["status"] for r in records] == ["created", "duplicate"]
    assert records[1]["duplicate_of"] == 0
    assert records[1]["study_id"] == records[0]["study_id"]

    # Same title and year, no shared identifier, a different journal: not created again.
    other = first_record.replace("DO  - 10.5555/fictderm.2019.0012\n", "")
    other = other.replace("AN  - 99999901\n", "").replace("C2  - PMC99999901\n", "")
    other = other.replace("T2  - Journal of Fictional Dermatology", "T2  - Another Journal")
    count = await _studies_count(session)
    probable = await post_import(client, writer, other.encode())
    (record,) = probable.json()["report"]["records"]
    assert record["status"] == "duplicate"
    assert record["study_id"] == records[0]["study_id"]
    assert "same title and year" in record["reason"]
    assert await _studies_count(session) == count


async def test_one_rejected_record_rejects_the_file(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str]
) -> None:
    bad = sample("ris").replace(b"DO  - 10.5555/fictderm.2019.0012", b"DO  - not-a-doi")
    before = await dump(session)
    response = await post_import(client, writer, bad)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"][0]["field"] == "records[0].doi"
    assert "not a DOI" in problem["errors"][0]["reason"]
    report = problem["import"]["report"]
    assert report["counts"]["rejected"] == 1
    assert (
        report["records"][0] | {"status": "rejected", "field": "doi", "line": 1}
        == report["records"][0]
    )
    assert await dump(session) == before

    skipped = await post_import(client, writer, bad, on_error="skip")
    assert skipped.status_code == 200
    counts = skipped.json()["report"]["counts"]
    assert (counts["rejected"], counts["created"]) == (1, 3)


async def test_suspicious_values_import_with_warnings(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    odd = sample("ris").replace(b"SP  - 145\nEP  - 152", b"SP  - 152\nEP  - 145")
    odd = odd.replace(b"SP  - 1\nEP  - 20", b"SP  - 1\nEP  - 900")
    response = await post_import(client, writer, odd)
    assert response.status_code == 200, response.text
    warned = {
        r["title"][:20]: [w["code"] for w in r["warnings"]]
        for r in response.json()["report"]["records"]
        if r["warnings"]
    }
    assert warned == {
        "Synthetic test study": ["page_range_reversed"],
        "Imaginary meta-analy": ["page_span_implausible"],
    }


async def test_idempotency_key_replays_the_first_result(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str]
) -> None:
    headers = {**writer, "Idempotency-Key": "import-2026-11-28-a"}
    first = await post_import(client, headers, sample("ris"))
    assert first.status_code == 200
    count = await _studies_count(session)
    jobs = await session.scalar(select(func.count()).select_from(ImportJob))
    again = await post_import(client, headers, sample("ris"))
    assert again.status_code == 200
    assert again.json() == first.json()
    assert await _studies_count(session) == count
    assert await session.scalar(select(func.count()).select_from(ImportJob)) == jobs

    different = await post_import(client, headers, sample("bibtex"))
    assert different.status_code == 422
    assert "Idempotency-Key" in different.json()["detail"]


async def test_format_from_parameter_or_content_type(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    typed = {**writer, "Content-Type": "application/x-research-info-systems"}
    by_type = await client.post("/v1/imports", content=sample("ris"), headers=typed)
    assert by_type.json()["format"] == "ris"
    wrong = await post_import(client, writer, sample("ris"), format="bibtex")
    assert wrong.status_code == 422


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"just some words, no references at all", "text/plain", 415),
        ("TY  - JOUR\nTI  - Caf\u00e9\nER  - \n".encode("latin-1"), "text/plain", 422),
        (b"", "text/plain", 415),
        (b"TY  - JOUR\nTI  - x\nER  - \n", "text/plain; charset=klingon", 415),
    ],
)
async def test_unreadable_bodies(
    client: httpx.AsyncClient,
    session: AsyncSession,
    writer: dict[str, str],
    body: bytes,
    content_type: str,
    status: int,
) -> None:
    before = await dump(session)
    response = await client.post(
        "/v1/imports", content=body, headers={**writer, "Content-Type": content_type}
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await dump(session) == before


async def test_declared_charset_is_honoured(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    record = "TY  - JOUR\nAU  - Müller, Hans\nTI  - A latin-1 record\nPY  - 2020\nER  - \n"
    headers = {**writer, "Content-Type": "application/x-research-info-systems; charset=latin-1"}
    response = await client.post("/v1/imports", content=record.encode("latin-1"), headers=headers)
    assert response.status_code == 200, response.text
    study = (await client.get(response.json()["report"]["records"][0]["href"])).json()
    assert study["authors"] == [{"family": "Müller", "given": "Hans"}]


async def test_imports_need_a_write_key(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/imports", content=sample("ris"))
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.fixture
async def small_client(
    engine: AsyncEngine, session: AsyncSession, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with a 2 kB body limit, on the test's transaction."""
    app = create_app(settings.model_copy(update={"import_max_bytes": 2_000}), engine=engine)

    async def _test_session() -> AsyncIterator[AsyncSession]:
        yield session

    app.dependency_overrides[get_session] = _test_session
    app.dependency_overrides[get_reader] = reader_on(session)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_bodies_over_the_maximum_get_413(
    small_client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str]
) -> None:
    before = await dump(session)
    response = await post_import(small_client, writer, sample("pubmed_xml"))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert await dump(session) == before
    assert (await post_import(small_client, writer, sample("ris"))).status_code == 200


async def test_import_records_audit_history(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str]
) -> None:
    response = await post_import(client, writer, sample("ris"))
    created = response.json()["report"]["counts"]["created"]
    entries = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.actor == "test-writer")
    )
    assert entries == created


BAD = sorted((SAMPLES / "bad").iterdir())
# Each bad file is sent as the format its name declares, as a script would.
DECLARED = {
    "ris": "ris", "bib": "bibtex", "nbib": "medline", "xml": "pubmed_xml",
    "csl": "csl_json", "crossref": "crossref_json",
}  # fmt: skip


def declared_format(path: Path) -> str:
    prefix = path.name.split("_")[0]
    return DECLARED.get(prefix, DECLARED.get(path.suffix.lstrip("."), "ris"))


@pytest.mark.parametrize("path", BAD, ids=[path.name for path in BAD])
async def test_malformed_files_are_refused_and_write_nothing(
    client: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str], path: Path
) -> None:
    before = await dump(session)
    response = await post_import(client, writer, path.read_bytes(), format=declared_format(path))
    assert response.status_code in (415, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"]
    if problem.get("import"):  # some records were read: the rejected ones are named
        assert problem["errors"] and all(
            e["field"].startswith("records[") for e in problem["errors"]
        )
    assert "/etc/passwd" not in response.text and "root:" not in response.text
    assert await dump(session) == before
