"""Scorer metrics and drift statistics: fixed numbers against scikit-learn/scipy, and seeded simulations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from leadlab.scoring import evaluate as ev
from leadlab.scoring.grades import bands_from_scores, grade, parse_bands, priority, quartile_cuts
from leadlab.scoring.monitor import CalibrationDrift, calibration_drift, level, profile_column, psi, psi_table, recommend
from leadlab.errors import ConfigError
from leadlab.scoring.text import monitor_reason

Y = np.array([0, 0, 1, 1, 0, 1, 0, 0, 1, 0])
P = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.05, 0.3, 0.9, 0.6])


def test_metrics_match_sklearn_on_fixed_numbers():
    m = ev.metrics(Y, P)
    assert m["roc_auc"] == pytest.approx(roc_auc_score(Y, P))
    assert m["roc_auc"] == pytest.approx(22 / 24)
    assert ev.auc(Y, P) == pytest.approx(roc_auc_score(Y, P))
    ties = np.array([0.2, 0.2, 0.5, 0.5, 0.5, 0.1, 0.9, 0.9, 0.3, 0.3])
    assert ev.auc(Y, ties) == pytest.approx(roc_auc_score(Y, ties))  # 22 of 24 positive/negative pairs ordered right
    assert m["pr_auc"] == pytest.approx(average_precision_score(Y, P))
    assert m["brier"] == pytest.approx(brier_score_loss(Y, P))
    assert m["log_loss"] == pytest.approx(log_loss(Y, P))
    assert m["brier_skill"] == pytest.approx(1 - brier_score_loss(Y, P) / (0.4 * 0.6))
    assert m["ks"] == pytest.approx(ks_2samp(P[Y == 1], P[Y == 0]).statistic)


def test_ece_by_hand():
    # two equal-count bins: [0.05,0.1,0.2,0.3,0.35] has 1 positive, [0.4,0.6,0.7,0.8,0.9] has 3
    e = ev.ece(Y, P, bins=2)
    assert e == pytest.approx(0.5 * abs(0.2 - 0.2) + 0.5 * abs(0.6 - 0.68))
    assert ev.ece(np.array([0, 1] * 50), np.full(100, 0.5)) == pytest.approx(0.0)


def test_decile_table_and_gains():
    rng = np.random.default_rng(0)
    p = rng.random(1000)
    y = (rng.random(1000) < p).astype(int)
    d = ev.decile_table(y, p)
    assert d.leads.sum() == 1000 and d.conversions.sum() == y.sum()
    assert d.cum_gain.iloc[-1] == pytest.approx(1.0)
    top = np.argsort(-p)[:100]
    assert d.lift.iloc[0] == pytest.approx(y[top].mean() / y.mean())
    assert ev.metrics(y, p)["lift_top_decile"] == pytest.approx(d.lift.iloc[0])
    g = ev.gains_curve(y, p)
    assert g.share_conversions.iloc[0] == 0 and g.share_conversions.iloc[-1] == pytest.approx(1.0)
    assert (np.diff(g.share_conversions) >= 0).all()


@pytest.mark.slow
def test_bootstrap_auc_interval_coverage():
    """Seeded simulation: the 95% bootstrap interval of the AUC covers the true AUC ~95% of the time."""
    rng = np.random.default_rng(11)
    # scores ~ N(1, 1) for positives and N(0, 1) for negatives: true AUC = Phi(1 / sqrt(2))
    from scipy.stats import norm

    true_auc = norm.cdf(1 / np.sqrt(2))
    hits, sims = 0, 300
    for i in range(sims):
        y = (rng.random(400) < 0.3).astype(int)
        s = rng.normal(y.astype(float), 1.0)
        p = 1 / (1 + np.exp(-s))
        lo, hi = ev.bootstrap_ci(y, p, n_boot=150, seed=i, names=("roc_auc",))["roc_auc"]
        hits += lo <= true_auc <= hi
    assert 0.91 <= hits / sims <= 0.98


def test_psi_by_hand_and_levels():
    prof = {"kind": "categorical", "categories": ["a", "b"], "shares": [0.5, 0.5, 0.0]}
    cur = ["a"] * 70 + ["b"] * 30
    expected = (0.7 - 0.5) * np.log(0.7 / 0.5) + (0.3 - 0.5) * np.log(0.3 / 0.5)
    assert psi(prof, cur) == pytest.approx(expected, rel=1e-3)
    assert [level(x) for x in (0.05, 0.1, 0.2, 0.25, 3)] == ["stable", "moderate", "moderate", "major", "major"]


def test_psi_false_alarm_rate_and_power():
    """Seeded simulation: same distribution → PSI below 0.1 in every run; a 0.5 sd shift → above 0.1."""
    rng = np.random.default_rng(5)
    ref = profile_column(rng.normal(size=20000))
    same = [psi(ref, rng.normal(size=3000)) for _ in range(100)]
    shifted = [psi(ref, rng.normal(0.5, 1, size=3000)) for _ in range(100)]
    assert max(same) < 0.1
    assert min(shifted) > 0.1


def test_psi_numeric_counts_missing_as_a_bin():
    ref = profile_column(np.r_[np.arange(100.0), [np.nan] * 10])
    assert len(ref["shares"]) == len(ref["edges"]) + 2
    assert psi(ref, np.r_[np.arange(100.0), [np.nan] * 10]) == pytest.approx(0.0, abs=1e-9)
    assert psi(ref, np.r_[np.arange(100.0), [np.nan] * 100]) > 0.25


def test_recommendation_rules():
    import pandas as pd

    stable = pd.DataFrame({"feature": ["x", "score"], "psi": [0.01, 0.02], "level": ["stable", "stable"]})
    assert recommend(stable, None)[0] == "no action"
    moderate = pd.DataFrame({"feature": ["x", "score"], "psi": [0.15, 0.02], "level": ["moderate", "stable"]})
    assert recommend(moderate, None)[0] == "watch"
    major = pd.DataFrame({"feature": ["x", "score"], "psi": [0.01, 0.4], "level": ["stable", "major"]})
    action, why = recommend(major, None)
    assert action == "retrain" and why[0]["code"] == "major" and why[0]["feature"] == "score"
    assert monitor_reason(why[0]) == "the score shifted majorly (PSI 0.40 ≥ 0.25)"
    cal = calibration_drift(np.r_[np.ones(300), np.zeros(700)], np.full(1000, 0.15), "2026-09")
    assert cal.level == "major" and recommend(stable, cal)[0] == "retrain"
    ok = calibration_drift(np.r_[np.ones(150), np.zeros(850)], np.full(1000, 0.15), "2026-09")
    assert ok.level == "stable"


def test_grades_and_priority():
    s = np.linspace(0, 100, 1001)
    bands = bands_from_scores(s)
    g = grade(s, bands)
    assert abs((g == "A").mean() - 0.10) < 0.01 and abs((g == "D").mean() - 0.40) < 0.01
    pr = priority(s, quartile_cuts(s))
    assert set(pr) == {1, 2, 3, 4} and pr[-1] == 1 and pr[0] == 4
    assert parse_bands("A=40,B=20,C=10") == {"A": 40.0, "B": 20.0, "C": 10.0}
    with pytest.raises(ConfigError, match="decrease from A to C"):
        parse_bands("A=10,B=20,C=5")
    with pytest.raises(ConfigError, match="A=40,B=20,C=10"):
        parse_bands("A:40")
