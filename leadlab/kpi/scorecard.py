"""Fair rep scorecards: empirical-Bayes (beta-binomial) shrinkage of each rep's rates,
credible intervals, a weighted composite score and a ranking that says which
differences are real.

For each rate (connect rate, conversation rate, SQL rate of owned leads) a Beta prior
is fitted to all reps by marginal maximum likelihood (:func:`leadlab.kpi.stats.fit_beta_prior`);
each rep's posterior is Beta(a + x, b + n − x). A rep with 12 calls therefore sits near
the team average until the evidence says otherwise. The composite is the weighted mean
of standardised posterior rates ((rate − prior mean) / prior sd); its 90% interval and
the rank interval come from seeded posterior draws.

>>> from leadlab.kpi.scorecard import DEFAULT_WEIGHTS
>>> DEFAULT_WEIGHTS
{'connect_rate': 1.0, 'conversation_rate': 1.0, 'sql_rate': 2.0}
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from leadlab.errors import ConfigError
from leadlab.kpi.family import resolve
from leadlab.kpi.results import KpiResult
from leadlab.kpi.stats import beta_interval, fit_beta_prior, safe_div

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


def shrink(x, n, level: float = 0.95, prior: tuple[float, float] | None = None) -> pd.DataFrame:
    """Empirical-Bayes shrinkage of rates ``x/n``: raw rate, posterior mean, credible
    interval; the fitted prior is in ``.attrs['prior']``.

    >>> d = shrink([1, 30, 300], [2, 100, 1000])
    >>> bool(abs(d["shrunk"][0] - 0.3) < abs(d["raw"][0] - 0.3))
    True
    """
    x, n = np.asarray(x, float), np.asarray(n, float)
    a, b = prior if prior is not None else fit_beta_prior(x, n)
    pa, pb = a + x, b + (n - x)
    lo, hi = beta_interval(pa, pb, level)
    out = pd.DataFrame({"raw": safe_div(x, n) if len(x) else np.array([]), "shrunk": pa / (pa + pb),
                        "low": lo, "high": hi})
    out.attrs["prior"] = (a, b)
    return out


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
    leads, sqls). Pure function: no data access."""
    w = parse_weights(weights)
    f = counts.reset_index(drop=True).copy()
    rng = np.random.default_rng(seed)
    z_draws = np.zeros((draws, len(f)))
    z_mean = np.zeros(len(f))
    total_w = sum(w.values())
    priors = {}
    for k, wk in w.items():
        xs, ns, _ = RATES[k]
        x, n = f[xs].to_numpy(float), f[ns].to_numpy(float)
        s = shrink(x, n, level, None)
        a, b = s.attrs["prior"]
        priors[k] = (a, b)
        for col in ("raw", "shrunk", "low", "high"):
            f[f"{k}_{col}"] = s[col].to_numpy()
        if wk == 0:
            continue
        mu = a / (a + b)
        sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        z_mean += wk * (f[f"{k}_shrunk"].to_numpy() - mu) / sd
        z_draws += wk * (rng.beta(a + x, b + n - x, size=(draws, len(f))) - mu) / sd
    f["composite"] = z_mean / total_w
    z_draws /= total_w
    f["composite_low"] = np.quantile(z_draws, 0.05, axis=0)
    f["composite_high"] = np.quantile(z_draws, 0.95, axis=0)
    ranks = (-z_draws).argsort(axis=1).argsort(axis=1) + 1
    f["rank_low"] = np.quantile(ranks, 0.05, axis=0).astype(int)
    f["rank_high"] = np.quantile(ranks, 0.95, axis=0).astype(int)
    f = f.sort_values("composite", ascending=False).reset_index(drop=True)
    f["rank"] = np.arange(1, len(f) + 1)
    f["verdict"] = np.where(f["composite_low"] > 0, "above average",
                            np.where(f["composite_high"] < 0, "below average", "not distinguishable from average"))
    f.attrs["priors"] = priors
    f.attrs["weights"] = w
    return f


def scorecard(data, period, team: str | None = None, weights=None, min_dials: int = 1, seed: int = 0) -> ScorecardResult:
    """Rep scorecards for ``period`` (optionally one team). ``weights``: dict or
    "connect_rate=1,conversation_rate=1,sql_rate=2"."""
    data, per = resolve(data, period, team)
    w = parse_weights(weights)
    counts = _rep_counts(data, per)
    counts = counts[(counts["dials"] >= min_dials) | (counts["leads"] > 0)]
    notes = ["rates are empirical-Bayes (beta-binomial) shrunk towards the average of all reps shown; "
             "[ ] = 95% credible interval; rank (a–b) = 90% interval of the rank from posterior draws; "
             "'above / below average' only when the 90% interval of the composite score excludes 0",
             "SQL rate = owned leads created in the period that reached SQL by the latest data; "
             "weights: " + ", ".join(f"{k} {v:g}" for k, v in w.items())]
    if len(counts) < 2:
        frame = score_reps(counts, w, seed=seed) if len(counts) else pd.DataFrame(
            columns=["rep_id", "team", "dials", "composite", "composite_low", "composite_high", "rank", "rank_low", "rank_high", "verdict"])
        notes.insert(0, "fewer than two reps active in the period: no comparison possible")
    else:
        frame = score_reps(counts, w, seed=seed)
    frame.attrs["weights"] = w
    return ScorecardResult("Rep scorecards", frame, per, data.team, notes)
