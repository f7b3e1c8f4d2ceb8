"""Unit tests of app.synthesis: effect sizes, pooling and the forest plot (no database)."""

import io
import math
import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import matplotlib.image
import pytest

from app.findings.schemas import FindingNumbers
from app.models.enums import EffectMeasure
from app.synthesis import (
    EffectSize,
    Exclusion,
    FindingData,
    MetaAnalysis,
    SynthesisError,
    effect_size,
    effect_sizes,
    forest_plot,
    meta_analyse,
)
from app.synthesis.effects import Z_95

RR = EffectMeasure.risk_ratio
OR = EffectMeasure.odds_ratio
MD = EffectMeasure.mean_difference
SMD = EffectMeasure.standardised_mean_difference

# BCG vaccine trials (Colditz et al. 1994), metafor's dat.bcg, typed from the table printed in
# metafor's README (github.com/wviechtb/metafor, README.md): author, year, tpos, tneg, cpos,
# cneg. tpos/tneg: TB positive/negative among the vaccinated; cpos/cneg: among controls.
BCG = [
    ("Aronson", 1948, 4, 119, 11, 128),
    ("Ferguson & Simes", 1949, 6, 300, 29, 274),
    ("Rosenthal et al", 1960, 3, 228, 11, 209),
    ("Hart & Sutherland", 1977, 62, 13536, 248, 12619),
    ("Frimodt-Moller et al", 1973, 33, 5036, 47, 5761),
    ("Stein & Aronson", 1953, 180, 1361, 372, 1079),
    ("Vandiviere et al", 1973, 8, 2537, 10, 619),
    ("TPT Madras", 1980, 505, 87886, 499, 87892),
    ("Coetzee & Berjak", 1968, 29, 7470, 45, 7232),
    ("Rosenthal et al", 1961, 17, 1699, 65, 1600),
    ("Comstock et al", 1974, 186, 50448, 141, 27197),
    ("Comstock & Webster", 1969, 5, 2493, 3, 2338),
    ("Comstock et al", 1976, 27, 16886, 29, 17825),
]
# escalc(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg): yi and vi as printed
# in the same README.
BCG_YI_VI = [
    (-0.8893, 0.3256),
    (-1.5854, 0.1946),
    (-1.3481, 0.4154),
    (-1.4416, 0.0200),
    (-0.2175, 0.0512),
    (-0.7861, 0.0069),
    (-1.6209, 0.2230),
    (0.0120, 0.0040),
    (-0.4694, 0.0564),
    (-1.3713, 0.0730),
    (-0.3394, 0.0124),
    (0.4459, 0.5325),
    (-0.0173, 0.0714),
]


def sig3(actual: float, expected: float) -> bool:
    """Equal to three significant figures: within half a unit of the third digit."""
    unit = 10 ** (math.floor(math.log10(abs(expected))) - 2)
    return abs(actual - expected) <= unit / 2


def bcg_findings() -> list[FindingData]:
    return [
        FindingData(
            finding_id=trial,
            label=f"{author} {year}",
            events_intervention=tpos,
            n_intervention=tpos + tneg,
            events_comparator=cpos,
            n_comparator=cpos + cneg,
        )
        for trial, (author, year, tpos, tneg, cpos, cneg) in enumerate(BCG, start=1)
    ]


@pytest.fixture(scope="module")
def bcg() -> MetaAnalysis:
    prepared = effect_sizes(bcg_findings())
    assert prepared.measure == RR and not prepared.excluded
    return meta_analyse(prepared.effects)


# --- BCG against metafor -------------------------------------------------------------------


def test_bcg_log_risk_ratios_match_escalc() -> None:
    prepared = effect_sizes(bcg_findings())
    assert len(prepared.effects) == 13
    for effect, (yi, vi) in zip(prepared.effects, BCG_YI_VI, strict=True):
        assert effect.measure == RR and effect.source == "events" and effect.note is None
        assert effect.yi == pytest.approx(yi, abs=5e-5)
        assert effect.vi == pytest.approx(vi, abs=5e-5)


