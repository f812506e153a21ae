"""Orchestration: queries → sufficient statistics → statistics → result objects.

Entry points:

* :func:`analyze` — a store experiment (``experiment_id``), a pandas DataFrame or an Ibis
  table (per unit or per row with a ``unit`` column);
* :func:`from_counts` — plain summary counts per arm.

>>> r = from_counts([("A", 1000, 80), ("B", 1000, 95)])
>>> float(round(r.effects.effect.iloc[0], 3))
0.015
"""

from __future__ import annotations

import contextlib
import itertools
import math
import warnings as _warnings

import numpy as np
import pandas as pd

from leadlab.errors import ConfigError, DataError
from leadlab.experiments import stats as S
from leadlab.experiments.metrics import FUNNEL_STAGES, STORE_METRICS, Metric, resolve_metrics
from leadlab.experiments.queries import (
    assignment_checks, data_end, experiment_row, fill_moments, funnel_ratios, lead_units, moments, rep_units, unit_aggregate,
)
from leadlab.experiments.decision import decide
from leadlab.experiments.results import EFFECT_COLUMNS, ExperimentResult
from leadlab.experiments.sequential import LookPlan, plan_looks


# --- the core: moments per arm → effects ---------------------------------------------------------

#: Below this many reps in an arm, a rep experiment's result carries a warning.
MIN_REPS_PER_ARM = 10
#: Arm label of units seen in several arms (excluded, counted).
CONTAMINATED = "__several_arms__"
#: Fewer units than this in the two arms together: no CUPED (theta would be overfitted).
MIN_CUPED_UNITS = 16
#: Metrics the rep's pre-period SQL rate can predict (CUPED in rep experiments).
REP_CUPED_METRICS = {"sql_rate", "opportunity_rate", "win_rate", "revenue_per_lead", "sqls_per_call"}


def _check_arms(arms: list[str], control: str | None, where: str) -> str:
    if len(arms) < 2:
        raise DataError(f"{where}: only one arm ({', '.join(arms) or 'none'}) has units; an experiment needs a control and at least one treatment arm")
    if control is None:
        return arms[0]
    if control not in arms:
        raise ConfigError(f"unknown control arm {control!r} (parameter control); arms present: {', '.join(arms)}")
    return control


def _effect_row(metric: Metric, arm: str, control: str, cm, tm, *, kind: str, unit_label: str, naive: bool,
                alpha: float, alternative: str, cuped: bool, prior, seed: int, seq_tuning: float = 5000.0,
                clustered: bool = False) -> dict:
    notes: list[str] = []
    used_cuped = False
    if cuped and kind == "proportion" and min(cm.sy, cm.n - cm.sy, tm.sy, tm.n - tm.sy) < S.SMALL_CELL:
        notes.append("CUPED skipped: small counts call for an exact test")
        cuped = False
    if cuped and (cm.sxx > 0 or tm.sxx > 0) and cm.n + tm.n < MIN_CUPED_UNITS:
        notes.append(f"CUPED skipped: {cm.n + tm.n:.0f} units are too few to estimate the adjustment")
        cuped = False
    if cuped and (cm.sxx > 0 or tm.sxx > 0):
        eff = S.unit_effect(cm, tm, cuped=True, small_sample=clustered, alpha=alpha, alternative=alternative)
        used_cuped = True
    elif kind == "proportion":
        eff = S.two_proportions(cm.n, cm.sy, tm.n, tm.sy, alpha=alpha, alternative=alternative)
    elif clustered:
        eff = S.unit_effect(cm, tm, small_sample=True, alpha=alpha, alternative=alternative)
    else:
        eff = S.compare(S.ratio_estimate(cm), S.ratio_estimate(tm), alpha=alpha, alternative=alternative, welch_df=True)
    vr = eff.variance_reduction if used_cuped else math.nan
    notes += eff.notes
    hib = metric.higher_is_better
    if kind == "proportion" and not used_cuped and (prior is None or isinstance(prior, tuple)):
        b = S.beta_binomial(cm.n, cm.sy, tm.n, tm.sy, prior=prior or (1.0, 1.0), alpha=alpha, seed=seed,
                            higher_is_better=hib)
    else:
        prior_sd = prior.get(metric.name) if isinstance(prior, dict) else None
        b = S.normal_posterior(eff.effect, eff.se, prior_sd=prior_sd, alpha=alpha, higher_is_better=hib)
    n_all = cm.n + tm.n
    slo, shi = S.confidence_sequence(eff.effect, eff.se, n_all, alpha=alpha, tuning=seq_tuning)
    p_av = S.always_valid_p(eff.effect, eff.se, n_all, alpha=alpha, tuning=seq_tuning)
    ni, ni_p = (math.nan, math.nan)
    status = ""
    if cm.sy == 0 and tm.sy == 0:
        notes.append(f"{metric.name}: zero in every arm (no successes): no evidence either way")
    if metric.guardrail:
        ni, ni_p = S.non_inferiority(eff, metric.margin, alpha=alpha, higher_is_better=hib)
        harmful = (eff.ci_low > 0) if not hib else (eff.ci_high < 0)
        if cm.sy == 0 and tm.sy == 0:
            status = "ok"
            ni = True
        else:
            status = "failed" if harmful else ("ok" if ni else "unclear")
    return dict(
        metric=metric.name, label=metric.title, arm=arm, control=control, kind=kind, analysis_unit=unit_label,
        naive=naive, units=tm.n, control_units=cm.n, control_value=eff.control_value, value=eff.value,
        effect=eff.effect, ci_low=eff.ci_low, ci_high=eff.ci_high, rel_effect=eff.rel_effect,
        rel_ci_low=eff.rel_ci_low, rel_ci_high=eff.rel_ci_high, p_value=eff.p_value, rel_p_value=eff.rel_p_value,
        chance_to_beat=b.chance_to_beat, expected_loss=b.expected_loss, cred_low=b.cred_low, cred_high=b.cred_high,
        seq_cs_low=slo, seq_cs_high=shi, p_always_valid=p_av, cuped=used_cuped, variance_reduction=vr,
        guardrail=metric.guardrail,
        margin=metric.margin if metric.guardrail else math.nan, noninferior=bool(ni) if metric.guardrail else True,
        ni_p_value=ni_p, guardrail_status=status, higher_is_better=hib, percent=metric.percent, method=eff.method,
        se=eff.se, df=eff.df, notes="; ".join(notes),
    )


