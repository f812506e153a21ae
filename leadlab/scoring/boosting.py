"""Batch prediction of a fitted ``HistGradientBoostingClassifier`` from encoded columns
(:meth:`~leadlab.scoring.features.FeatureFrame.transform_arrow`), straight to the model's bins.

scikit-learn's ``predict_proba`` copies the columns into a float matrix, runs its own ordinal
encoder over the category codes, bins every column, then walks the trees. :class:`BinnedBooster`
does the same arithmetic with less copying: each category column (integer codes, NaN for missing)
is binned by a lookup table built by running scikit-learn's own preprocessing and binning on every
possible code once; each number by the model's bin thresholds (scikit-learn's own binning routine
on a one-column view, no copy); columns no tree splits on are left unbinned. The trees are then
evaluated on the uint8 matrix by leaf masks (:mod:`leadlab.scoring.leafmasks`, about ten times
less CPU than scikit-learn's tree walk), or by scikit-learn's predictor for trees of more than 64
leaves; either way the leaf values are added in scikit-learn's order, so the log-odds are
bit-for-bit scikit-learn's.

>>> import numpy as np, pandas as pd
>>> from sklearn.ensemble import HistGradientBoostingClassifier
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame({"code": rng.integers(0, 4, 500).astype(float), "x": rng.normal(size=500)})
>>> y = (X.x + (X.code == 2) + rng.normal(size=500) > 0.5).astype(int)
>>> m = HistGradientBoostingClassifier(max_iter=20, categorical_features=[True, False]).fit(X, y)
>>> b = BinnedBooster(m, {"code": 4})
>>> cols = {"code": np.array([0.0, 3.0, np.nan]), "x": np.array([-1.0, 2.0, np.nan])}
>>> bool(np.allclose(b.raw(cols, threads=1), m.decision_function(pd.DataFrame(cols)), rtol=0, atol=1e-12))
True
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd
from sklearn.ensemble._hist_gradient_boosting._binning import _map_to_bins

from leadlab.scoring.leafmasks import LeafMaskForest


class BinnedBooster:
    """A fitted binary ``HistGradientBoostingClassifier`` (fit on a DataFrame of encoded columns)
    ready to predict from a dict of float columns. ``category_sizes``: number of codes of each
    categorical column (codes 0 .. size-1; NaN is missing). Raises ``ValueError`` (or
    ``AttributeError`` on another scikit-learn) when the model is not of the expected form; the
    caller then uses ``predict_proba``."""

    def __init__(self, model, category_sizes: dict[str, int]):
        if model.n_trees_per_iteration_ != 1:
            raise ValueError("not a binary boosting model")
        self.model = model
        self.predictors = model._predictors
        self.names = [str(c) for c in model.feature_names_in_]
        n = len(self.names)
        mask = getattr(model, "_is_categorical_remapped", None)
        pre = model._preprocessor
        if pre is None:  # no categorical column: the binned columns are the input columns
            order = np.arange(n)
            categorical = np.zeros(n, dtype=bool)
        else:  # scikit-learn's ColumnTransformer puts the categorical columns first
            categorical = np.asarray(model.is_categorical_, dtype=bool)
            order = np.r_[np.flatnonzero(categorical), np.flatnonzero(~categorical)]
            if mask is None or not np.array_equal(mask[: categorical.sum()], np.ones(categorical.sum(), bool)):
                raise ValueError("unexpected preprocessor layout")
        self.position = {name: int(np.flatnonzero(order == j)[0]) for j, name in enumerate(self.names)}
        mapper = model._bin_mapper
        self.missing_bin = np.uint8(mapper.missing_values_bin_idx_)
        used = set()
        for predictors in self.predictors:
            nodes = predictors[0].nodes
            used.update(int(f) for f in nodes["feature_idx"][nodes["is_leaf"] == 0])
        self.used = [name for name in self.names if self.position[name] in used]
        self.thresholds = {name: np.asarray(mapper.bin_thresholds_[self.position[name]], dtype=np.float64)
                           for j, name in enumerate(self.names) if not categorical[j]}
        self.tables = self._category_tables({name: int(category_sizes[name])
                                             for j, name in enumerate(self.names) if categorical[j]})
        self._numeric = np.zeros(1, dtype=np.uint8)  # is_categorical flag of a numeric column
        self.baseline = float(np.ravel(model._baseline_prediction)[0])
        try:
            self.forest: LeafMaskForest | None = LeafMaskForest(
                [p[0] for p in self.predictors], self.missing_bin, self.baseline, n)
        except ValueError:  # more than 64 leaves per tree or a huge table: scikit-learn's tree walk
            self.forest = None

    def _category_tables(self, sizes: dict[str, int]) -> dict[str, np.ndarray]:
        """Per categorical column, the bin of code 0 .. size-1 and, last, of NaN: scikit-learn's
        preprocessing and binning run on a frame holding every code once."""
        if not sizes:
            return {}
        rows = max(sizes.values()) + 1
        probe = {}
        for name in self.names:
            v = np.zeros(rows)
            if name in sizes:
                v = np.full(rows, np.nan)
                v[: sizes[name]] = np.arange(sizes[name])
            probe[name] = v
        binned = self.model._bin_mapper.transform(
            np.asarray(self.model._preprocess_X(pd.DataFrame(probe), reset=False), dtype=np.float64))
        return {name: np.append(binned[: size, self.position[name]], binned[-1, self.position[name]]).astype(np.uint8)
                for name, size in sizes.items()}

    def bins(self, cols: dict[str, np.ndarray], threads: int = 1) -> np.ndarray:
        """The uint8 bin matrix of ``cols`` (Fortran order, columns in the model's binned order)."""
        n = len(cols[self.names[0]]) if self.names else 0
        out = np.zeros((n, len(self.names)), dtype=np.uint8, order="F")
        for name in self.used:
            x = np.asarray(cols[name], dtype=np.float64)
            j = self.position[name]
            if name in self.tables:
                table = self.tables[name]
                idx = np.where(np.isnan(x), len(table) - 1, x)
                if len(idx) and (idx.min() < 0 or idx.max() > len(table) - 1 or not np.array_equal(idx, np.floor(idx))):
                    raise ValueError(f"column {name}: codes outside the model's categories")
                out[:, j] = table[idx.astype(np.intp)]
            else:  # scikit-learn's own binary search, on a one-column view (no copy)
                _map_to_bins(x.reshape(-1, 1), [self.thresholds[name]], self._numeric, self.missing_bin, threads,
                             out[:, j:j + 1])
        return out

    def raw(self, cols: dict[str, np.ndarray], threads: int) -> np.ndarray:
        """Log-odds of conversion (before calibration) for ``cols``."""
        return self.raw_binned(self.bins(cols, threads), threads)

    def raw_binned(self, xb: np.ndarray, threads: int) -> np.ndarray:
        """Log-odds of the bin matrix ``xb``: by leaf masks (:mod:`leadlab.scoring.leafmasks`) when
        the forest fits them, else by scikit-learn's predictor; bit-for-bit the same sums."""
        if self.forest is not None:
            return self.forest.raw(xb, threads)
        raw = np.full(len(xb), self.baseline)
        for predictors in self.predictors:
            raw += predictors[0].predict_binned(xb, self.missing_bin, threads)
        return raw


_CACHE: "weakref.WeakKeyDictionary[object, BinnedBooster]" = weakref.WeakKeyDictionary()


def booster_for(model, category_sizes: dict[str, int]) -> BinnedBooster:
    """The :class:`BinnedBooster` of ``model``, built once per fitted model (tables and thresholds
    are kept while the model lives)."""
    got = _CACHE.get(model)
    if got is None or got.predictors is not model._predictors:  # a refit replaces the trees
        got = _CACHE[model] = BinnedBooster(model, category_sizes)
    return got


__all__ = ["BinnedBooster", "booster_for"]
