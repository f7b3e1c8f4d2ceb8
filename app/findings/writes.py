"""Creating, changing and deleting findings, with their numbers checked for consistency."""

from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.keys import Actor
from app.editing import (
    load_for_change,
    refuse_clearing,
    remove,
    require_current,
    save_changes,
    save_new,
)
from app.errors import InvalidParameter
from app.findings.schemas import FindingCreate, FindingNumbersIn, FindingRead, FindingUpdate
from app.findings.service import get_finding
from app.lookups import (
    check_source_id,
    check_study_id,
    resolve_condition_id,
    resolve_treatment_id,
    source_of_study,
)
from app.models import Finding
from app.models.enums import ComparatorType

RESOURCE = "findings"
_NUMBERS = tuple(FindingNumbersIn.model_fields)


async def _references(session: AsyncSession, sent: dict[str, Any]) -> dict[str, Any]:
    """Slugs and ids in the body as checked foreign keys."""
    values: dict[str, Any] = {}
    if "intervention" in sent:
        values["intervention_id"] = await resolve_treatment_id(
            session, sent["intervention"], field="intervention", location="body"
        )
    if "comparator" in sent:
        values["comparator_id"] = (
            await resolve_treatment_id(
                session, sent["comparator"], field="comparator", location="body"
            )
            if sent["comparator"] is not None
            else None
        )
    if "condition" in sent:
        values["condition_id"] = (
            await resolve_condition_id(
                session, sent["condition"], field="condition", location="body"
            )
            if sent["condition"] is not None
            else None
        )
    if sent.get("study_id") is not None:
        values["study_id"] = await check_study_id(
            session, sent["study_id"], field="study_id", location="body"
        )
    elif "study_id" in sent:
        values["study_id"] = None
    if sent.get("source_id") is not None:
        values["source_id"] = await check_source_id(
            session, sent["source_id"], field="source_id", location="body"
        )
    plain = ("kind", "comparator_type", "outcome", "direction", "certainty", "summary", "quote")
    values.update({name: sent[name] for name in plain if name in sent})
    return values


def _check_comparator(comparator_type: str | None, comparator_id: int | None) -> None:
    if comparator_type == ComparatorType.treatment and comparator_id is None:
        raise InvalidParameter(
            "comparator", "name the comparator treatment's slug", location="body"
        )
    if comparator_type != ComparatorType.treatment and comparator_id is not None:
        raise InvalidParameter(
            "comparator_type", "must be 'treatment' when a comparator is named", location="body"
        )


async def create_finding(session: AsyncSession, actor: Actor, data: FindingCreate) -> FindingRead:
    sent = data.model_dump(exclude={"numbers"})
    if data.comparator is not None and data.comparator_type is None:
        sent["comparator_type"] = ComparatorType.treatment.value
    values = await _references(session, sent)
    _check_comparator(values.get("comparator_type"), values.get("comparator_id"))
    if values.get("source_id") is None:
        if values.get("study_id") is None:
            raise InvalidParameter(
                "source_id", "name the source, or the study whose source it is", location="body"
            )
        values["source_id"] = await source_of_study(session, values["study_id"])
    finding = Finding(**values, **data.numbers.model_dump())
    await save_new(session, actor, finding, resource=RESOURCE, key=lambda: str(finding.id))
    return await get_finding(session, finding.id)


async def _load(session: AsyncSession, finding_id: int) -> Finding:
    finding: Finding = await load_for_change(session, Finding.id, finding_id, "finding")
    return finding


def _merged_numbers(finding: Finding, sent: dict[str, Any]) -> dict[str, Any]:
    merged = {name: getattr(finding, name) for name in _NUMBERS} | sent
    try:
        return FindingNumbersIn.model_validate(merged).model_dump()
    except ValidationError as error:
        reason = "; ".join(problem["msg"] for problem in error.errors())
        raise InvalidParameter("numbers", reason, location="body") from None


async def update_finding(
    session: AsyncSession, actor: Actor, finding_id: int, data: FindingUpdate, if_match: str | None
) -> FindingRead:
    finding = await _load(session, finding_id)
    require_current(if_match, await get_finding(session, finding_id))
    sent = data.model_dump(exclude_unset=True, exclude={"numbers"})
    refuse_clearing(sent, ("kind", "intervention", "direction", "quote", "source_id"))
    values = await _references(session, sent)
    _check_comparator(
        values.get("comparator_type", finding.comparator_type),
        values.get("comparator_id", finding.comparator_id),
    )
    if data.numbers is not None:
        values |= _merged_numbers(finding, data.numbers.model_dump(exclude_unset=True))
    await save_changes(
        session, actor, finding, values, resource=RESOURCE, key=lambda: str(finding_id)
    )
    return await get_finding(session, finding_id)


async def delete_finding(
    session: AsyncSession, actor: Actor, finding_id: int, if_match: str | None
) -> None:
    finding = await _load(session, finding_id)
    require_current(if_match, await get_finding(session, finding_id))
    await remove(session, actor, finding, resource=RESOURCE, key=str(finding_id))
