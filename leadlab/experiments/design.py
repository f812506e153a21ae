"""Experiment design: power, sample size, minimum detectable effect, clustering
(intra-class correlation, design effect), days needed, and deterministic assignment.

All power calculations use the normal approximation of the same tests the analysis runs
(unpooled z for proportions, Welch for means, delta method for ratios), so design and
analysis agree.

>>> n = sample_size(0.08, 0.01)
>>> 11_000 < n < 13_000
True
>>> assign(["L1", "L2", "L1"], salt="exp-1")[0] == assign(["L1"], salt="exp-1")[0]
True
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from leadlab.errors import ConfigError, InsufficientDataError
from leadlab.i18n import _, fmt


def _z(alpha: float, alternative: str) -> float:
    if not 0 < alpha < 1:
        raise ConfigError(_("alpha must be between 0 and 1, got {value}", value=alpha))
    return float(stats.norm.ppf(1 - alpha / 2 if alternative == "two-sided" else 1 - alpha))


def _unit_var(baseline: float, sd: float | None) -> float:
    if sd is not None:
        if sd <= 0:
            raise ConfigError(_("sd must be > 0, got {value}", value=sd))
        return sd * sd
    if not 0 < baseline < 1:
        raise ConfigError(_("baseline rate must be between 0 and 1 for a proportion (or give sd), got {value}", value=baseline))
    return baseline * (1 - baseline)


def power(baseline: float, effect: float, n_per_arm: float, *, sd: float | None = None, alpha: float = 0.05,
          alternative: str = "two-sided", design_effect: float = 1.0, ratio: float = 1.0) -> float:
    """Power to detect an absolute ``effect`` with ``n_per_arm`` control units (treatment
    ``ratio`` times as many). Proportions use ``baseline(1-baseline)`` per arm
    (``baseline + effect`` for the treatment); means/ratios pass ``sd`` (per unit;
    linearized for a ratio). ``design_effect`` inflates variances for clustered designs.

    >>> round(power(0.08, 0.01, 12000), 2)
    0.79
    """
    if n_per_arm <= 0:
        raise ConfigError(_("n_per_arm must be > 0, got {value}", value=n_per_arm))
    va = _unit_var(baseline, sd)
    vb = va if sd is not None else (baseline + effect) * (1 - baseline - effect)
    se = math.sqrt(design_effect * (va / n_per_arm + vb / (n_per_arm * ratio)))
    z = _z(alpha, alternative)
    d = effect / se
    if alternative == "two-sided":
        return float(stats.norm.cdf(abs(d) - z) + stats.norm.cdf(-abs(d) - z))
    return float(stats.norm.cdf((d if alternative == "greater" else -d) - z))


def sample_size(baseline: float, effect: float, *, sd: float | None = None, alpha: float = 0.05,
                power_target: float = 0.8, alternative: str = "two-sided", design_effect: float = 1.0,
                ratio: float = 1.0) -> int:
    """Control units needed (per arm when ``ratio=1``) to reach ``power_target``.

    >>> sample_size(0.5, 0.1, power_target=0.8) in range(380, 400)
    True
    """
    if effect == 0:
        raise ConfigError(_("effect must be non-zero to compute a sample size"))
    if not 0 < power_target < 1:
        raise ConfigError(_("power must be between 0 and 1, got {value}", value=power_target))
    va = _unit_var(baseline, sd)
    vb = va if sd is not None else (baseline + effect) * (1 - baseline - effect)
    z = _z(alpha, alternative) + stats.norm.ppf(power_target)
    n = design_effect * z * z * (va + vb / ratio) / effect ** 2
    n = math.ceil(n)
    while n > 2 and power(baseline, effect, n - 1, sd=sd, alpha=alpha, alternative=alternative,
                          design_effect=design_effect, ratio=ratio) >= power_target:
        n -= 1
    return int(n)


def mde(baseline: float, n_per_arm: float, *, sd: float | None = None, alpha: float = 0.05,
        power_target: float = 0.8, alternative: str = "two-sided", design_effect: float = 1.0,
        ratio: float = 1.0) -> float:
    """Smallest absolute effect detectable with ``power_target`` (positive direction).

    >>> round(mde(0.08, 12000), 4)
    0.0101
    """
    lo, hi = 1e-9, (1 - baseline - 1e-9) if sd is None else 50 * math.sqrt(_unit_var(baseline, sd))
    if power(baseline, hi, n_per_arm, sd=sd, alpha=alpha, alternative=alternative,
             design_effect=design_effect, ratio=ratio) < power_target:
        return math.nan
    for _ in range(100):
        mid = (lo + hi) / 2
        if power(baseline, mid, n_per_arm, sd=sd, alpha=alpha, alternative=alternative,
                 design_effect=design_effect, ratio=ratio) >= power_target:
            hi = mid
        else:
            lo = mid
    return hi


def design_effect(mean_cluster_size: float, icc: float, cv: float = 0.0) -> float:
    """Variance inflation of a cluster-randomized design: ``1 + ((1 + cv^2) m - 1) ICC``
    (``cv`` = coefficient of variation of cluster sizes; Eldridge et al. 2006).

    >>> design_effect(100, 0.01)
    1.99
    """
    return 1.0 + ((1 + cv * cv) * mean_cluster_size - 1) * icc


def icc_anova(sizes, sums, sumsq) -> float:
    """One-way ANOVA estimator of the intra-class correlation from per-cluster
    sizes, sums and sums of squares (clipped at 0).

    >>> round(icc_anova([2, 2], [2, 0], [2, 0]), 3)
    1.0
    """
    n = np.asarray(sizes, float)
    s = np.asarray(sums, float)
    ss = np.asarray(sumsq, float)
    keep = n > 0
    n, s, ss = n[keep], s[keep], ss[keep]
    k, N = len(n), n.sum()
    if k < 2 or N <= k:
        raise InsufficientDataError(_("need at least 2 clusters with 2+ units to estimate the ICC, got {k} clusters, {n} units", k=k, n=fmt.number(N)))
    grand = s.sum() / N
    ssb = float(((s / n - grand) ** 2 * n).sum())
    ssw = float((ss - s * s / n).sum())
    msb, msw = ssb / (k - 1), ssw / (N - k)
    n0 = (N - (n * n).sum() / N) / (k - 1)
    icc = (msb - msw) / (msb + (n0 - 1) * msw) if (msb + (n0 - 1) * msw) > 0 else 0.0
    return float(max(icc, 0.0))


def days_needed(n_per_arm: float, daily_units: float, arms: int = 2, share_in_experiment: float = 1.0) -> int:
    """Days to collect ``n_per_arm`` units in each of ``arms`` arms at ``daily_units`` a day.

    >>> days_needed(12000, 800)
    30
    """
    if daily_units <= 0:
        raise ConfigError(_("daily volume must be > 0, got {value}", value=daily_units))
    return int(math.ceil(n_per_arm * arms / (daily_units * share_in_experiment)))


# --- history from the store -----------------------------------------------------------------------

@dataclass(frozen=True)
class History:
    """Baseline facts estimated from the store for designing an experiment."""

    baseline: float  # SQL rate per lead
    daily_leads: float
    reps: int
    leads_per_rep: float  # over the look-back window
    cv_leads_per_rep: float
    icc: float
    days: int


def history(con, days: int = 90, as_of=None) -> History:
    """Baseline SQL rate, daily lead volume and the ICC of SQL within reps, from the last
    ``days`` of leads in the store (one grouped query per rep)."""
    import ibis
    import pandas as pd

    from leadlab.store import table

    leads = table(con, "leads")
    end = pd.Timestamp(as_of) if as_of else pd.Timestamp(leads.created_at.max().to_pyarrow().as_py())
    start = end - pd.Timedelta(days=days)
    w = leads.filter((leads.created_at >= ibis.literal(start)) & (leads.created_at < ibis.literal(end)))
    w = w.filter(w.rep_id.notnull())
    sql = ibis.ifelse(w.sql_at.notnull(), 1, 0).cast("float64")
    per = w.group_by("rep_id").aggregate(n=w.count(), s=sql.sum()).to_pandas()
    if per.empty or per.n.sum() == 0:
        raise InsufficientDataError(_("no leads with an owner rep between {start} and {end} to estimate a baseline", start=fmt.date(start), end=fmt.date(end)))
    icc = icc_anova(per.n, per.s, per.s)  # 0/1 outcome: sum of squares = sum
    n = per.n.to_numpy(float)
    return History(baseline=float(per.s.sum() / n.sum()), daily_leads=float(n.sum() / days), reps=len(per),
                   leads_per_rep=float(n.mean()), cv_leads_per_rep=float(n.std() / n.mean()) if n.mean() else 0.0,
                   icc=icc, days=days)


# --- assignment -------------------------------------------------------------------------------

def _bucket(salt: str, unit_id: str) -> float:
    h = hashlib.sha256(f"{salt}:{unit_id}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2 ** 64


def assign(unit_ids, *, salt: str, arms=("A", "B"), weights=None) -> list[str]:
    """Deterministic arms: ``sha256(salt:unit_id)`` mapped to [0, 1) and cut by the
    cumulative ``weights``. The same unit and salt always give the same arm; another salt
    (experiment) gives an independent split.

    >>> assign(["L1", "L2", "L3", "L4"], salt="demo")
    ['B', 'A', 'A', 'A']
    """
    arms = list(arms)
    if len(arms) < 2:
        raise ConfigError(_("need at least two arms, got {arms}", arms=arms))
    if len(set(arms)) != len(arms):
        raise ConfigError(_("arm names must be unique, got {arms}", arms=arms))
    w = np.ones(len(arms)) if weights is None else np.asarray(weights, float)
    if len(w) != len(arms) or (w < 0).any() or w.sum() <= 0:
        raise ConfigError(_("weights must be {n} non-negative numbers with a positive sum, got {value}", n=len(arms), value=list(w)))
    cuts = np.cumsum(w / w.sum())
    cuts[-1] = 1.0
    buckets = np.fromiter((_bucket(salt, str(u)) for u in unit_ids), dtype=float)
    # one vectorised cut for all units; a bucket that rounded up to 1.0 belongs to the last arm
    picked = np.minimum(np.searchsorted(cuts, buckets, side="right"), len(arms) - 1)
    return [arms[i] for i in picked.tolist()]


def cluster_power(baseline: float, effect: float, days: float, *, daily_units: float, clusters: int,
                  icc: float, sd: float | None = None, alpha: float = 0.05, arms: int = 2, cv: float = 0.0) -> float:
    """Power of a design randomizing ``clusters`` reps (split over ``arms``) for ``days``
    days at ``daily_units`` leads a day: more days give more leads per rep, but the design
    effect grows with them, so power levels off at a ceiling set by the number of reps.

    >>> p30 = cluster_power(0.1, 0.02, 30, daily_units=400, clusters=40, icc=0.01)
    >>> p90 = cluster_power(0.1, 0.02, 90, daily_units=400, clusters=40, icc=0.01)
    >>> p30 < p90 < 1
    True
    """
    if clusters < 2 * arms:
        raise ConfigError(_("need at least {min} reps for a {arms}-arm rep-randomized test, got {reps}", min=2 * arms, arms=arms, reps=clusters))
    per_rep = daily_units * days / clusters
    deff = design_effect(per_rep, icc, cv)
    return power(baseline, effect, daily_units * days / arms, sd=sd, alpha=alpha, design_effect=deff)


def cluster_days_needed(baseline: float, effect: float, *, daily_units: float, clusters: int, icc: float,
                        sd: float | None = None, alpha: float = 0.05, power_target: float = 0.8, arms: int = 2,
                        cv: float = 0.0, max_days: int = 3650) -> int | None:
    """Days until :func:`cluster_power` reaches ``power_target``; None when it never does
    within ``max_days`` (too few reps for that effect at this ICC)."""
    lo, hi = 1, max_days
    if cluster_power(baseline, effect, hi, daily_units=daily_units, clusters=clusters, icc=icc, sd=sd,
                     alpha=alpha, arms=arms, cv=cv) < power_target:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if cluster_power(baseline, effect, mid, daily_units=daily_units, clusters=clusters, icc=icc, sd=sd,
                         alpha=alpha, arms=arms, cv=cv) >= power_target:
            hi = mid
        else:
            lo = mid + 1
    return lo
