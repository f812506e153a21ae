"""The statistics against scipy / statsmodels on fixed numbers (1e-8 relative) and
against hand-derived formulas where no library implements the method."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from leadlab.experiments import stats as S

REL = 1e-8


def test_two_proportions_match_statsmodels_wald():
    from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

    e = S.two_proportions(1000, 80, 1200, 117)
    ref = test_proportions_2indep(117, 1200, 80, 1000, method="wald", compare="diff")
    lo, hi = confint_proportions_2indep(117, 1200, 80, 1000, method="wald", compare="diff")
    assert e.effect == pytest.approx(117 / 1200 - 0.08, rel=REL)
    assert e.p_value == pytest.approx(ref.pvalue, rel=REL)
    assert (e.ci_low, e.ci_high) == (pytest.approx(lo, rel=REL), pytest.approx(hi, rel=REL))
    for alt, sm_alt in (("greater", "larger"), ("less", "smaller")):
        one = S.two_proportions(1000, 80, 1200, 117, alternative=alt)
        assert one.p_value == pytest.approx(
            test_proportions_2indep(117, 1200, 80, 1000, method="wald", alternative=sm_alt).pvalue, rel=REL)


def test_welch_matches_scipy_from_stats_and_raw_data():
    rng = np.random.default_rng(3)
    a, b = rng.normal(10, 2, 40), rng.normal(11, 3, 55)
    e = S.welch(len(a), a.mean(), a.var(ddof=1), len(b), b.mean(), b.var(ddof=1))
    ref = stats.ttest_ind(b, a, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert e.p_value == pytest.approx(ref.pvalue, rel=REL)
    assert (e.ci_low, e.ci_high) == (pytest.approx(ci.low, rel=REL), pytest.approx(ci.high, rel=REL))
    assert e.df == pytest.approx(ref.df, rel=REL)
    # the same through the moments path used by the engine
    ea, eb = S.ratio_estimate(S.ArmMoments.from_values(a)), S.ratio_estimate(S.ArmMoments.from_values(b))
    e2 = S.compare(ea, eb, welch_df=True)
    assert e2.p_value == pytest.approx(ref.pvalue, rel=REL)
    fs = stats.ttest_ind_from_stats(b.mean(), b.std(ddof=1), len(b), a.mean(), a.std(ddof=1), len(a), equal_var=False)
    assert e2.p_value == pytest.approx(fs.pvalue, rel=REL)


def test_fisher_and_barnard_match_scipy():
    e = S.two_proportions(20, 1, 20, 7)  # small cells -> exact
    assert e.method == "fisher"
    assert e.p_value == pytest.approx(stats.fisher_exact([[7, 13], [1, 19]]).pvalue, rel=REL)
    b = S.two_proportions(20, 1, 20, 7, exact="barnard")
    assert b.p_value == pytest.approx(stats.barnard_exact([[7, 13], [1, 19]]).pvalue, rel=REL)
    assert S.two_proportions(2000, 100, 2000, 130).method == "z"


def test_srm_matches_chisquare_any_number_of_arms():
    counts = [5050, 4890, 5200]
    assert S.srm_test(counts) == pytest.approx(stats.chisquare(counts).pvalue, rel=REL)
    w = [0.5, 0.25, 0.25]
    exp = np.sum(counts) * np.array(w)
    assert S.srm_test(counts, w) == pytest.approx(stats.chisquare(counts, exp).pvalue, rel=REL)
    assert S.srm_test([5000, 4600]) < 0.001 < S.srm_test([5000, 4950])


def test_holm_and_bh_match_statsmodels():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(0)
    for p in (np.array([0.001, 0.02, 0.04, 0.3, 0.012, 0.04]), rng.random(50) ** 3):
        assert np.allclose(S.adjust(p, "holm"), multipletests(p, method="holm")[1], rtol=REL, atol=0)
        assert np.allclose(S.adjust(p, "fdr_bh"), multipletests(p, method="fdr_bh")[1], rtol=REL, atol=0)
    assert np.isnan(S.adjust([0.1, np.nan], "holm")[1])


def test_ratio_delta_method_matches_linearization():
    rng = np.random.default_rng(5)
    d = rng.poisson(20, 300) + 1.0
    y = rng.binomial(d.astype(int), 0.1).astype(float)
    est = S.ratio_estimate(S.ArmMoments.from_values(y, d))
    r = y.sum() / d.sum()
    lin = (y - r * d) / d.mean()
    assert est.value == pytest.approx(r, rel=REL)
    assert est.var == pytest.approx(lin.var(ddof=1) / len(y), rel=REL)


def test_relative_lift_fieller_definition():
    # definition changed in issue 8: Fieller's interval (was a delta-method Wald interval,
    # which went below -100 % and covered 0.90 at 8 reps per arm)
    a, b = S.ArmEstimate(1000, 0.10, 0.0001, 0.1), S.ArmEstimate(1000, 0.12, 0.00012, 0.12)
    e = S.compare(a, b)
    assert e.rel_effect == pytest.approx(0.2, rel=REL)
    se = math.sqrt(0.00012 / 0.01 + 0.12 ** 2 * 0.0001 / 0.1 ** 4)
    assert e.rel_se == pytest.approx(se, rel=REL)  # delta method, for display
    q = stats.norm.ppf(0.975)
    for bound in (e.rel_ci_low, e.rel_ci_high):  # the test of B - r A = 0 is exactly at its critical value
        r = 1 + bound
        assert abs(0.12 - r * 0.10) / math.sqrt(0.00012 + r * r * 0.0001) == pytest.approx(q, rel=REL)
    # by hand: roots of (A^2 - q^2 vA) r^2 - 2 A B r + (B^2 - q^2 vB) = 0
    qa, qb, qc = 0.01 - q * q * 0.0001, 0.012, 0.0144 - q * q * 0.00012
    r1 = (qb - math.sqrt(qb * qb - qa * qc)) / qa
    assert e.rel_ci_low == pytest.approx(r1 - 1, rel=REL)
    assert e.rel_p_value == e.p_value  # B/A = 1 is B - A = 0
    # t reference distribution: the same degrees of freedom as the absolute effect
    t = S.effect_from_arms(0.10, 0.12, 0.0001, 0.00012, n_a=8, n_b=8, df=14.0)
    qt = stats.t.ppf(0.975, 14)
    r = 1 + t.rel_ci_high
    assert abs(0.12 - r * 0.10) / math.sqrt(0.00012 + r * r * 0.0001) == pytest.approx(qt, rel=REL)
    assert t.p_value == pytest.approx(2 * stats.t.sf(0.02 / math.sqrt(0.00022), 14), rel=REL)
    # the range: never below -100 % for rates, unbounded when the control is not clearly above 0
    low = S.effect_from_arms(0.10, 0.001, 0.0001, 0.0004, n_a=8, n_b=8, df=14.0)
    assert low.rel_ci_low == -1.0 and low.rel_ci_high < math.inf
    noisy = S.effect_from_arms(0.01, 0.02, 0.0001, 0.0001, n_a=8, n_b=8, df=14.0)
    assert noisy.rel_ci_high == math.inf


def test_bell_mccaffrey_df_and_small_sample_cuped_against_ols():
    import statsmodels.api as sm

    assert S.bell_mccaffrey_df(8, 8) == pytest.approx(14.0, rel=REL)
    # unequal arms: the working-model Satterthwaite df of the HC2 (Welch) variance
    na, nb = 4, 12
    ref = (1 / na + 1 / nb) ** 2 / (1 / (na ** 2 * (na - 1)) + 1 / (nb ** 2 * (nb - 1)))
    assert S.bell_mccaffrey_df(na, nb) == pytest.approx(ref, rel=REL)
    # ANCOVA with equal residual spread in both arms: the classical OLS t-test (df N - 3)
    rng = np.random.default_rng(8)
    x = rng.normal(0.05, 0.02, 8)
    y0 = 0.5 * x + rng.normal(0, 0.01, 8)
    y = np.concatenate([y0, y0 + 0.004])
    xx = np.concatenate([x, x])
    arm = np.repeat([0, 1], 8)
    e = S.unit_effect(S.ArmMoments.from_values(y0, x=x), S.ArmMoments.from_values(y0 + 0.004, x=x), cuped=True)
    fit = sm.OLS(y, sm.add_constant(np.column_stack([arm, xx]))).fit()
    assert e.effect == pytest.approx(fit.params[1], rel=REL)
    assert e.se == pytest.approx(fit.bse[1], rel=REL)
    assert e.df == pytest.approx(fit.df_resid, rel=REL) and e.df == 13
    assert e.p_value == pytest.approx(fit.pvalues[1], rel=REL)


def test_cuped_equals_ancova_estimate_and_reduces_variance():
    import statsmodels.api as sm

    rng = np.random.default_rng(11)
    n = 400
    x = rng.normal(50, 10, 2 * n)
    arm = np.repeat([0, 1], n)
    y = 0.8 * x + 2 * arm + rng.normal(0, 6, 2 * n)
    ma = S.ArmMoments.from_values(y[arm == 0], x=x[arm == 0])
    mb = S.ArmMoments.from_values(y[arm == 1], x=x[arm == 1])
    (ea, eb), theta, reduction = S.cuped_estimates([ma, mb])
    fit = sm.OLS(y, sm.add_constant(np.column_stack([arm, x]))).fit(cov_type="HC2")
    assert eb.value - ea.value == pytest.approx(fit.params[1], rel=REL)
    assert theta == pytest.approx(fit.params[2], rel=REL)
    se = math.sqrt(ea.var + eb.var)
    assert se == pytest.approx(fit.bse[1], rel=0.02)
    assert 0.5 < reduction < 0.8  # corr(x, y) ~ 0.8 -> ~64 % less variance


def test_normal_posterior_closed_form_against_integration():
    r = S.normal_posterior(0.01, 0.008)
    assert r.chance_to_beat == pytest.approx(stats.norm.cdf(0.01 / 0.008), rel=REL)
    loss = integrate.quad(lambda d: max(-d, 0) * stats.norm.pdf(d, 0.01, 0.008), -0.1, 0.1, points=[0.0])[0]
    assert r.expected_loss == pytest.approx(loss, rel=1e-6)
    prior = S.normal_posterior(0.01, 0.008, prior_sd=0.005)
    assert prior.chance_to_beat < r.chance_to_beat  # shrinkage towards 0


def test_beta_binomial_against_numerical_integration():
    r = S.beta_binomial(1000, 80, 1000, 95, seed=1)
    fa, fb = stats.beta(81, 921), stats.beta(96, 906)
    exact = integrate.quad(lambda p: fb.pdf(p) * fa.cdf(p), 0, 0.3, limit=200)[0]
    assert r.chance_to_beat == pytest.approx(exact, abs=0.003)
    loss = integrate.dblquad(lambda pb, pa: max(pa - pb, 0) * fa.pdf(pa) * fb.pdf(pb), 0.03, 0.16, 0.03, 0.18)[0]
    assert r.expected_loss == pytest.approx(loss, rel=0.03)
    assert S.beta_binomial(1000, 80, 1000, 95, seed=1) == r  # seeded


def test_confidence_sequence_is_wider_than_fixed_interval_and_shrinks():
    lo, hi = S.confidence_sequence(0.0, 0.01, 10_000)
    assert hi - lo > 2 * 1.96 * 0.01
    w = [np.subtract(*S.confidence_sequence(0, 1 / math.sqrt(n), n)[::-1]) for n in (1e3, 1e4, 1e5)]
    assert w[0] > w[1] > w[2]
    assert S.confidence_sequence_halfwidth(0.01, 10_000) == pytest.approx(hi, rel=REL)


def test_non_inferiority():
    e = S.compare(S.ArmEstimate(5000, 2.0, 0.002, 10), S.ArmEstimate(5000, 2.05, 0.002, 10))
    ok, p = S.non_inferiority(e, 0.25)  # lower is better, +2.5 % +- ~4 %: within a 25 % margin
    assert ok and p < 0.05
    bad = S.compare(S.ArmEstimate(5000, 2.0, 0.002, 10), S.ArmEstimate(5000, 2.8, 0.002, 10))
    assert not S.non_inferiority(bad, 0.25)[0]