def _naive_moments(row: pd.Series, m: Metric):
    """Row-grain moments (each lead/call treated as independent) from unit sums."""
    n = float(row[f"{m.name}__sd"]) if f"{m.name}__sd" in row.index else float(row[f"{m.name}__n"])
    sy = float(row[f"{m.name}__sy"]) * m.scale
    syy = float(row[f"{m.name}__nsq"]) * m.scale ** 2
    return S.ArmMoments(n, sy, syy, n, n, sy)


def effects_table(mom: pd.DataFrame, metrics: list[Metric], *, arm_col: str, control: str, unit_is_lead: bool,
                  unit_label: str, alpha: float, alternative: str, covariate: str | None, naive: bool = False,
                  primary: str | None = None, prior=None, seed: int = 0,
                  cuped_metrics: set[str] | None = None, seq_tuning: float = 5000.0, clustered: bool = False,
                  plan: LookPlan | None = None) -> pd.DataFrame:
    """Every (metric, treatment arm) comparison from a moments table (one row per arm),
    decided by :func:`leadlab.experiments.decision.decide` (Holm, the look's level).
    ``clustered``: units are clusters (reps), small-sample t; ``plan``: the look plan
    (default: a single look)."""
    rows = []
    by_arm = {str(r[arm_col]): r for _, r in mom.iterrows()}
    for m in metrics:
        kind = m.kind(unit_is_lead)
        for arm, row in by_arm.items():
            if arm == control:
                continue
            crow = by_arm[control]
            if naive:
                if m.naive_sq is None or f"{m.name}__nsq" not in row.index:
                    continue
                cm, tm = _naive_moments(crow, m), _naive_moments(row, m)
                k = "proportion" if m.binary else "mean"
            else:
                cm, tm = fill_moments(crow, m.name, m.scale), fill_moments(row, m.name, m.scale)
                k = kind
            if cm.n == 0 or tm.n == 0:
                zero = control if cm.n == 0 else arm
                raise DataError(f"arm {zero!r} has zero units with a value of metric {m.name!r}; cannot compare")
            nan_units = int(row.get(f"{m.name}__nan", 0) or 0) + int(crow.get(f"{m.name}__nan", 0) or 0)
            r = _effect_row(m, arm, control, cm, tm, kind=k, unit_label=unit_label, naive=naive, alpha=alpha,
                            alternative=alternative, prior=prior, seed=seed, seq_tuning=seq_tuning,
                            cuped=bool(covariate) and not naive and (cuped_metrics is None or m.name in cuped_metrics),
                            clustered=clustered and not naive)
            r["nan_units"] = nan_units
            rows.append(r)
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    df = decide(df, alpha=alpha, plan=plan or LookPlan(None, 1), primary=primary or metrics[0].name)
    cols = EFFECT_COLUMNS + ["p_decision", "se", "df"]
    return df[cols]


def _arms_table(counts: dict[str, float], weights: dict[str, float] | None) -> pd.DataFrame:
    arms = list(counts)
    w = np.array([weights.get(a, 1.0) if weights else 1.0 for a in arms], float)
    n = np.array([counts[a] for a in arms], float)
    return pd.DataFrame({"arm": arms, "units": n, "share": n / n.sum() if n.sum() else n,
                         "planned_share": w / w.sum()})


# --- plain counts ---------------------------------------------------------------------------------

