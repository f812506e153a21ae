"""Lead-quality scorer: leakage-safe training, evaluation, reasons, monitoring,
safe model files and batch scoring.

Public API (the CLI and the scorer notebooks use these; other modules are private):
:class:`LeadScorer`, :func:`train_scorer`, :func:`apply_scores`, :func:`call_list`,
:func:`monitor_store`, :func:`load_model`, :func:`save_model`, :func:`model_file`.

>>> from leadlab.scoring import LeadScorer
>>> LeadScorer(model_kind="logistic").model_kind
'logistic'
>>> import leadlab.scoring as scoring
>>> scoring.load_model.__module__
'leadlab.scoring.persist'
"""

from __future__ import annotations

import importlib
from typing import Any

from leadlab.scoring.model import LeadScorer

#: Public name -> module, imported on first use (training pulls in scikit-learn pipelines).
_LAZY = {
    "train_scorer": "leadlab.scoring.train",
    "apply_scores": "leadlab.scoring.apply",
    "call_list": "leadlab.scoring.call_list",
    "monitor_store": "leadlab.scoring.monitor",
    "load_model": "leadlab.scoring.persist",
    "save_model": "leadlab.scoring.persist",
    "model_file": "leadlab.scoring.persist",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'leadlab.scoring' has no attribute {name!r}")


__all__ = ["LeadScorer", *_LAZY]
