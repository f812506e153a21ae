"""Report pipeline: run notebooks with checked parameters, render HTML without code,
publish atomically to ``reports/`` and keep ``reports/index.html``.

>>> from leadlab.reports import REGISTRY
>>> REGISTRY[0].name
'data_overview'

Public API: :func:`run_report`, :func:`run_all` (``lang="zh"`` for Chinese pages, published
beside the English ones as ``<label>.zh.html``), :func:`reindex`, :func:`index_html`,
:func:`plan_run`, the registry and the parameter checks.

Modules: :mod:`~leadlab.reports.params` (parameters cell, checks),
:mod:`~leadlab.reports.runner` (papermill execution, ``report all``),
:mod:`~leadlab.reports.render` (nbconvert HTML), :mod:`~leadlab.reports.publish`
(atomic publish, index), :mod:`~leadlab.reports.registry` (what ``report all`` runs).
"""

from __future__ import annotations

from leadlab.reports.params import Param, check_parameters, declared_parameters
from leadlab.reports.publish import RunRecord, index_html, load_index, reindex
from leadlab.reports.registry import REGISTRY, ReportSpec, get_spec
from leadlab.reports.runner import (
    DEFAULT_TIMEOUT,
    Outcome,
    available_notebooks,
    notebook_catalog,
    plan_run,
    run_all,
    run_report,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "REGISTRY",
    "Outcome",
    "Param",
    "ReportSpec",
    "RunRecord",
    "available_notebooks",
    "check_parameters",
    "declared_parameters",
    "get_spec",
    "index_html",
    "load_index",
    "notebook_catalog",
    "plan_run",
    "reindex",
    "run_all",
    "run_report",
]