def from_counts(arms, *, control: str | None = None, alpha: float = 0.05, alternative: str = "two-sided",
                weights: dict[str, float] | None = None, metric_name: str = "conversion_rate",
                prior=(1.0, 1.0), seed: int = 0, srm_threshold: float = 0.001) -> ExperimentResult:
    """Analyse a proportion from per-arm ``(name, units, successes)``; the first arm is the
    control unless ``control`` names another.

    >>> r = from_counts([("A", 1000, 80), ("B", 1000, 95)], alpha=0.05)
    >>> float(round(r.effects.p_value.iloc[0], 4)), r.decision
    (0.2351, 'inconclusive')
    """
    parsed = []
    for i, a in enumerate(arms):
        try:
            name, units, succ = a
        except (TypeError, ValueError):
            raise ConfigError(f"arm #{i + 1}: expected (name, units, successes), got {a!r}") from None
        for what, v in (("units", units), ("successes", succ)):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                raise DataError(f"arm {name!r}: {what} is missing (NaN)")
            if v < 0:
                raise DataError(f"arm {name!r}: {what} must be >= 0, got {v}")
        if succ > units:
            raise DataError(f"arm {name!r}: successes ({succ}) exceed units ({units})")
        if units == 0:
            raise DataError(f"arm {name!r} has zero units")
        parsed.append((str(name), float(units), float(succ)))
    names = [p[0] for p in parsed]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"arm name(s) given twice: {', '.join(dup)}")
    control = _check_arms(names, control, "from-counts")
    order = [control] + [n for n in names if n != control]
    mom = pd.DataFrame([{"arm": n, f"{metric_name}__n": u, f"{metric_name}__sy": s, f"{metric_name}__syy": s}
                        for n, u, s in sorted(parsed, key=lambda p: order.index(p[0]))])
    metric = Metric(metric_name, binary=True, label=metric_name.replace("_", " "), percent=True)
    eff = effects_table(mom, [metric], arm_col="arm", control=control, unit_is_lead=True, unit_label="unit",
                        alpha=alpha, alternative=alternative, covariate=None, prior=prior, seed=seed)
    counts = {n: u for n, u, _ in parsed}
    arms_df = _arms_table(counts, weights)
    srm = S.srm_test(arms_df.units, arms_df.planned_share)
    res = ExperimentResult("from-counts", "unit", "unit", "summary counts", control, metric_name, alpha, arms_df, eff,
                           srm, srm_threshold=srm_threshold)
    if (mom[f"{metric_name}__sy"] == 0).all():
        res.warnings.append("no successes in any arm: the data cannot tell the arms apart")
    return res


def from_stats(arms, *, control: str | None = None, alpha: float = 0.05, alternative: str = "two-sided",
               weights: dict[str, float] | None = None, metric_name: str = "mean", percent: bool = False,
               srm_threshold: float = 0.001) -> ExperimentResult:
    """Analyse a mean metric from per-arm ``(name, units, mean, sd)`` summary statistics
    (Welch's t, delta-method lift, normal Bayesian view).

    >>> r = from_stats([("A", 500, 120.0, 80.0), ("B", 500, 131.0, 85.0)])
    >>> round(float(r.effects.effect.iloc[0]), 1), r.effects.kind.iloc[0]
    (11.0, 'mean')
    """
    rows, counts = [], {}
    for i, a in enumerate(arms):
        try:
            name, n, mean, sd = a
        except (TypeError, ValueError):
            raise ConfigError(f"arm #{i + 1}: expected (name, units, mean, sd), got {a!r}") from None
        for what, v in (("units", n), ("mean", mean), ("sd", sd)):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                raise DataError(f"arm {name!r}: {what} is missing (NaN)")
        if n < 2:
            raise DataError(f"arm {name!r} has {n} units; a mean needs at least 2")
        if sd < 0:
            raise DataError(f"arm {name!r}: sd must be >= 0, got {sd}")
        m = S.ArmMoments.from_mean(float(n), float(mean), float(sd) ** 2)
        rows.append({"arm": str(name), f"{metric_name}__n": m.n, f"{metric_name}__sy": m.sy,
                     f"{metric_name}__syy": m.syy})
        counts[str(name)] = float(n)
    control = _check_arms(list(counts), control, "from-stats")
    mom = _order(pd.DataFrame(rows), "arm", control)
    metric = Metric(metric_name, percent=percent)
    eff = effects_table(mom, [metric], arm_col="arm", control=control, unit_is_lead=True, unit_label="unit",
                        alpha=alpha, alternative=alternative, covariate=None)
    arms_df = _arms_table(counts, weights)
    return ExperimentResult("from-stats", "unit", "unit", "summary statistics", control, metric_name, alpha, arms_df,
                            eff, S.srm_test(arms_df.units, arms_df.planned_share), srm_threshold=srm_threshold)


