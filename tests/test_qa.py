"""QA statistics on fixed numbers (against statsmodels / scipy) and by seeded simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohen
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

from leadlab.errors import ConfigError
from leadlab.qa import stats
from leadlab.qa.form import parse_form
from leadlab.qa.sample import check_per_rep

TABLE = np.array([[10, 3, 1, 0], [2, 12, 4, 1], [0, 3, 9, 2], [1, 0, 2, 8]])


@pytest.mark.parametrize("wt", [None, "linear", "quadratic"])
def test_cohen_kappa_matches_statsmodels(wt):
    ours = stats.cohen_kappa(TABLE, wt)
    ref = sm_cohen(TABLE, wt=wt) if wt else sm_cohen(TABLE)
    assert ours.kappa == pytest.approx(ref.kappa, abs=1e-12)
    assert ours.se == pytest.approx(ref.std_kappa, abs=1e-12)
    assert ours.low == pytest.approx(ref.kappa - 1.959963985 * ref.std_kappa, abs=1e-8)


def test_cohen_kappa_hand_computed():
    # po = 35/50 = 0.7, pe = 0.6*0.5 + 0.4*0.5 = 0.5 -> kappa = 0.4
    assert stats.cohen_kappa(np.array([[20, 5], [10, 15]])).kappa == pytest.approx(0.4)


def test_fleiss_kappa_matches_statsmodels():
    counts = np.random.default_rng(3).multinomial(3, [0.2, 0.3, 0.5], size=60)
    k = stats.fleiss_kappa(counts, seed=1, n_boot=500)
    assert k.kappa == pytest.approx(sm_fleiss(counts), abs=1e-12)
    assert k.low < k.kappa < k.high


def test_fleiss_interval_covers_in_simulation():
    """Two reviewers per call, true agreement structure fixed: the bootstrap interval covers the
    large-sample κ in about 95 % of 200 samples of 80 calls."""
    rng = np.random.default_rng(11)
    truth_p = np.array([0.2, 0.5, 0.3])

    def draw(n):
        latent = rng.choice(3, n, p=truth_p)
        agree = rng.random((n, 2)) < 0.6
        r = np.where(agree, latent[:, None], rng.choice(3, (n, 2), p=truth_p))
        c = np.zeros((n, 3))
        np.add.at(c, (np.repeat(np.arange(n), 2), r.ravel()), 1)
        return c

    target = stats.fleiss_kappa_value(draw(200_000))
    hits = [(k.low <= target <= k.high) for k in (stats.fleiss_kappa(draw(80), seed=s, n_boot=400) for s in range(200))]
    assert 0.89 <= np.mean(hits) <= 0.99


def test_reviewer_effects_equal_paired_t_with_two_reviewers():
    rng = np.random.default_rng(0)
    g = 30
    d, base = rng.normal(0.3, 1, g), rng.normal(3, 1, g)
    y = np.r_[base + d, base]
    call = np.r_[np.arange(g), np.arange(g)]
    rev = np.r_[np.zeros(g, int), np.ones(g, int)]
    e = stats.reviewer_effects(call, rev, y, 2)
    ci = sps.ttest_rel(base + d, base).confidence_interval()
    assert 2 * e.effect[0] == pytest.approx(d.mean())
    assert (2 * e.low[0], 2 * e.high[0]) == pytest.approx((ci.low, ci.high))
    assert e.effect.sum() == pytest.approx(0)


def test_reviewer_effects_false_positive_rate():
    """No reviewer bias: the 95 % interval of reviewer 0 excludes 0 in about 5 % of 400 small panels
    (4 reviewers, 25 calls each scored by a random pair)."""
    rng = np.random.default_rng(5)
    miss = 0
    for _ in range(400):
        calls = np.repeat(np.arange(25), 2)
        pairs = np.array([rng.choice(4, 2, replace=False) for _ in range(25)]).ravel()
        y = rng.normal(0, 1, 25)[calls] + rng.normal(0, 0.5, 50)
        e = stats.reviewer_effects(calls, pairs, y, 4)
        miss += not (e.low[0] <= 0 <= e.high[0])
    assert 0.02 <= miss / 400 <= 0.09


def test_inclusion_probabilities_and_systematic_pps():
    w = np.array([1.0, 1, 2, 4, 20])
    pi = stats.inclusion_probabilities(w, 3)
    assert pi.sum() == pytest.approx(3) and pi[-1] == 1.0
    assert pi[:4] == pytest.approx(2 * w[:4] / w[:4].sum())
    rng = np.random.default_rng(2)
    hits = np.zeros(5)
    for _ in range(20000):
        idx = stats.systematic_pps(rng, pi)
        assert len(idx) == 3 and len(set(idx.tolist())) == 3
        hits[idx] += 1
    assert hits / 20000 == pytest.approx(pi, abs=0.012)


def test_weighted_mean_equal_weights_is_the_t_interval():
    y = np.array([0.2, 0.5, 0.4, 0.9, 0.6])
    e = stats.weighted_mean(y, np.full(5, 0.3))
    lo, hi = sps.t.interval(0.95, 4, loc=y.mean(), scale=sps.sem(y))
    assert (e.mean, e.low, e.high) == pytest.approx((y.mean(), lo, hi))


def test_weighted_and_shrunk_intervals_cover_under_pps_with_small_samples():
    """40 reps, 5 calls each drawn by PPS (weights 1/2/4) from 80 calls whose score depends on the weight
    (over-sampled calls score higher): the unweighted mean is biased; the Hájek mean's interval and the
    shrunk interval cover each rep's population mean close to 95 % over 30 replications."""
    rng = np.random.default_rng(8)
    cover_raw, cover_shrunk, bias_naive, bias_w = [], [], [], []
    for _ in range(30):
        theta = rng.normal(0.6, 0.08, 40)
        est, var_k, lows, highs, truths, naive = [], [], [], [], [], []
        ss, dof = 0.0, 0
        for r in range(40):
            w = rng.choice([1.0, 2.0, 4.0], 80, p=[0.7, 0.2, 0.1])
            y = np.clip(theta[r] + 0.05 * np.log2(w) + rng.normal(0, 0.12, 80), 0, 1)
            pi = stats.inclusion_probabilities(w, 5)
            idx = stats.systematic_pps(rng, pi)
            e = stats.weighted_mean(y[idx], pi[idx])
            ww = 1 / pi[idx]
            est.append(e.mean); lows.append(e.low); highs.append(e.high); truths.append(y.mean())
            naive.append(y[idx].mean())
            var_k.append((ww**2).sum() / ww.sum() ** 2)
            ss += (ww * (y[idx] - e.mean) ** 2).sum() / ww.sum() * 5
            dof += 4
        truths, est = np.array(truths), np.array(est)
        cover_raw += list((np.array(lows) <= truths) & (truths <= np.array(highs)))
        sh = stats.shrink(est, ss / dof * np.array(var_k))
        cover_shrunk += list((sh.low <= truths) & (truths <= sh.high))
        bias_naive.append(np.mean(np.array(naive) - truths))
        bias_w.append(np.mean(est - truths))
    assert abs(np.mean(bias_w)) < 0.01 < np.mean(bias_naive)
    assert 0.88 <= np.mean(cover_raw) <= 0.99
    assert 0.88 <= np.mean(cover_shrunk) <= 0.99


