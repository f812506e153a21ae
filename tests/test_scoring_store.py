"""The scorer on synthetic stores: ground truth, batch scoring, call list, monitoring, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from testkit import private_copy, run_cli
from sklearn.metrics import roc_auc_score

from leadlab.errors import ConfigError, DataError
from leadlab.scoring import persist
from leadlab.scoring.apply import apply_scores
from leadlab.scoring.call_list import call_list
from leadlab.scoring.data import load_store_leads
from leadlab.scoring.monitor import monitor_store
from leadlab.scoring.train import train_scorer
from leadlab.scoring.text import note, recommendation
from leadlab.store import connect


@pytest.fixture(scope="module")
def small(small_store, tmp_path_factory):
    """A logistic model trained on the small store, saved, plus a private copy of the store."""
    url, db, folder = private_copy(small_store, tmp_path_factory, "scoring_small")
    con = connect(url)
    res = train_scorer("store", con=con, model_kind="logistic", n_boot=50)
    model = persist.from_training(res)
    path = persist.save_model(model, folder / "models" / "lead_scorer.skops")
    yield {"url": url, "con": con, "res": res, "model": model, "path": path, "folder": folder}
    con.disconnect()


def test_training_on_store_excludes_leakage_and_immature(small):
    res = small["res"]
    leak = set(res.plan.leakage)
    assert {"sql_at", "mql_at", "opportunity_at", "won_at", "lost_at", "revenue"} <= leak
    assert {"phone", "email", "contact_name", "lead_id"} <= set(res.plan.excluded)
    assert {"source", "rep_id", "company_size", "page_views", "prior_score"} <= set(res.plan.features)
    assert "created_at" in res.plan.timestamp
    assert res.target.n_immature > 0 and res.target.notes[0]["code"] == "immature"
    assert "have not had time" in note(res.target.notes[0])
    frame, y, info = load_store_leads(small["con"], maturity_days=30)
    cutoff = pd.Timestamp(info.as_of) - pd.Timedelta(days=30)
    assert frame.created_at.max() <= cutoff
    assert res.metrics["roc_auc"] > res.baseline["roc_auc"]
    assert res.train_window[1] <= res.test_window[0]


def test_apply_writes_lead_scores_chunked(small):
    con, model = small["con"], small["model"]
    res = apply_scores(model, con, chunk_rows=700)
    n = con.table("leads").count().execute()
    scores = con.table("lead_scores").to_pandas()
    assert res.rows == n == len(scores) == scores.lead_id.nunique()
    assert res.chunks == -(-n // 700)
    assert set(scores.grade) == {"A", "B", "C", "D"} and set(scores.priority) == {1, 2, 3, 4}
    assert (scores.model_version == model.version).all() and scores.score.between(0, 100).all()
    # chunked = one shot
    leads = con.table("leads").to_pandas().set_index("lead_id")
    direct = model.score(leads.loc[scores.lead_id])
    np.testing.assert_allclose(scores.score.to_numpy(), direct.score.to_numpy(), rtol=1e-9)
    assert (scores.grade.to_numpy() == direct.grade.to_numpy()).all()
    assert (scores.priority.to_numpy() == direct.priority.to_numpy()).all()
    assert not [t for t in con.list_tables() if t.startswith("_lead_scores_staging")]


def test_apply_failure_keeps_previous_scores(small, monkeypatch):
    con, model = small["con"], small["model"]
    apply_scores(model, con, chunk_rows=5000)
    before = con.table("lead_scores").to_pandas()
    import leadlab.scoring.apply as ap

    calls = {"n": 0}
    real = ap._score_batch

    def failing(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(*a, **k)

    monkeypatch.setattr(ap, "_score_batch", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        apply_scores(model, con, chunk_rows=500)
    after = con.table("lead_scores").to_pandas()
    pd.testing.assert_frame_equal(before, after)
    assert not [t for t in con.list_tables() if t.startswith("_lead_scores_staging")]


def test_apply_missing_feature_column(small, tmp_path):
    con = connect(f"duckdb://{tmp_path / 'x.duckdb'}")
    leads = small["con"].table("leads").to_pandas().drop(columns=["page_views"])
    con.create_table("leads", leads)
    with pytest.raises(DataError, match=r"store table leads: missing feature column 'page_views' that model"):
        apply_scores(small["model"], con)


def test_call_list_respects_capacity_and_open_leads(small):
    con, model = small["con"], small["model"]
    apply_scores(model, con)
    lst = call_list(con, capacity=5)
    assert lst.groupby("rep_id").size().max() <= 5
    leads = con.table("leads").to_pandas().set_index("lead_id")
    picked = leads.loc[lst.lead_id]
    assert picked.sql_at.isna().all() and picked.lost_at.isna().all() and picked.won_at.isna().all()
    assert (picked.rep_id.to_numpy() == lst.rep_id.to_numpy()).all()
    # each rep's list holds that rep's best open leads, best first
    for rep, g in lst.groupby("rep_id"):
        assert (np.diff(g.score.to_numpy()) <= 0).all()
        assert list(g["rank"]) == list(range(1, len(g) + 1))
    from leadlab.errors import ConfigError

    with pytest.raises(ConfigError, match="capacity=0: must be at least 1"):
        call_list(con, capacity=0)
    per_rep = call_list(con, capacity={"R001": 2, "R002": 0})
    assert set(per_rep.rep_id) <= {"R001"} and len(per_rep) <= 2


def test_monitor_on_store(small):
    res = monitor_store(small["model"], small["con"], period="last-month")
    assert res.period == "2026-10" and res.leads > 0
    assert "score" in set(res.psi.feature) and not any(res.psi.feature.str.endswith("_month"))
    assert res.action in ("no action", "watch", "retrain") and res.reasons
    assert res.calibration is not None and res.calibration.window == "2026-09"
    text = res.summary()
    assert recommendation(res.action) in text and "PSI" in text and res.to_dict()["period"] == "2026-10"


def test_monitor_detects_a_shift(small, tmp_path):
    """Shift the recent leads' sources toward list purchases: PSI flags source and the score."""
    con = connect(f"duckdb://{tmp_path / 'shift.duckdb'}")
    leads = small["con"].table("leads").to_pandas()
    recent = leads.created_at >= "2026-10-01"
    leads.loc[recent, "source"] = "list_purchase"
    leads.loc[recent, "page_views"] = 0
    con.create_table("leads", leads)
    res = monitor_store(small["model"], con, period="2026-10", as_of=pd.Timestamp("2026-11-20"))
    psi = res.psi.set_index("feature").psi
    assert psi["source"] > 0.25 and psi["score"] > 0.25
    assert res.action == "retrain"


