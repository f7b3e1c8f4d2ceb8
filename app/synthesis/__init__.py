"""Meta-analysis of findings: effect sizes, pooling and the forest plot.

Typical use::

    data = [FindingData.from_numbers(f.id, label, f) for f, label in findings]
    prepared = effect_sizes(data)                      # one common measure
    result = meta_analyse(prepared.effects, excluded=prepared.excluded)  # may raise
    svg = forest_plot(result, "svg")                   # SynthesisError -> 422
"""

from app.synthesis.effects import (
    EffectSize,
    EffectSizes,
    Exclusion,
    FindingData,
    effect_size,
    effect_sizes,
)
from app.synthesis.forest import forest_plot
from app.synthesis.pooling import (
    MetaAnalysis,
    ModelResult,
    StudyResult,
    Summary,
    SynthesisError,
    meta_analyse,
)

__all__ = [
    "EffectSize",
    "EffectSizes",
    "Exclusion",
    "FindingData",
    "MetaAnalysis",
    "ModelResult",
    "StudyResult",
    "Summary",
    "SynthesisError",
    "effect_size",
    "effect_sizes",
    "forest_plot",
    "meta_analyse",
]
