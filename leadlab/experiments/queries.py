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

import operator
from dataclasses import replace
from functools import reduce

import ibis
import ibis.expr.types as ir
import pandas as pd

from leadlab.errors import ConfigError, DataError
from leadlab.experiments.metrics import FUNNEL_STAGES, Metric
from leadlab.i18n import _
from leadlab.store import distinct_code

#: Column of a unit table: 1 for a unit seen in several arms (contaminated: counted, then dropped).
MIXED = "_several_arms"

MOMENTS = ("n", "sy", "syy", "sd", "sdd", "syd", "sx", "sxx", "sxy", "sxd", "nan", "nsq")


def _num(col: ir.Column) -> ir.Column:
    if col.type().is_boolean():  # not a cast: PostgreSQL cannot cast boolean to double precision
        return ibis.cases((col, 1), (~col, 0)).cast("float64")
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


#: Where each moment is read from: the sum over units of the product of these columns
#: (y = numerator, d = denominator, x = covariate, q = the row-grain squares column).
SOURCES = {"sy": ("y",), "syy": ("y", "y"), "sd": ("d",), "sdd": ("d", "d"), "syd": ("y", "d"),
           "sx": ("x",), "sxx": ("x", "x"), "sxy": ("x", "y"), "sxd": ("x", "d"), "nsq": ("q",)}

#: (metric, adjusted by the covariate): the metrics of one query with what each needs.
Spec = tuple[Metric, bool]


def specs(t: ir.Table, metrics: list[Metric], covariate: str | None = None,
          extra_ratios: list[tuple[str, str, str]] = (), cuped: "set[str] | None" = None) -> list[Spec]:
    """The metrics of a query, each with whether CUPED adjusts it (all when ``cuped`` is None);
    extra ratios (funnel steps) and a naive squares column the table lacks need no moments of theirs."""
    out = [(m if m.naive_sq is None or m.naive_sq in t.columns else replace(m, naive_sq=None),
            bool(covariate) and (cuped is None or m.name in cuped)) for m in metrics]
    return out + [(Metric(name, num, den), False) for name, num, den in extra_ratios]


def _product(nums: dict[str, ir.Column], cols: tuple[str, ...]) -> ir.Scalar:
    return reduce(operator.mul, [nums[c] for c in cols]).sum()


def moment_exprs(t: ir.Table, metrics: list[Spec], covariate: str | None = None
                 ) -> tuple[dict[str, ir.Value], callable]:
    """The masked form of the query: (per-unit columns to add, a function of the widened
    table giving the aggregates), for a table where some value is NULL/NaN.

    Aggregates are named ``<metric>__<moment>``, only the moments each metric declares
    (:meth:`Metric.moments`). A unit whose numerator or denominator is NULL/NaN is left out
    of that metric and counted in ``<metric>__nan``. A missing covariate is replaced by 0
    (any constant keeps CUPED unbiased) and counted in ``_x_missing``. Cleaned values are
    computed once per unit (a projection), so the aggregation itself is plain sums.
    """
    cols: dict[str, ir.Value] = {}
    has_x = bool(covariate)
    if has_x:
        xc = t[covariate]
        cols["_xok"] = _valid(xc)
        cols["_xv"] = _valid(xc).ifelse(_num(xc), 0.0)
    for i, (m, _cuped) in enumerate(metrics):
        y, den = t[m.num], m.denominator
        ok = _valid(y)
        if den is not None:
            ok = ok & _valid(t[den])
        cols[f"_ok{i}"] = ibis.ifelse(ok, 1, 0).cast("float64")
        cols[f"_y{i}"] = ok.ifelse(_num(y), 0.0)
        if den is not None:
            cols[f"_d{i}"] = ok.ifelse(_num(t[den]), 0.0)
        if m.naive_sq is not None:
            cols[f"_q{i}"] = ok.ifelse(_num(t[m.naive_sq]), 0.0)

    def aggregates(w: ir.Table) -> dict[str, ir.Scalar]:
        aggs: dict[str, ir.Scalar] = {}
        if has_x:
            aggs["_x_missing"] = (~w._xok).sum()
        for i, (m, cuped) in enumerate(metrics):
            roles = {"y": w[f"_y{i}"], "d": w[f"_d{i}"] if m.denominator is not None else None,
                     "x": (w._xv * w[f"_ok{i}"]) if cuped else None, "q": w[f"_q{i}"] if m.naive_sq else None}
            aggs[f"{m.name}__n"] = w[f"_ok{i}"].sum()  # left out (``__nan``) = units - n, after the query
            for mo in m.moments(cuped)[1:]:
                a, *b = SOURCES[mo]
                v = roles[a] * (w._xv if b == ["x"] else roles[b[0]]) if b else roles[a]
                aggs[f"{m.name}__{mo}"] = v.sum()
        return aggs

    return cols, aggregates


