"""Call-script A/B testing: design, warehouse-native analysis, result objects.

>>> from leadlab.experiments import from_counts
>>> print(from_counts([("A", 10000, 790), ("B", 10000, 910)]).verdict())
B raises the conversion rate from 7.9% to 9.1% (+1.2 pp, 95% CI +0.4 to +2.0). Ship B.
"""

from __future__ import annotations

from leadlab.experiments.analyze import analyze, analyze_table, from_counts, from_stats
from leadlab.experiments.design import (
    assign, days_needed, design_effect, history, icc_anova, mde, power, sample_size,
)
from leadlab.experiments.metrics import DEFAULT_METRICS, STORE_METRICS, Metric
from leadlab.experiments.results import ExperimentResult

__all__ = [
    "DEFAULT_METRICS", "ExperimentResult", "Metric", "STORE_METRICS", "analyze", "analyze_table", "assign",
    "days_needed", "design_effect", "from_counts", "from_stats", "history", "icc_anova", "mde", "power", "sample_size",
]
