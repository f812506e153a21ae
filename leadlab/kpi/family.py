"""Shared plumbing of the per-family KPI functions (activity, quality, outcomes, cost)."""

from __future__ import annotations

import pandas as pd

from leadlab.kpi.data import KpiData
from leadlab.kpi.definitions import KPI_LIST, compute
from leadlab.kpi.measures import check_by, measures
from leadlab.kpi.results import KpiResult
from leadlab.periods import Period


def resolve(data, period, team) -> tuple[KpiData, Period]:
    """Coerce ``data`` to KpiData, apply the team filter and parse the period."""
    data = KpiData.coerce(data).for_team(team)
    return data, data.period(period)


def family_kpis(family: str) -> list[str]:
    return [k.name for k in KPI_LIST if k.family == family]


class FamilyResult(KpiResult):
    """KPIs of one family: one row (or one row per breakdown group)."""

    def _plot(self, ax):
        from leadlab import plots

        df = self.frame
        dims = self.frame.attrs.get("by", [])
        kpi = self.frame.attrs.get("main_kpi")
        if dims and kpi:
            d = df.sort_values(kpi, ascending=False)
            pct = kpi in self.frame.attrs.get("rates", [])
            return plots.bar_chart(d, dims[0], kpi, horizontal=True, ax=ax, title=f"{kpi} by {dims[0]}", percent=pct)
        counts = [c for c in self.frame.attrs.get("counts", []) if c in df]
        d = pd.DataFrame({"kpi": counts, "value": [float(df[c].iloc[0]) if len(df) else 0.0 for c in counts]})
        return plots.bar_chart(d, "kpi", "value", horizontal=True, ax=ax, title=self.title)


def family_result(data, period, team, by, family: str, title: str, main_kpi: str) -> FamilyResult:
    data, per = resolve(data, period, team)
    dims = check_by(by)
    m = measures(data, [per], dims, speed=(family == "speed"))
    names = family_kpis(family)
    frame = compute(m, names)[[*dims, *names]]
    if dims:
        frame = frame.sort_values(dims).reset_index(drop=True)
    from leadlab.kpi.definitions import KPIS

    frame.attrs.update(by=dims, main_kpi=main_kpi,
                       rates=[n for n in names if KPIS[n].unit == "rate"],
                       counts=[n for n in names if KPIS[n].unit in ("count",)])
    notes = []
    if not dims and len(m) and m["dials"].iloc[0] == 0 and m["new_leads"].iloc[0] == 0:
        notes.append(f"no activity in {per.label}: the store has no calls or new leads in this period")
    if family == "cost" and not m.attrs.get("has_spend"):
        notes.append("marketing spend unavailable (no spend table): spend-based cost KPIs are n/a")
    notes.append("n/a = not computable (zero denominator or missing data)")
    return FamilyResult(title, frame, per, data.team, notes)
