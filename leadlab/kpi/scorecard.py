"""Fair rep scorecards: hierarchical (beta-binomial) shrinkage of each rep's rates,
credible intervals, a weighted composite score and a ranking that says which
differences are real.

For each rate (connect rate, conversation rate, SQL rate of owned leads) the reps' true
rates are modelled as draws from a Beta(mu·kappa, (1−mu)·kappa) whose mean and spread are
*estimated with their uncertainty* (:func:`leadlab.kpi.stats.fit_hier_beta`: the posterior on a
grid of (mu, kappa) under a uniform prior on mu and a weak half-normal prior on the spread).
Every rep's posterior integrates over that grid, so its interval carries the uncertainty of
the pooled mean and of the spread: when the data cannot tell reps apart, every rep sits at
the team average with an honest interval (never zero-width), and the result says so
(``frame.attrs["rates"][kpi]["indistinguishable"]``). The composite is the weighted mean
of each rep's standardised true rate ((p − mu) / spread, in SDs of true skill); its 90%
interval and the rank interval come from the same seeded posterior draws.

>>> from leadlab.kpi.scorecard import DEFAULT_WEIGHTS
>>> DEFAULT_WEIGHTS
{'connect_rate': 1.0, 'conversation_rate': 1.0, 'sql_rate': 2.0}
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from leadlab.errors import ConfigError
from leadlab.kpi.family import resolve
from leadlab.kpi.results import KpiResult
from leadlab.kpi.stats import (HierBeta, beta_interval, fit_hier_beta, homogeneity_test, jeffreys_interval,
                               safe_div)

#: scorecard rates: name -> (successes, trials, label)
RATES = {
    "connect_rate": ("connected", "dials", "Connect rate"),
    "conversation_rate": ("conversations", "connected", "Conversation rate"),
    "sql_rate": ("sqls", "leads", "SQL rate of owned new leads"),
}
DEFAULT_WEIGHTS = {"connect_rate": 1.0, "conversation_rate": 1.0, "sql_rate": 2.0}


def parse_weights(weights) -> dict[str, float]:
    """Weights as a dict: a dict, or text ``"connect_rate=1,sql_rate=2"`` (also
    ``"connect_rate:1 sql_rate:2"``); ConfigError when
    a KPI is not a scorecard rate or a weight is negative / not a number / all zero."""
    if weights is None or weights == "":
        return dict(DEFAULT_WEIGHTS)
    if isinstance(weights, str):
        import re

        out = {}
        text = re.sub(r"\s*[:=]\s*", "=", weights.strip())
        for part in re.split(r"[,\s]+", text):
            if not part.strip():
                continue
            if "=" not in part:
                raise ConfigError(f"parameter weights: cannot read {part.strip()!r}; write name=weight, e.g. connect_rate=1,sql_rate=2")
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
        weights = out
    clean = {}
    for k, v in dict(weights).items():
        if k not in RATES:
            raise ConfigError(f"parameter weights: unknown scorecard KPI {k!r}; valid: {', '.join(RATES)}")
        try:
            w = float(v)
        except (TypeError, ValueError):
            raise ConfigError(f"parameter weights: weight of {k} must be a number, got {v!r}") from None
        if not np.isfinite(w) or w < 0:
            raise ConfigError(f"parameter weights: weight of {k} must be a number >= 0, got {v!r}")
        clean[k] = w
    if sum(clean.values()) <= 0:
        raise ConfigError("parameter weights: at least one weight must be > 0")
    return clean


def shrink(x, n, level: float = 0.95, prior: tuple[float, float] | None = None, draws: int = 4000,
           seed: int = 0) -> pd.DataFrame:
    """Shrinkage of rates ``x/n``: raw rate, posterior mean, credible interval.

    With ``prior = (a, b)`` the conjugate Beta posterior; without, the hierarchical fit
    (``.attrs["fit"]``, a :class:`~leadlab.kpi.stats.HierBeta`) with intervals from ``draws``
    seeded posterior draws.

    >>> d = shrink([1, 30, 300], [2, 100, 1000])
    >>> bool(abs(d["shrunk"][0] - 0.3) < abs(d["raw"][0] - 0.3))
    True
    """
    x, n = np.asarray(x, float), np.asarray(n, float)
    raw = safe_div(x, n) if len(x) else np.array([])
    if prior is not None:
        a, b = prior
        pa, pb = a + x, b + (n - x)
        lo, hi = beta_interval(pa, pb, level)
        out = pd.DataFrame({"raw": raw, "shrunk": pa / (pa + pb), "low": lo, "high": hi})
        out.attrs["prior"] = (a, b)
        return out
    fit = fit_hier_beta(x, n)
    p, _, _ = fit.draws(np.random.default_rng(seed), draws)
    lo, hi = np.quantile(p, [(1 - level) / 2, (1 + level) / 2], axis=0)
    out = pd.DataFrame({"raw": raw, "shrunk": fit.posterior_mean(), "low": lo, "high": hi})
    out.attrs["fit"] = fit
    return out


def rate_facts(fit: HierBeta, level: float = 0.95) -> dict:
    """What the data say about the reps' spread on one rate: the pooled rate and its interval,
    the team mean's posterior interval, the between-rep SD (posterior median and 95% upper
    bound, rate scale), the chi-square test of equal rates, and ``indistinguishable`` (that
    test's p ≥ 0.05: the spread between reps is no larger than chance)."""
    x, n = fit.x[fit.n > 0], fit.n[fit.n > 0]
    big_x, big_n = float(x.sum()), float(n.sum())
    p = homogeneity_test(x, n)
    mu_lo, mu_hi = fit.quantile(fit.mu, [(1 - level) / 2, (1 + level) / 2])
    sd_med, sd_hi = fit.quantile(fit.spread, [0.5, 0.95])
    pooled_lo, pooled_hi = jeffreys_interval(big_x, big_n, level)
    return {"reps": int(len(n)), "pooled": safe_div(big_x, big_n), "pooled_low": pooled_lo, "pooled_high": pooled_hi,
            "mean": float(fit.weight @ fit.mu), "mean_low": float(mu_lo), "mean_high": float(mu_hi),
            "spread": float(sd_med), "spread_high": float(sd_hi), "homogeneity_p": p,
            "indistinguishable": bool(not np.isfinite(p) or p >= 0.05)}


def _p_text(p: float) -> str:
    return "n/a" if not np.isfinite(p) else "p < 0.001" if p < 0.001 else f"p = {p:.2f}" if p >= 0.01 else f"p = {p:.3f}"


#: the sentences of the scorecard notes (one place; facts are filled in)
SENTENCES = {
    "method": ("rates are shrunk towards the team average by a hierarchical beta-binomial model whose average and "
               "spread between reps are estimated with their uncertainty; [ ] = 95% credible interval; "
               "rank (a–b) = 90% interval of the rank; 'above / below average' only when the 90% interval of the "
               "composite score excludes 0; ranks, scores and intervals come from the same seeded posterior draws"),
    "same": ("{label}: the data cannot tell these reps apart: the spread between reps is no larger than chance "
             "(test of equal rates {p}; true spread at most {spread_high} with 95% probability). Every rep is shown "
             "near the team average {mean} [{mean_low}, {mean_high}]; the interval says how far a rep could still be from it"),
    "differ": "{label}: reps differ ({p}); estimated spread between reps {spread} (SD of true rates, up to {spread_high})",
    "few": "fewer than two reps active in the period: no comparison possible",
}


def rate_sentence(kpi: str, facts: dict) -> str:
    """The plain-language note on one rate's spread between reps."""
    pp = lambda v: "n/a" if not np.isfinite(v) else f"{v * 100:.1f} pp"  # noqa: E731
    pct = lambda v: "n/a" if not np.isfinite(v) else f"{v:.1%}"  # noqa: E731
    key = "same" if facts["indistinguishable"] else "differ"
    return SENTENCES[key].format(label=RATES[kpi][2], p=_p_text(facts["homogeneity_p"]), spread=pp(facts["spread"]),
                                 spread_high=pp(facts["spread_high"]), mean=pct(facts["mean"]),
                                 mean_low=pct(facts["mean_low"]), mean_high=pct(facts["mean_high"]))


class ScorecardResult(KpiResult):
    """One row per rep: counts, raw and shrunk rates, intervals, composite, rank, verdict."""

    def display_frame(self) -> pd.DataFrame:
        f = self.frame
        rows = []
        for r in f.itertuples(index=False):
            row = {"rank": f"{r.rank} ({r.rank_low}–{r.rank_high})", "rep": r.rep_id, "team": r.team, "dials": f"{r.dials:,.0f}"}
            for k in self.frame.attrs.get("weights", {}):
                raw, s, lo, hi = (getattr(r, f"{k}_{p}") for p in ("raw", "shrunk", "low", "high"))
                row[RATES[k][2]] = "n/a" if not np.isfinite(s) else f"{s:.1%} [{lo:.1%}, {hi:.1%}] (raw {'n/a' if not np.isfinite(raw) else f'{raw:.1%}'})"
            row["score"] = f"{r.composite:+.2f}"
            row["verdict"] = r.verdict
            rows.append(row)
        return pd.DataFrame(rows)

    def plot(self, ax=None, max_reps: int = 30):
        """Forest plot of the composite score; with more than ``max_reps`` reps only the
        top and bottom ``max_reps // 2`` are drawn (the table keeps everyone)."""
        from leadlab import plots

        d = self.frame
        title = "Rep composite score (90% interval)"
        if len(d) > max_reps:
            half = max_reps // 2
            d = pd.concat([d.head(half), d.tail(half)])
            title += f": top and bottom {half} of {len(self.frame)} reps"
        d = d.rename(columns={"rep_id": "label", "composite": "estimate", "composite_low": "lower", "composite_high": "upper"})
        return plots.forest_plot(d, ax=ax, ref=0.0, title=title,
                                 xlabel="composite score (0 = team average; standard deviations of true skill)")


def _rep_counts(data, per) -> pd.DataFrame:
    from leadlab.kpi.measures import measures

    m = measures(data, [per], "rep_id", sources={"calls"})
    calls = m[m["dials"] > 0][["rep_id", "dials", "connected", "conversations"]]
    l = data.team_leads()
    l = l.filter(l.rep_id.notnull() & (l.created_at >= per.start.to_pydatetime()) & (l.created_at < per.end.to_pydatetime()))
    leads = l.group_by("rep_id").agg(leads=l.count(), sqls=l.sql_at.notnull().cast("int64").sum()).to_pandas()
    m = calls.merge(leads, on="rep_id", how="outer")
    for col in ("dials", "connected", "conversations", "leads", "sqls"):
        m[col] = m[col].astype(float).fillna(0.0)
    reps = data.rep_table[["rep_id", "team"]]
    return m.merge(reps, on="rep_id", how="left")


def score_reps(counts: pd.DataFrame, weights=None, level: float = 0.95, draws: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Scorecard from per-rep counts (columns rep_id, dials, connected, conversations,
    leads, sqls). Pure function: no data access. ``attrs["rates"]`` holds each rate's
    :func:`rate_facts`."""
    w = parse_weights(weights)
    f = counts.reset_index(drop=True).copy()
    rng = np.random.default_rng(seed)
    z_draws = np.zeros((draws, len(f)))
    total_w = sum(w.values())
    facts = {}
    for k, wk in w.items():
        xs, ns, _ = RATES[k]
        x, n = f[xs].to_numpy(float), f[ns].to_numpy(float)
        fit = fit_hier_beta(x, n)
        p, mu, sd = fit.draws(rng, draws)
        lo, hi = np.quantile(p, [(1 - level) / 2, (1 + level) / 2], axis=0)
        f[f"{k}_raw"] = safe_div(x, n) if len(x) else np.array([])
        f[f"{k}_shrunk"], f[f"{k}_low"], f[f"{k}_high"] = fit.posterior_mean(), lo, hi
        facts[k] = rate_facts(fit, level)
        if wk > 0:
            # each rep's true rate in SDs of true skill, draw by draw (finite even when the spread is tiny)
            z_draws += wk * (p - mu[:, None]) / sd[:, None]
    z_draws /= total_w
    f["composite"] = z_draws.mean(axis=0)
    f["composite_low"] = np.quantile(z_draws, 0.05, axis=0)
    f["composite_high"] = np.quantile(z_draws, 0.95, axis=0)
    ranks = (-z_draws).argsort(axis=1).argsort(axis=1) + 1
    f["rank_low"] = np.quantile(ranks, 0.05, axis=0).astype(int)
    f["rank_high"] = np.quantile(ranks, 0.95, axis=0).astype(int)
    f = f.sort_values("composite", ascending=False).reset_index(drop=True)
    f["rank"] = np.arange(1, len(f) + 1)
    f["verdict"] = np.where(f["composite_low"] > 0, "above average",
                            np.where(f["composite_high"] < 0, "below average", "not distinguishable from average"))
    f.attrs["rates"] = facts
    f.attrs["weights"] = w
    return f


def scorecard(data, period, team: str | None = None, weights=None, min_dials: int = 1, seed: int = 0) -> ScorecardResult:
    """Rep scorecards for ``period`` (optionally one team). ``weights``: dict or
    "connect_rate=1,conversation_rate=1,sql_rate=2"."""
    data, per = resolve(data, period, team)
    w = parse_weights(weights)
    counts = _rep_counts(data, per)
    counts = counts[(counts["dials"] >= min_dials) | (counts["leads"] > 0)]
    notes = [SENTENCES["method"],
             "SQL rate = owned leads created in the period that reached SQL by the latest data; "
             "weights: " + ", ".join(f"{k} {v:g}" for k, v in w.items())]
    if len(counts) < 2:
        frame = score_reps(counts, w, seed=seed) if len(counts) else pd.DataFrame(
            columns=["rep_id", "team", "dials", "composite", "composite_low", "composite_high", "rank", "rank_low", "rank_high", "verdict"])
        notes.insert(0, SENTENCES["few"])
    else:
        frame = score_reps(counts, w, seed=seed)
        notes[1:1] = [rate_sentence(k, v) for k, v in frame.attrs["rates"].items()]
    frame.attrs["weights"] = w
    return ScorecardResult("Rep scorecards", frame, per, data.team, notes)
