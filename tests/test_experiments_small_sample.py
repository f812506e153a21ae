"""Issue 8: inference that holds at 8 reps per arm, group-sequential looks for a fixed set of
reps, one decision rule, readable numbers.

The simulations are seeded and vectorized on per-rep aggregates
(:mod:`leadlab.experiments.simulate`); 4,000 runs per cell give a standard error of 0.0034
on a false-positive rate of 0.05, so the [0.04, 0.06] band is about ±3 SE.
"""

from __future__ import annotations

import re

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from leadlab.experiments import analyze, analyze_table, from_counts  # noqa: E402
from leadlab.experiments import design as D  # noqa: E402
from leadlab.experiments import simulate as SIM  # noqa: E402
from leadlab.experiments import stats as S  # noqa: E402
from leadlab.experiments.results import decision_tone  # noqa: E402
from leadlab.experiments.texts import sig_number as fmt_num  # noqa: E402
from leadlab.experiments.sequential import obrien_fleming_bounds, plan_looks  # noqa: E402

RUNS = 4000
SEED = 20260801


@pytest.mark.parametrize("reps", [8, 20])
def test_aa_rep_tests_false_positives_and_coverage(reps):
    for icc in (0.02, 0.05):
        for cuped in (False, True):
            r = SIM.aa_fixed(SEED + reps * 100 + int(icc * 100) + cuped, RUNS, reps, icc, cuped=cuped)
            where = (reps, icc, cuped, r)
            assert 0.04 <= r["fpr"] <= 0.06, where
            assert r["cover_abs"] >= 0.935 and r["cover_rel"] >= 0.935, where


def test_coverage_with_a_real_lift_at_8_reps():
    # treatment reps' rates x 1.10: the true lift of the ratio of sums is +10 %, the
    # absolute effect 10 % of the mean rate
    base = 0.05
    f = SIM.rep_floor(SEED + 5, RUNS, 8, 0.05, base=base, lift=0.10)
    ma, mb = SIM.arm_moments(f.y, f.d, f.x, ~f.arm), SIM.arm_moments(f.y, f.d, f.x, f.arm)
    for cuped in (False, True):
        e = S.unit_effect(ma, mb, cuped=cuped)
        cover_abs = np.mean((e.ci_low <= base * 0.10) & (base * 0.10 <= e.ci_high))
        cover_rel = np.mean((e.rel_ci_low <= 0.10) & (0.10 <= e.rel_ci_high))
        assert cover_abs >= 0.935 and cover_rel >= 0.935, (cuped, cover_abs, cover_rel)
        assert (e.rel_ci_low >= -1).all()  # a rate cannot fall by more than 100 %


def test_the_old_inference_was_anti_conservative_with_cuped():
    # the "before": per-arm CUPED variances with n - 1 and Welch df ignoring the slope
    f = SIM.rep_floor(SEED + 9, 2000, 8, 0.02)
    rej = 0
    for r in range(2000):
        a, b = ~f.arm[r], f.arm[r]
        ms = [S.ArmMoments.from_values(f.y[r, m], f.d[r, m], f.x[r, m]) for m in (a, b)]
        (ea, eb), _, _ = S.cuped_estimates(ms)
        rej += S.compare(ea, eb, welch_df=True).p_value < 0.05
    assert rej / 2000 > 0.06


def test_obrien_fleming_boundaries_match_published_values():
    # Lan-DeMets O'Brien-Fleming, 5 equally spaced looks, two-sided 0.05 (gsDesign / ldbounds)
    ref = [4.8769, 3.3569, 2.6803, 2.2898, 2.0310]
    assert obrien_fleming_bounds([0.2, 0.4, 0.6, 0.8, 1.0]) == pytest.approx(ref, abs=2e-4)
    assert obrien_fleming_bounds([1.0])[0] == pytest.approx(1.959964, abs=1e-6)
    # Brownian-motion Monte Carlo with 20 looks: the overall error is alpha
    rng = np.random.default_rng(3)
    k = 20
    z = (rng.normal(size=(200_000, k)) * np.sqrt(1 / k)).cumsum(axis=1) / np.sqrt(np.arange(1, k + 1) / k)
    assert (np.abs(z) > obrien_fleming_bounds(np.arange(1, k + 1) / k)).any(axis=1).mean() == pytest.approx(0.05, abs=0.0025)


@pytest.mark.parametrize("reps", [8, 20])
def test_sequential_daily_looks_keep_the_error(reps):
    for icc in (0.02, 0.05):
        fpr = SIM.aa_sequential(SEED + 7 + reps + int(icc * 100), RUNS, reps, icc, days=20)
        assert fpr <= 0.05, (reps, icc, fpr)


def test_daily_fixed_horizon_looks_would_inflate_the_error():
    f = SIM.rep_floor(SEED + 11, 2000, 8, 0.02)
    ys, ds = SIM.daily_looks(f, 20, SEED + 12)
    ever = np.zeros(2000, bool)
    for t in range(20):
        e = S.unit_effect(SIM.arm_moments(ys[t], ds[t], f.x, ~f.arm), SIM.arm_moments(ys[t], ds[t], f.x, f.arm), cuped=True)
        ever |= e.p_value < 0.05
    assert ever.mean() > 0.10