def _masked(t: ir.Table, metrics: list[Spec], by: list[str], covariate: str | None,
            extra: dict | None) -> list[dict]:
    cols, aggregates = moment_exprs(t, metrics, covariate)
    extra_cols = {f"_e_{k}": v for k, v in (extra or {}).items()}
    w = t.select(*by, **cols, **extra_cols)
    aggs = aggregates(w)
    aggs["_units"] = w.count()
    for k in extra or {}:
        aggs[k] = w[f"_e_{k}"].sum()
    rows = w.group_by(by).aggregate(**aggs).to_pyarrow().to_pylist()
    for r in rows:
        for c in [c for c in r if c.endswith("__n")]:
            r[c] = int(r[c] or 0)
            r[c + "an"] = int(r["_units"]) - r[c]
    return rows


def _plain(t: ir.Table, metrics: list[Spec], by: list[str], covariate: str | None, extra: dict | None,
           no_nulls: frozenset[str], known_nulls: dict[str, str] | None = None) -> list[dict] | None:
    """The query when no metric value is NULL/NaN (then every unit counts in every metric): the
    union of the column sums and cross-products the metrics need, each once, plus counts of
    NULL/NaN values; None when there are some (the masked form answers then)."""
    known_nulls = known_nulls or {}
    sums: dict[tuple[str, ...], str] = {}
    wanted: dict[str, str] = {}
    checks: dict[str, str] = {}
    for m, cuped in metrics:
        roles = {"y": m.num, "d": m.denominator, "x": covariate, "q": m.naive_sq}
        for mo in m.moments(cuped)[1:]:
            key = tuple(sorted(roles[r] for r in SOURCES[mo]))
            wanted[f"{m.name}__{mo}"] = sums.setdefault(key, f"_lab_s{len(sums)}")
        for c in (m.num, m.denominator):
            if c and c not in no_nulls and c not in known_nulls and c not in checks:
                checks[c] = f"_lab_b{len(checks)}"
    aggs: dict[str, ir.Scalar] = {"_units": t.count()}
    # each column cast once (building and compiling the expression is the fixed cost of a query)
    nums = {c: _num(t[c]) for c in dict.fromkeys(c for key in sums for c in key)}
    aggs.update({alias: _product(nums, key) for key, alias in sums.items()})
    for c, alias in checks.items():
        aggs[alias] = t.count() - t[c].count()
        if t[c].type().is_floating():
            aggs[alias] = aggs[alias] + t[c].isnan().sum()
    if covariate:
        aggs["_x_missing"] = t.count() - t[covariate].count()
        if t[covariate].type().is_floating():
            aggs["_lab_xnan"] = t[covariate].isnan().sum()
    for k, v in (extra or {}).items():
        aggs[k] = v.sum()
    # rows as Python dicts: a handful of groups, and pandas costs more here than the sums (fixed
    # cost of every analysis; docs/experiments.md, Speed)
    rows = t.group_by(by).aggregate(**aggs).to_pyarrow().to_pylist()
    used = {c for m, _cuped in metrics for c in (m.num, m.denominator) if c}
    flags = [*checks.values()] + (["_lab_xnan"] if "_lab_xnan" in aggs else []) + sorted(
        {known_nulls[c] for c in used if c in known_nulls and c not in no_nulls})
    if any(r[f] for r in rows for f in flags if r[f] == r[f]):  # a NULL/NaN total counts as 0
        return None
    out = []
    for r in rows:
        units = int(r["_units"])
        row = {k: v for k, v in r.items() if not k.startswith("_lab_")}
        for m, _cuped in metrics:
            row[f"{m.name}__n"], row[f"{m.name}__nan"] = units, 0
        row.update({name: r[alias] for name, alias in wanted.items()})
        out.append(row)
    return out


