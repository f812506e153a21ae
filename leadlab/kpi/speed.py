"""Speed-to-lead: time from lead creation to the first call, and conversion by
response-time band with Wilson confidence intervals.

The band comparison is **observational**: fast-called leads may differ from slow
ones in other ways (source, hour of day, rep), so the gap is an association, not
the effect of calling faster. Only an experiment can show that.

>>> BANDS[0]
('≤ 5 min', 0, 5)
"""

from __future__ import annotations

import math

import ibis
import numpy as np
import pandas as pd

from leadlab.kpi.family import resolve
from leadlab.kpi.measures import first_calls, measures
from leadlab.kpi.results import KpiResult
from leadlab.kpi.stats import safe_div, wilson_interval

#: (label, lower minute (exclusive, except 0), upper minute (inclusive))
BANDS = (("≤ 5 min", 0, 5), ("5–60 min", 5, 60), ("1–24 h", 60, 1440), ("> 24 h", 1440, math.inf))
NOT_CALLED = "not called"


class SpeedResult(KpiResult):
    """``frame``: one row per response band; ``stats``: median / p90 / reach shares."""

    stats: dict

    def display_frame(self) -> pd.DataFrame:
        d = self.frame.copy()
        d["leads"] = d["leads"].map(lambda v: f"{v:,.0f}")
        d["sqls"] = d["sqls"].map(lambda v: f"{v:,.0f}")
        for c in ("sql_rate", "ci_low", "ci_high", "share"):
            d[c] = d[c].map(lambda v: "n/a" if not np.isfinite(v) else f"{v:.1%}")
        return d.rename(columns={"sql_rate": "SQL rate", "ci_low": "95% CI low", "ci_high": "95% CI high", "share": "share of leads"})

    def _plot(self, ax):
        from leadlab import plots

        d = self.frame.dropna(subset=["sql_rate"]).rename(columns={"band": "label", "sql_rate": "estimate", "ci_low": "lower", "ci_high": "upper"})
        overall = safe_div(self.frame["sqls"].sum(), self.frame["leads"].sum())
        return plots.forest_plot(d, ref=overall if np.isfinite(overall) else None, ax=ax, percent=True, color_by_sign=True,
                                 title="SQL rate by response time (observational)", xlabel="share of leads reaching SQL (95% Wilson CI)")

    def summary(self) -> str:
        s = self.stats
        head = (f"median response {_minutes(s['median_min'])}, p90 {_minutes(s['p90_min'])}; reached within 5 min "
                f"{_pct(s['within_5m'])}, 1 h {_pct(s['within_1h'])}, 24 h {_pct(s['within_24h'])}; never called {_pct(s['never_called'])}")
        return super().summary() + "\n" + head


def _pct(v) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{v:.1%}"


def _minutes(v) -> str:
    if v is None or not np.isfinite(v):
        return "n/a"
    if v < 90:
        return f"{v:.0f} min"
    if v < 48 * 60:
        return f"{v / 60:.1f} h"
    return f"{v / 1440:.1f} days"


def speed_to_lead(data, period, team: str | None = None, alpha: float = 0.05) -> SpeedResult:
    """Response times of the leads created in ``period`` and their SQL rate (SQL by
    the latest data) per response band, with Wilson intervals."""
    data, per = resolve(data, period, team)
    sm = measures(data, [per], sources={"speed"})
    leads = data.team_leads()
    leads = leads.filter((leads.created_at >= per.start.to_pydatetime()) & (leads.created_at < per.end.to_pydatetime()))
    first = first_calls(data, per.start, leads)
    j = leads.left_join(first, leads.lead_id == first.lead_id)
    r = (j.first_call.epoch_seconds() - j.created_at.epoch_seconds()) / 60.0
    cases = [(r.isnull(), NOT_CALLED)] + [((r <= hi) if lo == 0 else ((r > lo) & (r <= hi)) if np.isfinite(hi) else (r > lo), lab)
                                           for lab, lo, hi in BANDS]
    j = j.mutate(band=ibis.cases(*cases))
    q = j.group_by("band").agg(leads=j.count(), sqls=j.sql_at.notnull().cast("int64").sum()).to_pandas()
    order = [b[0] for b in BANDS] + [NOT_CALLED]
    q = q.set_index("band").reindex(order).fillna(0).reset_index()
    total = q["leads"].sum()
    q["share"] = [safe_div(v, total) for v in q["leads"]]
    q["sql_rate"] = [safe_div(s, n) for s, n in zip(q["sqls"], q["leads"])]
    ci = [wilson_interval(s, n, alpha) for s, n in zip(q["sqls"], q["leads"])]
    q["ci_low"] = [c[0] for c in ci]
    q["ci_high"] = [c[1] for c in ci]
    row = sm.iloc[0] if len(sm) and sm["sp_leads"].iloc[0] > 0 else None
    n = float(row["sp_leads"]) if row is not None else 0.0
    st = {
        "leads": n,
        "median_min": float(row["response_median_min"]) if row is not None and pd.notna(row["response_median_min"]) else math.nan,
        "p90_min": float(row["response_p90_min"]) if row is not None and pd.notna(row["response_p90_min"]) else math.nan,
        "within_5m": safe_div(row["reached_5m"], n) if row is not None else math.nan,
        "within_1h": safe_div(row["reached_1h"], n) if row is not None else math.nan,
        "within_24h": safe_div(row["reached_24h"], n) if row is not None else math.nan,
        "never_called": safe_div(n - float(row["sp_called"]), n) if row is not None else math.nan,
    }
    notes = ["observational: leads called faster may differ in other ways (source, time of day, rep); "
             "the gap between bands is an association, not proof that calling faster causes it",
             "response time = first call − lead creation; shares are of all leads created in the period "
             "(never-called leads count as not reached); median and p90 are over called leads; "
             f"SQL status as of {data.as_of:%Y-%m-%d}" if data.as_of is not None else "SQL status as of the latest data"]
    if n == 0:
        notes.insert(0, f"no leads created in {per.label}")
    res = SpeedResult("Speed-to-lead", q, per, data.team, notes)
    res.stats = st
    return res
