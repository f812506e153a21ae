"""Scorer metrics: discrimination, calibration, lift, with bootstrap intervals.

All functions take the true 0/1 outcomes and predicted probabilities of a holdout.
ECE uses 10 equal-count bins (adaptive ECE): with low base rates, equal-width bins
would put almost every lead in the first bin and hide miscalibration.

>>> import numpy as np
>>> y = np.array([0, 0, 1, 1]); p = np.array([0.1, 0.4, 0.35, 0.8])
>>> round(metrics(y, p)["roc_auc"], 3)
0.75
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

HEADLINE = ("roc_auc", "pr_auc", "brier", "ece", "lift_top_decile")


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC by the Mann–Whitney rank formula (ties get mid-ranks); equals sklearn's roc_auc_score."""
    from scipy.stats import rankdata

    y = np.asarray(y).astype(bool)
    n1 = y.sum()
    n0 = len(y) - n1
    r = rankdata(p)
    return float((r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


class ResampledAuc:
    """ROC AUC of bootstrap resamples from one sort of the scores: a resample is given by its row
    indices; its AUC is the Mann–Whitney statistic from each row's multiplicity (``np.bincount``)
    summed per tie group of the scores: O(n) per resample instead of a sort. Equals :func:`auc`
    of ``y[idx], p[idx]`` (mid-ranks for ties; integer counts, so no rounding beyond the last ulp).

    >>> y = np.array([0, 0, 1, 1, 0]); p = np.array([0.1, 0.4, 0.35, 0.8, 0.4])
    >>> idx = np.array([0, 1, 1, 2, 3, 4, 4])
    >>> r = ResampledAuc(y, p)
    >>> r(idx) == auc(y[idx], p[idx])
    True
    >>> bool(np.isclose(r.average_precision(*r.counts(idx)), average_precision_score(y[idx], p[idx])))
    True
    """

    def __init__(self, y: np.ndarray, p: np.ndarray):
        p = np.asarray(p, dtype=float)
        self.y = np.asarray(y).astype(bool)
        self.values, self.group = np.unique(p, return_inverse=True)
        self.n_groups = len(self.values)
        self.rows = np.argsort(p, kind="stable")  # rows by score, ascending
        self.y_rows, self.p_rows = self.y[self.rows].astype(float), p[self.rows]

    def weights(self, idx: np.ndarray) -> np.ndarray:
        """How often each row is in the resample ``idx``."""
        return np.bincount(idx, minlength=len(self.y))

    def counts(self, idx: np.ndarray, w: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Positives and negatives of the resample per tie group, scores ascending."""
        w = (self.weights(idx) if w is None else w).astype(np.float64)
        pos = np.bincount(self.group, weights=w * self.y, minlength=self.n_groups)
        neg = np.bincount(self.group, weights=w, minlength=self.n_groups) - pos
        return pos, neg

    def __call__(self, idx: np.ndarray) -> float:
        return self.roc_auc(*self.counts(idx))

    @staticmethod
    def roc_auc(pos: np.ndarray, neg: np.ndarray) -> float:
        """ROC AUC from per-tie-group counts (scores ascending)."""
        below = np.cumsum(neg) - neg
        return float(np.dot(pos, below + 0.5 * neg) / (pos.sum() * neg.sum()))

    def sorted_values(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The resample's outcomes (float) and scores in ascending score order, from the
        multiplicities ``w`` (``np.repeat`` over the rows sorted once): O(n), no sort."""
        wr = w[self.rows]
        return np.repeat(self.y_rows, wr), np.repeat(self.p_rows, wr)

    def cuts_are_clean(self, ps: np.ndarray, cuts, pos: np.ndarray, neg: np.ndarray) -> bool:
        """True when no cut position falls inside a run of tied scores holding both outcomes: there
        the rows a sort would put on each side depend on their order, so the caller sorts instead."""
        for b in cuts:
            if 0 < b < len(ps) and ps[b - 1] == ps[b]:
                g = int(np.searchsorted(self.values, ps[b]))
                if pos[g] > 0 and neg[g] > 0:
                    return False
        return True

    @staticmethod
    def average_precision(pos: np.ndarray, neg: np.ndarray) -> float:
        """Average precision (sklearn's ``average_precision_score``: Σ Δrecall · precision over the
        distinct scores, highest first) from per-tie-group counts (scores ascending)."""
        pos, neg = pos[::-1], neg[::-1]
        seen = (pos + neg) > 0
        pos, neg = pos[seen], neg[seen]
        tps = np.cumsum(pos)
        return float(np.sum(pos * (tps / (tps + np.cumsum(neg)))) / tps[-1])


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over ``bins`` equal-count bins of ``p``:
    Σ (n_b / n) · |mean(y_b) − mean(p_b)|."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    order = np.argsort(p, kind="stable")
    return _ece_sorted(y[order], p[order], bins)


def _bin_edges(n: int, bins: int) -> np.ndarray:
    """Start and end positions of ``np.array_split``'s ``bins`` near-equal parts of ``n`` items."""
    size, extra = divmod(n, bins)
    return np.concatenate([[0], np.cumsum([size + 1] * extra + [size] * (bins - extra))])


def _ece_sorted(ys: np.ndarray, ps: np.ndarray, bins: int = 10) -> float:
    """:func:`ece` of outcomes and scores already in ascending score order."""
    edges = _bin_edges(len(ys), bins)
    err = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        if b > a:
            err += (b - a) * abs(ys[a:b].mean() - ps[a:b].mean())
    return float(err / len(ys))


def ks_statistic(y: np.ndarray, p: np.ndarray) -> float:
    """Kolmogorov–Smirnov distance between the score distributions of positives and negatives."""
    y, p = np.asarray(y), np.asarray(p, float)
    order = np.argsort(-p, kind="stable")
    ys = y[order]
    tpr = np.cumsum(ys) / max(ys.sum(), 1)
    fpr = np.cumsum(1 - ys) / max((1 - ys).sum(), 1)
    return float(np.max(np.abs(tpr - fpr)))


def decile_table(y: np.ndarray, p: np.ndarray, groups: int = 10) -> pd.DataFrame:
    """Leads ranked by score into ``groups`` equal-count groups (1 = highest scores):
    leads, conversions, rate, mean predicted, lift, cumulative gains and lift."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    order = np.argsort(-p, kind="stable")
    rows, base = [], y.mean()
    cum_pos = cum_n = 0
    for i, chunk in enumerate(np.array_split(order, groups), start=1):
        n, pos = len(chunk), float(y[chunk].sum())
        cum_pos += pos
        cum_n += n
        rows.append({
            "decile": i, "leads": n, "conversions": int(pos), "rate": pos / n if n else np.nan,
            "mean_predicted": float(p[chunk].mean()) if n else np.nan,
            "min_score": float(p[chunk].min() * 100) if n else np.nan,
            "lift": (pos / n) / base if n and base else np.nan,
            "cum_share_leads": cum_n / len(y), "cum_gain": cum_pos / max(y.sum(), 1),
            "cum_lift": (cum_pos / cum_n) / base if base else np.nan,
        })
    return pd.DataFrame(rows)


def gains_curve(y: np.ndarray, p: np.ndarray, points: int = 101) -> pd.DataFrame:
    """Cumulative gains: share of conversions found when calling the top x% of leads."""
    y = np.asarray(y, float)
    order = np.argsort(-np.asarray(p, float), kind="stable")
    cum = np.concatenate([[0.0], np.cumsum(y[order])]) / max(y.sum(), 1)
    share = np.linspace(0, 1, points)
    return pd.DataFrame({"share_called": share, "share_conversions": cum[np.round(share * len(y)).astype(int)]})


def calibration_curve(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Mean predicted vs observed rate in ``bins`` equal-count bins."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    order = np.argsort(p, kind="stable")
    rows = []
    for chunk in np.array_split(order, bins):
        if len(chunk):
            rows.append({"mean_predicted": p[chunk].mean(), "observed_rate": y[chunk].mean(), "leads": len(chunk)})
    return pd.DataFrame(rows)


def metrics(y: np.ndarray, p: np.ndarray, *, base_rate: float | None = None) -> dict[str, float]:
    """Headline metrics of probabilities ``p`` for outcomes ``y``.

    ``brier_skill`` = 1 − Brier / Brier of always predicting ``base_rate`` (the training base
    rate when given, else the holdout's own rate)."""
    y, p = np.asarray(y, int), np.clip(np.asarray(p, float), 1e-6, 1 - 1e-6)
    br = y.mean() if base_rate is None else base_rate
    brier = brier_score_loss(y, p)
    ref = np.mean((y - br) ** 2)
    top = decile_table(y, p).iloc[0]
    return {
        "roc_auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
        "brier": float(brier),
        "brier_skill": float(1 - brier / ref) if ref > 0 else float("nan"),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "ece": ece(y, p),
        "ks": ks_statistic(y, p),
        "lift_top_decile": float(top["lift"]),
        "base_rate": float(y.mean()),
        "mean_predicted": float(p.mean()),
    }


def bootstrap_ci(
    y: np.ndarray, p: np.ndarray, *, n_boot: int = 200, level: float = 0.95, seed: int = 0,
    names: tuple[str, ...] = HEADLINE,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals (resampling holdout leads) for the headline metrics."""
    y, p = np.asarray(y, int), np.asarray(p, float)
    rng = np.random.default_rng(seed)
    draws = {k: [] for k in names}
    n = len(y)
    groups = ResampledAuc(y, p)
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        yb, pb = y[idx], p[idx]
        if yb.min() == yb.max():
            continue
        w = groups.weights(idx)
        pos, neg = groups.counts(idx, w)
        ys, ps = groups.sorted_values(w)  # the resample in ascending score order, ties by row
        if "roc_auc" in names:
            draws["roc_auc"].append(groups.roc_auc(pos, neg))
        if "pr_auc" in names:
            draws["pr_auc"].append(groups.average_precision(pos, neg))
        if "brier" in names:
            draws["brier"].append(np.mean((yb - pb) ** 2))
        if "ece" in names:
            # equal to ece(yb, pb) unless a bin edge splits tied scores with both outcomes
            clean = groups.cuts_are_clean(ps, _bin_edges(n, 10)[1:-1], pos, neg)
            draws["ece"].append(_ece_sorted(ys, ps) if clean else ece(yb, pb))
        if "lift_top_decile" in names:
            k = max(n // 10, 1)
            if groups.cuts_are_clean(ps, [n - k], pos, neg):
                top_rate = ys[n - k:].mean()
            else:  # which tied rows argpartition keeps is its own choice: ask it
                top_rate = yb[np.argpartition(-pb, k - 1)[:k]].mean()
            draws["lift_top_decile"].append(top_rate / yb.mean())
    a = (1 - level) / 2
    return {k: (float(np.quantile(v, a)), float(np.quantile(v, 1 - a))) for k, v in draws.items() if v}
