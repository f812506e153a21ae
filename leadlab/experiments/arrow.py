"""A pandas DataFrame handed to DuckDB as Arrow (zero-copy where possible), so the grouped
query runs in the database and only per-arm sums come back.

>>> import pandas as pd
>>> df = pd.DataFrame({"arm": ["A", "B"], "y": [1.0, 0.0], "unused": [0, 0]})
>>> project(df, "arm", None, ["y"], None).columns.tolist()
['arm', 'y']
"""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd

from leadlab.experiments.metrics import Metric


def project(df: pd.DataFrame, arm: str, unit: str | None, metrics, covariate: str | None) -> pd.DataFrame:
    """Only the columns the analysis reads (no copy: pandas shares the column arrays), so
    unused columns are neither converted nor registered. When a named column is missing the
    frame is returned whole, so the error lists every available column."""
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",") if m.strip()]
    need = [arm, unit, covariate]
    for m in metrics or []:
        need += [m.num, m.denominator] if isinstance(m, Metric) else [m]
    keep = list(dict.fromkeys(c for c in need if c))
    if not keep or not all(isinstance(c, str) and c in df.columns for c in keep) or df.columns.duplicated().any():
        return df
    return df[keep] if len(keep) < df.shape[1] else df


#: Rows per Arrow record batch: DuckDB scans an Arrow table one batch per thread at a time,
#: so a single 10 M-row chunk would be read by one thread.
ARROW_BATCH_ROWS = 1 << 17


def column_to_arrow(s: pd.Series):
    """One column as Arrow without copying where possible: Arrow-backed columns (pandas 3
    ``str``) hand over their chunks; NaN-free numpy numbers are wrapped; anything else
    goes through pyarrow's pandas conversion (NaN → NULL, as ``Table.from_pandas``)."""
    import pyarrow as pa

    arr = s.array
    if hasattr(arr, "__arrow_array__") and not isinstance(s.dtype, pd.CategoricalDtype):
        try:
            out = arr.__arrow_array__()
            if isinstance(out, (pa.Array, pa.ChunkedArray)):
                return out
        except (TypeError, ValueError, NotImplementedError):
            pass
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iu":
        return pa.array(s.to_numpy(), from_pandas=False)
    if isinstance(s.dtype, np.dtype) and s.dtype.kind == "f":
        v = s.to_numpy()
        return pa.array(v, from_pandas=bool(np.isnan(v).any()))
    return pa.Array.from_pandas(s)


def frame_to_arrow(df: pd.DataFrame):
    """The DataFrame as an Arrow table split into record batches (zero-copy slices)."""
    import pyarrow as pa

    if df.columns.duplicated().any() or not all(isinstance(c, str) for c in df.columns):
        tbl = pa.Table.from_pandas(df, preserve_index=False)
    else:
        cols = {}
        for c in df.columns:
            a = column_to_arrow(df[c])
            cols[c] = a if isinstance(a, pa.ChunkedArray) else pa.chunked_array([a])
        tbl = pa.table(cols)
    if tbl.num_rows <= ARROW_BATCH_ROWS:
        return tbl
    return pa.Table.from_batches(tbl.to_batches(max_chunksize=ARROW_BATCH_ROWS), schema=tbl.schema)


def _encode(parts) -> tuple[list, list]:
    """Dictionary-encode a list of string arrays: (each part's indices, the labels)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(pa.chunked_array(parts))  # one dictionary for every chunk
    return [c.indices for c in enc.chunks], enc.chunk(0).dictionary.to_pylist()


def _is_text(typ) -> bool:
    import pyarrow as pa

    return pa.types.is_string(typ) or pa.types.is_large_string(typ)


def arm_codes(tbl, arm: str | None):
    """(``tbl`` with its string column ``arm`` replaced by integer codes, the arm label of each
    code), or (``tbl``, None) when ``arm`` is not a string column. A dictionary column (a pandas
    Categorical) gives its codes as they are. Otherwise one dictionary encoding of the
    strings (on every core, in slices) costs less than DuckDB hashing every row's string from
    Arrow (per rep, 10 M calls: docs/experiments.md, Speed); NULL stays NULL.

    >>> import pyarrow as pa
    >>> coded, labels = arm_codes(pa.table({"arm": ["B", None, "A", "B"]}), "arm")
    >>> coded.column("arm").to_pylist(), labels
    ([0, None, 1, 0], ['B', 'A'])
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.compute as pc

    if arm not in tbl.column_names or not (chunks := tbl.column(arm).chunks):
        return tbl, None
    typ = tbl.schema.field(arm).type
    if pa.types.is_dictionary(typ) and _is_text(typ.value_type):  # e.g. a pandas Categorical: codes as they are
        labels = chunks[0].dictionary.to_pylist()
        if (None in labels or len(set(labels)) < len(labels)
                or not all(c.dictionary.equals(chunks[0].dictionary) for c in chunks[1:])):
            return tbl, None
        codes = pa.chunked_array([c.indices.cast(pa.int32()) for c in chunks], pa.int32())
        return tbl.set_column(tbl.schema.get_field_index(arm), arm, codes), labels
    if not _is_text(typ):
        return tbl, None
    n = max(1, min(os.cpu_count() or 1, len(chunks)))
    slices = [chunks[i * len(chunks) // n:(i + 1) * len(chunks) // n] for i in range(n)]
    with ThreadPoolExecutor(n) as pool:  # pyarrow's kernels release the GIL
        parts = list(pool.map(_encode, slices))
    labels = list(dict.fromkeys(label for _, part_labels in parts for label in part_labels))
    position = {label: i for i, label in enumerate(labels)}
    codes = []
    for indices, part_labels in parts:
        if part_labels != labels[:len(part_labels)]:  # this slice numbered its labels otherwise
            remap = pa.array([position[label] for label in part_labels], pa.int32())
            indices = [pc.take(remap, ix) for ix in indices]
        codes += [ix.cast(pa.int32()) for ix in indices]
    return tbl.set_column(tbl.schema.get_field_index(arm), arm, pa.chunked_array(codes, pa.int32())), labels


@contextlib.contextmanager
def registered(df: pd.DataFrame, arm: str | None = None):
    """(the DataFrame as an Ibis table, the names of its columns without NULLs, the labels of
    the arm codes or None), registered in the in-memory DuckDB for the duration of the
    analysis (once; unregistered afterwards). A string column ``arm`` is registered as integer
    codes (:func:`arm_codes`): code ``i`` is arm ``labels[i]``.

    Arrow rather than DuckDB's pandas scan: measured on 10 M rows (see docs/experiments.md,
    Speed), a batched Arrow scan runs in parallel and beats the pandas scan for both numpy
    numbers and pandas 3's Arrow-backed strings, and the conversion is zero-copy."""
    from leadlab.store import registered_arrow

    tbl, labels = arm_codes(frame_to_arrow(df), arm)
    # Arrow knows each column's NULL count: columns without any need no counting in the query
    no_nulls = frozenset(c for c, col in zip(tbl.column_names, tbl.columns) if col.null_count == 0)
    with registered_arrow(tbl) as t:
        yield t, no_nulls, labels