def test_bcg_reml_matches_metafor(bcg: MetaAnalysis) -> None:
    # metafor::rma(yi, vi, data=dat) (REML, z test), as printed by metafor 4.x in the RoBMA
    # package vignette "Bayesian Meta-Analysis" (fbartos.github.io/RoBMA): tau^2 0.3132,
    # I^2 92.22%, H^2 12.86, Q(df = 12) = 152.2330, p < .0001; estimate -0.7145, se 0.1798,
    # zval -3.9744, CI -1.0669 to -0.3622. tau^2, I^2, H^2, Q and the estimate are also in
    # metafor's own README (which prints the test="knha" variant of the same fit).
    reml = bcg.reml
    assert bcg.measure == RR and bcg.log_scale and bcg.k == 13
    assert sig3(reml.log_summary.estimate, -0.7145)
    assert sig3(reml.se, 0.1798)
    assert sig3(reml.log_summary.ci_lower, -1.0669)
    assert sig3(reml.log_summary.ci_upper, -0.3622)
    assert sig3(reml.z, -3.9744)
    assert sig3(reml.tau2, 0.3132)
    assert sig3(reml.i2_percent, 92.22)
    assert sig3(reml.h2, 12.86)
    assert sig3(reml.q, 152.2330) and reml.q_df == 12
    assert reml.q_p_value < 1e-4 and reml.p_value < 1e-4
    # predict(res, transf=exp) on the same fit, printed by metafor 4.2-0 in a public tutorial
    # ("Metanálise em R - tutorial básico"): 0.4894 [0.3441, 0.6962], PI 0.1546 to 1.5490.
    # metafor's prediction interval uses the normal quantile, as pooling.py does.
    assert sig3(reml.summary.estimate, 0.4894)
    assert sig3(reml.summary.ci_lower, 0.3441)
    assert sig3(reml.summary.ci_upper, 0.6962)
    assert reml.summary.pi_lower is not None and reml.summary.pi_upper is not None
    assert sig3(reml.summary.pi_lower, 0.1546)
    assert sig3(reml.summary.pi_upper, 1.5490)
    assert reml.summary.estimate == pytest.approx(math.exp(reml.log_summary.estimate))


def test_bcg_dersimonian_laird_matches_metafor(bcg: MetaAnalysis) -> None:
    # metafor's tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r (checked against
    # Stata's metan): rma(yi, vi, method="DL"): estimate -0.7141, CI -1.0644 to -0.3638,
    # zval -3.9952, tau^2 0.3088, I^2 92.1173; exp: 0.4896 [0.3449, 0.6950].
    dl = bcg.dersimonian_laird
    assert sig3(dl.log_summary.estimate, -0.7141)
    assert sig3(dl.log_summary.ci_lower, -1.0644)
    assert sig3(dl.log_summary.ci_upper, -0.3638)
    assert sig3(dl.z, -3.9952)
    assert sig3(dl.tau2, 0.3088)
    assert sig3(dl.i2_percent, 92.1173)
    assert sig3(dl.summary.estimate, 0.4896)
    assert sig3(dl.summary.ci_lower, 0.3449)
    assert sig3(dl.summary.ci_upper, 0.6950)


def test_bcg_fixed_effect_matches_metafor(bcg: MetaAnalysis) -> None:
    # Same metafor test file, method="FE" (now "EE"): estimate -0.4303, CI -0.5097 to -0.3509,
    # zval -10.6247, QE 152.2330; exp: 0.6503 [0.6007, 0.7040]. SE = CI half-width / 1.96.
    fixed = bcg.fixed
    assert sig3(fixed.log_summary.estimate, -0.4303)
    assert sig3(fixed.se, 0.0405)
    assert sig3(fixed.log_summary.ci_lower, -0.5097)
    assert sig3(fixed.log_summary.ci_upper, -0.3509)
    assert sig3(fixed.z, -10.6247)
    assert sig3(fixed.q, 152.2330)
    assert sig3(fixed.summary.estimate, 0.6503)
    assert sig3(fixed.summary.ci_lower, 0.6007)
    assert sig3(fixed.summary.ci_upper, 0.7040)
    assert fixed.tau2 == 0 and fixed.summary.pi_lower is None


