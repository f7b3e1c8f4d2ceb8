"""The load test: read endpoints at full speed for a minute against several uvicorn workers
on PostgreSQL, with imports running beside them. Zero errors and flat memory are the pass.

    .venv/bin/python bench/load.py                      # 10k studies, 3 workers, 60 s
    .venv/bin/python bench/load.py --workers 4 --duration 120

wrk (one thread, 32 connections) picks a random path per request from every read path of the
benchmark (study, treatment, filtered list, first and deep pages, search, evidence summary,
304 revalidation). Beside it, a client posts synthetic RIS files one after another, small ones
answered at once and large ones run as background jobs, and waits for each job. Every 2 s the
resident memory of each worker is sampled; "growth" compares the mean of the last fifth of the
run with the mean of the second fifth (the first is warm-up). Figures are printed and written
to bench/results/*-load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import run
import synthetic

ROOT = Path(__file__).resolve().parent.parent
PG_URL = f"{run.PG_BASE}/hair_evidence_load"


async def _fresh_database() -> None:
    import asyncpg

    connection = await asyncpg.connect(f"{run.PG_BASE}/postgres")
    try:
        await connection.execute('DROP DATABASE IF EXISTS "hair_evidence_load" WITH (FORCE)')
        await connection.execute('CREATE DATABASE "hair_evidence_load"')
    finally:
        await connection.close()


def _key(database_url: str) -> str:
    argv = [str(run.BIN / "hair-evidence"), "keys", "create", "--name", f"load-{time.time_ns()}"]
    done = subprocess.run(
        [*argv, "--scope", "write"],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


class Importer(threading.Thread):
    """Posts synthetic RIS files until told to stop; small ones at once, large ones as jobs."""

    def __init__(self, base: str, key: str, small: int, large: int, seed: int) -> None:
        super().__init__(daemon=True)
        self.base, self.key, self.small, self.large, self.seed = base, key, small, large, seed
        self.stop = threading.Event()
        self.statuses: Counter[str] = Counter()
        self.records = 0
        self.failures: list[str] = []

    def run(self) -> None:
        vocab = synthetic.vocabulary(self.seed)
        start = 10_000_000  # above any generated index: every record is new
        headers = {
            "Authorization": f"Bearer {self.key}",
            "Content-Type": "application/x-research-info-systems",
        }
        with httpx.Client(base_url=self.base, timeout=120) as client:
            turn = 0
            while not self.stop.is_set():
                count = self.large if turn % 2 else self.small
                body = synthetic.to_ris(
                    synthetic.records(vocab, start, count, seed=self.seed, prefix="load")
                )
                start += count
                turn += 1
                response = client.post("/v1/imports", content=body.encode(), headers=headers)
                self.statuses[f"POST {response.status_code}"] += 1
                if response.status_code == 202:
                    response = self._wait(client, response.headers["location"])
                if response.status_code != 200 or response.json()["status"] != "succeeded":
                    self.failures.append(f"{response.status_code} {response.text[:300]}")
                    continue
                self.records += response.json()["report"]["counts"]["created"]

    def _wait(self, client: httpx.Client, location: str) -> httpx.Response:
        while True:
            response = client.get(location)
            self.statuses[f"GET {response.status_code}"] += 1
            if response.status_code != 202 and response.json()["status"] not in (
                "queued",
                "running",
            ):
                return response
            time.sleep(0.25)


def _workers(server: run.Server) -> list[psutil.Process]:
    assert server.process is not None
    parent = psutil.Process(server.process.pid)
    deadline = time.monotonic() + 30
    while True:
        # uvicorn's supervisor spawns the workers (not its resource tracker)
        children = parent.children(recursive=True)
        workers = [p for p in children if "spawn_main" in " ".join(p.cmdline())]
        if workers or time.monotonic() > deadline:
            return workers or [parent]
        time.sleep(0.5)


def _sample(workers: list[psutil.Process], stop: threading.Event, out: list[list[float]]) -> None:
    while not stop.wait(2.0):
        try:
            out.append([w.memory_info().rss / 2**20 for w in workers])
        except psutil.NoSuchProcess:
            out.append([float("nan")] * len(workers))


def _growth(samples: list[list[float]]) -> list[dict[str, float]]:
    fifth = max(1, len(samples) // 5)
    per_worker = []
    for column in zip(*samples, strict=True):
        early = statistics.mean(column[fifth : 2 * fifth])
        late = statistics.mean(column[-fifth:])
        per_worker.append(
            {
                "early_mb": round(early, 1),
                "late_mb": round(late, 1),
                "max_mb": round(max(column), 1),
                "growth_pct": round((late - early) / early * 100, 1),
            }
        )
    return per_worker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--small", type=int, default=200, help="records in an answered import")
    parser.add_argument("--large", type=int, default=3_000, help="records in a background job")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--port", type=int, default=8097)
    args = parser.parse_args(argv)

    asyncio.run(_fresh_database())  # each run starts from the same data
    run.ensure_database(PG_URL, args.studies, args.seed)
    targets = asyncio.run(run.collect_targets(PG_URL, args.seed, 2_000))
    paths = run.our_paths(targets)
    base = f"http://127.0.0.1:{args.port}"
    run.DATA.mkdir(parents=True, exist_ok=True)
    log = run.DATA / "load-server.log"
    server = run.Server(
        name=f"ours ({args.workers} workers)",
        argv=[str(run.BIN / "hair-evidence"), "serve", "--port", str(args.port),
              "--workers", str(args.workers)],
        env={
            "DATABASE_URL": PG_URL,
            "HAIR_EVIDENCE_ACCESS_LOG": "false",
            "HAIR_EVIDENCE_RATE_LIMIT_IMPORTS": "100000/minute",
            "HAIR_EVIDENCE_RATE_LIMIT_WRITES": "100000/minute",
        },
        port=args.port,
        ready_path="/readyz",
        cpus="0-1",
        log=log,
    )  # fmt: skip
    key = _key(PG_URL)
    with run.running(server):
        etags = run.fetch_etags(base, paths["study"], 200)
        mixed = [line for lines in paths.values() for line in lines]
        mixed += [f"{p}\t{e}" for p, e in zip(paths["study"], etags, strict=False)]
        paths_file = run.DATA / "load-paths.txt"
        paths_file.write_text("\n".join(mixed) + "\n")
        workers = _workers(server)
        samples: list[list[float]] = []
        stop = threading.Event()
        sampler = threading.Thread(target=_sample, args=(workers, stop, samples), daemon=True)
        importer = Importer(base, key, args.small, args.large, args.seed)
        sampler.start()
        importer.start()
        print(f"loading {base} for {args.duration:g} s: {len(mixed)} paths, "
              f"{len(workers)} workers, imports beside", flush=True)  # fmt: skip
        result = run.wrk(base, paths_file, args.duration, args.connections, "0-1", args.seed)
        importer.stop.set()
        importer.join(timeout=300)
        stop.set()
        sampler.join()
        errors_in_log = run._log_errors(log)

    memory = _growth(samples)
    figures: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "studies": targets.total_studies,
        "workers": len(workers),
        "duration_s": args.duration,
        "connections": args.connections,
        "reads": {
            "requests": result.requests,
            "rps": round(result.rps, 1),
            "p50_ms": round(result.p50_ms, 2),
            "p99_ms": round(result.p99_ms, 2),
            "max_ms": round(result.max_ms, 2),
            "errors": result.errors,
        },
        "imports": {
            "requests": dict(importer.statuses),
            "records_created": importer.records,
            "failures": importer.failures,
        },
        "server_log_errors": errors_in_log,
        "memory_per_worker": memory,
    }
    run.RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = run.RESULTS / f"{stamp}-load.json"
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    print(f"written to {out.relative_to(ROOT)}")
    failed = result.errors or importer.failures or errors_in_log
    failed = failed or any(w["growth_pct"] > 10 for w in memory)
    print("FAIL" if failed else "PASS: zero errors, memory flat")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
