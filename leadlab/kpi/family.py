"""Shared plumbing of the per-family KPI functions (activity, quality, outcomes, cost)."""

from __future__ import annotations

import pandas as pd

from leadlab.i18n import N_, _
from leadlab.kpi import labels
from leadlab.kpi.data import KpiData
from leadlab.kpi.definitions import KPI_LIST, KPIS, compute
from leadlab.kpi.measures import check_by, measures
from leadlab.kpi.results import KpiResult, na_note, no_activity_note, no_spend_note
from leadlab.periods import Period

#: the heading of each family's result
FAMILY_TITLES = {"activity": N_("Activity"), "quality": N_("Lead quality"), "outcomes": N_("Outcomes"),
                 "cost": N_("Cost"), "speed": N_("Speed-to-lead"), "all": N_("KPIs"),
                 "customer": N_("Customer quality")}


def resolve(data, period, team) -> tuple[KpiData, Period]:
    """Coerce ``data`` to KpiData, apply the team filter and parse the period."""
    data = KpiData.coerce(data).for_team(team)
    return data, data.period(period)


def family_kpis(family: str) -> list[str]:
    return [k.name for k in KPI_LIST if k.family == family]


class FamilyResult(KpiResult):
    """KPIs of one family: one row (or one row per breakdown group).

    Facts: ``frame`` (dimension columns + KPI ids), ``by``, ``main_kpi``, ``no_activity``,
    ``no_spend``."""

    def __init__(self, title, frame, period=None, team=None, notes=None, *, by=(), main_kpi=None,
                 no_activity=False, no_spend=False):
        super().__init__(title, frame, period, team, notes)
        self.by, self.main_kpi = list(by), main_kpi
        self.no_activity, self.no_spend = no_activity, no_spend

    def title(self) -> str:
        if self._title == FAMILY_TITLES["all"] and self.by:
            heading = _("KPIs by {dimension}", dimension=", ".join(labels.dimension_name(d) for d in self.by))
            return " · ".join([heading, *super().title().split(" · ")[1:]])
        return super().title()

    def notes(self) -> list[str]:
        out = super().notes()
        if self.no_activity and self.period is not None:
            out.append(no_activity_note(self.period))
        if self.no_spend:
            out.append(no_spend_note())
        out.append(na_note())
        return out

    def _plot(self, ax):
        from leadlab import plots

        df = self.frame
        kpi = self.main_kpi
        if self.by and kpi:
            d = df.sort_values(kpi, ascending=False)
            pct = KPIS[kpi].unit == "rate"
            title = _("{kpi} by {dimension}", kpi=labels.kpi_name(kpi), dimension=labels.dimension_name(self.by[0]))
            ax = plots.bar_chart(d, self.by[0], kpi, horizontal=True, ax=ax, title=title, percent=pct)
            ax.set_xlabel(labels.kpi_name(kpi))
            ax.set_ylabel(labels.dimension_name(self.by[0]))
            return ax
        counts = [c for c in df.columns if c in KPIS and KPIS[c].unit == "count"]
        d = pd.DataFrame({"kpi": [labels.kpi_name(c) for c in counts],
                          "value": [float(df[c].iloc[0]) if len(df) else 0.0 for c in counts]})
        ax = plots.bar_chart(d, "kpi", "value", horizontal=True, ax=ax, title=self.title())
        ax.set_xlabel(_("count"))
        return ax


def family_result(data, period, team, by, family: str, title: str | None = None, main_kpi: str | None = None) -> FamilyResult:
    """The KPIs of ``family`` for ``period`` (``title`` is ignored: the heading comes from the family)."""
    data, per = resolve(data, period, team)
    dims = check_by(by)
    m = measures(data, [per], dims, speed=(family == "speed"))
    names = family_kpis(family)
    frame = compute(m, names)[[*dims, *names]]
    if dims:
        frame = frame.sort_values(dims).reset_index(drop=True)
    no_activity = bool(not dims and len(m) and m["dials"].iloc[0] == 0 and m["new_leads"].iloc[0] == 0)
    return FamilyResult(FAMILY_TITLES[family], frame, per, data.team, by=dims, main_kpi=main_kpi,
                        no_activity=no_activity, no_spend=family == "cost" and not m.attrs.get("has_spend"))


def breakdown(data, period, team, by, kpis) -> FamilyResult:
    """``kpis`` of ``period`` broken down ``by`` one or more dimensions (no comparison)."""
    data, per = resolve(data, period, team)
    dims = check_by(by)
    names = [k for k in kpis]
    m = measures(data, [per], dims)
    frame = compute(m, names)[[*dims, *names]].sort_values(dims).reset_index(drop=True)
    return FamilyResult(FAMILY_TITLES["all"], frame, per, data.team, by=dims, main_kpi=names[0],
                        no_spend=not m.attrs.get("has_spend"))
