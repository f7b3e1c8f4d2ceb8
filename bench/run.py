"""The read-path benchmark: our service beside its ceiling and its peer, in one run.

    .venv/bin/python bench/run.py --studies 10000                 # SQLite, generated once
    .venv/bin/python bench/run.py --studies 10000 --postgres      # PostgreSQL, 1 and 2 workers
    .venv/bin/python bench/run.py --imports --imports-only        # import throughput only

One run: make (or reuse) the synthetic database; start our service (``hair-evidence serve``),
the ceiling (``bench/ceiling.py``, a bare FastAPI app returning constant JSON the size of our
study detail) and Datasette over the same SQLite file, each pinned to one core with taskset;
drive each with wrk pinned to the other core over the same paths with random ids; print
requests/s, p50 and p99 per path per server and the ratios, as medians of ``--repeat`` runs;
write every figure to ``bench/results/*.json``. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import psutil
import synthetic
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import create_engine
from app.models import Study, Treatment
from app.pagination import encode_cursor

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
RESULTS = BENCH / "results"
LUA = BENCH / "wrk" / "random_paths.lua"
BIN = Path(sys.executable).parent
PG_BASE = "postgresql://postgres@127.0.0.1:5432"
PAGE = 50
DEEP_PAGE = 1000
# Datasette's table pages at their cheapest: no suggested facets, no facets, no count.
DS_TABLE = "_nosuggest=1&_nofacet=1&_nocount=1"

# What each path measures, in the order printed.
PATHS = {
    "treatment": "treatment detail, random slug",
    "study": "study detail with findings, random id",
    "list": "studies filtered by a random design, 50 rows",
    "page1": "first page of all studies, 50 rows",
    "deep": "page 1,000 of all studies (keyset cursor), 50 rows",
    "search": "full-text search, random word, 20 hits",
    "revalidate": "study detail with findings, If-None-Match: 304",
    "evidence": "evidence summary of a random treatment",
}


# --- processes ------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    ready_path: str
    cpus: str
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start(server: Server, timeout: float = 120.0) -> None:
    """Start pinned to its cores (in its own process group) and wait until it answers."""
    if _port_busy(server.port):
        raise SystemExit(f"port {server.port} is already in use; pass --port")
    argv = ["taskset", "-c", server.cpus, *server.argv]
    with server.log.open("ab") as log:
        server.process = process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **server.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise SystemExit(f"{server.name} exited at start; see {server.log}")
        try:
            response = httpx.get(server.base + server.ready_path, timeout=60)
            if response.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{server.name} did not answer within {timeout:.0f} s")
        time.sleep(0.3)


def restart(server: Server) -> None:
    if server.process is not None:
        _stop(server.process)
    start(server)


@contextlib.contextmanager
def running(server: Server, timeout: float = 120.0) -> Iterator[Server]:
    """Started, and always stopped (its whole process group) on the way out."""
    server.log.write_bytes(b"")
    try:
        start(server, timeout)
        yield server
    finally:
        if server.process is not None:
            _stop(server.process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def _port_busy(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=0.5)
    except httpx.ConnectError:
        return False
    except httpx.HTTPError:
        return True
    return True


def _affinity(process: subprocess.Popen[bytes] | None) -> list[int]:
    if process is None:
        return []
    try:
        return sorted(os.sched_getaffinity(process.pid))
    except OSError:
        return []


def _log_errors(log: Path) -> int:
    text = log.read_text(errors="replace") if log.exists() else ""
    # Plain tracebacks, and the service's JSON log lines at ERROR or above.
    plain = re.findall(r"^Traceback|^ERROR", text, re.MULTILINE)
    return len(plain) + len(re.findall(r'"level": "(?:ERROR|CRITICAL)"', text))


# --- wrk ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkRun:
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    bytes_per_response: float
    errors: int  # socket errors, timeouts and statuses >= 400
    # CPU used during the run, in cores: the server's process tree, wrk, the database server
    # (PostgreSQL's processes) and everything else on the machine (other people's work).
    server_cores: float = 0.0
    wrk_cores: float = 0.0
    database_cores: float = 0.0
    foreign_cores: float = 0.0
    attempt: int = 1

    def as_dict(self) -> dict[str, float | int]:
        return {
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p90_ms": round(self.p90_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "max_ms": round(self.max_ms, 3),
            "requests": self.requests,
            "bytes_per_response": round(self.bytes_per_response, 1),
            "errors": self.errors,
            "server_cores": round(self.server_cores, 3),
            "wrk_cores": round(self.wrk_cores, 3),
            "database_cores": round(self.database_cores, 3),
            "foreign_cores": round(self.foreign_cores, 3),
            "attempt": self.attempt,
        }


_TICK = os.sysconf("SC_CLK_TCK")


def _busy_seconds() -> float:
    """CPU time spent not idle, all cores together, since boot (from /proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    ticks = [int(value) for value in fields[:8]]  # user .. steal; guest is inside user
    idle = ticks[3] + ticks[4]
    return (sum(ticks) - idle) / _TICK


def _tree_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    total = 0.0
    try:
        root = psutil.Process(pid)
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
    except psutil.Error:
        pass
    return total


# PostgreSQL processes count as the system under test when they serve the benchmark's
# database (or are the server's own background processes); other databases' backends (other
# people's test runs) are foreign load. Set by main() for a PostgreSQL run.
DATABASE_NAME: str | None = None
_BACKEND = re.compile(r"^postgres: [^:]+: \S+ (\S+) \S+\(\d+\)")


def _database_times() -> dict[int, float]:
    """CPU seconds of each PostgreSQL process that belongs to the benchmark, by pid."""
    if DATABASE_NAME is None:
        return {}
    times: dict[int, float] = {}
    for process in psutil.process_iter(["username", "cpu_times", "cmdline"]):
        info = process.info
        if info["username"] != "postgres" or info["cpu_times"] is None:
            continue
        backend = _BACKEND.match(" ".join(info["cmdline"] or []))
        if backend is not None and backend.group(1) != DATABASE_NAME:
            continue
        times[process.pid] = info["cpu_times"].user + info["cpu_times"].system
    return times


def _database_seconds_since(before: dict[int, float]) -> float:
    """CPU used since ``before`` by the processes alive now (exited ones are not counted)."""
    return sum(now - before.get(pid, 0.0) for pid, now in _database_times().items())


def wait_for_idle(server_pid: int | None, timeout: float) -> float:
    """Wait (at most ``timeout`` s) until the server has finished the requests a previous run
    left in flight (wrk stops sending, not the server working): under 0.05 cores for 0.5 s."""
    started = time.perf_counter()
    while server_pid is not None:
        before = _tree_seconds(server_pid)
        time.sleep(0.5)
        waited = time.perf_counter() - started
        if _tree_seconds(server_pid) - before < 0.025 or waited >= timeout:
            return waited
    return 0.0


def wait_for_quiet(server_pid: int | None, limit: float, timeout: float) -> float:
    """Wait (at most ``timeout`` s) until other processes use under ``limit`` cores over a
    second; the seconds waited."""
    started = time.perf_counter()
    while True:
        busy, server, database = _busy_seconds(), _tree_seconds(server_pid), _database_times()
        time.sleep(1.0)
        foreign = (
            _busy_seconds() - busy - (_tree_seconds(server_pid) - server)
            - _database_seconds_since(database)
        )  # fmt: skip
        waited = time.perf_counter() - started
        if foreign < limit or waited >= timeout:
            return waited


def wrk(
    base: str,
    paths_file: Path,
    duration: float,
    connections: int,
    cpus: str,
    seed: int,
    server_pid: int | None = None,
) -> WrkRun:
    options = f"-t1 -c{connections} -d{duration:g}s --latency --timeout 10s"
    argv = ["taskset", "-c", cpus, "wrk", *options.split(), "-s", str(LUA), base]
    argv += ["--", str(paths_file), str(seed)]
    with tempfile.TemporaryFile("w+") as out:
        busy, server, database = _busy_seconds(), _tree_seconds(server_pid), _database_times()
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, text=True)
        killer = threading.Timer(duration + 60, process.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)  # taskset execs wrk: same pid
        finally:
            killer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        busy = _busy_seconds() - busy
        server = _tree_seconds(server_pid) - server
        database_used = _database_seconds_since(database)
        out.seek(0)
        stdout = out.read()
    match = re.search(r"^WRKJSON (.*)$", stdout, re.MULTILINE)
    if process.returncode != 0 or match is None:
        raise SystemExit(f"wrk failed ({process.returncode}): {stdout}")
    raw = json.loads(match.group(1))
    seconds = raw["duration_us"] / 1e6
    requests = raw["requests"]
    errors = sum(
        raw[k]
        for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    client = usage.ru_utime + usage.ru_stime
    return WrkRun(
        rps=requests / seconds if seconds else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        requests=requests,
        bytes_per_response=raw["bytes"] / requests if requests else 0.0,
        errors=errors,
        server_cores=server / wall,
        wrk_cores=client / wall,
        database_cores=database_used / wall,
        foreign_cores=max(0.0, busy - server - client - database_used) / wall,
    )


def median_run(runs: Sequence[WrkRun]) -> dict[str, float | int]:
    """Each figure's median over the runs (a run's rps and p99 are taken independently)."""
    return {
        "rps": round(statistics.median(r.rps for r in runs), 1),
        "p50_ms": round(statistics.median(r.p50_ms for r in runs), 3),
        "p90_ms": round(statistics.median(r.p90_ms for r in runs), 3),
        "p99_ms": round(statistics.median(r.p99_ms for r in runs), 3),
        "max_ms": round(max(r.max_ms for r in runs), 3),
        "bytes_per_response": round(statistics.median(r.bytes_per_response for r in runs), 1),
        "errors": sum(r.errors for r in runs),
        "rps_spread_pct": round(
            100 * (max(r.rps for r in runs) - min(r.rps for r in runs)) / max(runs[0].rps, 1e-9),
            1,
        ),
        "server_cores": round(statistics.median(r.server_cores for r in runs), 3),
        "foreign_cores_max": round(max(r.foreign_cores for r in runs), 3),
    }


@dataclass
class Options:
    duration: float
    repeat: int
    warmup: float
    connections: int
    client_cpus: str
    seed: int
    # A run during which other processes used more than this many cores is run again.
    foreign_limit: float = 0.15
    retries: int = 3
    quiet_timeout: float = 60.0
    drain_timeout: float = 60.0


def measure(server: Server, files: dict[str, Path], options: Options) -> dict[str, Any]:
    """Warm every path up, then ``repeat`` rounds over all paths; medians per path.

    The machine may be shared: a run during which other processes used more than
    ``foreign_limit`` cores is retried (up to ``retries`` times, after a pause), and every
    attempt is kept in the results.
    """
    runs: dict[str, list[WrkRun]] = {name: [] for name in files}
    restarts: dict[str, int] = {name: 0 for name in files}

    def settle(after: str | None) -> int | None:
        """The server's pid once it has finished what earlier runs left in flight; a server
        still busy after ``drain_timeout`` is restarted (its queued work would otherwise be
        measured with the next path)."""
        pid = server.process.pid if server.process else None
        drained = wait_for_idle(pid, options.drain_timeout)
        if drained >= options.drain_timeout:
            print(f"    (still busy {drained:.0f} s after {after}: restarting {server.name})")
            restart(server)
            if after is not None:
                restarts[after] += 1
            pid = server.process.pid if server.process else None
        elif drained > 2:
            print(f"    (waited {drained:.0f} s for the server to finish earlier requests)")
        return pid

    previous: str | None = None
    disturbed: dict[str, list[dict[str, float | int]]] = {name: [] for name in files}
    for name, paths_file in files.items():
        if options.warmup > 0:
            settle(previous)
            previous = name
            wrk(
                server.base,
                paths_file,
                options.warmup,
                options.connections,
                options.client_cpus,
                options.seed + 999,
            )
    for round_ in range(options.repeat):
        for name, paths_file in files.items():
            for attempt in range(1, options.retries + 2):
                pid = settle(previous)
                waited = wait_for_quiet(pid, options.foreign_limit, options.quiet_timeout)
                if waited > 2:
                    print(f"    (waited {waited:.0f} s for other processes to quieten)")
                run = wrk(
                    server.base,
                    paths_file,
                    options.duration,
                    options.connections,
                    options.client_cpus,
                    options.seed + round_,
                    pid,
                )
                run = replace(run, attempt=attempt)
                noisy = run.foreign_cores > options.foreign_limit
                print(
                    f"    {server.name:<14} {name:<11} run {round_ + 1}/{options.repeat}: "
                    f"{run.rps:>9,.0f} req/s  p50 {run.p50_ms:7.2f} ms  "
                    f"p99 {run.p99_ms:7.2f} ms  server {run.server_cores:.2f} cores"
                    + (f"  ERRORS {run.errors}" if run.errors else "")
                    + (f"  (others used {run.foreign_cores:.2f} cores)" if noisy else ""),
                    flush=True,
                )
                if not noisy or attempt > options.retries:
                    break
                disturbed[name].append(run.as_dict())
            runs[name].append(run)
            previous = name
    return {
        name: {
            "median": median_run(rs),
            "runs": [r.as_dict() for r in rs],
            "disturbed_runs_retried": disturbed[name],
            "restarts_after": restarts[name],
        }
        for name, rs in runs.items()
    }


# --- data -----------------------------------------------------------------------------------


@dataclass
class Targets:
    total_studies: int
    study_ids: list[int]
    treatments: list[tuple[int, str]]  # (id, slug)
    designs: list[str]
    deep_pages: tuple[int, int]
    deep_after: list[int]  # the id just before each deep page
    page2_after: int
    search_words: list[str]


async def collect_targets(database_url: str, seed: int, sample: int) -> Targets:
    rng = random.Random(seed)
    engine = create_engine(Settings(database_url=database_url))
    try:
        async with engine.connect() as conn:
            ids = list((await conn.execute(select(Study.id).order_by(Study.id))).scalars())
            treatments = [
                (int(i), str(s))
                for i, s in await conn.execute(
                    select(Treatment.id, Treatment.slug).order_by(Treatment.id)
                )
            ]
            designs = sorted(
                str(d)
                for d in (
                    await conn.execute(
                        select(Study.design)
                        .where(Study.design.is_not(None))
                        .group_by(Study.design)
                        .having(func.count() >= PAGE)
                    )
                ).scalars()
            )
    finally:
        await engine.dispose()
    pages = len(ids) // PAGE
    first_deep = DEEP_PAGE if pages >= DEEP_PAGE + 100 else max(2, pages // 2)
    last_deep = min(first_deep + 99, pages)
    deep_after = [ids[(page - 1) * PAGE - 1] for page in range(first_deep, last_deep + 1)]
    vocab = synthetic.vocabulary(seed)
    words = rng.sample(vocab.words[100:1100], 300)
    words += [t.slug.split("-")[0] for t in vocab.treatments if not t.components][:100]
    return Targets(
        total_studies=len(ids),
        study_ids=rng.sample(ids, min(sample, len(ids))),
        treatments=treatments,
        designs=designs,
        deep_pages=(first_deep, last_deep),
        deep_after=deep_after,
        page2_after=ids[PAGE - 1],
        search_words=words,
    )


def our_paths(t: Targets) -> dict[str, list[str]]:
    return {
        "treatment": [f"/v1/treatments/{slug}" for _, slug in t.treatments],
        "study": [f"/v1/studies/{i}?expand=findings" for i in t.study_ids],
        "list": [f"/v1/studies?design={d}&limit={PAGE}" for d in t.designs],
        "page1": [f"/v1/studies?limit={PAGE}"],
        "deep": [
            f"/v1/studies?limit={PAGE}&cursor={encode_cursor('id', [after])}"
            for after in t.deep_after
        ],
        "search": [f"/v1/search?q={quote(w)}" for w in t.search_words],
        "evidence": [f"/v1/treatments/{slug}/evidence" for _, slug in t.treatments],
    }


def datasette_paths(t: Targets, db: str) -> dict[str, list[str]]:
    return {
        "treatment": [f"/{db}/treatments/{i}.json" for i, _ in t.treatments],
        "study": [f"/{db}/studies/{i}.json" for i in t.study_ids],
        "list": [f"/{db}/studies.json?design={d}&_size={PAGE}&{DS_TABLE}" for d in t.designs],
        "page1": [f"/{db}/studies.json?_size={PAGE}&{DS_TABLE}"],
        "deep": [f"/{db}/studies.json?_size={PAGE}&_next={a}&{DS_TABLE}" for a in t.deep_after],
        "search": [
            f"/{db}/search_entries.json?_search={quote(w)}&_size=20&{DS_TABLE}"
            for w in t.search_words
        ],
    }


def write_paths(directory: Path, server: str, paths: dict[str, list[str]]) -> dict[str, Path]:
    files = {}
    for name, lines in paths.items():
        path = directory / f"{server}-{name}.txt"
        path.write_text("\n".join(lines) + "\n")
        files[name] = path
    return files


def validate(
    base: str, paths: dict[str, list[str]], rng: random.Random, *, rows_key: str
) -> dict[str, Any]:
    """A few requests per path before loading it: statuses, sizes, rows; problems recorded."""
    report: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        for name, lines in paths.items():
            statuses: dict[str, int] = {}
            sizes, rows, millis = [], [], []
            for line in rng.sample(lines, min(20, len(lines))):
                path, _, etag = line.partition("\t")
                headers = {"If-None-Match": etag} if etag else {}
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                millis.append((time.perf_counter() - started) * 1000)
                statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
                sizes.append(len(response.content))
                if response.status_code == 200 and rows_key:
                    body = response.json()
                    if isinstance(body, dict) and isinstance(body.get(rows_key), list):
                        rows.append(len(body[rows_key]))
            report[name] = {
                "statuses": statuses,
                "mean_bytes": round(statistics.mean(sizes)),
                "mean_rows": round(statistics.mean(rows), 1) if rows else None,
                "single_request_ms": round(statistics.median(millis), 2),
            }
            expected = "304" if name == "revalidate" else "200"
            if set(statuses) != {expected}:
                print(f"    WARNING {base} {name}: statuses {statuses}", flush=True)
    return report


def fetch_etags(base: str, study_paths: Sequence[str], count: int) -> list[str]:
    lines = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for path in study_paths[:count]:
            response = client.get(path)
            if response.status_code == 200 and "etag" in response.headers:
                lines.append(f"{path}\t{response.headers['etag']}")
    return lines


def study_detail_bytes(base: str, study_paths: Sequence[str], count: int = 200) -> int:
    with httpx.Client(base_url=base, timeout=60) as client:
        sizes = [len(client.get(path).content) for path in study_paths[:count]]
    return int(statistics.median(sizes))


def check_cursor(base: str, t: Targets) -> None:
    """Our constructed cursors are the ones the API hands out."""
    with httpx.Client(base_url=base, timeout=60) as client:
        issued = client.get(f"/v1/studies?limit={PAGE}").json()["next_cursor"]
    built = encode_cursor("id", [t.page2_after])
    if issued != built:
        raise SystemExit(f"cursor construction differs from the API's: {built} != {issued}")


# --- database -------------------------------------------------------------------------------


async def _bench_studies(database_url: str) -> int:
    engine = create_engine(Settings(database_url=database_url))
    try:
        async with engine.connect() as conn:
            statement = select(func.count()).where(Study.doi_key.like("10.5555/bench.%"))
            return int((await conn.execute(statement)).scalar_one())
    except Exception:  # no schema yet
        return 0
    finally:
        await engine.dispose()


async def _create_pg_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"{PG_BASE}/postgres")
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def summary_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return Path(str(url.database)).with_suffix(".generate.json")
    return DATA / f"pg-{url.database}.generate.json"


def ensure_database(database_url: str, studies: int, seed: int) -> dict[str, Any]:
    """Reuse a database holding exactly this scale, else generate one (fresh files only)."""
    url = make_url(database_url)
    sqlite_file = Path(str(url.database)) if url.get_backend_name() == "sqlite" else None
    found = asyncio.run(_bench_studies(database_url))
    if found == studies:
        print(f"reusing {database_url} ({found:,} synthetic studies)", flush=True)
    else:
        if found and sqlite_file is not None and sqlite_file.is_relative_to(DATA):
            print(f"{sqlite_file} holds {found:,} synthetic studies; regenerating", flush=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        elif found:
            raise SystemExit(
                f"{database_url} holds {found:,} synthetic studies, not {studies:,}; "
                "give an empty database"
            )
        if sqlite_file is not None:
            sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable,
            str(BENCH / "generate.py"),
            "--studies",
            str(studies),
            "--database-url",
            database_url,
            "--seed",
            str(seed),
            "--summary",
            str(summary_path(database_url)),
        ]
        subprocess.run(argv, cwd=ROOT, check=True, timeout=6 * 3600)
    summary = summary_path(database_url)
    return json.loads(summary.read_text()) if summary.exists() else {}


# --- import throughput ----------------------------------------------------------------------


def import_throughput(
    records: int, formats: Sequence[str], seed: int, cpus: str, timeout: float
) -> dict[str, Any]:
    """``hair-evidence import FILE`` of ``records`` synthetic records, per format, each into a
    fresh (migrated, empty) SQLite file: wall time, records/s and the child's peak RSS."""
    directory = DATA / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    vocab = synthetic.vocabulary(seed)
    made: list[synthetic.Record] | None = None
    results: dict[str, Any] = {}
    for fmt in formats:
        writer, extension = synthetic.FORMATS[fmt]
        source = directory / f"records-{records}.{extension}"
        if not source.exists():
            if made is None:
                made = synthetic.records(vocab, 0, records, seed=seed)
            started = time.perf_counter()
            source.write_text(writer(made))  # type: ignore[operator]
            print(f"  wrote {source} in {time.perf_counter() - started:.1f} s", flush=True)
        database = directory / f"import-{fmt}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
        subprocess.run(
            [str(BIN / "hair-evidence"), "db", "upgrade"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        log = directory / f"import-{fmt}.log"
        # GNU time reports the import's own peak RSS; wait4's ru_maxrss also counts what the
        # child shared with this (large, record-generating) process between fork and exec.
        argv = [
            "/usr/bin/time",
            "-f",
            "PEAK_RSS_KB %M",
            "taskset",
            "-c",
            cpus,
            str(BIN / "hair-evidence"),
            "import",
            str(source),
            "--format",
            fmt,
        ]
        with log.open("wb") as out:
            started = time.perf_counter()
            process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=out)
            killer = threading.Timer(timeout, process.kill)
            killer.start()
            try:
                _, status, usage = os.wait4(process.pid, 0)
            finally:
                killer.cancel()
            seconds = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        process.returncode = code
        reported = re.findall(r"^PEAK_RSS_KB (\d+)$", log.read_text(errors="replace"), re.M)
        peak_kb = int(reported[-1]) if reported else usage.ru_maxrss
        with contextlib.closing(sqlite3.connect(database)) as db:
            created = db.execute(
                "SELECT count(*) FROM studies WHERE doi_key LIKE '10.5555/bench.%'"
            ).fetchone()[0]
        results[fmt] = {
            "records": records,
            "file_mb": round(source.stat().st_size / 1e6, 1),
            "seconds": round(seconds, 2),
            "records_per_s": round(records / seconds, 1),
            "peak_rss_mb": round(peak_kb / 1024, 1),
            "exit_code": code,
            "studies_created": created,
            "timed_out": code == -signal.SIGKILL,
        }
        print(
            f"  import {fmt:<14} {records:,} records: {seconds:7.1f} s  "
            f"{records / seconds:8,.0f} records/s  peak {peak_kb / 1024:7.1f} MB  "
            f"exit {code}  created {created:,}",
            flush=True,
        )
    return results


# --- report ---------------------------------------------------------------------------------


def _fmt_ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}"


def table(results: dict[str, Any], title: str) -> str:
    servers = results["servers"]
    ours = [name for name in servers if name.startswith("ours")]
    ceiling = servers.get("ceiling", {}).get("paths", {}).get("constant", {}).get("median")
    datasette = servers.get("datasette", {}).get("paths", {})
    lines = [title]
    header = f"{'path':<11}"
    for name in ours:
        header += f" | {name + ' req/s':>16} {'p50 ms':>7} {'p99 ms':>7}"
    if datasette:
        header += f" | {'datasette req/s':>16} {'p50 ms':>7} {'p99 ms':>7}"
    for name in ours:
        header += f" | {name + '/ceiling':>14}"
        if datasette:
            header += f" {name + '/datasette':>16}"
    lines += [header, "-" * len(header)]
    for path in PATHS:
        if not any(path in servers[name]["paths"] for name in ours):
            continue
        row = f"{path:<11}"
        for name in ours:
            m = servers[name]["paths"].get(path, {}).get("median")
            row += (
                f" | {m['rps']:>16,.0f} {m['p50_ms']:>7.2f} {m['p99_ms']:>7.2f}"
                if m
                else f" | {'-':>16} {'':>7} {'':>7}"
            )
        if datasette:
            d = datasette.get(path, {}).get("median")
            row += (
                f" | {d['rps']:>16,.0f} {d['p50_ms']:>7.2f} {d['p99_ms']:>7.2f}"
                if d
                else f" | {'n/a':>16} {'':>7} {'':>7}"
            )
        for name in ours:
            m = servers[name]["paths"].get(path, {}).get("median")
            ours_rps = m["rps"] if m else None
            row += f" | {_fmt_ratio(ours_rps, ceiling['rps'] if ceiling else None):>14}"
            if datasette:
                d = datasette.get(path, {}).get("median")
                row += f" {_fmt_ratio(ours_rps, d['rps'] if d else None):>16}"
        lines.append(row)
    for name, server in servers.items():
        for path, figures in server["paths"].items():
            m = figures["median"]
            if m["errors"]:
                total = sum(run["requests"] for run in figures["runs"])
                lines.append(
                    f"! {name} {path}: {m['errors']:,} errors or timeouts (> 10 s) beside "
                    f"{total:,} responses over the {len(figures['runs'])} runs"
                )
    if ceiling:
        size = servers["ceiling"]["payload_bytes"]
        raw = servers["ceiling"]["paths"].get("constant_bytes", {}).get("median")
        lines.append(
            f"ceiling: bare FastAPI route returning a constant {size:,}-byte dict: "
            f"{ceiling['rps']:,.0f} req/s, p50 {ceiling['p50_ms']:.2f} ms, "
            f"p99 {ceiling['p99_ms']:.2f} ms"
            + (
                f"; the same body pre-serialised: {raw['rps']:,.0f} req/s, "
                f"p50 {raw['p50_ms']:.2f} ms, p99 {raw['p99_ms']:.2f} ms"
                if raw
                else ""
            )
        )
    return "\n".join(lines)


def check_targets(results: dict[str, Any], baseline: dict[str, Any] | None) -> list[str]:
    """The issue's targets, each met or missed, with the figures."""
    servers = results.get("servers", {})
    out = []
    ours_name = next((n for n in servers if n.startswith("ours")), None)
    if ours_name is None:
        return _import_targets(results)
    ours = {p: v["median"] for p, v in servers[ours_name]["paths"].items()}
    ceiling = servers.get("ceiling", {}).get("paths", {}).get("constant", {}).get("median")
    ds = {p: v["median"] for p, v in servers.get("datasette", {}).get("paths", {}).items()}

    def verdict(ok: bool) -> str:
        return "met   " if ok else "MISSED"

    for path, ceiling_share, ds_times in (
        ("study", 0.5, 3.0),
        ("treatment", 0.5, 3.0),
        ("list", 0.25, 4.0),
        ("search", 0.25, 4.0),
    ):
        if path not in ours:
            continue
        rps = ours[path]["rps"]
        if ceiling:
            share = rps / ceiling["rps"]
            out.append(
                f"{verdict(share >= ceiling_share)} {path}: {share:.0%} of the ceiling "
                f"(target >= {ceiling_share:.0%})"
            )
        if path in ds:
            times = rps / ds[path]["rps"]
            out.append(
                f"{verdict(times >= ds_times)} {path}: {times:.2f}x Datasette "
                f"(target >= {ds_times:g}x)"
            )
        if path in ("study", "treatment"):
            p99 = ours[path]["p99_ms"]
            out.append(f"{verdict(p99 < 25)} {path}: p99 {p99:.1f} ms (target < 25 ms)")
    if "deep" in ours and "page1" in ours:
        ratio = ours["deep"]["rps"] / ours["page1"]["rps"]
        pages = results["targets"]["deep_pages"]
        out.append(
            f"{verdict(ratio >= 0.8)} deep page ({pages[0]}-{pages[1]}): "
            f"{ratio:.0%} of page 1's req/s (target >= 80%)"
        )
    if "revalidate" in ours and ceiling:
        share = ours["revalidate"]["rps"] / ceiling["rps"]
        out.append(f"{verdict(share >= 0.7)} 304: {share:.0%} of the ceiling (target >= 70%)")
    if "ours-1w" in servers and "ours-2w" in servers:
        one = servers["ours-1w"]["paths"]
        two = servers["ours-2w"]["paths"]
        for path in one:
            if path in two:
                gain = two[path]["median"]["rps"] / one[path]["median"]["rps"]
                out.append(
                    f"{verdict(gain >= 1.7)} 2 workers, {path}: {gain:.2f}x one worker "
                    "(target >= 1.7x)"
                )
    if baseline is not None:
        base_servers = baseline.get("servers", {})
        base_ours = base_servers.get(ours_name) or next(
            (v for k, v in base_servers.items() if k.startswith("ours")), None
        )
        base_ceiling = (
            base_servers.get("ceiling", {}).get("paths", {}).get("constant", {}).get("median")
        )
        if base_ours:
            scale = f"{baseline['studies']:,} -> {results['studies']:,} studies"
            for path, now in ours.items():
                before = base_ours["paths"].get(path, {}).get("median")
                if not before:
                    continue
                change = now["rps"] / before["rps"] - 1
                # The runs happened at different times on a shared machine: the share of each
                # run's own ceiling cancels the machine's drift between them.
                normalised = None
                if ceiling and base_ceiling:
                    normalised = (now["rps"] / ceiling["rps"]) / (
                        before["rps"] / base_ceiling["rps"]
                    ) - 1
                judged = normalised if normalised is not None else change
                out.append(
                    f"{verdict(judged >= -0.2)} {path} {scale}: {change:+.0%} req/s"
                    + (f", {normalised:+.0%} as a share of each run's ceiling" if normalised
                       is not None else "")
                    + " (target: no more than 20% slower)"
                )  # fmt: skip
    return out + _import_targets(results)


def _import_targets(results: dict[str, Any]) -> list[str]:
    def verdict(ok: bool) -> str:
        return "met   " if ok else "MISSED"

    out = []
    for fmt, figures in results.get("imports", {}).items():
        if fmt in ("ris", "pubmed_xml"):
            ok = figures["records_per_s"] >= 5000 and figures["exit_code"] == 0
            out.append(
                f"{verdict(ok)} import {fmt}: {figures['records_per_s']:,.0f} records/s "
                f"at {figures['records']:,} (target >= 5,000)"
            )
            ok = figures["peak_rss_mb"] < 300
            out.append(
                f"{verdict(ok)} import {fmt}: peak {figures['peak_rss_mb']:,.0f} MB "
                "(target < 300 MB)"
            )
    return out


def import_table(imports: dict[str, Any]) -> str:
    lines = [
        f"{'format':<14} {'records':>9} {'file MB':>8} {'seconds':>8} {'records/s':>10} "
        f"{'peak MB':>8} {'exit':>5} {'created':>9}"
    ]
    for fmt, f in imports.items():
        lines.append(
            f"{fmt:<14} {f['records']:>9,} {f['file_mb']:>8.1f} {f['seconds']:>8.1f} "
            f"{f['records_per_s']:>10,.0f} {f['peak_rss_mb']:>8.1f} {f['exit_code']:>5} "
            f"{f['studies_created']:>9,}"
        )
    return "\n".join(lines)


def _versions() -> dict[str, str]:
    names = (
        "fastapi",
        "starlette",
        "uvicorn",
        "sqlalchemy",
        "pydantic",
        "aiosqlite",
        "asyncpg",
        "datasette",
        "uvloop",
        "httptools",
        "orjson",
    )
    found = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    found["wrk"] = (wrk_version.stdout or wrk_version.stderr).split("\n")[0].strip()
    return found


def _machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "app", "migrations"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "git_commit": commit,
        "app_modified_since_commit": bool(dirty),
    }


