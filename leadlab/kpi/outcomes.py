"""Outcome and cost KPIs: opportunities, won deals, sales conversion, revenue,
average deal size; spend, rep cost, cost per lead / SQL, customer acquisition cost.

>>> import leadlab
>>> from leadlab.kpi.outcomes import outcomes
>>> outcomes(leadlab.connect(read_only=True), "2026-Q3", by="source").to_pandas()[["source", "opportunities", "won"]]
          source  opportunities  won
0          event            4.0  1.0
1  list_purchase            2.0  0.0
2    paid_search            5.0  1.0
3        partner            3.0  0.0
4       referral            4.0  1.0
5       web_form           15.0  5.0
"""

from __future__ import annotations

from leadlab.kpi.family import FamilyResult, family_result


def outcomes(data, period, team: str | None = None, by=None) -> FamilyResult:
    """Outcome KPIs of ``period`` (events counted in the period they happened)."""
    return family_result(data, period, team, by, "outcomes", "Outcomes", "won")


def costs(data, period, team: str | None = None, by=None) -> FamilyResult:
    """Cost KPIs; spend-based ones are n/a (and noted) when the store has no spend."""
    return family_result(data, period, team, by, "cost", "Cost", "cost_per_sql")
