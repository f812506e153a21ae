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
{'call_connect_rate': 1.0, 'conversation_rate': 1.0, 'sql_rate': 2.0}
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from leadlab.errors import ConfigError
from leadlab.i18n import N_, _, fmt, translate
from leadlab.kpi import labels
from leadlab.kpi.family import resolve
from leadlab.kpi.results import KpiResult
from leadlab.vocabulary import ALIASES, SCORECARD_RATES
from leadlab.presentation import in_period
from leadlab.kpi.stats import (HierBeta, beta_interval, fit_hier_beta, homogeneity_test, jeffreys_interval,
                               safe_div)

#: scorecard rates: name -> (successes, trials); names: :func:`rate_name`
RATES = {
    "call_connect_rate": ("connected", "dials"),
    "conversation_rate": ("conversations", "connected"),
    "sql_rate": ("sqls", "leads"),
}
assert tuple(RATES) == SCORECARD_RATES
DEFAULT_WEIGHTS = {"call_connect_rate": 1.0, "conversation_rate": 1.0, "sql_rate": 2.0}


def parse_weights(weights) -> dict[str, float]:
    """Weights as a dict: a dict, or text ``"call_connect_rate=1,sql_rate=2"`` (also
    ``"call_connect_rate:1 sql_rate:2"``); ConfigError when
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
                raise ConfigError(f"parameter weights: cannot read {part.strip()!r}; write name=weight, e.g. call_connect_rate=1,sql_rate=2")
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
        weights = out
    clean = {}
    for k, v in dict(weights).items():
        k = ALIASES.get(k, k)  # connect_rate (the old id) means the same rate here
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


#: the rep verdict codes of the scorecard
VERDICTS = {"above average": N_("above average"), "below average": N_("below average"),
            "not distinguishable from average": N_("not distinguishable from average")}


def rate_name(kpi: str) -> str:
    """The display name of a scorecard rate, from the vocabulary."""
    return labels.kpi_name(kpi)


def p_text(p: float) -> str:
    """A p-value as a reader sees it: ``p < 0.001``, ``p = 0.03``."""
    if not np.isfinite(p):
        return fmt.na()
    if p < 0.001:
        return _("p < {value}", value=fmt.number(0.001, 3))
    return _("p = {value}", value=fmt.number(p, 2 if p >= 0.01 else 3))


def method_sentence() -> str:
    return _("Rates are pulled towards the team average by a hierarchical beta-binomial model whose average and "
             "spread between reps are estimated with their uncertainty; [ ] = 95% credible interval; rank (a–b) = 90% "
             "interval of the rank; above or below average only when the 90% interval of the composite score excludes "
             "0; ranks, scores and intervals come from the same seeded posterior draws.")


def rate_sentence(kpi: str, facts: dict) -> str:
    """The plain-language note on one rate's spread between reps."""
    pct = labels.unit_value
    if facts["indistinguishable"]:
        return _("{label}: the data cannot tell these reps apart: the spread between reps is no larger than chance "
                 "(test of equal rates {p}; true spread at most {spread_high} with 95% probability). Every rep is "
                 "shown near the team average {mean} [{mean_low}, {mean_high}]; the interval says how far a rep "
                 "could still be from it.",
                 label=rate_name(kpi), p=p_text(facts["homogeneity_p"]), spread_high=fmt.pp(facts["spread_high"]).lstrip("+"),
                 mean=pct(facts["mean"], "rate"), mean_low=pct(facts["mean_low"], "rate"),
                 mean_high=pct(facts["mean_high"], "rate"))
    return _("{label}: reps differ ({p}); estimated spread between reps {spread} (SD of true rates, up to {spread_high}).",
             label=rate_name(kpi), p=p_text(facts["homogeneity_p"]), spread=fmt.pp(facts["spread"]).lstrip("+"),
             spread_high=fmt.pp(facts["spread_high"]).lstrip("+"))


