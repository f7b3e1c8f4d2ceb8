"""Seeding from the source article: idempotent, through the same citation path as imports."""

import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.changes import apply_changes
from app.citations.formats import ris
from app.citations.normalize import normalize
from app.citations.record import Citation, RawCitation
from app.citations.store import CitationStore, StoreStatus
from app.config import Settings
from app.models import (
    Caution,
    Condition,
    Finding,
    SideEffect,
    SideEffectReport,
    Source,
    Study,
    Treatment,
    TreatmentAlias,
)
from app.models.enums import SourceKind
from app.resources import resource_dir

_CITED_YEAR = re.compile(r"(\d{4})\s*$")
_CURATED = ("design", "pilot", "species", "blinding", "sample_size")


@dataclass(slots=True)
class SeedReport:
    """Per table: how many rows the run created, updated or found unchanged."""

    counts: Counter[str] = field(default_factory=Counter)

    def record(self, table: str, status: str) -> None:
        self.counts[f"{table}.{status}"] += 1

    @property
    def changed(self) -> bool:
        return any(count for key, count in self.counts.items() if not key.endswith(".unchanged"))


class _Seeder:
    def __init__(self, session: AsyncSession, settings: Settings, data: dict[str, Any]) -> None:
        self.session = session
        self.settings = settings
        self.data = data
        self.report = SeedReport()
        self.treatments: dict[str, Treatment] = {}
        self.conditions: dict[str, Condition] = {}
        self.side_effects: dict[str, SideEffect] = {}
        self.studies: dict[str, Study] = {}
        self.article: Source | None = None

    async def _upsert(
        self, model: type[Any], natural_key: dict[str, Any], values: dict[str, Any]
    ) -> Any:
        row = (await self.session.scalars(select(model).filter_by(**natural_key))).first()
        table = model.__tablename__
        if row is None:
            row = model(**natural_key, **values)
            self.session.add(row)
            self.report.record(table, "created")
        elif apply_changes(row, values):
            self.report.record(table, "updated")
        else:
            self.report.record(table, "unchanged")
        return row

    async def run(self, references: str) -> SeedReport:
        await self._article()
        await self._conditions()
        await self._treatments()
        await self._studies(references)
        await self._side_effects()
        await self.session.flush()
        await self._findings()
        await self._reports()
        await self._cautions()
        await self.session.flush()
        return self.report

    async def _article(self) -> None:
        source = self.data["source"]
        self.article = await self._upsert(
            Source,
            {"key": source["key"]},
            {
                "kind": SourceKind.article,
                "title": source["title"],
                "publisher": source.get("publisher"),
            },
        )

    async def _conditions(self) -> None:
        for item in self.data["conditions"]:
            values = {k: item.get(k) for k in ("name", "description")}
            values["synonyms"] = item.get("synonyms", [])
            self.conditions[item["slug"]] = await self._upsert(
                Condition, {"slug": item["slug"]}, values
            )

    async def _treatments(self) -> None:
        for item in self.data["treatments"]:
            values = {
                k: item.get(k) for k in ("name", "kind", "description", "mechanism", "setting")
            }
            self.treatments[item["slug"]] = await self._upsert(
                Treatment, {"slug": item["slug"]}, values
            )
        await self.session.flush()
        slugs = list(self.treatments)
        loaded = await self.session.scalars(
            select(Treatment)
            .where(Treatment.slug.in_(slugs))
            .options(selectinload(Treatment.aliases), selectinload(Treatment.components))
        )
        by_slug = {treatment.slug: treatment for treatment in loaded}
        for item in self.data["treatments"]:
            treatment = by_slug[item["slug"]]
            wanted = sorted(item.get("aliases", []))
            if sorted(alias.alias for alias in treatment.aliases) != wanted:
                treatment.aliases = [TreatmentAlias(alias=alias) for alias in wanted]
                self.report.record("treatment_aliases", "updated")
            components = [by_slug[slug] for slug in item.get("components", [])]
            if {c.id for c in treatment.components} != {c.id for c in components}:
                treatment.components = components
                self.report.record("treatment_components", "updated")

    async def _studies(self, references: str) -> None:
        curated = {item["ref"]: item for item in self.data["studies"]}
        citations: dict[str, Citation] = {}
        for raw in ris.read(references):
            assert isinstance(raw, RawCitation) and raw.key, (
                "every seed reference reads, with an ID"
            )
            item = curated[raw.key]
            cited = [int(m.group(1)) for c in item["cited_as"] if (m := _CITED_YEAR.search(c))]
            citations[raw.key] = normalize(
                raw, max_page_span=self.settings.max_plausible_page_span, cited_years=cited
            )
        store = CitationStore(self.session)
        await store.prefetch(citations.values())
        for key, citation in citations.items():
            extra = {name: curated[key][name] for name in _CURATED if name in curated[key]}
            result = store.store(citation, extra)
            if result.status is StoreStatus.duplicate:
                raise RuntimeError(f"seed reference {key} duplicates study {result.study.id}")
            self.report.record("studies", result.status.value)
            self.studies[key] = result.study
        await store.flush()

    async def _side_effects(self) -> None:
        for item in self.data["side_effects"]:
            self.side_effects[item["slug"]] = await self._upsert(
                SideEffect,
                {"slug": item["slug"]},
                {"name": item["name"], "description": item.get("description")},
            )

    def _study_id(self, item: dict[str, Any]) -> int | None:
        return self.studies[item["study"]].id if "study" in item else None

    async def _findings(self) -> None:
        assert self.article is not None
        for item in self.data["findings"]:
            comparator = item.get("comparator")
            condition = item.get("condition")
            key = {
                "source_id": self.article.id,
                "study_id": self._study_id(item),
                "intervention_id": self.treatments[item["intervention"]].id,
                "quote": item["quote"],
            }
            values = {
                "kind": item["kind"],
                "comparator_type": item.get("comparator_type"),
                "comparator_id": self.treatments[comparator].id if comparator else None,
                "condition_id": self.conditions[condition].id if condition else None,
                "outcome": item.get("outcome"),
                "direction": item["direction"],
                "certainty": item.get("certainty"),
            }
            await self._upsert(Finding, key, values)

    async def _reports(self) -> None:
        assert self.article is not None
        for item in self.data["side_effect_reports"]:
            key = {
                "side_effect_id": self.side_effects[item["side_effect"]].id,
                "treatment_id": self.treatments[item["treatment"]].id,
                "study_id": self._study_id(item),
                "source_id": self.article.id,
                "quote": item["quote"],
            }
            values = {k: item.get(k) for k in ("frequency", "incidence", "severity")}
            await self._upsert(SideEffectReport, key, values)

    async def _cautions(self) -> None:
        assert self.article is not None
        for item in self.data["cautions"]:
            key = {
                "treatment_id": self.treatments[item["treatment"]].id,
                "other_treatment_id": self.treatments[item["other_treatment"]].id,
                "source_id": self.article.id,
            }
            values = {k: item.get(k) for k in ("level", "description", "quote")}
            await self._upsert(Caution, key, values)


def load_curated(directory: Path | None = None) -> tuple[dict[str, Any], str]:
    folder = directory or resource_dir("seed_data")
    with (folder / "curated.toml").open("rb") as handle:
        data = tomllib.load(handle)
    return data, (folder / "references.ris").read_text(encoding="utf-8")


async def seed(session: AsyncSession, settings: Settings) -> SeedReport:
    """Bring the database to the curated state. Flushes; the caller commits."""
    data, references = load_curated()
    return await _Seeder(session, settings, data).run(references)