def test_bcg_study_rows(bcg: MetaAnalysis) -> None:
    for model in (bcg.fixed, bcg.dersimonian_laird, bcg.reml):
        assert len(model.studies) == 13
        assert sum(s.weight_percent for s in model.studies) == pytest.approx(100)
    aronson = bcg.reml.studies[0]
    assert aronson.label == "Aronson 1948" and aronson.finding_id == 1
    assert aronson.estimate == pytest.approx(math.exp(-0.8893), abs=1e-4)
    assert aronson.ci_lower == pytest.approx(math.exp(aronson.yi - 1.959964 * aronson.se))
    # Random effects spread the weight: the largest trial counts for less than under FE.
    madras_fe, madras_re = bcg.fixed.studies[7], bcg.reml.studies[7]
    assert madras_re.weight_percent < madras_fe.weight_percent
    weights = 1 / (aronson.vi + bcg.reml.tau2)
    total = sum(1 / (s.vi + bcg.reml.tau2) for s in bcg.reml.studies)
    assert aronson.weight_percent == pytest.approx(100 * weights / total)
    assert bcg.as_dict()["reml"]["studies"][0]["label"] == "Aronson 1948"


def test_homogeneous_studies_give_zero_tau2() -> None:
    effects = [
        EffectSize(i, f"Study {i}", MD, yi, vi)
        for i, (yi, vi) in enumerate([(0.50, 0.04), (0.52, 0.09), (0.49, 0.16)])
    ]
    result = meta_analyse(effects)
    assert result.dersimonian_laird.tau2 == 0  # DL truncated at zero
    assert result.reml.tau2 == 0
    assert result.reml.i2_percent == 0 and result.fixed.i2_percent == 0
    assert result.reml.log_summary.estimate == pytest.approx(result.fixed.log_summary.estimate)
    assert not result.log_scale and result.reml.summary == result.reml.log_summary


# --- effect sizes ----------------------------------------------------------------------------


def test_ratio_from_ci_is_log_transformed() -> None:
    data = FindingData(
        7, "Kumar et al 2018", effect_measure=OR, effect_value=0.5, ci_lower=0.25, ci_upper=1.0
    )
    effect = effect_size(data)
    assert isinstance(effect, EffectSize)
    assert effect.measure == OR and effect.source == "ci"
    assert effect.yi == pytest.approx(math.log(0.5))
    se = (math.log(1.0) - math.log(0.25)) / (2 * 1.959964)
    assert effect.vi == pytest.approx(se**2)


def test_difference_from_ci_and_from_se() -> None:
    from_ci = effect_size(
        FindingData(1, "A 2020", effect_measure=MD, effect_value=2.0, ci_lower=0.5, ci_upper=3.5)
    )
    assert isinstance(from_ci, EffectSize)
    assert from_ci.yi == 2.0
    assert from_ci.vi == pytest.approx((3.0 / (2 * Z_95)) ** 2)
    from_se = effect_size(
        FindingData(2, "B 2021", effect_measure=MD, effect_value=1.0, standard_error=0.4)
    )
    assert isinstance(from_se, EffectSize)
    assert (from_se.yi, from_se.vi, from_se.source) == (1.0, pytest.approx(0.16), "standard_error")
    # Without a point estimate the centre of the CI is used (geometric for ratios).
    centred = effect_size(FindingData(3, "C", effect_measure=RR, ci_lower=0.5, ci_upper=2.0))
    assert isinstance(centred, EffectSize)
    assert centred.yi == pytest.approx(0.0, abs=1e-12) and centred.note


def test_two_by_two_tables() -> None:
    table = FindingData(
        1, "D 2019", events_intervention=12, n_intervention=100, events_comparator=24,
        n_comparator=100,
    )  # fmt: skip
    rr = effect_size(table)
    assert isinstance(rr, EffectSize) and rr.measure == RR  # RR by default for counts
    assert rr.yi == pytest.approx(math.log(0.12 / 0.24))
    assert rr.vi == pytest.approx(1 / 12 - 1 / 100 + 1 / 24 - 1 / 100)
    odds = effect_size(table, OR)
    assert isinstance(odds, EffectSize)
    assert odds.yi == pytest.approx(math.log((12 / 88) / (24 / 76)))
    assert odds.vi == pytest.approx(1 / 12 + 1 / 88 + 1 / 24 + 1 / 76)
    rd = effect_size(table, EffectMeasure.risk_difference)
    assert isinstance(rd, EffectSize)
    assert rd.yi == pytest.approx(-0.12)
    assert rd.vi == pytest.approx(0.12 * 0.88 / 100 + 0.24 * 0.76 / 100)