def test_shrink_pulls_towards_the_mean():
    s = stats.shrink(np.array([0.5, 0.7, 0.9, 0.6]), np.array([0.01, 0.01, 0.01, 0.04]))
    assert np.all(np.abs(s.mean - s.mu) <= np.abs(np.array([0.5, 0.7, 0.9, 0.6]) - s.mu) + 1e-12)


@pytest.mark.parametrize("raw, words", [
    ({"items": [{"id": "a", "min": 1, "max": 5}], "sampling": {"weights": {"longer": 2}}}, "unknown key 'longer'"),
    ({"items": [{"id": "a", "min": 5, "max": 1}]}, "min (5.0) must be below max (1.0)"),
    ({"items": [{"id": "a", "min": 1, "max": 5}, {"id": "a", "min": 1, "max": 5}]}, "item id 'a' appears twice"),
    ({"items": [{"id": "a", "min": 1, "max": 5}], "sampling": {"weights": {"long": 0}}}, "weight long must be > 0"),
    ({"items": [{"id": "a", "min": 1, "max": 5}], "sampling": {"min_talk_seconds": -3}}, "must be >= 0"),
])
def test_bad_forms(raw, words):
    with pytest.raises(ConfigError, match="qa.yml") as exc:
        parse_form(raw)
    assert words in str(exc.value)


@pytest.mark.parametrize("value", [0, -1, 2.5, True, "3"])
def test_per_rep_must_be_at_least_one(value):
    with pytest.raises(ConfigError, match="--per-rep must be a whole number of at least 1"):
        check_per_rep(value)


def test_reviewer_effects_match_statsmodels_ols_with_call_fixed_effects():
    """Three reviewers per call (of four): point estimates equal OLS with call dummies and sum-to-zero
    reviewer coding; the model-based SE is statsmodels' non-robust SE (the reported SE is never below it)."""
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(21)
    import pandas as pd

    rows = []
    for c in range(40):
        for r in rng.choice(4, 3, replace=False):
            rows.append((c, r, 3 + [0.3, 0.0, -0.2, -0.1][r] + rng.normal(0, 0.5) + c % 5 * 0.1))
    d = pd.DataFrame(rows, columns=["call", "rev", "y"])
    fit = smf.ols("y ~ C(call) + C(rev, Sum)", data=d).fit()
    coefs = [fit.params[f"C(rev, Sum)[S.{j}]"] for j in range(3)]
    ref = np.r_[coefs, -sum(coefs)]
    e = stats.reviewer_effects(d["call"].to_numpy(), d["rev"].to_numpy(), d["y"].to_numpy(), 4)
    assert e.effect == pytest.approx(ref, abs=1e-10)
    ses = [fit.bse[f"C(rev, Sum)[S.{j}]"] for j in range(3)]
    assert np.all(e.se[:3] >= np.array(ses) - 1e-12)
