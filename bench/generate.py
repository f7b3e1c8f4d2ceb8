"""Synthetic evidence at scale, loaded through the project's own code.

    python bench/generate.py --studies 100000 --database-url sqlite:///bench/data/bench-100000.db

1. ``app.migrate.upgrade`` and ``app.seed.seed``, as ``hair-evidence db upgrade`` and ``seed``.
2. Treatments (about 200, some combinations), conditions and side effects through the ORM, so
   the search index follows them as it does for every write.
3. Studies: RIS text made in memory, chunk by chunk, run through ``app.imports.service.run``
   with an ``ImportJob`` per chunk, exactly as ``hair-evidence import FILE`` does: studies,
   authors, sources, search entries and audit rows are created by the production path.
   Design, evidence level, sample size and blinding are carried by no reference format, so
   they are set afterwards with one bulk Core UPDATE.
4. About 3 findings per study and 0.2 side-effect reports per study with Core INSERTs over
   the ORM tables (they have no import path), then ``app.search.index.reindex`` for the new
   findings, batch by batch.

Deterministic for a given ``--seed``. Prints the time of every phase.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import synthetic
from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from app import migrate
from app.auth.keys import COMMAND_LINE
from app.citations.formats.detect import ReferenceFormat
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.imports import service
from app.models import (
    Condition,
    Finding,
    ImportJob,
    SideEffect,
    SideEffectReport,
    Source,
    Study,
    Treatment,
    TreatmentAlias,
    TreatmentComponent,
)
from app.models.base import utcnow
from app.models.enums import EVIDENCE_LEVEL_BY_DESIGN, ImportStatus, OnError, StudyDesign
from app.search.index import SearchKind, reindex
from app.seed import seed

FINDINGS_PER_STUDY = 3.0
REPORTS_PER_STUDY = 0.2
BLINDINGS = ("open_label", "assessor_blind", "single_blind", "double_blind", None)
SPECIES = {"animal_study": "mouse", "in_vitro": None}


@dataclass
class Timings:
    phases: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def log(self, phase: str, seconds: float, count: int | None = None, unit: str = "") -> None:
        self.phases[phase] = round(seconds, 3)
        rate = ""
        if count is not None:
            self.counts[phase] = count
            rate = f"  {count:>9,} {unit:<16} {count / seconds if seconds else 0:>10,.0f}/s"
        print(f"  {phase:<34} {seconds:8.1f} s{rate}", flush=True)


def _progress(line: str) -> None:
    """A progress line on a terminal, overwritten in place; nothing when output is captured."""
    if sys.stdout.isatty():
        print(f"{line:<72}", end="\r", flush=True)


def _chunks(start: int, stop: int, size: int) -> Iterator[tuple[int, int]]:
    for first in range(start, stop, size):
        yield first, min(size, stop - first)


async def _count(engine: AsyncEngine, statement: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(statement)).scalar_one())


async def _vocabulary_rows(
    engine: AsyncEngine, settings: Settings, vocab: synthetic.Vocabulary
) -> None:
    """Treatments, conditions and side effects through the ORM (the search hook indexes them)."""
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session, session.begin():
        existing = set(await session.scalars(select(Treatment.slug)))
        treatments = [
            Treatment(slug=t.slug, name=t.name, kind=t.kind, description=t.description)
            for t in vocab.treatments
            if t.slug not in existing
        ]
        session.add_all(treatments)
        conditions = set(await session.scalars(select(Condition.slug)))
        session.add_all(
            Condition(slug=c.slug, name=c.name, description=c.description, synonyms=[])
            for c in vocab.conditions
            if c.slug not in conditions
        )
        effects = set(await session.scalars(select(SideEffect.slug)))
        session.add_all(
            SideEffect(slug=e.slug, name=e.name, description=e.description)
            for e in vocab.side_effects
            if e.slug not in effects
        )
        await session.flush()
        ids = await _ids_by_slug(session, Treatment)
        for spec in vocab.treatments:
            if spec.slug in existing:
                continue
            for component in spec.components:
                session.add(
                    TreatmentComponent(
                        combination_id=ids[spec.slug],
                        component_id=ids[vocab.treatments[component].slug],
                    )
                )
            if not spec.components:
                stem = spec.slug.split("-")[0]
                session.add(TreatmentAlias(treatment_id=ids[spec.slug], alias=f"SB-{stem}"))
        await session.flush()


async def _ids_by_slug(conn: AsyncConnection | AsyncSession, model: Any) -> dict[str, int]:
    rows = await conn.execute(select(model.slug, model.id))
    return {slug: int(id_) for slug, id_ in rows}


async def _import_chunk(engine: AsyncEngine, settings: Settings, body: str) -> service.ImportReport:
    """What ``hair-evidence import FILE --format ris`` does, minus reading the file."""
    options = service.ImportOptions(ReferenceFormat.ris, False, OnError.reject, False)
    digest = service.request_hash(body.encode(), options)
    async with create_sessionmaker(engine)() as session, session.begin():
        job = ImportJob(
            status=ImportStatus.running.value,
            format=options.format.value,
            dry_run=False,
            on_error=options.on_error.value,
            resolve=False,
            request_hash=digest,
            processed=0,
            started_at=utcnow(),
        )
        session.add(job)
        await session.flush()
        report = await service.run(session, job, body, COMMAND_LINE, settings)
        service.finish(job, report)
        await session.flush()
        return report


def _study_values(record: synthetic.Record) -> dict[str, Any]:
    rng = random.Random(f"design:{record.index}")
    design = record.design
    human = design not in ("animal_study", "in_vitro", "narrative_review", "expert_opinion")
    trial = design in ("randomized_trial", "non_randomized_trial")
    return {
        "b_id": 0,
        "b_design": design,
        "b_level": EVIDENCE_LEVEL_BY_DESIGN[StudyDesign(design)],
        "b_species": "human" if human else SPECIES.get(design),
        "b_sample": rng.randint(12, 600) if human else None,
        "b_weeks": float(rng.choice((8, 12, 16, 24, 26, 48, 52))) if trial else None,
        "b_blinding": rng.choice(BLINDINGS) if trial else None,
        "b_pilot": trial and rng.random() < 0.1,
    }


_CURATE = (
    update(Study.__table__)
    .where(Study.__table__.c.id == bindparam("b_id"))
    .values(
        design=bindparam("b_design"),
        evidence_level=bindparam("b_level"),
        species=bindparam("b_species"),
        sample_size=bindparam("b_sample"),
        duration_weeks=bindparam("b_weeks"),
        blinding=bindparam("b_blinding"),
        pilot=bindparam("b_pilot"),
    )
)


async def _study_map(
    conn: AsyncConnection, prefix: str, first: int, count: int
) -> dict[int, tuple[int, int]]:
    """Record index -> (study id, source id) for the records first .. first+count-1."""
    keys = [synthetic.doi_for(i, prefix) for i in range(first, first + count)]
    rows = await conn.execute(
        select(Study.doi_key, Study.id, Source.id)
        .join(Source, Source.study_id == Study.id)
        .where(Study.doi_key.in_(keys))
    )
    return {int(doi.rsplit(".", 1)[1]): (int(sid), int(src)) for doi, sid, src in rows}


def _finding_rows(
    record: synthetic.Record,
    study_id: int,
    source_id: int,
    vocab: synthetic.Vocabulary,
    treatment_ids: Sequence[int],
    condition_ids: Sequence[int],
) -> list[dict[str, Any]]:
    rng = random.Random(f"findings:{record.index}")
    n = max(1, round(rng.gauss(FINDINGS_PER_STUDY, 1.0)))
    now = utcnow()
    rows = []
    spec = vocab.treatments[record.treatment]
    for _ in range(min(n, 6)):
        kind = rng.choices(("efficacy", "safety", "mechanism", "practice"), (6, 2, 1, 1))[0]
        comparator_type = rng.choices(("placebo", "treatment", "none", None), (4, 3, 1, 2))[0]
        comparator_id = None
        if comparator_type == "treatment":
            comparator_id = treatment_ids[rng.randrange(len(treatment_ids))]
            if comparator_id == treatment_ids[record.treatment]:
                comparator_type, comparator_id = "placebo", None
        direction = rng.choices(("benefit", "harm", "no_difference", "unclear"), (5, 1, 2, 1))[0]
        outcome = rng.choice(synthetic.OUTCOMES)
        row: dict[str, Any] = {
            "kind": kind,
            "study_id": study_id,
            "source_id": source_id,
            "intervention_id": treatment_ids[record.treatment],
            "comparator_type": comparator_type,
            "comparator_id": comparator_id,
            "condition_id": condition_ids[record.condition] if rng.random() < 0.8 else None,
            "outcome": outcome,
            "direction": direction,
            "certainty": rng.choice(("high", "moderate", "low", "very_low", None)),
            "summary": f"Synthetic finding: {spec.name} and {outcome} ({direction}).",
            "quote": (
                f"SYNTHETIC QUOTE: in this invented study {spec.name} showed "
                f"{direction.replace('_', ' ')} on {outcome}."
            ),
            "effect_measure": None,
            "effect_value": None,
            "ci_lower": None,
            "ci_upper": None,
            "standard_error": None,
            "p_value": None,
            "n_intervention": None,
            "n_comparator": None,
            "events_intervention": None,
            "events_comparator": None,
            "mean_intervention": None,
            "sd_intervention": None,
            "mean_comparator": None,
            "sd_comparator": None,
            "time_point": f"week {rng.choice((8, 12, 16, 24, 48))}",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        if kind == "efficacy" and comparator_type in ("placebo", "treatment"):
            n_i, n_c = rng.randint(10, 300), rng.randint(10, 300)
            row |= {"n_intervention": n_i, "n_comparator": n_c}
            if rng.random() < 0.6:
                mean_c = rng.uniform(50, 150)
                diff = rng.gauss(10, 8)
                se = rng.uniform(1.5, 6)
                row |= {
                    "effect_measure": "MD",
                    "effect_value": round(diff, 2),
                    "ci_lower": round(diff - 1.96 * se, 2),
                    "ci_upper": round(diff + 1.96 * se, 2),
                    "standard_error": round(se, 3),
                    "mean_intervention": round(mean_c + diff, 2),
                    "sd_intervention": round(rng.uniform(10, 40), 2),
                    "mean_comparator": round(mean_c, 2),
                    "sd_comparator": round(rng.uniform(10, 40), 2),
                }
            else:
                e_i, e_c = rng.randint(1, n_i), rng.randint(1, n_c)
                ratio = (e_i / n_i) / (e_c / n_c)
                spread = rng.uniform(1.2, 2.5)
                row |= {
                    "effect_measure": "RR",
                    "effect_value": round(ratio, 3),
                    "ci_lower": round(ratio / spread, 3),
                    "ci_upper": round(ratio * spread, 3),
                    "events_intervention": e_i,
                    "events_comparator": e_c,
                }
            row["p_value"] = round(rng.uniform(0.0001, 0.5), 4)
        rows.append(row)
    return rows


def _report_rows(
    record: synthetic.Record,
    study_id: int,
    source_id: int,
    vocab: synthetic.Vocabulary,
    treatment_ids: Sequence[int],
    effect_ids: Sequence[int],
) -> list[dict[str, Any]]:
    rng = random.Random(f"reports:{record.index}")
    if rng.random() >= REPORTS_PER_STUDY:
        return []
    now = utcnow()
    effect = rng.randrange(len(effect_ids))
    name = vocab.side_effects[effect].name
    return [
        {
            "side_effect_id": effect_ids[effect],
            "treatment_id": treatment_ids[record.treatment],
            "study_id": study_id,
            "source_id": source_id,
            "frequency": rng.choice(synthetic.FREQUENCIES),
            "incidence": round(rng.uniform(0.001, 0.3), 4) if rng.random() < 0.5 else None,
            "severity": rng.choice(("mild", "moderate", "severe", None)),
            "quote": f"SYNTHETIC QUOTE: {name.lower()} was reported in this invented study.",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
    ]


async def generate(
    database_url: str,
    studies: int,
    *,
    seed_value: int = 42,
    chunk: int = 5000,
    prefix: str = "bench",
) -> dict[str, Any]:
    timings = Timings()
    settings = Settings(database_url=database_url)
    total_start = time.perf_counter()
    print(f"generate: {studies:,} studies into {database_url}", flush=True)

    started = time.perf_counter()
    await asyncio.to_thread(migrate.upgrade, "head", database_url)
    timings.log("migrate", time.perf_counter() - started)

    engine = create_engine(settings)
    try:
        started = time.perf_counter()
        async with create_sessionmaker(engine)() as session, session.begin():
            await seed(session, settings)
        timings.log("seed", time.perf_counter() - started)

        vocab = synthetic.vocabulary(seed_value)
        started = time.perf_counter()
        await _vocabulary_rows(engine, settings, vocab)
        timings.log(
            "treatments/conditions/side effects",
            time.perf_counter() - started,
            len(vocab.treatments) + len(vocab.conditions) + len(vocab.side_effects),
            "rows",
        )
        bench_like = Study.doi_key.like(f"10.5555/{prefix}.%")
        already = await _count(engine, select(func.count()).where(bench_like))
        if already not in (0, studies):
            if already > studies:
                raise SystemExit(
                    f"the database holds {already:,} synthetic studies, more than {studies:,}; "
                    "use a fresh database"
                )
            print(f"  resuming after {already:,} studies already imported", flush=True)

        # Studies through the import path, one ImportJob per chunk.
        started = time.perf_counter()
        make_seconds = 0.0
        imported = 0
        chunk_rates: list[float] = []
        for first, count in _chunks(already, studies, chunk):
            made = time.perf_counter()
            body = synthetic.to_ris(synthetic.records(vocab, first, count, seed=seed_value))
            make_seconds += time.perf_counter() - made
            chunk_started = time.perf_counter()
            report = await _import_chunk(engine, settings, body)
            chunk_rates.append(round(count / (time.perf_counter() - chunk_started), 1))
            if report.counts.created != count:
                raise SystemExit(f"import of records {first}..: {report.counts}")
            imported += count
            elapsed = time.perf_counter() - started
            _progress(
                f"    imported {first + count:>9,} / {studies:,}  "
                f"({imported / elapsed:,.0f} records/s)"
            )
        _progress("")
        timings.log("  of which making RIS text", make_seconds)
        timings.log("studies via import path", time.perf_counter() - started, imported, "studies")
        if len(chunk_rates) > 1:
            print(
                f"    import rate by chunk of {chunk:,}: first {chunk_rates[0]:,.0f}/s, "
                f"last {chunk_rates[-1]:,.0f}/s",
                flush=True,
            )

        async with engine.connect() as conn:
            treatment_rows = await _ids_by_slug(conn, Treatment)
            condition_rows = await _ids_by_slug(conn, Condition)
            effect_rows = await _ids_by_slug(conn, SideEffect)
        treatment_ids = [treatment_rows[t.slug] for t in vocab.treatments]
        condition_ids = [condition_rows[c.slug] for c in vocab.conditions]
        effect_ids = [effect_rows[e.slug] for e in vocab.side_effects]

        n_findings = await _count(
            engine,
            select(func.count()).select_from(Finding).join(Study).where(bench_like),
        )
        if imported or n_findings == 0:
            n_design = n_findings = n_reports = 0
            design_seconds = finding_seconds = index_seconds = report_seconds = 0.0
            for first, count in _chunks(0, studies, chunk):
                batch = synthetic.records(vocab, first, count, seed=seed_value)
                async with engine.begin() as conn:
                    ids = await _study_map(conn, prefix, first, count)
                    t0 = time.perf_counter()
                    values = []
                    for record in batch:
                        row = _study_values(record)
                        row["b_id"] = ids[record.index][0]
                        values.append(row)
                    await conn.execute(_CURATE, values)
                    n_design += len(values)
                    t1 = time.perf_counter()
                    findings = [
                        row
                        for record in batch
                        for row in _finding_rows(
                            record, *ids[record.index], vocab, treatment_ids, condition_ids
                        )
                    ]
                    result = await conn.execute(
                        insert(Finding.__table__).returning(Finding.__table__.c.id), findings
                    )
                    new_ids = {int(i) for i in result.scalars()}
                    n_findings += len(findings)
                    t2 = time.perf_counter()

                    def _index(sync_conn: Connection, ids: set[int] = new_ids) -> None:
                        reindex(sync_conn, SearchKind.finding, ids)

                    await conn.run_sync(_index)
                    t3 = time.perf_counter()
                    reports = [
                        row
                        for record in batch
                        for row in _report_rows(
                            record, *ids[record.index], vocab, treatment_ids, effect_ids
                        )
                    ]
                    if reports:
                        await conn.execute(insert(SideEffectReport.__table__), reports)
                    n_reports += len(reports)
                    t4 = time.perf_counter()
                design_seconds += t1 - t0
                finding_seconds += t2 - t1
                index_seconds += t3 - t2
                report_seconds += t4 - t3
                _progress(f"    findings for {first + count:>9,} / {studies:,}")
            _progress("")
            timings.log("study design fields (Core UPDATE)", design_seconds, n_design, "studies")
            timings.log("findings (Core INSERT)", finding_seconds, n_findings, "findings")
            timings.log("finding search entries (reindex)", index_seconds, n_findings, "findings")
            timings.log("side-effect reports (Core INSERT)", report_seconds, n_reports, "reports")
        else:
            print(f"  findings already present ({n_findings:,}); skipping", flush=True)

        started = time.perf_counter()
        async with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                # Everything into the main file: Datasette opens it immutable, ignoring the WAL.
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                await conn.commit()
                raw = await conn.get_raw_connection()
                await raw.driver_connection.execute("ANALYZE")  # type: ignore[union-attr]
        timings.log(
            "checkpoint" if engine.dialect.name == "sqlite" else "ANALYZE",
            time.perf_counter() - started,
        )

        counts: dict[str, int] = {}
        async with engine.connect() as conn:
            for table in (
                "studies",
                "study_authors",
                "sources",
                "findings",
                "side_effect_reports",
                "treatments",
                "conditions",
                "side_effects",
                "search_entries",
                "audit_entries",
                "import_jobs",
            ):
                counts[table] = int(
                    (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
                )
    finally:
        await engine.dispose()
    total = time.perf_counter() - total_start
    timings.log("total", total)
    print("  rows: " + ", ".join(f"{k}={v:,}" for k, v in counts.items()), flush=True)
    return {
        "database_url": database_url,
        "studies": studies,
        "seed": seed_value,
        "chunk": chunk,
        "seconds": timings.phases,
        "phase_counts": timings.counts,
        "import_records_per_s_by_chunk": chunk_rates,
        "rows": counts,
        "total_seconds": round(total, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=10_000)
    parser.add_argument("--database-url", required=True, help="sqlite:///path or postgresql://")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--chunk", type=int, default=5000, help="records per import job")
    parser.add_argument("--summary", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    summary = asyncio.run(
        generate(args.database_url, args.studies, seed_value=args.seed, chunk=args.chunk)
    )
    if args.summary:
        args.summary.parent.mkdir(parents=True, exist_ok=True)
        args.summary.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
