"""Exact evaluation of scikit-learn's histogram gradient-boosting trees on binned rows by leaf
bitmasks (the QuickScorer method of Lucchese et al., SIGIR 2015), compiled with numba.

scikit-learn walks every tree over all rows, one branch per node visited. Here each tree's leaves
are numbered left to right, and each split node gets a bitmask that clears the leaves of its left
subtree. A row leaves a tree at the leftmost leaf that no node it would send right has cleared, so
its exit leaf is the lowest set bit of the AND of those masks. Since the rows are binned to uint8,
every (feature, bin) pair is precomputed: ``table[feature, bin, tree]`` is the AND of the masks of
the nodes of ``tree`` on ``feature`` that send ``bin`` right (numeric ``bin <= threshold``, the
categorical bitsets and ``missing_go_to_left`` for the missing bin, exactly as scikit-learn's
``_predict_one_from_binned_data`` decides). Per row that is one AND per used feature and tree,
without branches, then the leaf values are added in float64 in tree order from the same baseline,
so the sums are bit-for-bit scikit-learn's.

>>> import numpy as np, pandas as pd
>>> from sklearn.ensemble import HistGradientBoostingClassifier
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame({"code": rng.integers(0, 4, 400).astype(float), "x": rng.normal(size=400)})
>>> y = (X.x + (X.code == 2) + rng.normal(size=400) > 0.5).astype(int)
>>> m = HistGradientBoostingClassifier(max_iter=10, categorical_features=[True, False]).fit(X, y)
>>> xb = m._bin_mapper.transform(np.asarray(m._preprocess_X(X, reset=False), dtype=float))
>>> forest = LeafMaskForest([p[0] for p in m._predictors], m._bin_mapper.missing_values_bin_idx_,
...                         float(m._baseline_prediction.ravel()[0]), xb.shape[1])
>>> ref = m._raw_predict(X).ravel()
>>> bool(np.array_equal(forest.raw(xb), ref))
True
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence

import numpy as np

#: Bins of a uint8 column.
N_BINS = 256
#: The leaf masks of a tree are one unsigned integer: at most 64 leaves per tree.
MAX_LEAVES = 64
#: Largest lookup table built (bytes); a bigger forest is walked by scikit-learn's predictor.
MAX_TABLE_BYTES = 256 * 2**20
#: Rows per thread below which splitting the rows over threads is not worth it.
MIN_ROWS_PER_THREAD = 50_000

_DEBRUIJN = np.uint64(0x03F79D71B4CB0A89)
#: Index of the lowest set bit b of a uint64 from ``(b * _DEBRUIJN) >> 58``.
_DEBRUIJN_INDEX = np.zeros(64, dtype=np.int64)
for _i in range(64):
    _DEBRUIJN_INDEX[((1 << _i) * int(_DEBRUIJN) % 2**64) >> 58] = _i
del _i


def _mask_dtype(n_leaves: int) -> type:
    """The smallest unsigned integer with a bit per leaf.

    >>> _mask_dtype(7).__name__, _mask_dtype(31).__name__, _mask_dtype(64).__name__
    ('uint8', 'uint32', 'uint64')
    """
    for dt in (np.uint8, np.uint16, np.uint32, np.uint64):
        if n_leaves <= np.iinfo(dt).bits:
            return dt
    raise ValueError(f"{n_leaves} leaves: more than {MAX_LEAVES}")


def _leaf_ranges(nodes: np.ndarray) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Leaves in left-to-right order and, per node, the range [lo, hi) of its leaves in that order."""
    order: list[int] = []
    lo = np.zeros(len(nodes), dtype=np.int64)
    hi = np.zeros(len(nodes), dtype=np.int64)
    stack = [(0, False)]
    while stack:  # iterative depth-first walk, left child first
        k, done = stack.pop()
        if nodes["is_leaf"][k]:
            lo[k], hi[k] = len(order), len(order) + 1
            order.append(k)
        elif done:
            lo[k], hi[k] = lo[nodes["left"][k]], hi[nodes["right"][k]]
        else:
            stack += [(k, True), (int(nodes["right"][k]), False), (int(nodes["left"][k]), False)]
    return order, lo, hi


