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
from dataclasses import dataclass

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


def u_chart_limits(c_hist, t_hist, t_now: float, sigmas: float = 3.0, laney: bool = True,
                   phi: float = 1.0) -> tuple[float, float, float]:
    """u-chart (Laney u\u2032 with ``laney=True``) for counts over exposure (e.g. business days):
    expected count in the current period = pooled rate × ``t_now``, limits
    ``± sigmas·σz·sqrt(phi·rate·t_now)``, where ``phi`` (≥ 1) is the dispersion of the daily
    counts (:func:`poisson_dispersion`, the same one the period comparison uses) and σz
    (≥ 1) Laney's factor on the trailing periods' z-scores computed with that variance.

    >>> u_chart_limits([100, 110, 90], [10, 10, 10], 10, laney=False, phi=4.0)
    (100.0, 40.0, 160.0)
    """
    c_hist, t_hist = np.asarray(c_hist, float), np.asarray(t_hist, float)
    if t_hist.sum() <= 0 or t_now <= 0:
        return math.nan, math.nan, math.nan
    phi = max(float(phi), 1.0) if np.isfinite(phi) else 1.0
    rate = c_hist.sum() / t_hist.sum()
    sz = 1.0
    if laney and rate > 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            sz = laney_sigma_z((c_hist / t_hist - rate) / np.sqrt(phi * rate / t_hist))
    centre = rate * t_now
    half = sigmas * sz * math.sqrt(phi * centre)
    return float(centre), float(max(centre - half, 0.0)), float(centre + half)


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


# --------------------------------------------------------------------------- hierarchical beta-binomial

#: scale of the Gamma(2, scale) hyperprior on the between-unit SD of the rates on the logit scale
#: (mode 0.25, mean 0.5: reps' odds typically differ by 25–50%; the density vanishes at 0, so
#: the spread is never fitted as exactly zero: the boundary-avoiding prior of Chung, Rabe-Hesketh,
#: Dorie, Gelman & Liu (2013), Psychometrika 78, 685–709)
SPREAD_PRIOR_SCALE = 0.25


