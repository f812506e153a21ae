"""Pure statistics on sufficient statistics (no rows, no I/O).

Every function takes per-arm aggregates (units ``n``, sums, sums of squares and
cross-products) so the same code serves a DataFrame, a DuckDB file or a warehouse.

Definitions used everywhere in leadlab:

* **Absolute effect** = value(treatment) - value(control).
* **Relative lift** = value(treatment) / value(control) - 1 with **Fieller's interval**:
  every ratio ``r`` for which the test of ``B - r A = 0`` (variance
  ``Var(B) - 2 r Cov(A, B) + r^2 Var(A)``) on the same reference distribution as the
  absolute effect (z, or t with the same degrees of freedom) does not reject. So the lift's
  interval excludes 0 exactly when the absolute interval does, it accounts for the
  uncertainty of the control mean (unbounded when the control is not clearly above zero),
  and it is clipped at -100 % for non-negative metrics. Its p-value is the absolute
  effect's (``B/A = 1`` is ``B - A = 0``).
* **Clustered units** (reps): :func:`unit_effect` with ``small_sample=True`` uses
  Welch's (HC2) variance with the Bell–McCaffrey degrees of freedom of the two-group design
  (Bell & McCaffrey 2002; Imbens & Kolesár 2016), minus one per covariate slope estimated
  (CUPED as ANCOVA, residual variances on their residual degrees of freedom, plus the
  slope's own uncertainty).
* **Ratio metric** ``sum(num)/sum(den)`` over units, variance by the delta method
  over units (the randomization unit), so per-rep experiments are analysed per rep.

>>> e = two_proportions(1000, 80, 1000, 100)
>>> round(e.effect, 3), round(e.rel_effect, 3)
(0.02, 0.25)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special, stats

ALTERNATIVES = ("two-sided", "greater", "less")
#: A proportion test with a success or failure count below this in any arm is exact.
SMALL_CELL = 5


@dataclass(frozen=True)
class ArmMoments:
    """Sufficient statistics of one arm for a ratio ``sum(y)/sum(d)`` over ``n`` units.

    For a plain mean the denominator is 1 per unit (``sd = n, sdd = n, syd = sy``).
    ``sx, sxx, sxy, sxd`` hold a pre-period covariate ``x`` (CUPED); zero when unused.
    """

    n: float
    sy: float
    syy: float
    sd: float
    sdd: float
    syd: float
    sx: float = 0.0
    sxx: float = 0.0
    sxy: float = 0.0
    sxd: float = 0.0

    @classmethod
    def from_mean(cls, n: float, mean: float, var: float) -> "ArmMoments":
        """Moments of a mean metric from n, mean and (n-1) sample variance."""
        sy = n * mean
        syy = var * (n - 1) + n * mean * mean
        return cls(n, sy, syy, n, n, sy)

    @classmethod
    def from_counts(cls, n: float, successes: float) -> "ArmMoments":
        """Moments of a proportion (0/1 per unit)."""
        return cls(n, successes, successes, n, n, successes)

    @classmethod
    def from_values(cls, y, d=None, x=None) -> "ArmMoments":
        """Moments computed from per-unit arrays (tests and simulations)."""
        y = np.asarray(y, float)
        d = np.ones_like(y) if d is None else np.asarray(d, float)
        x = np.zeros_like(y) if x is None else np.asarray(x, float)
        return cls(len(y), y.sum(), (y * y).sum(), d.sum(), (d * d).sum(), (y * d).sum(),
                   x.sum(), (x * x).sum(), (x * y).sum(), (x * d).sum())


@dataclass(frozen=True)
class ArmEstimate:
    """An arm's value, the variance of that value, and its unit count."""

    n: float
    value: float
    var: float  # variance of the estimate (not of a unit)
    unit_var: float  # per-unit (linearized) variance, ``var * n``


@dataclass
class Effect:
    """One comparison treatment vs control on one metric."""

    control_value: float
    value: float
    effect: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    rel_effect: float
    rel_se: float
    rel_ci_low: float
    rel_ci_high: float
    rel_p_value: float
    n_control: float
    n: float
    df: float = math.inf
    method: str = "z"
    notes: list[str] = field(default_factory=list)
    var_control: float = math.nan  # variance of the control's estimate
    var_treatment: float = math.nan
    cov: float = 0.0  # covariance of the two estimates (CUPED's shared slope)
    theta: float = math.nan  # CUPED slope (NaN without CUPED)
    variance_reduction: float = math.nan


