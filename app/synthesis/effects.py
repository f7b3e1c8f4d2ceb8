"""Turn one finding's numbers into an effect size on the analysis scale, or say why it cannot.

Rules (all on the analysis scale, where ratio measures RR and OR are logs):

* Per-arm data come first when they can give the wanted measure, because they are computed the
  same way for every study: events and totals give log RR, log OR or RD; means, SDs and sizes
  give MD or SMD. Otherwise a reported estimate of exactly that measure is used.
* Events and totals go through statsmodels' ``effectsize_2proportions``. A study with a zero
  cell (no events, or all events, in an arm) gets 0.5 added to all four cells, as metafor's
  ``escalc`` does by default (``add=1/2, to="only0"``); other studies are left as they are.
* SMD is Hedges' g (the pooled-SD difference with the small-sample correction) from
  statsmodels' ``effectsize_smd``, with variance ``1/n1 + 1/n2 + g^2 / (2(N - 3.94))``.
  metafor's ``escalc(measure="SMD")`` differs slightly: its exact gamma-function correction
  and statsmodels' ``1 - 3/(4N - 9)`` give the same g to about four significant figures, but
  its variance divides the ``g^2`` term by ``2N``, so statsmodels' variance is larger by
  ``g^2 (1/(N - 3.94) - 1/N) / 2`` (0.6% for g = 0.75 and N = 45; less for larger N).
* MD uses each arm's own SD: ``vi = sd1^2/n1 + sd2^2/n2`` (metafor's default for "MD").
* A reported estimate: the 95% CI gives ``SE = (upper - lower) / (2 * 1.959964)``, on the log
  scale for ratios. Without a point estimate the CI's centre (the geometric mean of the bounds
  for ratios) is used. A reported SE of a ratio is taken to be the SE of its logarithm, which
  is how papers and RevMan's generic inverse-variance method report it.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from statsmodels.stats.meta_analysis import effectsize_2proportions, effectsize_smd

from app.models.enums import EffectMeasure

Z_95 = 1.959964
"""The 97.5% normal quantile: a reported 95% CI spans 2 * Z_95 standard errors."""

ZERO_CELL_CORRECTION = 0.5
RATIO_MEASURES = frozenset({EffectMeasure.risk_ratio, EffectMeasure.odds_ratio})
BINARY_MEASURES = frozenset(
    {EffectMeasure.risk_ratio, EffectMeasure.odds_ratio, EffectMeasure.risk_difference}
)
CONTINUOUS_MEASURES = frozenset(
    {EffectMeasure.mean_difference, EffectMeasure.standardised_mean_difference}
)
# Which measure to prefer when nothing else decides.
_PREFERENCE = (
    EffectMeasure.risk_ratio,
    EffectMeasure.odds_ratio,
    EffectMeasure.risk_difference,
    EffectMeasure.standardised_mean_difference,
    EffectMeasure.mean_difference,
)
_STATSMODELS_STATISTIC = {
    EffectMeasure.risk_ratio: "risk-ratio",
    EffectMeasure.odds_ratio: "odds-ratio",
    EffectMeasure.risk_difference: "diff",
}

_NUMBER_FIELDS = (
    "effect_value",
    "ci_lower",
    "ci_upper",
    "standard_error",
    "n_intervention",
    "n_comparator",
    "events_intervention",
    "events_comparator",
    "mean_intervention",
    "sd_intervention",
    "mean_comparator",
    "sd_comparator",
)


def is_ratio(measure: EffectMeasure) -> bool:
    """Ratio measures (RR, OR) are analysed on the log scale."""
    return measure in RATIO_MEASURES


@dataclass(frozen=True)
class FindingData:
    """One finding's numbers as the source reports them, free of the database.

    ``label`` names the study in tables and plots, e.g. "Kumar et al 2018". ``finding_id`` is
    carried through so results can point back at the finding.
    """

    finding_id: int | None
    label: str
    effect_measure: EffectMeasure | None = None
    effect_value: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    standard_error: float | None = None
    n_intervention: int | None = None
    n_comparator: int | None = None
    events_intervention: int | None = None
    events_comparator: int | None = None
    mean_intervention: float | None = None
    sd_intervention: float | None = None
    mean_comparator: float | None = None
    sd_comparator: float | None = None

    @classmethod
    def from_numbers(cls, finding_id: int | None, label: str, numbers: object) -> "FindingData":
        """Copy the number fields from any object that has them as attributes: the ``Finding``
        ORM row, the ``FindingNumbers`` schema, or a ``SimpleNamespace``."""
        measure = getattr(numbers, "effect_measure", None)
        values = {name: getattr(numbers, name, None) for name in _NUMBER_FIELDS}
        return cls(
            finding_id=finding_id,
            label=label,
            effect_measure=EffectMeasure(measure) if measure is not None else None,
            **values,
        )

    @property
    def has_binary_arms(self) -> bool:
        return None not in (
            self.events_intervention,
            self.n_intervention,
            self.events_comparator,
            self.n_comparator,
        )

    @property
    def has_continuous_arms(self) -> bool:
        return None not in (
            self.mean_intervention,
            self.sd_intervention,
            self.n_intervention,
            self.mean_comparator,
            self.sd_comparator,
            self.n_comparator,
        )

    @property
    def has_estimate(self) -> bool:
        interval = self.ci_lower is not None and self.ci_upper is not None
        return self.effect_measure is not None and (
            interval or (self.effect_value is not None and self.standard_error is not None)
        )


@dataclass(frozen=True)
class EffectSize:
    """One study's effect on the analysis scale: ``yi`` (log for RR/OR) and its variance."""

    finding_id: int | None
    label: str
    measure: EffectMeasure
    yi: float
    vi: float
    source: str = "given"
    """Where the numbers came from: "events", "means", "ci", "standard_error" or "given"."""
    note: str | None = None
    """Anything done to the data on the way, such as a zero-cell correction."""


