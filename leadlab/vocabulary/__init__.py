"""The one metric vocabulary: every KPI and experiment metric, and the one funnel.

Every engine, report, CLI command and doc reads a metric's name, definition, formula,
unit and direction from here (:mod:`leadlab.vocabulary.metrics` writes them once), in the
current language of :mod:`leadlab.i18n`.

>>> from leadlab.vocabulary import metric, FUNNEL
>>> m = metric("call_connect_rate")
>>> m.name(), m.formula_text(), m.unit, m.higher_is_better, m.format(0.2314)
('Connect rate', 'connected calls ÷ dials', 'rate', True, '23.1%')
>>> from leadlab.i18n import use_lang
>>> with use_lang("zh"):
...     m.name(), m.formula_text(), metric("lead_reach_rate").name()
('接通率', '接通次数 ÷ 拨打量', '触达率')
>>> metric("nope")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
leadlab.errors.ConfigError: unknown metric 'nope'; valid metrics: dials, talk_hours, ...
>>> FUNNEL[:3]
('leads', 'dialed', 'connected')
"""

from __future__ import annotations

import warnings

from leadlab.errors import ConfigError
from leadlab.vocabulary.entry import UNITS, Entry, KpiFormula, UnitFormula, format_value
from leadlab.vocabulary.funnel import FUNNEL, STAGES, Stage, stage_name, stages
from leadlab.vocabulary.metrics import ALIASES, ENTRIES, EXPERIMENT_RENAMES, FAMILIES, SCORECARD_RATES

#: metric id → :class:`Entry`, in catalogue order (families in report order)
METRICS: dict[str, Entry] = {e.id: e for fam in FAMILIES for e in ENTRIES if e.family == fam}


def canonical_id(metric_id: str, *, where: str = "metric") -> str:
    """``metric_id`` itself, or the current id of a renamed one (with a DeprecationWarning);
    ConfigError listing the valid ids otherwise. ``where`` names the parameter or file."""
    if metric_id in METRICS:
        return metric_id
    if metric_id in ALIASES:
        new = ALIASES[metric_id]
        warnings.warn(f"{where}: metric id {metric_id!r} is deprecated; use {new!r}", DeprecationWarning, stacklevel=3)
        return new
    prefix = "" if where == "metric" else f"{where}: "
    raise ConfigError(f"{prefix}unknown metric {metric_id!r}; valid metrics: {', '.join(METRICS)}")


def metric(metric_id: str, *, where: str = "metric") -> Entry:
    """The vocabulary entry of ``metric_id`` (old ids of :data:`ALIASES` still work, with a
    DeprecationWarning); ConfigError listing the valid ids otherwise."""
    return METRICS[canonical_id(str(metric_id), where=where)]


def metrics(*, family: str | None = None, engine: str | None = None) -> list[Entry]:
    """The entries of a family and/or computed by an engine (``kpi``, ``experiments``), in order."""
    return [e for e in METRICS.values()
            if (family is None or e.family == family) and (engine is None or engine in e.engines)]


__all__ = ["ALIASES", "Entry", "EXPERIMENT_RENAMES", "FAMILIES", "FUNNEL", "KpiFormula", "METRICS",
           "SCORECARD_RATES", "STAGES", "Stage", "UNITS", "UnitFormula", "canonical_id", "format_value", "metric",
           "metrics", "stage_name", "stages"]
