"""Checks of the inputs and parameters of an analysis; each mistake is one exception naming
the parameter (or arm) and the rule.

>>> parse_counts([("A", 1000, 80), ("B", 1000, 95)])
[('A', 1000.0, 80.0), ('B', 1000.0, 95.0)]
>>> check_arms(["A", "B"], None, "from-counts")
'A'
"""

from __future__ import annotations

import math

import pandas as pd

from leadlab.errors import ConfigError, DataError
from leadlab.experiments.sequential import LookPlan

#: Values of ``analysis_unit`` (``auto`` = the randomization unit).
ANALYSIS_UNITS = ("auto", "lead", "call", "naive")


def check_arms(arms: list[str], control: str | None, where: str) -> str:
    """The control arm: ``control`` when given (it must have units), else the first arm."""
    if len(arms) < 2:
        raise DataError(f"{where}: only one arm ({', '.join(arms) or 'none'}) has units; an experiment needs a "
                        "control and at least one treatment arm")
    if control is None:
        return arms[0]
    if control not in arms:
        raise ConfigError(f"unknown control arm {control!r} (parameter control); arms present: {', '.join(arms)}")
    return control


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _unique(names: list[str]) -> None:
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"arm name(s) given twice: {', '.join(dup)}")


def parse_counts(arms) -> list[tuple[str, float, float]]:
    """Per-arm ``(name, units, successes)``, checked (no NaN, no negatives, successes <= units)."""
    parsed = []
    for i, a in enumerate(arms):
        try:
            name, units, succ = a
        except (TypeError, ValueError):
            raise ConfigError(f"arm #{i + 1}: expected (name, units, successes), got {a!r}") from None
        for what, v in (("units", units), ("successes", succ)):
            if _missing(v):
                raise DataError(f"arm {name!r}: {what} is missing (NaN)")
            if v < 0:
                raise DataError(f"arm {name!r}: {what} must be >= 0, got {v}")
        if succ > units:
            raise DataError(f"arm {name!r}: successes ({succ}) exceed units ({units})")
        if units == 0:
            raise DataError(f"arm {name!r} has zero units")
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
            raise ConfigError(f"arm #{i + 1}: expected (name, units, mean, sd), got {a!r}") from None
        for what, v in (("units", n), ("mean", mean), ("sd", sd)):
            if _missing(v):
                raise DataError(f"arm {name!r}: {what} is missing (NaN)")
        if n < 2:
            raise DataError(f"arm {name!r} has {n} units; a mean needs at least 2")
        if sd < 0:
            raise DataError(f"arm {name!r}: sd must be >= 0, got {sd}")
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
        raise ConfigError(f"{what} must be a date (YYYY-MM-DD[ HH:MM]), got {v!r} (parameter {what})") from None


def look_plan(looks, fixed_units: bool) -> LookPlan:
    """The plan of ``looks=(this look, planned looks)`` (one final look when None)."""
    if looks is None:
        return LookPlan(None, 1, fixed_units=fixed_units)
    try:
        used, planned = (int(v) for v in looks)
    except (TypeError, ValueError):
        raise ConfigError(f"looks must be (this look, planned looks), got {looks!r} (parameter looks)") from None
    if not 1 <= used <= planned:
        raise ConfigError(f"looks: this look must be between 1 and the planned looks, got {looks!r} (parameter looks)")
    return LookPlan(planned, used, "look", fixed_units=fixed_units)


def naive_request(analysis_unit: str | None, unit_type: str) -> bool:
    """Whether ``analysis_unit`` asks for the naive row-level analysis of a ``unit_type`` test."""
    if analysis_unit in (None, "", "auto", unit_type):
        return False
    if analysis_unit not in ANALYSIS_UNITS:
        raise ConfigError(f"analysis_unit must be auto, lead, call or naive, got {analysis_unit!r}")
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
        raise ConfigError(f"{what}: column(s) {', '.join(repr(c) for c in missing)} not found; "
                          f"available columns: {', '.join(available)}")


# --- options of `leadlab ab` (messages in the user's language) ----------------------------------------

def parse_arm_option(text: str, i: int) -> tuple[str, int, int]:
    """``NAME:UNITS:SUCCESSES`` of the ``i``-th ``--arm``."""
    from leadlab.i18n import _

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
    from leadlab.i18n import _

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
