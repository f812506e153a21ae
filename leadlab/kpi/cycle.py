"""Sales cycle: days from lead creation to won deal, Kaplan–Meier with open deals
treated as censored (statsmodels ``SurvfuncRight``), not the average over closed ones.

Population: leads that reached the opportunity stage, created in the ``lookback_days``
before the end of the period. A won deal is an event at (won_at − created_at); an
open opportunity is censored at (period end − created_at); lost opportunities are
left out (they will never win). Durations are aggregated in the backend to whole
days per (days, won) pair and passed to KM as frequency weights.

>>> import numpy as np
>>> km = kaplan_meier(np.array([3., 5., 5., 8.]), np.array([1, 1, 0, 1]), np.array([2, 1, 1, 1]))
>>> float(km.quantile(0.5))
5.0
"""

from __future__ import annotations

import math

import ibis
import numpy as np
import pandas as pd

from leadlab.kpi.family import resolve
from leadlab.kpi.results import KpiResult


def kaplan_meier(days, won, weights=None):
    """A statsmodels ``SurvfuncRight`` from aggregated (days, event, count) rows.

    The curve, risk sets and events come from statsmodels' frequency weights; the
    standard errors are set to Greenwood's formula on those counts (statsmodels'
    weighted standard errors differ from the row-level ones), so the result equals
    ``SurvfuncRight`` on the expanded rows, standard errors and median CI included."""
    from statsmodels.duration.survfunc import SurvfuncRight

    days, won = np.asarray(days, float), np.asarray(won, float)
    w = None if weights is None else np.asarray(weights, float)
    km = SurvfuncRight(days, won, freq_weights=w)
    r, d = np.asarray(km.n_risk, float), np.asarray(km.n_events, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(r > d, d / (r * (r - d)), np.inf)
        km.surv_prob_se = np.asarray(km.surv_prob) * np.sqrt(np.cumsum(term))
    km.surv_prob_se = np.where(np.isfinite(km.surv_prob_se), km.surv_prob_se, np.nan)
    return km


class CycleResult(KpiResult):
    """``frame``: the KM curve (days, share not yet won, CI); ``stats``: median etc."""

    stats: dict

    def display_frame(self) -> pd.DataFrame:
        s = self.stats
        rows = [
            ("opportunities in the cohort", f"{s['n']:,.0f}"),
            ("won (events)", f"{s['events']:,.0f}"),
            ("still open (censored)", f"{s['censored']:,.0f}"),
            ("median days to win (Kaplan–Meier)", _days(s["median"])),
            ("95% CI of the median", f"{_days(s['median_low'])} – {_days(s['median_high'])}"),
            ("75th percentile days to win", _days(s["p75"])),
            ("naive median over deals already won", _days(s["naive_median_won"])),
            ("naive average over deals already won", _days(s["naive_mean_won"])),
        ]
        return pd.DataFrame(rows, columns=["measure", "value"])

    def _plot(self, ax):
        import matplotlib.pyplot as plt

        from leadlab.plots import COLORS

        if ax is None:
            _, ax = plt.subplots()
        f = self.frame
        if len(f):
            ax.step(f["days"], 1 - f["surv"], where="post", color=COLORS["primary"], linewidth=2, label="won by day t")
            ax.fill_between(f["days"], 1 - f["ci_high"], 1 - f["ci_low"], step="post", alpha=0.2, color=COLORS["primary"])
            if np.isfinite(self.stats["median"]):
                ax.axvline(self.stats["median"], color=COLORS["neutral"], linestyle="--", linewidth=1)
        from matplotlib.ticker import PercentFormatter

        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel("days since lead creation")
        ax.set_ylabel("share of opportunities won")
        ax.set_title("Sales cycle (Kaplan–Meier, open deals censored)")
        return ax


def _days(v) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{v:.0f} days"


def cycle_counts(data, end: pd.Timestamp, lookback_days: int = 365) -> pd.DataFrame:
    """Aggregated (days, won, n) rows for the KM cohort ending at ``end`` (one query)."""
    leads = data.team_leads()
    end_dt = pd.Timestamp(end).to_pydatetime()
    start_dt = (pd.Timestamp(end) - pd.Timedelta(days=lookback_days)).to_pydatetime()
    l = leads.filter(leads.opportunity_at.notnull() & (leads.opportunity_at < end_dt)
                     & (leads.created_at >= start_dt) & (leads.created_at < end_dt))
    won = l.won_at.notnull() & (l.won_at < end_dt)
    lost = l.lost_at.notnull() & (l.lost_at < end_dt) & ~won
    l = l.filter(~lost)
    won = l.won_at.notnull() & (l.won_at < end_dt)
    stop = won.ifelse(l.won_at.epoch_seconds(), ibis.literal(pd.Timestamp(end).timestamp()))
    days = ((stop - l.created_at.epoch_seconds()) / 86400.0).floor()
    l = l.mutate(days=days, won=won.cast("int64"))
    return l.group_by(["days", "won"]).agg(n=l.count()).order_by(["days", "won"]).to_pandas()


def sales_cycle(data, period, team: str | None = None, lookback_days: int = 365) -> CycleResult:
    """Kaplan–Meier days-to-win of opportunities as of the end of ``period``."""
    data, per = resolve(data, period, team)
    end = min(per.end, data.data_end + pd.Timedelta(seconds=1)) if data.data_end is not None else per.end
    agg = cycle_counts(data, end, lookback_days)
    n = float(agg["n"].sum()) if len(agg) else 0.0
    events = float(agg.loc[agg["won"] == 1, "n"].sum()) if len(agg) else 0.0
    st = {"n": n, "events": events, "censored": n - events, "median": math.nan, "median_low": math.nan,
          "median_high": math.nan, "p75": math.nan, "naive_mean_won": math.nan,
          "naive_median_won": math.nan}
    frame = pd.DataFrame(columns=["days", "surv", "ci_low", "ci_high", "at_risk", "events"])
    if events > 0:
        import warnings

        warnings.filterwarnings("ignore", category=RuntimeWarning, module="statsmodels.duration")
        km = kaplan_meier(agg["days"], agg["won"], agg["n"])
        st["median"] = float(km.quantile(0.5))
        try:
            lo, hi = km.quantile_ci(0.5)
            st["median_low"], st["median_high"] = float(lo), float(hi) if hi is not None else math.nan
        except Exception:  # pragma: no cover - CI undefined when the curve does not reach 0.5
            pass
        st["p75"] = float(km.quantile(0.75))
        se = np.asarray(km.surv_prob_se)
        frame = pd.DataFrame({"days": km.surv_times, "surv": km.surv_prob,
                              "ci_low": np.clip(km.surv_prob - 1.96 * se, 0, 1),
                              "ci_high": np.clip(km.surv_prob + 1.96 * se, 0, 1),
                              "at_risk": km.n_risk, "events": km.n_events})
        frame = pd.concat([pd.DataFrame({"days": [0.0], "surv": [1.0], "ci_low": [1.0], "ci_high": [1.0],
                                         "at_risk": [n], "events": [0.0]}), frame], ignore_index=True)
        w = agg[agg["won"] == 1]
        st["naive_mean_won"] = float((w["days"] * w["n"]).sum() / w["n"].sum())
        cum = w["n"].cumsum().to_numpy() / w["n"].sum()
        st["naive_median_won"] = float(w["days"].to_numpy()[np.searchsorted(cum, 0.5)])
    notes = [f"cohort: opportunities created in the {lookback_days} days before {pd.Timestamp(end):%Y-%m-%d}; "
             "won = event, still open = censored at that date, lost deals excluded; "
             "the naive median / average over deals already won leave out the slow deals that are still open, so they understate the cycle"]
    if events == 0:
        notes.insert(0, "no won deals in the cohort: the sales cycle cannot be estimated (n/a)")
    elif not np.isfinite(st["median"]):
        notes.insert(0, "fewer than half of the cohort won so far: the median is not reached (n/a)")
    res = CycleResult("Sales cycle", frame, per, data.team, notes)
    res.stats = st
    return res