def _cov(n: float, sa: float, sb: float, sab: float) -> float:
    """Sample covariance (n-1 denominator) from sums."""
    if n < 2:
        return math.nan
    return (sab - sa * sb / n) / (n - 1)


def ratio_estimate(m: ArmMoments) -> ArmEstimate:
    """``sum(y)/sum(d)`` with its delta-method variance over units.

    >>> est = ratio_estimate(ArmMoments.from_values([1, 0, 2, 1], [2, 1, 3, 2]))
    >>> float(round(est.value, 4))
    0.5
    """
    n = m.n
    if n <= 0 or m.sd == 0:
        return ArmEstimate(n, math.nan, math.nan, math.nan)
    my, md = m.sy / n, m.sd / n
    r = my / md
    vy = _cov(n, m.sy, m.sy, m.syy)
    vd = _cov(n, m.sd, m.sd, m.sdd)
    cyd = _cov(n, m.sy, m.sd, m.syd)
    unit_var = (vy - 2 * r * cyd + r * r * vd) / (md * md)
    unit_var = max(unit_var, 0.0) if not math.isnan(unit_var) else unit_var
    return ArmEstimate(n, r, unit_var / n, unit_var)


def linearized_cov_x(m: ArmMoments, r: float) -> tuple[float, float]:
    """Covariance of the ratio's linearization with ``x``, and the variance of ``x``."""
    n = m.n
    md = m.sd / n
    cyx = _cov(n, m.sy, m.sx, m.sxy)
    cdx = _cov(n, m.sd, m.sx, m.sxd)
    vx = _cov(n, m.sx, m.sx, m.sxx)
    return (cyx - r * cdx) / md, vx


def cuped_estimates(arms: list[ArmMoments]) -> tuple[list[ArmEstimate], float, float]:
    """CUPED (regression adjustment on a pre-period covariate) for ratio or mean metrics.

    One pooled ``theta = Cov(lin, x) / Var(x)`` (``lin`` = the ratio's delta-method
    linearization) is estimated over all arms; each arm's value is shifted by
    ``-theta * (mean_x(arm) - mean_x(all))``. Returns (estimates, theta,
    variance reduction = 1 - Var(adjusted)/Var(unadjusted), pooled over arms).
    """
    plain = [ratio_estimate(m) for m in arms]
    covs, vxs, ws = [], [], []
    for m, e in zip(arms, plain):
        c, vx = linearized_cov_x(m, e.value)
        covs.append(c)
        vxs.append(vx)
        ws.append(m.n - 1)
    w = np.asarray(ws, float)
    vx_pool = float(np.dot(w, vxs) / w.sum())
    if not vx_pool > 0:
        return plain, 0.0, 0.0
    theta = float(np.dot(w, covs) / w.sum()) / vx_pool
    n_all = sum(m.n for m in arms)
    mx_all = sum(m.sx for m in arms) / n_all
    out = []
    before = after = 0.0
    for m, e, c, vx in zip(arms, plain, covs, vxs):
        adj_unit_var = max(e.unit_var - 2 * theta * c + theta * theta * vx, 0.0)
        value = e.value - theta * (m.sx / m.n - mx_all)
        out.append(ArmEstimate(m.n, value, adj_unit_var / m.n, adj_unit_var))
        before += e.var
        after += adj_unit_var / m.n
    reduction = 1 - after / before if before > 0 else 0.0
    return out, theta, reduction


def _cdf(x, df):
    return special.stdtr(df, x)


def _ppf(q, df):
    return special.stdtrit(df, q)


def _p_value(stat, alternative: str, df=math.inf):
    """p-value of a z (``df`` infinite) or t statistic (arrays or floats; NaN stays NaN)."""
    stat = np.asarray(stat, float)
    if alternative == "two-sided":
        p = 2 * _cdf(-np.abs(stat), df)
    elif alternative == "greater":
        p = _cdf(-stat, df)
    else:
        p = _cdf(stat, df)
    return p if p.ndim else float(p)


