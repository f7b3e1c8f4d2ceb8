"""Draw a meta-analysis as a forest plot, returned as SVG or PNG bytes.

Rendering uses matplotlib's object API with the Agg canvas (no pyplot, no GUI, no files).
The output is deterministic: a fixed ``svg.hashsalt`` for the SVG element ids, no creation
date or software version in the metadata, and bundled DejaVu fonts. SVG text is kept as
``<text>`` elements (``svg.fonttype = "none"``), so labels are searchable and the file small.
Each study row's parts are groups with ids ``study-<n>-label``, ``-ci``, ``-estimate``,
``-numbers`` and ``-weight``; the pooled diamond is ``pooled``.
"""

import io
import math
import threading
from typing import Literal

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from matplotlib.text import Text
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from matplotlib.transforms import blended_transform_factory

from app.models.enums import EffectMeasure
from app.synthesis.pooling import MetaAnalysis, Model, ModelResult

Format = Literal["svg", "png"]

_MEASURE_NAMES = {
    EffectMeasure.risk_ratio: "Risk ratio",
    EffectMeasure.odds_ratio: "Odds ratio",
    EffectMeasure.risk_difference: "Risk difference",
    EffectMeasure.mean_difference: "Mean difference",
    EffectMeasure.standardised_mean_difference: "Standardised mean difference",
}
_MODEL_NAMES = {
    "fixed": "Fixed effect (inverse variance)",
    "dersimonian-laird": "Random effects (DerSimonian-Laird)",
    "reml": "Random effects (REML)",
}
_MAX_LABEL = 48
_ROW_INCHES = 0.28
_TOP_INCHES = 0.45
_BOTTOM_INCHES = 0.8
_DPI = 100
# matplotlib's rcParams are global; renders take turns so one cannot see another's settings.
_LOCK = threading.Lock()


