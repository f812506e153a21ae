"""Pure statistics on aggregates for the KPI engine (no raw rows, no I/O).

Every function takes counts / sums and returns numbers; zero denominators give NaN,
never inf or an exception.

>>> round(two_proportion_ztest(120, 1000, 90, 1000)[1], 4)
0.0287
>>> [round(v, 4) for v in wilson_interval(8, 40)]
[0.105, 0.3476]
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special, stats


def safe_div(num, den):
    """``num / den`` with NaN where ``den`` is 0 or missing (arrays or scalars).

    >>> safe_div(1, 0), safe_div(3, 4)
    (nan, 0.75)
    """
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where((den == 0) | np.isnan(den), np.nan, num / np.where(den == 0, 1, den))
    return float(out) if out.ndim == 0 else out


def two_proportion_ztest(x1: float, n1: float, x2: float, n2: float) -> tuple[float, float]:
    """Pooled two-sided z-test of ``x1/n1`` against ``x2/n2`` (as statsmodels'
    ``proportions_ztest([x1, x2], [n1, n2])``). Returns ``(z, p)``; NaN when undefined."""
    if min(n1, n2) <= 0:
        return math.nan, math.nan
    p = (x1 + x2) / (n1 + n2)
    var = p * (1 - p) * (1 / n1 + 1 / n2)
    if var <= 0:
        return math.nan, math.nan
    z = (x1 / n1 - x2 / n2) / math.sqrt(var)
    return float(z), float(2 * stats.norm.sf(abs(z)))


def poisson_rate_test(c1: float, t1: float, c2: float, t2: float) -> float:
    """Two-sided p-value that two Poisson counts share one rate per unit of exposure
    (``c1`` events over exposure ``t1`` vs ``c2`` over ``t2``): the exact conditional
    test (statsmodels ``test_poisson_2indep(..., method="exact-cond")``)."""
    if t1 <= 0 or t2 <= 0 or (c1 + c2) == 0:
        return math.nan
    from statsmodels.stats.rates import test_poisson_2indep

    import warnings

    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(test_poisson_2indep(int(c1), t1, int(c2), t2, method="exact-cond").pvalue)


def welch_test(s1: float, ss1: float, n1: float, s2: float, ss2: float, n2: float) -> float:
    """Two-sided Welch t-test p-value from sums ``s`` and sums of squares ``ss``
    (as ``scipy.stats.ttest_ind_from_stats(..., equal_var=False)``)."""
    if n1 < 2 or n2 < 2:
        return math.nan
    m1, m2 = s1 / n1, s2 / n2
    v1 = max((ss1 - n1 * m1 * m1) / (n1 - 1), 0.0)
    v2 = max((ss2 - n2 * m2 * m2) / (n2 - 1), 0.0)
    se2 = v1 / n1 + v2 / n2
    if se2 <= 0:
        return math.nan
    t = (m1 - m2) / math.sqrt(se2)
    df = se2**2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    return float(2 * stats.t.sf(abs(t), df))


def wilson_interval(x: float, n: float, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for ``x`` successes in ``n`` (as statsmodels
    ``proportion_confint(x, n, alpha, method="wilson")``); NaNs when ``n`` is 0."""
    if n <= 0:
        return math.nan, math.nan
    z = stats.norm.isf(alpha / 2)
    p = x / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))


def laney_sigma_z(z) -> float:
    """Laney's overdispersion factor: the average moving range of the trailing
    periods' z-scores / 1.128, floored at 1 (limits never tighter than the plain chart).

    >>> laney_sigma_z([0.0, 1.128, 0.0])
    1.0
    >>> round(laney_sigma_z([0.0, 4.0, 0.0, 4.0]), 3)
    3.546
    """
    z = np.asarray(z, float)
    z = z[np.isfinite(z)]
    if len(z) < 2:
        return 1.0
    return float(max(np.mean(np.abs(np.diff(z))) / 1.128, 1.0))


def p_chart_limits(x_hist, n_hist, n_now: float, sigmas: float = 3.0, laney: bool = True) -> tuple[float, float, float]:
    """p-chart (Laney p\u2032 with ``laney=True``): centre = pooled rate of the trailing
    periods, limits ``p ± sigmas·σz·sqrt(p(1-p)/n_now)`` clipped to [0, 1], where σz
    (≥ 1) absorbs the period-to-period variation a big-n p-chart would flag as signal.
    Returns ``(centre, lower, upper)``."""
    x_hist, n_hist = np.asarray(x_hist, float), np.asarray(n_hist, float)
    if n_hist.sum() <= 0 or n_now <= 0:
        return math.nan, math.nan, math.nan
    p = x_hist.sum() / n_hist.sum()
    var1 = p * (1 - p)
    sz = 1.0
    if laney and var1 > 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            sz = laney_sigma_z((x_hist / n_hist - p) / np.sqrt(var1 / n_hist))
    half = sigmas * sz * math.sqrt(var1 / n_now)
    return p, max(p - half, 0.0), min(p + half, 1.0)


