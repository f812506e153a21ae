"""Lead-pool health at the end of a period: open leads by age, never contacted,
stale leads, likely duplicates, completeness of key fields, and the funnel
bottleneck (the step whose conversion dropped most against the previous period).

An **open** lead was created before the period end and is neither won nor lost by then.

>>> AGE_BUCKETS[0], age_text("0-7"), age_text(">180")
(('0-7', 0, 7), '0–7 days', 'over 180 days')
"""

from __future__ import annotations

import ibis
import pandas as pd

from leadlab.i18n import N_, _, fmt, translate
from leadlab.kpi import labels
from leadlab.kpi.family import resolve
from leadlab.kpi.results import KpiResult
from leadlab.presentation import html_table
from leadlab.kpi.stats import safe_div

#: open-lead age buckets: (code, lower day (exclusive, except 0), upper day (inclusive) or None)
AGE_BUCKETS = (("0-7", 0, 7), ("8-30", 7, 30), ("31-90", 30, 90), ("91-180", 90, 180), (">180", 180, None))
#: fields whose completeness is reported, with their names
KEY_FIELDS = ("phone", "email", "campaign", "region", "rep_id", "company_size", "industry", "job_title")
FIELD_NAMES = {"phone": N_("Phone"), "email": N_("E-mail"), "campaign": N_("Campaign"), "region": N_("Region"),
               "rep_id": N_("Owner rep"), "company_size": N_("Company size"), "industry": N_("Industry"),
               "job_title": N_("Job title")}


def age_text(code: str) -> str:
    """An age bucket code in words: ``0–7 days`` / ``0–7天``, ``over 180 days`` / ``180天以上``."""
    for label, lo, hi in AGE_BUCKETS:
        if label == code:
            if hi is None:
                return _("over {n} days", n=fmt.number(lo))
            return _("{low}–{high} days", low=fmt.number(lo + 1 if lo else 0), high=fmt.number(hi))
    return str(code)


def bottleneck_text(b: dict | None) -> str:
    """The funnel step whose conversion fell most, in words."""
    if not b:
        return _("none: no funnel step conversion fell against the previous period")
    return _("{from_stage} → {to_stage}: {conversion} vs {previous} ({change_pp}, {change_rel})",
             from_stage=labels.stage_name(b["from"]), to_stage=labels.stage_name(b["to"]),
             conversion=fmt.percent(b["conversion"]), previous=fmt.percent(b["previous"]),
             change_pp=fmt.pp(b["change_pp"]), change_rel=fmt.signed_percent(b["change_rel"], 0))


class PoolResult(KpiResult):
    """``frame``: open leads by age bucket code; ``stats``, ``completeness``, ``bottleneck`` (facts)."""

    def __init__(self, frame, period, team, *, stats: dict, completeness: pd.DataFrame, bottleneck: dict | None,
                 flow=None):
        super().__init__(N_("Lead-pool health"), frame, period, team)
        self.stats, self.completeness, self.bottleneck = stats, completeness, bottleneck
        self.flow = flow  # leadlab.pool.flow.PoolFlowResult: returned / picked up / reassigned / converted

    def display_frame(self) -> pd.DataFrame:
        d = self.frame
        return pd.DataFrame({
            _("Age of open lead"): [age_text(a) for a in d["age"]],
            _("Open leads"): [fmt.number(v) for v in d["open_leads"]],
            _("Share"): [fmt.percent(v) for v in d["share"]],
            _("Never contacted"): [fmt.number(v) for v in d["never_contacted"]],
            _("Stale (no touch in {n} days)", n=fmt.number(self.stats["stale_days"])): [fmt.number(v) for v in d["stale"]],
        })

    def completeness_frame(self) -> pd.DataFrame:
        d = self.completeness
        return pd.DataFrame({_("Field"): [translate(FIELD_NAMES.get(f, f)) for f in d["field"]],
                             _("Filled"): [fmt.percent(v) for v in d["filled"]]})

    def health_frame(self) -> pd.DataFrame:
        s = self.stats
        rows = [(_("Open leads"), fmt.number(s["open"])),
                (_("Never contacted"), _("{n} ({share})", n=fmt.number(s["never_contacted"]),
                                         share=fmt.percent(s["never_contacted_share"]))),
                (_("Stale (no touch in {n} days)", n=fmt.number(s["stale_days"])),
                 _("{n} ({share})", n=fmt.number(s["stale"]), share=fmt.percent(s["stale_share"]))),
                (_("Likely duplicates (same pseudonymized phone)"),
                 _("{leads} leads in {groups} groups", leads=fmt.number(s["duplicate_leads"]),
                   groups=fmt.number(s["duplicate_groups"]))),
                (_("Bottleneck (largest step drop vs the previous period)"), self.bottleneck_text())]
        return pd.DataFrame(rows, columns=[_("Measure"), _("Value")])

    def bottleneck_text(self) -> str:
        return bottleneck_text(self.bottleneck)

    def notes(self) -> list[str]:
        s = self.stats
        return [_("As of {as_of}; open = neither won nor lost by then; stale = no call (or creation) in the last "
                  "{days} days; duplicates = leads sharing a pseudonymized phone; completeness over all {n} leads.",
                  as_of=labels.as_of_text(s["as_of"]), days=fmt.number(s["stale_days"]), n=fmt.number(s["leads"]))]

    def summary(self) -> str:
        parts = [super().summary(), self.health_frame().to_string(index=False),
                 self.completeness_frame().to_string(index=False)]
        return "\n".join(parts + ([self.flow.summary()] if self.flow is not None else []))

    def _repr_html_(self) -> str:
        from leadlab.safehtml import text

        heading = text(_("Completeness of key fields"))
        return (super()._repr_html_() + html_table(self.health_frame())
                + f"<h4>{heading}</h4>" + html_table(self.completeness_frame())
                + (self.flow._repr_html_() if self.flow is not None else ""))

    def _plot(self, ax):
        from leadlab import plots

        d = self.frame.assign(age=[age_text(a) for a in self.frame["age"]])
        ax = plots.bar_chart(d, "age", "open_leads", ax=ax, title=_("Open leads by age"))
        ax.set_xlabel(_("Age of open lead"))
        ax.set_ylabel(_("Open leads"))
        return ax


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
    q = j.group_by("age").agg(open_leads=j.count(), never_contacted=j.never.sum(),
                              stale=j.stale.sum()).to_pandas()
    q = q.set_index("age").reindex([b[0] for b in AGE_BUCKETS]).fillna(0).reset_index()
    total = float(q["open_leads"].sum())
    q["share"] = [safe_div(v, total) for v in q["open_leads"]]
    # duplicates among all leads known at the end (same pseudonymized phone)
    ph = leads.filter(leads.phone.notnull())
    ph = ph.mutate(key=ph.phone)  # the pseudonymized phone itself: exact on every backend (hash() differs by backend and may collide)
    groups = ph.group_by("key").agg(n=ph.count())
    groups = groups.filter(groups.n > 1)
    dup = groups.aggregate(groups_=groups.count(), leads_=groups.n.sum()).to_pandas().iloc[0]
    # completeness of key fields over all leads known at the end
    comp = leads.aggregate(n=leads.count(), **{f: leads[f].notnull().sum() for f in KEY_FIELDS}).to_pandas().iloc[0]
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
    from leadlab.pool.flow import pool_flow

    return PoolResult(q, per, data.team, stats=st, completeness=completeness, bottleneck=bottleneck,
                      flow=pool_flow(data, per))
