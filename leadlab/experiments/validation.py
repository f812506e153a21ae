"""Checks of the inputs and parameters of an analysis; each mistake is one exception naming
the parameter (or arm) and the rule.

>>> parse_counts([("A", 1000, 80), ("B", 1000, 95)])
[('A', 1000.0, 80.0), ('B', 1000.0, 95.0)]
>>> check_arms(["A", "B"], None, "from-counts")
'A'
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from leadlab.errors import ConfigError, DataError
from leadlab.experiments.metrics import Metric
from leadlab.experiments.sequential import LookPlan
from leadlab.i18n import _

#: Values of ``analysis_unit`` (``auto`` = the randomization unit).
ANALYSIS_UNITS = ("auto", "lead", "call", "naive")


def check_arms(arms: list[str], control: str | None, where: str) -> str:
    """The control arm: ``control`` when given (it must have units), else the first arm."""
    if len(arms) < 2:
        raise DataError(_("{where}: only one arm ({arms}) has units; an experiment needs a control and at least one "
                          "treatment arm", where=where, arms=", ".join(arms) or _("none")))
    if control is None:
        return arms[0]
    if control not in arms:
        raise ConfigError(_("unknown control arm {control} (parameter control); arms present: {arms}",
                            control=repr(control), arms=", ".join(arms)))
    return control


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _unique(names: list[str]) -> None:
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(_("arm names given twice: {names}", names=", ".join(dup)))


def parse_counts(arms) -> list[tuple[str, float, float]]:
    """Per-arm ``(name, units, successes)``, checked (no NaN, no negatives, successes <= units)."""
    parsed = []
    for i, a in enumerate(arms):
        try:
            name, units, succ = a
        except (TypeError, ValueError):
            raise ConfigError(_("arm #{i}: expected (name, units, successes), got {value}", i=i + 1,
                                value=repr(a))) from None
        for what, v in (("units", units), ("successes", succ)):
            if _missing(v):
                raise DataError(_("arm {arm}: {what} is missing (NaN)", arm=repr(name), what=what))
            if v < 0:
                raise DataError(_("arm {arm}: {what} must be >= 0, got {value}", arm=repr(name), what=what, value=v))
        if succ > units:
            raise DataError(_("arm {arm}: successes ({successes}) exceed units ({units})", arm=repr(name),
                              successes=succ, units=units))
        if units == 0:
            raise DataError(_("arm {arm} has zero units", arm=repr(name)))
        parsed.append((str(name), float(units), float(succ)))
    _unique([p[0] for p in parsed])
    return parsed


def parse_stats(arms) -> list[tuple[str, float, float, float]]:
    """Per-arm ``(name, units, mean, sd)``, checked (no NaN, at least 2 units, sd >= 0)."""
    parsed = []
    for i, a in enumerate(arms):
        try:
            name, n, mean, sd = a
        except (TypeError, ValueError):
            raise ConfigError(_("arm #{i}: expected (name, units, mean, sd), got {value}", i=i + 1,
                                value=repr(a))) from None
        for what, v in (("units", n), ("mean", mean), ("sd", sd)):
            if _missing(v):
                raise DataError(_("arm {arm}: {what} is missing (NaN)", arm=repr(name), what=what))
        if n < 2:
            raise DataError(_("arm {arm} has {n} units; a mean needs at least 2", arm=repr(name), n=n))
        if sd < 0:
            raise DataError(_("arm {arm}: sd must be >= 0, got {value}", arm=repr(name), value=sd))
        parsed.append((str(name), float(n), float(mean), float(sd)))
    _unique([p[0] for p in parsed])
    return parsed


def timestamp(v, what: str) -> pd.Timestamp | None:
    """``v`` as a timestamp (None for empty); ConfigError naming parameter ``what``."""
    if v is None or v == "":
        return None
    try:
        return pd.Timestamp(v)
    except (TypeError, ValueError):
        raise ConfigError(_("{what} must be a date (YYYY-MM-DD[ HH:MM]), got {value} (parameter {what})", what=what,
                            value=repr(v))) from None


def look_plan(looks, fixed_units: bool) -> LookPlan:
    """The plan of ``looks=(this look, planned looks)`` (one final look when None)."""
    if looks is None:
        return LookPlan(None, 1, fixed_units=fixed_units)
    try:
        used, planned = (int(v) for v in looks)
    except (TypeError, ValueError):
        raise ConfigError(_("looks must be (this look, planned looks), got {value} (parameter looks)",
                            value=repr(looks))) from None
    if not 1 <= used <= planned:
        raise ConfigError(_("looks: this look must be between 1 and the planned looks, got {value} (parameter looks)",
                            value=repr(looks)))
    return LookPlan(planned, used, "look", fixed_units=fixed_units)


def naive_request(analysis_unit: str | None, unit_type: str) -> bool:
    """Whether ``analysis_unit`` asks for the naive row-level analysis of a ``unit_type`` test."""
    if analysis_unit in (None, "", "auto", unit_type):
        return False
    if analysis_unit not in ANALYSIS_UNITS:
        raise ConfigError(_("analysis_unit must be auto, lead, call or naive, got {value}", value=repr(analysis_unit)))
    return unit_type == "rep" or analysis_unit in ("call", "naive")


def metric_list(metrics) -> list:
    """``metrics`` as a list (a comma-separated string is split)."""
    if isinstance(metrics, str):
        return [m.strip() for m in metrics.split(",") if m.strip()]
    return list(metrics or [])


def check_columns(columns, available, what: str) -> None:
    """ConfigError naming the missing ``columns`` and listing the available ones."""
    missing = [c for c in columns if c not in available]
    if missing:
        raise ConfigError(_("{what}: columns {missing} not found; available columns: {available}", what=what,
                            missing=", ".join(repr(c) for c in missing), available=", ".join(available)))


# --- metrics of a table, control of a store experiment ----------------------------------------------

def table_metrics(t, metrics) -> tuple[list[Metric], set[str]]:
    """Metrics of a table: column names (per row; 0/1 or boolean → proportion) or Metric objects."""
    if not metrics:
        raise ConfigError(_("no metrics given (parameter metrics): name at least one column"))
    ms: list[Metric] = []
    named: set[str] = set()
    for m in metric_list(metrics):
        if isinstance(m, Metric):
            ms.append(m)
            continue
        named.add(m)
        if m not in t.columns:
            raise ConfigError(_("metric column {column} not found (parameter metrics); available columns: {available}",
                                column=repr(m), available=", ".join(t.columns)))
        binary = t[m].type().is_boolean()
        ms.append(Metric(m, binary=binary, label=m, percent=binary, naive_sq=m))  # a column: its name is its label
    return ms, named


def per_unit_metric(m: Metric, named: set[str]) -> Metric:
    """A metric after summing rows per unit: a column named by the user becomes a ratio over
    rows (e.g. connected per call); a Metric without denominator is the mean of the unit's sums."""
    return Metric(m.name, m.num, m.denominator or ("_rows" if m.name in named else None),
                  binary=m.binary and m.name in named, label=m.label, higher_is_better=m.higher_is_better,
                  margin=m.margin, scale=m.scale, percent=m.percent, naive_sq=None)


