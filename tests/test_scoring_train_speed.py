"""Training speed work (issue 13) that must not change what is learnt: the auto choice reuses the
winner's fit, the final refit calibrates from the holdout scorer, fast encodings equal the slow ones;
and the one output-changing step — candidates fit on a seeded sample of at most ``selection_rows``
older rows — still picks the kind the truth calls for (seeded simulation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from leadlab.errors import ConfigError
from leadlab.scoring import fitting
from leadlab.scoring.features import MISSING, FeatureFrame
from leadlab.scoring.holdout import as_text
from leadlab.scoring.model import LeadScorer, _logit
from leadlab.scoring.monitor import profile_frame, psi_table
from leadlab.scoring.prepare import prepare


def _leads(truth: str, n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Two numbers and a category; ``interaction``: the outcome depends on sign(x1) x sign(x2) only
    (no additive signal: logistic regression is blind to it); ``additive``: a logistic truth."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "src": rng.choice(["web", "event", "list"], n)})
    if truth == "interaction":
        z = -1.0 + 1.6 * np.sign(X.x1) * np.sign(X.x2)
    else:
        z = -1.0 + 0.8 * X.x1 - 0.6 * X.x2 + np.where(X.src == "event", 0.7, 0.0)
    return X, (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)


@pytest.mark.parametrize("truth,kind", [("interaction", "hgb"), ("additive", "logistic")])
def test_sampled_candidates_pick_the_kind_the_truth_calls_for(truth, kind):
    """Seeded simulation, 3 data sets per truth: candidates fit on 1,500 of the 4,800 older rows."""
    picks = []
    for seed in range(3):
        X, y = _leads(truth, 6000, seed)
        s = LeadScorer(model_kind="auto", selection_rows=1500, random_state=seed).fit(X, y)
        assert s.validation_["n_fit"] == 1500 and s.validation_["fit_sample_of"] == 4800
        assert s.validation_["n_validation"] == 1200  # every validation row is used
        picks.append(s.kind_)
    assert picks == [kind] * 3


def test_sampled_selection_is_seeded_and_all_rows_when_small():
    X, y = _leads("additive", 3000, 5)
    a = LeadScorer(selection_rows=1000, random_state=1).fit(X, y)
    b = LeadScorer(selection_rows=1000, random_state=1).fit(X, y)
    assert a.candidates_ == b.candidates_
    whole = LeadScorer(selection_rows=None).fit(X, y)
    assert "fit_sample_of" not in whole.validation_ and whole.validation_["n_fit"] == 2400
    assert LeadScorer().fit(X, y).candidates_ == whole.candidates_  # 2,400 rows < the default 200,000
    with pytest.raises(ConfigError, match="selection_rows"):
        LeadScorer(selection_rows=5).fit(X, y)


@pytest.mark.parametrize("truth", ["additive", "interaction"])
def test_auto_reuses_the_winners_fit_exactly(truth):
    """The winner's candidate fit is the chosen kind's first fit: ``auto`` ends with the same model and
    calibration map as asking for that kind directly."""
    X, y = _leads(truth, 3000, 2)
    X["created_at"] = pd.date_range("2026-01-01", periods=len(X), freq="h")
    auto = LeadScorer(time_col="created_at").fit(X, y)
    direct = LeadScorer(model_kind=auto.kind_, time_col="created_at").fit(X, y)
    assert auto.calibrator_ == direct.calibrator_
    np.testing.assert_array_equal(auto.raw_proba(X), direct.raw_proba(X))


def test_refit_all_is_the_full_fit_calibrated_on_the_holdout_scorer():
    """The saved model equals a fit on every row; its calibration map is Platt scaling of the holdout
    scorer (the same kind fit on the training rows) on the test rows, instead of a third fit."""
    X, y = _leads("additive", 3000, 3)
    X["created_at"] = pd.date_range("2026-01-01", periods=len(X), freq="h")
    X["y"] = y
    prep = prepare(X, target="y", time_col="created_at", split="time", holdout_share=0.2, include=None,
                   exclude=(), maturity_days=30, seed=0)
    params = fitting.scorer_params(prep, model_kind="logistic", min_per_class=40, calibration="sigmoid", seed=0)
    holdout = fitting.fit_holdout(prep, params)
    final = fitting.refit_all(prep, params, "logistic", holdout)
    before = LeadScorer(**params).fit(prep.frame[prep.columns], prep.y)  # fit, calibrate, refit: three fits
    lr_final, lr_before = final.model_.named_steps["logistic"], before.model_.named_steps["logistic"]
    np.testing.assert_array_equal(lr_final.coef_, lr_before.coef_)
    raw = holdout.raw_proba(prep.frame.iloc[prep.test][prep.columns])
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(_logit(raw).reshape(-1, 1), prep.y[prep.test])
    assert final.calibrator_ == (float(platt.coef_[0, 0]), float(platt.intercept_[0]))
    assert final.calibrator_ == pytest.approx(before.calibrator_, abs=0.02)  # same rows, own encoding
    assert (final.n_fit_, final.n_calibration_) == (len(prep.y), 0)


@pytest.mark.parametrize("values", [
    pd.Series(["a", "b", None, "zz", "b"]), pd.Series(["a", None, "b"], dtype="string"),
    pd.Series([1.0, np.nan, 3.5, 1.0]), pd.Series(pd.Categorical(["a", None, "q"])),
    pd.Series([1, "1", None, True, "x"], dtype=object), pd.Series([2, 3, 2]),
    pd.Series([True, None, False], dtype="boolean"),
])
def test_category_codes_per_distinct_value_equal_row_by_row(values):
    cats = ["a", "b", "1", "1.0", "3.5", "2", "True", MISSING, "(other)"]
    slow = pd.Index(cats).get_indexer(FeatureFrame._text(values)).astype("float64")
    slow[slow < 0] = len(cats) - 1
    np.testing.assert_array_equal(FeatureFrame._codes(values, cats), slow)


def test_drift_profiles_from_text_once_per_value_are_unchanged():
    rng = np.random.default_rng(0)
    f = pd.DataFrame({"a": rng.integers(0, 40, 5000).astype(float), "x": rng.normal(size=5000),
                      "b": np.where(rng.random(5000) < 0.1, np.nan, rng.integers(0, 5, 5000).astype(float))})
    slow = profile_frame(f, ["a", "b"], ["x"])
    assert profile_frame(as_text(f, ["a", "b"]), ["a", "b"], ["x"]) == slow
    g = f.sample(900, random_state=1)
    assert psi_table(slow, as_text(g, ["a", "b"])).equals(psi_table(slow, g))


def test_the_choice_sentence_says_when_the_candidates_were_fit_on_a_sample():
    from leadlab.i18n.lang import use_lang
    from leadlab.scoring import text

    choice = {"requested": "auto", "chosen": "logistic",
              "candidates": {"logistic": {"roc_auc": 0.7355}, "hgb": {"roc_auc": 0.7323}},
              "validation": {"how": "time", "time_col": "created_at", "share": 0.2, "n_fit": 200_000, "fit_sample_of": 640_000,
                             "n_validation": 160_000, "se_difference": 0.002}}
    with use_lang("en"):
        en = text.choice(choice)
    with use_lang("zh"):
        zh = text.choice(choice)
    assert "random sample of 200,000 of the other 640,000 rows" in en
    assert "640,000 行中随机抽取的 200,000 行" in zh
    del choice["validation"]["fit_sample_of"]
    with use_lang("en"):
        assert "candidates fit on the other 200,000 rows" in text.choice(choice)