def test_look_plan_from_dates():
    p = plan_looks("2026-01-01", "2026-01-29", "2026-01-10 12:00", every="day", fixed_units=True)
    assert (p.planned, p.used, p.mode, p.final) == (28, 10, "group", False)
    assert p.level(0.05) < 0.001  # O'Brien-Fleming: early looks need strong evidence
    done = plan_looks("2026-01-01", "2026-01-29", "2026-03-01", every="week", fixed_units=True)
    assert (done.planned, done.used, done.final) == (4, 4, True)
    assert done.level(0.05) == pytest.approx(2 * (1 - __import__("scipy").stats.norm.cdf(obrien_fleming_bounds([.25, .5, .75, 1])[-1])))
    assert plan_looks("2026-01-01", None, "2026-02-01", fixed_units=True).mode == "fixed"


# --- one decision rule ------------------------------------------------------------------------

def _rep_frame(seed: int, lift: float, reps: int = 8):
    import pandas as pd

    f = SIM.rep_floor(seed, 1, reps, 0.02, lift=lift)
    return pd.DataFrame({"rep": [f"R{i}" for i in range(2 * reps)], "arm": np.where(f.arm[0], "B", "A"),
                         "sql": f.y[0], "calls": f.d[0], "x": f.x[0]})


def _consistent(res) -> None:
    v, status, d = res.verdict(), res.sequential_status, res.decision
    assert not ("Ship" in v and "keep running" in status.lower())
    assert ("Keep running" in v) == (d == "continue") == status.startswith("keep running")
    sig = res.effects.significant
    assert sig.equals((res.effects.p_adj < res.effects.level) & ~res.effects.guardrail)
    assert res.summary().count(" *") >= int(sig.sum())
    ax = res.plot("effects")
    rows = res.effects[~res.effects.guardrail]
    from leadlab import plots

    tone_color = {"good": plots.COLORS["good"], "bad": plots.COLORS["bad"], "neutral": plots.COLORS["neutral"]}
    for i, r in enumerate(rows.itertuples()):
        assert matplotlib.colors.same_color(ax.lines[2 * i].get_color(), tone_color[decision_tone(r)])
    matplotlib.pyplot.close("all")


def test_interim_and_final_looks_agree_everywhere():
    from leadlab.experiments.metrics import Metric

    m = [Metric("sqls_per_call", "sql", "calls")]
    df = _rep_frame(SEED + 21, lift=0.6)
    final = analyze_table(df, metrics=m, unit="rep", covariate="x")
    early = analyze_table(df, metrics=m, unit="rep", covariate="x", looks=(2, 20))
    assert final.decision == "ship" and early.decision == "continue"
    assert early.effects.level.iloc[0] < 0.001 and early.verdict().startswith("Keep running")
    assert "look 2 of 20" in early.verdict() and "look 2 of 20" in early.summary()
    late = analyze_table(df, metrics=m, unit="rep", covariate="x", looks=(20, 20))
    for res in (final, early, late):
        _consistent(res)
    # the repeated interval excludes zero exactly when the look's boundary is crossed
    row = early.effects.iloc[0]
    assert (row.seq_ci_low > 0) == bool(row.significant)


def test_more_units_come_from_the_design_functions():
    r = from_counts([("A", 2000, 160), ("B", 2000, 170)])
    need = D.sample_size(0.08, 0.008) - 2000
    assert f"about {need:,} more units per arm" in r.verdict()


def test_readable_numbers():
    assert fmt_num(2.93e-06) == "0.000003" and fmt_num(-3690.4) == "-3,690"
    for v in (1e-12, 3.3e-7, 2.93e-6, 0.0123, 1.5, 999.9, 12345.6, -3.69e3, 1e9):
        assert "e" not in fmt_num(v).lower()


# --- the demo experiments -----------------------------------------------------------------------

SCI = re.compile(r"\d[eE][+-]\d")  # 2.93e-06, -3.69e+03 (not colours like #009E73)
SAME = re.compile(r"(?<![\d.])([+-]?[\d.,]+(?: pp|%)?) to \1(?![\d.])")


def _report_text(res) -> str:
    from leadlab.experiments.report import ExperimentReport

    rep = ExperimentReport(res, None)
    parts = [res.summary(), res._repr_html_(), rep.verdict_html()]
    for t in (rep.effects(), rep.bayes(), rep.sequential(), rep.checks()):
        parts.append(t.to_html())
    return "\n".join(parts)


@pytest.mark.parametrize("store", ["small_store", "demo_store"])
def test_demo_experiments_no_contradiction_no_zero_width(store, request):
    url = request.getfixturevalue(store).url
    for exp in ("EXP-REP-SCRIPT", "EXP-LEAD-SCRIPT"):
        for kw in ({}, {"planned_end": "2027-06-30"}):
            res = analyze(experiment_id=exp, url=url, segments=False, **kw)
            _consistent(res)
            e = res.effects
            # an interval is either missing (no event in any arm: "n/a") or of positive width
            assert ((e.ci_high - e.ci_low > 0) | e.ci_low.isna()).all()
            assert ((e.rel_ci_high - e.rel_ci_low > 0) | e.rel_ci_low.isna()).all()
            assert (e.ci_low.isna() == (e.se == 0)).all()
            assert (e.rel_ci_low.dropna() >= -1).all()
            text = _report_text(res)
            assert not SCI.search(text), SCI.search(text)
            assert not SAME.search(text), SAME.search(text)
        assert res.plan.planned is not None and "of" in res.look_text()


def test_planned_end_before_start_is_refused(small_store):
    from leadlab.errors import ConfigError

    with pytest.raises(ConfigError, match="planned end"):
        analyze(experiment_id="EXP-REP-SCRIPT", url=small_store.url, planned_end="2000-01-01", segments=False)
