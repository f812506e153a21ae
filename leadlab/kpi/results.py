"""The base of the KPI engine's results: facts in, :class:`leadlab.presentation.Result` out.

A KPI result holds a frame of facts (KPI ids, numbers, codes), the period, the team and
whatever its ``notes()`` need; headings, headers, cells and notes are built at render
time in the current language.

>>> import pandas as pd
>>> from leadlab.i18n import N_, use_lang
>>> from leadlab.periods import parse_period
>>> r = KpiResult(N_("KPIs"), pd.DataFrame({"call_connect_rate": [0.25, float("nan")]}), parse_period("2026-10"))
>>> print(r.summary().splitlines()[0])
KPIs · October 2026
>>> with use_lang("zh"):
...     r.title(), r.display_frame().columns.tolist(), r.display_frame().iloc[:, 0].tolist()
('关键指标 · 2026年10月', ['接通率'], ['25.0%', '无数据'])
"""

from __future__ import annotations

import pandas as pd

from leadlab.i18n import _, translate
from leadlab.kpi import labels
from leadlab.periods import Period
from leadlab.presentation import Result


def format_kpi_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` for people: KPI columns named and formatted in their unit, dimensions named."""
    from leadlab.kpi.definitions import KPIS

    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        if col in KPIS:
            out[labels.kpi_name(col)] = [labels.kpi_value(col, v) for v in df[col]]
        elif col == "period":
            out[labels.dimension_name(col)] = [labels.period_text(v) for v in df[col]]
        elif col in labels.DIMENSIONS:
            out[labels.dimension_name(col)] = df[col].astype(str).tolist()
        elif pd.api.types.is_float_dtype(df[col]):
            out[str(col)] = [labels.unit_value(v, "ratio") for v in df[col]]
        else:
            out[str(col)] = df[col].tolist()
    return out.reset_index(drop=True)


class KpiResult(Result):
    """A titled table of KPI facts for one period (and team).

    ``title`` is a message id (marked with ``N_``) translated at render time; ``notes``
    (legacy) are message ids or plain text shown as given. Subclasses override
    :meth:`notes`, :meth:`display_frame`, :meth:`verdict` and ``_plot``.
    """

    def __init__(self, title: str, frame: pd.DataFrame, period: Period | None = None, team: str | None = None,
                 notes: list[str] | None = None):
        self._title = title
        self.frame = frame
        self.period = period
        self.team = team or None
        self._notes = list(notes or [])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._title!r}, period={getattr(self.period, 'label', None)!r}, team={self.team!r})"

    def title(self) -> str:
        bits = [translate(self._title)]
        if self.period is not None:
            bits.append(labels.period_text(self.period))
        if self.team:
            bits.append(labels.team_text(self.team))
        return " · ".join(bits)

    @property
    def heading(self) -> str:
        """The title in the current language (kept for callers of the old attribute)."""
        return self.title()

    def to_pandas(self) -> pd.DataFrame:
        return self.frame.copy()

    def display_frame(self) -> pd.DataFrame:
        return format_kpi_frame(self.frame)

    def notes(self) -> list[str]:
        return [translate(n) for n in self._notes]

    def summary(self) -> str:
        text = super().summary()
        disp = self.display_frame()
        if disp is None or not len(disp):
            head, rule, *rest = text.split("\n")
            text = "\n".join([head, rule, _("(no rows)"), *rest])
        return text


    def transposed_summary(self) -> str:
        """Plain text with one column per row of the table (wide breakdowns read better so)."""
        disp = self.display_frame()
        head = self.title()
        lines = [head, "=" * len(head)]
        if disp is not None and len(disp):
            lines.append(disp.set_index(disp.columns[0]).T.to_string())
        else:
            lines.append(_("(no rows)"))
        lines += [f"- {n}" for n in self.notes()]
        return "\n".join(lines)


def na_note() -> str:
    return _("n/a = not computable (zero denominator or missing data).")


def no_activity_note(period) -> str:
    return _("No activity in {period}: the store has no calls or new leads in this period.",
             period=labels.period_text(period))


def no_spend_note() -> str:
    return _("Marketing spend is not in the store (no spend table): spend-based cost KPIs are n/a.")