# --- any table --------------------------------------------------------------------------------------

def analyze_table(data, *, arm: str = "arm", metrics=None, unit: str | None = None, control: str | None = None,
                  covariate: str | None = None, alpha: float = 0.05, alternative: str = "two-sided",
                  weights: dict[str, float] | None = None, con=None, experiment_id: str = "table",
                  seed: int = 0, srm_threshold: float = 0.001, prior=None, seq_tuning: float | None = None,
                  looks: tuple[int, int] | None = None,
                  _no_nulls: frozenset[str] = frozenset()) -> ExperimentResult:
    """Analyse a pandas DataFrame, an Ibis table or a store table name.

    ``metrics``: column names (a mean, or a proportion when the column is 0/1 or boolean) or
    :class:`Metric` objects (``Metric("sqls_per_call", "sql", "calls")`` is a ratio). Without
    ``unit`` each row is a unit; with ``unit`` (e.g. ``"rep_id"``) rows are first summed per
    unit in the backend and each unit must belong to one arm (contaminated units are
    excluded and counted). ``covariate`` enables CUPED. With ``unit`` the units are treated
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

    if isinstance(data, pd.DataFrame):
        with _arrow_registered(_project(data, arm, unit, metrics, covariate)) as (t, no_nulls):
            return analyze_table(t, arm=arm, metrics=metrics, unit=unit, control=control, covariate=covariate,
                                 alpha=alpha, alternative=alternative, weights=weights, con=con,
                                 experiment_id=experiment_id, seed=seed, srm_threshold=srm_threshold, prior=prior,
                                 seq_tuning=seq_tuning, looks=looks, _no_nulls=no_nulls)
    t = as_table(data, con)
    if arm not in t.columns:
        raise ConfigError(f"arm column {arm!r} not found (parameter arm); available columns: {', '.join(t.columns)}")
    if not metrics:
        raise ConfigError("no metrics given (parameter metrics): name at least one column")
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",") if m.strip()]
    ms: list[Metric] = []
    named: set[str] = set()  # metrics given by column name (per row); Metric objects are per unit
    for m in metrics:
        if isinstance(m, Metric):
            ms.append(m)
        else:
            named.add(m)
            if m not in t.columns:
                raise ConfigError(f"metric column {m!r} not found (parameter metrics); available columns: {', '.join(t.columns)}")
            typ = t[m].type()
            binary = typ.is_boolean()
            ms.append(Metric(m, binary=binary, percent=binary, naive_sq=m))
    cols = sorted({c for m in ms for c in (m.num, m.denominator) if c} | ({covariate} if covariate else set()))
    missing = [c for c in cols if c not in t.columns]
    if missing:
        raise ConfigError(f"column(s) {', '.join(repr(c) for c in missing)} not found; available columns: {', '.join(t.columns)}")
    warnings: list[str] = []
    grain = "one row per unit"
    contaminated = 0
    unit_is_lead = True
    if unit is not None:
        if unit not in t.columns:
            raise ConfigError(f"unit column {unit!r} not found (parameter unit); available columns: {', '.join(t.columns)}")
        g = unit_aggregate(t, arm, unit, [c for c in cols if c != covariate], {}, covariate=covariate,
                           no_nulls=_no_nulls)
        # units seen in several arms form their own group: counted in the same query, then dropped
        g = g.mutate(**{arm: (g._arm != g._arm_max).ifelse(CONTAMINATED, g._arm)})
        grain = f"rows summed per {unit}"
        # a metric named by column becomes a ratio over rows (e.g. connected per call); a Metric
        # without denominator is the mean per unit of the unit's sum (e.g. SQLs per lead)
        ms = [Metric(m.name, m.num, m.denominator or ("_rows" if m.name in named else None),
                     binary=m.binary and m.name in named, label=m.label,
                     higher_is_better=m.higher_is_better, margin=m.margin, scale=m.scale, percent=m.percent,
                     naive_sq=None) for m in ms]
        unit_is_lead = False
        t = g
        if covariate:
            covariate = "_x"
    # booleans / 0-1 columns: treat as proportions
    nulls = [c for c in t.columns if c.startswith("_null__")] if unit is not None else []
    mom = moments(t, ms, by=[arm], covariate=covariate, extra={c: t[c] for c in nulls} or None)
    mom[arm] = mom[arm].astype(str)
    null_counts = {c[len("_null__"):]: int(mom[c].sum()) for c in nulls if mom[c].sum() > 0}
    if null_counts:
        where = ", ".join(f"{c}: {n}" for c, n in null_counts.items())
        warnings.append(f"{sum(null_counts.values())} missing (NULL) value(s) in {', '.join(null_counts)} were left out "
                        f"of their {unit}'s sums ({where})")
    if (mom[arm] == CONTAMINATED).any():
        contaminated = int(mom.loc[mom[arm] == CONTAMINATED, "_units"].sum())
        warnings.append(f"{contaminated} unit(s) appear in more than one arm (contamination); they are excluded")
        mom = mom[mom[arm] != CONTAMINATED]
    if mom[arm].isna().any() or (mom[arm] == "None").any():
        warnings.append("units with a missing arm were left out")
        mom = mom[mom[arm].notna() & (mom[arm] != "None")]
    ms = _mark_binary(mom, ms)
    names = sorted(mom[arm].tolist())
    control = _check_arms(names, control, f"arm column {arm!r}")
    mom = _order(mom, arm, control)
    plan = LookPlan(None, 1, fixed_units=unit is not None)
    if looks is not None:
        try:
            used, planned = (int(v) for v in looks)
        except (TypeError, ValueError):
            raise ConfigError(f"looks must be (this look, planned looks), got {looks!r} (parameter looks)") from None
        if not 1 <= used <= planned:
            raise ConfigError(f"looks: this look must be between 1 and the planned looks, got {looks!r} (parameter looks)")
        plan = LookPlan(planned, used, "look", fixed_units=unit is not None)
    n_units = float(mom["_units"].sum())
    tuning = float(seq_tuning or (n_units * plan.planned / plan.used if plan.planned else max(n_units, 1.0)))
    eff = effects_table(mom, ms, arm_col=arm, control=control, unit_is_lead=unit_is_lead,
                        unit_label=unit or "row", alpha=alpha, alternative=alternative, covariate=covariate,
                        prior=prior, seed=seed, seq_tuning=tuning, clustered=unit is not None, plan=plan)
    _nan_warnings(mom, ms, warnings)
    counts = dict(zip(mom[arm], mom["_units"].astype(float)))
    arms_df = _arms_table(counts, weights)
    res = ExperimentResult(experiment_id, unit or "row", unit or "row", grain, control, ms[0].name, alpha, arms_df,
                           eff, S.srm_test(arms_df.units, arms_df.planned_share), srm_threshold=srm_threshold,
                           contaminated_units=contaminated, covariate=covariate, warnings=warnings, plan=plan,
                           unit_noun=unit or "unit")
    _zero_warnings(eff, res)
    return res


def _project(df: pd.DataFrame, arm: str, unit: str | None, metrics, covariate: str | None) -> pd.DataFrame:
    """Only the columns the analysis reads (no copy: pandas shares the column arrays), so
    unused columns are neither converted nor registered. When a named column is missing the
    frame is returned whole, so the error lists every available column."""
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",") if m.strip()]
    need = [arm, unit, covariate]
    for m in metrics or []:
        need += [m.num, m.denominator] if isinstance(m, Metric) else [m]
    keep = list(dict.fromkeys(c for c in need if c))
    if not keep or not all(isinstance(c, str) and c in df.columns for c in keep) or df.columns.duplicated().any():
        return df
    return df[keep] if len(keep) < df.shape[1] else df


#: Rows per Arrow record batch: DuckDB scans an Arrow table one batch per thread at a time,
#: so a single 10 M-row chunk would be read by one thread.
ARROW_BATCH_ROWS = 1 << 17


def _column_to_arrow(s: pd.Series):
    """One column as Arrow without copying where possible: Arrow-backed columns (pandas 3
    ``str``) hand over their chunks; NaN-free numpy numbers are wrapped; anything else
    goes through pyarrow's pandas conversion (NaN → NULL, as ``Table.from_pandas``)."""
    import pyarrow as pa

    arr = s.array
    if hasattr(arr, "__arrow_array__") and not isinstance(s.dtype, pd.CategoricalDtype):
        try:
            out = arr.__arrow_array__()
            if isinstance(out, (pa.Array, pa.ChunkedArray)):
                return out
        except (TypeError, ValueError, NotImplementedError):
            pass
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iu":
        return pa.array(s.to_numpy(), from_pandas=False)
    if isinstance(s.dtype, np.dtype) and s.dtype.kind == "f":
        v = s.to_numpy()
        return pa.array(v, from_pandas=bool(np.isnan(v).any()))
    return pa.Array.from_pandas(s)


