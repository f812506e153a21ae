"""The KPI engine's view of the one metric vocabulary (:mod:`leadlab.vocabulary`).

Every KPI is an entry of the vocabulary with a :class:`~leadlab.vocabulary.KpiFormula`:
``scale × (numerator + extra) / denominator`` of base measures (see
:mod:`leadlab.kpi.measures`, computed as Ibis aggregations in the backend); a KPI without
denominator is a plain total. Zero denominators give NaN ("n/a"). Names, definitions and
formulas in words come from the vocabulary, in the current language.

>>> KPIS["call_connect_rate"].formula
'connected calls ÷ dials'
>>> import pandas as pd
>>> compute(pd.DataFrame({"dials": [200.0], "connected": [50.0]}), ["call_connect_rate"])["call_connect_rate"].tolist()
[0.25]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from leadlab.errors import ConfigError
from leadlab.kpi.stats import safe_div
from leadlab.vocabulary import ALIASES, FAMILIES as _FAMILIES, Entry, canonical_id, format_value, metrics

FAMILIES = tuple(_FAMILIES)


class Kpi:
    """One KPI: a vocabulary entry seen by the KPI engine (``num``/``den`` name base measures)."""

    __slots__ = ("entry",)

    def __init__(self, entry: Entry):
        if entry.kpi is None:
            raise ValueError(f"metric {entry.id!r} has no KPI formula")
        self.entry = entry

    def __repr__(self) -> str:
        return f"Kpi({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Kpi) and other.entry == self.entry

    def __hash__(self) -> int:
        return hash(self.entry)

    name = property(lambda self: self.entry.id, doc="the KPI id")
    label = property(lambda self: self.entry.name_id, doc="the English name (a message id; translate it to show)")
    family = property(lambda self: self.entry.family)
    unit = property(lambda self: self.entry.unit)
    test = property(lambda self: self.entry.test)
    better = property(lambda self: "up" if self.entry.higher_is_better else "down")
    formula = property(lambda self: self.entry.formula_text(), doc="the formula in words, current language")
    num = property(lambda self: self.entry.kpi.num)
    den = property(lambda self: self.entry.kpi.den)
    scale = property(lambda self: self.entry.kpi.scale)
    num_extra = property(lambda self: self.entry.kpi.num_extra)
    sumsq = property(lambda self: self.entry.kpi.sumsq)
    needs_spend = property(lambda self: self.entry.kpi.needs_spend)
    additive = property(lambda self: self.entry.kpi.additive)

    def value(self, m: pd.DataFrame) -> np.ndarray:
        """The KPI for each row of the base-measure frame ``m``."""
        num = m[self.num].astype(float).to_numpy()
        if self.num_extra:
            num = num + m[self.num_extra].astype(float).to_numpy()
        if self.needs_spend and not m.attrs.get("has_spend", "spend" in m and m["spend"].notna().any()):
            return np.full(len(m), np.nan)
        if self.den is None:
            return num * self.scale
        return np.atleast_1d(safe_div(num, m[self.den].astype(float).to_numpy())) * self.scale


KPI_LIST: list[Kpi] = [Kpi(e) for e in metrics(engine="kpi")]
_BY_ID: dict[str, Kpi] = {k.name: k for k in KPI_LIST}


class _Kpis(Mapping):
    """KPI id → :class:`Kpi`; an old id of :data:`leadlab.vocabulary.ALIASES` still finds its
    KPI (with a DeprecationWarning). Iterates over the current ids only."""

    def __getitem__(self, name: str) -> Kpi:
        if name in _BY_ID:
            return _BY_ID[name]
        if ALIASES.get(name) in _BY_ID:
            return _BY_ID[canonical_id(name, where="KPI")]
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return name in _BY_ID or ALIASES.get(name) in _BY_ID  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[str]:
        return iter(_BY_ID)

    def __len__(self) -> int:
        return len(_BY_ID)


KPIS: Mapping[str, Kpi] = _Kpis()

#: The KPIs of the default report table, in order.
REPORT_KPIS = ["dials", "call_connect_rate", "conversation_rate", "talk_hours", "avg_talk_seconds", "aht_seconds",
               "calls_per_lead", "followups_per_lead", "new_leads", "mql", "sql", "opportunities", "won",
               "sales_conversion", "revenue", "avg_deal_size", "called_within_5m", "called_within_1h",
               "response_median_min", "complaints_per_1000", "dnc_per_1000", "marketing_spend", "rep_cost",
               "cost_per_lead", "cost_per_sql", "cac"]


def get_kpi(name: str, *, where: str = "parameter kpi") -> Kpi:
    """The KPI ``name``; ConfigError listing the valid names otherwise."""
    if name in KPIS:
        return KPIS[name]
    raise ConfigError(f"{where}: unknown KPI {name!r}; valid KPIs: {', '.join(KPIS)}")


def compute(m: pd.DataFrame, names=None) -> pd.DataFrame:
    """KPI values for each row of a base-measure frame ``m`` (extra columns kept); each KPI's
    column is named as asked."""
    out = m.copy()
    for name in names or KPIS:
        k = get_kpi(name)
        needed = [c for c in (k.num, k.den, k.num_extra) if c]
        if not all(c in m.columns for c in needed):
            out[name] = np.nan
            continue
        out[name] = k.value(m)
    return out


def catalogue() -> pd.DataFrame:
    """The KPI catalogue as a table (id, family, name, formula, unit, direction, test), in the
    current language."""
    return pd.DataFrame([
        {"kpi": k.name, "family": k.family, "label": k.entry.name(), "formula": k.formula, "unit": k.unit,
         "better": k.better, "test": k.test, "needs spend": k.needs_spend}
        for k in KPI_LIST
    ])


__all__ = ["FAMILIES", "KPIS", "KPI_LIST", "Kpi", "REPORT_KPIS", "catalogue", "compute", "format_value", "get_kpi"]
