"""Scores 0–100, grades A–D and priority quartiles.

Grades come from score bands: by default the cut points are set at training so that
A = the top 10 % of training scores, B = the next 20 %, C = the next 30 %, D = the rest;
explicit bands (minimum score per grade, e.g. ``{"A": 40, "B": 20, "C": 10}``) override.
Priority 1–4 uses the training score quartiles (1 = call first), so a lead's priority does
not depend on which other leads are scored in the same batch.

>>> import numpy as np
>>> cuts = {"A": 40.0, "B": 20.0, "C": 10.0}
>>> grade(np.array([55.0, 25.0, 12.0, 3.0]), cuts).tolist()
['A', 'B', 'C', 'D']
>>> priority(np.array([55.0, 3.0]), [30.0, 15.0, 5.0]).tolist()
[1, 4]
"""

from __future__ import annotations

import numpy as np

from leadlab.errors import ConfigError

GRADES = ("A", "B", "C", "D")
DEFAULT_SHARES = {"A": 0.10, "B": 0.20, "C": 0.30}


def bands_from_scores(scores: np.ndarray, shares: dict[str, float] | None = None) -> dict[str, float]:
    """Minimum score for A, B, C so that the top ``shares`` of ``scores`` get each grade."""
    shares = shares or DEFAULT_SHARES
    total, cuts = 0.0, {}
    for g in GRADES[:3]:
        total += shares[g]
        cuts[g] = float(np.quantile(scores, 1 - total))
    return cuts


def check_bands(bands: dict[str, float]) -> dict[str, float]:
    """Validate explicit bands: A, B, C minimum scores within 0–100, strictly decreasing."""
    try:
        vals = [float(bands[g]) for g in GRADES[:3]]
    except (KeyError, TypeError, ValueError):
        raise ConfigError(f"grade bands {bands!r}: give a minimum score for A, B and C, e.g. A=40,B=20,C=10") from None
    if not all(0 <= v <= 100 for v in vals) or not (vals[0] > vals[1] > vals[2]):
        raise ConfigError(f"grade bands {bands!r}: minimum scores must be within 0–100 and decrease from A to C")
    return dict(zip(GRADES[:3], vals))


def parse_bands(text: str) -> dict[str, float]:
    """``"A=40,B=20,C=10"`` → bands."""
    try:
        pairs = dict(part.split("=", 1) for part in text.split(",") if part.strip())
        return check_bands({k.strip().upper(): float(v) for k, v in pairs.items()})
    except ValueError:
        raise ConfigError(f"--bands {text!r}: expected A=40,B=20,C=10") from None


def grade(scores: np.ndarray, bands: dict[str, float]) -> np.ndarray:
    """Grade letters for scores 0–100."""
    s = np.asarray(scores, float)
    out = np.full(s.shape, "D", dtype=object)
    for g in ("C", "B", "A"):
        out[s >= bands[g]] = g
    return out


def priority(scores: np.ndarray, cuts: list[float]) -> np.ndarray:
    """Priority quartile 1–4 from the descending cut points (training score quartiles)."""
    s = np.asarray(scores, float)
    c = sorted(cuts, reverse=True)
    return 1 + (s < c[0]).astype(np.int64) + (s < c[1]) + (s < c[2])


def quartile_cuts(scores: np.ndarray) -> list[float]:
    return [float(np.quantile(scores, q)) for q in (0.75, 0.5, 0.25)]
