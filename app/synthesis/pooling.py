"""Pool effect sizes: fixed effect (inverse variance) and random effects with the
DerSimonian-Laird and REML estimators of the between-study variance tau².

Conventions follow metafor's ``rma()`` defaults so its printed results can be checked against:

* Inference uses the normal distribution (no Knapp-Hartung adjustment): CI = estimate ± z·SE,
  z the (1 + level)/2 normal quantile, and a two-sided p-value from z = estimate / SE.
* The prediction interval of a random-effects model is estimate ± z·sqrt(SE² + tau²), with the
  normal quantile as metafor's ``predict()`` (not the t quantile with k - 2 df of Higgins et
  al. 2009). A fixed-effect model has none.
* I² and H² of a random-effects model come from its tau²: I² = tau² / (tau² + s²) and
  H² = (tau² + s²) / s², where s² is the "typical" within-study variance
  (k - 1)·Σw / ((Σw)² - Σw²). For DerSimonian-Laird this equals the Q-based
  I² = (Q - df) / Q. The fixed-effect model reports the Q-based values (truncated at 0).
* DerSimonian-Laird tau² is truncated at 0 (statsmodels' ``combine_effects``, used for the
  fixed-effect and DL computations, does not truncate it).
* REML maximises the restricted log-likelihood over tau² >= 0 (statsmodels has no REML).

Ratio measures (RR, OR) are pooled on the log scale and reported exponentiated, with the log
values alongside.
"""

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats
from statsmodels.stats.meta_analysis import combine_effects

from app.models.enums import EffectMeasure
from app.synthesis.effects import EffectSize, Exclusion, is_ratio

Model = Literal["fixed", "dersimonian-laird", "reml"]
FloatArray = NDArray[np.float64]


class SynthesisError(ValueError):
    """The effects cannot be pooled. ``excluded`` lists findings left out and why; the endpoint
    turns this into a 422."""

    def __init__(self, message: str, excluded: Sequence[Exclusion] = ()) -> None:
        self.excluded = tuple(excluded)
        if self.excluded:
            left_out = "; ".join(
                f"{e.label} (finding {e.finding_id}): {e.reason}" for e in self.excluded
            )
            message = f"{message}. Left out: {left_out}"
        super().__init__(message)
        self.message = message

    def detail(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "excluded": [asdict(exclusion) for exclusion in self.excluded],
        }


@dataclass(frozen=True)
class Summary:
    """A pooled estimate with its confidence and prediction intervals on one scale."""

    estimate: float
    ci_lower: float
    ci_upper: float
    pi_lower: float | None
    pi_upper: float | None


@dataclass(frozen=True)
class StudyResult:
    """One study under one model. ``yi``, ``vi`` and ``se`` are on the analysis scale (log for
    ratios); ``estimate`` and the CI are on the reported scale (exp for ratios)."""

    finding_id: int | None
    label: str
    yi: float
    vi: float
    se: float
    estimate: float
    ci_lower: float
    ci_upper: float
    weight_percent: float


@dataclass(frozen=True)
class ModelResult:
    """One model's pooled result. ``summary`` is on the reported scale (exp for ratios) and
    ``log_summary`` on the analysis scale; for differences they are the same. ``se``, ``z``,
    ``tau2`` and ``q`` are on the analysis scale."""

    model: Model
    summary: Summary
    log_summary: Summary
    se: float
    z: float
    p_value: float
    tau2: float
    tau: float
    i2_percent: float
    h2: float
    q: float
    q_df: int
    q_p_value: float
    studies: tuple[StudyResult, ...]


