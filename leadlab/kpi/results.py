"""Result objects of the KPI engine: ``summary()``, ``to_pandas()``, ``_repr_html_``, ``plot()``.

>>> import pandas as pd
>>> r = KpiResult("Demo", pd.DataFrame({"connect_rate": [0.25, float("nan")]}), notes=["n/a = zero denominator"])
>>> print(r.summary().splitlines()[0])
Demo
>>> "n/a" in r._repr_html_()
True
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from leadlab.kpi.definitions import KPIS, format_value
from leadlab.periods import Period


def format_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with KPI columns formatted for people (NaN → n/a)."""
    out = df.copy()
    for col in out.columns:
        if col in KPIS:
            out[col] = [format_value(v, KPIS[col].unit) for v in out[col]]
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = [format_value(v, "ratio") for v in out[col]]
    return out


@dataclass
class KpiResult:
    """A titled table of KPI figures for one period (and team), with notes."""

    title: str
    frame: pd.DataFrame
    period: Period | None = None
    team: str | None = None
    notes: list[str] = field(default_factory=list)

    # -- overridable
    def display_frame(self) -> pd.DataFrame:
        """The table shown to people (formatted strings)."""
        return format_frame(self.frame)

    def _plot(self, ax):  # pragma: no cover - overridden
        raise NotImplementedError(f"{type(self).__name__} has no plot")

    # -- the contract
    @property
    def heading(self) -> str:
        bits = [self.title]
        if self.period is not None:
            bits.append(self.period.label)
        if self.team:
            bits.append(f"team {self.team}")
        return " · ".join(bits)

    def to_pandas(self) -> pd.DataFrame:
        return self.frame.copy()

    def summary(self) -> str:
        lines = [self.heading, "=" * len(self.heading)]
        disp = self.display_frame()
        lines.append(disp.to_string(index=False) if len(disp) else "(no rows)")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        disp = self.display_frame()
        body = disp.to_html(index=False, na_rep="n/a", border=0, classes="leadlab-kpi") if len(disp) else "<p>(no rows)</p>"
        notes = "".join(f"<p style='color:#555;font-size:90%'>{html.escape(n)}</p>" for n in self.notes)
        return f"<h4>{html.escape(self.heading)}</h4>{body}{notes}"

    def plot(self, ax=None):
        """Draw the result (matplotlib Axes returned)."""
        return self._plot(ax)
