"""Caution queries: cautions name two treatments and the source warning against the pair."""

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.cautions.schemas import CautionLinks, CautionRead
from app.errors import ResourceNotFound
from app.links import API, SourceRef, TreatmentRef, source_href, treatment_href
from app.lookups import resolve_treatment_id
from app.models import Caution, Source, Treatment
from app.pagination import AnyRow, Page, PageParams, SortKey, fetch_page

_First = aliased(Treatment, name="first")
_Other = aliased(Treatment, name="other")

_SELECT = (
    select(
        *Caution.__table__.c,
        _First.slug.label("treatment_slug"),
        _First.name.label("treatment_name"),
        _Other.slug.label("other_slug"),
        _Other.name.label("other_name"),
        Source.kind.label("source_kind"),
        Source.title.label("source_title"),
    )
    .join(_First, Caution.treatment_id == _First.id)
    .join(_Other, Caution.other_treatment_id == _Other.id)
    .join(Source, Caution.source_id == Source.id)
)


def caution_href(caution_id: int) -> str:
    return f"{API}/cautions/{caution_id}"


def to_read(row: AnyRow) -> CautionRead:
    return CautionRead(
        id=row.id,
        treatment=TreatmentRef.of(row.treatment_slug, row.treatment_name),
        other_treatment=TreatmentRef.of(row.other_slug, row.other_name),
        level=row.level,
        description=row.description,
        quote=row.quote,
        source=SourceRef.of(row.source_id, row.source_kind, row.source_title),
        links=CautionLinks(
            self=caution_href(row.id),
            treatment=treatment_href(row.treatment_slug),
            other_treatment=treatment_href(row.other_slug),
            source=source_href(row.source_id),
        ),
    )


async def list_cautions(
    session: AsyncSession,
    params: PageParams,
    *,
    treatment: str | None = None,
    field: str | None = "treatment",
) -> Page[CautionRead]:
    """Cautions, optionally those naming one treatment on either side."""
    statement = _SELECT
    if treatment is not None:
        treatment_id = await resolve_treatment_id(session, treatment, field=field)
        statement = statement.where(
            or_(Caution.treatment_id == treatment_id, Caution.other_treatment_id == treatment_id)
        )
    page = await fetch_page(session, statement, [SortKey(Caution.id)], params)
    return Page(
        data=[to_read(row) for row in page.rows], next_cursor=page.next_cursor, total=page.total
    )


async def get_caution(session: AsyncSession, caution_id: int) -> CautionRead:
    row = (await session.execute(_SELECT.where(Caution.id == caution_id))).first()
    if row is None:
        raise ResourceNotFound(f"no caution has the id {caution_id}")
    return to_read(row)