@dataclass(frozen=True)
class HierBeta:
    """Posterior of a hierarchical beta-binomial model on a grid of (mean, concentration).

    Unit rates ``p_i ~ Beta(mu·kappa, (1−mu)·kappa)``, counts ``x_i ~ Binomial(n_i, p_i)``;
    hyperprior: mu uniform on (0, 1), and a Gamma(2, ``SPREAD_PRIOR_SCALE``) prior on the
    SD of logit(p_i) under the Beta (``sqrt(trigamma(a) + trigamma(b))``), weakly informative
    and zero at zero spread (a flat-at-zero prior lets weak data fit "all reps equal" and
    under-covers reps that do differ: 0.92 instead of 0.94 at a 2 pp spread in simulation). ``weight`` is the
    normalised posterior mass of each grid point (mu, kappa): integrating over it carries the
    uncertainty of the pooled mean and of the spread into every unit's posterior.
    """

    x: np.ndarray
    n: np.ndarray
    mu: np.ndarray
    kappa: np.ndarray
    weight: np.ndarray

    @property
    def a(self) -> np.ndarray:
        return self.mu * self.kappa

    @property
    def b(self) -> np.ndarray:
        return (1 - self.mu) * self.kappa

    @property
    def spread(self) -> np.ndarray:
        """Between-unit SD of the true rates at each grid point (rate scale)."""
        return np.sqrt(self.mu * (1 - self.mu) / (self.kappa + 1))

    def posterior_mean(self) -> np.ndarray:
        """Each unit's posterior mean rate (exact: a mixture of conjugate Beta means)."""
        num = self.a[:, None] + self.x[None, :]
        return self.weight @ (num / (self.kappa[:, None] + self.n[None, :]))

    def quantile(self, values: np.ndarray, q) -> np.ndarray:
        """Posterior quantiles of a grid quantity (e.g. ``self.spread``)."""
        order = np.argsort(values)
        cum = np.cumsum(self.weight[order])
        return values[order][np.minimum(np.searchsorted(cum, np.atleast_1d(q)), len(cum) - 1)]

    def draws(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(p, mu, spread)`` posterior draws: ``p`` has shape (size, units)."""
        g = rng.choice(len(self.weight), size=size, p=self.weight)
        a, b = self.a[g][:, None], self.b[g][:, None]
        p = rng.beta(a + self.x[None, :], b + (self.n - self.x)[None, :])
        return p, self.mu[g], self.spread[g]


def _log_post(u: np.ndarray, lk: np.ndarray, x: np.ndarray, n: np.ndarray, scale: float) -> np.ndarray:
    """Log posterior (up to a constant) on the grid logit(mu) = u × log(kappa) = lk."""
    mu = special.expit(u)[:, None]
    kappa = np.exp(lk)[None, :]
    a, b = mu * kappa, (1 - mu) * kappa
    gl = special.gammaln
    ll = (gl(a[..., None] + x).sum(axis=-1) + gl(b[..., None] + (n - x)).sum(axis=-1)
          - gl((a + b)[..., None] + n).sum(axis=-1) - len(x) * (gl(a) + gl(b) - gl(a + b)))
    sigma = np.sqrt(special.polygamma(1, a) + special.polygamma(1, b))
    dsig = kappa * (mu * special.polygamma(2, a) + (1 - mu) * special.polygamma(2, b)) / (2 * sigma)
    prior = np.log(sigma) - sigma / scale + np.log(np.abs(dsig)) + np.log(mu * (1 - mu))
    return ll + prior


def fit_hier_beta(x, n, scale: float = SPREAD_PRIOR_SCALE, n_mu: int = 41, n_kappa: int = 49) -> HierBeta:
    """Hierarchical beta-binomial posterior for rates ``x/n`` (units with ``n = 0`` are dropped
    from the fit but keep their place: their posterior is the population's).

    The grid spans log(kappa) in [log 0.2, log 1e7] (kappa = 1e7: all units equal for any real
    count) and logit(mu) over the region holding the posterior mass (found on a coarse grid).

    >>> f = fit_hier_beta([30, 31, 29, 30], [100, 100, 100, 100])
    >>> round(float(f.weight.sum()), 6), bool(f.posterior_mean()[0] > 0.29)
    (1.0, True)
    """
    x, n = np.asarray(x, float), np.asarray(n, float)
    keep = n > 0
    xf, nf = x[keep], n[keep]
    lk = np.linspace(math.log(0.2), math.log(1e7), n_kappa)
    centre = special.logit((xf.sum() + 0.5) / (nf.sum() + 1.0))
    u = centre + np.linspace(-7.0, 7.0, 29)
    lp = _log_post(u, lk[::2], xf, nf, scale)
    marg = lp.max(axis=1)
    inside = u[marg > marg.max() - 25]
    step = u[1] - u[0]
    u = np.linspace(inside.min() - step, inside.max() + step, n_mu)
    lp = _log_post(u, lk, xf, nf, scale)
    w = np.exp(lp - lp.max())
    w /= w.sum()
    mu = np.repeat(special.expit(u), len(lk))
    kappa = np.tile(np.exp(lk), len(u))
    w = w.ravel()
    big = w > 1e-12 * w.max()
    return HierBeta(x=x, n=n, mu=mu[big], kappa=kappa[big], weight=w[big] / w[big].sum())


def homogeneity_test(x, n) -> float:
    """p-value of Pearson's chi-square test that all units share one rate (k × 2 table);
    NaN with fewer than two units or a pooled rate of 0 or 1.

    >>> round(homogeneity_test([10, 20], [100, 100]), 4)
    0.0477
    """
    x, n = np.asarray(x, float), np.asarray(n, float)
    keep = n > 0
    x, n = x[keep], n[keep]
    if len(n) < 2:
        return math.nan
    p = x.sum() / n.sum()
    if p <= 0 or p >= 1:
        return math.nan
    chi2 = float(np.sum((x - n * p) ** 2 / (n * p * (1 - p))))
    return float(stats.chi2.sf(chi2, len(n) - 1))


def jeffreys_interval(x: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """Jeffreys interval of ``x`` successes in ``n`` (Beta(x + ½, n − x + ½) quantiles)."""
    if n <= 0:
        return math.nan, math.nan
    lo, hi = beta_interval(x + 0.5, n - x + 0.5, level)
    return float(lo), float(hi)


# --------------------------------------------------------------------------- overdispersed daily counts


@dataclass(frozen=True)
class Dispersion:
    """Pearson dispersion ``phi`` of daily counts (``df`` residual degrees of freedom) under a
    log-linear Poisson model with one level per group (period) and one factor per weekday;
    ``weekday`` holds the weekday factors (Monday..Sunday), scaled to mean 1 over the
    weekdays with activity."""

    phi: float
    df: float
    weekday: np.ndarray

    @property
    def used(self) -> float:
        """The dispersion applied to tests and limits: never below 1 (never more liberal than Poisson)."""
        return max(self.phi, 1.0) if np.isfinite(self.phi) else 1.0


def poisson_dispersion(y, group, weekday, tol: float = 1e-12, max_iter: int = 500) -> Dispersion:
    """Dispersion of daily counts ``y`` (one per day) with the day's ``group`` label and
    ``weekday`` (0 = Monday): the Poisson MLE of ``E[y] = level[group] · factor[weekday]``
    by iterative proportional fitting of the margins, then Pearson's X² / (days − parameters)
    over the days with a positive expected count (as statsmodels
    ``GLM(y, C(group) + C(weekday), Poisson).fit(scale="X2").scale``). Fewer than 2
    residual degrees of freedom: ``phi`` is NaN (no evidence either way).

    >>> d = poisson_dispersion([10, 12, 9, 30, 28, 33], [0, 0, 0, 1, 1, 1], [0, 1, 2, 0, 1, 2])
    >>> round(d.phi, 4), d.df
    (0.3997, 2.0)
    """
    y = np.asarray(y, float)
    _, g = np.unique(np.asarray(group), return_inverse=True)
    d = np.asarray(weekday, int)
    cells = np.zeros((g.max() + 1 if len(g) else 0, 7))
    days = np.zeros_like(cells)
    np.add.at(cells, (g, d), y)
    np.add.at(days, (g, d), 1.0)
    row_tot, col_tot = cells.sum(axis=1), cells.sum(axis=0)
    lvl = np.ones(len(row_tot))
    fac = np.where(col_tot > 0, 1.0, 0.0)
    for _ in range(max_iter):
        with np.errstate(divide="ignore", invalid="ignore"):
            lvl = np.where(row_tot > 0, row_tot / (days @ fac), 0.0)
            new = np.where(col_tot > 0, col_tot / (lvl @ days), 0.0)
        done = np.max(np.abs(new - fac)) < tol * max(np.max(fac), 1.0)
        fac = new
        if done:
            break
    mu = lvl[g] * fac[d]
    pos = mu > 0
    df = float(pos.sum() - ((row_tot > 0).sum() + (col_tot > 0).sum() - 1))
    active = fac[col_tot > 0]
    weekday_factor = fac / active.mean() if len(active) else np.ones(7)
    if df < 2:
        return Dispersion(math.nan, df, weekday_factor)
    x2 = float(np.sum((y[pos] - mu[pos]) ** 2 / mu[pos]))
    return Dispersion(x2 / df, df, weekday_factor)


def quasi_poisson_test(c1: float, t1: float, c2: float, t2: float, phi: float = 1.0, df: float = math.inf) -> float:
    """Two-sided p-value that counts ``c1`` over exposure ``t1`` and ``c2`` over ``t2`` share one
    rate, with variance ``phi`` × mean (quasi-Poisson; ``phi`` floored at 1). ``phi == 1``: the
    exact conditional Poisson test. Otherwise the Wald test of the log rate ratio,
    ``z = log((c1/t1)/(c2/t2)) / sqrt(phi (1/c1 + 1/c2))`` (as statsmodels' Poisson GLM with
    offset log t and ``scale=phi``), against Student's t with the ``df`` of the dispersion
    estimate; a zero count gets ½ added to both counts.

    >>> round(quasi_poisson_test(249, 22, 201, 22, phi=2.0, df=120), 4)
    0.1129
    """
    phi = max(float(phi), 1.0) if np.isfinite(phi) else 1.0
    if t1 <= 0 or t2 <= 0 or (c1 + c2) == 0:
        return math.nan
    if phi == 1.0:
        return poisson_rate_test(c1, t1, c2, t2)
    if min(c1, c2) == 0:
        c1, c2 = c1 + 0.5, c2 + 0.5
    z = math.log((c1 / t1) / (c2 / t2)) / math.sqrt(phi * (1 / c1 + 1 / c2))
    return float(2 * (stats.t.sf(abs(z), df) if np.isfinite(df) else stats.norm.sf(abs(z))))
