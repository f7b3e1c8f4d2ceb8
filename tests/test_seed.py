"""The seed: what the article states, verbatim, and nothing it does not."""

import tomllib

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
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
)
from app.resources import resource_dir
from app.seed import seed

NUMBER_FIELDS = (
    "effect_measure",
    "effect_value",
    "ci_lower",
    "ci_upper",
    "standard_error",
    "p_value",
    "n_intervention",
    "n_comparator",
    "events_intervention",
    "events_comparator",
    "mean_intervention",
    "sd_intervention",
    "mean_comparator",
    "sd_comparator",
    "time_point",
)


async def _count(session: AsyncSession, model: type) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _all_counts(session: AsyncSession) -> dict[str, int]:
    models = (
        Treatment, TreatmentAlias, Condition, Study, StudyAuthor, Source, Finding,
        SideEffect, SideEffectReport, Caution,
    )  # fmt: skip
    return {model.__tablename__: await _count(session, model) for model in models}


async def test_seed_counts(session: AsyncSession) -> None:
    counts = await _all_counts(session)
    assert counts == {
        "treatments": 4,
        "treatment_aliases": 3,
        "conditions": 1,
        "studies": 9,
        "study_authors": 36,  # 5+1+6+4+4+4+3+6+3 as printed
        "sources": 10,  # nine studies and the article
        "findings": 12,
        "side_effects": 4,
        "side_effect_reports": 6,
        "cautions": 1,
    }


async def test_seed_twice_changes_nothing(session: AsyncSession, settings: Settings) -> None:
    before = await _all_counts(session)
    stamps = list(await session.scalars(select(Study.updated_at).order_by(Study.id)))

    report = await seed(session, settings)

    assert not report.changed, report.counts
    assert report.counts["studies.unchanged"] == 9
    assert await _all_counts(session) == before
    assert list(await session.scalars(select(Study.updated_at).order_by(Study.id))) == stamps


async def test_every_quote_is_in_the_article_verbatim(session: AsyncSession, article: str) -> None:
    columns = (
        Finding.quote,
        SideEffectReport.quote,
        Caution.quote,
        Caution.description,
        Treatment.description,
        Treatment.mechanism,
        Condition.description,
    )
    quoted = [
        text
        for column in columns
        for text in await session.scalars(select(column).where(column.is_not(None)))
    ]
    assert len(quoted) >= 12 + 6 + 1
    missing = [quote for quote in quoted if quote not in article]
    assert missing == []


def test_curated_file_quotes_only_the_article(article: str) -> None:
    with (resource_dir("seed_data") / "curated.toml").open("rb") as handle:
        curated = tomllib.load(handle)
    texts = [
        value
        for section in ("treatments", "conditions", "findings", "side_effect_reports", "cautions")
        for item in curated[section]
        for key, value in item.items()
        if key in ("quote", "description", "mechanism")
    ]
    citations = [cited for study in curated["studies"] for cited in study["cited_as"]]
    assert [text for text in [*texts, *citations] if text not in article] == []


async def test_every_reference_backs_a_finding_or_report(session: AsyncSession) -> None:
    backed = select(Finding.study_id).union(select(SideEffectReport.study_id))
    unbacked = await session.scalars(select(Study.title).where(Study.id.not_in(backed)))
    assert list(unbacked) == []


async def test_no_number_the_article_does_not_print(session: AsyncSession) -> None:
    findings = (await session.scalars(select(Finding))).all()
    for name in NUMBER_FIELDS:
        assert [getattr(finding, name) for finding in findings] == [None] * len(findings), name
    for column in (Study.sample_size, Study.duration_weeks, Study.pmid, Study.pmcid):
        assert await session.scalar(select(func.count()).where(column.is_not(None))) == 0
    incidences = await session.scalars(select(SideEffectReport.incidence))
    assert set(incidences) == {None}


async def test_authors_and_dois_are_printed_in_the_article(
    session: AsyncSession, article: str
) -> None:
    references = article[article.index("References") :]
    for family, given in await session.execute(select(StudyAuthor.family, StudyAuthor.given)):
        assert f"{family}, {given}" in references
    for (doi,) in await session.execute(select(Study.doi).where(Study.doi.is_not(None))):
        assert doi in references or doi.replace("/", "%2F", 1) in references


async def test_author_order_is_kept(session: AsyncSession) -> None:
    study_id = await session.scalar(select(Study.id).where(Study.title.startswith("Repeated")))
    families = await session.scalars(
        select(StudyAuthor.family)
        .where(StudyAuthor.study_id == study_id)
        .order_by(StudyAuthor.position)
    )
    assert list(families) == ["Kim", "Jeong", "Kim", "Woo", "Kim", "Kang"]


async def test_dois_are_stored_normalised(session: AsyncSession) -> None:
    dois = set(await session.scalars(select(Study.doi).where(Study.doi.is_not(None))))
    assert dois == {
        "10.1038/jid.2010.291",
        "10.4103/0974-7753.114700",
        "10.1111/jocd.14525",
        "10.5021/ad.2016.28.5.586",
        "10.4103/JCAS.JCAS_130_17",
    }
    keys = set(await session.scalars(select(Study.doi_key).where(Study.doi_key.is_not(None))))
    assert keys == {doi.lower() for doi in dois}


async def test_printed_errors_become_warnings(session: AsyncSession) -> None:
    rows = await session.execute(select(Study.title, Study.pages, Study.year, Study.warnings))
    warned = {
        title: (pages, year, [(w["code"], w["field"], w["value"]) for w in warnings])
        for title, pages, year, warnings in rows
        if warnings
    }
    assert warned == {
        # Kim 2016: the page range ends before it starts; kept as printed.
        "Repeated microneedle stimulation induces enhanced hair growth in a murine model": (
            "596-592",
            2016,
            [("page_range_reversed", "pages", "596-592")],
        ),
        # Gupta 2021: 414 pages for one article.
        "Microneedling for hair loss": (
            "1-414",
            2021,
            [("page_span_implausible", "pages", "1-414")],
        ),
        # Fertig: 2018 in the reference list, "Fertig et al, 2021" in the text.
        "Microneedling for the treatment of hair loss?": (
            "564-569",
            2018,
            [("year_cited_differently", "year", "2018")],
        ),
    }


def test_seed_copy_of_the_article_is_the_shared_one(article: str) -> None:
    from tests.conftest import SHARED_ARTICLE

    if not SHARED_ARTICLE.exists():
        pytest.skip("no shared/ folder beside this checkout to compare with")
    assert SHARED_ARTICLE.read_text(encoding="utf-8") == article
