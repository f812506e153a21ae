"""How much of a payout is luck: the scorecard's hierarchical beta-binomial posterior of each
rep's true rate, pushed through the plan's payout function.

For a plan on a KPI the scorecard models (SQLs of owned leads, or a scorecard rate), rep ``i``
with volume ``n_i`` (leads, dials) and true rate ``p_i`` has a count ``K_i ~ Binomial(n_i, p_i)``
and a payout ``P_i = f_i(K_i)`` (tiers and cap; the gate and the team pool are left out: they
depend on other KPIs). Volume is held fixed: it is effort and assignment, not chance.

* **skill share** — across reps, ``Var P = Var E[P | p] + E Var(P | p)``: the first term is the
  spread of payouts that true differences in skill explain, the second the binomial noise. For
  each seeded posterior draw of all reps' rates both terms are computed exactly (sums over the
  binomial pmf); the skill share is their ratio, reported with its 90 % interval over draws.
  ``luck share = 1 − skill share``.
* **P(tier by chance)** — the probability that the rep's payout band under a redraw of the
  period (a new ``p`` from the posterior, a new binomial count) differs from the observed band.
* **luck amount** — observed payout minus the payout expected at the rep's estimated skill.

>>> r = luck_frame(np.array([5., 6., 4., 5.]), np.array([50., 50., 50., 50.]), np.full(4, 5.0),
...                lambda a: np.minimum(a, 1.5), lambda a: (a >= 1).astype(int), draws=200, seed=1)
>>> bool(r.attrs["skill_share"] < 0.5), bool((r["p_tier_chance"] > 0.2).all())
(True, True)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from leadlab.errors import ConfigError
from leadlab.i18n import _

#: plan KPI -> (successes, trials, the KPI is the rate itself)
MODELLED = {"sql": ("sqls", "leads", False),
            "call_connect_rate": ("connected", "dials", True), "conversation_rate": ("conversations", "connected", True)}


def check_modelled(kpi: str, where: str) -> tuple[str, str, bool]:
    if kpi not in MODELLED:
        raise ConfigError(_("{where}: the luck check needs a KPI the scorecard models ({valid}); {kpi} is not one",
                            where=where, valid=", ".join(MODELLED), kpi=kpi))
    return MODELLED[kpi]


def payout_table(n: np.ndarray, target: np.ndarray, multiple, band, is_rate: bool = False,
                 higher_is_better: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Payout multiple and band for every count ``k = 0..max(n)`` of every rep (shape reps × (K+1))."""
    from leadlab.incentives.payouts import attainment

    k = np.arange(int(n.max()) + 1 if len(n) else 1, dtype=float)[None, :]
    value = k / np.where(n > 0, n, 1.0)[:, None] if is_rate else np.broadcast_to(k, (len(n), k.shape[1]))
    att = attainment(value, np.broadcast_to(target[:, None], value.shape), higher_is_better)
    return multiple(att), band(att)


def true_skill_share(p: np.ndarray, n: np.ndarray, pay: np.ndarray) -> float:
    """The skill share when the true rates ``p`` are known (synthetic ground truth)."""
    m, v = _moments(p[None, :], n, pay)
    skill = m.var(axis=1)
    total = skill + v.mean(axis=1)
    return float(skill[0] / total[0]) if total[0] > 0 else float("nan")


def _pmf(p: np.ndarray, n: np.ndarray, width: int) -> np.ndarray:
    """Binomial pmf, shape draws × reps × width."""
    k = np.arange(width)[None, None, :]
    return stats.binom.pmf(k, n[None, :, None], p[:, :, None])


def _moments(p: np.ndarray, n: np.ndarray, pay: np.ndarray, same_band: np.ndarray | None = None, tail: float = 1e-10):
    """E[P | p] and Var(P | p) for each draw and rep (exact sums over the binomial pmf), rep by rep
    over the counts the draws can reach (tails below ``tail`` dropped: memory stays draws × that
    range, not draws × reps × max volume). With ``same_band`` (reps × counts, bool) the second
    value is ``(Var, P(same band))``, the probability averaged over draws, per rep."""
    draws, reps = p.shape
    m, v, same = np.zeros((draws, reps)), np.zeros((draws, reps)), np.zeros(reps)
    for i in range(reps):
        ni = int(n[i])
        pi = np.clip(p[:, i], 0.0, 1.0)
        lo = int(np.nan_to_num(stats.binom.ppf(tail, ni, pi.min()), nan=0.0)) if ni else 0
        hi = int(np.nan_to_num(stats.binom.isf(tail, ni, pi.max()), nan=ni)) + 1 if ni else 0
        k = np.arange(max(lo - 1, 0), min(hi, ni) + 1)
        w = stats.binom.pmf(k[None, :], ni, pi[:, None])
        y = pay[i, k]
        m[:, i] = w @ y
        v[:, i] = np.maximum(w @ y**2 - m[:, i] ** 2, 0.0)
        if same_band is not None:
            same[i] = float((w @ same_band[i, k].astype(float)).mean())
    return (m, v) if same_band is None else (m, (v, same))


