"""The luck-vs-skill check, three ways: a reference on fixed numbers (exact binomial sums, a
brute-force replay), a seeded simulation where the true skill is known (equal reps: luck share
high; reps that truly differ: luck share low, estimate near the truth), and the synthetic store's
ground truth (each lead's true SQL probability)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadlab.errors import ConfigError
from leadlab.incentives import parse_plan_text, simulate_plan
from leadlab.incentives.luck import _moments, luck_frame, payout_table, synthetic_check, true_skill_share

PLAN = parse_plan_text("kpi: sql\ntarget: 6\ntarget_incentive: 1000\ntiers:\n  - {from: 0, to: 0.6, rate: 0}\n"
                       "  - {from: 0.6, to: 1.0, rate: 2.5}\n  - {from: 1.0, rate: 4}\ncap: 2")


def test_exact_moments_by_hand():
    # n = 4, p = 0.3: pmf 0.2401, 0.4116, 0.2646, 0.0756, 0.0081; payouts 0, 0, 1, 2, 2
    m, v = _moments(np.array([[0.3]]), np.array([4.0]), np.array([[0.0, 0.0, 1.0, 2.0, 2.0]]))
    assert m[0, 0] == pytest.approx(0.432)
    assert v[0, 0] == pytest.approx(0.5994 - 0.432**2)
    # equal true rates and volumes: no payout spread is skill
    n = np.full(5, 60.0)
    pay, _b = payout_table(n, np.full(5, 6.0), PLAN.multiple, PLAN.band)
    assert true_skill_share(np.full(5, 0.1), n, pay) == 0.0
    # a rate KPI: k connected of n = 10 dials against a 50 % target -> attainment k / 5
    rate_pay, _b = payout_table(np.array([10.0]), np.array([0.5]), PLAN.multiple, PLAN.band, is_rate=True)
    assert rate_pay[0, [2, 4, 5, 6]].tolist() == pytest.approx([0.0, 2.5 * 0.2, 1.0, 1.8])
    assert pay[0, [0, 3, 4, 6, 9, 12]].tolist() == pytest.approx([0.0, 0.0, 2.5 * (4 / 6 - 0.6), 1.0, 2.0, 2.0])


def test_tier_chance_matches_a_brute_force_replay():
    from leadlab.kpi.stats import fit_hier_beta

    x, n = np.array([2.0, 6.0, 9.0, 4.0]), np.array([50.0, 60.0, 55.0, 40.0])
    t = np.full(4, 6.0)
    f = luck_frame(x, n, t, PLAN.multiple, PLAN.band, draws=2000, seed=3)
    p, _mu, _sd = fit_hier_beta(x, n).draws(np.random.default_rng(3), 2000)
    k = np.random.default_rng(9).binomial(n.astype(int), p)
    _pay, bands = payout_table(n, t, PLAN.multiple, PLAN.band)
    replay = (bands[np.arange(4), k] != f["band"].to_numpy()).mean(axis=0)
    assert f["p_tier_chance"].to_numpy() == pytest.approx(replay, abs=0.03)
    # observed: 2/6 -> 0; 6/6 -> 1; 9/6 -> 1 + 0.5·4 = 3, capped at 2; 4/6 -> 2.5·(4/6 − 0.6)
    assert f["observed"].tolist() == pytest.approx([0.0, 1.0, 2.0, 2.5 * (4 / 6 - 0.6)])
    assert f["band"].tolist() == [0, 2, 3, 1]


def test_luck_share_high_for_equal_reps_low_for_different_reps():
    equal = synthetic_check(PLAN, 0.0, range(5))
    differ = synthetic_check(PLAN, 0.8, range(5))
    # measured over 12 seeds: luck share 0.88 (equal reps) and 0.38 (logit SD 0.8)
    assert 1 - equal["estimate"].mean() > 0.8 and 1 - differ["estimate"].mean() < 0.5
    assert abs(differ["estimate"].mean() - differ["truth"].mean()) < 0.08
    assert differ.eval("low <= truth <= high").sum() >= 4
    # equal reps: most tiers are chance; different reps: fewer
    assert equal["tier_chance"].mean() > differ["tier_chance"].mean()
    # and P(tier by chance) is close to its true value (a fresh period drawn with the true rates)
    for world in (equal, differ):
        assert abs(world["tier_chance"].mean() - world["tier_chance_true"].mean()) < 0.06


def test_simulate_against_the_synthetic_ground_truth(demo_store):
    """True skill share per month from each lead's true SQL probability (ground truth) vs the estimate."""
    import duckdb

    from leadlab.kpi import KpiData
    from leadlab.kpi.scorecard import rep_counts
    from leadlab.periods import parse_period

    con = duckdb.connect(str(demo_store.path), read_only=True)
    leads = con.execute("select lead_id, created_at, rep_id from leads").df()
    con.close()
    leads = leads.merge(pd.read_parquet(demo_store.truth_leads_path, columns=["lead_id", "p_sql"]), on="lead_id")
    data = KpiData.from_store(demo_store.url)
    plan = parse_plan_text("kpi: sql\ntarget: 8\ntarget_incentive: 3000\ntiers:\n  - {from: 0, to: 0.6, rate: 0}\n"
                           "  - {from: 0.6, to: 1.0, rate: 2.5}\n  - {from: 1.0, rate: 4}\ncap: 2")
    res = simulate_plan(data, plan, "2026-09", periods=5, draws=500)
    inside, gaps = 0, []
    for row in res.frame.itertuples(index=False):
        per = parse_period(row.period)
        c = rep_counts(data, per).set_index("rep_id")
        reps = res.reps[res.reps["period"] == row.period]
        l = leads[(leads.created_at >= per.start) & (leads.created_at < per.end)]
        p_true = l.groupby("rep_id")["p_sql"].mean().reindex(reps["rep_id"]).fillna(0.0).to_numpy()
        n = c["leads"].reindex(reps["rep_id"]).fillna(0.0).to_numpy()
        pay, _b = payout_table(n, np.full(len(n), 8.0), plan.multiple, plan.band)
        truth = true_skill_share(p_true, n, pay)
        inside += row.skill_low <= truth <= row.skill_high
        gaps.append(row.skill_share - truth)
    assert inside >= 3, res.frame  # measured: 4 of 5 months (May–September 2026)
    assert abs(np.mean(gaps)) < 0.1
    assert res.frame["total"].gt(0).all() and (res.reps["p_tier_chance"].between(0, 1)).all()


