"""The funnel (dial → connect → conversation → SQL → opportunity → won) and the
quality KPIs (MQLs, SQLs, stage-to-stage conversion).

Calls stages count calls started in the period; lead stages count leads reaching
the stage in the period, so each step rate is "events of this stage per event of
the previous stage" in the same period.

>>> from leadlab.kpi.funnel import funnel  # doctest: +SKIP
>>> funnel(con, "2026-10").plot()  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadlab.kpi.family import FamilyResult, family_result, resolve
from leadlab.kpi.measures import measures
from leadlab.kpi.results import KpiResult
from leadlab.kpi.stats import safe_div

#: Funnel stages: (stage label, base measure).
STAGES = (("dials", "dials"), ("connects", "connected"), ("conversations", "conversations"),
          ("SQLs", "sqls"), ("opportunities", "opportunities"), ("won", "won"))


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
    def display_frame(self) -> pd.DataFrame:
        d = self.frame.copy()
        d = d.drop(columns=["step_change_rel"], errors="ignore")
        d["count"] = [f"{v:,.0f}" for v in d["count"]]
        if "previous_count" in d:
            d["previous_count"] = [f"{v:,.0f}" for v in d["previous_count"]]
        for c in ("step_conversion", "of_first", "previous_step_conversion"):
            if c in d:
                d[c] = ["n/a" if not np.isfinite(v) else f"{v:.2%}" for v in d[c].astype(float)]
        if "step_change_pp" in d:
            d["step_change_pp"] = ["n/a" if not np.isfinite(v) else f"{v * 100:+.2f} pp" for v in d["step_change_pp"].astype(float)]
        return d

    def _plot(self, ax):
        from leadlab import plots

        return plots.funnel_chart(self.frame, "stage", "count", ax=ax, title=f"Funnel {self.period.label if self.period else ''}".strip())

    @property
    def bottleneck(self) -> str | None:
        """The step whose conversion fell most against the previous period (relative)."""
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
    notes = ["dials, connects and conversations are calls; SQLs, opportunities and won are leads reaching "
             "the stage in the period; step conversion = this stage / previous stage"]
    if cur["count"].sum() == 0:
        notes.insert(0, f"no activity in {per.label}")
    return FunnelResult("Funnel", cur, per, data.team, notes)


def quality(data, period, team: str | None = None, by=None) -> FamilyResult:
    """Quality KPIs: new leads, MQLs, SQLs and stage conversions."""
    return family_result(data, period, team, by, "quality", "Lead quality", "sql")
