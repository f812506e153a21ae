"""Drift monitoring: population stability index (PSI) per feature and for the score,
calibration drift, and a retrain recommendation.

PSI = Σ (a − e) · ln(a / e) over bins, with e the reference (training window) share and a
the current share of each bin (shares floored at 1e-4). Bins: the reference deciles for
numbers (plus a bin for missing values), the reference categories (plus ``(other)``) for
categories. Thresholds: < 0.1 stable, 0.1–0.25 moderate shift, ≥ 0.25 major shift.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> prof = profile_column(rng.normal(size=5000))
>>> round(psi(prof, rng.normal(size=5000)), 3) < 0.1, psi(prof, rng.normal(1, 1, 5000)) > 0.25
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MODERATE, MAJOR = 0.10, 0.25
FLOOR = 1e-4


def level(value: float, moderate: float = MODERATE, major: float = MAJOR) -> str:
    """``stable`` / ``moderate`` / ``major`` for a PSI value."""
    if value is None or not np.isfinite(value):
        return "n/a"
    return "major" if value >= major else "moderate" if value >= moderate else "stable"


def profile_column(values, *, categorical: bool = False, bins: int = 10, max_categories: int = 30) -> dict:
    """The reference distribution of one column as a JSON-able dict (bins and shares)."""
    s = pd.Series(values)
    n = max(len(s), 1)
    if categorical:
        text = s.astype("string").fillna("(missing)")
        counts = text.value_counts()
        top = counts.index[:max_categories].tolist()
        shares = (counts.loc[top] / n).tolist()
        other = 1 - sum(shares)
        return {"kind": "categorical", "categories": [str(c) for c in top], "shares": shares + [max(other, 0.0)]}
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    finite = v[~np.isnan(v)]
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1])) if len(finite) else np.array([])
    counts = _numeric_counts(v, edges)
    return {"kind": "numeric", "edges": edges.tolist(), "shares": (counts / n).tolist()}


def _numeric_counts(v: np.ndarray, edges: np.ndarray) -> np.ndarray:
    miss = np.isnan(v)
    idx = np.searchsorted(edges, v[~miss], side="right")
    counts = np.bincount(idx, minlength=len(edges) + 1).astype(float)
    return np.append(counts, miss.sum())


def current_shares(profile: dict, values) -> np.ndarray:
    """Shares of ``values`` in the bins of ``profile``."""
    s = pd.Series(values)
    n = max(len(s), 1)
    if profile["kind"] == "categorical":
        text = s.astype("string").fillna("(missing)")
        cats = profile["categories"]
        counts = text.value_counts()
        shares = [float(counts.get(c, 0)) / n for c in cats]
        return np.array(shares + [max(1 - sum(shares), 0.0)])
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return _numeric_counts(v, np.asarray(profile["edges"], float)) / n


def psi(profile: dict, values) -> float:
    """Population stability index of ``values`` against the reference ``profile``."""
    e = np.maximum(np.asarray(profile["shares"], float), FLOOR)
    a = np.maximum(current_shares(profile, values), FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def profile_frame(frame: pd.DataFrame, categorical: list[str], numeric: list[str]) -> dict[str, dict]:
    """Profiles of several columns (categorical ones by category, others by decile)."""
    out = {c: profile_column(frame[c], categorical=True) for c in categorical if c in frame}
    out.update({c: profile_column(frame[c]) for c in numeric if c in frame})
    return out


def psi_table(profiles: dict[str, dict], frame: pd.DataFrame, scores: np.ndarray | None = None,
              score_profile: dict | None = None) -> pd.DataFrame:
    """PSI per feature (and for the score), sorted largest first, with its level."""
    rows = [{"feature": c, "psi": psi(p, frame[c])} for c, p in profiles.items() if c in frame]
    if scores is not None and score_profile is not None:
        rows.append({"feature": "score", "psi": psi(score_profile, scores)})
    out = pd.DataFrame(rows, columns=["feature", "psi"])
    out["level"] = [level(v) for v in out["psi"]]
    return out.sort_values("psi", ascending=False, kind="stable").reset_index(drop=True)


@dataclass
class CalibrationDrift:
    """Predicted vs observed conversion rate of mature leads in a window."""

    window: str
    leads: int
    predicted_rate: float
    observed_rate: float
    ece: float
    z: float
    note: str = ""

    @property
    def relative_gap(self) -> float:
        return (self.observed_rate - self.predicted_rate) / self.predicted_rate if self.predicted_rate else float("nan")

    @property
    def level(self) -> str:
        if self.leads < 100 or not np.isfinite(self.z) or abs(self.z) < 2:
            return "stable"
        gap = abs(self.relative_gap)
        return "major" if gap >= 0.25 else "moderate" if gap >= 0.10 else "stable"


def calibration_drift(y: np.ndarray, p: np.ndarray, window: str, note: str = "") -> CalibrationDrift:
    from leadlab.scoring.evaluate import ece

    y, p = np.asarray(y, float), np.asarray(p, float)
    if len(y) == 0:
        return CalibrationDrift(window, 0, float("nan"), float("nan"), float("nan"), float("nan"), note)
    se = np.sqrt(np.sum(p * (1 - p))) / len(y)
    z = (y.mean() - p.mean()) / se if se > 0 else float("nan")
    return CalibrationDrift(window, len(y), float(p.mean()), float(y.mean()), ece(y, p), float(z), note)


def recommend(psis: pd.DataFrame, calib: CalibrationDrift | None, top_features: list[str] | None = None) -> tuple[str, list[str]]:
    """``retrain`` / ``watch`` / ``no action`` and the reasons, from PSI levels and calibration drift.

    Retrain when the score's PSI or a top feature's PSI is major, or calibration drifted majorly;
    watch on any moderate signal (or a major shift in a minor feature)."""
    reasons: list[str] = []
    action = "no action"
    score = psis[psis.feature == "score"]
    top = set(top_features or psis.feature)
    for _, r in psis.iterrows():
        if r.level == "major" and (r.feature == "score" or r.feature in top):
            action = "retrain"
            reasons.append(f"{'the score' if r.feature == 'score' else r.feature} shifted majorly (PSI {r.psi:.2f} ≥ {MAJOR})")
    if calib is not None and calib.level == "major":
        action = "retrain"
        reasons.append(f"calibration drifted: observed {calib.observed_rate:.1%} vs predicted {calib.predicted_rate:.1%} ({calib.window})")
    if action != "retrain":
        moderate = [r for _, r in psis.iterrows() if r.level in ("moderate", "major")]
        if moderate or (calib is not None and calib.level == "moderate"):
            action = "watch"
            reasons += [f"{r.feature} shifted ({r.level}, PSI {r.psi:.2f})" for r in moderate[:5]]
            if calib is not None and calib.level == "moderate":
                reasons.append(f"calibration moved: observed {calib.observed_rate:.1%} vs predicted {calib.predicted_rate:.1%}")
    if not reasons:
        worst = float(psis.psi.max()) if len(psis) else 0.0
        reasons.append(f"every PSI below {MODERATE} (largest {worst:.3f}) and calibration holds")
    _ = score
    return action, reasons
