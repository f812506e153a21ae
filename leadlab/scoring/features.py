"""Feature types, include/exclude lists, timestamp parts and the leakage guard.

:func:`plan_features` decides which columns a scorer may use and why the others are
left out; :class:`FeatureFrame` turns raw rows into model-ready columns (numbers,
category codes, timestamp parts) and counts categories never seen in training.

>>> import pandas as pd
>>> df = pd.DataFrame({"lead_id": ["a", "b", "c", "d"], "source": ["web", "web", "event", None],
...                    "page_views": [1, 4, 2, 0], "revenue": [None, 10.0, None, None]})
>>> plan = plan_features(df)
>>> plan.categorical, plan.numeric
(['source'], ['page_views'])
>>> sorted(plan.excluded)
['lead_id', 'revenue']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.metrics import roc_auc_score
from sklearn.utils.validation import check_is_fitted

from leadlab.errors import ConfigError, DataError
from leadlab.i18n import _
from leadlab.scoring import text

#: Columns holding personal data: never features.
PII_NAMES = {"phone", "email", "contact_name", "name", "rep_name", "first_name", "last_name", "address"}
#: Columns known only after the outcome (lead lifecycle and deal results).
POST_OUTCOME_NAMES = {"mql_at", "sql_at", "opportunity_at", "won_at", "lost_at", "revenue", "closed_at"}
#: Timestamp parts made from each timestamp feature.
TIME_PARTS = ("hour", "weekday", "month")
#: Default business hours for the ``<timestamp>_business_hours`` flag: Monday-Friday, [start, end) hours.
BUSINESS_HOURS = (8, 18)
MISSING = "(missing)"
OTHER = "(other)"


@dataclass
class FeaturePlan:
    """Which columns are features (by type) and which are excluded, with the reason."""

    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    boolean: list[str] = field(default_factory=list)
    timestamp: list[str] = field(default_factory=list)
    excluded: dict[str, dict] = field(default_factory=dict)  # column -> reason facts ({"code": ...})
    leakage: dict[str, dict] = field(default_factory=dict)
    single_auc: dict[str, float] = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        return self.numeric + self.categorical + self.boolean + self.timestamp

    def to_dict(self) -> dict:
        return {
            "numeric": self.numeric, "categorical": self.categorical, "boolean": self.boolean,
            "timestamp": self.timestamp, "excluded": self.excluded, "leakage": self.leakage,
            "single_feature_auc": {k: round(v, 4) for k, v in self.single_auc.items()},
        }


def _is_timestamp(s: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(s)


def column_kind(s: pd.Series) -> str:
    """``numeric``, ``boolean``, ``timestamp`` or ``categorical`` for a column."""
    if pd.api.types.is_bool_dtype(s):
        return "boolean"
    if _is_timestamp(s):
        return "timestamp"
    if pd.api.types.is_numeric_dtype(s):  # 0/1 integers too: a number to both model kinds
        return "numeric"
    if pd.api.types.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object:
        lowered = s.dropna().astype("string").str.lower()
        if len(lowered) and set(pd.unique(lowered)) <= {"true", "false"}:
            return "boolean"
        return "categorical"
    return "categorical"


def plan_features(
    frame: pd.DataFrame,
    *,
    time_col: str | None = None,
    include: list[str] | None = None,
    exclude: list[str] | tuple[str, ...] = (),
) -> FeaturePlan:
    """Infer feature types; drop identifiers, personal data, post-outcome columns,
    empty and constant columns (each with its reason). ``include`` limits the features,
    ``exclude`` removes more. The time column itself is only used through its parts
    (hour, weekday, month)."""
    plan = FeaturePlan()
    source = text.source(frame.attrs.get("source", "data"))
    missing = [c for c in (include or []) + list(exclude) if c not in frame.columns]
    if missing:
        raise DataError(_("{source}: no column {missing} (named in include/exclude); columns are {columns}",
                          source=source, missing=text.listing(map(repr, missing)),
                          columns=text.listing(map(str, frame.columns[:30]))))
    n = len(frame)
    for col in frame.columns:
        s = frame[col]
        lname = str(col).lower()
        if include is not None and col not in include:
            plan.excluded[col] = {"code": "not_included"}
            continue
        if col in exclude:
            plan.excluded[col] = {"code": "user"}
            continue
        if lname in PII_NAMES:
            plan.excluded[col] = {"code": "pii"}
            continue
        if lname in POST_OUTCOME_NAMES:
            plan.excluded[col] = {"code": "post_outcome"}
            plan.leakage[col] = plan.excluded[col]
            continue
        if s.isna().all():
            if include is not None:
                raise DataError(_("{source}, column {column}: entirely empty, but named in the include list",
                                   source=source, column=str(col)))
            plan.excluded[col] = {"code": "empty"}
            continue
        kind = column_kind(s)
        if kind == "categorical":
            nunique = s.nunique()
            if (lname == "id" or lname.endswith("_id") or lname.endswith("id")) and nunique > 0.5 * n:
                plan.excluded[col] = {"code": "identifier"}
                continue
            if nunique > 0.9 * n and n > 20:
                plan.excluded[col] = {"code": "identifier_text"}
                continue
        if s.nunique(dropna=False) <= 1:
            plan.excluded[col] = {"code": "constant"}
            continue
        if kind == "timestamp" and col != time_col and time_col is not None and time_col in frame.columns:
            after = (s > frame[time_col]).sum() / max(s.notna().sum(), 1)
            if after >= 0.5:
                plan.excluded[col] = {"code": "after_time", "time_col": str(time_col), "share": float(after)}
                plan.leakage[col] = plan.excluded[col]
                continue
        getattr(plan, kind).append(col)
    if not plan.features:
        raise DataError(_("{source}: no usable feature columns left", source=source), details=text.reasons_lines(plan.excluded))
    return plan


def _single_auc(s: pd.Series, y: np.ndarray, kind: str, seed: int) -> float:
    """Out-of-fold single-feature AUC (orientation-free: max(auc, 1 - auc))."""
    if kind in ("numeric", "boolean", "timestamp"):
        if kind == "timestamp":
            v = s.astype("int64").astype("float64").where(s.notna())
        elif kind == "boolean":
            v = s.astype("string").str.lower().map({"true": 1.0, "false": 0.0}).astype("float64")
        else:
            v = pd.to_numeric(s, errors="coerce").astype("float64")
        v = v.to_numpy()
        if np.isnan(v).all():
            return 0.5
        lo = np.nanmin(v)
        v = np.where(np.isnan(v), lo - 1.0, v)
        auc = roc_auc_score(y, v)
    else:  # categorical: 2-fold target-mean encoding, smoothed
        codes = pd.Series(pd.factorize(s.astype("string").fillna(MISSING))[0])
        rng = np.random.default_rng(seed)
        fold = rng.integers(0, 2, len(y))
        enc = np.empty(len(y))
        prior = y.mean()
        for k in (0, 1):
            tr, te = fold != k, fold == k
            sums = np.bincount(codes[tr], weights=y[tr], minlength=codes.max() + 1)
            cnts = np.bincount(codes[tr], minlength=codes.max() + 1)
            rate = (sums + 20 * prior) / (cnts + 20)
            enc[te] = rate[codes[te]]
        auc = roc_auc_score(y, enc)
    return float(max(auc, 1 - auc))


def leakage_guard(
    frame: pd.DataFrame,
    y: np.ndarray,
    plan: FeaturePlan,
    *,
    auc_threshold: float = 0.80,
    outcome_time: pd.Series | None = None,
    max_rows: int = 200_000,
    seed: int = 0,
) -> FeaturePlan:
    """Flag features only known after the outcome and drop them from ``plan`` (in place).

    Two rules: (1) a timestamp recorded at or after the outcome time (when ``outcome_time``
    is given) on most rows of positive leads; (2) a single-feature AUC (out-of-fold) of at
    least ``auc_threshold`` — a feature that alone separates the outcomes that well is almost
    always recorded with or after it (e.g. the call ``duration`` of the bank data, AUC 0.82,
    while the best honest single feature reaches 0.75). Set ``auc_threshold`` to 1.0 to
    keep rule 2 from flagging anything.
    """
    rng = np.random.default_rng(seed)
    idx = np.arange(len(y))
    if len(idx) > max_rows:
        idx = np.sort(rng.choice(idx, max_rows, replace=False))
    sub, ys = frame.iloc[idx], np.asarray(y)[idx]
    for kind in ("timestamp", "numeric", "boolean", "categorical"):
        for col in list(getattr(plan, kind)):
            reason = None
            if kind == "timestamp" and outcome_time is not None:
                ot = outcome_time.iloc[idx] if len(outcome_time) == len(frame) else None
                if ot is not None:
                    both = sub[col].notna() & ot.notna()
                    if both.sum() and ((sub[col] >= ot) & both).sum() / both.sum() >= 0.5:
                        reason = {"code": "after_outcome"}
            if reason is None:
                auc = _single_auc(sub[col], ys, kind, seed)
                plan.single_auc[col] = auc
                if auc >= auc_threshold:
                    reason = {"code": "single_auc", "auc": float(auc), "threshold": float(auc_threshold)}
            if reason:
                getattr(plan, kind).remove(col)
                plan.excluded[col] = reason
                plan.leakage[col] = reason
    if not plan.features:
        raise DataError(
            _("{source}: every feature was flagged as leakage", source=text.source(frame.attrs.get("source", "data"))),
            details=text.reasons_lines(plan.leakage),
        )
    return plan


class FeatureFrame(TransformerMixin, BaseEstimator):
    """Raw rows → a numeric frame: numbers as floats, booleans as 0/1, categories as
    integer codes (``(missing)`` and ``(other)`` included), timestamps as hour/weekday/month codes.

    Each timestamp also gives ``<col>_business_hours``: 1 when it falls Monday-Friday within
    ``business_hours`` (start hour inclusive, end hour exclusive; default 08:00-18:00), else 0.
    A lead created out of hours cannot be called at once, and speed to lead drives conversion;
    an additive model cannot build this hour x weekday interaction from the parts alone.
    ``business_hours=None`` leaves the flag out.

    Categories seen fewer than ``min_category_count`` times in training, and any category
    unseen at scoring time, map to ``(other)``; :meth:`unseen_counts` counts the latter.

    >>> import pandas as pd
    >>> ff = FeatureFrame(categorical=["src"], numeric=["x"], min_category_count=1)
    >>> ff.fit(pd.DataFrame({"src": ["a", "b"], "x": [1, 2]})).transform(pd.DataFrame({"src": ["b", "zz"], "x": [3, None]}))
         x  src
    0  3.0  1.0
    1  NaN  3.0
    """

    def __init__(self, numeric=None, categorical=None, boolean=None, timestamp=None,
                 min_category_count: int = 10, max_categories: int = 60,
                 business_hours: tuple[int, int] | None = BUSINESS_HOURS):
        self.numeric = numeric
        self.categorical = categorical
        self.boolean = boolean
        self.timestamp = timestamp
        self.min_category_count = min_category_count
        self.max_categories = max_categories
        self.business_hours = business_hours

    # -- helpers -----------------------------------------------------------
    @staticmethod
    def _frame(X) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            return X
        arr = np.asarray(X)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])

    @staticmethod
    def _text(s: pd.Series) -> pd.Series:
        return s.astype("string").fillna(MISSING)

    @classmethod
    def _codes(cls, s: pd.Series, cats: list[str]) -> np.ndarray:
        """Codes (float) of a category column: each distinct value's text looked up once in ``cats``
        (unseen or rare values -> the last code, ``(other)``; missing -> ``(missing)``'s code). Mixed
        Python objects are converted row by row (``1 == True`` would merge them in a factorization)."""
        if s.dtype == object:
            codes = pd.Index(cats).get_indexer(cls._text(s)).astype("float64")
            codes[codes < 0] = len(cats) - 1
            return codes
        raw, uniques = pd.factorize(s, use_na_sentinel=True)
        lookup = pd.Index(cats).get_indexer(cls._text(pd.Series(uniques, dtype=s.dtype)))
        lookup = np.append(lookup, pd.Index(cats).get_indexer([MISSING])).astype("float64")  # raw -1: missing
        lookup[lookup < 0] = len(cats) - 1  # unseen or rare -> (other)
        return lookup[raw]

    def _check_columns(self, df: pd.DataFrame) -> None:
        missing = [c for c in self.input_columns_ if c not in df.columns]
        if missing:
            raise DataError(text.missing_columns(text.source(df.attrs.get("source", "scoring data")), missing))

    # -- sklearn API -------------------------------------------------------
    def fit(self, X, y=None):
        df = self._frame(X)
        if self.numeric is None and self.categorical is None and self.boolean is None and self.timestamp is None:
            plan = plan_features(df)
            num, cat, boo, ts = plan.numeric, plan.categorical, plan.boolean, plan.timestamp
        else:
            num, cat, boo, ts = (list(self.numeric or []), list(self.categorical or []),
                                 list(self.boolean or []), list(self.timestamp or []))
        self.numeric_, self.categorical_, self.boolean_, self.timestamp_ = num, cat, boo, ts
        self.input_columns_ = num + cat + boo + ts
        self._check_columns(df)
        self.categories_: dict[str, list[str]] = {}
        self.rare_: dict[str, list[str]] = {}  # seen in training, too rare for their own code
        for col in cat:
            counts = self._text(df[col]).value_counts()
            keep = counts[counts >= self.min_category_count].index[: self.max_categories]
            self.rare_[col] = [str(v) for v in counts.index if v not in set(keep)][:5000]
            self.categories_[col] = [str(v) for v in keep if v not in (OTHER,)] + [OTHER]
            if MISSING not in self.categories_[col]:
                self.categories_[col].insert(len(self.categories_[col]) - 1, MISSING)
        self.business_hours_ = None if self.business_hours is None else tuple(int(h) for h in self.business_hours)
        if self.business_hours_ is not None and not (len(self.business_hours_) == 2
                                                     and 0 <= self.business_hours_[0] < self.business_hours_[1] <= 24):
            raise ConfigError(_("business_hours={value}: give (start hour, end hour) with 0 <= start < end <= 24",
                                value=repr(self.business_hours)))
        flags = [f"{c}_business_hours" for c in ts] if self.business_hours_ is not None else []
        self.feature_names_out_ = (num + cat + boo + [f"{c}_{p}" for c in ts for p in TIME_PARTS] + flags)
        self.categorical_out_ = cat + [f"{c}_{p}" for c in ts for p in TIME_PARTS]
        self.medians_ = {c: float(pd.to_numeric(df[c], errors="coerce").median()) for c in num}
        self.n_features_in_ = df.shape[1]
        return self

    def transform(self, X) -> pd.DataFrame:
        check_is_fitted(self, "categories_")
        df = self._frame(X)
        self._check_columns(df)
        out: dict[str, np.ndarray] = {}
        for c in self.numeric_:
            out[c] = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        for c in self.categorical_:
            out[c] = self._codes(df[c], self.categories_[c])
        for c in self.boolean_:
            s = df[c]
            if not pd.api.types.is_bool_dtype(s):
                s = s.astype("string").str.lower().map({"true": True, "false": False})
            out[c] = s.astype("float64").to_numpy(dtype="float64", na_value=np.nan)
        for c in self.timestamp_:
            t = pd.to_datetime(df[c])
            parts = {"hour": t.dt.hour, "weekday": t.dt.day_of_week, "month": t.dt.month - 1}
            for p in TIME_PARTS:
                out[f"{c}_{p}"] = parts[p].astype("float64").to_numpy(dtype="float64", na_value=np.nan)
            self._add_business_hours(out, c)
        return pd.DataFrame(out, index=df.index)[self.feature_names_out_]

    def _add_business_hours(self, out: dict, col: str) -> None:
        """Add ``<col>_business_hours`` (1 inside the configured weekday hours, NaN when the time is missing)."""
        bh = getattr(self, "business_hours_", None)
        if bh is None:
            return
        hour, wd = out[f"{col}_hour"], out[f"{col}_weekday"]
        flag = ((wd < 5) & (hour >= bh[0]) & (hour < bh[1])).astype("float64")
        flag[np.isnan(hour)] = np.nan
        out[f"{col}_business_hours"] = flag

    # -- Arrow fast path (batch scoring) ------------------------------------
    def _arrow_codes(self, col, c: str) -> tuple[np.ndarray, np.ndarray, list] | None:
        """(codes into categories_[c] of each dictionary entry, dictionary indices per row (-1 for
        null), the dictionary values) for a string Arrow column; None for other types (the caller
        falls back to pandas)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if isinstance(col, pa.ChunkedArray):
            col = col.combine_chunks()
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
                or (pa.types.is_dictionary(col.type) and pa.types.is_string(col.type.value_type))):
            return None
        enc = col if pa.types.is_dictionary(col.type) else pc.dictionary_encode(col)
        values = enc.dictionary.to_pylist()
        cats = self.categories_[c]
        dict_codes = pd.Index(cats).get_indexer(pd.Index(values, dtype=object)).astype(np.int64)
        dict_codes[dict_codes < 0] = len(cats) - 1
        idx = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return dict_codes, idx, values

    def arrow_codes(self, batch) -> dict[str, tuple | None]:
        """Per categorical column of ``batch``, what :meth:`transform_arrow` and
        :meth:`unseen_counts_arrow` both start from (one dictionary encoding, shared by passing it
        as their ``codes``): ``(code per dictionary entry, dictionary index per row, dictionary
        values)``, or None for a non-text column."""
        import pyarrow as pa

        check_is_fitted(self, "categories_")
        out = {}
        for c in self.categorical_:
            if c in batch.schema.names:
                a = batch.column(c)
                out[c] = self._arrow_codes(a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a, c)
        return out

    def transform_arrow(self, batch, codes: dict | None = None) -> dict[str, np.ndarray]:
        """Like :meth:`transform` for a ``pyarrow.RecordBatch`` / ``Table``, without pandas for the
        common column types (numbers, booleans, strings, timestamps): a dict of float64 columns in
        :attr:`feature_names_out_` order. Other types go through the pandas path column by column,
        so the result always equals ``transform(batch.to_pandas())``. ``codes``: :meth:`arrow_codes`
        of the same batch, when already computed."""
        import pyarrow as pa
        import pyarrow.compute as pc

        check_is_fitted(self, "categories_")
        names = set(batch.schema.names)
        missing = [c for c in self.input_columns_ if c not in names]
        if missing:
            self._check_columns(pd.DataFrame(columns=list(names)))

        def col(c):
            a = batch.column(c)
            return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a

        def pandas_col(c) -> pd.DataFrame:
            return pd.DataFrame({c: col(c).to_pandas()})

        out: dict[str, np.ndarray] = {}
        for c in self.numeric_:
            a = col(c)
            if pa.types.is_integer(a.type) or pa.types.is_floating(a.type):
                out[c] = pc.cast(a, pa.float64()).to_numpy(zero_copy_only=False)
            else:
                out[c] = pd.to_numeric(pandas_col(c)[c], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        for c in self.categorical_:
            got = codes[c] if codes is not None and c in codes else self._arrow_codes(col(c), c)
            if got is None:
                cats = self.categories_[c]
                codes = pd.Index(cats).get_indexer(self._text(pandas_col(c)[c])).astype("float64")
                codes[codes < 0] = len(cats) - 1
                out[c] = codes
            else:
                dict_codes, idx, _ = got
                missing_code = self.categories_[c].index(MISSING)
                table = np.append(dict_codes, missing_code).astype("float64")  # index -1 -> (missing)
                out[c] = table[idx]
        for c in self.boolean_:
            a = col(c)
            if pa.types.is_boolean(a.type):
                out[c] = pc.cast(a, pa.float64()).to_numpy(zero_copy_only=False)
            else:
                s = pandas_col(c)[c].astype("string").str.lower().map({"true": True, "false": False})
                out[c] = s.astype("float64").to_numpy(dtype="float64", na_value=np.nan)
        for c in self.timestamp_:
            a = col(c)
            if not pa.types.is_timestamp(a.type):
                a = pa.array(pd.to_datetime(pandas_col(c)[c]))
            parts = {"hour": pc.hour(a), "weekday": pc.day_of_week(a), "month": pc.subtract(pc.month(a), 1)}
            for p in TIME_PARTS:
                out[f"{c}_{p}"] = pc.cast(parts[p], pa.float64()).to_numpy(zero_copy_only=False)
            self._add_business_hours(out, c)
        return {k: out[k] for k in self.feature_names_out_}

    def unseen_counts_arrow(self, batch, codes: dict | None = None) -> dict[str, int]:
        """:meth:`unseen_counts` for a ``pyarrow.RecordBatch`` / ``Table`` (``codes``: its
        :meth:`arrow_codes`, when already computed)."""
        check_is_fitted(self, "categories_")
        result = {}
        for c in self.categorical_:
            if c not in batch.schema.names:
                continue
            a = batch.column(c)
            got = codes[c] if codes is not None and c in codes else self._arrow_codes(a, c)
            if got is None:
                n = self.unseen_counts(pd.DataFrame({c: a.to_pandas()})).get(c, 0)
            else:
                _, idx, values = got
                known = set(self.categories_[c][:-1]) | set(getattr(self, "rare_", {}).get(c, []))
                unknown = np.array([MISSING not in known] + [v not in known for v in values], dtype=np.int64)
                n = int(np.bincount(idx + 1, minlength=len(unknown)) @ unknown)  # idx -1 (null) -> (missing)
            if n:
                result[c] = n
        return result

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "categories_")
        return np.asarray(self.feature_names_out_, dtype=object)

    def unseen_counts(self, X) -> dict[str, int]:
        """Per categorical feature, how many rows hold a value never seen in training."""
        check_is_fitted(self, "categories_")
        df = self._frame(X)
        result = {}
        for c in self.categorical_:
            text = self._text(df[c])
            known = self.categories_[c][:-1] + getattr(self, "rare_", {}).get(c, [])
            n = int((~text.isin(known)).sum()) if c in df.columns else 0
            if n:
                result[c] = n
        return result

    def category_counts(self) -> dict[str, int]:
        """Number of codes per categorical output column (for native categorical models)."""
        sizes = {c: len(v) for c, v in self.categories_.items()}
        sizes.update({f"{c}_hour": 24 for c in self.timestamp_})
        sizes.update({f"{c}_weekday": 7 for c in self.timestamp_})
        sizes.update({f"{c}_month": 12 for c in self.timestamp_})
        return sizes
