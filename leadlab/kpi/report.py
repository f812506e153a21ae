"""Everything the KPI report notebook shows, computed once: :func:`kpi_report`.

>>> from leadlab.kpi.report import kpi_report  # doctest: +SKIP
>>> rep = kpi_report(leadlab.connect(), "last-month")  # doctest: +SKIP
>>> print(rep.summary.summary())  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from leadlab.kpi.compare import KpiTable, comparison_period, kpi_table
from leadlab.kpi.cycle import CycleResult, sales_cycle
from leadlab.kpi.data import KpiData
from leadlab.kpi.funnel import FunnelResult, funnel
from leadlab.kpi.pool import PoolResult, pool_health
from leadlab.kpi.scorecard import ScorecardResult, scorecard
from leadlab.kpi.speed import SpeedResult, speed_to_lead
from leadlab.kpi.summary import ExecutiveSummary, executive_summary, period_name
from leadlab.kpi.targets import TargetsResult, targets_report
from leadlab.kpi.trend import TrendResult, trend

#: the grain of the report's trend section per period kind
TREND_GRAIN = {"week": "day", "month": "week", "quarter": "month", "year": "quarter"}
from leadlab.periods import Period


@dataclass
class KpiReport:
    """All sections of the periodic KPI report."""

    data: KpiData
    period: Period
    team: str | None
    compare_to: str
    table: KpiTable
    funnel: FunnelResult
    targets: TargetsResult
    scorecard: ScorecardResult
    speed: SpeedResult
    cycle: CycleResult
    pool: PoolResult
    summary: ExecutiveSummary
    trend: TrendResult | None = None

    @property
    def has_data(self) -> bool:
        return bool(self.table.frame.attrs.get("has_data"))

    @property
    def title(self) -> str:
        return f"KPI report — {period_name(self.period)}" + (f" — team {self.team}" if self.team else "")

    @property
    def subtitle(self) -> str:
        ref = self.table.comparison_period
        as_of = self.data.as_of
        return (f"Period {self.period.label} ({self.period.start:%Y-%m-%d} to {(self.period.end - pd.Timedelta(days=1)):%Y-%m-%d}), "
                f"compared with {ref.label} ({'previous period' if self.compare_to == 'previous' else 'same period last year'}). "
                + (f"Latest activity in the store: {as_of:%Y-%m-%d %H:%M}." if as_of is not None else "The store has no calls."))


def kpi_report(data, period: str = "last-month", team: str | None = None, compare_to: str = "previous",
               targets_path: str | None = None, weights=None, seed: int = 0) -> KpiReport:
    """Compute every section of the KPI report for ``period`` (and ``team``); ``weights``
    are the scorecard's composite weights (see :func:`leadlab.kpi.scorecard.parse_weights`)."""
    data = KpiData.coerce(data)
    team = team or None
    scoped = data.for_team(team)
    per = scoped.period(period)
    comparison_period(per, compare_to)  # checks compare_to
    table = kpi_table(scoped, per, compare_to=compare_to)
    tg = targets_report(data, per, targets_path=targets_path or None, team=team)
    pool = pool_health(scoped, per)
    speed = speed_to_lead(scoped, per)
    return KpiReport(
        data=scoped, period=per, team=team, compare_to=compare_to, table=table,
        funnel=funnel(scoped, per), targets=tg, scorecard=scorecard(scoped, per, weights=weights or None, seed=seed),
        speed=speed, cycle=sales_cycle(scoped, per), pool=pool,
        summary=executive_summary(table, tg, pool, speed),
        trend=trend(scoped, per, TREND_GRAIN[per.kind]) if per.kind in TREND_GRAIN else None,
    )