def test_zero_cell_adds_half_to_every_cell() -> None:
    # 0/10 vs 5/10: a=0, b=10, c=5, d=5 become 0.5, 10.5, 5.5, 5.5 (metafor's default).
    zero = FindingData(
        1, "E 2017", events_intervention=0, n_intervention=10, events_comparator=5,
        n_comparator=10,
    )  # fmt: skip
    rr = effect_size(zero, RR)
    assert isinstance(rr, EffectSize)
    assert rr.yi == pytest.approx(math.log((0.5 / 11) / (5.5 / 11)))
    assert rr.vi == pytest.approx(1 / 0.5 - 1 / 11 + 1 / 5.5 - 1 / 11)
    assert rr.note and "0.5" in rr.note
    odds = effect_size(zero, OR)
    assert isinstance(odds, EffectSize)
    assert odds.yi == pytest.approx(math.log((0.5 / 10.5) / (5.5 / 5.5)))
    assert odds.vi == pytest.approx(1 / 0.5 + 1 / 10.5 + 1 / 5.5 + 1 / 5.5)


def test_smd_is_hedges_g() -> None:
    data = FindingData(
        1, "F 2016", mean_intervention=10.0, sd_intervention=2.0, n_intervention=20,
        mean_comparator=8.0, sd_comparator=3.0, n_comparator=25,
    )  # fmt: skip
    smd = effect_size(data)
    assert isinstance(smd, EffectSize) and smd.measure == SMD  # SMD by default for means
    # By hand: pooled SD, Cohen's d, correction J = 1 - 3/(4N - 9), Borenstein's variance.
    n1, n2, n = 20, 25, 45
    sd_pooled = math.sqrt((19 * 2.0**2 + 24 * 3.0**2) / 43)
    g = (1 - 3 / (4 * n - 9)) * (10.0 - 8.0) / sd_pooled
    assert smd.yi == pytest.approx(g)
    assert smd.vi == pytest.approx(n / (n1 * n2) + g**2 / (2 * (n - 3.94)))
    # metafor's escalc("SMD") has the exact gamma correction (same g to three significant
    # figures) and 1/n1 + 1/n2 + g^2/(2N) as variance, 0.6% smaller here (see effects.py).
    m = n - 2
    exact_j = math.exp(math.lgamma(m / 2) - math.log(math.sqrt(m / 2)) - math.lgamma((m - 1) / 2))
    g_metafor = exact_j * (10.0 - 8.0) / sd_pooled
    assert sig3(smd.yi, g_metafor)
    assert smd.vi == pytest.approx(1 / n1 + 1 / n2 + g_metafor**2 / (2 * n), rel=0.01)


def test_mean_difference_from_arms() -> None:
    data = FindingData(
        1, "G 2015", effect_measure=MD, mean_intervention=5.0, sd_intervention=1.0,
        n_intervention=10, mean_comparator=3.0, sd_comparator=2.0, n_comparator=16,
    )  # fmt: skip
    md = effect_size(data)
    assert isinstance(md, EffectSize) and md.source == "means"
    assert (md.yi, md.vi) == (2.0, pytest.approx(1 / 10 + 4 / 16))


def test_from_numbers_reads_schemas_and_rows() -> None:
    numbers = FindingNumbers(effect_measure=RR, effect_value=0.8, ci_lower=0.6, ci_upper=1.1)
    data = FindingData.from_numbers(3, "H 2014", numbers)
    assert data.effect_measure == RR and data.ci_upper == 1.1 and data.finding_id == 3
    row = SimpleNamespace(effect_measure="SMD", effect_value=0.3, standard_error=0.1)
    assert FindingData.from_numbers(4, "I", row).effect_measure == SMD


# --- refusals --------------------------------------------------------------------------------


def test_finding_without_numbers_is_excluded_with_reason() -> None:
    empty = effect_size(FindingData(9, "Nobody 2000"))
    assert isinstance(empty, Exclusion)
    assert empty.finding_id == 9 and "no usable numbers" in empty.reason
    no_ci = effect_size(FindingData(10, "J 2001", effect_measure=RR, effect_value=0.7))
    assert isinstance(no_ci, Exclusion) and "confidence interval" in no_ci.reason
    zero_sd = effect_size(
        FindingData(
            11,
            "K 2002",
            mean_intervention=1.0,
            sd_intervention=0.0,
            n_intervention=5,
            mean_comparator=1.0,
            sd_comparator=0.0,
            n_comparator=5,
        )  # fmt: skip
    )
    assert isinstance(zero_sd, Exclusion) and "standard deviation" in zero_sd.reason


