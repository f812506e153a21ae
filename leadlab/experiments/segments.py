"""The primary metric's effect per segment (lead source, region, team): one grouped query per
dimension, the same estimation as the main analysis, Holm and BH across all segment tests.

A segment is skipped when the control or every treatment arm is missing from it, or when an
arm has fewer than 2 units with a value.
"""

from __future__ import annotations

import warnings

import pandas as pd

from leadlab.errors import DataError
from leadlab.experiments.effects import effects_table
from leadlab.experiments.metrics import Metric
from leadlab.experiments.moments import collect
from leadlab.experiments.multitest import segment_family

#: Columns of the segments table.
SEGMENT_COLUMNS = ["dimension", "segment", "metric", "arm", "control", "units", "control_units", "control_value",
                   "value", "effect", "ci_low", "ci_high", "rel_effect", "p_value"]

#: Default dimensions per randomization unit.
DEFAULT_DIMENSIONS = {"lead": ["source", "region", "team"], "rep": ["team"]}


def segment_effects(u, metric: Metric, dims: list[str], control: str, *, unit_is_lead: bool,
                    alpha: float) -> pd.DataFrame:
    """One row per (dimension, segment value, treatment arm) of ``metric``, the unit table ``u``."""
    parts = []
    for dim in dims:
        if dim not in u.columns:
            continue
        for seg, tab in collect(u, [metric], arm="arm", by=dim).items():
            if control not in tab.names or len(tab.names) < 2:
                continue
            tab = tab.ordered(control)
            if any(a.moments[metric.name].n < 2 for a in tab.arms):
                continue
            try:
                e = effects_table(tab, [metric], control=control, unit_is_lead=unit_is_lead, unit_label="",
                                  alpha=alpha, alternative="two-sided", clustered=not unit_is_lead)
            except DataError:
                continue
            parts.append(e.assign(dimension=dim, segment=seg)[SEGMENT_COLUMNS])
    if not parts:
        return pd.DataFrame(columns=SEGMENT_COLUMNS + ["p_holm", "p_bh", "significant"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        s = pd.concat(parts, ignore_index=True)
    return segment_family(s, alpha)
