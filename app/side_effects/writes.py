"""Creating, changing and deleting side effects and the reports that link them to treatments."""

from typing import Any

from sqlalchemy import exists
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.keys import Actor
from app.editing import (
    load_for_change,
    refuse_clearing,
    refuse_if_used,
    refuse_taken,
    remove,
    require_current,
    save_changes,
    save_new,
)
from app.errors import InvalidParameter
from app.lookups import (
    check_source_id,
    check_study_id,
    resolve_side_effect_id,
    resolve_treatment_id,
    source_of_study,
)
from app.models import SideEffect, SideEffectReport
from app.side_effects.schemas import (
    ReportCreate,
    ReportUpdate,
    SideEffectCreate,
    SideEffectDetail,
    SideEffectReportRead,
    SideEffectUpdate,
)
from app.side_effects.service import get_report, get_side_effect

RESOURCE = "side-effects"
REPORTS = "side-effect-reports"


async def _load(session: AsyncSession, slug: str) -> SideEffect:
    side_effect: SideEffect = await load_for_change(session, SideEffect.slug, slug, "side effect")
    return side_effect


async def _check_slug_free(session: AsyncSession, slug: str) -> None:
    await refuse_taken(session, SideEffect.slug, slug, "side effect")


async def create_side_effect(
    session: AsyncSession, actor: Actor, data: SideEffectCreate
) -> SideEffectDetail:
    await _check_slug_free(session, data.slug)
    side_effect = SideEffect(**data.model_dump())
    await save_new(session, actor, side_effect, resource=RESOURCE, key=lambda: side_effect.slug)
    return await get_side_effect(session, side_effect.slug)


async def update_side_effect(
    session: AsyncSession, actor: Actor, slug: str, data: SideEffectUpdate, if_match: str | None
) -> SideEffectDetail:
    side_effect = await _load(session, slug)
    require_current(if_match, await get_side_effect(session, slug))
    sent = data.model_dump(exclude_unset=True)
    refuse_clearing(sent, ("slug", "name"))
    if sent.get("slug", slug) != slug:
        await _check_slug_free(session, sent["slug"])
    await save_changes(
        session, actor, side_effect, sent, resource=RESOURCE, key=lambda: side_effect.slug
    )
    return await get_side_effect(session, side_effect.slug)


async def delete_side_effect(
    session: AsyncSession, actor: Actor, slug: str, if_match: str | None
) -> None:
    side_effect = await _load(session, slug)
    require_current(if_match, await get_side_effect(session, slug))
    await refuse_if_used(
        session,
        f"side effect {slug!r}",
        {"reports": exists().where(SideEffectReport.side_effect_id == side_effect.id)},
    )
    await remove(session, actor, side_effect, resource=RESOURCE, key=slug)


async def _report_values(session: AsyncSession, sent: dict[str, Any]) -> dict[str, Any]:
    """Body fields (slugs, ids) as columns, each reference checked."""
    values = {k: v for k, v in sent.items() if k not in ("side_effect", "treatment")}
    if "side_effect" in sent:
        values["side_effect_id"] = await resolve_side_effect_id(
            session, sent["side_effect"], field="side_effect", location="body"
        )
    if "treatment" in sent:
        values["treatment_id"] = await resolve_treatment_id(
            session, sent["treatment"], field="treatment", location="body"
        )
    if sent.get("study_id") is not None:
        await check_study_id(session, sent["study_id"], field="study_id", location="body")
    if sent.get("source_id") is not None:
        await check_source_id(session, sent["source_id"], field="source_id", location="body")
    return values


async def create_report(
    session: AsyncSession, actor: Actor, data: ReportCreate
) -> SideEffectReportRead:
    values = await _report_values(session, data.model_dump())
    if values["source_id"] is None:
        if values["study_id"] is None:
            raise InvalidParameter(
                "source_id", "name the source, or the study whose source it is", location="body"
            )
        values["source_id"] = await source_of_study(session, values["study_id"])
    report = SideEffectReport(**values)
    await save_new(session, actor, report, resource=REPORTS, key=lambda: str(report.id))
    return await get_report(session, report.id)


async def _load_report(session: AsyncSession, report_id: int) -> SideEffectReport:
    report: SideEffectReport = await load_for_change(
        session, SideEffectReport.id, report_id, "side-effect report"
    )
    return report


async def update_report(
    session: AsyncSession, actor: Actor, report_id: int, data: ReportUpdate, if_match: str | None
) -> SideEffectReportRead:
    report = await _load_report(session, report_id)
    require_current(if_match, await get_report(session, report_id))
    sent = data.model_dump(exclude_unset=True)
    refuse_clearing(sent, ("side_effect", "treatment", "quote", "source_id"))
    values = await _report_values(session, sent)
    await save_changes(session, actor, report, values, resource=REPORTS, key=lambda: str(report_id))
    return await get_report(session, report_id)


async def delete_report(
    session: AsyncSession, actor: Actor, report_id: int, if_match: str | None
) -> None:
    report = await _load_report(session, report_id)
    require_current(if_match, await get_report(session, report_id))
    await remove(session, actor, report, resource=REPORTS, key=str(report_id))