class ScorecardResult(KpiResult):
    """One row per rep: counts, raw and shrunk rates, intervals, composite, rank, verdict code.

    Facts: ``frame`` (``attrs["rates"]``: each rate's :func:`rate_facts`), ``weights``."""

    def __init__(self, frame, period, team, *, weights: dict):
        super().__init__(N_("Rep scorecards"), frame, period, team)
        self.weights = weights

    def display_frame(self) -> pd.DataFrame:
        f = self.frame
        rows = []
        for r in f.itertuples(index=False):
            row = {_("Rank"): _("{rank} ({low}–{high})", rank=fmt.number(r.rank), low=fmt.number(r.rank_low),
                                high=fmt.number(r.rank_high)),
                   _("Rep"): r.rep_id, _("Team"): r.team, labels.kpi_name("dials"): fmt.number(r.dials)}
            for k in self.weights:
                raw, sh, lo, hi = (getattr(r, f"{k}_{p}") for p in ("raw", "shrunk", "low", "high"))
                row[rate_name(k)] = fmt.na() if not np.isfinite(sh) else _(
                    "{rate} [{low}, {high}] (raw {raw})", rate=fmt.percent(sh), low=fmt.percent(lo),
                    high=fmt.percent(hi), raw=fmt.percent(raw))
            row[_("Score")] = ("+" if r.composite > 0 else "") + fmt.number(r.composite, 2)
            row[_("Verdict")] = translate(VERDICTS.get(r.verdict, r.verdict))
            rows.append(row)
        return pd.DataFrame(rows)

    def verdict(self) -> str:
        f = self.frame
        if len(f) < 2:
            return ""
        above = int((f["verdict"] == "above average").sum())
        below = int((f["verdict"] == "below average").sum())
        if above == 0 and below == 0:
            return _("No rep stands out: on these numbers every rep is within chance of the team average.")
        return _("{above} of {n} reps are clearly above the team average and {below} clearly below; "
                 "the others cannot be told apart from it.",
                 above=fmt.number(above), below=fmt.number(below), n=fmt.number(len(f)))

    def notes(self) -> list[str]:
        weights = ", ".join(_("{rate} {weight}", rate=rate_name(k), weight=fmt.number(v, 1 if v % 1 else 0))
                            for k, v in self.weights.items())
        out = [method_sentence(),
               _("SQL rate = owned leads created in the period that reached SQL by the latest data; weights: {weights}.",
                 weights=weights)]
        if len(self.frame) < 2:
            out.insert(0, _("Fewer than two reps were active in the period: no comparison possible."))
        else:
            out[1:1] = [rate_sentence(k, v) for k, v in self.frame.attrs.get("rates", {}).items()]
        return out

    def plot(self, ax=None, max_reps: int = 30):
        """Forest plot of the composite score; with more than ``max_reps`` reps only the
        top and bottom ``max_reps // 2`` are drawn (the table keeps everyone)."""
        from leadlab import plots

        d = self.frame
        title = _("Rep composite score (90% interval)")
        if len(d) > max_reps:
            half = max_reps // 2
            d = pd.concat([d.head(half), d.tail(half)])
            title = _("Rep composite score (90% interval): top and bottom {half} of {n} reps",
                      half=fmt.number(half), n=fmt.number(len(self.frame)))
        d = d.rename(columns={"rep_id": "label", "composite": "estimate", "composite_low": "lower", "composite_high": "upper"})
        return plots.forest_plot(d, ax=ax, ref=0.0, title=title,
                                 xlabel=_("composite score (0 = team average; standard deviations of true skill)"))


def _rep_counts(data, per) -> pd.DataFrame:
    from leadlab.kpi.measures import measures

    m = measures(data, [per], "rep_id", sources={"calls"})
    calls = m[m["dials"] > 0][["rep_id", "dials", "connected", "conversations"]]
    l = data.team_leads()
    l = l.filter(l.rep_id.notnull() & in_period(l.created_at, per))
    leads = l.group_by("rep_id").agg(leads=l.count(), sqls=l.sql_at.notnull().sum()).to_pandas()
    m = calls.merge(leads, on="rep_id", how="outer")
    for col in ("dials", "connected", "conversations", "leads", "sqls"):
        m[col] = m[col].astype(float).fillna(0.0)
    reps = data.rep_table[["rep_id", "team"]]
    return m.merge(reps, on="rep_id", how="left")


def rep_counts(data, period) -> pd.DataFrame:
    """The per-rep counts a scorecard is fitted on (rep_id, team, dials, connected, conversations,
    leads, sqls) for a :class:`~leadlab.periods.Period`; used by the incentives luck check."""
    return _rep_counts(data, period)


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
        xs, ns = RATES[k]
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
    "call_connect_rate=1,conversation_rate=1,sql_rate=2"."""
    data, per = resolve(data, period, team)
    w = parse_weights(weights)
    counts = _rep_counts(data, per)
    counts = counts[(counts["dials"] >= min_dials) | (counts["leads"] > 0)]
    if len(counts) < 2:
        frame = score_reps(counts, w, seed=seed) if len(counts) else pd.DataFrame(
            columns=["rep_id", "team", "dials", "composite", "composite_low", "composite_high", "rank", "rank_low", "rank_high", "verdict"])
    else:
        frame = score_reps(counts, w, seed=seed)
    frame.attrs["weights"] = w
    return ScorecardResult(frame, per, data.team, weights=w)
