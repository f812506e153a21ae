"""The KPI statistics against statsmodels / scipy on fixed numbers, and by seeded simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.duration.survfunc import SurvfuncRight
from statsmodels.stats.proportion import proportion_confint, proportions_ztest
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize
from statsmodels.stats.rates import test_poisson_2indep as sm_poisson_2indep

from leadlab.kpi import stats
from leadlab.kpi.cycle import kaplan_meier


@pytest.mark.parametrize("x1,n1,x2,n2", [(120, 1000, 90, 1000), (5, 40, 12, 38), (3456, 11481, 3367, 11452), (0, 10, 3, 10)])
def test_two_proportion_ztest_matches_statsmodels(x1, n1, x2, n2):
    z, p = stats.two_proportion_ztest(x1, n1, x2, n2)
    zs, ps = proportions_ztest([x1, x2], [n1, n2])
    assert z == pytest.approx(zs, abs=1e-8) and p == pytest.approx(ps, abs=1e-8)


def test_two_proportion_ztest_undefined_is_nan():
    assert all(math.isnan(v) for v in stats.two_proportion_ztest(0, 0, 1, 5))
    assert all(math.isnan(v) for v in stats.two_proportion_ztest(5, 5, 7, 7))


def test_poisson_test_matches_statsmodels():
    p = stats.poisson_rate_test(249, 22, 201, 22)
    assert p == pytest.approx(sm_poisson_2indep(249, 22, 201, 22, method="exact-cond").pvalue, abs=1e-12)
    assert math.isnan(stats.poisson_rate_test(0, 22, 0, 21))


def test_welch_matches_scipy():
    rng = np.random.default_rng(3)
    a, b = rng.normal(175, 60, 300), rng.normal(185, 80, 200)
    p = stats.welch_test(a.sum(), (a * a).sum(), len(a), b.sum(), (b * b).sum(), len(b))
    assert p == pytest.approx(sps.ttest_ind(a, b, equal_var=False).pvalue, rel=1e-8)


@pytest.mark.parametrize("x,n", [(8, 40), (0, 12), (12, 12), (345, 1234)])
def test_wilson_matches_statsmodels(x, n):
    lo, hi = stats.wilson_interval(x, n)
    slo, shi = proportion_confint(x, n, alpha=0.05, method="wilson")
    assert lo == pytest.approx(slo, abs=1e-10) and hi == pytest.approx(shi, abs=1e-10)


def test_safe_div_never_inf():
    out = stats.safe_div(np.array([1.0, 0.0, 2.0]), np.array([0.0, 0.0, 4.0]))
    assert math.isnan(out[0]) and math.isnan(out[1]) and out[2] == 0.5


def test_two_proportion_false_positive_rate_by_simulation():
    rng = np.random.default_rng(11)
    n = 3000
    x1, x2 = rng.binomial(n, 0.3, 4000), rng.binomial(n, 0.3, 4000)
    rejections = np.mean([stats.two_proportion_ztest(a, n, b, n)[1] < 0.05 for a, b in zip(x1, x2)])
    assert 0.04 <= rejections <= 0.06


def test_two_proportion_power_by_simulation():
    rng = np.random.default_rng(12)
    n = 5000
    x1, x2 = rng.binomial(n, 0.30, 1000), rng.binomial(n, 0.33, 1000)
    power = np.mean([stats.two_proportion_ztest(a, n, b, n)[1] < 0.05 for a, b in zip(x1, x2)])
    analytic = NormalIndPower().power(proportion_effectsize(0.33, 0.30), nobs1=n, alpha=0.05)  # ≈ 0.90
    assert abs(power - analytic) < 0.03


def test_wilson_coverage_by_simulation():
    rng = np.random.default_rng(13)
    p, n = 0.08, 60
    xs = rng.binomial(n, p, 4000)
    cover = np.mean([lo <= p <= hi for lo, hi in (stats.wilson_interval(x, n) for x in xs)])
    assert 0.93 <= cover <= 0.97


def test_control_chart_false_alarm_rate_is_small():
    # stable process: 6 trailing months + 1, binomial noise only -> few points outside 3-sigma limits
    rng = np.random.default_rng(14)
    n = np.full(7, 10_000)
    alarms = 0
    for _ in range(2000):
        x = rng.binomial(n, 0.3)
        _, lo, hi = stats.p_chart_limits(x[:6], n[:6], n[6])
        alarms += not (lo <= x[6] / n[6] <= hi)
    assert alarms / 2000 < 0.02


def test_laney_widens_limits_under_overdispersion():
    # period rates vary far beyond binomial noise (p between 0.27 and 0.33 with n = 10,000)
    x = np.array([2700, 3300, 2800, 3200, 2900, 3100])
    n = np.full(6, 10_000)
    _, lo_p, hi_p = stats.p_chart_limits(x, n, 10_000, laney=False)
    _, lo_l, hi_l = stats.p_chart_limits(x, n, 10_000, laney=True)
    assert hi_l - lo_l > 5 * (hi_p - lo_p)
    assert lo_l < 0.29 and hi_l > 0.31
    c, lo, hi = stats.u_chart_limits([100, 110, 90], [10, 10, 10], 10, laney=False)
    assert (c, lo, hi) == pytest.approx((100, 70, 130))


def test_kaplan_meier_on_aggregates_equals_row_level_survfunc():
    days = np.array([3, 5, 5, 8, 8, 8, 12, 15, 20, 20])
    won = np.array([1, 1, 0, 1, 1, 0, 1, 0, 1, 0])
    rows = SurvfuncRight(days, won)
    # aggregate to (days, won, n)
    keys, counts = np.unique(np.stack([days, won], axis=1), axis=0, return_counts=True)
    agg = kaplan_meier(keys[:, 0], keys[:, 1], counts)
    assert np.allclose(agg.surv_prob, rows.surv_prob) and np.allclose(agg.surv_times, rows.surv_times)
    assert np.allclose(agg.surv_prob_se, rows.surv_prob_se)
    assert agg.quantile(0.5) == rows.quantile(0.5)
    assert agg.quantile_ci(0.25) == rows.quantile_ci(0.25)
    # by hand: at risk 10, event at 3 -> 0.9; at 5: 9 at risk, 1 event -> 0.8; at 8: 7 at risk, 2 events -> 0.8*5/7
    assert agg.surv_prob[:3] == pytest.approx([0.9, 0.8, 0.8 * 5 / 7])


def test_beta_binomial_ml_matches_grid_reference():
    rng = np.random.default_rng(21)
    p = rng.beta(12, 88, size=80)
    n = rng.integers(30, 400, size=80)
    x = rng.binomial(n, p)
    a, b = stats.fit_beta_prior(x, n)
    # reference: the maximum of the marginal likelihood on a fine grid (scipy.stats.betabinom)
    la, lb = np.meshgrid(np.linspace(math.log(2), math.log(200), 121), np.linspace(math.log(10), math.log(2000), 121))
    ll = np.array([[sps.betabinom.logpmf(x, n, math.exp(u), math.exp(v)).sum() for u, v in zip(ru, rv)] for ru, rv in zip(la, lb)])
    i = np.unravel_index(ll.argmax(), ll.shape)
    ga, gb = math.exp(la[i]), math.exp(lb[i])
    assert stats.betabinom_loglik(a, b, x, n) >= sps.betabinom.logpmf(x, n, ga, gb).sum() - 1e-6
    assert a / (a + b) == pytest.approx(ga / (ga + gb), rel=0.02)
    assert a + b == pytest.approx(ga + gb, rel=0.1)


def test_beta_prior_fits_recover_truth_with_many_units():
    rng = np.random.default_rng(22)
    p = rng.beta(20, 80, size=3000)
    n = rng.integers(50, 500, size=3000)
    x = rng.binomial(n, p)
    for fit in (stats.fit_beta_prior, stats.fit_beta_prior_mom):
        a, b = fit(x, n)
        assert a / (a + b) == pytest.approx(0.2, abs=0.005)
        assert a + b == pytest.approx(100, rel=0.15), fit.__name__


def test_beta_prior_without_overdispersion_pools_strongly():
    rng = np.random.default_rng(23)
    n = np.full(40, 300)
    x = rng.binomial(n, 0.25)
    a, b = stats.fit_beta_prior(x, n)
    assert a + b > 2000  # all reps look alike: the prior dominates


def test_hierarchical_beta_posterior_equals_a_fine_grid_reference():
    """The scorecard's posterior (41 × 49 grid) against an independent fine-grid integration with
    scipy's beta-binomial pmf (241 × 241, same hyperprior written out): rep posterior means to 2e-4
    and the team mean to 1e-3 on fixed counts."""
    from scipy import special

    x = np.array([12, 30, 18, 25, 9, 40, 22, 15])
    n = np.array([60, 100, 70, 90, 50, 120, 80, 65])
    fit = stats.fit_hier_beta(x, n)
    u = np.linspace(-3.5, 0.5, 241)[:, None]
    lk = np.linspace(math.log(0.2), math.log(1e7), 241)[None, :]
    mu, kappa = special.expit(u), np.exp(lk)
    a, b = mu * kappa, (1 - mu) * kappa
    ll = sum(sps.betabinom.logpmf(xi, ni, a, b) for xi, ni in zip(x, n))
    sigma = np.sqrt(special.polygamma(1, a) + special.polygamma(1, b))
    # d sigma / d log kappa by finite differences, prior Gamma(2, 0.25) on sigma, mu uniform
    h = 1e-5
    s2 = np.sqrt(special.polygamma(1, a * math.exp(h)) + special.polygamma(1, b * math.exp(h)))
    logp = ll + np.log(sigma) - sigma / stats.SPREAD_PRIOR_SCALE + np.log(np.abs((s2 - sigma) / h)) + np.log(mu * (1 - mu))
    w = np.exp(logp - logp.max())
    w /= w.sum()
    ref_mean = [(w * (a + xi) / (kappa + ni)).sum() for xi, ni in zip(x, n)]
    assert fit.posterior_mean() == pytest.approx(ref_mean, abs=2e-4)
    assert float(fit.weight @ fit.mu) == pytest.approx(float((w * mu).sum()), abs=1e-3)
