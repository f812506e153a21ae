"""The one decision rule: which comparisons are significant at this look.

Everything that says "significant" — the verdict, the sequential status, the table stars,
the forest-plot colours, the report's status column — reads the ``significant`` column set
here, so they cannot disagree.

* **p-value of the look** (``p_seq``): the fixed-horizon p-value (z, Welch t, or small-sample
  t for reps) for a single look and for group-sequential looks; the always-valid p-value of
  the confidence sequence when leads accrue and the test is monitored.
* **multiple testing** (``p_adj``, :mod:`leadlab.experiments.multitest`): Holm across the treatment arms for the primary metric,
  Holm across arms × metrics for the other metrics (guardrails apart); Benjamini–Hochberg
  alongside for reading, never for deciding.
* **level of the look** (``level``): alpha for one look and for always-valid p-values; the
  nominal level of the Lan–DeMets O'Brien–Fleming boundary at this look for a
  group-sequential design (:mod:`leadlab.experiments.sequential`).
* **significant** = ``p_adj < level`` (never for guardrails).

>>> import pandas as pd
>>> from leadlab.experiments.sequential import LookPlan
>>> e = pd.DataFrame({"metric": ["m"], "arm": ["B"], "guardrail": [False], "p_value": [0.01],
...                   "p_always_valid": [0.2], "effect": [1.0], "se": [0.4], "df": [14.0],
...                   "seq_cs_low": [-1.0], "seq_cs_high": [3.0]})
>>> bool(decide(e, alpha=0.05, plan=LookPlan(None, 1), primary="m").significant.iloc[0])
True
>>> bool(decide(e, alpha=0.05, plan=LookPlan(10, 3, fixed_units=True), primary="m").significant.iloc[0])
False
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from leadlab.experiments.multitest import effect_families
from leadlab.experiments.sequential import LookPlan


def decide(eff: pd.DataFrame, *, alpha: float, plan: LookPlan, primary: str) -> pd.DataFrame:
    """Add ``p_seq``, ``p_holm``, ``p_bh``, ``p_decision``, ``p_adj``, ``level``,
    ``significant`` and the sequential interval (``seq_ci_low``/``seq_ci_high``) that goes
    with the look: the repeated confidence interval of the group-sequential boundary, the
    always-valid interval, or none for a single look."""
    mode = plan.mode
    df = effect_families(eff.assign(p_seq=eff.p_always_valid if mode == "always-valid" else eff.p_value),
                         primary=primary)
    level = plan.level(alpha)
    if mode == "group":
        q = special.stdtrit(df.df.to_numpy(float), 1 - level / 2)
        effect, se = df.effect.to_numpy(float), df.se.to_numpy(float)
        low, high = effect - q * se, effect + q * se
    elif mode == "always-valid":
        low, high = df.seq_cs_low.to_numpy(float), df.seq_cs_high.to_numpy(float)
    else:
        low, high = np.full(len(df), np.nan), np.full(len(df), np.nan)
    return df.assign(level=level, significant=(df.p_adj.to_numpy(float) < level) & ~df.guardrail.to_numpy(bool),
                     seq_ci_low=low, seq_ci_high=high)
