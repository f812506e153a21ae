"""Ibis queries: per-unit tables and the one grouped query of sufficient statistics.

Nothing here pulls rows into Python: :func:`moments` returns one row per arm (or per
arm and segment) of counts, sums, sums of squares and cross-products.

>>> import pandas as pd
>>> from leadlab.store import as_table
>>> from leadlab.experiments.metrics import Metric
>>> t = as_table(pd.DataFrame({"arm": ["A", "A", "B"], "y": [1.0, 0.0, 1.0]}))
>>> m = moments(t, [Metric("y")], by=["arm"])
>>> m.set_index("arm")["y__sy"].to_dict()
{'A': 1.0, 'B': 1.0}
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from leadlab.errors import ConfigError, DataError
from leadlab.experiments.metrics import FUNNEL_STAGES, Metric
from leadlab.i18n import _

MOMENTS = ("n", "sy", "syy", "sd", "sdd", "syd", "sx", "sxx", "sxy", "sxd", "nan", "nsq")


def _num(col: ir.Column) -> ir.Column:
    return col.cast("float64")


def _valid(col: ir.Column) -> ir.BooleanValue:
    ok = col.notnull()
    if col.type().is_floating():
        ok = ok & ~col.isnan()
    return ok


def _check_columns(t: ir.Table, cols, what: str) -> None:
    missing = [c for c in cols if c and c not in t.columns]
    if missing:
        raise ConfigError(_("{what}: columns {missing} not found; available columns: {available}", what=what,
                            missing=", ".join(repr(c) for c in missing), available=", ".join(t.columns)))


def moment_exprs(t: ir.Table, metrics: list[Metric], covariate: str | None = None,
                 extra_ratios: list[tuple[str, str, str]] = ()) -> tuple[dict[str, ir.Value], callable]:
    """(per-unit columns to add, a function of the widened table giving the aggregates).

    Aggregates are named ``<metric>__<moment>``. A unit whose numerator or denominator is
    NULL/NaN is left out of that metric and counted in ``<metric>__nan``. A missing
    covariate is replaced by 0 (any constant keeps CUPED unbiased) and counted in
    ``_x_missing``. Cleaned values are computed once per unit (a projection), so the
    aggregation itself is plain sums.
    """
    cols: dict[str, ir.Value] = {}
    has_x = bool(covariate)
    if has_x:
        xc = t[covariate]
        cols["_xok"] = _valid(xc)
        cols["_xv"] = _valid(xc).ifelse(_num(xc), 0.0)
    specs = [(m.name, m.num, m.denominator, m.naive_sq) for m in metrics]
    specs += [(name, num, den, None) for name, num, den in extra_ratios]
    for i, (name, num, den, sq) in enumerate(specs):
        y = t[num]
        ok = _valid(y)
        if den is not None:
            ok = ok & _valid(t[den])
        cols[f"_ok{i}"] = ok.cast("float64")
        cols[f"_y{i}"] = ok.ifelse(_num(y), 0.0)
        if den is not None:
            cols[f"_d{i}"] = ok.ifelse(_num(t[den]), 0.0)
        if sq is not None and sq in t.columns:
            cols[f"_q{i}"] = ok.ifelse(_num(t[sq]), 0.0)

    def aggregates(w: ir.Table) -> dict[str, ir.Scalar]:
        aggs: dict[str, ir.Scalar] = {}
        if has_x:
            aggs["_x_missing"] = (1 - w._xok.cast("int64")).sum()
        for i, (name, num, den, sq) in enumerate(specs):
            ok, yv = w[f"_ok{i}"], w[f"_y{i}"]
            aggs[f"{name}__n"] = ok.sum()  # units left out (``__nan``) = units - n, computed after the query
            aggs[f"{name}__sy"] = yv.sum()
            aggs[f"{name}__syy"] = (yv * yv).sum()
            if den is not None:
                dv = w[f"_d{i}"]
                aggs[f"{name}__sd"] = dv.sum()
                aggs[f"{name}__sdd"] = (dv * dv).sum()
                aggs[f"{name}__syd"] = (yv * dv).sum()
            if has_x:
                xv = w._xv * ok
                aggs[f"{name}__sx"] = xv.sum()
                aggs[f"{name}__sxx"] = (xv * w._xv).sum()
                aggs[f"{name}__sxy"] = (w._xv * yv).sum()
                if den is not None:
                    aggs[f"{name}__sxd"] = (w._xv * w[f"_d{i}"]).sum()
            if f"_q{i}" in w.columns:
                aggs[f"{name}__nsq"] = w[f"_q{i}"].sum()
        return aggs

    return cols, aggregates


def moments(t: ir.Table, metrics: list[Metric], *, by: list[str], covariate: str | None = None,
            extra_ratios: list[tuple[str, str, str]] = (), extra: dict | None = None) -> pd.DataFrame:
    """One grouped query: per group of ``by``, the moments of every metric (a small DataFrame)."""
    _check_columns(t, [*by, covariate] + [c for m in metrics for c in (m.num, m.denominator)], "metric")
    cols, aggregates = moment_exprs(t, metrics, covariate, extra_ratios)
    extra_cols = {f"_e_{k}": v for k, v in (extra or {}).items()}
    w = t.select(*by, **cols, **extra_cols)
    aggs = aggregates(w)
    aggs["_units"] = w.count()
    for k in extra or {}:
        aggs[k] = w[f"_e_{k}"].sum()
    # Arrow → pandas directly: a few rows, no need for ibis's per-column type conversion
    out = w.group_by(by).aggregate(**aggs).to_pyarrow().to_pandas()
    for c in [c for c in out.columns if c.endswith("__n")]:
        out[c] = out[c].astype("int64")
        out[c + "an"] = out["_units"].astype("int64") - out[c]
    return out


def fill_moments(row: pd.Series, name: str, scale: float = 1.0):
    """The :class:`ArmMoments` of metric ``name`` from a row of :func:`moments`."""
    from leadlab.experiments.stats import ArmMoments

    def g(k, default=0.0):
        v = row.get(f"{name}__{k}", default)
        return float(default if v is None or pd.isna(v) else v)

    n, sy, syy = g("n"), g("sy"), g("syy")
    has_den = f"{name}__sd" in row.index
    sd, sdd, syd = (g("sd"), g("sdd"), g("syd")) if has_den else (n, n, sy)
    sx, sxx, sxy = g("sx"), g("sxx"), g("sxy")
    sxd = g("sxd") if has_den else sx
    s = scale
    return ArmMoments(n, sy * s, syy * s * s, sd, sdd, syd * s, sx, sxx, sxy * s, sxd)


# --- unit tables for the store ---------------------------------------------------------------

def clean_assignments(assign: ir.Table, experiment_id: str) -> tuple[ir.Table, ir.Table]:
    """(one row per unit with a single arm, the per-unit check table).

    Units seen in several arms are excluded (contamination); duplicated rows of the same
    unit and arm are collapsed. Both are counted by :func:`assignment_checks`.
    """
    a = assign.filter(assign.experiment_id == experiment_id)
    per_unit = a.group_by("unit_id").aggregate(
        n_arms=a.arm.nunique(), n_rows=a.count(), arm=a.arm.min(), assigned_at=a.assigned_at.min(),
        unit_type=a.unit_type.min(),
    )
    clean = per_unit.filter(per_unit.n_arms == 1).select("unit_id", "arm", "assigned_at")
    return clean, per_unit


def assignment_checks(per_unit: ir.Table) -> dict[str, int]:
    """Counts of contaminated units (several arms) and duplicated assignment rows."""
    r = per_unit.aggregate(
        units=per_unit.count(),
        contaminated=(per_unit.n_arms > 1).cast("int64").sum(),
        duplicate_rows=(per_unit.n_arms == 1).ifelse(per_unit.n_rows - 1, 0).sum(),
    ).to_pandas().iloc[0]
    return {k: int(0 if pd.isna(v) else v) for k, v in r.items()}


def _call_flags(calls: ir.Table) -> dict[str, ir.Value]:
    disp = calls.disposition
    return dict(
        calls=calls.count(),
        connected_calls=calls.connected.cast("int64").sum(),
        conversation_calls=calls.conversation.cast("int64").sum(),
        talk_seconds=calls.talk_seconds.fill_null(0).sum(),
        talk_sq=(calls.talk_seconds.fill_null(0) ** 2).sum(),
        complaints=(disp == "complaint").cast("int64").sum(),
        dnc=(disp == "do_not_call").cast("int64").sum(),
    )


def _lead_outcomes(leads: ir.Table, since: ir.Value, as_of) -> dict[str, ir.Value]:
    def hit(col):
        ok = col.notnull() & (col >= since)
        if as_of is not None:
            ok = ok & (col < as_of)
        return ok.cast("int64")

    won = hit(leads.won_at)
    rev = (won == 1).ifelse(leads.revenue.fill_null(0.0), 0.0)
    return dict(sql=hit(leads.sql_at), opportunity=hit(leads.opportunity_at), won=won,
                revenue=rev, revenue_sq=rev * rev)


def lead_units(con: ibis.BaseBackend, experiment_id: str, as_of=None) -> tuple[ir.Table, ir.Table]:
    """Per-lead table of a lead-randomized experiment, and the assignment check table.

    Outcomes (SQL, opportunity, won, revenue) count only when they happened at or after
    the lead's ``assigned_at`` (and before ``as_of``); call aggregates use the calls made at
    or after ``assigned_at``. Covariate ``x`` = ``leads.prior_score``.
    """
    clean, per_unit = clean_assignments(con.table("assignments"), experiment_id)
    leads, calls, reps = con.table("leads"), con.table("calls"), con.table("reps")
    c = calls.join(clean, calls.lead_id == clean.unit_id)
    c = c.filter(c.started_at >= c.assigned_at)
    if as_of is not None:
        c = c.filter(c.started_at < as_of)
    per_lead_calls = c.group_by(lead_key=c.lead_id).aggregate(**_call_flags(c))
    u = clean.left_join(leads, clean.unit_id == leads.lead_id)
    rp = reps.select(rep_key="rep_id", team="team")
    u = u.left_join(rp, u.rep_id == rp.rep_key)
    u = u.left_join(per_lead_calls, u.unit_id == per_lead_calls.lead_key)
    outcomes = _lead_outcomes(u, u.assigned_at, as_of)
    calls_n = u.calls.fill_null(0)
    u = u.select(
        "arm", "unit_id",
        n_leads=ibis.literal(1, "int64"),
        **outcomes,
        dialed=(calls_n > 0).cast("int64"),
        connected=(u.connected_calls.fill_null(0) > 0).cast("int64"),
        conversation=(u.conversation_calls.fill_null(0) > 0).cast("int64"),
        calls=calls_n,
        connected_calls=u.connected_calls.fill_null(0),
        talk_seconds=u.talk_seconds.fill_null(0.0),
        talk_sq=u.talk_sq.fill_null(0.0),
        complaints=u.complaints.fill_null(0),
        dnc=u.dnc.fill_null(0),
        x=u.prior_score,
        source=u.source.fill_null("(none)"),
        region=u.region.fill_null("(none)"),
        team=u.team.fill_null("(none)"),
        known=u.lead_id.notnull().cast("int64"),
    )
    return u, per_unit


def rep_units(con: ibis.BaseBackend, experiment_id: str, started_at, as_of=None,
              pre_days: int = 90) -> tuple[ir.Table, ir.Table]:
    """Per-rep table of a rep-randomized experiment, and the assignment check table.

    Lead outcomes: the leads the rep owns that were created at or after the rep's
    ``assigned_at`` (outcomes at or after it, before ``as_of``). Call metrics: the calls the
    rep made at or after ``assigned_at``. Covariate ``x`` = the rep's SQL rate on the leads
    it owned created in the ``pre_days`` before ``started_at`` (SQLs before ``started_at``).
    """
    clean, per_unit = clean_assignments(con.table("assignments"), experiment_id)
    leads, calls, reps = con.table("leads"), con.table("calls"), con.table("reps")
    lc = calls
    if as_of is not None:
        lc = lc.filter(lc.started_at < as_of)
    lead_calls = lc.group_by(lead_key=lc.lead_id).aggregate(
        n_calls=lc.count(), n_conn=lc.connected.cast("int64").sum(), n_conv=lc.conversation.cast("int64").sum())
    owned = leads.join(clean, leads.rep_id == clean.unit_id)
    owned = owned.filter(owned.created_at >= owned.assigned_at)
    if as_of is not None:
        owned = owned.filter(owned.created_at < as_of)
    owned = owned.left_join(lead_calls, owned.lead_id == lead_calls.lead_key)
    out = _lead_outcomes(owned, owned.assigned_at, as_of)
    owned = owned.select(
        "unit_id", **out,
        dialed=(owned.n_calls.fill_null(0) > 0).cast("int64"),
        connected=(owned.n_conn.fill_null(0) > 0).cast("int64"),
        conversation=(owned.n_conv.fill_null(0) > 0).cast("int64"),
    )
    per_rep_leads = owned.group_by(lead_rep="unit_id").aggregate(
        n_leads=owned.count(), **{k: owned[k].sum() for k in
                                  ("sql", "opportunity", "won", "revenue", "revenue_sq", "dialed", "connected", "conversation")})
    rc = calls.join(clean, calls.rep_id == clean.unit_id)
    rc = rc.filter(rc.started_at >= rc.assigned_at)
    if as_of is not None:
        rc = rc.filter(rc.started_at < as_of)
    per_rep_calls = rc.group_by(call_rep=rc.rep_id).aggregate(**_call_flags(rc))
    start = ibis.literal(pd.Timestamp(started_at))
    pre = leads.filter((leads.created_at < start) & (leads.created_at >= start - ibis.interval(days=pre_days)))
    pre = pre.group_by(pre_rep=pre.rep_id).aggregate(
        x=(pre.sql_at.notnull() & (pre.sql_at < start)).cast("float64").mean())
    u = clean.left_join(per_rep_leads, clean.unit_id == per_rep_leads.lead_rep)
    u = u.left_join(per_rep_calls, u.unit_id == per_rep_calls.call_rep)
    u = u.left_join(pre, u.unit_id == pre.pre_rep)
    rp = reps.select(rkey="rep_id", team="team")
    u = u.left_join(rp, u.unit_id == rp.rkey)
    zero = {k: u[k].fill_null(0) for k in ("n_leads", "sql", "opportunity", "won", "revenue", "revenue_sq", "dialed",
                                         "connected", "conversation", "calls", "connected_calls", "talk_seconds",
                                         "talk_sq", "complaints", "dnc")}
    u = u.select("arm", "unit_id", **zero, x=u.x, team=u.team.fill_null("(none)"),
                 known=u.rkey.notnull().cast("int64"))
    return u, per_unit


def funnel_ratios() -> list[tuple[str, str, str]]:
    """(name, numerator, denominator) of each funnel step after the first."""
    out = []
    for (prev, _), (col, label) in zip(FUNNEL_STAGES[:-1], FUNNEL_STAGES[1:]):
        out.append((f"step_{col}", col, prev))
    return out


def unit_aggregate(t: ir.Table, arm: str, unit: str, columns: list[str], naive_sq: dict[str, str],
                   covariate: str | None = None, no_nulls: frozenset[str] = frozenset()) -> ir.Table:
    """Aggregate a row-grain table (e.g. calls) to one row per ``unit``: the sums of
    ``columns``, ``_null__<column>`` (its NULL values), ``_rows`` (rows per unit), the
    unit's arm (``_arm``, its smallest; ``_arm_max``, its largest: they differ when the unit
    was seen in several arms) and the mean of ``covariate`` (``_x``). ``no_nulls``: columns
    known to hold no NULL (e.g. from Arrow's null counts), not counted again."""
    _check_columns(t, [arm, unit, *columns, covariate], "analyze")
    def total(col: ir.Column) -> ir.Scalar:
        # sum in the column's own type (cheaper than casting every row); booleans count
        return (col.cast("int64") if col.type().is_boolean() else col).sum()

    aggs = {c: total(t[c]) for c in columns}
    # NULL values are left out of their unit's sum: count them per column (COUNT(col) skips
    # NULLs and is nearly free, DuckDB answers it from its statistics when a column has none;
    # a NaN makes the unit's sum NaN, so that unit is excluded and counted later)
    for c in [c for c in columns if c not in no_nulls]:
        aggs[f"_null__{c}"] = t.count() - t[c].count()
    for c, sq in naive_sq.items():
        aggs[sq] = (_num(t[c]) * _num(t[c])).sum()
    aggs["_rows"] = t.count()
    # a unit is in several arms when its smallest and largest arm differ (cheaper than a
    # count of distinct values per unit, same answer; NULL arms are ignored by both)
    arm_s = t[arm] if t[arm].type().is_string() else t[arm].cast("string")
    aggs["_arm"] = arm_s.min()
    aggs["_arm_max"] = arm_s.max()
    if covariate:
        aggs["_x"] = _num(t[covariate]).mean()
    g = t.group_by(_unit=t[unit]).aggregate(**aggs)
    return g


def experiment_row(con: ibis.BaseBackend, experiment_id: str | None) -> dict:
    """The experiments row for ``experiment_id`` (the first one when empty); DataError otherwise."""
    from leadlab.store import table

    exps = table(con, "experiments").order_by("experiment_id").to_pandas()
    if exps.empty:
        raise DataError(_("the store has no experiments (table experiments is empty); run `leadlab synth` or ingest "
                          "experiments"))
    if not experiment_id:
        return exps.iloc[0].to_dict()
    hit = exps[exps.experiment_id == experiment_id]
    if hit.empty:
        raise DataError(_("experiment {experiment} is not in the store (table experiments); known experiments: "
                          "{known}", experiment=repr(experiment_id), known=", ".join(exps.experiment_id.astype(str))))
    return hit.iloc[0].to_dict()



def data_end(con: ibis.BaseBackend):
    """The time of the latest call or lead in the store (the "now" of an analysis without
    ``as_of``); None for an empty store."""
    from leadlab.store import table

    ends = []
    for name, col in (("calls", "started_at"), ("leads", "created_at")):
        v = table(con, name)[col].max().to_pyarrow().as_py()
        if v is not None:
            ends.append(pd.Timestamp(v))
    return max(ends) if ends else None


def store_units(con, exp: dict, as_of):
    """(unit table, assignment checks table, the start time) of a store experiment."""
    eid, unit_type = str(exp["experiment_id"]), str(exp["unit_type"])
    started = exp.get("started_at")
    if unit_type == "lead":
        u, per_unit = lead_units(con, eid, as_of)
        return u, per_unit, started
    if started is None or pd.isna(started):
        a = con.table("assignments")
        started = a.filter(a.experiment_id == eid).assigned_at.min().to_pyarrow().as_py()
    u, per_unit = rep_units(con, eid, started, as_of)
    return u, per_unit, started