def moment_rows(t: ir.Table, metrics: list[Metric], *, by: list[str], covariate: str | None = None,
                extra_ratios: list[tuple[str, str, str]] = (), extra: dict | None = None,
                cuped: "set[str] | None" = None, no_nulls: frozenset[str] = frozenset(),
                known_nulls: dict[str, str] | None = None) -> list[dict]:
    """One grouped query: per group of ``by``, the moments every metric declares (one dict per group).

    ``cuped``: the metrics the covariate adjusts (default: all); ``no_nulls``: columns known to
    hold no NULL/NaN. The sums the metrics share (a denominator, a numerator used twice) are
    computed once; when some metric value is NULL/NaN a second, masked query leaves those
    units out of that metric (:func:`moment_exprs`). ``known_nulls``: column → the ``extra``
    total that is 0 when the column holds no NULL/NaN (e.g. a unit table's sum of an integer
    column and its ``_null__`` count; when it is not 0 the masked query decides): such a
    column needs no check of its own."""
    _check_columns(t, [*by, covariate] + [c for m in metrics for c in (m.num, m.denominator)], "metric")
    ms = specs(t, metrics, covariate, extra_ratios, cuped)
    out = _plain(t, ms, by, covariate, extra, no_nulls, known_nulls)
    return _masked(t, ms, by, covariate, extra) if out is None else out


def moments(t: ir.Table, metrics: list[Metric], *, by: list[str], **kw) -> pd.DataFrame:
    """:func:`moment_rows` as a DataFrame (one row per group of ``by``)."""
    return pd.DataFrame(moment_rows(t, metrics, by=by, **kw))


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
        contaminated=(per_unit.n_arms > 1).sum(),
        duplicate_rows=(per_unit.n_arms == 1).ifelse(per_unit.n_rows - 1, 0).sum(),
    ).to_pandas().iloc[0]
    return {k: int(0 if pd.isna(v) else v) for k, v in r.items()}


def _call_flags(calls: ir.Table) -> dict[str, ir.Value]:
    disp = calls.disposition
    return dict(
        calls=calls.count(),
        connected_calls=calls.connected.sum(),
        conversation_calls=calls.conversation.sum(),
        talk_seconds=calls.talk_seconds.fill_null(0).sum(),
        talk_sq=(calls.talk_seconds.fill_null(0) ** 2).sum(),
        complaints=(disp == "complaint").sum(),
        dnc=(disp == "do_not_call").sum(),
    )


