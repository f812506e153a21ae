"""Outcome and cost KPIs: opportunities, won deals, sales conversion, revenue,
average deal size; spend, rep cost, cost per lead / SQL, customer acquisition cost.

>>> from leadlab.kpi.outcomes import outcomes  # doctest: +SKIP
>>> outcomes(con, "2026-Q3", by="source").to_pandas()  # doctest: +SKIP
"""

from __future__ import annotations

from leadlab.kpi.family import FamilyResult, family_result


def outcomes(data, period, team: str | None = None, by=None) -> FamilyResult:
    """Outcome KPIs of ``period`` (events counted in the period they happened)."""
    return family_result(data, period, team, by, "outcomes", "Outcomes", "won")


def costs(data, period, team: str | None = None, by=None) -> FamilyResult:
    """Cost KPIs; spend-based ones are n/a (and noted) when the store has no spend."""
    return family_result(data, period, team, by, "cost", "Cost", "cost_per_sql")
