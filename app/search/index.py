"""Keeping ``search_entries`` current: every flush re-indexes the resources it touched.

Writes, imports and the seed all flush through the ORM, so none of them can forget to
re-index. The engines' full-text indexes follow ``search_entries`` on their own (SQLite
triggers into FTS5; a generated tsvector column on PostgreSQL).
"""

from collections import defaultdict
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    cast,
    delete,
    event,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, UOWTransaction

from app.models import (
    Finding,
    SearchEntry,
    SideEffect,
    Study,
    StudyAuthor,
    Treatment,
    TreatmentAlias,
)


class SearchKind(StrEnum):
    study = "study"
    treatment = "treatment"
    finding = "finding"
    side_effect = "side_effect"


def _joined(*parts: Any) -> ColumnElement[str]:
    """Non-null parts, space separated (concat_ws exists on neither engine in the same form)."""
    text: ColumnElement[str] = func.coalesce(parts[0], "")
    for part in parts[1:]:
        text = text + " " + func.coalesce(part, "")
    return text


def _study_texts(ids: set[int]) -> Select[int, str, str, str]:
    authors = (
        select(
            func.aggregate_strings(
                StudyAuthor.family + " " + func.coalesce(StudyAuthor.given, ""), " "
            )
        )
        .where(StudyAuthor.study_id == Study.id)
        .scalar_subquery()
    )
    return select(
        Study.id, cast(Study.id, String), Study.title,
        _joined(authors, Study.journal, Study.doi, Study.abstract),
    ).where(Study.id.in_(ids))  # fmt: skip


def _treatment_texts(ids: set[int]) -> Select[int, str, str, str]:
    aliases = (
        select(func.aggregate_strings(TreatmentAlias.alias, " "))
        .where(TreatmentAlias.treatment_id == Treatment.id)
        .scalar_subquery()
    )
    return select(
        Treatment.id, Treatment.slug, Treatment.name,
        _joined(aliases, Treatment.slug, Treatment.description, Treatment.mechanism),
    ).where(Treatment.id.in_(ids))  # fmt: skip


def _finding_texts(ids: set[int]) -> Select[int, str, str, str]:
    title = func.coalesce(Finding.outcome, Finding.kind)
    return select(
        Finding.id, cast(Finding.id, String), title, _joined(Finding.summary, Finding.quote)
    ).where(Finding.id.in_(ids))


def _side_effect_texts(ids: set[int]) -> Select[int, str, str, str]:
    return select(
        SideEffect.id, SideEffect.slug, SideEffect.name, _joined(SideEffect.description)
    ).where(SideEffect.id.in_(ids))


_TEXTS = {
    SearchKind.study: _study_texts,
    SearchKind.treatment: _treatment_texts,
    SearchKind.finding: _finding_texts,
    SearchKind.side_effect: _side_effect_texts,
}


def reindex(connection: Connection, kind: SearchKind, ids: set[int]) -> None:
    """Replace the entries of these resources with their current text (none if deleted)."""
    connection.execute(
        delete(SearchEntry).where(SearchEntry.kind == kind.value, SearchEntry.ref_id.in_(ids))
    )
    texts = _TEXTS[kind](ids).subquery()
    connection.execute(
        insert(SearchEntry).from_select(
            ["kind", "ref_id", "key", "title", "body"],
            select(literal(kind.value, String), *texts.c),
        )
    )


_IDS = {
    SearchKind.study: Study.id,
    SearchKind.treatment: Treatment.id,
    SearchKind.finding: Finding.id,
    SearchKind.side_effect: SideEffect.id,
}
# Ids per statement: both engines cap the bound parameters of one statement.
_REBUILD_BATCH = 1000


def rebuild(connection: Connection) -> None:
    """Index every resource afresh, in id order: for rows written without the ORM (a
    restore), which the flush hook below never sees."""
    connection.execute(delete(SearchEntry))
    for kind, id_column in _IDS.items():
        ids = connection.scalars(select(id_column).order_by(id_column)).all()
        for start in range(0, len(ids), _REBUILD_BATCH):
            reindex(connection, kind, set(ids[start : start + _REBUILD_BATCH]))


def _touched(obj: object) -> tuple[SearchKind, int] | None:
    match obj:
        case Study(id=study_id) | StudyAuthor(study_id=study_id):
            return SearchKind.study, study_id
        case Treatment(id=treatment_id) | TreatmentAlias(treatment_id=treatment_id):
            return SearchKind.treatment, treatment_id
        case Finding(id=finding_id):
            return SearchKind.finding, finding_id
        case SideEffect(id=side_effect_id):
            return SearchKind.side_effect, side_effect_id
    return None


@event.listens_for(Session, "after_flush")
def _reindex_flushed(session: Session, _context: UOWTransaction) -> None:
    touched: dict[SearchKind, set[int]] = defaultdict(set)
    for obj in (*session.new, *session.dirty, *session.deleted):
        found = _touched(obj)
        if found is not None and found[1] is not None:
            touched[found[0]].add(found[1])
    if touched:
        connection = session.connection()
        for kind, ids in touched.items():
            reindex(connection, kind, ids)
