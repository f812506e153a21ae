"""Lead-pool health at the end of a period: open leads by age, never contacted,
stale leads, likely duplicates, completeness of key fields, and the funnel
bottleneck (the step whose conversion dropped most against the previous period).

An **open** lead was created before the period end and is neither won nor lost by then.

>>> AGE_BUCKETS[0]
('0–7 days', 0, 7)
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from leadlab.kpi.family import resolve
from leadlab.kpi.results import KpiResult
from leadlab.kpi.stats import safe_div

AGE_BUCKETS = (("0–7 days", 0, 7), ("8–30 days", 7, 30), ("31–90 days", 30, 90),
               ("91–180 days", 90, 180), ("> 180 days", 180, None))
#: fields whose completeness is reported
KEY_FIELDS = ("phone", "email", "campaign", "region", "rep_id", "company_size", "industry", "job_title")


class PoolResult(KpiResult):
    """``frame``: open leads by age bucket; ``stats``, ``completeness``, ``bottleneck``."""

    stats: dict
    completeness: pd.DataFrame
    bottleneck: dict | None

    def display_frame(self) -> pd.DataFrame:
        d = self.frame.copy()
        for c in ("open_leads", "never_contacted", "stale"):
            d[c] = d[c].map(lambda v: f"{v:,.0f}")
        d["share"] = d["share"].map(lambda v: "n/a" if not np.isfinite(v) else f"{v:.1%}")
        return d.rename(columns={"age": "age of open lead", "open_leads": "open leads", "share": "share",
                                 "never_contacted": "never contacted", "stale": f"stale (> {self.stats['stale_days']} days untouched)"})

    def completeness_frame(self) -> pd.DataFrame:
        d = self.completeness.copy()
        d["filled"] = d["filled"].map(lambda v: "n/a" if not np.isfinite(v) else f"{v:.1%}")
        return d

    def health_frame(self) -> pd.DataFrame:
        s = self.stats
        rows = [("open leads", f"{s['open']:,.0f}"),
                ("never contacted", f"{s['never_contacted']:,.0f} ({_pct(s['never_contacted_share'])})"),
                (f"stale (no touch in {s['stale_days']} days)", f"{s['stale']:,.0f} ({_pct(s['stale_share'])})"),
                ("likely duplicates (same pseudonymized phone)", f"{s['duplicate_leads']:,.0f} leads in {s['duplicate_groups']:,.0f} groups"),
                ("bottleneck (largest step drop vs previous period)", self.bottleneck_text())]
        return pd.DataFrame(rows, columns=["measure", "value"])

    def bottleneck_text(self) -> str:
        b = self.bottleneck
        if not b:
            return "none: no funnel step conversion fell against the previous period"
        return (f"{b['from']} → {b['to']}: {b['conversion']:.1%} vs {b['previous']:.1%} "
                f"({b['change_pp'] * 100:+.1f} pp, {b['change_rel']:+.0%})")

    def summary(self) -> str:
        return "\n".join([super().summary(), self.health_frame().to_string(index=False),
                          self.completeness_frame().to_string(index=False)])

    def _repr_html_(self) -> str:
        return (super()._repr_html_() + self.health_frame().to_html(index=False, border=0)
                + "<h4>Completeness of key fields</h4>" + self.completeness_frame().to_html(index=False, border=0))

    def _plot(self, ax):
        from leadlab import plots

        return plots.bar_chart(self.frame, "age", "open_leads", ax=ax, title="Open leads by age")


def _pct(v) -> str:
    return "n/a" if not np.isfinite(v) else f"{v:.1%}"


def pool_health(data, period, team: str | None = None, stale_days: int = 14) -> PoolResult:
    """Lead-pool health as of the end of ``period`` (or the latest data if earlier)."""
    from leadlab.kpi.funnel import funnel

    data, per = resolve(data, period, team)
    end = per.end
    if data.as_of is not None and data.as_of < end:
        end = data.as_of + pd.Timedelta(seconds=1)
    end_dt = end.to_pydatetime()
    leads = data.team_leads().filter(lambda t: t.created_at < end_dt)
    closed = (leads.won_at.notnull() & (leads.won_at < end_dt)) | (leads.lost_at.notnull() & (leads.lost_at < end_dt))
    open_ = leads.filter(~closed)
    calls = data.calls.filter(lambda t: t.started_at < end_dt)
    calls = calls.filter(calls.lead_id.isin(open_.lead_id))  # semi-join: only the open leads' calls are grouped
    last = calls.group_by("lead_id").agg(last_call=calls.started_at.max())
    j = open_.left_join(last, open_.lead_id == last.lead_id)
    age = (ibis.literal(end.timestamp()) - j.created_at.epoch_seconds()) / 86400.0
    cases = [((age <= hi) if lo == 0 else ((age > lo) & (age <= hi)) if hi is not None else (age > lo), lab)
             for lab, lo, hi in AGE_BUCKETS]
    touch = j.last_call.fill_null(j.created_at)
    stale = (ibis.literal(end.timestamp()) - touch.epoch_seconds()) / 86400.0 > stale_days
    j = j.mutate(age=ibis.cases(*cases), never=j.last_call.isnull(), stale=stale)
    q = j.group_by("age").agg(open_leads=j.count(), never_contacted=j.never.cast("int64").sum(),
                              stale=j.stale.cast("int64").sum()).to_pandas()
    q = q.set_index("age").reindex([b[0] for b in AGE_BUCKETS]).fillna(0).reset_index()
    total = float(q["open_leads"].sum())
    q["share"] = [safe_div(v, total) for v in q["open_leads"]]
    # duplicates among all leads known at the end (same pseudonymized phone)
    ph = leads.filter(leads.phone.notnull())
    ph = ph.mutate(key=ph.phone.hash())  # group 64-bit hashes of the pseudonymized phones, not long strings
    groups = ph.group_by("key").agg(n=ph.count())
    groups = groups.filter(groups.n > 1)
    dup = groups.aggregate(groups_=groups.count(), leads_=groups.n.sum()).to_pandas().iloc[0]
    # completeness of key fields over all leads known at the end
    comp = leads.aggregate(n=leads.count(), **{f: leads[f].notnull().cast("int64").sum() for f in KEY_FIELDS}).to_pandas().iloc[0]
    n_all = float(comp["n"] or 0)
    completeness = pd.DataFrame({"field": list(KEY_FIELDS), "filled": [safe_div(float(comp[f] or 0), n_all) for f in KEY_FIELDS]})
    fun = funnel(data, per).frame
    d = fun.dropna(subset=["step_change_rel"])
    d = d[d["step_change_rel"] < 0]
    bottleneck = None
    if not d.empty:
        i = d["step_change_rel"].idxmin()
        bottleneck = {"from": fun.loc[i - 1, "stage"], "to": fun.loc[i, "stage"], "conversion": float(fun.loc[i, "step_conversion"]),
                      "previous": float(fun.loc[i, "previous_step_conversion"]), "change_pp": float(fun.loc[i, "step_change_pp"]),
                      "change_rel": float(fun.loc[i, "step_change_rel"])}
    st = {"open": total, "never_contacted": float(q["never_contacted"].sum()), "stale": float(q["stale"].sum()),
          "stale_days": stale_days, "duplicate_groups": float(dup["groups_"] or 0), "duplicate_leads": float(dup["leads_"] or 0),
          "as_of": end, "leads": n_all}
    st["never_contacted_share"] = safe_div(st["never_contacted"], total)
    st["stale_share"] = safe_div(st["stale"], total)
    notes = [f"as of {end:%Y-%m-%d %H:%M}; open = neither won nor lost by then; stale = no call (or creation) in the last "
             f"{stale_days} days; duplicates = leads sharing a pseudonymized phone; completeness over all {n_all:,.0f} leads"]
    res = PoolResult("Lead-pool health", q, per, data.team, notes)
    res.stats, res.completeness, res.bottleneck = st, completeness, bottleneck
    return res
