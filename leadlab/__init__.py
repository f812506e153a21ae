"""leadlab: lead scoring, A/B analysis of call scripts and KPI reports for inside-sales teams.

The public API lives here, imported on first use (``import leadlab`` loads only the
error classes, so the CLI and notebooks start fast); the modules behind it are private
to the package and may move. What the CLI and the notebooks use:

=================  =====================================================================
store              :func:`connect`, :func:`as_table`
errors             :class:`LeadlabError` and its family (:class:`ConfigError`, ...)
language           :func:`set_lang`, :func:`use_lang`, :func:`get_lang`, :func:`resolve_lang`
data               :func:`synthesize` (demo store), :func:`ingest_file` (CRM exports),
                   ``leadlab.overview.overview`` (what is in the store)
KPIs               :func:`kpi_table`, :class:`KpiData`, :func:`kpi_report`, :func:`scorecard`,
                   :func:`metric` / :data:`METRICS` (the one metric vocabulary)
experiments        :func:`analyze`, :func:`from_counts`, :func:`sample_size`, :func:`power`,
                   :func:`mde`, :func:`assign`
lead scoring       :class:`LeadScorer`, :func:`train_scorer`, :func:`apply_scores`,
                   :func:`load_model`, :func:`save_model`
reports            :func:`run_report`, :func:`run_all`
=================  =====================================================================

Sub-packages are reachable as attributes too (``leadlab.i18n.fmt``, ``leadlab.plots``).

>>> import leadlab
>>> leadlab.ConfigError.__name__, callable(leadlab.connect), callable(leadlab.run_report)
('ConfigError', True, True)
>>> with leadlab.use_lang("zh"):
...     leadlab.i18n.fmt.percent(0.125)
'12.5%'
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from leadlab.errors import (
    ConfigError,
    DataError,
    InsufficientDataError,
    LeadlabError,
    ModelError,
    ReportError,
    StoreError,
)

#: Public name -> "module:attribute", imported on first access.
_LAZY: dict[str, str] = {
    # store
    "connect": "leadlab.store:connect",
    "as_table": "leadlab.store:as_table",
    # language
    "set_lang": "leadlab.i18n:set_lang",
    "use_lang": "leadlab.i18n:use_lang",
    "get_lang": "leadlab.i18n:get_lang",
    "resolve_lang": "leadlab.i18n:resolve_lang",
    # data
    "synthesize": "leadlab.synth:synthesize",
    "ingest_file": "leadlab.ingest:ingest_file",
    # KPIs and the metric vocabulary
    "KpiData": "leadlab.kpi:KpiData",
    "kpi_table": "leadlab.kpi:kpi_table",
    "kpi_report": "leadlab.kpi.report:kpi_report",
    "scorecard": "leadlab.kpi.scorecard:scorecard",
    "metric": "leadlab.vocabulary:metric",
    "METRICS": "leadlab.vocabulary:METRICS",
    # experiments
    "analyze": "leadlab.experiments:analyze",
    "from_counts": "leadlab.experiments:from_counts",
    "sample_size": "leadlab.experiments:sample_size",
    "power": "leadlab.experiments:power",
    "mde": "leadlab.experiments:mde",
    "assign": "leadlab.experiments:assign",
    # lead scoring
    "LeadScorer": "leadlab.scoring:LeadScorer",
    "train_scorer": "leadlab.scoring.train:train_scorer",
    "apply_scores": "leadlab.scoring.apply:apply_scores",
    "load_model": "leadlab.scoring.persist:load_model",
    "save_model": "leadlab.scoring.persist:save_model",
    # reports
    "run_report": "leadlab.reports:run_report",
    "run_all": "leadlab.reports:run_all",
}
_SUBPACKAGES = frozenset({"cli", "experiments", "i18n", "ingest", "kpi", "overview", "paths", "periods", "plots",
                          "presentation", "reports", "safehtml", "schema", "scoring", "store", "synth", "vocabulary"})


def __getattr__(name: str) -> Any:
    """Public names and sub-packages, imported on first use (then cached in the module)."""
    if name in _LAZY:
        module, attr = _LAZY[name].split(":")
        value = getattr(importlib.import_module(module), attr)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f"leadlab.{name}")
    else:
        raise AttributeError(f"module 'leadlab' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBPACKAGES)


try:
    __version__ = version("leadlab")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "0.0.0"

__all__ = [
    "ConfigError",
    "DataError",
    "InsufficientDataError",
    "LeadlabError",
    "ModelError",
    "ReportError",
    "StoreError",
    "__version__",
    *_LAZY,
]