def _ground_truth(demo_store, kind: str, **params) -> dict:
    con = connect(demo_store.url)
    truth = pd.read_parquet(demo_store.truth_leads_path).set_index("lead_id")
    frame, _, _ = load_store_leads(con)
    res = train_scorer("store", con=con, model_kind=kind, n_boot=20, refit=False, scorer_params=params)
    con.disconnect()
    ids = frame.lead_id.iloc[res.test_index]
    return {"auc": res.metrics["roc_auc"], "ece": res.metrics["ece"], "chosen": res.model_kind,
            "candidates": res.model_choice["candidates"],
            "oracle": roc_auc_score(res.y_test, truth.loc[ids, "p_sql"]),
            "attribute_oracle": roc_auc_score(res.y_test, truth.loc[ids, "p_sql_attributes"])}


@pytest.mark.slow
@pytest.mark.parametrize("kind,params,gap", [("hgb", {"interactions": False}, 0.025)])
def test_ground_truth_on_demo_store(demo_store, kind, params, gap):
    """The tree model against the oracle AUC of the true p_sql on the same time-ordered test rows;
    ECE <= 0.02. It is not the default kind: on the demo data it trails the logistic scorer (which
    meets the issue's 0.01 bound, next test) because the true model is additive on the logit.
    """
    r = _ground_truth(demo_store, kind, **params)
    print(json.dumps(r))
    assert r["ece"] <= 0.02
    assert r["auc"] >= r["oracle"] - gap
    assert r["auc"] >= r["attribute_oracle"] - gap + 0.005


