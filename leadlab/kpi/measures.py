"""Base measures: the grouped Ibis queries behind every KPI.

Each query scans one canonical table once for a list of disjoint periods (a CASE
expression assigns the period label) and optional breakdown dimensions, and returns
only aggregates (counts, sums, sums of squares) to Python. KPIs are ratios of these
measures: each KPI's formula in the one vocabulary (:mod:`leadlab.vocabulary`) names the
measures below (their names in words: :data:`leadlab.vocabulary.measures.KPI_MEASURES`), and
:mod:`leadlab.kpi.definitions` evaluates it.

Measures:

* calls (by ``started_at``): dials, connected, conversations, talk_seconds,
  conn_talk_seconds / conn_talk_sq (talk of connected calls), handled (= connected
  calls), handle_seconds / handle_sq (talk + hold + wrap of handled calls),
  leads_called (distinct leads dialled), followups (dials − leads_called),
  invalid_number_leads (distinct leads dialled with an invalid_number call), complaints,
  dnc, worked_seconds (ring + talk + hold + wrap), rep_cost (worked hours × the rep's
  hourly cost).
* leads (each lifecycle timestamp in its own period): new_leads (created_at), mqls,
  sqls, opportunities, won, revenue, revenue_sq (by won_at).
* spend (by date): spend — allocated to teams / reps / regions by their share of the
  period's new leads of each source and campaign.
* speed (leads created in the period): sp_leads, sp_called, reached_5m, reached_1h,
  reached_24h, response_median_min, response_p90_min.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import numpy as np
import pandas as pd

from leadlab.errors import ConfigError
from leadlab.kpi.data import KpiData
from leadlab.periods import Period

#: Breakdown dimensions and where they come from.
DIMENSIONS = ("team", "rep_id", "source", "campaign", "region")
CALL_MEASURES = ("dials", "connected", "conversations", "talk_seconds", "conn_talk_seconds", "conn_talk_sq",
                 "handled", "handle_seconds", "handle_sq", "leads_called", "followups", "invalid_number_leads", "complaints", "dnc",
                 "worked_seconds", "rep_cost")
LEAD_MEASURES = ("new_leads", "mqls", "sqls", "opportunities", "won", "revenue", "revenue_sq")
SPEED_MEASURES = ("sp_leads", "sp_called", "reached_5m", "reached_1h", "reached_24h",
                  "response_median_min", "response_p90_min")
#: customer-quality measures, computed by :mod:`leadlab.kpi.customer` (surveys and payments tables)
CUSTOMER_MEASURES = ("csat_responses", "csat_sum", "csat_sq", "csat_top2", "nps_responses", "nps_net", "amount_due",
                     "amount_collected", "receivables_x_days", "invoiced", "cohort_customers", "repeat_customers")
#: every base measure a KPI formula may name
ALL_MEASURES = (*CALL_MEASURES, *LEAD_MEASURES, *SPEED_MEASURES, "spend", *CUSTOMER_MEASURES)


def check_by(by: str | Sequence[str] | None) -> list[str]:
    """``by`` as a list of valid dimensions; ConfigError listing them otherwise."""
    if by is None or by == "" or by == []:
        return []
    dims = [by] if isinstance(by, str) else list(by)
    bad = [d for d in dims if d not in DIMENSIONS]
    if bad:
        raise ConfigError(f"parameter by: unknown dimension {bad[0]!r}; valid: {', '.join(DIMENSIONS)}")
    return dims


def _bucket(ts: ibis.Column, periods: Sequence[Period]) -> ibis.Value:
    cases = [((ts >= p.start.to_pydatetime()) & (ts < p.end.to_pydatetime()), p.label) for p in periods]
    return ibis.cases(*cases, else_=ibis.null().cast("string"))


def _span(ts: ibis.Column, periods: Sequence[Period]) -> ibis.Value:
    lo = min(p.start for p in periods).to_pydatetime()
    hi = max(p.end for p in periods).to_pydatetime()
    return (ts >= lo) & (ts < hi)


def _check_disjoint(periods: Sequence[Period]) -> list[Period]:
    seen: dict[str, Period] = {}
    for p in periods:
        seen.setdefault(p.label + p.kind, p)
    out = sorted(seen.values(), key=lambda p: p.start)
    for a, b in zip(out, out[1:]):
        if b.start < a.end:
            raise ValueError(f"periods {a.label} and {b.label} overlap")
    return out


def _reps_dim(data: KpiData) -> ibis.Table:
    return data.reps.select("rep_id", "team", hourly=data.reps.hourly_cost.cast("float64"))


def _empty(periods, dims, measures) -> pd.DataFrame:
    return pd.DataFrame(columns=["period", *dims, *measures])


def _calls_scope(data: KpiData, periods: Sequence[Period], dims: list[str]) -> ibis.Table:
    c = data.team_calls()
    c = c.filter(_span(c.started_at, periods))
    c = c.mutate(period=_bucket(c.started_at, periods))
    if "team" in dims:
        reps = data.reps.select("rep_id", "team")
        c = c.left_join(reps, c.rep_id == reps.rep_id).drop("rep_id_right")
    if set(dims) & {"source", "campaign", "region"}:
        lk = data.leads.select("lead_id", *[d for d in ("source", "campaign", "region") if d in dims])
        c = c.left_join(lk, c.lead_id == lk.lead_id).drop("lead_id_right")
    return c


def call_measures(data: KpiData, periods: Sequence[Period], by=None, *, distinct: bool = True) -> pd.DataFrame:
    """Call measures per period label (and ``by`` dimensions); one grouped query.
    ``distinct=False`` leaves out leads_called / followups (a costly distinct count)."""
    dims = check_by(by)
    periods = _check_disjoint(periods)
    c = _calls_scope(data, periods, dims)
    hourly = data.reps.select(rep_id_h="rep_id", hourly=data.reps.hourly_cost.cast("float64"))
    c = c.left_join(hourly, c.rep_id == hourly.rep_id_h)
    z = ibis.literal(0.0)
    talk = c.talk_seconds.fill_null(0.0)
    handle = talk + c.hold_seconds.fill_null(0.0) + c.wrap_seconds.fill_null(0.0)
    worked = handle + c.ring_seconds.fill_null(0.0)
    conn = c.connected.fill_null(False)
    aggs = dict(
        dials=c.count(),
        connected=conn.sum(),
        conversations=c.conversation.fill_null(False).sum(),
        talk_seconds=talk.sum(),
        conn_talk_seconds=conn.ifelse(talk, z).sum(),
        conn_talk_sq=conn.ifelse(talk * talk, z).sum(),
        handled=conn.sum(),
        handle_seconds=conn.ifelse(handle, z).sum(),
        handle_sq=conn.ifelse(handle * handle, z).sum(),
        complaints=(c.disposition == "complaint").sum(),
        dnc=(c.disposition == "do_not_call").sum(),
        worked_seconds=worked.sum(),
        rep_cost=(worked / 3600.0 * c.hourly).sum(),
    )
    if distinct:
        aggs["leads_called"] = c.lead_id.nunique()
        aggs["invalid_number_leads"] = c.lead_id.nunique(where=c.disposition == "invalid_number")
    df = c.group_by(["period", *dims]).agg(**aggs).to_pandas()
    if distinct:
        df["followups"] = df["dials"] - df["leads_called"]
    return df


def reach_measures(data: KpiData, periods: Sequence[Period], by=None) -> pd.DataFrame:
    """Distinct leads dialled per period (and ``by``): leads_called and followups need dials too."""
    dims = check_by(by)
    periods = _check_disjoint(periods)
    c = _calls_scope(data, periods, dims)
    return c.group_by(["period", *dims]).agg(
        leads_called=c.lead_id.nunique(),
        invalid_number_leads=c.lead_id.nunique(where=c.disposition == "invalid_number")).to_pandas()


def _lead_events(data: KpiData, dims: list[str], hi=None) -> ibis.Table:
    leads = data.team_leads()
    if hi is not None:
        leads = leads.filter(leads.created_at < hi)  # no lifecycle event precedes creation
    if "team" in dims:
        reps = data.reps.select("rep_id", "team")
        leads = leads.left_join(reps, leads.rep_id == reps.rep_id).drop("rep_id_right")
    keep = [d for d in dims]
    parts = []
    for stage, col in (("new_leads", "created_at"), ("mqls", "mql_at"), ("sqls", "sql_at"),
                       ("opportunities", "opportunity_at"), ("won", "won_at")):
        value = leads.revenue.fill_null(0.0) if stage == "won" else ibis.literal(0.0)
        parts.append(leads.select(*keep, ts=leads[col], stage=ibis.literal(stage), value=value.cast("float64")))
    return ibis.union(*parts, distinct=False)


def lead_measures(data: KpiData, periods: Sequence[Period], by=None) -> pd.DataFrame:
    """Lifecycle counts per period label: each event counted in the period it happened."""
    dims = check_by(by)
    periods = _check_disjoint(periods)
    ev = _lead_events(data, dims, max(p.end for p in periods).to_pydatetime())
    ev = ev.filter(ev.ts.notnull() & _span(ev.ts, periods))
    ev = ev.mutate(period=_bucket(ev.ts, periods))
    q = ev.group_by(["period", *dims, "stage"]).agg(n=ev.count(), revenue=ev.value.sum(), revenue_sq=(ev.value * ev.value).sum())
    long = q.to_pandas()
    idx = ["period", *dims]
    if long.empty:
        return _empty(periods, dims, LEAD_MEASURES)
    wide = long.pivot_table(index=idx, columns="stage", values="n", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=["new_leads", "mqls", "sqls", "opportunities", "won"], fill_value=0)
    won = long[long["stage"] == "won"].set_index(idx)[["revenue", "revenue_sq"]]
    wide = wide.join(won, how="left").fillna({"revenue": 0.0, "revenue_sq": 0.0})
    wide.columns.name = None
    return wide.reset_index()


def spend_measures(data: KpiData, periods: Sequence[Period], by=None) -> pd.DataFrame | None:
    """Marketing spend per period label (None when the store has no spend table).

    Company-wide spend is summed as is. For a team, or a breakdown by team / rep /
    region, each source-and-campaign's spend is allocated by the share of that
    period's new leads of the source and campaign that belong to the group.
    """
    if data.spend is None:
        return None
    dims = check_by(by)
    periods = _check_disjoint(periods)
    s = data.spend
    ts = s.date.cast("timestamp")
    s = s.filter(_span(ts, periods)).mutate(period=_bucket(ts, periods))
    need_alloc = bool(data.team) or any(d in ("team", "rep_id", "region") for d in dims)
    keys = ["period", "source", "campaign"]
    sp = s.group_by(keys).agg(spend=s.amount.sum()).to_pandas()
    if not need_alloc:
        if not dims:
            return sp.groupby("period", as_index=False)["spend"].sum()
        return sp.groupby(["period", *dims], as_index=False)["spend"].sum()
    # allocation by share of new leads per (period, source, campaign)
    all_data = data.company()
    leads = all_data.leads
    extra_dims = [d for d in dims if d not in ("source", "campaign")]
    if "team" in extra_dims or data.team:
        reps = data.reps.select("rep_id", "team")
        leads = leads.left_join(reps, leads.rep_id == reps.rep_id).drop("rep_id_right")
    group_cols = list(dict.fromkeys(["source", "campaign", *extra_dims, *(["team"] if data.team else [])]))
    lt = leads.filter(_span(leads.created_at, periods)).mutate(period=_bucket(leads.created_at, periods))
    nl = lt.group_by(["period", *group_cols]).agg(n=lt.count()).to_pandas()
    tot = nl.groupby(keys)["n"].transform("sum")
    nl["share"] = nl["n"] / tot
    if data.team:
        nl = nl[nl["team"] == data.team]
    m = nl.merge(sp, on=keys, how="inner")
    m["spend"] = m["spend"] * m["share"]
    return m.groupby(["period", *dims], as_index=False, dropna=False)["spend"].sum()


def first_calls(data: KpiData, since: pd.Timestamp, leads: ibis.Table | None = None) -> ibis.Table:
    """First call per lead among calls started at or after ``since`` (enough for leads
    created since then: a call never precedes its lead's creation); with ``leads``, only
    the calls of those leads are grouped (a semi-join keeps the grouping small)."""
    calls = data.calls
    calls = calls.filter(calls.started_at >= pd.Timestamp(since).to_pydatetime())
    if leads is not None:
        calls = calls.filter(calls.lead_id.isin(leads.lead_id))
    return calls.group_by("lead_id").agg(first_call=calls.started_at.min())


def speed_measures(data: KpiData, periods: Sequence[Period], by=None) -> pd.DataFrame:
    """Speed-to-lead measures for leads created in each period (first call ever)."""
    dims = check_by(by)
    periods = _check_disjoint(periods)
    leads = data.team_leads()
    leads = leads.filter(_span(leads.created_at, periods))
    if "team" in dims:
        reps = data.reps.select("rep_id", "team")
        leads = leads.left_join(reps, leads.rep_id == reps.rep_id).drop("rep_id_right")
    first = first_calls(data, min(p.start for p in periods), leads)
    j = leads.left_join(first, leads.lead_id == first.lead_id)
    minutes = (j.first_call.epoch_seconds() - j.created_at.epoch_seconds()).cast("float64") / 60.0  # float: Spark divides integers by 60.0 in DECIMAL (6 decimals)
    j = j.mutate(period=_bucket(j.created_at, periods), resp=minutes)
    r = j.resp
    q = j.group_by(["period", *dims]).agg(
        sp_leads=j.count(),
        sp_called=r.notnull().sum(),
        reached_5m=(r <= 5).fill_null(False).sum(),
        reached_1h=(r <= 60).fill_null(False).sum(),
        reached_24h=(r <= 1440).fill_null(False).sum(),
        response_median_min=r.quantile(0.5),
        response_p90_min=r.quantile(0.9),
    )
    return q.to_pandas()


SOURCES = {"calls": tuple(c for c in CALL_MEASURES if c not in ("leads_called", "followups", "invalid_number_leads")),
           "reach": ("leads_called", "followups", "invalid_number_leads"), "leads": LEAD_MEASURES, "speed": SPEED_MEASURES, "spend": ("spend",),
           "customer": CUSTOMER_MEASURES}


def sources_for(columns) -> set[str]:
    """Which source queries produce the base measures ``columns``."""
    return {src for src, cols in SOURCES.items() if set(cols) & set(columns)}


def _cached(source: str, fn, data: KpiData, periods: list[Period], dims: list[str]) -> pd.DataFrame | None:
    """``fn(data, periods, dims)`` computing only the periods not computed before for
    this source, team and breakdown (KpiData is a snapshot, so aggregates are reused)."""
    key = (source, data.team, tuple(dims))
    done, frame = data._cache.get(key, (set(), None))
    missing = [p for p in periods if (p.label, p.kind) not in done]
    if missing:
        new = fn(data, missing, dims)
        if new is None:
            data._cache[key] = (done | {(p.label, p.kind) for p in missing}, None)
            return None
        frame = new if frame is None else pd.concat([frame, new], ignore_index=True)
        data._cache[key] = (done | {(p.label, p.kind) for p in missing}, frame)
    if frame is None:
        return None
    return frame[frame["period"].isin([p.label for p in periods])].reset_index(drop=True)


def measures(data: KpiData, periods: Sequence[Period], by=None, *, speed: bool = True,
             sources: set[str] | None = None, reach_periods: Sequence[Period] | None = None,
             speed_periods: Sequence[Period] | None = None) -> pd.DataFrame:
    """All base measures for ``periods`` (rows: period label × ``by``), one query per table.

    ``sources`` limits the queries (calls, reach, leads, speed, spend, customer — the last only
    when named: surveys and payments, :mod:`leadlab.kpi.customer`); aggregates already
    computed on the same KpiData are reused. ``reach_periods`` limits the costly distinct
    count of leads dialled (calls_per_lead, followups_per_lead) to those periods (others: NaN);
    ``speed_periods`` does the same for the speed-to-lead measures (a first-call search). Periods with no rows still get a row of
    zeros (and NaN for quantiles)."""
    dims = check_by(by)
    periods = _check_disjoint(periods)
    idx = ["period", *dims]
    want = set(sources) if sources is not None else {"calls", "reach", "leads", "spend"} | ({"speed"} if speed else set())
    speed = "speed" in want
    frames = []
    if "calls" in want:
        frames.append(_cached("calls", lambda d, p, b: call_measures(d, p, b, distinct=False), data, periods, dims))
    if "reach" in want:
        rp = periods if reach_periods is None else _check_disjoint(reach_periods)
        frames.append(_cached("reach", reach_measures, data, rp, dims))
    if "leads" in want:
        frames.append(_cached("leads", lead_measures, data, periods, dims))
    if speed:
        spp = periods if speed_periods is None else _check_disjoint(speed_periods)
        frames.append(_cached("speed", speed_measures, data, spp, dims))
    if "customer" in want:  # surveys and payments: only when asked for (targets, breakdowns of customer KPIs)
        from leadlab.kpi.customer import measures_for_periods

        frames.append(_cached("customer", measures_for_periods, data, periods, dims))
    sp = _cached("spend", spend_measures, data, periods, dims) if "spend" in want else None
    if sp is not None:
        frames.append(sp)
    if not frames:
        frames.append(pd.DataFrame({"period": [p.label for p in periods]}))
    out = None
    for f in frames:
        f = f.set_index(idx) if len(f.columns) else f
        out = f if out is None else out.join(f, how="outer")
    out = out.reset_index()
    # every requested period appears even without data
    labels = [p.label for p in periods]
    if not dims:
        out = out.set_index("period").reindex(labels).reset_index()
    else:
        out = out[out["period"].isin(labels)]
    cols = [c for src in ("calls", "leads", "speed", "customer") if src in want for c in SOURCES[src]]
    for col in cols:
        if col not in out.columns:
            out[col] = np.nan
        if not col.startswith("response_"):
            out[col] = out[col].astype(float).fillna(0.0)
    if "reach" in want:
        computed = {p.label for p in (periods if reach_periods is None else reach_periods)}
        inside = out["period"].isin(computed)
        lc = out["leads_called"].astype(float) if "leads_called" in out else pd.Series(np.nan, index=out.index)
        out["leads_called"] = lc.where(~inside, lc.fillna(0.0))
        inv = (out["invalid_number_leads"].astype(float) if "invalid_number_leads" in out
               else pd.Series(np.nan, index=out.index))
        out["invalid_number_leads"] = inv.where(~inside, inv.fillna(0.0))
        out["followups"] = out["dials"].astype(float) - out["leads_called"] if "dials" in out else np.nan
    if sp is not None:
        out["spend"] = out["spend"].astype(float).fillna(0.0)
    else:
        out["spend"] = np.nan
    out.attrs["has_spend"] = sp is not None or ("spend" not in want and data.has_spend)
    out.attrs["periods"] = periods
    return out
