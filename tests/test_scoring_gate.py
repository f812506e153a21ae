"""The fitness gate on the command line: a scorer trained on a shuffled target is flagged at
training and refused by `score apply` and `score call-list` (exit code, one-line message) unless
`--allow-weak-model` is given; `call-list` before `score apply` says what to run first; stale
scores are refused; call-list scores are rounded for people."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest
from testkit import private_copy, run_cli

from leadlab.scoring import persist
from leadlab.scoring.data import load_store_leads
from leadlab.scoring.train import train_scorer
from leadlab.store import connect, has_table


@pytest.fixture(scope="module")
def floor(small_store, tmp_path_factory):
    """A private copy of the small store, a useful model and a useless one (shuffled target)."""
    url, db, folder = private_copy(small_store, tmp_path_factory, "scoring_gate")
    con = connect(url)
    good = train_scorer("store", con=con, n_boot=20)
    frame, y, _ = load_store_leads(con)
    con.disconnect()
    shuffled = frame.assign(converted=np.random.default_rng(11).permutation(y))
    weak = train_scorer(shuffled, target="converted", time_col="created_at", n_boot=200)
    paths = {}
    for name, res in (("good", good), ("weak", weak)):
        paths[name] = persist.save_model(persist.from_training(res), folder / "models" / f"{name}.skops")
    return {"url": url, "db": db, "good": good, "weak": weak, "paths": paths, "folder": folder}


def lead_scores(url: str) -> pd.DataFrame | None:
    con = connect(url)
    try:
        return con.table("lead_scores").to_pandas() if has_table(con, "lead_scores") else None
    finally:
        con.disconnect()


def test_the_shuffled_target_scorer_is_flagged_at_training(floor):
    q = floor["weak"].quality
    assert not q.usable and q.problems
    assert "WARNING: NOT fit for use" in floor["weak"].summary()
    assert floor["good"].quality.usable
    assert floor["weak"].model_choice["requested"] == "auto"


def test_call_list_before_apply_says_what_to_run_first(floor, capsys):
    code = run_cli(["score", "call-list", "--db", floor["url"], "--model", str(floor["paths"]["good"])])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""  # no empty DataFrame printed
    assert err.startswith("error: no lead scores in the store (table lead_scores is ")  # a new store has it, empty
    assert "): run `leadlab score apply` first, then `leadlab score call-list`" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_apply_refuses_the_weak_model_and_accepts_it_with_the_override(floor, capsys):
    url, weak, good = floor["url"], str(floor["paths"]["weak"]), str(floor["paths"]["good"])
    code = run_cli(["score", "apply", "--db", url, "--model", weak, "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    version = persist.load_model(weak).version
    assert err.startswith(f"error: model {version} is not fit for use: ")
    assert "--allow-weak-model" in err
    before = lead_scores(url)
    assert before is None or before.empty  # nothing written
    # with the override the weak model scores the leads
    assert run_cli(["score", "apply", "--db", url, "--model", weak, "-q", "--allow-weak-model"]) == 0
    assert "Scored" in capsys.readouterr().out
    scores = lead_scores(url)
    assert (scores.model_version == version).all()
    # the call list refuses the weak model's scores too, unless overridden
    out_csv = floor["folder"] / "list.csv"
    code = run_cli(["score", "call-list", "--db", url, "--model", weak, "--capacity", "3", "--out", str(out_csv)])
    out, err = capsys.readouterr()
    assert code == 2 and f"model {version} is not fit for use" in err and not out_csv.exists()
    assert run_cli(["score", "call-list", "--db", url, "--model", weak, "--capacity", "3", "--out", str(out_csv),
                "--allow-weak-model"]) == 0
    capsys.readouterr()
    lst = pd.read_csv(out_csv)  # headers for people: "Score" in English
    assert len(lst) and (lst.Score.round(1) == lst.Score).all()  # one decimal, not 14
    # scores of another model than the one named: refused, says to apply again
    code = run_cli(["score", "call-list", "--db", url, "--model", good, "--capacity", "3"])
    err = capsys.readouterr().err
    assert code == 2 and f"lead_scores were written by model {version}" in err and "score apply" in err
    # no model file to check the scores against: says which model wrote them and what is missing
    code = run_cli(["score", "call-list", "--db", url, "--model", str(floor["folder"] / "gone.skops")])
    err = capsys.readouterr().err
    assert code == 2 and f"lead_scores come from model {version}: no model file at" in err
    assert len(err.strip().splitlines()) == 1
    # the good model: applied and listed without any flag; the printed list shows rounded scores
    assert run_cli(["score", "apply", "--db", url, "--model", good, "-q"]) == 0
    capsys.readouterr()
    assert run_cli(["score", "call-list", "--db", url, "--model", good, "--capacity", "2"]) == 0
    out = capsys.readouterr().out
    assert "calls for" in out
    assert "Score" in out.splitlines()[0] and re.search(r"\s\d+\.\d\s", out)  # scores with one decimal
    assert not re.search(r"\d\.\d{2,}", out)  # never more


def test_empty_lead_scores_and_bad_capacity_file(floor, tmp_path, capsys):
    db = tmp_path / "copy.duckdb"
    shutil.copy(floor["db"], db)
    con = connect(f"duckdb://{db}")
    from leadlab.schema import LEAD_SCORES

    con.create_table("lead_scores", schema=LEAD_SCORES.ibis_schema, overwrite=True)
    con.disconnect()
    code = run_cli(["score", "call-list", "--db", f"duckdb://{db}"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "table lead_scores is empty" in err and "score apply" in err
    con = connect(f"duckdb://{db}")
    con.drop_table("lead_scores")
    con.disconnect()
    code = run_cli(["score", "call-list", "--db", f"duckdb://{db}"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "table lead_scores is missing" in err
    cap = tmp_path / "cap.csv"
    cap.write_text("rep_id,capacity\nR001,5\nR002,many\n")
    code = run_cli(["score", "call-list", "--db", f"duckdb://{db}", "--capacity-file", str(cap)])
    err = capsys.readouterr().err
    assert code == 2 and "row 3, column capacity: must be a whole number" in err and "Traceback" not in err