@dataclass(frozen=True)
class Exclusion:
    """A finding that could not be used, and why."""

    finding_id: int | None
    label: str
    reason: str


@dataclass(frozen=True)
class EffectSizes:
    """The effect sizes of a set of findings on one common measure, and the findings left out."""

    measure: EffectMeasure | None
    effects: tuple[EffectSize, ...] = field(default_factory=tuple)
    excluded: tuple[Exclusion, ...] = field(default_factory=tuple)


_NO_NUMBERS = (
    "no usable numbers: needs an effect estimate with its measure and a 95% CI or standard "
    "error, or events and totals in both arms, or mean, SD and size in both arms"
)


def effect_size(data: FindingData, measure: EffectMeasure | None = None) -> EffectSize | Exclusion:
    """The finding's effect as ``measure`` (by default the one it reports, else RR for events
    and totals, else SMD for means and SDs), or an ``Exclusion`` saying why it cannot be had."""
    target = measure or data.effect_measure
    if target is None:
        if data.has_binary_arms:
            target = EffectMeasure.risk_ratio
        elif data.has_continuous_arms:
            target = EffectMeasure.standardised_mean_difference
        else:
            return _exclude(data, _NO_NUMBERS)
    target = EffectMeasure(target)

    if target in BINARY_MEASURES and data.has_binary_arms:
        return _from_events(data, target)
    if target in CONTINUOUS_MEASURES and data.has_continuous_arms:
        return _from_means(data, target)
    if data.effect_measure == target and data.has_estimate:
        return _from_estimate(data, target)

    return _exclude(data, _why_not(data, target))


def _why_not(data: FindingData, target: EffectMeasure) -> str:
    if data.has_estimate:  # of another measure, else it would have been used
        arms = "events and totals" if target in BINARY_MEASURES else "means, SDs and sizes"
        return (
            f"reports {data.effect_measure}, which cannot be converted to {target} "
            f"without per-arm {arms}"
        )
    if data.has_binary_arms or data.has_continuous_arms:
        kind = "events and totals" if data.has_binary_arms else "means and SDs"
        return f"has per-arm {kind}, which cannot give {target}"
    if data.effect_measure is not None and data.effect_value is not None:
        return f"reports {data.effect_measure} without a 95% confidence interval or SE"
    return _NO_NUMBERS


def effect_sizes(
    findings: Iterable[FindingData], measure: EffectMeasure | None = None
) -> EffectSizes:
    """Effect sizes of all findings on one measure. Without ``measure``, the one that the most
    findings can give is chosen (ties: the one reported first, then RR, OR, RD, SMD, MD)."""
    items = list(findings)
    if measure is None:
        measure = _common_measure(items)
    if measure is None:
        # Nothing gives any measure, so each finding's own attempt says why.
        excluded = tuple(
            _exclude(item, _NO_NUMBERS if isinstance(result, EffectSize) else result.reason)
            for item in items
            for result in [effect_size(item)]
        )
        return EffectSizes(measure=None, excluded=excluded)
    effects: list[EffectSize] = []
    excluded_list: list[Exclusion] = []
    for item in items:
        result = effect_size(item, measure)
        if isinstance(result, EffectSize):
            effects.append(result)
        else:
            excluded_list.append(result)
    return EffectSizes(measure=measure, effects=tuple(effects), excluded=tuple(excluded_list))