def _frame_to_arrow(df: pd.DataFrame):
    """The DataFrame as an Arrow table split into record batches (zero-copy slices)."""
    import pyarrow as pa

    if df.columns.duplicated().any() or not all(isinstance(c, str) for c in df.columns):
        tbl = pa.Table.from_pandas(df, preserve_index=False)
    else:
        cols = {}
        for c in df.columns:
            a = _column_to_arrow(df[c])
            cols[c] = a if isinstance(a, pa.ChunkedArray) else pa.chunked_array([a])
        tbl = pa.table(cols)
    if tbl.num_rows <= ARROW_BATCH_ROWS:
        return tbl
    return pa.Table.from_batches(tbl.to_batches(max_chunksize=ARROW_BATCH_ROWS), schema=tbl.schema)


@contextlib.contextmanager
def _arrow_registered(df: pd.DataFrame):
    """(the DataFrame as an Ibis table, the names of its columns without NULLs), registered
    in the in-memory DuckDB for the duration of the analysis (once; unregistered afterwards).

    Arrow rather than DuckDB's pandas scan: measured on 10 M rows (see docs/experiments.md,
    Speed), a batched Arrow scan runs in parallel and beats the pandas scan for both numpy
    numbers and pandas 3's Arrow-backed strings, and the conversion is zero-copy."""
    from leadlab.store import memory_backend

    backend = memory_backend()
    name = f"_ab_frame_{id(df):x}_{next(_frame_ids)}"
    tbl = _frame_to_arrow(df)
    backend.con.register(name, tbl)
    # Arrow knows each column's NULL count: columns without any need no counting in the query
    no_nulls = frozenset(c for c, col in zip(tbl.column_names, tbl.columns) if col.null_count == 0)
    try:
        yield backend.table(name), no_nulls
    finally:
        backend.con.unregister(name)


