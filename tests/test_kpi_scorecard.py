"""Fair rep scorecards: empirical-Bayes shrinkage beats raw rates against the synthetic ground truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from test_kpi_fixtures import tiny_frames

from leadlab.errors import ConfigError
from leadlab.kpi import KpiData
from leadlab.kpi.scorecard import parse_weights, score_reps, scorecard, shrink


def test_shrinkage_by_hand_with_a_given_prior():
    # prior Beta(2, 8); rep with 3 of 4 -> posterior Beta(5, 9), mean 5/14
    d = shrink([3, 10], [4, 100], prior=(2.0, 8.0))
    assert d["shrunk"][0] == pytest.approx(5 / 14) and d["shrunk"][1] == pytest.approx(12 / 110)
    assert d["raw"][0] == 0.75
    from scipy.stats import beta

    assert d["low"][0] == pytest.approx(beta.ppf(0.025, 5, 9)) and d["high"][0] == pytest.approx(beta.ppf(0.975, 5, 9))


def test_small_sample_rep_is_not_ranked_first_on_noise():
    # 20 reps with 400 dials at 25-35% connect, and one rep with 12 dials and 10 connects (83% raw)
    rng = np.random.default_rng(5)
    n = np.r_[np.full(20, 400), 12]
    p = np.r_[rng.uniform(0.25, 0.35, 20), 0.3]
    x = np.r_[rng.binomial(n[:20], p[:20]), 10]
    counts = pd.DataFrame({"rep_id": [f"R{i:02d}" for i in range(21)], "dials": n, "connected": x,
                           "conversations": x, "leads": n, "sqls": x})
    sc = score_reps(counts, {"call_connect_rate": 1}, seed=1)
    lucky = sc.set_index("rep_id").loc["R20"]
    assert lucky["call_connect_rate_raw"] == pytest.approx(10 / 12)
    assert lucky["call_connect_rate_shrunk"] < 0.45  # pulled most of the way to the ~30% average
    assert lucky["rank_high"] - lucky["rank_low"] >= 5  # its rank is very uncertain


def test_shrinkage_ranks_reps_closer_to_true_skill_in_simulation(small_store):
    """Seeded simulation on the true rep effects of ground_truth.json: shrunk rates have a lower
    mean absolute error to the true rate and a higher Spearman correlation with the true skill."""
    effects = small_store.truth["rep_effects"]
    eff = np.array(list(effects.values()))
    p = 1 / (1 + np.exp(-(np.log(0.1 / 0.9) + eff)))
    rng = np.random.default_rng(2026)
    mae_raw, mae_shr, rho_raw, rho_shr = [], [], [], []
    for _ in range(200):
        n = rng.integers(10, 150, len(p))
        x = rng.binomial(n, p)
        s = shrink(x, n)
        mae_raw.append(np.mean(np.abs(s["raw"] - p)))
        mae_shr.append(np.mean(np.abs(s["shrunk"] - p)))
        rho_raw.append(spearmanr(s["raw"], eff)[0])
        rho_shr.append(spearmanr(s["shrunk"], eff)[0])
    assert np.mean(mae_shr) < 0.8 * np.mean(mae_raw)
    assert np.mean(rho_shr) > np.mean(rho_raw)
    assert np.mean(np.array(mae_shr) < np.array(mae_raw)) > 0.9


def test_shrunk_sql_rates_closer_to_truth_on_the_store(demo_store):
    """Weekly rep scorecards of the demo store: the shrunk SQL rate of each rep's new leads is closer
    to the true expected rate (mean p_sql of the same leads, ground_truth_leads.parquet) than the raw rate."""
    data = KpiData.from_store(demo_store.url)
    truth = pd.read_parquet(demo_store.truth_leads_path, columns=["lead_id", "p_sql"])
    leads = data.leads.select("lead_id", "rep_id", "created_at").to_pandas().merge(truth, on="lead_id")
    raw_err, shr_err = [], []
    for week in range(36, 46):
        per = data.period(f"2026-W{week}")
        sc = scorecard(data, per).frame
        inside = leads[(leads["created_at"] >= per.start) & (leads["created_at"] < per.end)]
        true_rate = sc["rep_id"].map(inside.groupby("rep_id")["p_sql"].mean())
        keep = true_rate.notna() & sc["sql_rate_raw"].notna()
        raw_err.append(np.mean(np.abs(sc["sql_rate_raw"][keep] - true_rate[keep])))
        shr_err.append(np.mean(np.abs(sc["sql_rate_shrunk"][keep] - true_rate[keep])))
    assert all(s < r for s, r in zip(shr_err, raw_err))
    assert np.mean(shr_err) < 0.75 * np.mean(raw_err)


def test_scorecard_result_contract_and_verdicts(small_store):
    res = scorecard(KpiData.from_store(small_store.url), "2026-10")
    f = res.to_pandas()
    assert f["rank"].tolist() == list(range(1, len(f) + 1))
    assert (f["composite_low"] <= f["composite"]).all() and (f["composite"] <= f["composite_high"]).all()
    assert ((f["rank_low"] <= f["rank"]) | (f["rank_high"] >= f["rank"])).all()
    assert set(f["verdict"]) <= {"above average", "below average", "not distinguishable from average"}
    assert (f["call_connect_rate_low"] <= f["call_connect_rate_shrunk"]).all()
    assert "Rep scorecards" in res.summary() and "<table" in res._repr_html_() and res.plot() is not None
    # deterministic with a seed
    again = scorecard(KpiData.from_store(small_store.url), "2026-10").to_pandas()
    pd.testing.assert_frame_equal(f, again)


def test_weights_are_configurable_and_checked():
    assert parse_weights("call_connect_rate=1, sql_rate=3") == {"call_connect_rate": 1.0, "sql_rate": 3.0}
    with pytest.raises(ConfigError, match="valid: call_connect_rate, conversation_rate, sql_rate"):
        parse_weights({"talk_time": 1})
    with pytest.raises(ConfigError, match=">= 0"):
        parse_weights("sql_rate=-1")
    with pytest.raises(ConfigError, match="name=weight"):
        parse_weights("sql_rate")
    with pytest.raises(ConfigError, match="at least one"):
        parse_weights("sql_rate=0")
    data = KpiData.from_frames(**tiny_frames())
    only_connect = scorecard(data, "2026-10", weights="call_connect_rate=1").to_pandas()
    assert "sql_rate_shrunk" not in only_connect.columns


def test_scorecard_on_empty_period():
    data = KpiData.from_frames(**tiny_frames())
    res = scorecard(data, "2025-10")
    assert res.to_pandas().empty and "Fewer than two reps" in res.summary()
