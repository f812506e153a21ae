"""Loading scoring data and the bad inputs of the scorer (issue §6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadlab.errors import DataError, InsufficientDataError
from leadlab.scoring.data import prepare_target, read_csv
from leadlab.scoring.features import FeatureFrame, leakage_guard, plan_features
from leadlab.scoring.train import train_scorer
from leadlab.scoring.text import reason


def frame(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    src = rng.choice(["web", "event", "list"], n)
    p = np.where(src == "event", 0.35, 0.1)
    return pd.DataFrame({
        "lead_id": [f"L{i:05d}" for i in range(n)],
        "created_at": pd.date_range("2026-01-01", periods=n, freq="2h"),
        "source": src, "views": rng.poisson(3, n), "webinar": rng.random(n) < 0.3,
        "email": [f"x{i}@example.com" for i in range(n)],
        "converted": np.where(rng.random(n) < p, "yes", "no"),
    })


@pytest.mark.parametrize("sep", [",", ";"])
def test_read_csv_sniffs_delimiter_and_yes_no_target(tmp_path, sep):
    df = frame(300)
    path = tmp_path / "leads.csv"
    df.to_csv(path, sep=sep, index=False)
    read = read_csv(path)
    assert list(read.columns) == list(df.columns) and read.attrs["delimiter"] == sep
    X, y, info = prepare_target(read, "converted")
    assert set(y) == {0, 1} and y.sum() == (df.converted == "yes").sum() and info.n_missing_target == 0


def test_target_not_binary_names_file_column_and_rows(tmp_path):
    df = frame(50)
    df.loc[[3, 7], "converted"] = "maybe"
    path = tmp_path / "leads.csv"
    df.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"leads.csv, column converted: the target must be binary.*'maybe'.*rows 5, 9"):
        prepare_target(read_csv(path), "converted")
    with pytest.raises(DataError, match="found values 0, 1, 2"):
        prepare_target(pd.DataFrame({"y": [0, 1, 2, 1]}), "y")


def test_target_all_one_class():
    df = frame(100).assign(converted="no")
    with pytest.raises(InsufficientDataError, match="every row with a target has the class 0"):
        prepare_target(df, "converted")


def test_missing_target_values_counted_excluded_reported():
    df = frame(2000)
    df.loc[df.index[::10], "converted"] = None
    res = train_scorer(df, target="converted", time_col="created_at", model_kind="logistic", n_boot=20)
    assert res.target.n_missing_target == 200
    assert res.n_train + res.n_test == 1800
    assert "200 rows without a value in converted were excluded" in res.summary()
    assert res.to_dict()["missing_target_excluded"] == 200


def test_missing_target_column():
    with pytest.raises(DataError, match="no target column 'won'"):
        prepare_target(frame(10), "won")


def test_empty_feature_column_excluded_with_reason():
    df = frame(500).assign(notes=None).drop(columns="converted")
    plan = plan_features(df, time_col="created_at")
    assert plan.excluded["notes"] == {"code": "empty"} and reason(plan.excluded["notes"]) == "entirely empty"
    assert reason(plan.excluded["email"]).startswith("personal data")
    assert plan.excluded["lead_id"]["code"] == "identifier" and reason(plan.excluded["lead_id"]).startswith("identifier")
    assert plan.categorical == ["source"] and plan.numeric == ["views"] and plan.boolean == ["webinar"]
    assert plan.timestamp == ["created_at"]
    with pytest.raises(DataError, match="column notes: entirely empty, but named in the include list"):
        plan_features(df, include=["source", "notes"])


def test_include_exclude_unknown_column():
    with pytest.raises(DataError, match="no column 'nope'"):
        plan_features(frame(20), exclude=["nope"])


def test_leakage_guard_flags_post_outcome_columns():
    df = frame(3000)
    X, y, _ = prepare_target(df, "converted")
    rng = np.random.default_rng(1)
    X = X.assign(
        call_minutes=np.where(y == 1, rng.gamma(6, 2, len(y)), rng.gamma(2, 2, len(y))),  # known only after the call
        closed_at=X.created_at + pd.Timedelta(days=9),
        followup_at=X.created_at + pd.to_timedelta(rng.integers(1, 20, len(y)), "D"),
    )
    plan = plan_features(X, time_col="created_at")
    assert "closed_at" in plan.leakage  # a lifecycle name
    assert plan.leakage["followup_at"]["code"] == "after_time" and plan.leakage["followup_at"]["time_col"] == "created_at"
    assert "recorded after created_at" in reason(plan.leakage["followup_at"])
    leakage_guard(X, y, plan, auc_threshold=0.8)
    assert "call_minutes" in plan.leakage and plan.leakage["call_minutes"]["auc"] >= 0.8
    assert "single-feature AUC" in reason(plan.leakage["call_minutes"])
    assert "source" in plan.features and "views" in plan.features
    plan2 = plan_features(X.drop(columns=["closed_at", "followup_at"]), time_col="created_at")
    leakage_guard(X, y, plan2, auc_threshold=1.0)  # threshold is configurable
    assert "call_minutes" in plan2.features


def test_outcome_time_rule():
    df = frame(1000)
    X, y, _ = prepare_target(df, "converted")
    outcome = pd.Series(np.where(y == 1, X.created_at + pd.Timedelta(days=3), pd.NaT), index=X.index)
    X = X.assign(demo_at=pd.Series(np.where(y == 1, X.created_at + pd.Timedelta(days=5), pd.NaT), index=X.index))
    plan = plan_features(X.drop(columns="created_at"))
    leakage_guard(X.drop(columns="created_at"), y, plan, outcome_time=outcome)
    assert plan.leakage["demo_at"] == {"code": "after_outcome"}
    assert reason(plan.leakage["demo_at"]) == "recorded at or after the outcome time on most converted leads"


def test_unseen_categories_counted_at_scoring():
    ff = FeatureFrame(categorical=["source"], min_category_count=1).fit(pd.DataFrame({"source": ["a", "b", None]}))
    new = pd.DataFrame({"source": ["a", "zz", "zz", None]})
    out = ff.transform(new)
    assert out.source.tolist()[1] == out.source.tolist()[2] == len(ff.categories_["source"]) - 1
    assert ff.unseen_counts(new) == {"source": 2}


def test_scoring_data_missing_feature_column():
    ff = FeatureFrame(numeric=["views"], categorical=["source"]).fit(frame(100))
    with pytest.raises(DataError, match="missing feature column 'views' that the model was trained on"):
        ff.transform(frame(10).drop(columns="views"))


def test_rare_training_category_is_not_counted_as_unseen():
    ff = FeatureFrame(categorical=["source"], min_category_count=2).fit(pd.DataFrame({"source": ["a", "a", "b"]}))
    new = pd.DataFrame({"source": ["b", "c", "a"]})
    out = ff.transform(new).source.tolist()
    assert out[0] == out[1] == len(ff.categories_["source"]) - 1  # rare "b" and new "c" both score as (other)
    assert ff.unseen_counts(new) == {"source": 1}


def test_bad_training_parameters():
    from leadlab.errors import ConfigError

    df = frame(500)
    with pytest.raises(ConfigError, match="split='weekly': choose time or random"):
        train_scorer(df, target="converted", split="weekly")
    with pytest.raises(ConfigError, match="holdout_share=0.9"):
        train_scorer(df, target="converted", holdout_share=0.9)
    with pytest.raises(ConfigError, match="leakage_auc=0.4"):
        train_scorer(df, target="converted", leakage_auc=0.4)


def test_time_split_without_time_column_uses_row_order():
    df = frame(2000).drop(columns="created_at")
    res = train_scorer(df, target="converted", time_col="created_at", model_kind="logistic", n_boot=10)
    assert res.time_col is None and res.split == "time"
    assert res.test_index.tolist() == list(range(1600, 2000))
    assert [n["code"] for n in res.split_notes] == ["no_time_col", "row_order"]
    assert any("row order" in n for n in res.notes())