_frame_ids = itertools.count()


def _mark_binary(mom: pd.DataFrame, ms: list[Metric]) -> list[Metric]:
    """Numeric 0/1 columns analysed per row are proportions (syy == sy for every arm)."""
    out = []
    for m in ms:
        if not m.binary and m.denominator is None and f"{m.name}__syy" in mom:
            if np.allclose(mom[f"{m.name}__syy"], mom[f"{m.name}__sy"]) and (mom[f"{m.name}__sy"] <= mom[f"{m.name}__n"]).all():
                m = Metric(m.name, m.numerator, None, binary=True, label=m.label, higher_is_better=m.higher_is_better,
                           margin=m.margin, scale=m.scale, percent=True, naive_sq=m.naive_sq)
        out.append(m)
    return out


def _order(mom: pd.DataFrame, arm: str, control: str) -> pd.DataFrame:
    key = mom[arm].map(lambda a: (a != control, a))
    return mom.assign(_k=key).sort_values("_k").drop(columns="_k").reset_index(drop=True)


def _nan_warnings(mom: pd.DataFrame, ms: list[Metric], warnings: list[str]) -> None:
    for m in ms:
        col = f"{m.name}__nan"
        if col in mom and mom[col].sum() > 0:
            per = ", ".join(f"{a}: {int(v)}" for a, v in zip(mom.iloc[:, 0], mom[col]))
            warnings.append(f"{int(mom[col].sum())} unit(s) with a missing (NULL/NaN) {m.name} were left out of that metric ({per})")