def forest_plot(result: MetaAnalysis, fmt: Format = "svg", *, model: Model = "reml") -> bytes:
    """The forest plot of ``result`` as SVG or PNG bytes. Study squares, weights and the
    diamond are those of ``model`` (REML random effects by default)."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"unknown format {fmt!r}")
    with (
        _LOCK,
        matplotlib.rc_context(
            {
                "svg.hashsalt": "hair-evidence-forest",
                "svg.fonttype": "none",
                "font.family": "DejaVu Sans",
                "font.size": 9.0,
                "path.simplify": False,
            }
        ),
    ):
        figure = _draw(result, result.model(model))
        buffer = io.BytesIO()
        metadata: dict[str, str | None] = (
            {"Date": None, "Creator": None} if fmt == "svg" else {"Software": None}
        )
        figure.savefig(buffer, format=fmt, dpi=_DPI, metadata=metadata)
    return buffer.getvalue()


def _fmt(value: float) -> str:
    if value != 0 and (abs(value) >= 1e4 or abs(value) < 1e-3):
        return f"{value:.2e}"
    return f"{value:.2f}"


def _label(text: str) -> str:
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "…"


def _draw(result: MetaAnalysis, fit: ModelResult) -> Figure:
    k = len(fit.studies)
    ratio = result.log_scale
    level = round(result.level * 100)
    # Rows from the top: header, the studies, a gap, the pooled diamond and its prediction
    # interval; below the axis its label and the heterogeneity line.
    plot_inches = (k + 3) * _ROW_INCHES
    height = _TOP_INCHES + plot_inches + _BOTTOM_INCHES
    figure = Figure(figsize=(10.0, height), dpi=_DPI)
    FigureCanvasAgg(figure)
    ax = figure.add_axes((0.30, _BOTTOM_INCHES / height, 0.36, plot_inches / height))

    # y positions: studies k..1 from the top, the pooled diamond at -1.
    ys = [k - i for i in range(k)]
    pooled_y = -1.0
    max_weight = max(study.weight_percent for study in fit.studies)
    labels = blended_transform_factory(figure.transFigure, ax.transData)

    def put(x: float, y: float, text: str, ha: str, bold: bool = False) -> Text:
        weight = "bold" if bold else "normal"
        return ax.text(
            x, y, text, ha=ha, va="center", fontweight=weight, transform=labels, parse_math=False
        )

    for index, (study, y) in enumerate(zip(fit.studies, ys, strict=True)):
        size = 4 + 10 * math.sqrt(study.weight_percent / max_weight)
        (line,) = ax.plot([study.ci_lower, study.ci_upper], [y, y], color="black", lw=1)
        (square,) = ax.plot([study.estimate], [y], marker="s", ms=size, color="#1f4e79", lw=0)
        label = put(0.02, y, _label(study.label), "left")
        interval = f"{_fmt(study.estimate)} [{_fmt(study.ci_lower)}, {_fmt(study.ci_upper)}]"
        numbers = put(0.86, y, interval, "right")
        weight = put(0.97, y, f"{study.weight_percent:.1f}%", "right")
        row = {"ci": line, "estimate": square, "label": label, "numbers": numbers, "weight": weight}
        for part, artist in row.items():
            artist.set_gid(f"study-{index}-{part}")

    summary = fit.summary
    diamond = Polygon(
        [
            (summary.ci_lower, pooled_y),
            (summary.estimate, pooled_y + 0.35),
            (summary.ci_upper, pooled_y),
            (summary.estimate, pooled_y - 0.35),
        ],
        closed=True,
        facecolor="#8b1a1a",
        edgecolor="#8b1a1a",
    )
    diamond.set_gid("pooled")
    ax.add_patch(diamond)
    if summary.pi_lower is not None and summary.pi_upper is not None:
        ax.plot(
            [summary.pi_lower, summary.pi_upper],
            [pooled_y - 0.6, pooled_y - 0.6],
            color="#8b1a1a",
            lw=1,
            ls="--",
            gid="prediction-interval",
        )
    pooled_label = _MODEL_NAMES[fit.model]
    put(0.02, pooled_y, pooled_label, "left", bold=True)
    pooled_text = f"{_fmt(summary.estimate)} [{_fmt(summary.ci_lower)}, {_fmt(summary.ci_upper)}]"
    put(0.86, pooled_y, pooled_text, "right", bold=True)
    put(0.97, pooled_y, "100%", "right", bold=True)

    header_y = k + 1.2
    put(0.02, header_y, "Study", "left", bold=True)
    heading = f"{result.measure} [{level}% CI]"
    put(0.86, header_y, heading, "right", bold=True)
    put(0.97, header_y, "Weight", "right", bold=True)

    p = "p < 0.001" if fit.q_p_value < 0.001 else f"p = {fit.q_p_value:.3f}"
    heterogeneity = (
        f"Heterogeneity: τ² = {fit.tau2:.3g}, I² = {fit.i2_percent:.1f}%, "
        f"Q = {fit.q:.2f} (df = {fit.q_df}), {p}"
    )
    if summary.pi_lower is not None and summary.pi_upper is not None:
        heterogeneity += (
            f"; {level}% prediction interval {_fmt(summary.pi_lower)} to {_fmt(summary.pi_upper)}"
        )
    figure.text(0.02, 0.12 / height, heterogeneity, ha="left", va="bottom", fontsize=8)

    null = 1.0 if ratio else 0.0
    ax.axvline(null, color="grey", lw=0.8, zorder=0)
    lows = [s.ci_lower for s in fit.studies] + [summary.ci_lower, null]
    highs = [s.ci_upper for s in fit.studies] + [summary.ci_upper, null]
    if summary.pi_lower is not None and summary.pi_upper is not None:
        lows.append(summary.pi_lower)
        highs.append(summary.pi_upper)
    if ratio:
        ax.set_xscale("log")
        low, high = min(lows), max(highs)
        pad = (high / low) ** 0.05
        ax.set_xlim(low / pad, high * pad)
        ax.xaxis.set_major_locator(FixedLocator(_ratio_ticks(low / pad, high * pad)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
        ax.xaxis.set_minor_locator(NullLocator())
    else:
        low, high = min(lows), max(highs)
        pad = 0.05 * (high - low or 1.0)
        ax.set_xlim(low - pad, high + pad)
    ax.set_ylim(pooled_y - 0.9, k + 0.6)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    name = _MEASURE_NAMES[result.measure]
    ax.set_xlabel(f"{name} (log scale)" if ratio else name)
    return figure


def _ratio_ticks(low: float, high: float) -> list[float]:
    """Round ticks for a log axis: 1, 2, 5 times powers of ten, fewer when the range is wide."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    decades = range(first, last + 1)
    for steps in ((1.0, 2.0, 5.0), (1.0,)):
        ticks = [m * 10.0**e for e in decades for m in steps if low <= m * 10.0**e <= high]
        if len(ticks) <= 8:
            return ticks
    stride = math.ceil(len(ticks) / 8)
    return [t for i, t in enumerate(ticks) if i % stride == 0 or t == 1.0]