# --- main -----------------------------------------------------------------------------------


@dataclass
class Plan:
    args: argparse.Namespace
    database_url: str
    engine: str
    workers: list[int]
    options: Options
    tmp: Path
    results: dict[str, Any] = field(default_factory=dict)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=10_000, help="scale (default 10,000)")
    parser.add_argument("--database-url", help="default: sqlite:///bench/data/bench-N.db")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help=f"use {PG_BASE}/hair_evidence_bench_N (created if missing)",
    )
    parser.add_argument(
        "--workers",
        help="comma-separated worker counts for our service "
        "(default 1 on SQLite, 1,2 on PostgreSQL)",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per path (median)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds per path, unrecorded")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--server-cpus", default="0", help="taskset list for 1-worker servers")
    parser.add_argument("--client-cpus", default="1", help="taskset list for wrk")
    parser.add_argument(
        "--foreign-limit",
        type=float,
        default=0.15,
        help="retry a run during which other processes used more cores than this",
    )
    parser.add_argument("--retries", type=int, default=3, help="retries of a disturbed run")
    parser.add_argument(
        "--quiet-timeout",
        type=float,
        default=60.0,
        help="seconds to wait, before each run, for other processes to quieten",
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=60.0,
        help="seconds to wait, before each run, for the server to finish earlier requests "
        "(then it is restarted)",
    )
    parser.add_argument("--paths", help=f"comma-separated subset of {', '.join(PATHS)}")
    parser.add_argument("--skip-datasette", action="store_true")
    parser.add_argument("--datasette-db", type=Path, help="SQLite file for Datasette (PostgreSQL)")
    parser.add_argument("--port", type=int, default=18100, help="first of the ports used")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sample", type=int, default=20_000, help="random study ids per list")
    parser.add_argument("--imports", action="store_true", help="also measure import throughput")
    parser.add_argument("--imports-only", action="store_true", help="only import throughput")
    parser.add_argument("--import-records", type=int, default=100_000)
    parser.add_argument(
        "--import-formats",
        default=",".join(synthetic.FORMATS),
        help="comma-separated (default: all six)",
    )
    parser.add_argument("--import-timeout", type=float, default=1800.0, help="seconds per import")
    parser.add_argument("--baseline", type=Path, help="results JSON of a smaller scale to compare")
    parser.add_argument(
        "--report", type=Path, help="print the report of a results JSON (with --baseline) and exit"
    )
    parser.add_argument("--out", type=Path, help="results JSON (default: bench/results/...)")
    return parser