class LeafMaskForest:
    """The trees of one output of a fitted ``HistGradientBoostingClassifier`` as leaf-mask tables.

    ``trees``: scikit-learn ``TreePredictor`` objects in boosting order; ``missing_bin``: the bin of
    missing values; ``baseline``: the raw prediction the tree values are added to; ``n_features``:
    columns of the binned matrix. Raises ``ValueError`` for a forest it cannot hold (a tree with
    more than 64 leaves, a table over :data:`MAX_TABLE_BYTES`); the caller then uses scikit-learn's
    predictor."""

    def __init__(self, trees: Sequence, missing_bin: int, baseline: float, n_features: int):
        xs = np.arange(N_BINS)
        missing_bin = int(missing_bin)
        nodes_list = [t.nodes for t in trees]
        n_leaves = max((int(n["is_leaf"].sum()) for n in nodes_list), default=1)
        if n_leaves > MAX_LEAVES:
            raise ValueError(f"a tree has {n_leaves} leaves: more than {MAX_LEAVES}")
        dt = _mask_dtype(n_leaves)
        used = sorted({int(f) for n in nodes_list for f in n["feature_idx"][n["is_leaf"] == 0]})
        if any(f < 0 or f >= n_features for f in used):
            raise ValueError("a tree splits on a column outside the binned matrix")
        size = len(used) * N_BINS * len(trees) * np.dtype(dt).itemsize
        if size > MAX_TABLE_BYTES:
            raise ValueError(f"leaf-mask table of {size} bytes: more than {MAX_TABLE_BYTES}")
        slot = {f: k for k, f in enumerate(used)}
        everything = int(np.iinfo(dt).max)
        table = np.full((len(used) * N_BINS, len(trees)), everything, dtype=dt)
        values = np.zeros((len(trees), n_leaves), dtype=np.float64)
        for t, (tree, nodes) in enumerate(zip(trees, nodes_list)):
            order, lo, hi = _leaf_ranges(nodes)
            values[t, : len(order)] = nodes["value"][order]
            for k in np.flatnonzero(nodes["is_leaf"] == 0):
                node = nodes[k]
                if node["is_categorical"]:
                    bits = tree.binned_left_cat_bitsets[node["bitset_idx"]]
                    left = ((bits[xs >> 5] >> (xs & 31)) & 1).astype(bool)
                else:
                    left = xs <= node["bin_threshold"]
                left[missing_bin] = bool(node["missing_go_to_left"])  # checked first, as scikit-learn does
                child = node["left"]
                cleared = sum(1 << i for i in range(lo[child], hi[child]))
                table[slot[int(node["feature_idx"])] * N_BINS + xs[~left], t] &= dt(everything & ~cleared)
        self.used = np.asarray(used, dtype=np.int64)
        self.table = table
        self.start = np.full(len(trees), everything, dtype=dt)  # every leaf still possible
        self.values = values
        self.baseline = float(baseline)
        self.n_trees = len(trees)

    def raw(self, xb: np.ndarray, threads: int = 1) -> np.ndarray:
        """Raw predictions (baseline + the trees' leaf values, summed in tree order) of the uint8
        bin matrix ``xb`` (rows x binned columns, any memory order); ``threads`` splits the rows."""
        n = len(xb)
        out = np.empty(n, dtype=np.float64)
        kernel = _kernel()
        parts = max(1, min(int(threads), n // MIN_ROWS_PER_THREAD))
        args = (xb, self.baseline, self.used, self.table, self.start, self.values, _DEBRUIJN_INDEX, out)
        if parts == 1:
            kernel(0, n, *args)
            return out
        edges = np.linspace(0, n, parts + 1).astype(np.int64)
        with ThreadPoolExecutor(parts) as pool:  # the kernel releases the GIL
            for f in [pool.submit(kernel, int(a), int(b), *args) for a, b in zip(edges[:-1], edges[1:])]:
                f.result()
        return out


def _walk(begin, end, xb, baseline, used, table, start, values, debruijn, out):  # pragma: no cover - compiled
    """Rows ``begin`` .. ``end`` of ``out``: from the all-leaves masks ``start``, AND the masks of
    each used feature's bin per tree, then add each tree's lowest-set-bit leaf to the baseline, in
    tree order."""
    n_trees = table.shape[1]
    mask = np.empty(n_trees, dtype=table.dtype)
    for i in range(begin, end):
        mask[:] = start
        for k in range(used.shape[0]):
            row = table[k * 256 + xb[i, used[k]]]
            for t in range(n_trees):
                mask[t] &= row[t]
        acc = baseline
        for t in range(n_trees):
            m = np.uint64(mask[t])
            low = m & (~m + np.uint64(1))
            acc += values[t, debruijn[(low * np.uint64(0x03F79D71B4CB0A89)) >> np.uint64(58)]]
        out[i] = acc


_COMPILED: list[Callable] = []


def _kernel() -> Callable:
    """:func:`_walk` compiled by numba on first call for each matrix order and mask width; the
    machine code is cached on disk (next to this file, else ``NUMBA_CACHE_DIR`` or the user's cache
    folder; without a writable place it is compiled in memory for the process)."""
    if not _COMPILED:
        import numba

        try:
            compiled = numba.njit(nogil=True, cache=True)(_walk)
        except RuntimeError:  # pragma: no cover - no writable cache location
            compiled = numba.njit(nogil=True)(_walk)
        _COMPILED.append(compiled)
    return _COMPILED[0]


__all__ = ["LeafMaskForest"]
