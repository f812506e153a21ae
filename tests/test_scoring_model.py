"""LeadScorer: scikit-learn contract, calibration, minimum data, per-lead reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from leadlab.errors import ConfigError, DataError, InsufficientDataError
from leadlab.scoring.evaluate import ece
from leadlab.scoring.explain import contributions, reasons, reference_logit
from leadlab.scoring.model import LeadScorer

# Fitting with sample weights is not the same as repeating rows: the held-out calibration share
# and HistGradientBoosting's early-stopping split are drawn over rows, not over weight.
EXPECTED = {"check_sample_weight_equivalence_on_dense_data": "calibration/early-stopping splits are row-based"}


@parametrize_with_checks(
    [LeadScorer(model_kind="logistic", min_per_class=1),
     LeadScorer(model_kind="hgb", min_per_class=1, min_samples_leaf=5, max_iter=100)],
    expected_failed_checks=lambda est: EXPECTED,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


AUTO_CHECKS = ("check_no_attributes_set_in_init", "check_get_params_invariance", "check_set_params",
               "check_dont_overwrite_parameters", "check_estimators_overwrite_params", "check_fit_idempotent",
               "check_n_features_in", "check_fit_check_is_fitted", "check_classifiers_train",
               "check_estimators_pickle", "check_classifiers_regression_target")


@pytest.mark.parametrize("name", AUTO_CHECKS)
def test_sklearn_contract_of_the_default_auto_kind(name):
    """The default ``model_kind="auto"`` keeps the estimator contract (a chosen subset of the
    checks above, which run the full list for the two fixed kinds; the full list for auto as well
    would add about a minute to the suite)."""
    from sklearn.utils import estimator_checks

    getattr(estimator_checks, name)("LeadScorer", LeadScorer(min_per_class=1, min_samples_leaf=5, max_iter=50))


def make_leads(n: int = 6000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Leads with a known logistic truth: source dominates, page views and seniority help."""
    rng = np.random.default_rng(seed)
    source = rng.choice(["referral", "web_form", "list_purchase"], n, p=[0.2, 0.5, 0.3])
    title = rng.choice(["c_level", "manager", "staff"], n)
    views = rng.poisson(3, n)
    logit = (-2.0 + np.select([source == "referral", source == "list_purchase"], [1.5, -1.5], 0.0)
             + 0.3 * np.log1p(views) + np.where(title == "c_level", 0.4, 0.0))
    p = 1 / (1 + np.exp(-logit))
    y = (rng.random(n) < p).astype(int)
    X = pd.DataFrame({"source": source, "job_title": title, "page_views": views,
                      "created_at": pd.date_range("2026-01-01", periods=n, freq="37min")})
    return X, y, p


@pytest.fixture(scope="module")
def leads():
    return make_leads()


@pytest.mark.parametrize("kind", ["logistic", "hgb"])
def test_calibrated_on_known_truth(leads, kind):
    X, y, _ = leads
    cols = ["source", "job_title", "page_views"]
    Xt, yt, pt = make_leads(20000, seed=1)
    s = LeadScorer(model_kind=kind).fit(X[cols], y)
    q = s.predict_proba(Xt[cols])[:, 1]
    # as calibrated as the true probabilities themselves (up to 0.01), and close to them
    assert ece(yt, q) <= ece(yt, pt) + 0.01
    assert np.abs(q - pt).mean() < 0.025
    assert s.calibration_used_ == "sigmoid" and s.n_calibration_ == 1200


def test_pipeline_gridsearch_and_calibratedcv(leads):
    X, y, _ = leads
    pipe = Pipeline([("noop", FunctionTransformer(validate=False)), ("score", LeadScorer(model_kind="logistic"))])
    grid = GridSearchCV(pipe, {"score__C": [0.1, 1.0]}, cv=3, scoring="roc_auc").fit(X, y)
    assert grid.best_score_ > 0.7
    cal = CalibratedClassifierCV(LeadScorer(model_kind="logistic", calibration="none"), cv=3).fit(X, y)
    assert cal.predict_proba(X.head(5)).shape == (5, 2)


def test_minimum_data_refused():
    X, y, _ = make_leads(600, seed=3)
    y = np.zeros(600, int)
    y[:25] = 1
    with pytest.raises(InsufficientDataError, match=r"25 positive and 575 negative.*at least 40"):
        LeadScorer().fit(X, y)
    LeadScorer(min_per_class=20, model_kind="logistic").fit(X, y)  # configurable


def test_bad_parameters_and_targets(leads):
    X, y, _ = leads
    with pytest.raises(ConfigError, match="model_kind='forest'"):
        LeadScorer(model_kind="forest").fit(X, y)
    with pytest.raises(DataError, match="Only binary"):
        LeadScorer().fit(X, np.arange(len(y)) % 3)
    with pytest.raises(InsufficientDataError, match="single class"):
        LeadScorer().fit(X, np.ones(len(y), int))


def test_missing_feature_column_at_scoring(leads):
    X, y, _ = leads
    s = LeadScorer(model_kind="logistic").fit(X, y)
    with pytest.raises(DataError, match="missing feature column 'page_views'"):
        s.predict_proba(X.drop(columns="page_views"))


def test_unseen_categories_handled_and_counted(leads):
    X, y, _ = leads
    s = LeadScorer(model_kind="hgb").fit(X, y)
    new = X.head(10).copy()
    new.loc[:3, "source"] = "tradeshow_2027"
    p = s.predict_proba(new)[:, 1]
    assert np.isfinite(p).all()
    assert s.features_.unseen_counts(new) == {"source": 4}


def test_linear_reasons_sum_exactly_to_logit(leads):
    X, y, _ = leads
    s = LeadScorer(model_kind="logistic", time_col="created_at").fit(X, y)
    c = contributions(s, X.head(200))
    total = s.decision_function(X.head(200)) - reference_logit(s)
    np.testing.assert_allclose(c.sum(axis=1).to_numpy(), total, atol=1e-9)


@pytest.mark.parametrize("kind", ["logistic", "hgb"])
def test_reasons_recover_dominant_driver(leads, kind):
    X, y, _ = leads
    s = LeadScorer(model_kind=kind).fit(X, y)
    sample = X.iloc[:300]
    c = contributions(s, sample)
    # the true dominant driver is source (±1.5 on the logit); it must be the largest factor
    assert c.abs().mean().idxmax() == "source"
    r = reasons(s, sample, top=2)
    referral = (sample.source == "referral").to_numpy()
    listp = (sample.source == "list_purchase").to_numpy()
    assert r.up_1[referral].str.startswith("source = referral").mean() > 0.95
    assert r.down_1[listp].str.startswith("source = list_purchase").mean() > 0.95
