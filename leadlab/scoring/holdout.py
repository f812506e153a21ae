"""Training step 4, evaluation on the holdout: metrics with bootstrap intervals, the simple
baseline, decile / calibration / gains tables and drift between training and test rows.

The baseline is a one-column model: per-category training rates of ``source`` when there is
such a column, else of the best single feature by training AUC (per category, or per training
decile for numbers), shrunk towards the training base rate (10 pseudo-rows).

>>> import numpy as np, pandas as pd
>>> from leadlab.scoring.features import plan_features
>>> tr = pd.DataFrame({"source": ["web", "web", "event", "event"]})
>>> te = pd.DataFrame({"source": ["event", "web", "fair"]})
>>> name, p = baseline_scores(tr, np.array([0, 0, 1, 0]), te, plan_features(tr.assign(x=[1, 2, 3, 4])))
>>> name, np.round(p, 3).tolist()
('source', [0.292, 0.208, 0.25])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadlab.scoring import evaluate as ev
from leadlab.scoring.features import FeaturePlan
from leadlab.scoring.model import LeadScorer
from leadlab.scoring.monitor import profile_column, profile_frame, psi_table
from leadlab.scoring.prepare import Prepared


@dataclass
class Evidence:
    """What the holdout shows about a scorer fit on the training rows."""

    metrics: dict[str, float]
    ci: dict[str, tuple[float, float]]
    baseline_name: str  # the column the baseline uses
    baseline: dict[str, float]
    deciles: pd.DataFrame
    calibration: pd.DataFrame
    gains: pd.DataFrame
    drift: pd.DataFrame
    p_test: np.ndarray
    unseen: dict[str, int]


def baseline_scores(frame_tr: pd.DataFrame, y_tr, frame_te: pd.DataFrame, plan: FeaturePlan) -> tuple[str, np.ndarray]:
    """The baseline's column and its predicted rates for the test rows."""
    prior = float(np.mean(y_tr))
    if "source" in plan.categorical:
        col = "source"
    else:
        cands = {c: a for c, a in plan.single_auc.items() if c in plan.features}
        col = max(cands, key=cands.get) if cands else plan.features[0]
    if col in plan.categorical or col in plan.boolean:
        key_tr = frame_tr[col].astype("string").fillna("(missing)")
        key_te = frame_te[col].astype("string").fillna("(missing)")
    else:
        v_tr = pd.to_numeric(frame_tr[col], errors="coerce") if col not in plan.timestamp else frame_tr[col].astype("int64")
        v_te = pd.to_numeric(frame_te[col], errors="coerce") if col not in plan.timestamp else frame_te[col].astype("int64")
        edges = np.unique(np.nanquantile(v_tr, np.linspace(0.1, 0.9, 9)))
        key_tr = pd.Series(np.searchsorted(edges, v_tr), index=frame_tr.index).astype("string")
        key_te = pd.Series(np.searchsorted(edges, v_te), index=frame_te.index).astype("string")
    stats = pd.DataFrame({"k": key_tr.to_numpy(), "y": np.asarray(y_tr)}).groupby("k")["y"].agg(["sum", "count"])
    rate = (stats["sum"] + 10 * prior) / (stats["count"] + 10)
    return col, key_te.map(rate).astype("float64").fillna(prior).to_numpy()


def drift_columns(scorer: LeadScorer) -> tuple[list[str], list[str]]:
    """The model inputs whose drift is watched (categorical, numeric); the calendar month always
    differs between two periods, so it is no drift signal and left out."""
    ft = scorer.features_
    calendar = {f"{c}_month" for c in ft.timestamp_}
    cat = [c for c in ft.feature_names_out_ if c in ft.categorical_out_ and c not in calendar]
    num = [c for c in ft.feature_names_out_ if c not in ft.categorical_out_ and c not in calendar]
    return cat, num


def as_text(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` with ``columns`` as pandas text, each distinct value converted once: the same text
    as ``astype("string")`` row by row (which the drift profiles apply to category codes), much faster.

    >>> as_text(pd.DataFrame({"c": [1.0, np.nan, 1.0], "x": [0.5, 1, 2]}), ["c"]).c.tolist()
    ['1.0', <NA>, '1.0']
    """
    out = frame.copy(deep=False)
    for c in columns:
        codes, uniques = pd.factorize(frame[c], use_na_sentinel=True)
        text = pd.Series(uniques).astype("string").array
        out[c] = pd.Series(text.take(codes, allow_fill=True), index=frame.index)
    return out


def evaluate_holdout(prep: Prepared, scorer: LeadScorer, *, n_boot: int, seed: int) -> Evidence:
    """Metrics, intervals, baseline, curves and train → test drift of ``scorer`` (fit on the training rows)."""
    cols = prep.columns
    f_tr, f_te = prep.frame.iloc[prep.train], prep.frame.iloc[prep.test]
    y_tr, y_te = prep.y[prep.train], prep.y[prep.test]
    p_te = scorer.predict_proba(f_te[cols])[:, 1]
    p_tr = scorer.predict_proba(f_tr[cols])[:, 1]
    base_rate = float(y_tr.mean())
    m = ev.metrics(y_te, p_te, base_rate=base_rate)
    ci = ev.bootstrap_ci(y_te, p_te, n_boot=n_boot, seed=seed)
    bname, p_base = baseline_scores(f_tr, y_tr, f_te, prep.plan)
    base = ev.metrics(y_te, p_base, base_rate=base_rate)
    ft = scorer.features_
    cat_out, num_out = drift_columns(scorer)
    profiles = profile_frame(as_text(ft.transform(f_tr[cols]), cat_out), cat_out, num_out)
    drift = psi_table(profiles, as_text(ft.transform(f_te[cols]), cat_out), 100 * p_te, profile_column(100 * p_tr))
    return Evidence(m, ci, bname, base, ev.decile_table(y_te, p_te), ev.calibration_curve(y_te, p_te),
                    ev.gains_curve(y_te, p_te), drift, p_te, ft.unseen_counts(f_te[cols]))


__all__ = ["Evidence", "as_text", "baseline_scores", "drift_columns", "evaluate_holdout"]
