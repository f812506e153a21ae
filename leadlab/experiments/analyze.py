"""Orchestration: inputs → one grouped query → typed moments → effects → result object.

Entry points:

* :func:`analyze` — a store experiment (``experiment_id``), a pandas DataFrame or an Ibis
  table (per unit or per row with a ``unit`` column);
* :func:`from_counts` / :func:`from_stats` — plain summary counts / means per arm.

The parts: :mod:`~leadlab.experiments.validation` (inputs, parameters),
:mod:`~leadlab.experiments.queries` and :mod:`~leadlab.experiments.moments` (the grouped query,
typed moments), :mod:`~leadlab.experiments.effects` (estimation per metric, funnel),
:mod:`~leadlab.experiments.multitest` and :mod:`~leadlab.experiments.decision` (families, the
one decision rule), :mod:`~leadlab.experiments.segments`.

>>> r = from_counts([("A", 1000, 80), ("B", 1000, 95)])
>>> float(round(r.effects.effect.iloc[0], 3))
0.015
"""

from __future__ import annotations

import math

import pandas as pd

from leadlab.errors import ConfigError, DataError
from leadlab.experiments import stats as S
from leadlab.experiments import validation as V
from leadlab.experiments.arrow import project, registered
from leadlab.experiments.effects import effects_table
from leadlab.experiments.effects import funnel as funnel_steps
from leadlab.experiments.metrics import FUNNEL_STAGES, STORE_METRICS, Metric, cuped_names, resolve_metrics
from leadlab.experiments.moments import ArmTable, arms_frame, collect
from leadlab.experiments.planning import design_context
from leadlab.experiments.queries import (
    MIXED, assignment_checks, data_end, experiment_row, funnel_ratios, store_units, unit_aggregate,
)
from leadlab.experiments.results import ExperimentResult, Notice
from leadlab.experiments.segments import DEFAULT_DIMENSIONS, segment_effects
from leadlab.experiments.sequential import LookPlan, plan_looks
from leadlab.experiments.summaries import from_counts, from_stats
from leadlab.experiments.texts import missing_notices, zero_notices
from leadlab.i18n import _

#: Below this many reps in an arm, a rep experiment's result carries a warning.
MIN_REPS_PER_ARM = 10
#: Metrics the rep's pre-period SQL rate can predict (CUPED in rep experiments).
REP_CUPED_METRICS = {"sql_rate", "lead_opportunity_rate", "lead_conversion_rate", "revenue_per_lead", "sqls_per_call"}


def _tuning(units: float, plan: LookPlan, seq_tuning: float | None) -> float:
    """Where the always-valid interval is tightest: the units projected to the last look."""
    return float(seq_tuning or (units * plan.planned / plan.used if plan.planned else max(units, 1.0)))


# --- any table --------------------------------------------------------------------------------------