def luck_frame(x: np.ndarray, n: np.ndarray, target: np.ndarray, multiple, band, *, is_rate: bool = False,
               higher_is_better: bool = True, draws: int = 1000, seed: int = 0, level: float = 0.90) -> pd.DataFrame:
    """Per rep: observed and expected payout multiple, luck amount, P(tier by chance); ``attrs``:
    ``skill_share`` (posterior mean), ``skill_low``/``skill_high`` (``level`` interval over draws)."""
    from leadlab.kpi.stats import fit_hier_beta

    x, n, target = np.asarray(x, float), np.asarray(n, float), np.asarray(target, float)
    pay, bands = payout_table(n, target, multiple, band, is_rate, higher_is_better)
    fit = fit_hier_beta(x, n)
    p, _mu, _sd = fit.draws(np.random.default_rng(seed), draws)
    idx = np.arange(len(n))
    obs_k = x.astype(int)
    observed = pay[idx, obs_k]
    obs_band = bands[idx, obs_k]
    m, v = _moments(p, n, pay, same_band=bands == obs_band[:, None])
    p_same = v[1]
    m, v = m, v[0]
    skill = m.var(axis=1)
    total = skill + v.mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, skill / total, np.nan)
    out = pd.DataFrame({"observed": observed, "expected": m.mean(axis=0), "luck": observed - m.mean(axis=0),
                        "band": obs_band, "p_tier_chance": 1 - p_same})
    ok = share[np.isfinite(share)]
    out.attrs["skill_share"] = float(ok.mean()) if len(ok) else float("nan")
    lo, hi = np.quantile(ok, [(1 - level) / 2, (1 + level) / 2]) if len(ok) else (np.nan, np.nan)
    out.attrs["skill_low"], out.attrs["skill_high"] = float(lo), float(hi)
    return out


def synthetic_check(plan, sd: float, seeds, reps: int = 30, n: int = 60, base: float = 0.1, target: float = 6.0,
                    draws: int = 300) -> pd.DataFrame:
    """The luck check on worlds whose true skill is known: ``reps`` reps with ``n`` leads each and
    true SQL rates ``logit⁻¹(logit(base) + sd·z)``; per seed the true skill share (from the true
    rates), the estimate with its 90 % interval, the mean P(tier by chance) and its true value (a
    fresh period drawn with the true rates lands in another tier).

    >>> from leadlab.incentives.plan import parse_plan_text
    >>> plan = parse_plan_text("kpi: sql\\ntarget: 6\\ntarget_incentive: 1\\ntiers:\\n  - {from: 0, rate: 1}\\ncap: 1.5")
    >>> synthetic_check(plan, 0.0, [0], draws=100)["truth"].round(6).tolist()
    [0.0]
    """
    rows = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        nn = np.full(reps, float(n))
        p = 1 / (1 + np.exp(-(np.log(base / (1 - base)) + sd * rng.standard_normal(reps))))
        x = rng.binomial(nn.astype(int), p).astype(float)
        t = np.full(reps, float(target))
        pay, bands = payout_table(nn, t, plan.multiple, plan.band)
        f = luck_frame(x, nn, t, plan.multiple, plan.band, draws=draws, seed=seed)
        same = bands == f["band"].to_numpy()[:, None]
        true_same = (_pmf(p[None, :], nn, pay.shape[1])[0] * same).sum(axis=1)
        rows.append({"seed": seed, "truth": true_skill_share(p, nn, pay), "estimate": f.attrs["skill_share"],
                     "low": f.attrs["skill_low"], "high": f.attrs["skill_high"],
                     "tier_chance": float(f["p_tier_chance"].mean()), "tier_chance_true": float(1 - true_same.mean())})
    return pd.DataFrame(rows)


def gate_chance(x, n, limit: float, kind: str, scale: float = 1.0, draws: int = 1000, seed: int = 0) -> np.ndarray:
    """Per rep, the probability that a replay of the period flips the outcome of one quality-gate
    rule on a rate ``scale · x / n`` (e.g. complaints per 1,000 dials): true rates from the same
    hierarchical beta-binomial posterior, counts redrawn with the volume held fixed. A rep with no
    volume passes every time (nothing to measure), so its outcome never flips.

    >>> p = gate_chance([1, 0, 6], [250, 250, 250], limit=4, kind="max", scale=1000, draws=500)
    >>> bool(p[0] > 0.2), bool(p[2] < p[0])
    (True, True)
    """
    from leadlab.kpi.stats import fit_hier_beta

    x, n = np.asarray(x, float), np.asarray(n, float)
    p, _mu, _sd = fit_hier_beta(x, n).draws(np.random.default_rng(seed), draws)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "max":
            edge = np.floor(limit * n / scale + 1e-9)  # pass: k <= edge
            p_pass = stats.binom.cdf(edge[None, :], n[None, :], p).mean(axis=0)
            observed = np.where(n > 0, x * scale / np.where(n > 0, n, 1) <= limit + 1e-12, True)
        else:
            edge = np.ceil(limit * n / scale - 1e-9)  # pass: k >= edge
            p_pass = stats.binom.sf(edge[None, :] - 1, n[None, :], p).mean(axis=0)
            observed = np.where(n > 0, x * scale / np.where(n > 0, n, 1) >= limit - 1e-12, True)
    p_pass = np.where(n > 0, p_pass, 1.0)
    return np.where(observed, 1 - p_pass, p_pass)