def _lead_outcomes(leads: ir.Table, since: ir.Value, as_of) -> dict[str, ir.Value]:
    def hit(col):
        ok = col.notnull() & (col >= since)
        if as_of is not None:
            ok = ok & (col < as_of)
        return ibis.ifelse(ok, 1, 0).cast("int64")

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
        dialed=ibis.ifelse(calls_n > 0, 1, 0).cast("int64"),
        connected=ibis.ifelse(u.connected_calls.fill_null(0) > 0, 1, 0).cast("int64"),
        conversation=ibis.ifelse(u.conversation_calls.fill_null(0) > 0, 1, 0).cast("int64"),
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
        known=ibis.ifelse(u.lead_id.notnull(), 1, 0).cast("int64"),
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
        n_calls=lc.count(), n_conn=lc.connected.sum(), n_conv=lc.conversation.sum())
    owned = leads.join(clean, leads.rep_id == clean.unit_id)
    owned = owned.filter(owned.created_at >= owned.assigned_at)
    if as_of is not None:
        owned = owned.filter(owned.created_at < as_of)
    owned = owned.left_join(lead_calls, owned.lead_id == lead_calls.lead_key)
    out = _lead_outcomes(owned, owned.assigned_at, as_of)
    owned = owned.select(
        "unit_id", **out,
        dialed=ibis.ifelse(owned.n_calls.fill_null(0) > 0, 1, 0).cast("int64"),
        connected=ibis.ifelse(owned.n_conn.fill_null(0) > 0, 1, 0).cast("int64"),
        conversation=ibis.ifelse(owned.n_conv.fill_null(0) > 0, 1, 0).cast("int64"),
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
        x=ibis.ifelse(pre.sql_at.notnull() & (pre.sql_at < start), 1, 0).cast("float64").mean())
    u = clean.left_join(per_rep_leads, clean.unit_id == per_rep_leads.lead_rep)
    u = u.left_join(per_rep_calls, u.unit_id == per_rep_calls.call_rep)
    u = u.left_join(pre, u.unit_id == pre.pre_rep)
    rp = reps.select(rkey="rep_id", team="team")
    u = u.left_join(rp, u.unit_id == rp.rkey)
    zero = {k: u[k].fill_null(0) for k in ("n_leads", "sql", "opportunity", "won", "revenue", "revenue_sq", "dialed",
                                         "connected", "conversation", "calls", "connected_calls", "talk_seconds",
                                         "talk_sq", "complaints", "dnc")}
    u = u.select("arm", "unit_id", **zero, x=u.x, team=u.team.fill_null("(none)"),
                 known=ibis.ifelse(u.rkey.notnull(), 1, 0).cast("int64"))
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
    unit's arm in column ``arm`` (any one of them; :data:`MIXED` is 1 when the unit was seen in
    several arms) and the mean of ``covariate`` (``_x``). ``no_nulls``: columns
    known to hold no NULL (e.g. from Arrow's null counts), not counted again."""
    _check_columns(t, [arm, unit, *columns, covariate], "analyze")
    def total(col: ir.Column) -> ir.Scalar:
        # sum in the column's own type (cheaper than casting every row; booleans count), then one
        # DOUBLE per unit: the per-arm query then sums doubles with no cast per product (on DuckDB an
        # integer sum is a HUGEINT; per lead, 10 M calls: 2.06 s -> 1.76 s for the whole analysis)
        return col.sum().cast("float64")

    aggs = {c: total(t[c]) for c in columns}
    # NULL values are left out of their unit's sum: count them per column (COUNT(col) skips
    # NULLs and is nearly free, DuckDB answers it from its statistics when a column has none;
    # a NaN makes the unit's sum NaN, so that unit is excluded and counted later)
    for c in [c for c in columns if c not in no_nulls]:
        aggs[f"_null__{c}"] = t.count() - t[c].count()
    for c, sq in naive_sq.items():
        aggs[sq] = (_num(t[c]) * _num(t[c])).sum()
    aggs["_rows"] = t.count().cast("float64")
    # a unit is in several arms when its smallest and largest arm differ (NULL arms are ignored).
    # Integer arms (e.g. the codes of a DataFrame's arm column) are compared as they are. On
    # DuckDB a string arm's 64-bit hash is compared instead of the string, and the arm is any one
    # value: two integer aggregates and any_value() cost less than min()/max() of a string.
    label = "_arm"  # the unit's arm
    if t[arm].type().is_integer():
        aggs["_arm_lo"], aggs["_arm_hi"] = t[arm].min(), t[arm].max()
        label = "_arm_lo"
    else:
        arm_s = t[arm] if t[arm].type().is_string() else t[arm].cast("string")
        code = distinct_code(arm_s)
        if code is None:
            aggs["_arm"], aggs["_arm_lo"], aggs["_arm_hi"] = arm_s.min(), arm_s.min(), arm_s.max()
        else:
            aggs["_arm"], aggs["_arm_lo"], aggs["_arm_hi"] = arm_s.arbitrary(), code.min(), code.max()
    if covariate:
        aggs["_x"] = _num(t[covariate]).mean()
    g = t.group_by(_unit=t[unit]).aggregate(**aggs)
    # units seen in several arms are flagged (an integer: cheaper to group by than a CASE that
    # builds a string per unit), counted, then dropped by the analysis
    return g.select(*[c for c in g.columns if c not in ("_arm", "_arm_lo", "_arm_hi")], **{arm: g[label]},
                    **{MIXED: ibis.ifelse(g._arm_lo != g._arm_hi, 1, 0)})


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


