"""The KPI engine: funnel, activity, quality, outcomes, cost, speed-to-lead, sales
cycle, period comparisons, targets with pacing, fair rep scorecards, lead-pool health.

Every function takes a :class:`KpiData` (or a store connection / URL), a period
(``"2026-10"``, ``"2026-W46"``, ``"2026-Q4"``, ``"last-month"``...) and an optional
team, runs grouped Ibis queries in the backend and returns a result object with
``summary()``, ``to_pandas()``, ``_repr_html_`` and ``plot()``.

Public API: the functions below, plus :func:`kpi_report` (the report's sections),
:func:`targets_report`, :func:`pool_health` and :func:`speed_to_lead`, imported on first use.

>>> from leadlab import kpi
>>> data = kpi.KpiData.from_store()  # the project's store ($LEADLAB_HOME / $LEADLAB_DB)
>>> table = kpi.kpi_table(data, "last-month", compare_to="previous")
>>> table.period.label, table.to_pandas().kpi.iloc[0]
('2026-10', 'dials')
"""

from leadlab.kpi.activity import activity
from leadlab.kpi.compare import kpi_table
from leadlab.kpi.data import KpiData
from leadlab.kpi.definitions import KPIS, catalogue
from leadlab.kpi.funnel import funnel, quality
from leadlab.kpi.outcomes import costs, outcomes
from leadlab.kpi.trend import trend

#: Public name -> module, imported on first use.
_LAZY = {
    "kpi_report": "leadlab.kpi.report",
    "targets_report": "leadlab.kpi.targets",
    "pool_health": "leadlab.kpi.pool",
    "speed_to_lead": "leadlab.kpi.speed",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'leadlab.kpi' has no attribute {name!r}")


__all__ = ["KPIS", "KpiData", "activity", "catalogue", "costs", "funnel", "kpi_table", "outcomes", "quality", "trend",
           *_LAZY]
