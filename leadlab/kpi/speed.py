"""Speed-to-lead: time from lead creation to the first call, and conversion by
response-time band with Wilson confidence intervals.

The band comparison is **observational**: fast-called leads may differ from slow
ones in other ways (source, hour of day, rep), so the gap is an association, not
the effect of calling faster. Only an experiment can show that.

>>> BANDS[0], band_text("0-5m")
(('0-5m', 0, 5), '≤ 5 min')
"""

from __future__ import annotations

import math

import ibis
import numpy as np
import pandas as pd

from leadlab.i18n import N_, _, fmt, translate
from leadlab.kpi import labels
from leadlab.kpi.family import resolve
from leadlab.kpi.measures import first_calls, measures
from leadlab.kpi.results import KpiResult
from leadlab.kpi.stats import safe_div, wilson_interval
from leadlab.presentation import in_period

#: response bands: (code, lower minute (exclusive, except 0), upper minute (inclusive))
BANDS = (("0-5m", 0, 5), ("5-60m", 5, 60), ("1-24h", 60, 1440), (">24h", 1440, math.inf))
NOT_CALLED = "not_called"
BAND_NAMES = {"0-5m": N_("≤ 5 min"), "5-60m": N_("5–60 min"), "1-24h": N_("1–24 h"), ">24h": N_("> 24 h"),
              NOT_CALLED: N_("not called")}


def band_text(code: str) -> str:
    return translate(BAND_NAMES[code]) if code in BAND_NAMES else str(code)


class SpeedResult(KpiResult):
    """``frame``: one row per response band code; ``stats``: median / p90 / reach shares (facts)."""

    def __init__(self, frame, period, team, *, stats: dict, as_of):
        super().__init__(N_("Speed-to-lead"), frame, period, team)
        self.stats, self.as_of = stats, as_of

    def display_frame(self) -> pd.DataFrame:
        d = self.frame
        return pd.DataFrame({
            _("Response time"): [band_text(b) for b in d["band"]],
            _("Leads"): [fmt.number(v) for v in d["leads"]],
            labels.kpi_name("sql"): [fmt.number(v) for v in d["sqls"]],
            _("SQL rate"): [fmt.percent(v) for v in d["sql_rate"]],
            _("95% CI low"): [fmt.percent(v) for v in d["ci_low"]],
            _("95% CI high"): [fmt.percent(v) for v in d["ci_high"]],
            _("Share of leads"): [fmt.percent(v) for v in d["share"]],
        })

    def headline(self) -> str:
        """Response times and reach in one sentence."""
        s = self.stats
        if not s["leads"]:
            return ""
        return _("Median response {median} (90th percentile {p90}); {within_5m} of new leads were called within "
                 "5 minutes, {within_1h} within 1 hour, {within_24h} within 24 hours; {never} were never called.",
                 median=labels.minutes(s["median_min"]), p90=labels.minutes(s["p90_min"]),
                 within_5m=fmt.percent(s["within_5m"]), within_1h=fmt.percent(s["within_1h"]),
                 within_24h=fmt.percent(s["within_24h"]), never=fmt.percent(s["never_called"]))

    def verdict(self) -> str:
        return self.headline()

    def notes(self) -> list[str]:
        out = [_("Observational: leads called faster may differ in other ways (source, time of day, rep); the gap "
                 "between bands is an association, not proof that calling faster causes it."),
               _("Response time = first call − lead creation; shares are of all leads created in the period "
                 "(never-called leads count as not reached); median and 90th percentile are over called leads; "
                 "SQL status as of {as_of}.", as_of=labels.as_of_text(self.as_of))]
        if not self.stats["leads"]:
            out.insert(0, _("No leads were created in {period}.", period=labels.period_text(self.period)))
        return out

    def _plot(self, ax):
        from leadlab import plots

        d = self.frame.dropna(subset=["sql_rate"]).rename(columns={"sql_rate": "estimate", "ci_low": "lower", "ci_high": "upper"})
        d = d.assign(label=[band_text(b) for b in d["band"]])
        overall = safe_div(self.frame["sqls"].sum(), self.frame["leads"].sum())
        return plots.forest_plot(d, ref=overall if np.isfinite(overall) else None, ax=ax, percent=True, color_by_sign=True,
                                 title=_("SQL rate by response time (observational)"),
                                 xlabel=_("share of leads reaching SQL (95% Wilson interval)"))


def speed_to_lead(data, period, team: str | None = None, alpha: float = 0.05) -> SpeedResult:
    """Response times of the leads created in ``period`` and their SQL rate (SQL by
    the latest data) per response band, with Wilson intervals."""
    data, per = resolve(data, period, team)
    sm = measures(data, [per], sources={"speed"})
    leads = data.team_leads()
    leads = leads.filter(in_period(leads.created_at, per))
    first = first_calls(data, per.start, leads)
    j = leads.left_join(first, leads.lead_id == first.lead_id)
    r = (j.first_call.epoch_seconds() - j.created_at.epoch_seconds()).cast("float64") / 60.0  # float on every backend
    cases = [(r.isnull(), NOT_CALLED)] + [((r <= hi) if lo == 0 else ((r > lo) & (r <= hi)) if np.isfinite(hi) else (r > lo), lab)
                                           for lab, lo, hi in BANDS]
    j = j.mutate(band=ibis.cases(*cases))
    q = j.group_by("band").agg(leads=j.count(), sqls=j.sql_at.notnull().sum()).to_pandas()
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
    return SpeedResult(q, per, data.team, stats=st, as_of=data.as_of)
