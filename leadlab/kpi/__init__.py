"""The KPI engine: funnel, activity, quality, outcomes, cost, speed-to-lead, sales
cycle, period comparisons, targets with pacing, fair rep scorecards, lead-pool health.

Every function takes a :class:`KpiData` (or a store connection / URL), a period
(``"2026-10"``, ``"2026-W46"``, ``"2026-Q4"``, ``"last-month"``...) and an optional
team, runs grouped Ibis queries in the backend and returns a result object with
``summary()``, ``to_pandas()``, ``_repr_html_`` and ``plot()``.

>>> from leadlab import kpi  # doctest: +SKIP
>>> data = kpi.KpiData.from_store()  # doctest: +SKIP
>>> kpi.kpi_table(data, "last-month", compare_to="previous").significant()  # doctest: +SKIP
"""

from leadlab.kpi.activity import activity
from leadlab.kpi.compare import kpi_table
from leadlab.kpi.data import KpiData
from leadlab.kpi.definitions import KPIS, catalogue
from leadlab.kpi.funnel import funnel, quality
from leadlab.kpi.outcomes import costs, outcomes
from leadlab.kpi.trend import trend

__all__ = ["KPIS", "KpiData", "activity", "catalogue", "costs", "funnel", "kpi_table", "outcomes", "quality", "trend"]