def u_chart_limits(c_hist, t_hist, t_now: float, sigmas: float = 3.0, laney: bool = True) -> tuple[float, float, float]:
    """u-chart (Laney u\u2032 with ``laney=True``) for counts over exposure (e.g. days):
    expected count in the current period = pooled rate × ``t_now``, limits
    ``± sigmas·σz·sqrt(rate·t_now)``."""
    c_hist, t_hist = np.asarray(c_hist, float), np.asarray(t_hist, float)
    if t_hist.sum() <= 0 or t_now <= 0:
        return math.nan, math.nan, math.nan
    rate = c_hist.sum() / t_hist.sum()
    sz = 1.0
    if laney and rate > 0:
        sz = laney_sigma_z((c_hist / t_hist - rate) / np.sqrt(rate / t_hist))
    centre = rate * t_now
    half = sigmas * sz * math.sqrt(centre)
    return centre, max(centre - half, 0.0), centre + half


# --------------------------------------------------------------------------- beta-binomial

#: lower bound of the fitted Beta prior's parameters
MIN_PRIOR_PARAM = 0.5


def betabinom_loglik(alpha: float, beta: float, x, n) -> float:
    """Marginal log-likelihood of counts ``x`` out of ``n`` under Beta(alpha, beta) rates."""
    x, n = np.asarray(x, float), np.asarray(n, float)
    return float(
        np.sum(
            special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)
            + special.betaln(x + alpha, n - x + beta) - special.betaln(alpha, beta)
        )
    )


def fit_beta_prior_mom(x, n) -> tuple[float, float]:
    """Method-of-moments Beta prior for rates ``x/n``: the between-unit variance
    ``tau^2`` is the n-weighted observed spread minus the binomial noise, and
    ``alpha + beta = m(1-m)/tau^2 - 1``."""
    x, n = np.asarray(x, float), np.asarray(n, float)
    keep = n > 0
    x, n = x[keep], n[keep]
    if len(n) < 2 or x.sum() == 0 or x.sum() == n.sum():
        m = (x.sum() + 0.5) / (n.sum() + 1.0)
        return max(m * 2.0, MIN_PRIOR_PARAM), max((1 - m) * 2.0, MIN_PRIOR_PARAM)
    big_n = n.sum()
    p = x / n
    m = float(x.sum() / big_n)
    a = m * (1 - m)
    # E[sum n_i (p_i - m)^2] = (k - 1) m(1-m) + tau^2 (N - sum n_i^2 / N)
    spread = float(np.sum(n * (p - m) ** 2))
    tau2 = (spread - (len(n) - 1) * a) / (big_n - float(np.sum(n * n)) / big_n)
    tau2 = min(max(tau2, a * 1e-6), a * 0.999)
    total = a / tau2 - 1  # alpha + beta
    return m * total, (1 - m) * total


def fit_beta_prior(x, n) -> tuple[float, float]:
    """Marginal maximum-likelihood Beta(alpha, beta) prior for rates ``x/n``
    (beta-binomial), started from the method-of-moments fit. When the data show no
    spread beyond binomial noise the fit tends to a very strong prior (all units equal).
    ``alpha`` and ``beta`` are kept >= 0.5 (never more diffuse than Jeffreys' prior),
    which keeps a handful of extreme units from fitting a degenerate prior."""
    x, n = np.asarray(x, float), np.asarray(n, float)
    keep = n > 0
    x, n = x[keep], n[keep]
    a0, b0 = fit_beta_prior_mom(x, n)
    if len(n) < 2 or x.sum() == 0 or x.sum() == n.sum():
        return a0, b0

    def nll(theta):
        return -betabinom_loglik(math.exp(theta[0]), math.exp(theta[1]), x, n)

    lo = math.log(MIN_PRIOR_PARAM)
    start = [min(max(math.log(a0), lo), 14), min(max(math.log(b0), lo), 14)]
    res = optimize.minimize(nll, start, method="L-BFGS-B", bounds=[(lo, 14), (lo, 14)])
    return float(math.exp(res.x[0])), float(math.exp(res.x[1]))


def beta_interval(a, b, level: float = 0.95):
    """Central credible interval of Beta(a, b) (vectorised)."""
    lo = stats.beta.ppf((1 - level) / 2, a, b)
    hi = stats.beta.ppf(1 - (1 - level) / 2, a, b)
    return lo, hi