def test_luck_check_needs_a_modelled_kpi(demo_store):
    plan = parse_plan_text("kpi: revenue\ntarget: 8000\ntarget_incentive: 3000\ntiers:\n  - {from: 0, rate: 1}")
    with pytest.raises(ConfigError, match="the luck check needs a KPI the scorecard models"):
        simulate_plan(demo_store.url, plan, "2026-09", periods=2)
    with pytest.raises(ConfigError, match="option --periods: must be between 1 and 36"):
        simulate_plan(demo_store.url, PLAN, "2026-09", periods=0)


def test_gate_chance_matches_a_brute_force_replay():
    from leadlab.incentives.luck import gate_chance
    from leadlab.kpi.stats import fit_hier_beta

    x, n = np.array([1.0, 0.0, 6.0, 2.0, 0.0]), np.array([250.0, 250.0, 250.0, 400.0, 0.0])
    got = gate_chance(x, n, limit=4, kind="max", scale=1000, draws=4000, seed=5)
    p, _mu, _sd = fit_hier_beta(x, n).draws(np.random.default_rng(5), 4000)
    k = np.random.default_rng(6).binomial(n.astype(int), p)
    with np.errstate(invalid="ignore", divide="ignore"):
        passes = np.where(n > 0, k * 1000 / np.where(n > 0, n, 1) <= 4, True)
    observed = np.array([True, True, False, False, True])  # 4.0, 0, 24 and 5.0 per 1,000 against a maximum of 4
    replay = (passes != observed).mean(axis=0)
    assert got == pytest.approx(replay, abs=0.03)
    assert got[4] == 0.0  # no dials: nothing to measure, never flips
    low = gate_chance(x, n, limit=4, kind="min", scale=1000, draws=500, seed=5)
    assert low[2] < 0.2 < low[0]  # 24 per 1,000 is well above a minimum of 4; 4.0 sits on the edge


def test_simulate_reads_all_periods_at_once_with_the_same_numbers(demo_store, monkeypatch):
    """The per-rep measures of all simulated periods come from one query per source; each
    period's figures equal those of a simulation of that period alone on a fresh KpiData."""
    import leadlab.incentives.simulate as sim
    from leadlab.kpi import KpiData

    plan = parse_plan_text("kpi: sql\ntarget: 8\ntarget_incentive: 3000\ntiers:\n  - {from: 0, to: 0.6, rate: 0}\n"
                           "  - {from: 0.6, rate: 4}\ncap: 2\ngate:\n  - {kpi: complaints_per_1000, max: 4}")
    data = KpiData.from_store(demo_store.url)
    both = simulate_plan(data, plan, "2026-10", periods=2, draws=200, seed=3)
    assert {k[0] for k in data._cache} >= {"calls", "leads"}
    monkeypatch.setattr(sim, "_prefetch", lambda *a: None)
    for j, label in enumerate(["2026-09", "2026-10"]):
        alone = simulate_plan(KpiData.from_store(demo_store.url), plan, label, periods=1, draws=200, seed=3 + 1 - j)
        pd.testing.assert_frame_equal(both.frame[both.frame["period"] == label].reset_index(drop=True), alone.frame)
        pd.testing.assert_frame_equal(both.reps[both.reps["period"] == label].reset_index(drop=True), alone.reps)
