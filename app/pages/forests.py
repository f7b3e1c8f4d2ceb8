"""Which of a treatment's comparisons the meta-analysis service can pool, and its result."""

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ProblemError
from app.evidence import meta
from app.findings.schemas import FindingRead
from app.synthesis import MetaAnalysis

# Pooling runs statsmodels and scipy; a treatment with hundreds of outcomes is not drawn whole.
MAX_GROUPS = 5


@dataclass(frozen=True, slots=True)
class Forest:
    comparator: str | None  # a slug, "placebo" or "none"
    outcome: str
    findings: dict[int, FindingRead]  # by id, to link each row of the plot to its study
    result: MetaAnalysis
    query: str  # the meta-analysis endpoint's query string, for the plot image and the JSON


def _has_numbers(finding: FindingRead) -> bool:
    numbers = finding.numbers.model_dump(exclude={"time_point"})
    return any(value is not None for value in numbers.values())


def _comparator(finding: FindingRead) -> str | None:
    if finding.comparator is not None:
        return finding.comparator.slug
    return finding.comparator_type.value if finding.comparator_type else None


async def poolable(session: AsyncSession, slug: str, findings: list[FindingRead]) -> list[Forest]:
    """Every (comparator, outcome) with two or more numeric findings that the meta-analysis
    service pools; groups it refuses (mixed measures, too few usable numbers) are left out."""
    groups: dict[tuple[str | None, str], list[FindingRead]] = defaultdict(list)
    for finding in findings:
        # The service pools findings of exactly this intervention, not its combinations.
        if finding.intervention.slug == slug and finding.outcome and _has_numbers(finding):
            groups[(_comparator(finding), finding.outcome.strip().lower())].append(finding)
    forests = []
    for (comparator, outcome), members in list(groups.items())[:MAX_GROUPS]:
        if len(members) < 2:
            continue
        try:
            result = await meta.pool(session, slug, comparator, outcome, None)
        except ProblemError:
            continue
        params = {"intervention": slug, "outcome": outcome}
        if comparator is not None:
            params["comparator"] = comparator
        forests.append(
            Forest(comparator, outcome, {f.id: f for f in members}, result, urlencode(params))
        )
    return forests
