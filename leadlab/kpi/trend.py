"""KPIs over time: the period broken down by day, week, month or quarter.

>>> from leadlab.periods import parse_period
>>> [p.label for p in sub_periods(parse_period("2026-Q4"), "month")]
['2026-10', '2026-11', '2026-12']
"""

from __future__ import annotations

import pandas as pd

from leadlab.errors import ConfigError
from leadlab.kpi.definitions import KPIS, compute, get_kpi
from leadlab.kpi.family import resolve
from leadlab.kpi.measures import measures
from leadlab.kpi.results import KpiResult
from leadlab.periods import KINDS, Period, _of_kind

GRAINS = ("day", "week", "month", "quarter")
DEFAULT_TREND_KPIS = ("dials", "connect_rate", "conversation_rate", "sql", "won", "reached_5m")


def sub_periods(period: Period, grain: str) -> list[Period]:
    """The periods of ``grain`` that start inside ``period`` (a week starting in the
    period's last days runs past its end)."""
    if grain not in GRAINS:
        raise ConfigError(f"parameter grain: unknown value {grain!r}; valid: {', '.join(GRAINS)}")
    if KINDS.index(grain) > KINDS.index(period.kind):
        raise ConfigError(f"parameter grain: {grain} is longer than the {period.kind} {period.label}")
    out, p = [], _of_kind(grain, period.start)
    if p.start < period.start:
        p = p.shift(1)
    while p.start < period.end:
        out.append(p)
        p = p.shift(1)
    return out


class TrendResult(KpiResult):
    """One row per sub-period (columns: period, start, KPIs)."""

    def _plot(self, ax=None):
        from leadlab import plots

        kpi = self.frame.attrs.get("main_kpi", "connect_rate")
        return plots.time_series(self.frame, "period", kpi, ax=ax, percent=KPIS[kpi].unit == "rate",
                                 title=f"{KPIS[kpi].label} by {self.frame.attrs.get('grain')}", ylabel=KPIS[kpi].label)


def trend(data, period, grain: str = "week", team: str | None = None, kpis=DEFAULT_TREND_KPIS) -> TrendResult:
    """``kpis`` for each ``grain`` (day | week | month | quarter) starting in ``period``."""
    data, per = resolve(data, period, team)
    names = [get_kpi(k).name for k in kpis]
    subs = sub_periods(per, grain)
    from leadlab.kpi.measures import sources_for

    needed = [c for k in names for c in (KPIS[k].num, KPIS[k].den, KPIS[k].num_extra) if c]
    m = measures(data, subs, sources=sources_for(needed))
    frame = compute(m, names)[["period", *names]]
    frame.insert(1, "start", [p.start for p in subs])
    frame.attrs.update(grain=grain, main_kpi=names[1] if len(names) > 1 else names[0])
    notes = ["n/a = not computable (zero denominator or missing data)"]
    if grain == "week":
        notes.append("weeks are ISO weeks (Monday to Sunday) starting inside the period")
    return TrendResult(f"KPIs by {grain}", frame, per, data.team, notes)