def _reads(plan: Plan) -> None:
    args, options, results = plan.args, plan.options, plan.results
    results["generation"] = ensure_database(plan.database_url, args.studies, args.seed)
    targets = asyncio.run(collect_targets(plan.database_url, args.seed, args.sample))
    results["targets"] = {
        "total_studies": targets.total_studies,
        "random_study_ids": len(targets.study_ids),
        "treatments": len(targets.treatments),
        "designs": targets.designs,
        "deep_pages": list(targets.deep_pages),
        "search_words": len(targets.search_words),
    }
    chosen = [p for p in (args.paths.split(",") if args.paths else PATHS) if p]
    unknown = set(chosen) - set(PATHS)
    if unknown:
        raise SystemExit(f"unknown paths: {', '.join(sorted(unknown))}")
    rng = random.Random(args.seed)
    servers: dict[str, Any] = {}
    results["servers"] = servers
    port = args.port
    ours_paths = {k: v for k, v in our_paths(targets).items() if k in chosen}
    detail_bytes = 0
    for workers in plan.workers:
        name = "ours" if len(plan.workers) == 1 else f"ours-{workers}w"
        cpus = args.server_cpus if workers == 1 else ",".join(str(c) for c in range(workers))
        server = Server(
            name=name,
            argv=[
                str(BIN / "hair-evidence"),
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            # No access log, as for Datasette: each server at its best.
            env={"DATABASE_URL": plan.database_url, "HAIR_EVIDENCE_ACCESS_LOG": "false"},
            port=port,
            ready_path="/healthz",
            cpus=cpus,
            log=plan.tmp / f"{name}.log",
        )
        port += 1
        print(f"\n{name}: hair-evidence serve --workers {workers} on cpus {cpus}", flush=True)
        with running(server):
            check_cursor(server.base, targets)
            study_list = our_paths(targets)["study"]
            detail_bytes = detail_bytes or study_detail_bytes(server.base, study_list)
            paths = dict(ours_paths)
            if "revalidate" in chosen:
                paths["revalidate"] = fetch_etags(server.base, study_list, 2000)
            paths = {p: paths[p] for p in PATHS if p in paths}
            checked = validate(server.base, paths, rng, rows_key="data")
            files = write_paths(plan.tmp, name, paths)
            figures = measure(server, files, options)
            affinity = _affinity(server.process)
        servers[name] = {
            "workers": workers,
            "cpus": affinity,
            "paths": figures,
            "validation": checked,
            "log_errors": _log_errors(server.log),
        }

    if detail_bytes == 0:
        with running(
            Server(
                "size",
                [str(BIN / "hair-evidence"), "serve", "--port", str(port)],
                {"DATABASE_URL": plan.database_url},
                port,
                "/healthz",
                args.server_cpus,
                plan.tmp / "size.log",
            )
        ) as server:
            detail_bytes = study_detail_bytes(server.base, our_paths(targets)["study"])
        port += 1
    ceiling = Server(
        name="ceiling",
        argv=[
            str(BIN / "uvicorn"),
            "bench.ceiling:app",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env={"BENCH_CEILING_BYTES": str(detail_bytes)},
        port=port,
        ready_path="/healthz",
        cpus=args.server_cpus,
        log=plan.tmp / "ceiling.log",
    )
    port += 1
    print(f"\nceiling: constant {detail_bytes:,}-byte JSON on cpus {args.server_cpus}", flush=True)
    study_paths = our_paths(targets)["study"]
    ceiling_paths = {
        "constant": study_paths,
        "constant_bytes": [f"/_bytes{p}" for p in study_paths],
    }
    with running(ceiling):
        checked = validate(ceiling.base, ceiling_paths, rng, rows_key="")
        files = write_paths(plan.tmp, "ceiling", ceiling_paths)
        figures = measure(ceiling, files, options)
        affinity = _affinity(ceiling.process)
    servers["ceiling"] = {
        "payload_bytes": detail_bytes,
        "cpus": affinity,
        "paths": figures,
        "validation": checked,
        "log_errors": _log_errors(ceiling.log),
    }

    datasette_file = args.datasette_db
    if plan.engine == "sqlite" and datasette_file is None:
        datasette_file = Path(str(make_url(plan.database_url).database))
    if args.skip_datasette or datasette_file is None:
        return
    db = datasette_file.stem
    metadata_file = plan.tmp / "datasette-metadata.json"
    # Table search is Datasette's only search: point search_entries at the FTS5 index the
    # migration builds (external content, so Datasette cannot detect it by itself).
    metadata_file.write_text(
        json.dumps(
            {
                "databases": {
                    db: {"tables": {"search_entries": {"fts_table": "search_fts", "fts_pk": "id"}}}
                }
            }
        )
    )
    datasette = Server(
        name="datasette",
        argv=[
            str(BIN / "uvicorn"),
            "bench.datasette_app:app",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env={
            "BENCH_DATASETTE_DB": str(datasette_file.resolve()),
            "BENCH_DATASETTE_METADATA": str(metadata_file),
            "BENCH_DATASETTE_SETTINGS": json.dumps({"suggest_facets": False}),
        },
        port=port,
        ready_path="/-/versions.json",
        cpus=args.server_cpus,
        log=plan.tmp / "datasette.log",
    )
    print(f"\ndatasette: -i {datasette_file} on cpus {args.server_cpus}", flush=True)
    ds_paths = {k: v for k, v in datasette_paths(targets, db).items() if k in chosen}
    with running(datasette, timeout=600):
        httpx.get(datasette.base + f"/{db}.json", timeout=600)  # table counts, computed once
        checked = validate(datasette.base, ds_paths, rng, rows_key="rows")
        files = write_paths(plan.tmp, "datasette", ds_paths)
        figures = measure(datasette, files, options)
        affinity = _affinity(datasette.process)
    servers["datasette"] = {
        "file": str(datasette_file),
        "cpus": affinity,
        "paths": figures,
        "validation": checked,
        "log_errors": _log_errors(datasette.log),
    }


def render(results: dict[str, Any], baseline: dict[str, Any] | None) -> str:
    """The printed report of a results JSON: tables, then the targets met or missed."""
    settings = results["settings"]
    title = (
        f"{results['engine']}, {results['studies']:,} studies, wrk -c{settings['connections']}, "
        f"median of {settings['repeat']} x {settings['duration_s']:g} s, "
        f"server on cpu {settings['server_cpus']}, wrk on cpu {settings['client_cpus']}"
    )
    printed = []
    if "servers" in results:
        printed.append(table(results, title))
    if "imports" in results:
        printed.append(
            "import throughput (hair-evidence import FILE, fresh SQLite file)\n"
            + import_table(results["imports"])
        )
    targets = check_targets(results, baseline)
    if targets:
        printed.append("targets (issue 5)\n" + "\n".join(targets))
    return "\n\n".join(printed)


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds, so every started server is stopped


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with &
    args = _parser().parse_args(argv)
    if args.report:
        results = json.loads(args.report.read_text())
        baseline = json.loads(args.baseline.read_text()) if args.baseline else None
        print(render(results, baseline))
        return 0
    if args.postgres and args.database_url:
        raise SystemExit("give --postgres or --database-url, not both")
    database_url = args.database_url or (
        f"{PG_BASE}/hair_evidence_bench_{args.studies}"
        if args.postgres
        else f"sqlite:///{(DATA / f'bench-{args.studies}.db').relative_to(ROOT)}"
    )
    engine = make_url(database_url).get_backend_name()
    global DATABASE_NAME
    DATABASE_NAME = make_url(database_url).database if engine == "postgresql" else None
    if args.postgres:
        asyncio.run(_create_pg_database(f"hair_evidence_bench_{args.studies}"))
    workers = (
        [int(w) for w in args.workers.split(",")]
        if args.workers
        else ([1, 2] if engine == "postgresql" else [1])
    )
    if args.repeat < 1 or args.duration <= 0:
        raise SystemExit("--repeat must be >= 1 and --duration > 0")
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install -y {tool})")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    options = Options(
        args.duration,
        args.repeat,
        args.warmup,
        args.connections,
        args.client_cpus,
        args.seed,
        args.foreign_limit,
        args.retries,
        args.quiet_timeout,
        args.drain_timeout,
    )
    command = " ".join(["python", "bench/run.py", *(argv if argv is not None else sys.argv[1:])])
    results: dict[str, Any] = {
        "command": command,
        "started": stamp,
        "engine": engine,
        "database_url": database_url,
        "studies": args.studies,
        "settings": {
            "duration_s": args.duration,
            "repeat": args.repeat,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "server_cpus": args.server_cpus,
            "client_cpus": args.client_cpus,
            "wrk": f"wrk -t1 -c{args.connections} -d{args.duration:g}s --latency --timeout 10s",
        },
        "paths": PATHS,
        "machine": _machine(),
        "versions": _versions(),
    }
    with tempfile.TemporaryDirectory(prefix="bench-", dir=RESULTS) as tmp:
        plan = Plan(args, database_url, engine, workers, options, Path(tmp), results)
        try:
            if not args.imports_only:
                _reads(plan)
            if args.imports or args.imports_only:
                print(
                    f"\nimport throughput: {args.import_records:,} records per format", flush=True
                )
                formats = [f for f in args.import_formats.split(",") if f]
                results["imports"] = import_throughput(
                    args.import_records, formats, args.seed, args.server_cpus, args.import_timeout
                )
        finally:
            logs = RESULTS / "logs" / stamp
            logs.mkdir(parents=True, exist_ok=True)
            for log in Path(tmp).glob("*.log"):
                shutil.copy(log, logs / log.name)
    baseline = json.loads(args.baseline.read_text()) if args.baseline else None
    results["table"] = render(results, baseline)
    kind = "imports" if args.imports_only else f"{engine}-{args.studies}"
    out = args.out or RESULTS / f"{stamp}-{kind}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print("\n" + results["table"])
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