def test_common_measure_leaves_out_what_cannot_be_converted() -> None:
    findings = [
        *bcg_findings()[:3],
        FindingData(19, "N 2002", effect_measure=RR, effect_value=0.7, ci_lower=0.5, ci_upper=0.9),
        FindingData(20, "L 2003", effect_measure=OR, effect_value=0.5, ci_lower=0.3, ci_upper=0.9),
        FindingData(21, "M 2004"),
    ]
    # RR and OR can each be had from four findings; RR is the one reported first.
    prepared = effect_sizes(findings)
    assert prepared.measure == RR and len(prepared.effects) == 4
    assert prepared.effects[3].source == "ci"
    # Asked for OR, the RR-only finding is the one left out.
    as_or = effect_sizes(findings, OR)
    assert [e.label for e in as_or.excluded] == ["N 2002", "M 2004"]
    reasons = {e.label: e.reason for e in prepared.excluded}
    assert "cannot be converted to RR" in reasons["L 2003"]
    assert "no usable numbers" in reasons["M 2004"]


def test_one_study_is_refused_naming_the_left_out() -> None:
    prepared = effect_sizes([bcg_findings()[0], FindingData(30, "Nobody 2000")])
    with pytest.raises(SynthesisError) as raised:
        meta_analyse(prepared.effects, excluded=prepared.excluded)
    error = raised.value
    assert "at least two studies" in str(error)
    assert "Nobody 2000" in str(error) and "no usable numbers" in str(error)
    assert error.detail()["excluded"] == [
        {"finding_id": 30, "label": "Nobody 2000", "reason": prepared.excluded[0].reason}
    ]


def test_mixed_measures_are_refused() -> None:
    effects = [
        EffectSize(1, "RR study", RR, -0.2, 0.05),
        EffectSize(2, "OR study", OR, -0.3, 0.06),
        EffectSize(3, "Another RR", RR, -0.1, 0.04),
    ]
    with pytest.raises(SynthesisError, match="different effect measures") as raised:
        meta_analyse(effects)
    assert "OR: OR study" in str(raised.value) and "RR: RR study, Another RR" in str(raised.value)


def test_nothing_usable_at_all() -> None:
    prepared = effect_sizes([FindingData(1, "A"), FindingData(2, "B")])
    assert prepared.measure is None and len(prepared.excluded) == 2
    with pytest.raises(SynthesisError, match="0 found"):
        meta_analyse(prepared.effects, excluded=prepared.excluded)


# --- forest plot -----------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def test_forest_svg_has_a_row_per_study(bcg: MetaAnalysis) -> None:
    svg = forest_plot(bcg, "svg")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    texts = ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]
    for author, year, *_ in BCG:
        assert f"{author} {year}" in texts
    row_ids = [g.get("id", "") for g in root.iter(f"{SVG}g")]
    rows = sorted(int(m.group(1)) for i in row_ids if (m := re.fullmatch(r"study-(\d+)-label", i)))
    assert rows == list(range(13))
    assert "pooled" in row_ids
    assert "Random effects (REML)" in texts
    assert "Risk ratio (log scale)" in texts


def test_forest_png_decodes(bcg: MetaAnalysis) -> None:
    png = forest_plot(bcg, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = matplotlib.image.imread(io.BytesIO(png), format="png")
    height, width = image.shape[:2]
    assert width == 1000 and 400 < height < 1000


def test_forest_is_deterministic(bcg: MetaAnalysis) -> None:
    assert forest_plot(bcg, "svg") == forest_plot(bcg, "svg")
    assert forest_plot(bcg, "png") == forest_plot(bcg, "png")
    assert forest_plot(bcg, "svg", model="fixed") != forest_plot(bcg, "svg")


def test_forest_for_a_difference_measure() -> None:
    effects = [
        EffectSize(1, "Study $1$ & <two>", MD, 1.2, 0.3),
        EffectSize(2, "Study 2", MD, -0.4, 0.2),
        EffectSize(3, "Study 3", MD, 0.8, 0.5),
    ]
    svg = forest_plot(meta_analyse(effects), "svg")
    texts = ["".join(node.itertext()) for node in ET.fromstring(svg).iter(f"{SVG}text")]
    assert "Study $1$ & <two>" in texts  # escaped, and not read as mathtext
    assert "Mean difference" in texts