def _zero_warnings(eff: pd.DataFrame, res: ExperimentResult) -> None:
    for note in sorted(set(n for n in eff.notes if n)):
        for part in note.split("; "):
            if "zero in every arm" in part and part not in res.warnings:
                res.warnings.append(part)


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
    eid = str(exp["experiment_id"])
    unit_type = str(exp["unit_type"])
    if unit_type not in ("lead", "rep"):
        raise DataError(f"experiment {eid!r}: unit_type must be lead or rep, got {unit_type!r} (table experiments)")
    if as_of is not None and as_of != "":
        as_of = _timestamp(as_of, "as_of")
    else:
        as_of = None
    ms = resolve_metrics(metrics)
    primary = str(exp.get("primary_metric") or "sql_rate")
    if primary not in [m.name for m in ms]:
        primary = ms[0].name
    started = exp.get("started_at")
    if unit_type == "lead":
        u, per_unit = lead_units(con, eid, as_of)
        grain, noun = "leads (calls summed per lead)", "lead"
        cov = "x" if cuped else None
        cov_name = "leads.prior_score"
    else:
        if started is None or pd.isna(started):
            a = con.table("assignments")
            started = a.filter(a.experiment_id == eid).assigned_at.min().to_pyarrow().as_py()
        u, per_unit = rep_units(con, eid, started, as_of)
        grain, noun = "calls and owned leads summed per rep", "rep"
        cov = "x" if cuped else None
        cov_name = "the rep's SQL rate in the 90 days before the start"
    checks = assignment_checks(per_unit)
    if checks["units"] == 0:
        raise DataError(f"experiment {eid!r} has no rows in table assignments")
    warnings: list[str] = []
    if checks["contaminated"]:
        warnings.append(f"{checks['contaminated']} {noun}(s) are assigned to more than one arm (contamination); "
                        "they are excluded from the analysis")
    if checks["duplicate_rows"]:
        warnings.append(f"{checks['duplicate_rows']} duplicated assignment row(s) (same {noun}, same arm) were counted once")
    naive = False
    unit_label = unit_type
    if analysis_unit not in (None, "", "auto", unit_type):
        if analysis_unit not in ("lead", "call", "naive"):
            raise ConfigError(f"analysis_unit must be auto, lead, call or naive, got {analysis_unit!r}")
        if unit_type == "rep" or analysis_unit in ("call", "naive"):
            naive = True
            unit_label = "lead or call (naive)"
    extra_ratios = funnel_ratios() if funnel else []
    fun_metrics = [Metric(c) for c, _ in FUNNEL_STAGES] if funnel else []
    all_m = ms + [m for m in fun_metrics if m.name not in {x.name for x in ms}]
    mom = moments(u, all_m, by=["arm"], covariate=cov, extra_ratios=extra_ratios,
                  extra={"_known": u.known})
    mom["arm"] = mom["arm"].astype(str)
    arms = sorted(mom.arm)
    declared = str(exp["control_arm"]) if exp.get("control_arm") else None
    ctrl = control or declared
    if ctrl is not None and ctrl not in arms:
        if control is None and len(arms) >= 1:
            raise DataError(f"experiment {eid!r}: control arm {ctrl!r} (table experiments, column control_arm) has no "
                            f"units in assignments; arms present: {', '.join(arms)}")
    ctrl = _check_arms(arms, ctrl, f"experiment {eid!r}")
    mom = _order(mom, "arm", ctrl)
    unknown = int(mom["_units"].sum() - mom["_known"].sum())
    if unknown:
        warnings.append(f"{unknown} assigned {noun}(s) are not in table {'leads' if noun == 'lead' else 'reps'}; "
                        "they count as units with no activity")
    cov_missing = 0
    if cov and "_x_missing" in mom:
        cov_missing = int(mom["_x_missing"].sum())
        if cov_missing:
            warnings.append(f"{cov_missing} {noun}(s) have no pre-period covariate ({cov_name}); CUPED uses 0 for them")
    unit_is_lead = unit_type == "lead" and not naive
    now = as_of if as_of is not None else data_end(con)
    if planned_end is None or planned_end == "":
        planned_end = exp.get("ended_at")
    else:
        planned_end = _timestamp(planned_end, "planned_end")
    plan = plan_looks(started, planned_end, now, every=look_every, fixed_units=unit_type == "rep")
    if naive:
        plan = LookPlan(None, 1, look_every, unit_type == "rep")
    n_units = float(mom["_units"].sum())
    tuning = float(seq_tuning or (n_units * plan.planned / plan.used if plan.planned else max(n_units, 1.0)))
    eff = effects_table(mom, ms, arm_col="arm", control=ctrl, unit_is_lead=(unit_type == "lead"),
                        unit_label=unit_label, alpha=alpha, alternative=alternative,
                        covariate=cov, naive=naive, primary=primary, prior=prior, seed=seed,
                        cuped_metrics=REP_CUPED_METRICS if unit_type == "rep" else None,
                        seq_tuning=tuning, clustered=unit_type == "rep", plan=plan)
    if naive:
        warnings.insert(0, "NAIVE analysis: each lead (lead metrics) and each call (call metrics) is "
                           f"treated as independent although whole {unit_type}s were randomized; intervals are too narrow")
        if primary not in set(eff.metric):
            primary = eff.metric.iloc[0] if len(eff) else primary
    _nan_warnings(mom, ms, warnings)
    counts = dict(zip(mom.arm, mom["_units"].astype(float)))
    if unit_type == "rep" and min(counts.values()) < MIN_REPS_PER_ARM:
        warnings.append(f"only {int(min(counts.values()))} reps in the smallest arm: per-rep intervals are wide and "
                        f"approximate; a rep-randomized test needs about {MIN_REPS_PER_ARM}+ reps per arm")
    arms_df = _arms_table(counts, None)
    if naive:
        grain_n = {a: float(r["sql_rate__sd"]) if "sql_rate__sd" in r else math.nan for a, r in mom.set_index("arm").iterrows()}
        arms_df["leads"] = arms_df.arm.map(grain_n)
    res = ExperimentResult(
        eid, unit_type, unit_label, grain, ctrl, primary, alpha, arms_df, eff,
        S.srm_test(arms_df.units, arms_df.planned_share), srm_threshold=srm_threshold, naive=naive,
        contaminated_units=checks["contaminated"], duplicate_rows=checks["duplicate_rows"], unknown_units=unknown,
        covariate=cov_name if cov else None, covariate_missing=cov_missing, warnings=warnings,
        name=str(exp.get("name") or ""), unit_noun=noun, mde_relative=mde_relative, plan=plan,
        design=_design_context(con, unit_type, mom, started, now, ms),
    )
    if funnel:
        res.funnel = _funnel(mom, ctrl, unit_is_lead=unit_is_lead, alpha=alpha)
    if segments and not naive:
        dims = segments if isinstance(segments, list) else (["source", "region", "team"] if unit_type == "lead" else ["team"])
        res.segments = _segments(u, [m for m in ms if m.name == primary] or ms[:1], dims, ctrl, unit_type == "lead",
                                 alpha, cov)
    _zero_warnings(eff, res)
    return res


