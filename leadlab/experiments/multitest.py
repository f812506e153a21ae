"""Multiple testing: which p-values form a family, and their Holm (family-wise error, used to
decide) and Benjamini–Hochberg (false discovery rate, shown alongside) adjustments.

Families: the treatment arms for the primary metric; arms × metrics for the other metrics
(guardrails apart: they have their own non-inferiority test); the funnel steps; the
segment tests. The adjustment itself is :func:`leadlab.experiments.stats.adjust`.

>>> import pandas as pd
>>> e = pd.DataFrame({"metric": ["m", "m", "k"], "guardrail": [False] * 3, "p_seq": [0.01, 0.04, 0.03]})
>>> effect_families(e, primary="m")[["p_decision", "p_holm", "p_adj"]].round(2).values.tolist()
[[0.02, 0.03, 0.02], [0.04, 0.06, 0.04], [nan, 0.06, 0.06]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadlab.experiments import stats as S


def effect_families(eff: pd.DataFrame, *, primary: str) -> pd.DataFrame:
    """Add ``p_holm``/``p_bh`` (arms × non-guardrail metrics), ``p_decision`` (Holm across arms,
    primary metric) and ``p_adj`` (the p-value that decides) to a comparison table with ``p_seq``."""
    main = ~eff.guardrail.to_numpy(bool)
    p = eff.p_seq.to_numpy(float)
    holm, bh, dec = np.full(len(p), np.nan), np.full(len(p), np.nan), np.full(len(p), np.nan)
    holm[main], bh[main] = S.adjust(p[main], "holm"), S.adjust(p[main], "fdr_bh")
    prim = (eff.metric.to_numpy() == primary) & main
    dec[prim] = S.adjust(p[prim], "holm")
    # numpy arrays, one assign: a few comparisons, where pandas' .loc cost more than the tests
    return eff.assign(p_holm=holm, p_bh=bh, p_decision=dec, p_adj=np.where(prim, dec, holm))


def step_family(funnel: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Funnel steps: ``step_p_holm`` across every step comparison; ``diverges`` when below ``alpha``."""
    f = funnel.copy()
    f["step_p_holm"] = S.adjust(f.step_p, "holm")
    f["diverges"] = f.step_p_holm < alpha
    return f


def segment_family(segments: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Segment tests: ``p_holm`` and ``p_bh`` across all of them; ``significant`` = BH below ``alpha``."""
    s = segments.copy()
    s["p_holm"] = S.adjust(s.p_value, "holm")
    s["p_bh"] = S.adjust(s.p_value, "fdr_bh")
    s["significant"] = s.p_bh < alpha
    return s