@dataclass(frozen=True)
class MetaAnalysis:
    measure: EffectMeasure
    log_scale: bool
    """True for ratio measures: pooled on the log scale, reported exponentiated."""
    k: int
    level: float
    fixed: ModelResult
    dersimonian_laird: ModelResult
    reml: ModelResult
    excluded: tuple[Exclusion, ...]

    def model(self, name: Model) -> ModelResult:
        return {"fixed": self.fixed, "dersimonian-laird": self.dersimonian_laird}.get(
            name, self.reml
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def meta_analyse(
    effects: Sequence[EffectSize], *, excluded: Sequence[Exclusion] = (), level: float = 0.95
) -> MetaAnalysis:
    """Pool ``effects`` (at least two, all of one measure) under the fixed-effect, DL and REML
    models. ``excluded`` (findings left out earlier) is carried into the result and into the
    ``SynthesisError`` raised when pooling is impossible."""
    if not 0 < level < 1:
        raise ValueError("level must lie between 0 and 1")
    measures = sorted({effect.measure for effect in effects})
    if len(measures) > 1:
        by_measure = "; ".join(
            f"{measure}: " + ", ".join(e.label for e in effects if e.measure == measure)
            for measure in measures
        )
        raise SynthesisError(f"cannot pool different effect measures ({by_measure})", excluded)
    if len(effects) < 2:
        raise SynthesisError(
            f"a meta-analysis needs at least two studies with usable numbers, {len(effects)} found",
            excluded,
        )
    for effect in effects:
        if not (math.isfinite(effect.yi) and math.isfinite(effect.vi) and effect.vi > 0):
            raise SynthesisError(
                f"{effect.label}: a finite effect and a positive variance are required", excluded
            )

    measure = measures[0]
    y = np.array([e.yi for e in effects], dtype=float)
    v = np.array([e.vi for e in effects], dtype=float)
    crit = float(stats.norm.isf((1 - level) / 2))

    combined = combine_effects(y, v, method_re="dl", alpha=1 - level)
    q = float(combined.q)
    df = len(effects) - 1
    tau2_dl = max(0.0, float(combined.tau2))
    fixed_mean = float(combined.mean_effect_fe)
    fixed_se = float(combined.sd_eff_w_fe)

    w = 1 / v
    typical_v = df * w.sum() / (w.sum() ** 2 - (w**2).sum())
    heterogeneity = _Heterogeneity(q=q, df=df, typical_v=typical_v)

    def build(model: Model, tau2: float, mean: float, se: float) -> ModelResult:
        return _model_result(model, measure, effects, v, tau2, mean, se, crit, heterogeneity)

    tau2_reml = reml_tau2(y, v)
    return MetaAnalysis(
        measure=measure,
        log_scale=is_ratio(measure),
        k=len(effects),
        level=level,
        fixed=build("fixed", 0.0, fixed_mean, fixed_se),
        dersimonian_laird=build("dersimonian-laird", tau2_dl, *_weighted_mean(y, v, tau2_dl)),
        reml=build("reml", tau2_reml, *_weighted_mean(y, v, tau2_reml)),
        excluded=tuple(excluded),
    )


def reml_tau2(y: FloatArray, v: FloatArray) -> float:
    """The REML estimate of tau²: the maximiser of the restricted log-likelihood
    -1/2 [Σ log(v + tau²) + log Σ w + Σ w (y - mu)²], w = 1/(v + tau²), over tau² >= 0.

    tau² is searched in units of the mean sampling variance so the tolerance is relative,
    with bounded Brent (scipy's ``minimize_scalar``) on [0, upper], and the boundary 0 is
    compared explicitly because the bounded search never evaluates its end points."""
    scale = float(v.mean())
    spread = float(((y - y.mean()) ** 2).sum()) / scale
    upper = 10.0 * (spread + 1.0)

    def negative(u: float) -> float:
        return -_restricted_loglik(y, v, u * scale)

    found = optimize.minimize_scalar(
        negative, bounds=(0.0, upper), method="bounded", options={"xatol": 1e-12}
    )
    best = float(found.x)
    if negative(0.0) <= negative(best):
        best = 0.0
    return best * scale


def _restricted_loglik(y: FloatArray, v: FloatArray, tau2: float) -> float:
    w = 1 / (v + tau2)
    mu = float((w * y).sum() / w.sum())
    return -0.5 * float(np.log(v + tau2).sum() + np.log(w.sum()) + (w * (y - mu) ** 2).sum())


def _weighted_mean(y: FloatArray, v: FloatArray, tau2: float) -> tuple[float, float]:
    w = 1 / (v + tau2)
    return float((w * y).sum() / w.sum()), float(math.sqrt(1 / w.sum()))


@dataclass(frozen=True)
class _Heterogeneity:
    q: float
    df: int
    typical_v: float


def _model_result(
    model: Model,
    measure: EffectMeasure,
    effects: Sequence[EffectSize],
    v: FloatArray,
    tau2: float,
    mean: float,
    se: float,
    crit: float,
    het: _Heterogeneity,
) -> ModelResult:
    if model == "fixed":
        i2 = max(0.0, (het.q - het.df) / het.q) if het.q > 0 else 0.0
        h2 = het.q / het.df
        pi: tuple[float | None, float | None] = (None, None)
    else:
        i2 = tau2 / (tau2 + het.typical_v)
        h2 = (tau2 + het.typical_v) / het.typical_v
        half = crit * math.sqrt(se**2 + tau2)
        pi = (mean - half, mean + half)
    log_summary = Summary(mean, mean - crit * se, mean + crit * se, *pi)
    back = math.exp if is_ratio(measure) else _identity
    summary = Summary(
        back(mean),
        back(log_summary.ci_lower),
        back(log_summary.ci_upper),
        None if pi[0] is None else back(pi[0]),
        None if pi[1] is None else back(pi[1]),
    )
    weights = 1 / (v + tau2)
    percent = 100 * weights / weights.sum()
    studies = tuple(
        StudyResult(
            finding_id=e.finding_id,
            label=e.label,
            yi=e.yi,
            vi=e.vi,
            se=math.sqrt(e.vi),
            estimate=back(e.yi),
            ci_lower=back(e.yi - crit * math.sqrt(e.vi)),
            ci_upper=back(e.yi + crit * math.sqrt(e.vi)),
            weight_percent=float(pct),
        )
        for e, pct in zip(effects, percent, strict=True)
    )
    z = mean / se
    return ModelResult(
        model=model,
        summary=summary,
        log_summary=log_summary,
        se=se,
        z=z,
        p_value=float(2 * stats.norm.sf(abs(z))),
        tau2=tau2,
        tau=math.sqrt(tau2),
        i2_percent=100 * i2,
        h2=h2,
        q=het.q,
        q_df=het.df,
        q_p_value=float(stats.chi2.sf(het.q, het.df)),
        studies=studies,
    )


def _identity(x: float) -> float:
    return x
