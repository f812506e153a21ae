"""The KPI funnel (dialled → connected → conversation → SQL → opportunity → won) and the
quality KPIs (MQLs, SQLs, stage-to-stage conversion).

Stages, their order and their measures come from the one funnel of
:mod:`leadlab.vocabulary.funnel` (the ``event`` grain): call stages count calls started in
the period; lead stages count leads reaching the stage in the period, so each step rate
is "events of this stage per event of the previous stage" in the same period — the
vocabulary's step KPI (dialled → connected is the connect rate, 接通率).

>>> import pandas as pd
>>> t = stage_table(pd.Series({"dials": 200.0, "connected": 50.0, "conversations": 40.0, "sqls": 4.0}))
>>> t["stage"].tolist()[:3], t["step_conversion"].tolist()[1]
(['dialed', 'connected', 'conversation'], 0.25)
>>> import leadlab
>>> from leadlab.kpi.funnel import funnel
>>> funnel(leadlab.connect(read_only=True), "2026-10").plot()  # doctest: +ELLIPSIS
<Axes: ...>
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadlab.i18n import N_, fmt, translate
from leadlab.kpi.family import FamilyResult, family_result, resolve
from leadlab.kpi.measures import measures
from leadlab.kpi.results import KpiResult, no_activity_note
from leadlab.kpi.stats import safe_div
from leadlab.vocabulary import stage_name, stages
from leadlab.vocabulary.funnel import COLUMNS, GRAIN_NOTES

#: Funnel stages of the KPI engine: (stage id, base measure), in order.
STAGES = tuple((s.id, s.event_measure) for s in stages("event"))


def stage_table(m: pd.Series) -> pd.DataFrame:
    """Stage counts and step conversion from one row of base measures."""
    counts = [float(m.get(col, 0.0) or 0.0) for _, col in STAGES]
    prev = [np.nan] + counts[:-1]
    return pd.DataFrame({
        "stage": [s for s, _ in STAGES],
        "count": counts,
        "step_conversion": [np.nan] + [safe_div(c, p) for c, p in zip(counts[1:], prev[1:])],
        "of_first": [safe_div(c, counts[0]) for c in counts],
    })


class FunnelResult(KpiResult):
    """Facts: ``frame`` (stage id, count, step_conversion, of_first and the previous period's
    values and change), ``no_activity``."""

    def __init__(self, title, frame, period=None, team=None, notes=None, *, no_activity: bool = False):
        super().__init__(title, frame, period, team, notes)
        self.no_activity = no_activity

    def notes(self) -> list[str]:
        out = super().notes()
        if self.no_activity and self.period is not None:
            out.insert(0, no_activity_note(self.period))
        return out + [translate(GRAIN_NOTES["event"])]

    def display_frame(self) -> pd.DataFrame:
        d = self.frame.drop(columns=["step_change_rel"], errors="ignore")
        out = pd.DataFrame(index=d.index)
        for c in d.columns:
            if c == "stage":
                v = [stage_name(s) for s in d[c]]
            elif c in ("count", "previous_count"):
                v = [fmt.number(x) for x in d[c]]
            elif c == "step_change_pp":
                v = [fmt.pp(x, 2) if np.isfinite(x) else fmt.na() for x in d[c].astype(float)]
            else:
                v = [fmt.percent(x, 2) if np.isfinite(x) else fmt.na() for x in d[c].astype(float)]
            out[translate(COLUMNS[c]) if c in COLUMNS else c] = v
        return out.reset_index(drop=True)

    def _plot(self, ax):
        from leadlab import plots

        d = self.frame.assign(stage=[stage_name(s) for s in self.frame["stage"]])
        return plots.funnel_chart(d, "stage", "count", ax=ax, title=self.title())

    @property
    def bottleneck(self) -> str | None:
        """The stage id whose step conversion fell most against the previous period (relative)."""
        if "step_change_rel" not in self.frame:
            return None
        d = self.frame.dropna(subset=["step_change_rel"])
        d = d[d["step_change_rel"] < 0]
        if d.empty:
            return None
        return str(d.loc[d["step_change_rel"].idxmin(), "stage"])


def funnel(data, period, team: str | None = None) -> FunnelResult:
    """Funnel counts with step conversion, against the previous period."""
    data, per = resolve(data, period, team)
    m = measures(data, [per, per.previous()], speed=False).set_index("period")
    cur = stage_table(m.loc[per.label])
    prev = stage_table(m.loc[per.previous().label])
    cur["previous_count"] = prev["count"]
    cur["previous_step_conversion"] = prev["step_conversion"]
    cur["step_change_pp"] = cur["step_conversion"] - prev["step_conversion"]
    cur["step_change_rel"] = safe_div(cur["step_change_pp"].to_numpy(), prev["step_conversion"].to_numpy())
    return FunnelResult(N_("Funnel"), cur, per, data.team, no_activity=bool(cur["count"].sum() == 0))


def quality(data, period, team: str | None = None, by=None) -> FamilyResult:
    """Quality KPIs: new leads, MQLs, SQLs and stage conversions."""
    return family_result(data, period, team, by, "quality", "Lead quality", "sql")