def _common_measure(items: Sequence[FindingData]) -> EffectMeasure | None:
    reported = [item.effect_measure for item in items if item.effect_measure is not None]
    order = list(dict.fromkeys([*reported, *_PREFERENCE]))
    best: EffectMeasure | None = None
    best_count = 0
    for candidate in order:
        count = sum(isinstance(effect_size(item, candidate), EffectSize) for item in items)
        if count > best_count:
            best, best_count = candidate, count
    return best


def _exclude(data: FindingData, reason: str) -> Exclusion:
    return Exclusion(finding_id=data.finding_id, label=data.label, reason=reason)


def _finite(*values: float) -> bool:
    return all(math.isfinite(value) for value in values)


def _from_events(data: FindingData, measure: EffectMeasure) -> EffectSize | Exclusion:
    e1, n1 = data.events_intervention, data.n_intervention
    e2, n2 = data.events_comparator, data.n_comparator
    assert e1 is not None and n1 is not None and e2 is not None and n2 is not None
    if n1 <= 0 or n2 <= 0:
        return _exclude(data, "an arm has no participants")
    if min(e1, e2) < 0 or e1 > n1 or e2 > n2:
        return _exclude(data, "events must lie between 0 and the arm's total")
    zero_cell = 0 in (e1, n1 - e1, e2, n2 - e2)
    # Only a study with a zero cell gets the correction: statsmodels (0.14, 0.15) adds a float
    # ``zero_correction`` to the counts of every study but to the totals only of studies with
    # a zero, which would shift studies that need no correction.
    eff, var = effectsize_2proportions(
        np.array([e1], dtype=float),
        np.array([n1], dtype=float),
        np.array([e2], dtype=float),
        np.array([n2], dtype=float),
        statistic=_STATSMODELS_STATISTIC[measure],
        zero_correction=ZERO_CELL_CORRECTION if zero_cell else None,
    )
    yi, vi = float(eff[0]), float(var[0])
    if not _finite(yi, vi) or vi <= 0:
        return _exclude(data, f"{measure} has no finite variance from these counts")
    note = "0.5 added to all four cells (zero cell), as metafor's escalc" if zero_cell else None
    return EffectSize(data.finding_id, data.label, measure, yi, vi, "events", note)


def _from_means(data: FindingData, measure: EffectMeasure) -> EffectSize | Exclusion:
    m1, s1, n1 = data.mean_intervention, data.sd_intervention, data.n_intervention
    m2, s2, n2 = data.mean_comparator, data.sd_comparator, data.n_comparator
    assert m1 is not None and s1 is not None and n1 is not None
    assert m2 is not None and s2 is not None and n2 is not None
    if n1 < 2 or n2 < 2:
        return _exclude(data, "each arm needs at least two participants for an SD")
    if s1 < 0 or s2 < 0:
        return _exclude(data, "standard deviations cannot be negative")
    if s1 == 0 and s2 == 0:
        return _exclude(data, f"{measure} needs standard deviations above zero")
    if measure == EffectMeasure.mean_difference:
        yi = m1 - m2
        vi = s1**2 / n1 + s2**2 / n2
    else:
        g, var = effectsize_smd(m1, s1, n1, m2, s2, n2)
        yi, vi = float(g), float(var)
    if not _finite(yi, vi) or vi <= 0:
        return _exclude(data, f"{measure} needs standard deviations above zero")
    return EffectSize(data.finding_id, data.label, measure, float(yi), float(vi), "means")


def _from_estimate(data: FindingData, measure: EffectMeasure) -> EffectSize | Exclusion:
    ratio = is_ratio(measure)
    value, lower, upper = data.effect_value, data.ci_lower, data.ci_upper
    if ratio and any(v is not None and v <= 0 for v in (value, lower, upper)):
        return _exclude(data, f"a ratio ({measure}) and its CI must be positive")

    def scale(x: float) -> float:
        return math.log(x) if ratio else x

    if lower is not None and upper is not None:
        if lower >= upper:
            return _exclude(data, "the confidence interval has no width")
        lo, hi = scale(lower), scale(upper)
        se = (hi - lo) / (2 * Z_95)
        yi = scale(value) if value is not None else (lo + hi) / 2
        source = "ci"
    else:
        assert value is not None and data.standard_error is not None
        if data.standard_error <= 0:
            return _exclude(data, "the standard error must be positive")
        se = data.standard_error
        yi = scale(value)
        source = "standard_error"
    if not _finite(yi, se):
        return _exclude(data, "the estimate is not a finite number")
    note = None if value is not None else "estimate taken as the centre of the CI"
    return EffectSize(data.finding_id, data.label, measure, yi, se**2, source, note)