def _interval(est, se, alpha: float, alternative: str, df=math.inf):
    if alternative == "two-sided":
        q = _ppf(1 - alpha / 2, df)
        return est - q * se, est + q * se
    q = _ppf(1 - alpha, df)
    if alternative == "greater":
        return est - q * se, est + 0 * se + math.inf
    return est - 0 * se - math.inf, est + q * se


def _check_alternative(alternative: str) -> None:
    if alternative not in ALTERNATIVES:
        from leadlab.errors import ConfigError

        raise ConfigError(f"alternative must be one of {', '.join(ALTERNATIVES)}, got {alternative!r}")


def _ratio_interval(a, b, va, vb, cab, q, lower_ok: bool, upper_ok: bool):
    """Fieller's interval of ``b/a - 1``: every ratio ``r`` for which the test of
    ``b - r a = 0`` (variance ``vb - 2 r cab + r^2 va``, quantile ``q``) does not reject.
    Bounded when the control is clearly non-zero (``a^2 > q^2 va``), else unbounded (±inf);
    clipped at -100 % when both estimates are non-negative. Vectorized."""
    with np.errstate(divide="ignore", invalid="ignore"):
        qa = a * a - q * q * va
        qb = a * b - q * q * cab
        qc = b * b - q * q * vb
        disc = np.sqrt(np.maximum(qb * qb - qa * qc, 0))
        bounded = qa > 0
        r1 = np.where(bounded, (qb - disc) / np.where(bounded, qa, 1), -np.inf)
        r2 = np.where(bounded, (qb + disc) / np.where(bounded, qa, 1), np.inf)
        nonneg = (a >= 0) & (b >= 0)
        lo = np.where(nonneg, np.maximum(r1, 0.0), r1) - 1
        hi = r2 - 1
    bad = np.isnan(a) | (a == 0) | np.isnan(va) | np.isnan(vb)
    lo, hi = np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)
    if not lower_ok:
        lo = np.where(np.isnan(lo), np.nan, np.where(nonneg, -1.0, -np.inf))
    if not upper_ok:
        hi = np.where(np.isnan(hi), np.nan, np.inf)
    return lo, hi


def _scalar(v):
    v = np.asarray(v)
    return float(v) if v.ndim == 0 else v


