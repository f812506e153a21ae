"""Real data: UCI bank marketing (bank-additional-full.csv, `;`-separated, yes/no target)."""

from __future__ import annotations

import json

import pytest

from leadlab.cli import main
from leadlab.scoring.train import train_scorer


@pytest.mark.slow
def test_bank_random_split_auc_without_duration(bank_additional):
    res = train_scorer(str(bank_additional), target="y", time_col=None, split="random", model_kind="hgb", n_boot=50)
    assert res.plan.leakage.keys() == {"duration"}  # flagged automatically
    assert "duration" not in res.plan.features
    assert res.metrics["roc_auc"] >= 0.79
    assert res.metrics["lift_top_decile"] > 4
    assert res.n_train + res.n_test == 41188


@pytest.mark.slow
def test_bank_time_backtest_reports_drift(bank_additional, capsys):
    main(["score", "evaluate", "--data", str(bank_additional), "--target", "y", "--split", "time",
          "--model-kind", "logistic", "--json"])
    obj = json.loads(capsys.readouterr().out)
    assert obj["excluded_leakage"] == ["duration"]
    assert obj["time_col"] is None and any("row order" in n for n in obj["notes"])
    assert obj["drift_psi"]["nr.employed"] > 0.25  # the macro columns drift majorly over time
    assert obj["roc_auc"] < 0.79  # a time-ordered backtest is much harder than a random split
