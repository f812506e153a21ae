"""Leaf-mask evaluation of boosted trees (leadlab.scoring.leafmasks) against scikit-learn's own
predictor, bit for bit: numeric and categorical splits, missing values sent either way, every bin
value 0..255, trees of 2 to 64 leaves (every mask width) and the fallback beyond 64 leaves."""

from __future__ import annotations

import hashlib

import numba

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from leadlab.scoring.leafmasks import LeafMaskForest, _leaf_ranges


def _fit(max_leaf_nodes: int, seed: int = 0, n: int = 3000, max_iter: int = 12) -> HistGradientBoostingClassifier:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"code": rng.integers(0, 9, n).astype(float), "x": rng.normal(size=n),
                      "z": rng.exponential(size=n), "few": rng.integers(0, 3, n).astype(float)})
    X.loc[rng.random(n) < 0.1, "x"] = np.nan  # missing values seen in training: learned direction
    X.loc[rng.random(n) < 0.05, "code"] = np.nan
    logit = np.nan_to_num(X.x, nan=1.0) + (X.code % 3 == 1) - 0.5 * X.z + 0.3 * X.few
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return HistGradientBoostingClassifier(max_iter=max_iter, max_leaf_nodes=max_leaf_nodes, min_samples_leaf=5,
                                          categorical_features=[True, False, False, False], random_state=seed,
                                          early_stopping=False).fit(X, y)


def _forest(m) -> LeafMaskForest:
    return LeafMaskForest([p[0] for p in m._predictors], m._bin_mapper.missing_values_bin_idx_,
                          float(np.ravel(m._baseline_prediction)[0]), m.n_features_in_)


def _sklearn_raw(m, xb: np.ndarray) -> np.ndarray:
    raw = np.full(len(xb), float(np.ravel(m._baseline_prediction)[0]))
    for p in m._predictors:
        raw += p[0].predict_binned(xb, m._bin_mapper.missing_values_bin_idx_, 1)
    return raw


@pytest.mark.parametrize("leaves", [2, 7, 16, 31, 40])
def test_leaf_masks_equal_sklearn_bit_for_bit(leaves):
    m = _fit(leaves, seed=leaves)
    forest = _forest(m)
    widths = {2: np.uint8, 7: np.uint8, 16: np.uint16, 31: np.uint32, 40: np.uint64}
    assert forest.table.dtype == widths[leaves]
    rng = np.random.default_rng(1)
    xb = rng.integers(0, 256, size=(5000, 4), dtype=np.uint8)  # every bin value, the missing bin (255) included
    xb[:50] = 255
    xb = np.asfortranarray(xb)
    ref = _sklearn_raw(m, xb)
    for matrix in (xb, np.ascontiguousarray(xb)):
        assert np.array_equal(forest.raw(matrix).view(np.int64), ref.view(np.int64))
    assert np.array_equal(forest.raw(xb, threads=3).view(np.int64), ref.view(np.int64))  # rows split over threads
    cats = np.flatnonzero(np.concatenate([p[0].nodes["is_categorical"][p[0].nodes["is_leaf"] == 0] for p in m._predictors]))
    assert len(cats)  # categorical splits are exercised
    miss = np.concatenate([p[0].nodes["missing_go_to_left"][p[0].nodes["is_leaf"] == 0] for p in m._predictors])
    assert miss.min() == 0 and miss.max() == 1  # missing values go both ways somewhere


def test_leaf_order_and_ranges():
    m = _fit(7)
    nodes = m._predictors[0][0].nodes
    order, lo, hi = _leaf_ranges(nodes)
    assert sorted(order) == list(np.flatnonzero(nodes["is_leaf"]))
    assert (lo[0], hi[0]) == (0, len(order))
    for k in np.flatnonzero(nodes["is_leaf"] == 0):  # the left subtree's leaves come just before the right's
        left, right = nodes["left"][k], nodes["right"][k]
        assert hi[left] == lo[right] and lo[k] == lo[left] and hi[k] == hi[right]


def test_more_than_64_leaves_falls_back_to_sklearn():
    from leadlab.scoring.boosting import BinnedBooster

    m = _fit(80, seed=3, n=6000, max_iter=3)
    assert max(int(p[0].nodes["is_leaf"].sum()) for p in m._predictors) > 64
    with pytest.raises(ValueError, match="64"):
        _forest(m)
    b = BinnedBooster(m, {"code": 9})
    assert b.forest is None
    X = pd.DataFrame({"code": [0.0, 4.0, np.nan], "x": [0.1, np.nan, -2.0], "z": [1.0, 0.2, 3.0], "few": [0.0, 1.0, 2.0]})
    cols = {c: X[c].to_numpy() for c in X}
    assert np.array_equal(b.raw(cols, threads=1), m._raw_predict(X).ravel())


def test_single_leaf_trees():
    """A forest whose trees never split scores the baseline plus each root's value."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=200)})
    m = HistGradientBoostingClassifier(max_iter=3, min_samples_leaf=150, early_stopping=False).fit(X, rng.integers(0, 2, 200))
    assert all(p[0].nodes["is_leaf"][0] for p in m._predictors)
    xb = np.zeros((10, 1), dtype=np.uint8)
    assert np.array_equal(_forest(m).raw(xb), _sklearn_raw(m, xb))


def test_batch_scores_bit_for_bit_pinned():
    """The calibrated probabilities of the seeded gradient-boosting scorer of test_scoring_apply,
    byte for byte as scikit-learn's tree walk gave them (SHA-256 of the float64 array, recorded
    before the leaf-mask walk)."""
    from tests.test_scoring_apply import _data, _scoring_batch
    from leadlab.scoring.model import LeadScorer

    df, y = _data(3000, 11)
    new = _scoring_batch(_data(500, 12)[0])
    s = LeadScorer(model_kind="hgb", time_col="created_at", n_threads=1, max_iter=60, max_leaf_nodes=15).fit(df, y)
    p = s.proba_from_columns(s.features_.transform_arrow(pa.RecordBatch.from_pandas(new, preserve_index=False)))
    assert hashlib.sha256(np.ascontiguousarray(p, dtype=np.float64).tobytes()).hexdigest() == PINNED_SHA256


PINNED_SHA256 = "b75cd09a2802083a85a64bb446bfd2744f294d0e80c5178d099db7711eb1bb3a"


def test_kernel_compiles_without_a_writable_cache(monkeypatch):
    """No place to cache the machine code (read-only install, no home): compiled in memory instead."""
    import numba.core.caching as caching

    from leadlab.scoring import leafmasks

    monkeypatch.setattr(caching.CacheImpl, "_locator_classes", [])
    monkeypatch.setattr(leafmasks, "_COMPILED", [])
    kernel = leafmasks._kernel()
    assert isinstance(kernel._cache, caching.NullCache)
    assert leafmasks._kernel() is kernel  # built once per process
    with pytest.raises(RuntimeError, match="no locator"):
        numba.njit(cache=True)(leafmasks._walk)
