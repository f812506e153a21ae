"""leadlab: lead scoring, A/B analysis of call scripts and KPI reports for inside-sales teams.

The public names live here; modules behind them are private to the package.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from leadlab.errors import (
    ConfigError,
    DataError,
    InsufficientDataError,
    LeadlabError,
    ModelError,
    ReportError,
    StoreError,
)
from leadlab.store import as_table, connect

_SUBPACKAGES = frozenset({"cli", "experiments", "i18n", "ingest", "kpi", "plots", "presentation",
                          "reports", "safehtml", "scoring", "synth"})


def __getattr__(name: str):
    """``leadlab.i18n``, ``leadlab.plots`` … imported on first use, so ``import leadlab`` stays fast."""
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"leadlab.{name}")
    raise AttributeError(f"module 'leadlab' has no attribute {name!r}")


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
    "as_table",
    "connect",
]