def _timestamp(v, what: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(v)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be a date (YYYY-MM-DD[ HH:MM]), got {v!r} (parameter {what})") from None


def _design_context(con, unit_type: str, mom: pd.DataFrame, started, now, ms: list[Metric]) -> dict:
    """What the design functions need to say how many more units (leads) or days (reps) the
    test would need: the experiment's units, its daily lead volume and, for rep tests, the ICC
    of SQL within reps from the store (as ``leadlab ab design --unit rep``)."""
    from leadlab.experiments import design as D
    from leadlab.errors import LeadlabError

    days = max((pd.Timestamp(now) - pd.Timestamp(started)) / pd.Timedelta(days=1), 1.0) if (
        started is not None and now is not None and not pd.isna(started)) else math.nan
    per_lead = [f"{m.name}__sd" for m in ms if m.denominator == "n_leads"] + ["n_leads__sy"]
    cols = [c for c in per_lead if c in mom]
    leads = float(mom[cols[0]].sum()) if cols else math.nan
    ctx = {"unit_type": unit_type, "units": float(mom["_units"].sum()), "days": days,
           "daily_leads": leads / days if days == days else math.nan, "icc": math.nan}
    if unit_type == "rep":
        try:
            ctx["icc"] = D.history(con, as_of=now).icc
        except LeadlabError:
            pass
    return ctx


def _funnel(mom: pd.DataFrame, control: str, *, unit_is_lead: bool, alpha: float) -> pd.DataFrame:
    """Per arm and stage: count, share of leads, step conversion and its effect vs control."""
    rows = []
    by = {r.arm: r for _, r in mom.iterrows()}
    crow = by[control]
    for arm, r in by.items():
        for i, (col, label) in enumerate(FUNNEL_STAGES):
            count = float(r[f"{col}__sy"])
            leads = float(r["n_leads__sy"])
            d = dict(arm=arm, stage=label, count=count, rate=count / leads if leads else math.nan)
            if i == 0:
                d.update(step_rate=1.0)
            else:
                name = f"step_{col}"
                tm = fill_moments(r, name)
                d["step_rate"] = tm.sy / tm.sd if tm.sd else math.nan
                if arm != control:
                    cm = fill_moments(crow, name)
                    if cm.sd > 0 and tm.sd > 0:
                        e = (S.compare(S.ratio_estimate(cm), S.ratio_estimate(tm), alpha=alpha, welch_df=False)
                             if unit_is_lead else S.unit_effect(cm, tm, small_sample=True, alpha=alpha))
                        d.update(step_effect=e.effect, step_ci_low=e.ci_low, step_ci_high=e.ci_high, step_p=e.p_value)
            rows.append(d)
    f = pd.DataFrame(rows)
    for c in ("step_effect", "step_ci_low", "step_ci_high", "step_p"):
        if c not in f:
            f[c] = np.nan
    mask = f.step_p.notna()
    f["step_p_holm"] = np.nan
    f.loc[mask, "step_p_holm"] = S.adjust(f.loc[mask, "step_p"], "holm")
    f["diverges"] = f.step_p_holm < alpha
    return f


def _segments(u, ms: list[Metric], dims: list[str], control: str, unit_is_lead: bool, alpha: float,
              cov: str | None) -> pd.DataFrame:
    """The primary metric's effect per segment value, Holm and BH across all segment tests."""
    parts = []
    m = ms[0]
    for dim in dims:
        if dim not in u.columns:
            continue
        mom = moments(u, [m], by=["arm", dim], covariate=None)
        mom["arm"] = mom["arm"].astype(str)
        for seg, g in mom.groupby(dim):
            arms = set(g.arm)
            if control not in arms or len(arms) < 2:
                continue
            g = _order(g.drop(columns=[dim]), "arm", control)
            if (g[f"{m.name}__n"] < 2).any():
                continue
            try:
                e = effects_table(g, [m], arm_col="arm", control=control, unit_is_lead=unit_is_lead,
                                  unit_label="", alpha=alpha, alternative="two-sided", covariate=None,
                                  clustered=not unit_is_lead)
            except DataError:
                continue
            e = e.assign(dimension=dim, segment=seg)
            parts.append(e[["dimension", "segment", "metric", "arm", "control", "units", "control_units",
                            "control_value", "value", "effect", "ci_low", "ci_high", "rel_effect", "p_value"]])
    if not parts:
        return pd.DataFrame(columns=["dimension", "segment", "metric", "arm", "effect", "ci_low", "ci_high",
                                     "p_value", "p_holm", "p_bh", "significant"])
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", FutureWarning)
        s = pd.concat(parts, ignore_index=True)
    s["p_holm"] = S.adjust(s.p_value, "holm")
    s["p_bh"] = S.adjust(s.p_value, "fdr_bh")
    s["significant"] = s.p_bh < alpha
    return s


__all__ = ["analyze", "analyze_table", "effects_table", "from_counts", "from_stats", "STORE_METRICS"]
