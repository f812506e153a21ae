"""Pure statistics of call-quality reviews: design-weighted means, shrinkage, agreement, calibration.

Everything works on small arrays (one value per reviewed call or per review), never on the store.

* :func:`inclusion_probabilities` / :func:`systematic_pps`: the sampling design of ``leadlab qa sample``
  (probability proportional to size without replacement, exact first-order inclusion probabilities).
* :func:`weighted_mean`: the Hájek (ratio) estimator of a rep's mean QA score over all its reviewable
  calls, Σ y/π / Σ 1/π, with a linearisation variance (with-replacement approximation: slightly
  conservative) and a t interval.
* :func:`shrink`: empirical-Bayes (normal–normal, DerSimonian–Laird τ²) shrinkage of per-rep means
  towards the team mean, for small per-rep samples.
* :func:`cohen_kappa` (two reviewers; unweighted or linear/quadratic weights; asymptotic SE as
  statsmodels/SAS), :func:`fleiss_kappa` (any number of reviewers per call) with a seeded
  bootstrap interval over calls.
* :func:`reviewer_effects`: each reviewer's systematic offset on the same calls (call fixed
  effects, sum-to-zero reviewer effects, cluster-robust SE by call).

>>> pi = inclusion_probabilities(np.array([1.0, 1, 1, 1, 6]), 2)
>>> pi.round(3).tolist()
[0.25, 0.25, 0.25, 0.25, 1.0]
>>> round(cohen_kappa(np.array([[20, 5], [10, 15]])).kappa, 4)
0.4
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps


# -- sampling design ------------------------------------------------------------------------------
def inclusion_probabilities(weights: np.ndarray, n: int) -> np.ndarray:
    """π_i ∝ w_i with Σπ = min(n, N), π ≤ 1 (units that would exceed 1 are taken with certainty and
    the rest rescaled, repeatedly)."""
    w = np.asarray(weights, dtype=float)
    N = len(w)
    if n >= N:
        return np.ones(N)
    pi = np.zeros(N)
    sure = np.zeros(N, dtype=bool)
    while True:
        rest = ~sure
        k = n - sure.sum()
        pi[rest] = k * w[rest] / w[rest].sum()
        pi[sure] = 1.0
        over = rest & (pi >= 1.0)
        if not over.any():
            return pi
        sure |= over


def systematic_pps(rng: np.random.Generator, pi: np.ndarray) -> np.ndarray:
    """Indices drawn by systematic sampling on a random order: unit i is drawn with probability
    exactly π_i (Σπ must be a whole number n; exactly n distinct units come out).

    >>> sorted(systematic_pps(np.random.default_rng(1), np.array([0.5, 0.5, 1.0, 0.25, 0.75])).tolist())
    [0, 2, 3]
    """
    pi = np.asarray(pi, dtype=float)
    sure = np.flatnonzero(pi >= 1.0 - 1e-12)
    rest = np.flatnonzero(pi < 1.0 - 1e-12)
    order = rest[rng.permutation(len(rest))]
    k = int(round(pi[rest].sum()))
    u = rng.random()
    if k == 0:
        return np.sort(sure)
    cum = np.cumsum(pi[order])
    cum[-1] = k  # the total is a whole number; remove float drift so the last point lands
    hits = np.searchsorted(cum, u + np.arange(k), side="right")
    return np.sort(np.concatenate([sure, order[hits]]))


# -- means ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    """A mean with its standard error and interval; ``n`` reviewed calls."""

    mean: float
    se: float
    low: float
    high: float
    n: int


def weighted_mean(y: np.ndarray, pi: np.ndarray, level: float = 0.95) -> Estimate:
    """Hájek estimate of the population mean from a sample with inclusion probabilities ``pi``.

    Variance: n/(n-1) Σ (w_i (y_i - ȳ))² / (Σ w)², w = 1/π (linearisation, with-replacement
    approximation); interval ȳ ± t_{n-1} · se. With equal π it is the sample mean and its usual
    t interval.

    >>> e = weighted_mean(np.array([1.0, 2, 3, 4]), np.full(4, 0.5))
    >>> round(e.mean, 3), round(e.se, 4)
    (2.5, 0.6455)
    """
    y, w = np.asarray(y, float), 1.0 / np.asarray(pi, float)
    n = len(y)
    if n == 0:
        return Estimate(np.nan, np.nan, np.nan, np.nan, 0)
    m = float((w * y).sum() / w.sum())
    if n < 2:
        return Estimate(m, np.nan, np.nan, np.nan, n)
    se = float(np.sqrt(n / (n - 1) * ((w * (y - m)) ** 2).sum()) / w.sum())
    t = sps.t.ppf(0.5 + level / 2, n - 1)
    return Estimate(m, se, m - t * se, m + t * se, n)


@dataclass(frozen=True)
class Shrunk:
    """Per-group posterior means and intervals; ``tau`` is the between-group SD, ``mu`` the centre."""

    mean: np.ndarray
    se: np.ndarray
    low: np.ndarray
    high: np.ndarray
    mu: float
    tau: float


def shrink(est: np.ndarray, var: np.ndarray, level: float = 0.95) -> Shrunk:
    """Empirical-Bayes shrinkage of group means ``est`` with sampling variances ``var``.

    θ_g ~ N(μ, τ²), est_g | θ_g ~ N(θ_g, v_g); τ² by DerSimonian–Laird, μ its precision-weighted
    mean; posterior mean μ + B_g (est_g − μ), B_g = τ²/(τ² + v_g); posterior variance
    B_g v_g + (1 − B_g)² Var(μ̂) (the uncertainty of μ̂ included). Groups with missing est/var keep NaN.

    >>> s = shrink(np.array([0.5, 0.7, 0.9]), np.array([0.01, 0.01, 0.01]))
    >>> round(s.mu, 2), s.mean.round(3).tolist()
    (0.7, [0.55, 0.7, 0.85])
    """
    est, var = np.asarray(est, float), np.asarray(var, float)
    ok = np.isfinite(est) & np.isfinite(var) & (var > 0)
    out = np.full(len(est), np.nan)
    if ok.sum() < 2:
        return Shrunk(out.copy(), out.copy(), out.copy(), out.copy(), float("nan"), float("nan"))
    e, v = est[ok], var[ok]
    w = 1 / v
    mu_fe = (w * e).sum() / w.sum()
    q = (w * (e - mu_fe) ** 2).sum()
    tau2 = max(0.0, (q - (len(e) - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    ws = 1 / (v + tau2)
    mu = float((ws * e).sum() / ws.sum())
    var_mu = 1 / ws.sum()
    b = tau2 / (tau2 + v)
    post = mu + b * (e - mu)
    pvar = b * v + (1 - b) ** 2 * var_mu
    z = sps.norm.ppf(0.5 + level / 2)
    mean, se = out.copy(), out.copy()
    mean[ok], se[ok] = post, np.sqrt(pvar)
    return Shrunk(mean, se, mean - z * se, mean + z * se, mu, float(np.sqrt(tau2)))


# -- agreement --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kappa:
    """An agreement coefficient with SE and interval; ``n`` calls."""

    kappa: float
    se: float
    low: float
    high: float
    n: int


def agreement_weights(k: int, kind: str | None) -> np.ndarray:
    """Agreement weights of a k-category ordinal scale: identity (None), 1 − |i−j|/(k−1) (linear),
    1 − (i−j)²/(k−1)² (quadratic)."""
    i = np.arange(k)
    if kind is None or k == 1:
        return np.eye(k)
    d = np.abs(i[:, None] - i[None, :]) / (k - 1)
    return 1 - (d if kind == "linear" else d**2)


def cohen_kappa(table: np.ndarray, weights: str | None = None, level: float = 0.95) -> Kappa:
    """Cohen's κ of a k×k table (rows: reviewer 1's category, columns: reviewer 2's), optionally
    weighted; asymptotic SE (Fleiss, Cohen & Everitt 1969; the formula statsmodels and SAS use).

    >>> k = cohen_kappa(np.array([[20, 5], [10, 15]]))
    >>> round(k.se, 4)
    0.127
    """
    t = np.asarray(table, float)
    n = t.sum()
    p = t / n
    r, c = p.sum(1), p.sum(0)
    w = agreement_weights(t.shape[0], weights)
    po = (w * p).sum()
    pe = (w * np.outer(r, c)).sum()
    if pe >= 1:
        return Kappa(np.nan, np.nan, np.nan, np.nan, int(n))
    kappa = (po - pe) / (1 - pe)
    w_row = (c * w).sum(1)  # Σ_j w_ij c_j
    w_col = (r[:, None] * w).sum(0)  # Σ_i w_ij r_i
    a = (p * (w - (w_row[:, None] + w_col[None, :]) * (1 - kappa)) ** 2).sum()
    var = (a - (kappa - pe * (1 - kappa)) ** 2) / ((1 - pe) ** 2 * n)
    se = float(np.sqrt(max(var, 0.0)))
    z = sps.norm.ppf(0.5 + level / 2)
    return Kappa(float(kappa), se, float(kappa - z * se), float(kappa + z * se), int(n))


def fleiss_kappa_value(counts: np.ndarray) -> float:
    """Fleiss' κ of a calls × categories count table, every call rated by the same number of reviewers.

    >>> round(fleiss_kappa_value(np.array([[2, 0], [0, 2], [1, 1], [2, 0]])), 4)
    0.4667
    """
    x = np.asarray(counts, float)
    m = x.sum(1)[0]
    n = len(x)
    p = x.sum(0) / (n * m)
    pbar = ((x * (x - 1)).sum(1) / (m * (m - 1))).mean()
    pe = (p**2).sum()
    return float((pbar - pe) / (1 - pe)) if pe < 1 else float("nan")


def fleiss_kappa(counts: np.ndarray, *, seed: int = 0, n_boot: int = 2000, level: float = 0.95) -> Kappa:
    """Fleiss' κ with a percentile bootstrap interval over calls (seeded; vectorised).

    >>> k = fleiss_kappa(np.array([[2, 0], [0, 2], [1, 1], [2, 0]] * 10), seed=1)
    >>> round(k.kappa, 4), k.low < k.kappa < k.high
    (0.4667, True)
    """
    x = np.asarray(counts, float)
    n = len(x)
    kap = fleiss_kappa_value(x)
    if n < 2:
        return Kappa(kap, np.nan, np.nan, np.nan, n)
    rng = np.random.default_rng(seed)
    m = x.sum(1)[0]
    idx = rng.integers(0, n, size=(n_boot, n))
    agree = (x * (x - 1)).sum(1) / (m * (m - 1))
    pbar = agree[idx].mean(1)
    p = x[idx].sum(1) / (n * m)  # (B, k)
    pe = (p**2).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = (pbar - pe) / (1 - pe)
    boot = boot[np.isfinite(boot)]
    lo, hi = np.quantile(boot, [0.5 - level / 2, 0.5 + level / 2]) if len(boot) else (np.nan, np.nan)
    return Kappa(kap, float(np.std(boot, ddof=1)) if len(boot) > 1 else np.nan, float(lo), float(hi), n)


# -- calibration ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Effects:
    """Reviewer offsets (sum to zero over reviewers), SEs and intervals; ``calls`` multi-reviewed."""

    effect: np.ndarray
    se: np.ndarray
    low: np.ndarray
    high: np.ndarray
    calls: np.ndarray  # per reviewer: multi-reviewed calls it scored
    n_calls: int


def reviewer_effects(call: np.ndarray, reviewer: np.ndarray, y: np.ndarray, n_reviewers: int,
                     level: float = 0.95) -> Effects:
    """Offsets β_j in y_cj = α_c + β_j + ε (call fixed effects, Σβ = 0) from calls scored by two or
    more reviewers; OLS on within-call deviations; SE = the larger of the cluster-robust (by call, CR1)
    and the model-based one; t interval with (calls − 1) df. With two reviewers on every call, β_1 − β_2
    is the mean paired difference and the CR1 interval is the paired t interval.

    >>> e = reviewer_effects(np.array([0, 0, 1, 1, 2, 2]), np.array([0, 1, 0, 1, 0, 1]),
    ...                      np.array([4.0, 3, 5, 4, 3, 3]), 2)
    >>> e.effect.round(3).tolist()
    [0.333, -0.333]
    """
    call, reviewer, y = np.asarray(call), np.asarray(reviewer), np.asarray(y, float)
    _, call_i, per = np.unique(call, return_inverse=True, return_counts=True)
    keep = per[call_i] >= 2
    nan = np.full(n_reviewers, np.nan)
    if keep.sum() < 2 or n_reviewers < 2:
        return Effects(nan, nan.copy(), nan.copy(), nan.copy(), np.zeros(n_reviewers, int), 0)
    _, c, size = np.unique(call[keep], return_inverse=True, return_counts=True)
    r, yy = reviewer[keep], y[keep]
    G = len(size)
    D = np.zeros((len(yy), n_reviewers))
    D[np.arange(len(yy)), r] = 1.0
    # demean within call
    sums = np.zeros((G, n_reviewers))
    np.add.at(sums, c, D)
    Dw = D - sums[c] / size[c][:, None]
    ysum = np.bincount(c, weights=yy, minlength=G)
    yw = yy - ysum[c] / size[c]
    # Σβ = 0: β = C γ with C (J × J-1): first J-1 identity, last row −1
    J = n_reviewers
    C = np.vstack([np.eye(J - 1), -np.ones((1, J - 1))])
    X = Dw @ C
    seen = np.bincount(r, minlength=J)
    XtX = X.T @ X
    XtX_inv = np.linalg.pinv(XtX)
    g = XtX_inv @ X.T @ yw
    resid = yw - X @ g
    scores = np.zeros((G, J - 1))
    np.add.at(scores, c, X * resid[:, None])
    # CR1 small-sample factor; the call effects are nested in the clusters and not counted (Cameron &
    # Miller 2015): with two reviewers on every call this is exactly the paired t test
    adj = G / (G - 1) * (len(yy) - 1) / max(len(yy) - (J - 1), 1)
    V = adj * XtX_inv @ (scores.T @ scores) @ XtX_inv
    beta = C @ g
    # the larger of the cluster-robust and the model-based (homoscedastic) SE: CR1 alone is too liberal
    # with few shared calls, the model-based one when reviewers differ in noise (docs/qa.md)
    dof = max(len(yy) - G - (J - 1), 1)
    V_model = (resid @ resid) / dof * XtX_inv
    se = np.sqrt(np.maximum(np.maximum(np.diag(C @ V @ C.T), np.diag(C @ V_model @ C.T)), 0))
    t = sps.t.ppf(0.5 + level / 2, max(G - 1, 1))
    calls_per = np.array([len(np.unique(c[r == j])) for j in range(J)])
    beta = np.where(seen > 0, beta, np.nan)
    se = np.where(seen > 0, se, np.nan)
    return Effects(beta, se, beta - t * se, beta + t * se, calls_per, G)