def test_logistic_logs_skewed_counts_and_flags_business_hours():
    """The default preprocessing: log1p for non-negative right-skewed numbers (not flags, not
    symmetric numbers), and a created-in-business-hours flag from the time column."""
    from leadlab.scoring.model import LeadScorer, is_skewed

    rng = np.random.default_rng(5)
    n = 4000
    created = pd.Timestamp("2026-01-05") + pd.to_timedelta(rng.integers(0, 60 * 24 * 3600, n), unit="s")
    views = rng.poisson(np.exp(rng.normal(1.0, 0.8, n)))
    X = pd.DataFrame({"views": views, "flag": rng.random(n) < 0.3, "normal": rng.normal(50, 10, n),
                      "created_at": created})
    in_hours = (created.day_of_week < 5) & (created.hour >= 8) & (created.hour < 18)
    logit = -2 + 0.9 * np.log1p(views) + 0.8 * in_hours
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    assert is_skewed(X.views.to_numpy()) and not is_skewed(X.normal.to_numpy())
    assert not is_skewed(np.tile([0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], 50))  # a flag
    s = LeadScorer(model_kind="logistic", time_col="created_at").fit(X, y)
    enc = s.model_.named_steps["encode"]
    assert dict((name, list(cols)) for name, _, cols in enc.transformers)["log"] == ["views"]
    flag = s.features_.transform(X)["created_at_business_hours"].to_numpy()
    assert (flag == in_hours.astype(float)).all()
    off = LeadScorer(model_kind="logistic", time_col="created_at", business_hours=None).fit(X, y)
    assert "created_at_business_hours" not in off.features_.feature_names_out_
    with pytest.raises(ConfigError, match="business_hours"):
        LeadScorer(model_kind="logistic", business_hours=(18, 8)).fit(X, y)


@pytest.mark.slow
def test_ground_truth_issue_target_within_001_of_oracle(demo_store):
    """The issue's bound: the default scorer (``model_kind="auto"``) has a test AUC within 0.01 of the
    oracle AUC of the true p_sql on the same time-ordered test rows of the demo data, and ECE <= 0.02.

    Measured (seed 42, 30,000 leads, speed-to-lead effects +0.18 / 0 / -0.12 / -0.25 on the logit):
    auto keeps logistic (the truth is additive on the logit); AUC 0.812 vs oracle 0.818 (gap 0.0065),
    attribute oracle 0.818, ECE 0.009. The gap moves with the seed (0.006-0.011 over seeds 1 and 42),
    so this holds for the demo seed, not for every seed.
    """
    r = _ground_truth(demo_store, "auto")
    print(json.dumps(r))
    assert set(r["candidates"]) == {"logistic", "hgb"}
    assert r["ece"] <= 0.02
    assert r["auc"] >= r["oracle"] - 0.01


def test_cli_train_apply_monitor_calllist(small, tmp_path, capsys):
    url = small["url"]
    model = tmp_path / "m.skops"
    assert run_cli(["score", "train", "--db", url, "--model-kind", "logistic", "--out", str(model)]) == 0
    out = capsys.readouterr().out
    assert "saved model logistic-" in out and "LEAKAGE excluded sql_at" in out
    assert model.exists() and model.with_name("m.card.md").exists()
    for args, expect in [
        (["score", "apply", "--db", url, "--model", str(model), "-q"], "Scored"),
        (["score", "monitor", "--db", url, "--model", str(model)], "PSI"),
        (["score", "call-list", "--db", url, "--capacity", "3", "--model", str(model)], "calls for"),
    ]:
        assert run_cli(args) == 0
        assert expect in capsys.readouterr().out


def test_cli_monitor_without_model(small, tmp_path, capsys):
    assert run_cli(["score", "monitor", "--db", small["url"], "--model", str(tmp_path / "none.skops")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no model file at") and "leadlab score train" in err and "Traceback" not in err


def test_cli_evaluate_json_csv(tmp_path, capsys):
    rng = np.random.default_rng(3)
    n = 3000
    src = rng.choice(["a", "b", "c"], n)
    df = pd.DataFrame({"src": src, "x": rng.normal(size=n),
                       "y": np.where(rng.random(n) < np.where(src == "a", 0.4, 0.1), "yes", "no")})
    df.loc[5, "y"] = None
    path = tmp_path / "d.csv"
    df.to_csv(path, sep=";", index=False)
    assert run_cli(["score", "evaluate", "--data", str(path), "--target", "y", "--split", "random", "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    for key in ("roc_auc", "pr_auc", "brier", "ece", "lift_top_decile", "n_train", "n_test", "excluded_leakage"):
        assert key in obj
    assert obj["n_train"] + obj["n_test"] == n - 1 and obj["missing_target_excluded"] == 1
    assert obj["excluded_leakage"] == []


def test_cli_bad_target_message(tmp_path, capsys):
    path = tmp_path / "d.csv"
    pd.DataFrame({"x": [1, 2, 3], "y": [0, 1, 5]}).to_csv(path, index=False)
    assert run_cli(["score", "evaluate", "--data", str(path), "--target", "y"]) == 2
    assert "column y: the target must be binary" in capsys.readouterr().err
