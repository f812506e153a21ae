"""Typed sufficient statistics per arm: the grouped query's answer as objects.

:func:`leadlab.experiments.queries.moments` returns one row per arm with aggregates named
``<metric>__<moment>``; :func:`arm_table` reads those names here, once, and every other
part of the engine works on :class:`ArmData` / :class:`ArmTable` (metric → :class:`ArmMoments`).

>>> import pandas as pd
>>> from leadlab.store import as_table
>>> from leadlab.experiments.metrics import Metric
>>> t = as_table(pd.DataFrame({"arm": ["A", "A", "B"], "y": [1.0, 0.0, 1.0]}))
>>> tab = collect(t, [Metric("y")], arm="arm")
>>> tab.names, tab.get("A").moments["y"].n, tab.get("B").moments["y"].sy
(('A', 'B'), 2.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from leadlab.experiments.metrics import Metric
from leadlab.experiments.stats import ArmMoments

#: Moments of a metric as named in the query (see :meth:`Metric.moments`).
_FIELDS = ("n", "sy", "syy", "sd", "sdd", "syd", "sx", "sxx", "sxy", "sxd")


@dataclass(frozen=True)
class ArmData:
    """One arm: its units and, per metric (or funnel step), the moments of the units with a value.

    ``left_out``: units without a value of that metric (NULL/NaN); ``naive_sq``: the row-grain
    sum of squares of the numerator (naive per-row analysis); ``totals``: other per-arm sums
    asked for by name (e.g. ``known`` units, ``x_missing``, NULLs per column).
    """

    arm: str | None
    units: float
    moments: Mapping[str, ArmMoments]
    left_out: Mapping[str, int] = field(default_factory=dict)
    naive_sq: Mapping[str, float] = field(default_factory=dict)
    totals: Mapping[str, float] = field(default_factory=dict)

    def metric(self, name: str, scale: float = 1.0) -> ArmMoments:
        """The moments of ``name`` with the value multiplied by ``scale``."""
        m = self.moments[name]
        return m if scale == 1.0 else scaled(m, scale)

    def naive(self, name: str, scale: float = 1.0) -> ArmMoments | None:
        """Row-grain moments (each lead/call independent) from the unit sums; None when the
        row-grain sum of squares is unknown."""
        if name not in self.naive_sq:
            return None
        m = self.moments[name]
        n, sy, syy = m.sd, m.sy * scale, self.naive_sq[name] * scale ** 2
        return ArmMoments(n, sy, syy, n, n, sy)


def scaled(m: ArmMoments, s: float) -> ArmMoments:
    """``m`` with the numerator multiplied by ``s`` (e.g. per 1,000 calls)."""
    return replace(m, sy=m.sy * s, syy=m.syy * s * s, syd=m.syd * s, sxy=m.sxy * s)


@dataclass(frozen=True)
class ArmTable:
    """The arms of one analysis (or one segment), in order."""

    arms: tuple[ArmData, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.arm for a in self.arms)

    def get(self, arm: str) -> ArmData:
        for a in self.arms:
            if a.arm == arm:
                return a
        raise KeyError(arm)

    def units(self) -> dict[str, float]:
        return {a.arm: a.units for a in self.arms}

    def total(self, key: str) -> float:
        """The sum over arms of a named total (``units`` for the units)."""
        if key == "units":
            return float(sum(a.units for a in self.arms))
        return float(sum(a.totals.get(key, 0.0) for a in self.arms))

    def renamed(self, labels: list[str]) -> "ArmTable":
        """Arms named by code (``"0"``, ``"1"``, …) named ``labels[code]`` instead; None stays None."""
        return ArmTable(tuple(a if a.arm is None else replace(a, arm=labels[int(a.arm)]) for a in self.arms))

    def without(self, arm: str) -> "ArmTable":
        return ArmTable(tuple(a for a in self.arms if a.arm != arm))

    def ordered(self, control: str) -> "ArmTable":
        """Control first, then the other arms by name."""
        return ArmTable(tuple(sorted(self.arms, key=lambda a: (a.arm != control, a.arm))))

    def with_metrics(self, ms: Iterable[Metric]) -> bool:
        return all(m.name in a.moments for a in self.arms for m in ms)


def _missing(v) -> bool:
    """NULL or NaN (``v != v``: cheaper than pandas' isna on one value)."""
    return v is None or v != v


def _value(row: Mapping, key: str, default: float = 0.0) -> float:
    v = row.get(key, default)
    return float(default if _missing(v) else v)


def arm_data(row: Mapping, arm: str) -> ArmData:
    """An :class:`ArmData` from one row of :func:`leadlab.experiments.queries.moments` (the one
    place that reads the ``<metric>__<moment>`` names)."""
    names = sorted({k.rsplit("__", 1)[0] for k in row if "__" in k and not k.startswith("_null__")})
    moments, left_out, naive_sq = {}, {}, {}
    for name in names:
        g = {f: _value(row, f"{name}__{f}") for f in _FIELDS}
        if f"{name}__sd" not in row:  # a mean: the denominator is 1 per unit
            g.update(sd=g["n"], sdd=g["n"], syd=g["sy"], sxd=g["sx"])
        moments[name] = ArmMoments(**g)
        left_out[name] = int(_value(row, f"{name}__nan"))
        if f"{name}__nsq" in row:
            naive_sq[name] = _value(row, f"{name}__nsq")
    totals = {k.lstrip("_"): _value(row, k) for k in row
              if k.startswith("_") and k not in ("_units",) and "__" not in k[1:] or k.startswith("_null__")}
    name = None if _missing(arm) else str(arm)  # NULL arm: None
    return ArmData(name, _value(row, "_units"), moments, left_out, naive_sq, totals)


def arm_table(frame: pd.DataFrame, arm: str = "arm") -> ArmTable:
    """The rows of a moments DataFrame (one per arm) as an :class:`ArmTable`."""
    return ArmTable(tuple(arm_data(r, r[arm]) for r in frame.to_dict("records")))


def collect(t, metrics: list[Metric], *, arm: str, by: str | None = None, covariate: str | None = None,
            extra_ratios: list[tuple[str, str, str]] = (), extra: dict | None = None,
            cuped: "set[str] | None" = None, no_nulls: frozenset[str] = frozenset(),
            known_nulls: dict[str, str] | None = None):
    """Run the one grouped query of ``t`` and return an :class:`ArmTable` (or, with ``by``, a
    dict segment value → :class:`ArmTable`). Arms are strings; a NULL arm reads ``None``.
    ``cuped``: the metrics the covariate adjusts (default: all); ``no_nulls``: columns
    without NULL/NaN, ``known_nulls`` (see :func:`leadlab.experiments.queries.moments`)."""
    from leadlab.experiments.queries import moment_rows

    rows = moment_rows(t, metrics, by=[arm] + ([by] if by else []), covariate=covariate, extra_ratios=extra_ratios,
                       extra=extra, cuped=cuped, no_nulls=no_nulls, known_nulls=known_nulls)
    if by is None:
        return ArmTable(tuple(arm_data(r, r[arm]) for r in rows))
    groups: dict = {}
    for r in rows:
        if not _missing(r[by]):  # like a pandas groupby: a NULL segment is no segment
            groups.setdefault(r[by], []).append(r)
    return {seg: ArmTable(tuple(arm_data(r, r[arm]) for r in g)) for seg, g in sorted(groups.items())}


def arms_frame(counts: dict[str, float], weights: dict[str, float] | None) -> pd.DataFrame:
    """Units per arm, their share and the planned share (``weights``; equal by default)."""
    arms = list(counts)
    w = np.array([weights.get(a, 1.0) if weights else 1.0 for a in arms], float)
    n = np.array([counts[a] for a in arms], float)
    return pd.DataFrame({"arm": arms, "units": n, "share": n / n.sum() if n.sum() else n,
                         "planned_share": w / w.sum()})
