"""The KPI catalogue: every KPI's name, formula, family, unit and test.

A KPI is ``scale × numerator / denominator`` of base measures (see
:mod:`leadlab.kpi.measures`, computed as Ibis aggregations in the backend); a KPI
without denominator is a plain total. Zero denominators give NaN ("n/a").

>>> KPIS["connect_rate"].formula
'connected calls / dials'
>>> import pandas as pd
>>> compute(pd.DataFrame({"dials": [200.0], "connected": [50.0]}), ["connect_rate"])["connect_rate"].tolist()
[0.25]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadlab.errors import ConfigError
from leadlab.kpi.stats import safe_div

FAMILIES = ("activity", "quality", "outcomes", "speed", "cost")


@dataclass(frozen=True)
class Kpi:
    """One KPI. ``num``/``den`` name base measures (``den`` None = a total);
    ``num_extra`` is added to the numerator (e.g. spend + rep cost)."""

    name: str
    label: str
    family: str
    formula: str
    unit: str  # count | rate | seconds | minutes | hours | money | ratio | per1000
    num: str
    den: str | None = None
    scale: float = 1.0
    num_extra: str | None = None
    better: str = "up"  # up | down | none
    test: str = "none"  # proportion | poisson | mean | none
    sumsq: str | None = None  # sum of squares of the numerator's values (mean test)
    needs_spend: bool = False
    additive: bool = False  # adds up over time: pacing projects it linearly

    def value(self, m: pd.DataFrame) -> np.ndarray:
        num = m[self.num].astype(float).to_numpy()
        if self.num_extra:
            num = num + m[self.num_extra].astype(float).to_numpy()
        if self.needs_spend and not m.attrs.get("has_spend", "spend" in m and m["spend"].notna().any()):
            return np.full(len(m), np.nan)
        if self.den is None:
            return num * self.scale
        return np.atleast_1d(safe_div(num, m[self.den].astype(float).to_numpy())) * self.scale


def _k(*a, **kw) -> Kpi:
    return Kpi(*a, **kw)


KPI_LIST: list[Kpi] = [
    # activity
    _k("dials", "Dials", "activity", "number of calls started", "count", "dials", test="poisson", additive=True),
    _k("talk_hours", "Talk time (hours)", "activity", "sum of talk_seconds / 3600", "hours", "talk_seconds",
       scale=1 / 3600, additive=True),
    _k("avg_talk_seconds", "Average talk time (s)", "activity", "talk seconds of connected calls / connected calls",
       "seconds", "conn_talk_seconds", "connected", test="mean", sumsq="conn_talk_sq"),
    _k("connect_rate", "Connect rate", "activity", "connected calls / dials", "rate", "connected", "dials", test="proportion"),
    _k("conversation_rate", "Conversation rate (of connects)", "activity", "conversations / connected calls",
       "rate", "conversations", "connected", test="proportion"),
    _k("conversations_per_dial", "Conversation rate (of dials)", "activity", "conversations / dials", "rate",
       "conversations", "dials", test="proportion"),
    _k("calls_per_lead", "Calls per lead worked", "activity", "dials / distinct leads dialled", "ratio", "dials", "leads_called"),
    _k("followups_per_lead", "Follow-up attempts per lead", "activity",
       "(dials − distinct leads dialled) / distinct leads dialled", "ratio", "followups", "leads_called"),
    _k("aht_seconds", "Average handle time (s)", "activity", "(talk + hold + wrap) of handled calls / handled (connected) calls",
       "seconds", "handle_seconds", "handled", better="down", test="mean", sumsq="handle_sq"),
    _k("complaints_per_1000", "Complaints per 1,000 calls", "activity", "1000 × complaint dispositions / dials",
       "per1000", "complaints", "dials", scale=1000, better="down", test="proportion"),
    _k("dnc_per_1000", "Do-not-call requests per 1,000 calls", "activity", "1000 × do_not_call dispositions / dials",
       "per1000", "dnc", "dials", scale=1000, better="down", test="proportion"),
    # quality
    _k("new_leads", "New leads", "quality", "leads with created_at in the period", "count", "new_leads", test="poisson", additive=True),
    _k("mql", "MQLs", "quality", "leads with mql_at in the period", "count", "mqls", test="poisson", additive=True),
    _k("sql", "SQLs", "quality", "leads with sql_at in the period", "count", "sqls", test="poisson", additive=True),
    _k("sql_per_conversation", "SQLs per conversation", "quality", "SQLs / conversations", "rate", "sqls", "conversations"),
    _k("opportunity_rate", "SQL → opportunity", "quality", "opportunities / SQLs (events in the period)", "rate",
       "opportunities", "sqls"),
    _k("win_rate", "Opportunity → won", "quality", "won deals / opportunities (events in the period)", "rate", "won", "opportunities"),
    # outcomes
    _k("opportunities", "Opportunities", "outcomes", "leads with opportunity_at in the period", "count", "opportunities",
       test="poisson", additive=True),
    _k("won", "Won deals", "outcomes", "leads with won_at in the period", "count", "won", test="poisson", additive=True),
    _k("sales_conversion", "Sales conversion (won / SQL)", "outcomes", "won deals / SQLs (events in the period)", "rate", "won", "sqls"),
    _k("revenue", "Revenue", "outcomes", "sum of revenue of deals won in the period", "money", "revenue", additive=True),
    _k("avg_deal_size", "Average deal size", "outcomes", "revenue / won deals", "money", "revenue", "won", test="mean", sumsq="revenue_sq"),
    # speed (leads created in the period; response = first call − created_at)
    _k("reached_5m", "Reached within 5 minutes", "speed", "leads first called ≤ 5 min after creation / new leads",
       "rate", "reached_5m", "sp_leads", test="proportion"),
    _k("reached_1h", "Reached within 1 hour", "speed", "leads first called ≤ 60 min after creation / new leads",
       "rate", "reached_1h", "sp_leads", test="proportion"),
    _k("reached_24h", "Reached within 24 hours", "speed", "leads first called ≤ 24 h after creation / new leads",
       "rate", "reached_24h", "sp_leads", test="proportion"),
    _k("response_median_min", "Median response time (min)", "speed", "median of first call − created_at over called leads",
       "minutes", "response_median_min", better="down"),
    _k("response_p90_min", "90th percentile response time (min)", "speed", "90th percentile of first call − created_at over called leads",
       "minutes", "response_p90_min", better="down"),
    # cost
    _k("marketing_spend", "Marketing spend", "cost", "sum of spend.amount in the period", "money", "spend",
       better="down", needs_spend=True, additive=True),
    _k("rep_cost", "Rep cost", "cost", "Σ worked hours (ring + talk + hold + wrap) × rep hourly_cost", "money", "rep_cost",
       better="down", additive=True),
    _k("cost_per_lead", "Cost per lead", "cost", "marketing spend / new leads", "money", "spend", "new_leads",
       better="down", needs_spend=True),
    _k("cost_per_sql", "Cost per SQL", "cost", "(marketing spend + rep cost) / SQLs", "money", "spend", "sqls",
       num_extra="rep_cost", better="down", needs_spend=True),
    _k("rep_cost_per_sql", "Rep cost per SQL", "cost", "rep cost / SQLs", "money", "rep_cost", "sqls", better="down"),
    _k("cac", "Customer acquisition cost", "cost", "(marketing spend + rep cost) / won deals", "money", "spend", "won",
       num_extra="rep_cost", better="down", needs_spend=True),
]
KPIS: dict[str, Kpi] = {k.name: k for k in KPI_LIST}

#: The KPIs of the default report table, in order.
REPORT_KPIS = ["dials", "connect_rate", "conversation_rate", "talk_hours", "avg_talk_seconds", "aht_seconds",
               "calls_per_lead", "followups_per_lead", "new_leads", "mql", "sql", "opportunities", "won",
               "sales_conversion", "revenue", "avg_deal_size", "reached_5m", "reached_1h", "response_median_min",
               "complaints_per_1000", "dnc_per_1000", "marketing_spend", "rep_cost", "cost_per_lead",
               "cost_per_sql", "cac"]


def get_kpi(name: str, *, where: str = "parameter kpi") -> Kpi:
    """The KPI ``name``; ConfigError listing the valid names otherwise."""
    try:
        return KPIS[name]
    except KeyError:
        raise ConfigError(f"{where}: unknown KPI {name!r}; valid KPIs: {', '.join(KPIS)}") from None


def compute(m: pd.DataFrame, names=None) -> pd.DataFrame:
    """KPI values for each row of a base-measure frame ``m`` (extra columns kept)."""
    out = m.copy()
    for name in names or KPIS:
        k = get_kpi(name)
        needed = [c for c in (k.num, k.den, k.num_extra) if c]
        if not all(c in m.columns for c in needed):
            out[name] = np.nan
            continue
        out[name] = k.value(m)
    return out


def format_value(value, unit: str) -> str:
    """A KPI value for people; NaN → ``n/a``.

    >>> format_value(0.2314, "rate"), format_value(float("nan"), "money"), format_value(1234.5, "money")
    ('23.1%', 'n/a', '1,234')
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "n/a"
    if not np.isfinite(v):
        return "n/a"
    if unit == "rate":
        return f"{v:.1%}"
    if unit == "count":
        return f"{v:,.0f}"
    if unit in ("money",):
        return f"{v:,.0f}"
    if unit in ("seconds", "minutes", "hours", "ratio", "per1000"):
        return f"{v:,.1f}" if abs(v) < 1000 else f"{v:,.0f}"
    return f"{v:,.2f}"


def catalogue() -> pd.DataFrame:
    """The KPI catalogue as a table (name, family, label, formula, unit, test)."""
    return pd.DataFrame([
        {"kpi": k.name, "family": k.family, "label": k.label, "formula": k.formula, "unit": k.unit,
         "better": k.better, "test": k.test, "needs spend": k.needs_spend}
        for k in KPI_LIST
    ])
