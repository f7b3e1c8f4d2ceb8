"""Creating, changing and deleting treatments, with their aliases and components."""

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.auth.keys import Actor
from app.changes import apply_changes
from app.editing import (
    Conflict,
    guarded_flush,
    load_for_change,
    refuse_clearing,
    refuse_if_used,
    refuse_taken,
    require_current,
    save_applied,
)
from app.errors import InvalidParameter
from app.history.service import created, deleted, record
from app.models import (
    Caution,
    Finding,
    SideEffectReport,
    Treatment,
    TreatmentAlias,
    TreatmentComponent,
)
from app.models.enums import AuditAction, TreatmentKind
from app.reads import SessionReader
from app.treatments.schemas import TreatmentCreate, TreatmentDetail, TreatmentUpdate
from app.treatments.service import get_treatment

RESOURCE = "treatments"
_SCALARS = ("slug", "name", "kind", "description", "mechanism", "setting")


async def _load(session: AsyncSession, slug: str) -> Treatment:
    treatment: Treatment = await load_for_change(
        session,
        Treatment.slug,
        slug,
        "treatment",
        selectinload(Treatment.aliases),
        selectinload(Treatment.components),
    )
    return treatment


async def _components(
    session: AsyncSession, slugs: list[str], kind: str, own_slug: str
) -> list[Treatment]:
    if kind != TreatmentKind.combination:
        if slugs:
            raise InvalidParameter(
                "components", "only a combination has components", location="body"
            )
        return []
    if len(set(slugs)) < 2:
        raise InvalidParameter(
            "components", "a combination combines at least two treatments", location="body"
        )
    if own_slug in slugs:
        raise InvalidParameter("components", "a combination cannot include itself", location="body")
    found = {
        t.slug: t for t in await session.scalars(select(Treatment).where(Treatment.slug.in_(slugs)))
    }
    missing = sorted(set(slugs) - set(found))
    if missing:
        raise InvalidParameter(
            "components", f"no treatment has the slug {', '.join(missing)}", location="body"
        )
    return [found[slug] for slug in dict.fromkeys(slugs)]


async def _check_aliases(
    session: AsyncSession, aliases: list[str], treatment_id: int | None
) -> None:
    taken = await session.scalar(
        select(TreatmentAlias.alias).where(
            TreatmentAlias.alias.in_(aliases), TreatmentAlias.treatment_id != (treatment_id or 0)
        )
    )
    if taken is not None:
        raise Conflict(f"the alias {taken!r} already names another treatment")


async def _check_slug_free(session: AsyncSession, slug: str) -> None:
    await refuse_taken(session, Treatment.slug, slug, "treatment")


async def _replace_aliases(session: AsyncSession, treatment: Treatment, aliases: list[str]) -> None:
    # Removed rows are deleted before new ones are inserted: an alias kept is never unique twice.
    for alias in [a for a in treatment.aliases if a.alias not in aliases]:
        treatment.aliases.remove(alias)
    await session.flush()
    kept = {alias.alias for alias in treatment.aliases}
    treatment.aliases.extend(TreatmentAlias(alias=alias) for alias in aliases if alias not in kept)


def _snapshot(treatment: Treatment) -> dict[str, Any]:
    return {
        **{name: getattr(treatment, name) for name in _SCALARS},
        "aliases": sorted(alias.alias for alias in treatment.aliases),
        "components": sorted(component.slug for component in treatment.components),
    }


async def create_treatment(
    session: AsyncSession, actor: Actor, data: TreatmentCreate
) -> TreatmentDetail:
    await _check_slug_free(session, data.slug)
    aliases = sorted(set(data.aliases))
    await _check_aliases(session, aliases, None)
    components = await _components(session, data.components, data.kind, data.slug)
    treatment = Treatment(
        **data.model_dump(include=set(_SCALARS)),
        aliases=[TreatmentAlias(alias=alias) for alias in aliases],
        components=components,
    )
    async with guarded_flush(session, f"treatment {data.slug!r}"):
        session.add(treatment)
    await record(
        session, actor, resource=RESOURCE, resource_id=treatment.id, resource_key=treatment.slug,
        action=AuditAction.create, changes=created(_snapshot(treatment)),
    )  # fmt: skip
    return await get_treatment(SessionReader(session), treatment.slug)


async def update_treatment(
    session: AsyncSession, actor: Actor, slug: str, data: TreatmentUpdate, if_match: str | None
) -> TreatmentDetail:
    treatment = await _load(session, slug)
    require_current(if_match, await get_treatment(SessionReader(session), slug))
    sent = data.model_dump(exclude_unset=True)
    refuse_clearing(sent, ("slug", "name", "kind"))
    before = _snapshot(treatment)
    if sent.get("slug") not in (None, treatment.slug):
        await _check_slug_free(session, sent["slug"])
    apply_changes(treatment, {name: sent[name] for name in _SCALARS if name in sent})
    if "aliases" in sent:
        aliases = sorted(set(sent["aliases"] or []))
        await _check_aliases(session, aliases, treatment.id)
        if aliases != before["aliases"]:
            await _replace_aliases(session, treatment, aliases)
    if "components" in sent or "kind" in sent:
        wanted = sent.get("components")
        if wanted is None:
            wanted = before["components"]
        components = await _components(session, wanted, treatment.kind, treatment.slug)
        if sorted(c.slug for c in components) != before["components"]:
            treatment.components = components
    after = _snapshot(treatment)
    changes = {name: (before[name], after[name]) for name in after if before[name] != after[name]}
    await save_applied(
        session, actor, treatment, changes, resource=RESOURCE, key=lambda: treatment.slug
    )
    return await get_treatment(SessionReader(session), treatment.slug)


async def delete_treatment(
    session: AsyncSession, actor: Actor, slug: str, if_match: str | None
) -> None:
    treatment = await _load(session, slug)
    require_current(if_match, await get_treatment(SessionReader(session), slug))
    tid = treatment.id
    await refuse_if_used(
        session,
        f"treatment {slug!r}",
        {
            "findings": exists().where(
                (Finding.intervention_id == tid) | (Finding.comparator_id == tid)
            ),
            "side-effect reports": exists().where(SideEffectReport.treatment_id == tid),
            "cautions": exists().where(
                (Caution.treatment_id == tid) | (Caution.other_treatment_id == tid)
            ),
            "combinations": exists().where(TreatmentComponent.component_id == tid),
        },
    )
    snapshot = _snapshot(treatment)
    async with guarded_flush(session, f"treatment {slug!r}"):
        await session.delete(treatment)
    await record(
        session, actor, resource=RESOURCE, resource_id=tid, resource_key=slug,
        action=AuditAction.delete, changes=deleted(snapshot),
    )  # fmt: skip