def mark_binary(arms: ArmTable, ms: list[Metric]) -> list[Metric]:
    """Numeric 0/1 columns analysed per row are proportions (syy == sy for every arm)."""
    out = []
    for m in ms:
        mm = [a.moments[m.name] for a in arms.arms]
        if (not m.binary and m.denominator is None and mm
                and np.allclose([x.syy for x in mm], [x.sy for x in mm]) and all(x.sy <= x.n for x in mm)):
            m = Metric(m.name, m.numerator, None, binary=True, label=m.label, higher_is_better=m.higher_is_better,
                       margin=m.margin, scale=m.scale, percent=True, naive_sq=m.naive_sq)
        out.append(m)
    return out


def store_control(exp: dict, arms: tuple[str, ...], control: str | None) -> str:
    eid = str(exp["experiment_id"])
    declared = str(exp["control_arm"]) if exp.get("control_arm") else None
    if control is None and declared is not None and declared not in arms:
        raise DataError(_("experiment {experiment}: control arm {control} (table experiments, column control_arm) has "
                          "no units in assignments; arms present: {arms}", experiment=repr(eid), control=repr(declared),
                          arms=", ".join(sorted(arms))))
    return check_arms(sorted(arms), control or declared, _("experiment {experiment}", experiment=repr(eid)))


# --- options of `leadlab ab` (messages in the user's language) ----------------------------------------

def parse_arm_option(text: str, i: int) -> tuple[str, int, int]:
    """``NAME:UNITS:SUCCESSES`` of the ``i``-th ``--arm``."""
    parts = text.rsplit(":", 2)
    if len(parts) != 3 or not parts[0]:
        raise ConfigError(_("--arm #{i}: expected NAME:UNITS:SUCCESSES (e.g. B:1000:95), got {text}", i=i,
                            text=repr(text)))
    name, units, succ = parts
    try:
        return name, int(units), int(succ)
    except ValueError:
        raise ConfigError(_("--arm #{i} ({text}): UNITS and SUCCESSES must be whole numbers", i=i,
                            text=repr(text))) from None


def parse_assign_options(salt: str, arms: str, weights: str | None) -> tuple[list[str], list[float] | None]:
    """(arm names, weights) of ``leadlab ab assign``, checked."""
    if not salt.strip():
        raise ConfigError(_("option --salt: must not be empty (use the experiment id)"))
    names = [a.strip() for a in arms.split(",") if a.strip()]
    if len(names) < 2 or len(set(names)) != len(names):
        raise ConfigError(_("option --arms: give two or more different arm names separated by commas, got {arms}",
                            arms=repr(arms)))
    if not weights:
        return names, None
    try:
        w = [float(x) for x in weights.split(",")]
    except ValueError:
        raise ConfigError(_("option --weights: must be numbers separated by commas, got {weights}",
                            weights=repr(weights))) from None
    if not all(math.isfinite(x) and x >= 0 for x in w):
        raise ConfigError(_("option --weights: every weight must be a finite number >= 0, got {weights}",
                            weights=repr(weights)))
    return names, w
