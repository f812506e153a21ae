"""Per-lead reasons: the factors that push a lead's score up or down.

Contributions are on the calibrated log-odds scale (the scale on which factors add up).

* **Logistic model — exact.** Each encoded column k contributes ``a · coef_k · (z_k − mean_k)``
  (``mean_k`` its training mean, ``a`` the Platt calibration slope, 1 without calibration);
  one-hot columns and missing-value indicators are summed back to their input feature. The
  contributions of a lead add up exactly to its log-odds minus the reference log-odds (the
  log-odds of the average training lead, :func:`reference_logit`).
* **Gradient boosting — "replace with the typical value".** For each feature, the contribution
  is the lead's log-odds minus its log-odds when that one feature is set to the typical training
  value (median for numbers, most frequent category) with the others kept. This is a one-at-a-time
  ablation, not SHAP (the ``shap`` package is not a dependency): it is exact for additive models
  and can miss interactions; the contributions need not add up to the total. Tests check that it
  recovers the dominant driver on data with a known one.

>>> import numpy as np, pandas as pd
>>> from leadlab.scoring.model import LeadScorer
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame({"source": rng.choice(["web", "event"], 3000), "views": rng.poisson(3, 3000)})
>>> y = (rng.random(3000) < np.where(X.source == "event", 0.5, 0.05)).astype(int)
>>> s = LeadScorer(model_kind="logistic").fit(X, y)
>>> reasons(s, X.head(1), top=1).loc[0, "up_1"].startswith("source")
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from leadlab.scoring.features import OTHER


def _platt(scorer) -> tuple[float, float]:
    cal = scorer.calibrator_
    if isinstance(cal, tuple):
        return cal
    return 1.0, 0.0


def _encoded_groups(scorer) -> list[tuple[str, np.ndarray]]:
    """For the logistic pipeline: (model input column, indices of its encoded columns)."""
    enc = scorer.model_.named_steps["encode"]
    groups: dict[str, list[int]] = {}
    for name, trans, cols in enc.transformers_:
        if name == "remainder" or trans == "drop":
            continue
        sl = enc.output_indices_[name]
        start = sl.start
        if name == "cat":
            for c, cats in zip(cols, trans.categories_):
                groups.setdefault(c, []).extend(range(start, start + len(cats)))
                start += len(cats)
        else:
            imputer = trans.named_steps["impute"]
            for c in cols:
                groups.setdefault(c, []).append(start)
                start += 1
            if imputer.indicator_ is not None:
                for j in imputer.indicator_.features_:
                    groups.setdefault(cols[j], []).append(start)
                    start += 1
    return [(c, np.asarray(ix)) for c, ix in groups.items()]


def reference_logit(scorer) -> float:
    """Log-odds of the reference lead for the logistic model (contributions add up to the rest)."""
    check_is_fitted(scorer, "model_")
    if scorer.kind_ != "logistic":
        raise ValueError("reference_logit applies to the logistic model; tree contributions are ablations")
    lr = scorer.model_.named_steps["logistic"]
    a, b = _platt(scorer)
    return float(a * (lr.intercept_[0] + lr.coef_[0] @ scorer.encoded_mean_) + b)


def contributions(scorer, X: pd.DataFrame) -> pd.DataFrame:
    """Per-lead contribution of each model input (log-odds), same index as ``X``."""
    check_is_fitted(scorer, "model_")
    Xt = scorer._transform(X)
    a, b = _platt(scorer)
    if scorer.kind_ == "logistic":
        lr = scorer.model_.named_steps["logistic"]
        Z = scorer.model_.named_steps["encode"].transform(Xt)
        Z = Z.toarray() if hasattr(Z, "toarray") else np.asarray(Z)
        terms = a * lr.coef_[0] * (Z - scorer.encoded_mean_)
        out = {c: terms[:, ix].sum(axis=1) for c, ix in _encoded_groups(scorer)}
        return pd.DataFrame(out, index=X.index)[[c for c in Xt.columns if c in out]]
    def logodds(frame):
        p = np.clip(scorer.model_.predict_proba(frame)[:, 1], 1e-6, 1 - 1e-6)
        z = np.log(p / (1 - p))
        return a * z + b if isinstance(scorer.calibrator_, tuple) else z
    full = logodds(Xt)
    out = {}
    for c in Xt.columns:
        alt = Xt.copy()
        alt[c] = scorer.reference_row_[c]
        out[c] = full - logodds(alt)
    return pd.DataFrame(out, index=X.index)


def _label(scorer, col: str, value) -> str:
    ff = scorer.features_
    if col in ff.categories_:
        cats = ff.categories_[col]
        text = cats[int(value)] if value == value and 0 <= int(value) < len(cats) else OTHER
        return f"{col} = {text}"
    if value != value:
        return f"{col} missing"
    if col.endswith("_business_hours"):
        return f"{col[:-len('_business_hours')]} {'in' if value >= 0.5 else 'outside'} business hours"
    if col.endswith(("_hour", "_weekday", "_month")):
        part = col.rsplit("_", 1)[1]
        v = int(value)
        if part == "weekday":
            v = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[v]
        elif part == "month":
            v = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[v]
        return f"{col} = {v}"
    return f"{col} = {value:.4g}"


def reasons(scorer, X: pd.DataFrame, top: int = 3, min_abs: float = 0.02) -> pd.DataFrame:
    """The ``top`` factors raising (``up_1``…) and lowering (``down_1``…) each lead's score,
    as text like ``"source = referral (+0.62)"`` (log-odds); empty when a factor is negligible."""
    contrib = contributions(scorer, X)
    Xt = scorer._transform(X)
    vals = contrib.to_numpy()
    cols = list(contrib.columns)
    out = {f"up_{i + 1}": [""] * len(X) for i in range(top)}
    out.update({f"down_{i + 1}": [""] * len(X) for i in range(top)})
    order = np.argsort(-vals, axis=1)
    xt = Xt[cols].to_numpy()
    for r in range(len(X)):
        ups = [j for j in order[r] if vals[r, j] > min_abs][:top]
        downs = [j for j in order[r][::-1] if vals[r, j] < -min_abs][:top]
        for i, j in enumerate(ups):
            out[f"up_{i + 1}"][r] = f"{_label(scorer, cols[j], xt[r, j])} ({vals[r, j]:+.2f})"
        for i, j in enumerate(downs):
            out[f"down_{i + 1}"][r] = f"{_label(scorer, cols[j], xt[r, j])} ({vals[r, j]:+.2f})"
    return pd.DataFrame(out, index=X.index)