def analyze_table(data, *, arm: str = "arm", metrics=None, unit: str | None = None, control: str | None = None,
                  covariate: str | None = None, cuped=None, alpha: float = 0.05, alternative: str = "two-sided",
                  weights: dict[str, float] | None = None, con=None, experiment_id: str = "table",
                  seed: int = 0, srm_threshold: float = 0.001, prior=None, seq_tuning: float | None = None,
                  looks: tuple[int, int] | None = None,
                  _no_nulls: frozenset[str] = frozenset(), _arm_labels: list[str] | None = None) -> ExperimentResult:
    """Analyse a pandas DataFrame, an Ibis table or a store table name.

    ``metrics``: column names (a mean, or a proportion when the column is 0/1 or boolean) or
    :class:`Metric` objects (``Metric("sqls_per_call", "sql", "calls")`` is a ratio). Without
    ``unit`` each row is a unit; with ``unit`` (e.g. ``"rep_id"``) rows are first summed per
    unit in the backend and each unit must belong to one arm (contaminated units are
    excluded and counted). ``covariate`` enables CUPED, for the metrics named in ``cuped``
    (default: every metric; only their covariate moments are computed). With ``unit`` the units are treated
    as clusters (small-sample t with Bell–McCaffrey degrees of freedom).

    ``looks=(look, planned)``: this analysis is look ``look`` of ``planned`` equally spaced
    looks. With ``unit`` (clusters enrolled at the start, e.g. reps) the decision uses the
    Lan–DeMets O'Brien–Fleming boundary of that look; without it (rows = units that accrue)
    the always-valid interval, tightest at ``seq_tuning`` units (default: the units projected
    to the last look, ``units * planned / look``). Without ``looks``: one final look.

    >>> df = pd.DataFrame({"arm": ["A", "B"] * 50, "y": [0, 1, 1, 1] * 25})
    >>> analyze_table(df, metrics=["y"]).effects[["arm", "effect"]].values.tolist()
    [['B', 0.5]]
    """
    from leadlab.store import as_table

    kw = dict(arm=arm, metrics=metrics, unit=unit, control=control, covariate=covariate, cuped=cuped, alpha=alpha,
              alternative=alternative, weights=weights, con=con, experiment_id=experiment_id, seed=seed,
              srm_threshold=srm_threshold, prior=prior, seq_tuning=seq_tuning, looks=looks)
    if isinstance(data, pd.DataFrame):
        with registered(project(data, arm, unit, metrics, covariate), arm) as (t, no_nulls, labels):
            return analyze_table(t, **kw, _no_nulls=no_nulls, _arm_labels=labels)
    t = as_table(data, con)
    if arm not in t.columns:
        raise ConfigError(_("arm column {column} not found (parameter arm); available columns: {available}",
                            column=repr(arm), available=", ".join(t.columns)))
    ms, named = V.table_metrics(t, metrics)
    cols = sorted({c for m in ms for c in (m.num, m.denominator) if c} | ({covariate} if covariate else set()))
    V.check_columns(cols, list(t.columns), "analyze")
    notices: list[Notice] = []
    source = {c: t[c].type() for c in cols}
    if unit is not None:
        if unit not in t.columns:
            raise ConfigError(_("unit column {column} not found (parameter unit); available columns: {available}",
                                column=repr(unit), available=", ".join(t.columns)))
        t = unit_aggregate(t, arm, unit, [c for c in cols if c != covariate], {}, covariate=covariate,
                           no_nulls=_no_nulls)
        ms = [V.per_unit_metric(m, named) for m in ms]
    nulls = [c for c in t.columns if c.startswith("_null__")] if unit is not None else []
    # a unit's sum of an integer column is NULL only when all its rows are: its NULL count tells
    known = {c: c_null for c_null in nulls if not source[(c := c_null[len("_null__"):])].is_floating()}
    cuped = cuped_names(cuped, ms) if covariate else None
    tab = collect(t, ms, arm=arm, covariate=("_x" if unit is not None else covariate) if covariate else None,
                  by=MIXED if unit is not None else None, extra={c: t[c] for c in nulls} or None, cuped=cuped,
                  no_nulls=_no_nulls | ({"_rows"} if unit is not None else set()), known_nulls=known)
    mixed = ArmTable(())
    if unit is not None:  # units seen in several arms: counted, then left out
        tab, mixed = tab.get(0, ArmTable(())), tab.get(1, ArmTable(()))
    if _arm_labels is not None:  # a DataFrame's arm column went in as codes
        tab = tab.renamed(_arm_labels)
    null_counts = {c[len("_null__"):]: int(tab.total(c.lstrip("_")) + mixed.total(c.lstrip("_"))) for c in nulls}
    null_counts = {c: n for c, n in null_counts.items() if n > 0}
    if null_counts:
        notices.append(Notice("null_values", n=sum(null_counts.values()), per_column=null_counts, unit=unit))
    contaminated = int(mixed.total("units"))
    if contaminated:
        notices.append(Notice("contaminated_rows", n=contaminated))
    if None in tab.names:
        notices.append(Notice("missing_arm"))
        tab = tab.without(None)
    ms = V.mark_binary(tab, ms)
    control = V.check_arms(sorted(tab.names), control, _("arm column {column}", column=repr(arm)))
    tab = tab.ordered(control)
    plan = V.look_plan(looks, fixed_units=unit is not None)
    eff = effects_table(tab, ms, control=control, unit_is_lead=unit is None, unit_label=unit or "row",
                        alpha=alpha, alternative=alternative, covariate=bool(covariate), prior=prior, seed=seed,
                        cuped_metrics=cuped, seq_tuning=_tuning(tab.total("units"), plan, seq_tuning),
                        clustered=unit is not None,
                        plan=plan)
    notices += missing_notices(tab, ms) + zero_notices(eff)
    arms_df = arms_frame(tab.units(), weights)
    return ExperimentResult(experiment_id, unit or "row", unit or "row", "per_unit" if unit else "per_row",
                            control, ms[0].name, alpha, arms_df, eff,
                            S.srm_test(arms_df.units, arms_df.planned_share), srm_threshold=srm_threshold,
                            contaminated_units=contaminated, covariate=covariate, notices=notices, plan=plan)


