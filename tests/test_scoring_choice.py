"""`model_kind="auto"`: the validation fold, the one-standard-error rule, and the choice in the
training result and the model card; the fitness rules on fixed numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from leadlab.errors import ConfigError, ModelError
from leadlab.scoring import persist
from leadlab.scoring.model import LeadScorer, choose_kind
from leadlab.scoring.quality import assess, check_usable
from leadlab.scoring.train import train_scorer
from leadlab.scoring.text import validation


def additive(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A logistic truth: additive on the logit in one category and two numbers."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"source": rng.choice(["web", "event", "list"], n), "x1": rng.normal(size=n),
                      "x2": rng.normal(size=n),
                      "created_at": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.permutation(n) * 600, unit="s")})
    logit = -1.5 + np.where(X.source == "event", 1.0, 0.0) + 0.8 * X.x1 - 0.5 * X.x2
    return X, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


def interaction(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A truth no additive model can learn: the outcome depends on the sign of x1 · x2."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    logit = np.where(X.x1 * X.x2 > 0, 1.0, -2.0)
    return X, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


def test_choose_kind_one_standard_error_rule():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 3000)
    signal = y + rng.normal(0, 1.2, 3000)
    better = y + rng.normal(0, 0.8, 3000)
    kind, aucs, se = choose_kind(y, {"logistic": signal, "hgb": better})
    assert kind == "hgb" and aucs["hgb"] - aucs["logistic"] > se > 0
    assert aucs["logistic"] == pytest.approx(roc_auc_score(y, signal), abs=1e-12)
    tiny = signal + rng.normal(0, 0.02, 3000)  # equal in truth: noise decides which scores higher
    kind, aucs, se = choose_kind(y, {"logistic": signal, "hgb": tiny})
    assert kind == "logistic"
    kind, aucs, se = choose_kind(y, {"logistic": better, "hgb": signal})  # the simple one is best
    assert (kind, se) == ("logistic", 0.0)


def test_auto_keeps_logistic_on_an_additive_truth_and_boosting_on_an_interaction():
    X, y = additive(6000, 2)
    s = LeadScorer(time_col="created_at").fit(X, y)
    assert s.model_kind == "auto" and s.kind_ == "logistic"  # the parameter is kept (scikit-learn contract)
    assert set(s.candidates_) == {"logistic", "hgb"}
    assert s.validation_["n_validation"] == 1200 and s.validation_["n_fit"] == 4800
    assert s.validation_["how"] == "time" and s.validation_["time_col"] == "created_at"
    assert validation(s.validation_) == "the most recent 20% of the training rows by created_at"
    assert s.linear_terms() is not None  # the winner is a real logistic model
    X, y = interaction(6000, 3)
    s = LeadScorer().fit(X, y)
    assert s.kind_ == "hgb" and s.candidates_["hgb"]["roc_auc"] > s.candidates_["logistic"]["roc_auc"] + 0.1
    assert s.linear_terms() is None


def test_validation_fold_is_the_most_recent_rows_or_stratified_random():
    X, y = additive(3000, 4)
    s = LeadScorer(time_col="created_at")
    s.classes_ = np.array([0, 1])
    fit, val, how = s._validation_rows(X, y)
    assert X.created_at.iloc[val].min() > X.created_at.iloc[fit].max()
    assert len(val) == 600 and len(np.intersect1d(fit, val)) == 0
    fit, val, how = LeadScorer(validation="random")._validation_rows(X, y)
    assert how["how"] == "random" and "stratified random 20%" in validation(how)
    assert abs(y[val].mean() - y.mean()) < 1 / len(val) + 1e-12  # stratified
    fit, val, how = LeadScorer()._validation_rows(X, y)  # no time column: row order
    assert list(val) == list(range(2400, 3000)) and how["how"] == "row_order" and "row order" in validation(how)
    with pytest.raises(ConfigError, match="validation='weekly'"):
        LeadScorer(validation="weekly").fit(X, y)


def test_auto_with_too_little_data_uses_logistic_and_says_so():
    X, y = additive(40, 5)
    y[:] = 0
    y[[3, 17]] = 1  # two positives: no 8-row validation fold holds both outcomes with both left to fit on
    s = LeadScorer(min_per_class=1).fit(X[["x1", "x2"]], y)
    assert s.kind_ == "logistic" and s.candidates_ == {}
    assert s.validation_["how"] == "too_few"
    assert validation(s.validation_).startswith("too few rows of each outcome to compare candidates")


def test_choice_in_training_result_json_and_model_card(tmp_path):
    X, y = additive(5000, 6)
    df = X.assign(converted=y)
    res = train_scorer(df, target="converted", time_col="created_at", n_boot=20)
    choice = res.to_dict()["model_choice"]
    assert choice["requested"] == "auto" and choice["chosen"] == res.model_kind == "logistic"
    assert set(choice["candidates"]) == {"logistic", "hgb"}
    assert choice["validation"]["time_col"] == "created_at"
    text = res.summary()
    assert "Model choice: logistic regression, chosen automatically" in text and "gradient boosting 0." in text
    assert "by created_at" in text
    assert res.scorer.kind_ == "logistic" and res.scorer.model_kind == "logistic"  # refit: the chosen kind only
    model = persist.from_training(res)
    path = persist.save_model(model, tmp_path / "m.skops")
    card = (tmp_path / "m.card.md").read_text()
    assert "## Model choice" in card and "| gradient boosting |" in card and "| logistic regression |" in card
    zh = (tmp_path / "m.card.zh.md").read_text()  # the same facts in Chinese
    assert "## 模型选择" in zh and "| 梯度提升 |" in zh and "| 逻辑回归 |" in zh
    assert "## Fitness for use" in card and "fit for use" in card
    import json

    meta = json.loads((tmp_path / "m.card.json").read_text())
    assert meta["model_choice"]["candidates"].keys() == {"logistic", "hgb"}
    assert meta["quality"]["usable"] is True
    assert persist.load_model(path).meta["model_choice"] == meta["model_choice"]
    fixed = train_scorer(df, target="converted", time_col="created_at", n_boot=20, model_kind="hgb", refit=False)
    assert fixed.model_choice["candidates"] == {} and "set by the user" in fixed.choice_sentence()


@pytest.mark.parametrize("metrics,ci,baseline,usable,status,needle", [
    ({"roc_auc": 0.80, "lift_top_decile": 4.0}, {"roc_auc": (0.77, 0.83)}, 0.66, True, "bar", ""),
    ({"roc_auc": 0.50, "lift_top_decile": 1.3}, None, 0.55, False, "bar", "not above 0.5"),
    ({"roc_auc": 0.62, "lift_top_decile": 1.0}, None, 0.55, False, "bar", "no better than calling at random"),
    ({"roc_auc": 0.53, "lift_top_decile": 1.2}, {"roc_auc": (0.49, 0.57)}, 0.45, False, "worse than random",
     "includes 0.5"),
    ({"roc_auc": 0.70, "lift_top_decile": 2.0}, None, 0.72, False, "bar", "does not beat the src only baseline"),
    ({"roc_auc": 0.70, "lift_top_decile": 2.0}, None, 0.313, True, "worse than random", ""),
    ({"roc_auc": 0.70, "lift_top_decile": 2.0}, None, 0.5, True, "random", ""),
])
def test_fitness_rules_on_fixed_numbers(metrics, ci, baseline, usable, status, needle):
    q = assess(metrics, {"roc_auc": baseline}, "src", ci)
    assert (q.usable, q.baseline_status) == (usable, status)
    assert needle in "; ".join(q.problem_texts())
    if status == "worse than random":
        assert "worse than random" in q.baseline_note and "no bar to beat" in q.baseline_note
    meta = {"model_version": "v1", "metrics": metrics, "baseline": {"name": "src", "roc_auc": baseline},
            "ci95": ci or {}}
    if usable:
        assert check_usable(meta).usable
    else:
        with pytest.raises(ModelError, match=r"^model v1 is not fit for use: .*--allow-weak-model") as exc:
            check_usable(meta)
        assert "\n" not in str(exc.value)
        assert not check_usable(meta, allow_weak=True).usable


@pytest.mark.parametrize("value", ["../leadlab.duckdb", "/etc/passwd", "data/models/../../x.skops", "data/models",
                                   "data/leadlab.duckdb"])
def test_model_path_parameter_is_confined_to_the_models_folder(value, tmp_path, monkeypatch):
    monkeypatch.setenv("LEADLAB_HOME", str(tmp_path))
    with pytest.raises(ConfigError, match="^model_path: must name a model file inside data/models/"):
        persist.model_file(value)
    assert persist.model_file("data/models/b.skops") == (tmp_path / "data" / "models" / "b.skops").resolve()
    assert persist.model_file("") == tmp_path.resolve() / "data" / "models" / "lead_scorer.skops"
