"""Async factories adding rows through the ORM models; each flushes and returns its object.

Every slug, title, DOI and PMID a factory makes up is unique (a counter plus a random tag), so
factories never collide with the seed, with each other, or with rows left by another test.
"""

import itertools
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.citations.store import title_key
from app.models import (
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
from app.models.enums import SourceKind

_counter = itertools.count(1)
_RUN = uuid.uuid4().hex[:6]

DEFAULT_AUTHORS: tuple[tuple[str, str | None], ...] = (("Doe", "J."), ("Roe", "R."))


def unique(prefix: str) -> str:
    """``prefix-<run>-<n>``: unique within a run and across runs."""
    return f"{prefix}-{_RUN}-{next(_counter)}"


async def _add(session: AsyncSession, row: Any) -> Any:
    session.add(row)
    await session.flush()
    return row


async def make_treatment(
    session: AsyncSession,
    *,
    aliases: Sequence[str] = (),
    components: Sequence[Treatment] = (),
    **overrides: Any,
) -> Treatment:
    slug = overrides.pop("slug", None) or unique("factory-treatment")
    values: dict[str, Any] = {"slug": slug, "name": slug.replace("-", " ").title()}
    values["kind"] = "combination" if components else "procedure"
    values |= overrides
    treatment = await _add(session, Treatment(**values))
    for alias in aliases:
        session.add(TreatmentAlias(treatment_id=treatment.id, alias=alias))
    for component in components:
        session.add(TreatmentComponent(combination_id=treatment.id, component_id=component.id))
    await session.flush()
    return treatment


async def make_condition(session: AsyncSession, **overrides: Any) -> Condition:
    slug = overrides.pop("slug", None) or unique("factory-condition")
    values: dict[str, Any] = {"slug": slug, "name": slug.replace("-", " ").title(), "synonyms": []}
    return await _add(session, Condition(**(values | overrides)))


async def make_source(session: AsyncSession, **overrides: Any) -> Source:
    """A secondary document (an article) that can state findings without citing a study."""
    key = overrides.pop("key", None) or unique("factory-source")
    values: dict[str, Any] = {"kind": SourceKind.article.value, "key": key, "title": f"Doc {key}"}
    return await _add(session, Source(**(values | overrides)))


async def make_study(
    session: AsyncSession,
    *,
    authors: Sequence[tuple[str, str | None]] = DEFAULT_AUTHORS,
    with_source: bool = True,
    **overrides: Any,
) -> Study:
    """A study with its authors and, as stored citations have, its own ``study`` source."""
    title = overrides.pop("title", None) or f"Factory study {unique('t')}"
    values: dict[str, Any] = {
        "title": title,
        "title_key": title_key(title),
        "year": 2020,
        "journal": "Journal of Factories",
        "warnings": [],
    }
    values |= overrides
    if values.get("doi") and "doi_key" not in overrides:
        values["doi_key"] = values["doi"].lower()
    study = Study(
        **values,
        authors=[
            StudyAuthor(position=position, family=family, given=given)
            for position, (family, given) in enumerate(authors, start=1)
        ],
    )
    await _add(session, study)
    if with_source:
        await _add(
            session,
            Source(
                kind=SourceKind.study.value, study_id=study.id, title=study.title, year=study.year
            ),
        )
    return study


async def source_of(session: AsyncSession, study: Study) -> Source:
    source = await session.scalar(select(Source).where(Source.study_id == study.id))
    assert source is not None, f"study {study.id} has no source"
    return source


async def make_finding(
    session: AsyncSession,
    *,
    intervention: Treatment | None = None,
    study: Study | None = None,
    source: Source | None = None,
    comparator: Treatment | None = None,
    condition: Condition | None = None,
    **overrides: Any,
) -> Finding:
    """A finding; without a source it is stated by the study's own source, else a new one."""
    intervention = intervention or await make_treatment(session)
    if source is None:
        source = await source_of(session, study) if study is not None else None
    source = source or await make_source(session)
    values: dict[str, Any] = {
        "kind": "efficacy",
        "study_id": study.id if study is not None else None,
        "source_id": source.id,
        "intervention_id": intervention.id,
        "comparator_type": "treatment" if comparator is not None else None,
        "comparator_id": comparator.id if comparator is not None else None,
        "condition_id": condition.id if condition is not None else None,
        "outcome": "hair count",
        "direction": "benefit",
        "quote": f"Factory quote {unique('q')}.",
    }
    return await _add(session, Finding(**(values | overrides)))


async def make_side_effect(session: AsyncSession, **overrides: Any) -> SideEffect:
    slug = overrides.pop("slug", None) or unique("factory-side-effect")
    values: dict[str, Any] = {"slug": slug, "name": slug.replace("-", " ").title()}
    return await _add(session, SideEffect(**(values | overrides)))


async def make_side_effect_report(
    session: AsyncSession,
    *,
    side_effect: SideEffect | None = None,
    treatment: Treatment | None = None,
    study: Study | None = None,
    source: Source | None = None,
    **overrides: Any,
) -> SideEffectReport:
    side_effect = side_effect or await make_side_effect(session)
    treatment = treatment or await make_treatment(session)
    if source is None:
        source = await source_of(session, study) if study is not None else None
    source = source or await make_source(session)
    values: dict[str, Any] = {
        "side_effect_id": side_effect.id,
        "treatment_id": treatment.id,
        "study_id": study.id if study is not None else None,
        "source_id": source.id,
        "quote": f"Factory report {unique('q')}.",
    }
    return await _add(session, SideEffectReport(**(values | overrides)))


async def make_caution(
    session: AsyncSession,
    *,
    treatment: Treatment | None = None,
    other_treatment: Treatment | None = None,
    source: Source | None = None,
    **overrides: Any,
) -> Caution:
    treatment = treatment or await make_treatment(session)
    other_treatment = other_treatment or await make_treatment(session)
    source = source or await make_source(session)
    values: dict[str, Any] = {
        "treatment_id": treatment.id,
        "other_treatment_id": other_treatment.id,
        "source_id": source.id,
        "level": "caution",
        "quote": f"Factory caution {unique('q')}.",
    }
    return await _add(session, Caution(**(values | overrides)))
