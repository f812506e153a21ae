"""Lead-quality scorer: leakage-safe training, evaluation, reasons, monitoring,
safe model files and batch scoring.

>>> from leadlab.scoring import LeadScorer
>>> LeadScorer(model_kind="logistic").model_kind
'logistic'
"""

from __future__ import annotations

from leadlab.scoring.model import LeadScorer

__all__ = ["LeadScorer"]
