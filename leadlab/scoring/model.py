"""The :class:`LeadScorer` estimator: a scikit-learn classifier for lead conversion.

Two model kinds: ``"logistic"`` (regularized logistic regression on one-hot categories
and scaled numbers: the interpretable baseline) and ``"hgb"`` (HistGradientBoosting with
native categoricals). ``"auto"`` (the default) fits both on the older rows, compares their
ROC AUC on a validation fold (the most recent ``validation_share`` of the rows, or a
stratified random share with ``validation="random"``) and refits the winner on every row;
the choice and both scores are in ``kind_``, ``candidates_`` and ``validation_``. Probabilities are calibrated on held-out data (the most recent
``calibration_share`` of the training rows when ``time_col`` is given, a stratified random
share otherwise) with Platt scaling (``"sigmoid"``) or isotonic regression.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame({"source": rng.choice(["web", "event"], 2000), "views": rng.poisson(3, 2000)})
>>> y = (rng.random(2000) < np.where(X.source == "event", 0.4, 0.1)).astype(int)
>>> s = LeadScorer(model_kind="logistic").fit(X, y)
>>> s.classes_.tolist(), s.predict_proba(X.head(2)).shape
([0, 1], (2, 2))
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.impute import SimpleImputer
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight, check_consistent_length, check_is_fitted, column_or_1d, validate_data

from leadlab.errors import ConfigError, DataError, InsufficientDataError


class TargetError(DataError, ValueError):
    """The target is not binary (a DataError for leadlab, a ValueError for scikit-learn)."""


class SingleClassError(InsufficientDataError, ValueError):
    """The target holds a single class."""
from leadlab.scoring.features import BUSINESS_HOURS, FeatureFrame

MODEL_KINDS = ("auto", "hgb", "logistic")
#: The kinds ``model_kind="auto"`` compares, simplest first (it wins ties, see :func:`choose_kind`).
CANDIDATES = ("logistic", "hgb")
VALIDATIONS = ("time", "random")
CALIBRATIONS = ("sigmoid", "isotonic", "none")
EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


def _threads(n_threads: int | None) -> int:
    """OpenMP threads for gradient boosting: ``n_threads`` when given; else the idle cores
    (cores minus the 1-minute load average, at least one). OpenMP busy-waiting makes an
    oversubscribed fit several times slower (measured: 300,000 rows, 2 cores, load 3: 6 s with one
    thread, 40 s with two), so a busy machine gets one thread. Results do not depend on the count."""
    import math
    import os

    if n_threads:
        return int(n_threads)
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover - platforms without load average
        load = 0.0
    return max(1, min(cores, math.floor(cores - load)))


def _column_means(Z) -> np.ndarray:
    return np.asarray(Z.mean(axis=0)).ravel()


def encoded_means(encoder: ColumnTransformer, X: pd.DataFrame) -> np.ndarray:
    """Column means of ``encoder.transform(X)`` block by block, without stacking the blocks into
    one sparse matrix (which costs more than the blocks themselves).

    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> X = pd.DataFrame({"c": [0.0, 1.0, 1.0], "x": [1.0, 2.0, 6.0]})
    >>> enc = ColumnTransformer([("cat", OneHotEncoder(), ["c"]), ("num", StandardScaler(), ["x"])]).fit(X)
    >>> bool(np.allclose(encoded_means(enc, X), np.asarray(enc.transform(X).mean(axis=0)).ravel()))
    True
    """
    out = np.zeros(sum(sl.stop - sl.start for sl in encoder.output_indices_.values()))
    for name, trans, cols in encoder.transformers_:
        sl = encoder.output_indices_[name]
        if name == "remainder" or trans == "drop" or sl.stop == sl.start:
            continue
        out[sl] = _column_means(trans.transform(X[cols]))
    return out


def signed_log1p(x):
    """log1p for non-negative counts, sign-preserving for negatives (a picklable skops-safe function)."""
    return np.sign(x) * np.log1p(np.abs(x))


#: Sample skewness above which a non-negative number is log-transformed for the logistic model.
SKEW_THRESHOLD = 1.0


def is_skewed(v: np.ndarray) -> bool:
    """True for a non-negative, right-skewed number (sample skewness > :data:`SKEW_THRESHOLD`) with
    more than two distinct values: counts and sizes such as page views or employees, whose effect on
    the log-odds typically grows with the logarithm (the 10th page view matters less than the first).
    Flags (0/1) are left alone.

    >>> is_skewed(np.array([0, 0, 1, 1, 2, 3, 5, 9, 30.0])), is_skewed(np.array([0, 1, 0, 0, 1.0]))
    (True, False)
    """
    v = np.asarray(v, dtype="float64")
    v = v[~np.isnan(v)]
    if len(v) < 3 or v.min() < 0 or len(np.unique(v[:100_000])) <= 2:
        return False
    return bool(pd.Series(v).skew() > SKEW_THRESHOLD)


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from scipy.stats import rankdata

    y = np.asarray(y).astype(bool)
    n1 = int(y.sum())
    n0 = len(y) - n1
    return float((rankdata(p)[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def choose_kind(y: np.ndarray, scores: dict[str, np.ndarray], *, n_boot: int = 200, seed: int = 0
                ) -> tuple[str, dict[str, float], float]:
    """Pick a model kind from validation scores by the one-standard-error rule (Hastie, Tibshirani
    & Friedman, *Elements of Statistical Learning*, 2nd ed., §7.10): the simplest candidate (first
    in ``scores``) wins unless the best one beats it by more than one standard error of the paired
    ROC AUC difference (a paired bootstrap over the validation rows, seeded). Returns the
    winner, each candidate's AUC and that standard error.

    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 2000); x = y + rng.normal(0, 1, 2000)
    >>> choose_kind(y, {"logistic": x, "hgb": x + rng.normal(0, 0.01, 2000)})[0]
    'logistic'
    >>> choose_kind(y, {"logistic": rng.random(2000), "hgb": x})[0]
    'hgb'
    """
    y = np.asarray(y)
    names = list(scores)
    aucs = {k: _auc(y, v) for k, v in scores.items()}
    best = max(names, key=lambda k: (aucs[k], -names.index(k)))
    simple = names[0]
    if best == simple:
        return simple, aucs, 0.0
    from leadlab.scoring.evaluate import ResampledAuc

    rng = np.random.default_rng(seed)
    auc_best, auc_simple = ResampledAuc(y, scores[best]), ResampledAuc(y, scores[simple])
    diffs = []
    for _ in range(n_boot):
        i = rng.integers(0, len(y), len(y))
        if y[i].min() == y[i].max():
            continue
        diffs.append(auc_best(i) - auc_simple(i))
    se = float(np.std(diffs, ddof=1)) if len(diffs) > 1 else float("inf")
    return (best if aucs[best] - aucs[simple] > se else simple), aucs, se


def pipeline_terms(model) -> dict | None:
    """The fitted logistic pipeline of :class:`LeadScorer` unrolled into plain arrays (see
    :meth:`LeadScorer.linear_terms`), or None when ``model`` is not that pipeline.

    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"src": rng.choice(["a", "b"], 300), "x": rng.poisson(3, 300)})
    >>> s = LeadScorer(model_kind="logistic", calibration="none").fit(X, (rng.random(300) < 0.3).astype(int))
    >>> Xt = s.features_.transform(X)
    >>> z = linear_logit({c: Xt[c].to_numpy() for c in Xt.columns}, pipeline_terms(s.model_))
    >>> bool(np.allclose(z, s.model_.decision_function(Xt), atol=1e-12))
    True
    """
    if not isinstance(model, Pipeline) or set(model.named_steps) != {"encode", "logistic"}:
        return None
    enc, lr = model.named_steps["encode"], model.named_steps["logistic"]
    coef = lr.coef_[0]
    terms = {"intercept": float(lr.intercept_[0]), "categorical": {}, "numeric": []}
    for name, trans, cols in enc.transformers_:
        if name == "remainder" or trans == "drop":
            continue
        sl = enc.output_indices_[name]
        w = coef[sl]
        if name == "cat":
            if trans.drop_idx_ is not None:
                return None
            start = 0
            for c, cats in zip(cols, trans.categories_):
                if not np.array_equal(cats, np.arange(len(cats), dtype=float)):
                    return None
                terms["categorical"][c] = w[start:start + len(cats)].copy()
                start += len(cats)
            continue
        steps = dict(trans.named_steps)
        imp, scale = steps.get("impute"), steps.get("scale")
        if imp is None or scale is None or set(steps) - {"impute", "log", "scale"}:
            return None
        ind = [] if imp.indicator_ is None else list(imp.indicator_.features_)
        mean = scale.mean_ if scale.with_mean else np.zeros(len(w))
        sd = scale.scale_ if scale.with_std else np.ones(len(w))
        terms["numeric"].append((list(cols), imp.statistics_.copy(), ind, "log" in steps, mean, sd, w.copy()))
    return terms


def linear_logit(cols: dict[str, np.ndarray], terms: dict) -> np.ndarray:
    """Log-odds of encoded columns from :func:`pipeline_terms`."""
    n = len(next(iter(cols.values()))) if cols else 0
    z = np.full(n, terms["intercept"])
    for c, w in terms["categorical"].items():
        code = cols[c]
        ok = ~np.isnan(code)
        idx = np.where(ok, code, 0).astype(np.int64)
        ok &= (idx >= 0) & (idx < len(w))
        z += np.where(ok, w[np.clip(idx, 0, len(w) - 1)], 0.0)
    for names, med, ind, log, mean, sd, w in terms["numeric"]:
        k = len(names)
        for j, c in enumerate(names):
            x = cols[c]
            miss = np.isnan(x)
            v = np.where(miss, med[j], x)
            if log:
                v = signed_log1p(v)
            z += (v - mean[j]) * (w[j] / sd[j])
        for i, j in enumerate(ind):
            flag = np.isnan(cols[names[j]]).astype("float64")
            if log:
                flag = signed_log1p(flag)
            z += (flag - mean[k + i]) * (w[k + i] / sd[k + i])
    return z


class _Candidate(NamedTuple):
    """A model fit while choosing the kind: its fit rows, validation rows, the model and its
    uncalibrated validation scores."""

    fit: np.ndarray
    validation: np.ndarray
    model: object
    raw_validation: np.ndarray


class LeadScorer(ClassifierMixin, BaseEstimator):
    """Binary lead-conversion classifier with calibrated probabilities.

    Parameters mirror scikit-learn's: ``__init__`` only stores them, ``fit`` returns
    ``self``, learned attributes end in ``_``. Accepts a pandas DataFrame (types inferred
    or given as lists) or a numeric array.

    model_kind: ``"auto"`` (compare logistic and boosting on a validation fold, keep the winner),
    ``"hgb"`` or ``"logistic"``. validation: ``"time"`` (most recent rows by ``time_col``, or the
    last rows when there is none) or ``"random"`` (stratified); validation_share: its size.
    C: inverse L2 strength (logistic).
    learning_rate, max_iter, max_leaf_nodes, min_samples_leaf, l2_regularization: HGB knobs
    (early stopping on an internal validation share); interactions=False makes the boosting
    additive (one feature per tree: a GAM, often better on small lead tables).
    refit_full: after fitting the calibration map on the held-out share, refit the model on
    all rows (the map is kept), so no training data is lost to calibration. calibration: ``"sigmoid"``,
    ``"isotonic"`` or ``"none"``; calibration_share: share of training rows held out for it.
    time_col: column ordering the rows (its most recent rows calibrate; its hour/weekday/month
    and a created-in-business-hours flag are features). numeric/categorical/boolean/timestamp:
    explicit feature lists (inferred when all are None). business_hours: (start, end) hours,
    Monday-Friday, of the ``<timestamp>_business_hours`` flag; None leaves it out.
    Logistic preprocessing: non-negative right-skewed numbers (:func:`is_skewed`) are log1p'd,
    then every number is median-imputed (with a missing indicator) and standardized. min_per_class: refuse to train with fewer positives or negatives.
    selection_rows: with ``model_kind="auto"``, at most this many of the older rows (a seeded random
    sample, the same for every candidate) fit the candidates; None: all of them. The comparison is
    decided by the validation fold, whose rows are all used; see docs/scoring.md (Speed) for the evidence.
    n_threads: OpenMP threads for boosting (None: all cores, one when the machine is busy).
    """

    #: A model file saved before ``selection_rows`` existed reads as "no sampling", how it was fit.
    selection_rows: int | None = None

    def __init__(
        self,
        model_kind: str = "auto",
        *,
        validation: str = "time",
        validation_share: float = 0.2,
        C: float = 1.0,
        learning_rate: float = 0.05,
        max_iter: int = 500,
        max_leaf_nodes: int = 7,
        min_samples_leaf: int = 100,
        l2_regularization: float = 1.0,
        interactions: bool = True,
        refit_full: bool = True,
        calibration: str = "sigmoid",
        calibration_share: float = 0.2,
        time_col: str | None = None,
        numeric: list[str] | None = None,
        categorical: list[str] | None = None,
        boolean: list[str] | None = None,
        timestamp: list[str] | None = None,
        business_hours: tuple[int, int] | None = BUSINESS_HOURS,
        min_per_class: int = 40,
        selection_rows: int | None = 200_000,
        n_threads: int | None = None,
        random_state: int = 0,
    ):
        self.model_kind = model_kind
        self.validation = validation
        self.validation_share = validation_share
        self.C = C
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.interactions = interactions
        self.refit_full = refit_full
        self.calibration = calibration
        self.calibration_share = calibration_share
        self.time_col = time_col
        self.numeric = numeric
        self.categorical = categorical
        self.boolean = boolean
        self.timestamp = timestamp
        self.business_hours = business_hours
        self.min_per_class = min_per_class
        self.selection_rows = selection_rows
        self.n_threads = n_threads
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags

    # -- building ----------------------------------------------------------
    def _features(self) -> FeatureFrame:
        given = [self.numeric, self.categorical, self.boolean, self.timestamp]
        if all(g is None for g in given):
            return FeatureFrame(business_hours=self.business_hours)
        ts = list(self.timestamp or [])
        return FeatureFrame(numeric=list(self.numeric or []), categorical=list(self.categorical or []),
                            boolean=list(self.boolean or []), timestamp=ts, business_hours=self.business_hours)

    def _model(self, frame: FeatureFrame, Xt: pd.DataFrame, kind: str):
        cat_cols = [c for c in Xt.columns if c in frame.categorical_out_]
        num_cols = [c for c in Xt.columns if c not in cat_cols]
        if kind == "hgb":
            mask = [c in cat_cols for c in Xt.columns]
            return HistGradientBoostingClassifier(
                learning_rate=self.learning_rate, max_iter=self.max_iter, max_leaf_nodes=self.max_leaf_nodes,
                min_samples_leaf=self.min_samples_leaf, l2_regularization=self.l2_regularization,
                categorical_features=mask if any(mask) else None, early_stopping=True,
                validation_fraction=0.15, n_iter_no_change=25, random_state=self.random_state,
                interaction_cst=None if self.interactions else "no_interactions",
            )
        skewed = [c for c in num_cols if is_skewed(Xt[c].to_numpy())]
        plain = [c for c in num_cols if c not in skewed]
        sizes = frame.category_counts()
        steps = []
        if cat_cols:
            steps.append(("cat", OneHotEncoder(categories=[np.arange(sizes[c], dtype=float) for c in cat_cols],
                                               handle_unknown="ignore", sparse_output=True), cat_cols))
        if plain:
            steps.append(("num", Pipeline([("impute", SimpleImputer(strategy="median", add_indicator=True,
                                                                    keep_empty_features=True)),
                                           ("scale", StandardScaler())]), plain))
        if skewed:
            steps.append(("log", Pipeline([("impute", SimpleImputer(strategy="median", add_indicator=True,
                                                                   keep_empty_features=True)),
                                           ("log", FunctionTransformer(signed_log1p, feature_names_out="one-to-one")),
                                           ("scale", StandardScaler())]), skewed))
        return Pipeline([
            ("encode", ColumnTransformer(steps, remainder="drop", verbose_feature_names_out=False)),
            ("logistic", LogisticRegression(C=self.C, max_iter=2000)),
        ])

    def _check_params(self) -> None:
        if self.model_kind not in MODEL_KINDS:
            raise ConfigError(f"model_kind={self.model_kind!r}: choose one of {', '.join(MODEL_KINDS)}")
        if self.validation not in VALIDATIONS:
            raise ConfigError(f"validation={self.validation!r}: choose one of {', '.join(VALIDATIONS)}")
        if not 0.05 <= self.validation_share <= 0.5:
            raise ConfigError(f"validation_share={self.validation_share}: must be between 0.05 and 0.5")
        if self.calibration not in CALIBRATIONS:
            raise ConfigError(f"calibration={self.calibration!r}: choose one of {', '.join(CALIBRATIONS)}")
        if not 0 < self.calibration_share < 0.9 and self.calibration != "none":
            raise ConfigError(f"calibration_share={self.calibration_share}: must be between 0 and 0.9")
        if self.selection_rows is not None and not (isinstance(self.selection_rows, (int, np.integer))
                                                    and self.selection_rows >= 100):
            raise ConfigError(f"selection_rows={self.selection_rows!r}: give a whole number of at least 100, or None")

    # -- sklearn API -------------------------------------------------------
    def fit(self, X, y, sample_weight=None, calibration_from=None):
        """Fit on ``X``, ``y``. ``calibration_from``: (uncalibrated probabilities, outcomes) of the same
        kind of model fit on older rows and scored on newer ones (e.g. a holdout run's test rows); when
        given, the calibration map is fit on them and the model once on every row, with no held-out share."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=_threads(self.n_threads), user_api="openmp"):
            return self._fit(X, y, sample_weight, calibration_from)

    def _fit(self, X, y, sample_weight=None, calibration_from=None):
        self._check_params()
        if not isinstance(X, pd.DataFrame):
            X = validate_data(self, X, reset=True, ensure_all_finite="allow-nan", dtype=None)
            X = FeatureFrame._frame(X)
        else:
            self.n_features_in_ = X.shape[1]
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            if len(X) == 0:
                raise ValueError("Found array with 0 sample(s) (shape=(0, %d)) while a minimum of 1 is required." % X.shape[1])
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        kind = type_of_target(y, input_name="y", raise_unknown=True)
        if kind == "continuous":
            raise ValueError(f"Unknown label type: {kind}. LeadScorer needs a binary target.")
        if len(np.unique(y)) < 2:
            raise SingleClassError("the target has a single class; a scorer needs both outcomes "
                                   "(one class present in the training rows)")
        if kind != "binary":
            raise TargetError(f"Only binary classification is supported. The target is {kind} with classes "
                              f"{np.unique(y)[:6].tolist()}; a lead scorer needs two outcomes.")
        self.classes_ = np.unique(y)
        yb = (y == self.classes_[1]).astype(np.int64)
        n_pos, n_neg = int(yb.sum()), int(len(yb) - yb.sum())
        if min(n_pos, n_neg) < self.min_per_class:
            raise InsufficientDataError(
                f"too little data to train: {n_pos} positive and {n_neg} negative outcomes; "
                f"at least {self.min_per_class} of each are needed (min_per_class)"
            )
        self.features_ = self._features().fit(X)
        Xt = self.features_.transform(X)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, np.empty((len(yb), 0)))
        fitted: dict[str, _Candidate] = {}
        if self.model_kind == "auto":
            self.kind_, self.candidates_, self.validation_, fitted = self._select_kind(X, Xt, yb, sample_weight)
        else:
            self.kind_, self.candidates_, self.validation_ = self.model_kind, {}, {}
        if calibration_from is not None:
            fit_idx, cal_idx = np.arange(len(yb)), np.arange(0)
        else:
            fit_idx, cal_idx = self.calibration_rows(X, yb)
        cand = fitted.get(self.kind_)
        if cand is None or not np.array_equal(cand.fit, fit_idx):
            cand = None  # else the candidate is this very fit: same encoding, rows and settings
        refit = self.refit_full and len(cal_idx) > 0
        with ThreadPoolExecutor(max_workers=1) as pool:
            # The refit on every row does not depend on the first fit: a logistic refit (one core) runs
            # beside it; boosting uses every core itself (OpenMP), so it refits after.
            refitting = pool.submit(self._fitted_model, Xt, yb, None, sample_weight) if (
                refit and self.kind_ == "logistic") else None
            self.model_ = cand.model if cand is not None else self._fitted_model(Xt, yb, fit_idx, sample_weight)
            self.calibrator_ = None
            self.calibration_used_ = "none"
            if calibration_from is not None and self.calibration != "none":
                raw, outcome = (np.asarray(v) for v in calibration_from)
                self._fit_calibrator(_logit(raw.astype("float64")), (outcome == self.classes_[1]).astype(np.int64))
            elif len(cal_idx):
                if cand is not None and np.array_equal(cand.validation, cal_idx):
                    raw = cand.raw_validation  # the candidate's validation scores are these calibration scores
                else:
                    raw = self._raw(self.model_, Xt.iloc[cal_idx])
                self._fit_calibrator(_logit(raw), yb[cal_idx])
            if refit:
                self.model_ = refitting.result() if refitting else self._fitted_model(Xt, yb, None, sample_weight)
                fit_idx = np.arange(len(yb))
        rows = Xt if len(fit_idx) == len(yb) else Xt.iloc[fit_idx]
        self.reference_row_ = self._reference_row(rows)
        if self.kind_ == "logistic":
            self.encoded_mean_ = encoded_means(self.model_.named_steps["encode"], rows)
        if calibration_from is not None:
            self.n_fit_, self.n_calibration_ = len(yb), 0
        else:
            self.n_fit_, self.n_calibration_ = len(yb) - len(cal_idx), len(cal_idx)
        if self.kind_ == "hgb":
            self.n_iter_ = int(self.model_.n_iter_)
        else:
            self.n_iter_ = int(np.max(self.model_.named_steps["logistic"].n_iter_))
        self.base_rate_ = float(yb.mean())
        return self

    def _fitted_model(self, Xt: pd.DataFrame, yb: np.ndarray, rows: np.ndarray | None, sample_weight):
        """A new model of the chosen kind fit on the encoded ``rows`` (None: every row)."""
        model = self._model(self.features_, Xt, self.kind_)
        self._fit_model(model, Xt, yb, rows, sample_weight)
        return model

    def _fit_model(self, model, Xt: pd.DataFrame, yb: np.ndarray, rows: np.ndarray | None, sample_weight) -> None:
        """Fit ``model`` (either kind) on the encoded ``rows`` (None: every row)."""
        Xr, yr = (Xt, yb) if rows is None else (Xt.iloc[rows], yb[rows])
        sw = sample_weight if sample_weight is None or rows is None else sample_weight[rows]
        if isinstance(model, HistGradientBoostingClassifier):
            model.fit(Xr, yr, sample_weight=sw)
        else:
            model.fit(Xr, yr, logistic__sample_weight=sw)

    def _fit_calibrator(self, raw_logit: np.ndarray, yb: np.ndarray) -> None:
        """The map from the model's log-odds to calibrated probabilities (Platt or isotonic)."""
        if self.calibration == "sigmoid":
            cal = LogisticRegression(C=1e6, max_iter=1000).fit(raw_logit.reshape(-1, 1), yb)
            self.calibrator_ = (float(cal.coef_[0, 0]), float(cal.intercept_[0]))
        else:
            self.calibrator_ = IsotonicRegression(out_of_bounds="clip", y_min=EPS, y_max=1 - EPS).fit(raw_logit, yb)
        self.calibration_used_ = self.calibration

    def calibration_rows(self, X: pd.DataFrame, yb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sorted row numbers the model is first fit on and those its calibration map is fit on: the
        most recent ``calibration_share`` by ``time_col``, else a stratified random share (seeded);
        no calibration rows with ``calibration="none"`` or when a part would hold a single class."""
        idx = np.arange(len(yb))
        if self.calibration == "none":
            return idx, idx[:0]
        if self.time_col is not None and self.time_col in X.columns:
            order = np.argsort(pd.to_datetime(X[self.time_col]).to_numpy(), kind="stable")
            n_cal = int(round(len(idx) * self.calibration_share))
            fit_idx, cal_idx = np.sort(order[:-n_cal]), np.sort(order[-n_cal:])
        else:
            n_pos = int(yb.sum())
            strat = yb if min(n_pos, len(yb) - n_pos) >= 2 else None
            fit_idx, cal_idx = train_test_split(idx, test_size=self.calibration_share,
                                                random_state=self.random_state, stratify=strat)
        if len(np.unique(yb[fit_idx])) < 2 or len(np.unique(yb[cal_idx])) < 2:
            return idx, idx[:0]
        return fit_idx, cal_idx

    def _validation_rows(self, X: pd.DataFrame, yb: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict] | None:
        """Rows to fit the candidates on, rows to compare them on and how that fold was drawn
        (facts: ``how`` code ``time`` / ``row_order`` / ``random`` / ``random_single_class``, ``share``,
        ``time_col``), or None when the data are too small for a fold holding both outcomes."""
        idx = np.arange(len(yb))
        n_val = int(round(len(idx) * self.validation_share))

        def both(rows: np.ndarray) -> bool:
            return len(rows) > 0 and 0 < int(yb[rows].sum()) < len(rows)

        if n_val < 2 or len(idx) - n_val < 2:
            return None
        if self.validation == "time":
            if self.time_col is not None and self.time_col in X.columns:
                order = np.argsort(pd.to_datetime(X[self.time_col]).to_numpy(), kind="stable")
                how = {"how": "time", "share": self.validation_share, "time_col": self.time_col}
            else:
                order = idx
                how = {"how": "row_order", "share": self.validation_share}
            fit, val = np.sort(order[:-n_val]), np.sort(order[-n_val:])
            if both(fit) and both(val):
                return fit, val, how
        try:
            fit, val = train_test_split(idx, test_size=n_val, random_state=self.random_state, stratify=yb)
        except ValueError:
            return None
        how = {"how": "random_single_class" if self.validation == "time" else "random",
               "share": self.validation_share}
        return (np.sort(fit), np.sort(val), how) if both(fit) and both(val) else None

    def _select_kind(self, X: pd.DataFrame, Xt: pd.DataFrame, yb: np.ndarray, sample_weight
                     ) -> tuple[str, dict, dict, dict[str, _Candidate]]:
        """``model_kind="auto"``: fit every candidate (uncalibrated: ROC AUC depends on the ranking
        only) on the older rows of the encoded training rows ``Xt``, compare on the validation fold by
        :func:`choose_kind`. Also returns the winner's fit (:class:`_Candidate`), which :meth:`fit`
        reuses when its own first fit is on the same rows."""
        rows = self._validation_rows(X, yb)
        if rows is None:
            return CANDIDATES[0], {}, {"how": "too_few", "fallback": CANDIDATES[0], "n_fit": 0, "n_validation": 0}, {}
        fit, val, how = rows
        if self.selection_rows is not None and len(fit) > self.selection_rows:
            sample = np.sort(np.random.default_rng(self.random_state).choice(fit, int(self.selection_rows), replace=False))
            if 0 < int(yb[sample].sum()) < len(sample):
                fit, how = sample, {**how, "fit_sample_of": int(len(fit))}
        fitted = {}
        for kind in CANDIDATES:
            model = self._model(self.features_, Xt, kind)
            self._fit_model(model, Xt, yb, fit, sample_weight)
            fitted[kind] = _Candidate(fit, val, model, self._raw(model, Xt.iloc[val]))
        winner, aucs, se = choose_kind(yb[val], {k: c.raw_validation for k, c in fitted.items()},
                                       seed=self.random_state)
        candidates = {k: {"roc_auc": float(a)} for k, a in aucs.items()}
        return winner, candidates, {**how, "n_fit": int(len(fit)), "n_validation": int(len(val)),
                                    "se_difference": float(se)}, {winner: fitted[winner]}

    def _reference_row(self, Xt: pd.DataFrame) -> dict[str, float]:
        """The 'typical lead': median of numbers, most frequent code of categories."""
        ref = {}
        for c in Xt.columns:
            v = Xt[c].to_numpy()
            v = v[~np.isnan(v)]
            if not len(v):
                ref[c] = float("nan")
            elif c in self.features_.categorical_out_:
                vals, counts = np.unique(v, return_counts=True)
                ref[c] = float(vals[np.argmax(counts)])
            else:
                ref[c] = float(np.median(v))
        return ref

    def _transform(self, X) -> pd.DataFrame:
        check_is_fitted(self, "model_")
        if not isinstance(X, pd.DataFrame):
            X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=None)
            X = FeatureFrame._frame(X)
        return self.features_.transform(X)

    def raw_proba(self, X) -> np.ndarray:
        """Uncalibrated probability of the positive class from the underlying model."""
        check_is_fitted(self, "model_")
        from threadpoolctl import threadpool_limits

        Xt = self._transform(X)
        with threadpool_limits(limits=_threads(self.n_threads), user_api="openmp"):
            return self._raw(self.model_, Xt)

    @staticmethod
    def _raw(model, Xt: pd.DataFrame) -> np.ndarray:
        """Uncalibrated probabilities of a fitted model (either kind) on encoded rows; the logistic
        pipeline is evaluated as array arithmetic (:func:`pipeline_terms`), without its one-hot matrix."""
        terms = pipeline_terms(model) if isinstance(model, Pipeline) else None
        if terms is None:
            return model.predict_proba(Xt)[:, 1]
        from scipy.special import expit

        return expit(linear_logit({c: Xt[c].to_numpy() for c in Xt.columns}, terms))

    def linear_terms(self) -> dict | None:
        """The fitted logistic pipeline unrolled into plain arrays, or None when the model is not
        the standard logistic pipeline: ``intercept``; ``categorical`` {column: weight per code};
        ``numeric`` [(columns, medians, indicator columns, log1p?, means, scales, coefs)]. The
        log-odds of a row is the intercept plus the weight of each category code plus, per numeric
        block, ((f(imputed values, indicators) - means) / scales) @ coefs — exactly what the
        scikit-learn pipeline computes, without building the one-hot matrix."""
        check_is_fitted(self, "model_")
        return pipeline_terms(self.model_) if self.kind_ == "logistic" else None

    def _linear_logit(self, cols: dict[str, np.ndarray], terms: dict) -> np.ndarray:
        return linear_logit(cols, terms)

    def proba_from_columns(self, cols: dict[str, np.ndarray]) -> np.ndarray:
        """Calibrated probability of conversion from encoded columns (:meth:`FeatureFrame.transform_arrow`):
        the batch-scoring fast path. The logistic model is evaluated as plain array arithmetic
        (:meth:`linear_terms`); gradient boosting predicts on the encoded matrix."""
        check_is_fitted(self, "model_")
        terms = self.linear_terms()
        if terms is not None:
            z = self._linear_logit(cols, terms)
            if isinstance(self.calibrator_, tuple):
                a, b = self.calibrator_
                return 1.0 / (1.0 + np.exp(-(a * np.clip(z, _logit(EPS), _logit(1 - EPS)) + b)))
            return self._calibrate(1.0 / (1.0 + np.exp(-z)))
        from threadpoolctl import threadpool_limits

        threads = _threads(self.n_threads)
        with threadpool_limits(limits=threads, user_api="openmp"):
            raw = self._hgb_binned_raw(cols, threads)
            if raw is not None:
                return self._calibrate(1.0 / (1.0 + np.exp(-raw)))
            return self._calibrate(self.model_.predict_proba(pd.DataFrame(cols, copy=False))[:, 1])

    def _hgb_binned_raw(self, cols: dict[str, np.ndarray], threads: int) -> np.ndarray | None:
        """Boosting log-odds via :class:`~leadlab.scoring.boosting.BinnedBooster`: each column binned
        straight to the model's uint8 bins (no float matrix, no second category encoding, unused
        columns skipped), then scikit-learn's tree walk on the compact matrix — equal to
        ``predict_proba`` (tested to 1e-12). Uses scikit-learn internals of
        HistGradientBoostingClassifier; returns None (the caller uses ``predict_proba``) when they
        are not as expected."""
        from leadlab.scoring.boosting import booster_for

        try:
            return booster_for(self.model_, self.features_.category_counts()).raw(cols, threads)
        except (AttributeError, TypeError, ValueError, IndexError, KeyError):  # pragma: no cover - other sklearn versions
            return None

    def _calibrate(self, raw: np.ndarray) -> np.ndarray:
        if self.calibrator_ is None:
            return raw
        z = _logit(raw)
        if isinstance(self.calibrator_, tuple):
            a, b = self.calibrator_
            return 1.0 / (1.0 + np.exp(-(a * z + b)))
        return self.calibrator_.predict(z)

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated class probabilities, shape (n, 2)."""
        p = self._calibrate(self.raw_proba(X))
        return np.column_stack([1 - p, p])

    def decision_function(self, X) -> np.ndarray:
        """The calibrated log-odds of conversion."""
        return _logit(self.predict_proba(X)[:, 1])

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    def score_0_100(self, X) -> np.ndarray:
        """Scores 0-100: the calibrated probability x 100."""
        return 100.0 * self.predict_proba(X)[:, 1]

    @property
    def feature_names_(self) -> list[str]:
        check_is_fitted(self, "features_")
        return list(self.features_.input_columns_)