# --- store experiments -------------------------------------------------------------------------------

def analyze(data=None, *, experiment_id: str | None = None, con=None, metrics=None, control: str | None = None,
            alpha: float = 0.05, alternative: str = "two-sided", as_of=None, analysis_unit: str | None = None,
            cuped: bool = True, segments: bool | list[str] = True, funnel: bool = True, url: str | None = None,
            seed: int = 0, srm_threshold: float = 0.001, mde_relative: float = 0.10, prior=None,
            seq_tuning: float | None = None, planned_end=None, look_every: str = "day",
            **table_kw) -> ExperimentResult:
    """Analyse an experiment of the store (``experiment_id``; the first one when empty) or,
    when ``data`` is given, a DataFrame / Ibis table (see :func:`analyze_table`).

    Store experiments are analysed per randomization unit (lead or rep). ``analysis_unit``
    ``"lead"``/``"call"`` on a rep experiment gives the NAIVE row-level analysis (each lead or
    call treated as independent), marked as naive in every output.

    ``prior``: ``(a, b)`` = Beta prior per arm for proportions (default (1, 1)); or a dict
    ``{metric: sd}`` = a normal N(0, sd²) prior on that metric's absolute effect (others flat).

    Sequential monitoring: ``planned_end`` (default: the experiment's ``ended_at``) and
    ``look_every`` (``"day"`` or ``"week"``) give the planned looks from ``started_at``; this
    analysis is the look at ``as_of`` (default: the latest activity in the store). Rep tests
    (reps enrolled at the start) use a Lan–DeMets O'Brien–Fleming group-sequential boundary;
    lead tests the always-valid interval, tightest at ``seq_tuning`` units (default: the
    leads projected to the planned end). Without a planned end the analysis is one final look.

    >>> # r = analyze(experiment_id="EXP-LEAD-SCRIPT"); print(r.verdict())
    """
    if data is not None:
        return analyze_table(data, metrics=metrics, control=control, alpha=alpha, alternative=alternative, con=con,
                             seed=seed, srm_threshold=srm_threshold, prior=prior, seq_tuning=seq_tuning, **table_kw)
    from leadlab.store import connect, table

    con = con or connect(url)
    for name in ("experiments", "assignments", "leads", "calls", "reps"):
        table(con, name)
    exp = experiment_row(con, experiment_id)
    eid, unit_type = str(exp["experiment_id"]), str(exp["unit_type"])
    if unit_type not in ("lead", "rep"):
        raise DataError(_("experiment {experiment}: unit_type must be lead or rep, got {value} (table experiments)",
                          experiment=repr(eid), value=repr(unit_type)))
    as_of = V.timestamp(as_of, "as_of")
    ms = resolve_metrics(metrics)
    primary = str(exp.get("primary_metric") or "sql_rate")
    if primary not in [m.name for m in ms]:
        primary = ms[0].name
    u, per_unit, started = store_units(con, exp, as_of)
    u = u.cache()  # one evaluation (a temporary table) for the grouped query and every segment query
    checks = assignment_checks(per_unit)
    if checks["units"] == 0:
        raise DataError(_("experiment {experiment} has no rows in table assignments", experiment=repr(eid)))
    notices: list[Notice] = []
    if checks["contaminated"]:
        notices.append(Notice("contaminated", n=checks["contaminated"], unit=unit_type))
    if checks["duplicate_rows"]:
        notices.append(Notice("duplicate_rows", n=checks["duplicate_rows"], unit=unit_type))
    naive = V.naive_request(analysis_unit, unit_type)
    fun_metrics = [Metric(c) for c, _ in FUNNEL_STAGES] if funnel else []
    all_m = ms + [m for m in fun_metrics if m.name not in {x.name for x in ms}]
    tab = collect(u, all_m, arm="arm", covariate="x" if cuped else None,
                  extra_ratios=funnel_ratios() if funnel else [], extra={"_known": u.known},
                  cuped=REP_CUPED_METRICS if unit_type == "rep" else None)
    ctrl = V.store_control(exp, tab.names, control)
    tab = tab.ordered(ctrl)
    unknown = int(tab.total("units") - tab.total("known"))
    if unknown:
        notices.append(Notice("unknown_units", n=unknown, unit=unit_type))
    cov_name = ("lead_prior_score" if unit_type == "lead" else "rep_pre_sql_rate") if cuped else None
    cov_missing = int(tab.total("x_missing")) if cuped else 0
    if cov_missing:
        notices.append(Notice("covariate_missing", n=cov_missing, unit=unit_type, covariate=cov_name))
    now = as_of if as_of is not None else data_end(con)
    planned = V.timestamp(planned_end, "planned_end") if planned_end not in (None, "") else exp.get("ended_at")
    plan = (LookPlan(None, 1, look_every, unit_type == "rep") if naive else
            plan_looks(started, planned, now, every=look_every, fixed_units=unit_type == "rep"))
    eff = effects_table(tab, ms, control=ctrl, unit_is_lead=unit_type == "lead", unit_label="naive" if naive else unit_type,
                        alpha=alpha, alternative=alternative, covariate=cuped, naive=naive, primary=primary,
                        prior=prior, seed=seed, cuped_metrics=REP_CUPED_METRICS if unit_type == "rep" else None,
                        seq_tuning=_tuning(tab.total("units"), plan, seq_tuning), clustered=unit_type == "rep",
                        plan=plan)
    if naive:
        notices.insert(0, Notice("naive", unit=unit_type))
        if primary not in set(eff.metric) and len(eff):
            primary = eff.metric.iloc[0]
    notices += missing_notices(tab, ms)
    counts = tab.units()
    if unit_type == "rep" and min(counts.values()) < MIN_REPS_PER_ARM:
        notices.append(Notice("few_reps", n=int(min(counts.values())), needed=MIN_REPS_PER_ARM))
    arms_df = arms_frame(counts, None)
    if naive:
        arms_df["leads"] = [tab.get(a).moments["sql_rate"].sd if "sql_rate" in tab.get(a).moments else math.nan
                            for a in arms_df.arm]
    res = ExperimentResult(
        eid, unit_type, "naive" if naive else unit_type, f"per_{unit_type}", ctrl, primary, alpha, arms_df, eff,
        S.srm_test(arms_df.units, arms_df.planned_share), srm_threshold=srm_threshold, naive=naive,
        contaminated_units=checks["contaminated"], duplicate_rows=checks["duplicate_rows"], unknown_units=unknown,
        covariate=cov_name, covariate_missing=cov_missing, notices=notices, name=str(exp.get("name") or ""),
        mde_relative=mde_relative, plan=plan, design=design_context(con, unit_type, tab, started, now, ms),
    )
    if funnel:
        res.funnel = funnel_steps(tab, ctrl, unit_is_lead=unit_type == "lead" and not naive, alpha=alpha)
    if segments and not naive:
        dims = segments if isinstance(segments, list) else DEFAULT_DIMENSIONS[unit_type]
        m = next((m for m in ms if m.name == primary), ms[0])
        res.segments = segment_effects(u, m, dims, ctrl, unit_is_lead=unit_type == "lead", alpha=alpha)
    res.notices += zero_notices(eff)
    return res


__all__ = ["analyze", "analyze_table", "effects_table", "from_counts", "from_stats", "STORE_METRICS"]
