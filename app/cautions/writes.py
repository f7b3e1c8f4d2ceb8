"""Creating, changing and deleting cautions between treatments."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.keys import Actor
from app.cautions.schemas import CautionCreate, CautionRead, CautionUpdate
from app.cautions.service import get_caution
from app.editing import (
    load_for_change,
    refuse_clearing,
    remove,
    require_current,
    save_changes,
    save_new,
)
from app.errors import InvalidParameter
from app.lookups import check_source_id, resolve_treatment_id
from app.models import Caution

RESOURCE = "cautions"


async def _values(session: AsyncSession, sent: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in sent.items() if k not in ("treatment", "other_treatment")}
    for field, column in (("treatment", "treatment_id"), ("other_treatment", "other_treatment_id")):
        if field in sent:
            values[column] = await resolve_treatment_id(
                session, sent[field], field=field, location="body"
            )
    if "source_id" in sent:
        await check_source_id(session, sent["source_id"], field="source_id", location="body")
    return values


def _refuse_same(treatment_id: int, other_treatment_id: int) -> None:
    if treatment_id == other_treatment_id:
        raise InvalidParameter(
            "other_treatment", "a caution names two different treatments", location="body"
        )


async def create_caution(session: AsyncSession, actor: Actor, data: CautionCreate) -> CautionRead:
    caution = Caution(**await _values(session, data.model_dump()))
    _refuse_same(caution.treatment_id, caution.other_treatment_id)
    await save_new(session, actor, caution, resource=RESOURCE, key=lambda: str(caution.id))
    return await get_caution(session, caution.id)


async def _load(session: AsyncSession, caution_id: int) -> Caution:
    caution: Caution = await load_for_change(session, Caution.id, caution_id, "caution")
    return caution


async def update_caution(
    session: AsyncSession, actor: Actor, caution_id: int, data: CautionUpdate, if_match: str | None
) -> CautionRead:
    caution = await _load(session, caution_id)
    require_current(if_match, await get_caution(session, caution_id))
    sent = data.model_dump(exclude_unset=True)
    refuse_clearing(sent, ("treatment", "other_treatment", "source_id", "level", "quote"))
    values = await _values(session, sent)
    _refuse_same(
        values.get("treatment_id", caution.treatment_id),
        values.get("other_treatment_id", caution.other_treatment_id),
    )
    await save_changes(
        session, actor, caution, values, resource=RESOURCE, key=lambda: str(caution_id)
    )
    return await get_caution(session, caution_id)


async def delete_caution(
    session: AsyncSession, actor: Actor, caution_id: int, if_match: str | None
) -> None:
    caution = await _load(session, caution_id)
    require_current(if_match, await get_caution(session, caution_id))
    await remove(session, actor, caution, resource=RESOURCE, key=str(caution_id))
