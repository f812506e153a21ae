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
    df = eff.copy()
    mode = plan.mode
    df["p_seq"] = df.p_always_valid if mode == "always-valid" else df.p_value
    df = effect_families(df, primary=primary)
    main = ~df.guardrail.astype(bool)
    level = plan.level(alpha)
    df["level"] = level
    df["significant"] = (df.p_adj < level) & main
    if mode == "group":
        q = special.stdtrit(df.df.astype(float).to_numpy(), 1 - level / 2)
        df["seq_ci_low"] = df.effect - q * df.se
        df["seq_ci_high"] = df.effect + q * df.se
    elif mode == "always-valid":
        df["seq_ci_low"], df["seq_ci_high"] = df.seq_cs_low, df.seq_cs_high
    else:
        df["seq_ci_low"] = df["seq_ci_high"] = np.nan
    return df
