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
from leadlab.experiments.planning import TestPlan, check_alpha, plan_test
from leadlab.experiments.report import ExperimentReport, experiment_report, section, styled
from leadlab.experiments.results import ExperimentResult, Notice
from leadlab.experiments.texts import assigned_text
from leadlab.experiments.validation import parse_arm_option, parse_assign_options

__all__ = [
    "DEFAULT_METRICS", "ExperimentReport", "ExperimentResult", "Metric", "Notice", "STORE_METRICS", "TestPlan",
    "analyze", "analyze_table", "assign", "assigned_text", "check_alpha", "days_needed", "design_effect", "experiment_report", "from_counts",
    "from_stats", "history", "icc_anova", "mde", "parse_arm_option", "parse_assign_options", "plan_test", "power", "sample_size", "section", "styled",
]
