"""Metadata enrichment against recorded real Crossref and PubMed responses, over real HTTP.

Nothing here touches the network. A local server (``http.server`` in a thread on 127.0.0.1)
replays the responses recorded in tests/samples/enrich/ (where each came from is in its
README): Crossref works from VCR cassettes, by request path; PubMed efetch XML, by the PMIDs
it holds. Tests script failures ahead of the recorded reply (503s, a 429 with Retry-After, a
reply slower than the timeout) and read the requests the server saw.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.auth.keys import COMMAND_LINE
from app.citations.enrich import (
    MAX_RETRY_AFTER_SECONDS,
    EnrichClient,
    FetchFailed,
    NotFound,
    Outcome,
    StudyResult,
    _retry_after,
    describe,
    enrich_studies,
    enrich_study,
)
from app.citations.store import title_key
from app.config import Settings
from app.models import AuditEntry, Study
from tests.conftest import client_on_transaction
from tests.databases import fresh_database
from tests.factories import make_study, unique

SAMPLES = Path(__file__).parent / "samples" / "enrich"
CROSSREF_CASSETTES = sorted((SAMPLES / "crossref").glob("*.yaml"))
PUBMED_XML = SAMPLES / "eutils" / "pubmed2.xml"
CROSSREF_DOI = "10.1371/journal.pone.0033693"
UNKNOWN_DOI = "10.1371/notarealdoi"  # Crossref answered 404 for it
PMIDS = ("11748933", "11700088")  # the two articles in PUBMED_XML
MAILTO = "evidence-team@example.org"
COMMAND = str(Path(sys.executable).parent / "hair-evidence")


# -- the local server ------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering


@dataclass
class Seen:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    at: float  # time.monotonic() when the request arrived


def _cassette_replies() -> dict[str, Reply]:
    """``/works/<doi>`` -> the recorded reply (body as VCR decoded it, so no Content-Encoding)."""
    replies = {}
    for path in CROSSREF_CASSETTES:
        for interaction in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
            response = interaction["response"]
            content_type = response["headers"]["content-type"][0]
            replies[unquote(urlsplit(interaction["request"]["uri"]).path)] = Reply(
                response["status_code"],
                response["content"].encode("utf-8"),
                {"Content-Type": f"{content_type}; charset=utf-8"},
            )
    return replies


class Recorded:
    """What the server replays, what it was told to fail with first, and what it saw."""

    def __init__(self) -> None:
        self.crossref = _cassette_replies()
        self.efetch = {pmid: PUBMED_XML for pmid in PMIDS}
        self.scripted: dict[str, list[Reply]] = {"crossref": [], "eutils": []}
        self.seen: list[Seen] = []
        self.base = ""
        self._lock = threading.Lock()

    def fail_first(self, service: str, *replies: Reply) -> None:
        """Answer the next requests to ``service`` ("crossref", "eutils") with these."""
        with self._lock:
            self.scripted[service].extend(replies)

    def requests_to(self, service: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path.startswith(f"/{service}/")]

    def answer(self, raw_path: str, headers: dict[str, str]) -> Reply:
        parts = urlsplit(raw_path)
        path, query = unquote(parts.path), parse_qs(parts.query)
        service = path.split("/")[1]
        with self._lock:
            self.seen.append(Seen(path, query, headers, time.monotonic()))
            if self.scripted.get(service):
                return self.scripted[service].pop(0)
        if service == "crossref":
            return self.crossref.get(path.removeprefix("/crossref"), Reply(404))
        if path == "/eutils/efetch.fcgi" and query.get("db") == ["pubmed"]:
            sample = self.efetch.get(query.get("id", [""])[0])
            if sample is not None:
                return Reply(200, sample.read_bytes(), {"Content-Type": "text/xml; charset=UTF-8"})
        return Reply(404)


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_GET(self) -> None:
        reply = self.server.recorded.answer(
            self.path, {name.lower(): value for name, value in self.headers.items()}
        )
        if reply.delay:
            time.sleep(reply.delay)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, recorded: Recorded) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.recorded = recorded

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is part of the test, not an error


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    recorded = Recorded()
    server = _Server(recorded)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    recorded.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield recorded
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def settings_for(recorded: Recorded, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "enrich_crossref_base_url": f"{recorded.base}/crossref",
        "enrich_eutils_base_url": f"{recorded.base}/eutils",
        "enrich_timeout_seconds": 5.0,
        "enrich_retries": 3,
        "enrich_backoff_seconds": 0.0,
        "enrich_mailto": None,
    }
    return Settings(**(values | overrides))


def client_for(recorded: Recorded, **overrides: Any) -> EnrichClient:
    return EnrichClient.from_settings(settings_for(recorded, **overrides))


# -- what the recorded files say, read without the code under test ---------------------------


def crossref_work() -> dict[str, Any]:
    path = SAMPLES / "crossref" / "test_works_with_one_id.yaml"
    interaction = yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"][0]
    message: dict[str, Any] = json.loads(interaction["response"]["content"])["message"]
    return message


def pubmed_article(pmid: str) -> ET.Element:
    root = ET.fromstring(PUBMED_XML.read_bytes())
    for article in root.iter("PubmedArticle"):
        if article.findtext("MedlineCitation/PMID") == pmid:
            return article
    raise AssertionError(f"PMID {pmid} is not in {PUBMED_XML}")


def text(element: ET.Element, path: str) -> str:
    found = element.find(path)
    assert found is not None, path
    return " ".join("".join(found.itertext()).split())


async def audit_entries(session: AsyncSession, study: Study) -> list[AuditEntry]:
    entries = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.resource == "studies", AuditEntry.resource_id == study.id)
        .order_by(AuditEntry.id)
    )
    return list(entries)


async def bare_study(session: AsyncSession, **identifiers: Any) -> Study:
    """A study that has only its identifiers and a stored title: everything else is empty."""
    return await make_study(session, authors=(), journal=None, year=None, **identifiers)


# -- filling ----------------------------------------------------------------------------------


async def test_crossref_fills_the_empty_fields_from_the_recorded_work(
    session: AsyncSession, recorded: Recorded
) -> None:
    study = await bare_study(session, doi=CROSSREF_DOI)
    study.title = ""  # an empty title is filled too (and its key follows)
    await session.flush()

    async with client_for(recorded) as client:
        changes = await enrich_study(session, study, client, COMMAND_LINE)

    work = crossref_work()
    assert study.title == " ".join(work["title"][0].split())
    assert study.title_key == title_key(study.title)
    assert study.journal == work["container-title"][0] == "PLoS ONE"
    assert study.year == work["issued"]["date-parts"][0][0] == 2012
    assert study.volume == work["volume"] == "7"
    assert study.issue == work["issue"] == "3"
    assert study.pages == work["page"] == "e33693"
    assert study.url == work["URL"]
    assert [(a.family, a.given) for a in study.authors] == [
        (a["family"], " ".join(a["given"].split())) for a in work["author"]
    ]
    assert (study.doi, study.doi_key) == (CROSSREF_DOI, CROSSREF_DOI.lower())
    assert study.abstract is None and study.pmid is None  # the work has neither
    assert set(changes) == {
        "title", "journal", "year", "volume", "issue", "pages", "url", "authors",
    }  # fmt: skip
    assert changes["journal"] == (None, "PLoS ONE")

    [entry] = await audit_entries(session, study)
    assert (entry.action, entry.actor, entry.key_id) == ("update", "command line", None)
    assert entry.resource_key == str(study.id)
    assert set(entry.changes) == set(changes)
    assert entry.changes["year"] == {"from": None, "to": 2012}
    assert entry.changes["authors"]["to"][0] == {"family": "Sadasivan", "given": "Shankar"}

    [request] = recorded.requests_to("crossref")
    assert request.path == f"/crossref/works/{CROSSREF_DOI}"


async def test_stored_fields_are_never_overwritten(
    session: AsyncSession, recorded: Recorded
) -> None:
    study = await make_study(
        session, doi=CROSSREF_DOI, title="A title as we stored it", journal="Stored Journal",
        year=2011, volume="70",
    )  # fmt: skip
    stored = {name: getattr(study, name) for name in ("title", "journal", "year", "volume")}

    async with client_for(recorded) as client:
        [result] = (
            await enrich_studies(session, client, COMMAND_LINE, study_ids=[study.id])
        ).results

    assert {name: getattr(study, name) for name in stored} == stored
    assert [(a.family, a.given) for a in study.authors] == [("Doe", "J."), ("Roe", "R.")]
    assert result.outcome is Outcome.updated
    assert set(result.changes) == {"issue", "pages", "url"}
    assert set(result.conflicts) == {"title", "journal", "year", "volume"}
    assert result.conflicts["journal"] == ("Stored Journal", "PLoS ONE")
    assert "kept the stored journal, title, volume, year" in describe(result)
    [entry] = await audit_entries(session, study)
    assert set(entry.changes) == {"issue", "pages", "url"}

    # Run again: nothing is empty that the record could fill, and nothing is written.
    async with client_for(recorded) as client:
        assert await enrich_study(session, study, client, COMMAND_LINE) == {}
    assert len(await audit_entries(session, study)) == 1


@pytest.mark.parametrize("pmid", PMIDS)
async def test_pubmed_by_pmid(session: AsyncSession, recorded: Recorded, pmid: str) -> None:
    created = await bare_study(session, pmid=pmid)
    study_id = created.id
    session.expunge(created)  # loaded afresh, without its authors: enrich_study loads them
    study = await session.get(Study, study_id)
    assert study is not None

    async with client_for(recorded, enrich_mailto=MAILTO) as client:
        changes = await enrich_study(session, study, client, COMMAND_LINE)

    article = pubmed_article(pmid)  # the file holds two articles: the one asked for is used
    assert study.journal == text(article, ".//Journal/Title")
    assert study.year == int(text(article, ".//JournalIssue/PubDate/Year"))
    assert study.volume == text(article, ".//JournalIssue/Volume")
    assert study.issue == text(article, ".//JournalIssue/Issue")
    first, _, last = text(article, ".//Pagination/MedlinePgn").partition("-")
    # MEDLINE abbreviates the last page ("244-55"); normalising expands it.
    assert study.pages == f"{first}-{first[: len(first) - len(last)]}{last}"
    assert study.abstract == text(article, ".//Abstract/AbstractText")
    doi = text(article, ".//ArticleId[@IdType='doi']")
    assert (study.doi, study.doi_key) == (doi, doi.lower())
    assert [(a.family, a.given) for a in study.authors] == [
        (text(author, "LastName"), text(author, "ForeName"))
        for author in article.iterfind(".//AuthorList/Author")
    ]
    assert study.title != text(article, ".//ArticleTitle")  # stored, so kept
    assert {"journal", "year", "volume", "issue", "pages", "abstract", "doi", "authors"} <= set(
        changes
    )
    # Whatever normalising noticed is kept only about values filled here.
    assert all(warning["field"] in changes for warning in study.warnings)
    assert len(await audit_entries(session, study)) == 1

    [request] = recorded.requests_to("eutils")
    assert request.path == "/eutils/efetch.fcgi"
    assert request.query == {
        "db": ["pubmed"], "id": [pmid], "retmode": ["xml"], "tool": ["hair-evidence"],
        "email": [MAILTO],
    }  # fmt: skip


async def test_an_identifier_another_study_holds_is_not_filled(
    session: AsyncSession, recorded: Recorded
) -> None:
    doi = text(pubmed_article(PMIDS[0]), ".//ArticleId[@IdType='doi']")
    holder = await make_study(session, doi=doi)
    study = await bare_study(session, pmid=PMIDS[0])

    async with client_for(recorded) as client:
        [result] = (
            await enrich_studies(session, client, COMMAND_LINE, study_ids=[study.id])
        ).results

    assert result.outcome is Outcome.updated
    assert study.doi is None and "doi" not in result.changes
    assert result.taken == {"doi": (doi, holder.id)}
    assert f"doi {doi} not filled: study {holder.id} has it" in describe(result)
    assert study.journal == "Cryobiology"


# -- not found, retries, failures -------------------------------------------------------------


async def test_404_is_not_found_and_changes_nothing(
    session: AsyncSession, recorded: Recorded
) -> None:
    study = await bare_study(session, doi=UNKNOWN_DOI)

    async with client_for(recorded) as client:
        with pytest.raises(NotFound, match=f"Crossref has no record of DOI {UNKNOWN_DOI}"):
            await enrich_study(session, study, client, COMMAND_LINE)

    assert (study.journal, study.year, study.authors) == (None, None, [])
    assert await audit_entries(session, study) == []
    assert len(recorded.requests_to("crossref")) == 1  # a 404 is an answer: never retried


async def test_503_then_200_is_retried_and_succeeds(
    session: AsyncSession, recorded: Recorded
) -> None:
    study = await bare_study(session, doi=CROSSREF_DOI)
    recorded.fail_first("crossref", Reply(503), Reply(503))

    async with client_for(recorded, enrich_retries=3) as client:
        changes = await enrich_study(session, study, client, COMMAND_LINE)

    assert study.journal == "PLoS ONE" and "journal" in changes
    paths = [seen.path for seen in recorded.requests_to("crossref")]
    assert paths == [f"/crossref/works/{CROSSREF_DOI}"] * 3


async def test_429_waits_as_long_as_retry_after_says(
    session: AsyncSession, recorded: Recorded
) -> None:
    study = await bare_study(session, doi=CROSSREF_DOI)
    recorded.fail_first("crossref", Reply(429, b"slow down", {"Retry-After": "1"}))

    # No backoff of its own: any wait comes from Retry-After.
    async with client_for(recorded, enrich_backoff_seconds=0.0) as client:
        await enrich_study(session, study, client, COMMAND_LINE)

    first, second = recorded.requests_to("crossref")
    assert second.at - first.at >= 0.95
    assert study.journal == "PLoS ONE"


async def test_a_reply_slower_than_the_timeout_is_retried(
    session: AsyncSession, recorded: Recorded
) -> None:
    study = await bare_study(session, doi=CROSSREF_DOI)
    recorded.fail_first("crossref", Reply(200, b"{}", delay=1.0))

    async with client_for(recorded, enrich_timeout_seconds=0.3) as client:
        await enrich_study(session, study, client, COMMAND_LINE)

    assert len(recorded.requests_to("crossref")) == 2
    assert study.journal == "PLoS ONE"


async def test_retries_exhausted_is_reported_and_changes_nothing(
    session: AsyncSession, recorded: Recorded
) -> None:
    failing = await bare_study(session, doi=CROSSREF_DOI)
    other = await bare_study(session, pmid=PMIDS[1])
    recorded.fail_first("crossref", *[Reply(503)] * 10)
    seen: list[tuple[StudyResult, int]] = []

    async with client_for(recorded, enrich_retries=2) as client:
        with pytest.raises(FetchFailed, match=r"after 3 attempts at Crossref \(last: HTTP 503\)"):
            await enrich_study(session, failing, client, COMMAND_LINE)
        assert len(recorded.requests_to("crossref")) == 3

        report = await enrich_studies(
            session, client, COMMAND_LINE, study_ids=[failing.id, other.id],
            progress=lambda result, total: seen.append((result, total)),
        )  # fmt: skip

    failed, updated = report.results
    assert (failed.study_id, failed.outcome) == (failing.id, Outcome.failed)
    assert "network error after 3 attempts at Crossref (last: HTTP 503)" in (failed.reason or "")
    assert describe(failed).startswith(f"study {failing.id}: failed: network error")
    assert (failing.journal, failing.authors) == (None, [])
    assert await audit_entries(session, failing) == []
    # One study's failure does not stop the walk.
    assert (updated.study_id, updated.outcome) == (other.id, Outcome.updated)
    assert [(result.study_id, total) for result, total in seen] == [(failing.id, 2), (other.id, 2)]


async def test_an_unreachable_server_is_a_network_error(
    session: AsyncSession, recorded: Recorded
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    study = await bare_study(session, doi=CROSSREF_DOI)

    async with client_for(recorded, enrich_crossref_base_url=closed, enrich_retries=1) as client:
        with pytest.raises(FetchFailed, match=r"after 2 attempts at Crossref \(last: ConnectError"):
            await enrich_study(session, study, client, COMMAND_LINE)
    assert study.journal is None


async def test_another_client_error_is_not_retried(
    session: AsyncSession, recorded: Recorded
) -> None:
    study = await bare_study(session, doi=CROSSREF_DOI)
    recorded.fail_first("crossref", Reply(400, b"bad request"))

    async with client_for(recorded) as client:
        with pytest.raises(FetchFailed, match=r"Crossref answered HTTP 400 \(not retried\)"):
            await enrich_study(session, study, client, COMMAND_LINE)
    assert len(recorded.requests_to("crossref")) == 1


def test_retry_after_reads_seconds_and_dates_and_is_capped() -> None:
    def wait(status: int, value: str) -> float | None:
        return _retry_after(httpx.Response(status, headers={"Retry-After": value}))

    assert wait(429, "7") == 7.0
    assert wait(503, "0") == 0.0
    assert wait(500, "7") is None  # only 429 and 503 carry it
    assert wait(429, "soon") is None
    in_30s = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (wait(503, in_30s) or 0) <= 30
    assert wait(429, "86400") == MAX_RETRY_AFTER_SECONDS


# -- being polite -----------------------------------------------------------------------------


async def test_mailto_and_tool_are_sent(session: AsyncSession, recorded: Recorded) -> None:
    crossref_study = await bare_study(session, doi=CROSSREF_DOI)
    pubmed_study = await bare_study(session, pmid=PMIDS[0])

    async with client_for(recorded, enrich_mailto=MAILTO) as client:
        await enrich_study(session, crossref_study, client, COMMAND_LINE)
        await enrich_study(session, pubmed_study, client, COMMAND_LINE)

    [crossref] = recorded.requests_to("crossref")
    assert crossref.query == {"mailto": [MAILTO]}
    agent = crossref.headers["user-agent"]
    assert agent.startswith("hair-evidence/") and f"mailto:{MAILTO}" in agent
    [efetch] = recorded.requests_to("eutils")
    assert efetch.query["tool"] == ["hair-evidence"]
    assert efetch.query["email"] == [MAILTO]


async def test_without_mailto_no_contact_is_sent(session: AsyncSession, recorded: Recorded) -> None:
    crossref_study = await bare_study(session, doi=CROSSREF_DOI)
    pubmed_study = await bare_study(session, pmid=PMIDS[0])

    async with client_for(recorded, enrich_mailto=None) as client:
        await enrich_study(session, crossref_study, client, COMMAND_LINE)
        await enrich_study(session, pubmed_study, client, COMMAND_LINE)

    [crossref] = recorded.requests_to("crossref")
    assert crossref.query == {}
    assert "mailto" not in crossref.headers["user-agent"]
    [efetch] = recorded.requests_to("eutils")
    assert "email" not in efetch.query
    assert efetch.query["tool"] == ["hair-evidence"]


# -- walking the studies ----------------------------------------------------------------------


async def test_enrich_studies_walks_what_it_can_and_says_why_not(
    session: AsyncSession, recorded: Recorded
) -> None:
    by_doi = await bare_study(session, doi=CROSSREF_DOI)
    by_pmid = await bare_study(session, pmid=PMIDS[0])
    unknown = await bare_study(session, doi=UNKNOWN_DOI)
    no_identifier = await bare_study(session)
    complete = await make_study(
        session, doi=f"10.5555/{unique('doi')}", pmid=unique("pmid"), pmcid=unique("pmcid"),
        volume="1", issue="2",
        pages="3-4", url="https://example.org/complete", abstract="Complete.",
    )  # fmt: skip
    asked = [by_doi.id, by_pmid.id, unknown.id, no_identifier.id, complete.id, 2_000_000_000]

    async with client_for(recorded) as client:
        report = await enrich_studies(session, client, COMMAND_LINE, study_ids=asked)

    outcomes = {result.study_id: (result.outcome, result.reason) for result in report.results}
    assert outcomes == {
        by_doi.id: (Outcome.updated, None),
        by_pmid.id: (Outcome.updated, None),
        unknown.id: (Outcome.not_found, f"Crossref has no record of DOI {UNKNOWN_DOI}"),
        no_identifier.id: (Outcome.skipped, "no DOI or PMID to look up"),
        complete.id: (Outcome.skipped, "no empty field to fill"),
        2_000_000_000: (Outcome.skipped, "no such study"),
    }
    assert report.counts == {
        Outcome.updated: 2, Outcome.unchanged: 0, Outcome.not_found: 1, Outcome.failed: 0,
        Outcome.skipped: 3,
    }  # fmt: skip
    lines = {result.study_id: describe(result) for result in report.results}
    assert lines[by_doi.id].startswith(f"study {by_doi.id}: filled authors, issue, journal")
    assert f"from Crossref DOI {CROSSREF_DOI}; kept the stored title" in lines[by_doi.id]
    assert lines[by_pmid.id].startswith(
        f"study {by_pmid.id}: filled abstract, authors, doi, issue, journal, pages, volume, year "
        f"from PubMed PMID {PMIDS[0]}"
    )
    assert lines[unknown.id] == (
        f"study {unknown.id}: not found: Crossref has no record of DOI {UNKNOWN_DOI}"
    )


async def test_enrich_studies_limit(session: AsyncSession, recorded: Recorded) -> None:
    first = await bare_study(session, doi=CROSSREF_DOI)
    second = await bare_study(session, pmid=PMIDS[0])

    async with client_for(recorded) as client:
        report = await enrich_studies(
            session, client, COMMAND_LINE, study_ids=[first.id, second.id], limit=1
        )

    assert [result.study_id for result in report.results] == [first.id]
    assert second.journal is None
    assert recorded.requests_to("eutils") == []


async def test_pubmed_is_asked_by_pmid_when_crossref_has_no_such_doi(
    session: AsyncSession, recorded: Recorded
) -> None:
    study = await bare_study(session, doi=UNKNOWN_DOI, pmid=PMIDS[1])

    async with client_for(recorded) as client:
        [result] = (
            await enrich_studies(session, client, COMMAND_LINE, study_ids=[study.id])
        ).results

    assert result.outcome is Outcome.updated
    assert result.source == f"PubMed PMID {PMIDS[1]}"
    assert study.doi == UNKNOWN_DOI  # stored: the PubMed DOI differs and is not applied
    assert "doi" in result.conflicts
    assert study.journal == text(pubmed_article(PMIDS[1]), ".//Journal/Title")


# -- the command ------------------------------------------------------------------------------


def _run(env: dict[str, str], *args: str, expect: int = 0) -> str:
    result = subprocess.run(
        [COMMAND, *args], env={**os.environ, **env}, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == expect, result.stdout + result.stderr
    return result.stdout


def test_resolve_command(recorded: Recorded, tmp_path: Path) -> None:
    url = fresh_database("sqlite", tmp_path, "hair_evidence_resolve")
    env = {
        "DATABASE_URL": url,
        "HAIR_EVIDENCE_ENRICH_CROSSREF_BASE_URL": f"{recorded.base}/crossref",
        "HAIR_EVIDENCE_ENRICH_EUTILS_BASE_URL": f"{recorded.base}/eutils",
        "HAIR_EVIDENCE_ENRICH_BACKOFF_SECONDS": "0",
        "HAIR_EVIDENCE_ENRICH_MAILTO": MAILTO,
    }
    _run(env, "db", "upgrade")
    references = tmp_path / "references.json"
    references.write_text(
        json.dumps(
            [
                {"type": "article-journal", "title": "Known to Crossref", "DOI": CROSSREF_DOI},
                {"type": "article-journal", "title": "Unknown to Crossref", "DOI": UNKNOWN_DOI},
            ]
        ),
        encoding="utf-8",
    )
    _run(env, "import", str(references), "--format", "csl_json")

    out = _run(env, "resolve").splitlines()
    assert out[0].startswith("study 1: filled authors, issue, journal, pages, url, volume, year")
    assert f"from Crossref DOI {CROSSREF_DOI}; kept the stored title" in out[0]
    assert out[1] == f"study 2: not found: Crossref has no record of DOI {UNKNOWN_DOI}"
    assert out[-1] == "resolve: 1 updated, 0 unchanged, 1 not found, 0 failed, 0 skipped"
    assert recorded.requests_to("crossref")[0].query == {"mailto": [MAILTO]}

    out = _run(env, "resolve", "--study", "1", "99", "--limit", "5").splitlines()
    assert out == [
        "study 99: skipped: no such study",
        f"study 1: nothing to fill from Crossref DOI {CROSSREF_DOI}; kept the stored title "
        "(the record differs)",
        "resolve: 0 updated, 1 unchanged, 0 not found, 0 failed, 1 skipped",
    ]

    recorded.fail_first("crossref", Reply(503), Reply(503))
    failed_env = {**env, "HAIR_EVIDENCE_ENRICH_RETRIES": "1"}
    out = _run(failed_env, "resolve", "--study", "2", expect=1).splitlines()
    assert out == [
        "study 2: failed: network error after 2 attempts at Crossref (last: HTTP 503)",
        "resolve: 0 updated, 0 unchanged, 0 not found, 1 failed, 0 skipped",
    ]
    _run(env, "resolve", "--limit", "0", expect=2)


async def test_an_import_can_resolve_what_its_file_left_empty(
    session: AsyncSession, recorded: Recorded, engine: AsyncEngine, writer: dict[str, str]
) -> None:
    body = f"TY  - JOUR\nTI  - A record with only a DOI\nDO  - {CROSSREF_DOI}\nER  - \n"
    async with client_on_transaction(settings_for(recorded), engine, session) as client:
        response = await client.post(
            "/v1/imports", content=body, headers=writer, params={"resolve": "true"}
        )
        assert response.status_code == 200, response.text
        report = response.json()["report"]
        (record,) = report["records"]
        assert record["status"] == "created"
        (resolved,) = report["resolved"]
        assert resolved.startswith(f"study {record['study_id']}: filled authors, issue, journal")
        study = (await client.get(record["href"])).json()
    assert study["journal"] == crossref_work()["container-title"][0]
    assert study["title"] == "A record with only a DOI"  # what the file gave is kept
    [request] = recorded.requests_to("crossref")
    assert request.path == f"/crossref/works/{CROSSREF_DOI}"