def effect_from_arms(a, b, va, vb, cab=0.0, *, n_a, n_b, df=math.inf, alpha: float = 0.05,
                     alternative: str = "two-sided", method: str = "z") -> Effect:
    """The absolute effect ``b - a`` and the relative lift ``b/a - 1`` of two arm estimates
    with variances ``va``, ``vb`` and covariance ``cab``, on one reference distribution (z
    when ``df`` is infinite, else t with ``df``). Works on arrays (simulations) and floats.

    >>> e = effect_from_arms(0.10, 0.12, 1e-4, 1.2e-4, n_a=1000, n_b=1000)
    >>> round(e.rel_effect, 3), e.rel_ci_low > -1
    (0.2, True)
    """
    _check_alternative(alternative)
    a, b, va, vb, cab, df = (np.asarray(v, float) for v in (a, b, va, vb, cab, df))
    eff = b - a
    var = va + vb - 2 * cab
    se = np.sqrt(np.maximum(var, 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(se > 0, eff / np.where(se > 0, se, 1), np.where(eff == 0, 0.0, np.sign(eff) * np.inf))
    p = np.where((se > 0) | (eff != 0), _p_value(stat, alternative, df), 1.0)
    p = np.where(np.isnan(var) | np.isnan(eff), np.nan, p)
    lo, hi = _interval(eff, se, alpha, alternative, df)
    q = _ppf(1 - (alpha / 2 if alternative == "two-sided" else alpha), df)
    rlo, rhi = _ratio_interval(a, b, va, vb, cab, q, alternative != "less", alternative != "greater")
    # no spread in either arm (e.g. no event at all): no interval rather than a zero-width one
    flat = ~(se > 0)
    lo, hi, rlo, rhi = (np.where(flat, np.nan, v) for v in (lo, hi, rlo, rhi))
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (a != 0) & ~np.isnan(a)
        rel = np.where(ok, b / np.where(ok, a, 1) - 1, np.nan)
        # delta-method standard error of b/a (for display and the normal Bayesian view)
        rel_se = np.where(ok, np.sqrt(np.maximum(vb / a ** 2 + b * b * va / a ** 4 - 2 * b * cab / a ** 3, 0)), np.nan)
    rel_p = np.where(ok, p, np.nan)  # b/a = 1 is the same hypothesis as b - a = 0
    return Effect(_scalar(a), _scalar(b), _scalar(eff), _scalar(se), _scalar(lo), _scalar(hi), _scalar(p),
                  _scalar(rel), _scalar(rel_se), _scalar(rlo), _scalar(rhi), _scalar(rel_p), _scalar(n_a),
                  _scalar(n_b), df=_scalar(df), method=method, var_control=_scalar(va), var_treatment=_scalar(vb),
                  cov=_scalar(cab + 0 * va))


def satterthwaite_df(va, vb, n_a, n_b):
    """Welch–Satterthwaite degrees of freedom from the variances of two arm estimates."""
    va, vb, n_a, n_b = (np.asarray(v, float) for v in (va, vb, n_a, n_b))
    with np.errstate(divide="ignore", invalid="ignore"):
        den = np.where(n_a > 1, va ** 2 / (n_a - 1), np.inf) + np.where(n_b > 1, vb ** 2 / (n_b - 1), np.inf)
        df = np.where(den > 0, (va + vb) ** 2 / den, np.inf)
    return _scalar(df)


def bell_mccaffrey_df(n_a, n_b):
    """Degrees of freedom of the Welch (HC2) variance of a difference of two means under the
    working model of equal unit variances (Bell & McCaffrey 2002; Imbens & Kolesár 2016):
    ``(1/n_a + 1/n_b)^2 / (1/(n_a^2 (n_a-1)) + 1/(n_b^2 (n_b-1)))``. Equals ``n_a + n_b - 2``
    for equal arms and falls towards ``n - 1`` of the smaller arm when arms are unequal;
    unlike Welch–Satterthwaite it does not depend on the estimated variances.

    >>> bell_mccaffrey_df(8, 8)
    14.0
    """
    n_a, n_b = np.asarray(n_a, float), np.asarray(n_b, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = (1 / n_a + 1 / n_b) ** 2 / (1 / (n_a ** 2 * (n_a - 1)) + 1 / (n_b ** 2 * (n_b - 1)))
    return _scalar(np.where((n_a > 1) & (n_b > 1), df, np.nan))


def compare(control: ArmEstimate, treatment: ArmEstimate, *, alpha: float = 0.05,
            alternative: str = "two-sided", welch_df: bool = False, method: str = "z") -> Effect:
    """Absolute effect and relative lift of ``treatment`` vs ``control`` (independent arms).

    With ``welch_df`` both use a t distribution with Welch–Satterthwaite degrees of freedom
    (means and ratios over independent units); otherwise the normal distribution.

    >>> a = ArmEstimate(100, 0.10, 0.0009, 0.09); b = ArmEstimate(100, 0.13, 0.00113, 0.113)
    >>> e = compare(a, b)
    >>> round(e.effect, 2), round(e.rel_effect, 2)
    (0.03, 0.3)
    """
    df = math.inf
    if welch_df and control.var + treatment.var > 0:
        df = satterthwaite_df(control.var, treatment.var, control.n, treatment.n)
    return effect_from_arms(control.value, treatment.value, control.var, treatment.var, n_a=control.n,
                            n_b=treatment.n, df=df, alpha=alpha, alternative=alternative,
                            method="welch-t" if welch_df else method)


def _lin_moments(m: ArmMoments):
    """(ratio, mean denominator, variance of the linearization, its covariance with x,
    variance of x) of one arm; arrays allowed."""
    n = np.asarray(m.n, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        md = m.sd / n
        r = m.sy / m.sd
        c = lambda s1, s2, s12: (s12 - s1 * s2 / n) / (n - 1)  # noqa: E731
        vl = (c(m.sy, m.sy, m.syy) - 2 * r * c(m.sy, m.sd, m.syd) + r * r * c(m.sd, m.sd, m.sdd)) / (md * md)
        cx = (c(m.sy, m.sx, m.sxy) - r * c(m.sd, m.sx, m.sxd)) / md
        vx = c(m.sx, m.sx, m.sxx)
    return r, np.maximum(vl, 0), cx, np.maximum(vx, 0)


def unit_effect(control: ArmMoments, treatment: ArmMoments, *, cuped: bool = False, small_sample: bool = True,
                alpha: float = 0.05, alternative: str = "two-sided") -> Effect:
    """Effect of ``treatment`` vs ``control`` on a mean or ratio metric over units, optionally
    CUPED-adjusted on the pre-period covariate ``x`` of the moments. Fields may be arrays.

    * Each arm's value is ``sum(y)/sum(d)``; its per-unit variance is the delta-method
      (linearized) variance with ``n - 1``.
    * CUPED = ANCOVA on the linearized metric: one pooled within-arm slope ``theta``; arm
      values shifted by ``-theta (mean_x(arm) - mean_x(all))``; each arm's residual variance
      on its residual degrees of freedom ``n_g - 1 - SSx_g/SSx`` (the slope uses one degree of
      freedom in all); the slope's own variance adds ``(x_B - x_A)^2 Var(theta)``.
    * ``small_sample`` (clustered units, e.g. reps): t with the Bell–McCaffrey degrees of
      freedom minus one per slope; otherwise Welch–Satterthwaite.

    >>> rng = np.random.default_rng(1)
    >>> a = ArmMoments.from_values(rng.normal(10, 2, 8)); b = ArmMoments.from_values(rng.normal(10, 2, 8))
    >>> unit_effect(a, b).df
    14.0
    """
    _check_alternative(alternative)
    na, nb = np.asarray(control.n, float), np.asarray(treatment.n, float)
    ra, vla, ca, vxa = _lin_moments(control)
    rb, vlb, cb, vxb = _lin_moments(treatment)
    theta = vr = np.nan
    if cuped:
        ssxa, ssxb = (na - 1) * vxa, (nb - 1) * vxb
        ssx = ssxa + ssxb
        with np.errstate(divide="ignore", invalid="ignore"):
            theta = np.where(ssx > 0, ((na - 1) * ca + (nb - 1) * cb) / np.where(ssx > 0, ssx, 1), 0.0)
            sse_a = np.maximum((na - 1) * (vla - 2 * theta * ca + theta * theta * vxa), 0)
            sse_b = np.maximum((nb - 1) * (vlb - 2 * theta * cb + theta * theta * vxb), 0)
            share_a = np.where(ssx > 0, ssxa / np.where(ssx > 0, ssx, 1), 0.0)
            nu_a, nu_b = na - 1 - share_a, nb - 1 - (1 - share_a) * (ssx > 0)
            s2a, s2b = sse_a / nu_a, sse_b / nu_b
            var_theta = np.where(ssx > 0, (s2a * ssxa + s2b * ssxb) / np.where(ssx > 0, ssx, 1) ** 2, 0.0)
            mx = (control.sx + treatment.sx) / (na + nb)
            da, db = control.sx / na - mx, treatment.sx / nb - mx
        va = s2a / na + da * da * var_theta
        vb = s2b / nb + db * db * var_theta
        cab = da * db * var_theta
        a, b = ra - theta * da, rb - theta * db
        before = vla / na + vlb / nb
        with np.errstate(divide="ignore", invalid="ignore"):
            vr = np.where(before > 0, 1 - (va + vb - 2 * cab) / before, 0.0)
        k = (ssx > 0).astype(float)
    else:
        va, vb, cab, a, b, k = vla / na, vlb / nb, 0.0, ra, rb, 0.0
        s2a, s2b, nu_a, nu_b = vla, vlb, na - 1, nb - 1
    if small_sample:
        df = np.maximum(np.asarray(bell_mccaffrey_df(na, nb), float) - k, 1.0)
        method = "t (Bell-McCaffrey df" + (", CUPED slope)" if cuped else ")")
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            v1, v2 = s2a / na, s2b / nb
            df = (v1 + v2) ** 2 / (v1 ** 2 / nu_a + v2 ** 2 / nu_b)
            df = np.where(np.isfinite(df) & (df > 0), df, np.inf)
        method = "welch-t"
    e = effect_from_arms(a, b, va, vb, cab, n_a=na, n_b=nb, df=df, alpha=alpha, alternative=alternative,
                         method=method)
    e.theta, e.variance_reduction = _scalar(theta), _scalar(vr)
    return e


def two_proportions(n_a: float, x_a: float, n_b: float, x_b: float, *, alpha: float = 0.05,
                    alternative: str = "two-sided", exact: str = "auto", small: int = SMALL_CELL) -> Effect:
    """Difference of two proportions: unpooled Wald z (statsmodels ``test_proportions_2indep``
    ``method="wald"``), delta-method relative lift; with small cells (any success or failure
    count below ``small``, ``exact="auto"``) the p-value comes from Fisher's exact test
    (``exact="barnard"`` for Barnard's) and the CI from Agresti–Caffo.

    >>> round(two_proportions(1000, 80, 1000, 95).p_value, 4)
    0.2351
    """
    a = ArmEstimate(n_a, x_a / n_a, (x_a / n_a) * (1 - x_a / n_a) / n_a, (x_a / n_a) * (1 - x_a / n_a))
    b = ArmEstimate(n_b, x_b / n_b, (x_b / n_b) * (1 - x_b / n_b) / n_b, (x_b / n_b) * (1 - x_b / n_b))
    eff = compare(a, b, alpha=alpha, alternative=alternative)
    cells = (x_a, n_a - x_a, x_b, n_b - x_b)
    use_exact = exact in ("fisher", "barnard") or (exact == "auto" and min(cells) < small)
    if use_exact:
        eff.p_value = exact_p_value(n_a, x_a, n_b, x_b, alternative=alternative,
                                    method="barnard" if exact == "barnard" else "fisher")
        eff.method = "barnard" if exact == "barnard" else "fisher"
        eff.notes.append("exact_test")  # a code: small counts, exact p-value, Agresti-Caffo interval
        lo, hi = agresti_caffo(n_a, x_a, n_b, x_b, alpha=alpha, alternative=alternative)
        eff.ci_low, eff.ci_high = lo, hi
    return eff


def exact_p_value(n_a: float, x_a: float, n_b: float, x_b: float, *, alternative: str = "two-sided",
                  method: str = "fisher") -> float:
    """Fisher's (or Barnard's) exact p-value for B vs A (``greater``: B's rate is higher)."""
    table = [[int(x_b), int(n_b - x_b)], [int(x_a), int(n_a - x_a)]]
    if method == "barnard":
        return float(stats.barnard_exact(table, alternative=alternative).pvalue)
    return float(stats.fisher_exact(table, alternative=alternative).pvalue)


def agresti_caffo(n_a: float, x_a: float, n_b: float, x_b: float, *, alpha: float = 0.05,
                  alternative: str = "two-sided") -> tuple[float, float]:
    """Agresti–Caffo interval for p_B - p_A (adds one success and one failure per arm)."""
    pa, pb = (x_a + 1) / (n_a + 2), (x_b + 1) / (n_b + 2)
    se = math.sqrt(pa * (1 - pa) / (n_a + 2) + pb * (1 - pb) / (n_b + 2))
    lo, hi = _interval(pb - pa, se, alpha, alternative)
    return max(lo, -1.0), min(hi, 1.0)


def welch(n_a: float, mean_a: float, var_a: float, n_b: float, mean_b: float, var_b: float, *,
          alpha: float = 0.05, alternative: str = "two-sided") -> Effect:
    """Welch's t-test for a difference of means (equals ``scipy.stats.ttest_ind_from_stats``
    with ``equal_var=False``), with the delta-method relative lift.

    >>> round(welch(50, 10.0, 4.0, 60, 11.0, 9.0).p_value, 6)
    0.039521
    """
    a = ArmEstimate(n_a, mean_a, var_a / n_a, var_a)
    b = ArmEstimate(n_b, mean_b, var_b / n_b, var_b)
    return compare(a, b, alpha=alpha, alternative=alternative, welch_df=True)


# --- guards -----------------------------------------------------------------------------------

def srm_test(counts, weights=None) -> float:
    """Sample-ratio-mismatch p-value: chi-square goodness of fit of unit counts per arm
    against the planned weights (equal when omitted), any number of arms.

    >>> round(srm_test([5000, 5000]), 3), srm_test([5000, 4500]) < 0.001
    (1.0, True)
    """
    counts = np.asarray(counts, float)
    w = np.ones_like(counts) if weights is None else np.asarray(weights, float)
    expected = counts.sum() * w / w.sum()
    # scipy.stats.chisquare's statistic and tail, without its per-call overhead (tested equal)
    return float(special.chdtrc(len(counts) - 1, ((counts - expected) ** 2 / expected).sum()))


def adjust(p_values, method: str = "holm") -> np.ndarray:
    """Holm (FWER, ``"holm"``) or Benjamini–Hochberg (FDR, ``"fdr_bh"``) adjusted p-values;
    NaN entries are kept and left out of the family. Same numbers as statsmodels'
    ``multipletests`` (tested), without its per-call garbage collection.

    >>> adjust([0.01, 0.04, 0.03], "holm").round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if m == 0:
        return out
    q = p[ok]
    order = np.argsort(q, kind="mergesort")
    sq = q[order]
    if method == "holm":
        adj = np.maximum.accumulate(sq * (m - np.arange(m)))
    elif method == "fdr_bh":
        adj = np.minimum.accumulate((sq * m / np.arange(1, m + 1))[::-1])[::-1]
    else:
        raise ValueError(f"method must be holm or fdr_bh, got {method!r}")
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


def non_inferiority(eff: Effect, margin: float, *, alpha: float = 0.05, higher_is_better: bool = False) -> tuple[bool, float]:
    """One-sided non-inferiority test of the ratio B/A with a relative ``margin`` (e.g. 0.10 =
    the treatment may be at most 10% worse), as the t (or z) test of ``B - (1 ± margin) A``
    on the effect's degrees of freedom (Fieller-consistent with the lift's interval).
    Returns (passed, p-value)."""
    r = 1 - margin if higher_is_better else 1 + margin
    va, vb, c = eff.var_control, eff.var_treatment, eff.cov
    if math.isnan(va) or math.isnan(vb):  # an Effect built by hand: the delta method on the lift
        va, vb, c = (eff.rel_se * eff.control_value) ** 2, 0.0, 0.0
    var = vb + r * r * va - 2 * r * c
    diff = eff.value - r * eff.control_value
    if not var > 0:
        ok = not math.isnan(diff) and (diff >= 0 if higher_is_better else diff <= 0)
        return ok, math.nan
    stat = (diff if higher_is_better else -diff) / math.sqrt(var)
    p = float(special.stdtr(eff.df, -stat))
    return p < alpha, p


# --- Bayesian -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class BayesResult:
    chance_to_beat: float
    expected_loss: float  # expected loss of shipping the treatment, in metric units
    cred_low: float
    cred_high: float


def beta_binomial(n_a: float, x_a: float, n_b: float, x_b: float, *, prior=(1.0, 1.0),
                  alpha: float = 0.05, draws: int = 100_000, seed: int = 0,
                  higher_is_better: bool = True) -> BayesResult:
    """Beta-binomial posteriors per arm (prior ``Beta(a, b)``); chance that B beats A,
    the expected loss of shipping B ``E[max(p_A - p_B, 0)]`` and the credible interval of
    ``p_B - p_A`` from ``draws`` seeded posterior samples.

    >>> r = beta_binomial(1000, 80, 1000, 95)
    >>> 0.85 < r.chance_to_beat < 0.90
    True
    """
    rng = np.random.default_rng(seed)
    a0, b0 = prior
    pa = rng.beta(a0 + x_a, b0 + n_a - x_a, draws)
    pb = rng.beta(a0 + x_b, b0 + n_b - x_b, draws)
    d = pb - pa if higher_is_better else pa - pb
    lo, hi = np.quantile(pb - pa, [alpha / 2, 1 - alpha / 2])
    return BayesResult(float((d > 0).mean()), float(np.maximum(-d, 0).mean()), float(lo), float(hi))


def normal_posterior(effect: float, se: float, *, prior_mean: float = 0.0, prior_sd: float | None = None,
                     alpha: float = 0.05, higher_is_better: bool = True) -> BayesResult:
    """Normal model for a difference (means, ratios): flat prior by default, or
    ``N(prior_mean, prior_sd^2)`` on the effect. Closed-form chance to beat control,
    expected loss ``E[max(-delta, 0)]`` and credible interval.

    >>> round(normal_posterior(0.0, 1.0).chance_to_beat, 3)
    0.5
    """
    if not se > 0:
        return BayesResult(math.nan, math.nan, math.nan, math.nan)
    if prior_sd:
        prec = 1 / se ** 2 + 1 / prior_sd ** 2
        mu = (effect / se ** 2 + prior_mean / prior_sd ** 2) / prec
        sd = math.sqrt(1 / prec)
    else:
        mu, sd = effect, se
    # scipy.special's normal functions (what scipy.stats.norm calls, without its per-call overhead)
    lo, hi = mu + sd * special.ndtri(alpha / 2), mu + sd * special.ndtri(1 - alpha / 2)
    m = mu if higher_is_better else -mu
    z = m / sd
    ctb = float(special.ndtr(z))
    loss = float(sd * math.exp(-z * z / 2) / math.sqrt(2 * math.pi) - m * special.ndtr(-z))
    return BayesResult(ctb, loss, float(lo), float(hi))


# --- sequential ------------------------------------------------------------------------------

def confidence_sequence(effect: float, se: float, n: float, *, alpha: float = 0.05,
                        tuning: float = 5000.0) -> tuple[float, float]:
    """Always-valid (asymptotic) confidence sequence for a difference, as in GrowthBook
    (Waudby-Smith et al. 2023): with ``sigma^2 = se^2 * n`` (n = total units) and
    ``rho`` tuned to be tightest at ``tuning`` units, the half-width is
    ``sigma * sqrt(2 (n rho^2 + 1) / (n^2 rho^2) * log(sqrt(n rho^2 + 1) / alpha))``.
    Valid at every look, so an analyst may check daily.

    >>> lo, hi = confidence_sequence(0.02, 0.005, 10000)
    >>> lo < 0.02 - 1.96 * 0.005
    True
    """
    if not (se > 0 and n > 0):
        return math.nan, math.nan
    sigma = se * math.sqrt(n)
    rho = math.sqrt((-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning)
    half = sigma * math.sqrt(2 * (n * rho ** 2 + 1) / (n ** 2 * rho ** 2) * math.log(math.sqrt(n * rho ** 2 + 1) / alpha))
    return effect - half, effect + half


def confidence_sequence_halfwidth(se, n, *, alpha: float = 0.05, tuning: float = 5000.0):
    """Vectorized half-width of :func:`confidence_sequence` (numpy arrays)."""
    se = np.asarray(se, float)
    n = np.asarray(n, float)
    sigma = se * np.sqrt(n)
    rho2 = (-2 * np.log(alpha) + np.log(-2 * np.log(alpha) + 1)) / tuning
    return sigma * np.sqrt(2 * (n * rho2 + 1) / (n ** 2 * rho2) * np.log(np.sqrt(n * rho2 + 1) / alpha))


def always_valid_p(effect, se, n, *, alpha: float = 0.05, tuning: float = 5000.0):
    """The always-valid p-value of :func:`confidence_sequence` (``rho`` tuned at ``alpha`` and
    ``tuning`` units): the smallest level at which the sequence excludes 0,
    ``min(1, sqrt(n rho^2 + 1) exp(-z^2 n rho^2 / (2 (n rho^2 + 1))))`` with ``z = effect/se``.

    >>> lo, hi = confidence_sequence(0.02, 0.005, 10000)
    >>> p = always_valid_p(0.02, 0.005, 10000)
    >>> (lo > 0) == (p < 0.05)
    True
    """
    effect, se, n = (np.asarray(v, float) for v in (effect, se, n))
    rho2 = (-2 * np.log(alpha) + np.log(-2 * np.log(alpha) + 1)) / tuning
    with np.errstate(divide="ignore", invalid="ignore"):
        z = effect / se
        nr = n * rho2
        p = np.minimum(1.0, np.sqrt(nr + 1) * np.exp(-z * z * nr / (2 * (nr + 1))))
    p = np.where((se > 0) & (n > 0), p, np.nan)
    return _scalar(p)
