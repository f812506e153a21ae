"""`leadlab ab`: what a user types and reads."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from leadlab.cli import cli

KEYS = {"arm", "control", "units", "control_units", "rate", "control_rate", "effect", "ci_low", "ci_high",
        "rel_effect", "rel_ci_low", "rel_ci_high", "p_value", "chance_to_beat", "expected_loss"}


def run(*args: str, **kw):
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False, **kw)
    assert res.exit_code == 0, res.output
    return res.output


def test_from_counts_json_is_exactly_the_documented_object():
    out = json.loads(run("ab", "from-counts", "--arm", "A:1000:80", "--arm", "B:1000:95", "--arm", "C:1000:70", "--json"))
    assert set(out) == {"srm_p_value", "comparisons"}
    assert [c["arm"] for c in out["comparisons"]] == ["B", "C"]
    b = out["comparisons"][0]
    assert set(b) == KEYS
    assert b["control"] == "A" and b["units"] == 1000 and b["control_units"] == 1000
    assert b["rate"] == pytest.approx(0.095) and b["control_rate"] == pytest.approx(0.08)
    assert b["effect"] == pytest.approx(0.015)  # a fraction, not percent
    assert b["rel_effect"] == pytest.approx(0.1875)
    assert b["ci_low"] < b["effect"] < b["ci_high"]
    assert 0 < b["p_value"] < 1 and 0 < b["chance_to_beat"] < 1 and b["expected_loss"] >= 0


def test_from_counts_control_option_and_text():
    out = run("ab", "from-counts", "--arm", "new:10000:910", "--arm", "old:10000:790", "--control", "old")
    assert "Verdict: new raises the conversion rate from 7.9% to 9.1%" in out and "Ship new." in out
    assert "Sample ratio check: OK" in out


def test_help_texts_have_examples():
    for sub in ("from-counts", "analyze", "design", "assign"):
        out = run("ab", sub, "--help")
        assert "Examples:" in out and "leadlab ab " + sub in out


def test_analyze_on_the_store(small_store):
    out = run("ab", "analyze", "--experiment", "EXP-REP-SCRIPT", "--metric", "sql_rate,talk_seconds_per_call",
              "--db", small_store.url)
    assert "randomized per rep; analysed per rep" in out and "Verdict:" in out
    js = json.loads(run("ab", "analyze", "--experiment", "EXP-LEAD-SCRIPT", "--metric", "sql_rate", "--json",
                        "--db", small_store.url))
    assert js["analysis_unit"] == "lead" and js["effects"][0]["metric"] == "sql_rate"
    naive = run("ab", "analyze", "--experiment", "EXP-REP-SCRIPT", "--metric", "sql_rate", "--analysis-unit", "lead",
                "--db", small_store.url)
    assert "NAIVE" in naive


def test_design_numbers():
    out = run("ab", "design", "--baseline", "0.08", "--mde", "0.01", "--daily", "400")
    assert "leads needed per arm: 12,205" in out and "days needed at 400 leads/day: 62" in out


def test_design_from_store_per_rep(small_store):
    out = run("ab", "design", "--unit", "rep", "--mde", "0.05", "--db", small_store.url)
    assert "randomized per rep" in out and "power by duration" in out


def test_assign_is_deterministic(tmp_path):
    src = tmp_path / "units.csv"
    src.write_text("lead_id,x\n" + "".join(f"L{i},1\n" for i in range(1000)))
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    # the same assignment time in both runs (by default it is the moment of the run)
    run("ab", "assign", str(src), "--salt", "S1", "--assigned-at", "2026-10-01", "--output", str(a))
    run("ab", "assign", str(src), "--salt", "S1", "--column", "lead_id", "--assigned-at", "2026-10-01", "--output", str(b))
    assert a.read_text() == b.read_text()
    rows = list(csv.DictReader(a.open()))
    assert len(rows) == 1000 and {r["arm"] for r in rows} == {"A", "B"}
    res = CliRunner().invoke(cli, ["ab", "assign", str(src), "--salt", "S1", "--column", "nope"])
    assert res.exit_code != 0 and "column 'nope' not found" in str(res.exception)
