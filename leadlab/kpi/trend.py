"""KPIs over time: the period broken down by day, week, month or quarter.

>>> from leadlab.periods import parse_period
>>> [p.label for p in sub_periods(parse_period("2026-Q4"), "month")]
['2026-10', '2026-11', '2026-12']
"""

from __future__ import annotations

import pandas as pd

from leadlab.errors import ConfigError
from leadlab.i18n import N_, _
from leadlab.kpi import labels
from leadlab.kpi.definitions import KPIS, compute, get_kpi
from leadlab.kpi.family import resolve
from leadlab.kpi.measures import measures
from leadlab.kpi.results import KpiResult, na_note
from leadlab.periods import KINDS, Period, _of_kind

GRAINS = ("day", "week", "month", "quarter")
DEFAULT_TREND_KPIS = ("dials", "call_connect_rate", "conversation_rate", "sql", "won", "called_within_5m")
#: the heading per grain
TITLES = {"day": N_("KPIs by day"), "week": N_("KPIs by week"), "month": N_("KPIs by month"),
          "quarter": N_("KPIs by quarter")}


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


def grain_title(kpi: str, grain: str) -> str:
    """A chart title "Connect rate by week" in the current language."""
    name = labels.kpi_name(kpi)
    return {"day": _("{kpi} by day", kpi=name), "week": _("{kpi} by week", kpi=name),
            "month": _("{kpi} by month", kpi=name), "quarter": _("{kpi} by quarter", kpi=name)}[grain]


class TrendResult(KpiResult):
    """One row per sub-period (columns: period, start, KPI ids). Facts: ``grain``, ``main_kpi``."""

    def __init__(self, frame, period, team, *, grain: str, main_kpi: str):
        super().__init__(TITLES[grain], frame, period, team)
        self.grain, self.main_kpi = grain, main_kpi

    def display_frame(self) -> pd.DataFrame:
        return super().display_frame().drop(columns=["start"], errors="ignore")

    def notes(self) -> list[str]:
        out = [na_note()]
        if self.grain == "week":
            out.append(_("Weeks are ISO weeks (Monday to Sunday) starting inside the period."))
        return out

    def plot_kpi(self, kpi: str | None = None, ax=None):
        """Draw one KPI over the sub-periods (default: the main KPI)."""
        from leadlab import plots

        kpi = kpi or self.main_kpi
        d = self.frame.assign(period=[labels.period_text(p) for p in self.frame["period"]])
        ax = plots.time_series(d, "period", kpi, ax=ax, percent=KPIS[kpi].unit == "rate",
                               title=grain_title(kpi, self.grain), ylabel=labels.kpi_name(kpi))
        return ax

    def _plot(self, ax=None):
        return self.plot_kpi(None, ax)


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
    return TrendResult(frame, per, data.team, grain=grain, main_kpi=frame.attrs["main_kpi"])
