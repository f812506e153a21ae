"""Every bad input of issue 3 §6: a clear error naming the parameter/table/column, or an
explicit warning in the result. Never a silent drop."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from leadlab.cli import cli
from leadlab.errors import ConfigError, DataError, LeadlabError
from leadlab.experiments import analyze, analyze_table, from_counts
from leadlab.experiments.results import Notice
from leadlab.store import connect, write_table


def _tiny_store(path, *, assignments: list[tuple[str, str]] | None = None, control: str = "A") -> str:
    """A hand-made store: 2 reps, 40 leads randomized per lead, one call each."""
    url = f"duckdb://{path}"
    con = connect(url)
    t0 = pd.Timestamp("2026-09-01")
    write_table(con, "reps", pd.DataFrame({"rep_id": ["R1", "R2"], "team": ["North", "South"]}))
    n = 40
    ids = [f"L{i:03d}" for i in range(n)]
    leads = pd.DataFrame({
        "lead_id": ids, "created_at": [t0 + pd.Timedelta(hours=i) for i in range(n)],
        "source": ["web_form", "referral"] * (n // 2), "region": ["North", "South"] * (n // 2),
        "rep_id": ["R1", "R2"] * (n // 2), "prior_score": np.linspace(10, 60, n),
        "sql_at": [t0 + pd.Timedelta(days=2) if i % 4 == 0 else pd.NaT for i in range(n)],
    })
    write_table(con, "leads", leads)
    calls = pd.DataFrame({
        "call_id": [f"C{i:03d}" for i in range(n)], "lead_id": ids, "rep_id": ["R1", "R2"] * (n // 2),
        "started_at": [t0 + pd.Timedelta(days=1, hours=i) for i in range(n)], "talk_seconds": 60.0,
        "disposition": ["qualified", "no_answer"] * (n // 2), "connected": [True, False] * (n // 2),
        "conversation": [True, False] * (n // 2),
    })
    write_table(con, "calls", calls)
    write_table(con, "experiments", pd.DataFrame({
        "experiment_id": ["EXP-T"], "unit_type": ["lead"], "control_arm": [control], "primary_metric": ["sql_rate"],
        "started_at": [t0],
    }))
    rows = assignments if assignments is not None else [(i, "A" if k % 2 else "B") for k, i in enumerate(ids)]
    write_table(con, "assignments", pd.DataFrame({
        "experiment_id": "EXP-T", "unit_type": "lead", "unit_id": [r[0] for r in rows], "arm": [r[1] for r in rows],
        "assigned_at": t0,
    }))
    con.disconnect()
    return url


def test_one_arm_only():
    with pytest.raises(DataError, match="only one arm"):
        from_counts([("A", 100, 5)])
    df = pd.DataFrame({"arm": ["A"] * 10, "y": [0, 1] * 5})
    with pytest.raises(DataError, match="only one arm"):
        analyze_table(df, metrics=["y"])


def test_one_arm_only_in_store(tmp_path):
    url = _tiny_store(tmp_path / "s.duckdb", assignments=[(f"L{i:03d}", "A") for i in range(40)])
    with pytest.raises(DataError, match="only one arm"):
        analyze(experiment_id="EXP-T", url=url)


def test_unknown_control_name(tmp_path):
    with pytest.raises(ConfigError, match="unknown control arm 'Z'.*arms present: A, B"):
        from_counts([("A", 100, 5), ("B", 100, 9)], control="Z")
    url = _tiny_store(tmp_path / "s.duckdb")
    with pytest.raises(ConfigError, match="unknown control arm 'Z'"):
        analyze(experiment_id="EXP-T", url=url, control="Z")
    url2 = _tiny_store(tmp_path / "s2.duckdb", control="CTRL")
    with pytest.raises(DataError, match="control arm 'CTRL'.*control_arm"):
        analyze(experiment_id="EXP-T", url=url2)


def test_arm_with_zero_units():
    with pytest.raises(DataError, match="arm 'B' has zero units"):
        from_counts([("A", 100, 5), ("B", 0, 0)])


def test_zero_successes_everywhere_is_a_warning_not_a_verdict():
    r = from_counts([("A", 500, 0), ("B", 500, 0)])
    assert [n.code for n in r.notices] == ["no_successes"] and "no successes" in r.warnings[0]
    assert r.effects.p_value.iloc[0] == pytest.approx(1.0)
    assert r.decision == "inconclusive"


def test_nan_outcomes_are_counted_and_reported():
    df = pd.DataFrame({"arm": ["A", "B"] * 50, "revenue": [100.0, 120.0, np.nan, 90.0] * 25})
    r = analyze_table(df, metrics=["revenue"])
    assert r.effects.nan_units.iloc[0] == 25
    assert Notice("metric_missing", n=25, metric="revenue", label="revenue", per_arm={"A": 25, "B": 0}) in r.notices
    assert any("25 units with a missing (NULL/NaN) revenue" in w for w in r.warnings)
    assert r.effects.units.iloc[0] + r.effects.control_units.iloc[0] == 75


@pytest.mark.parametrize("arm, msg", [
    (("B", -5, 0), "units must be >= 0"),
    (("B", 100, -1), "successes must be >= 0"),
    (("B", 100, 101), r"successes \(101\) exceed units \(100\)"),
])
def test_from_counts_rejects_bad_counts(arm, msg):
    with pytest.raises(DataError, match=msg):
        from_counts([("A", 100, 5), arm])


@pytest.mark.parametrize("args, msg", [
    (["--arm", "A:100:5", "--arm", "B:100:101"], "successes (101) exceed units (100)"),
    (["--arm", "A:100:5", "--arm", "B:-3:0"], "units must be >= 0"),
    (["--arm", "A:100:5", "--arm", "B:100"], "expected NAME:UNITS:SUCCESSES"),
    (["--arm", "A:100:5", "--arm", "B:x:1"], "must be whole numbers"),
    (["--arm", "A:100:5"], "only one arm"),
    (["--arm", "A:100:5", "--arm", "B:100:7", "--control", "C"], "unknown control arm 'C'"),
])
def test_cli_from_counts_errors(args, msg):
    from leadlab.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["ab", "from-counts", *args])
    assert exc.value.code == 2


def test_cli_from_counts_error_message(capsys):
    from leadlab.cli import main

    with pytest.raises(SystemExit):
        main(["ab", "from-counts", "--arm", "A:100:5", "--arm", "B:100:101"])
    err = capsys.readouterr().err
    assert err.startswith("error: arm 'B': successes (101) exceed units (100)")
    assert "Traceback" not in err


def test_unit_in_two_arms_is_excluded_and_reported(tmp_path):
    rows = [(f"L{i:03d}", "A" if i % 2 else "B") for i in range(40)] + [("L000", "A"), ("L002", "A")]
    url = _tiny_store(tmp_path / "s.duckdb", assignments=rows)
    r = analyze(experiment_id="EXP-T", url=url, metrics="sql_rate", segments=False)
    assert r.contaminated_units == 2
    assert Notice("contaminated", n=2, unit="lead") in r.notices and any("more than one arm" in w for w in r.warnings)
    assert r.arms.units.sum() == 38
    # a row-grain DataFrame whose unit shows up in two arms
    df = pd.DataFrame({"arm": ["A", "B", "B", "A", "B"] * 10, "rep": ["r1", "r1", "r2", "r3", "r4"] * 10, "y": 1.0})
    t = analyze_table(df, metrics=["y"], unit="rep")
    assert t.contaminated_units == 1 and Notice("contaminated_rows", n=1) in t.notices


def test_duplicated_assignment_rows_are_counted_once_and_reported(tmp_path):
    rows = [(f"L{i:03d}", "A" if i % 2 else "B") for i in range(40)] + [("L001", "A"), ("L003", "A")]
    url = _tiny_store(tmp_path / "s.duckdb", assignments=rows)
    r = analyze(experiment_id="EXP-T", url=url, metrics="sql_rate", segments=False)
    assert r.duplicate_rows == 2 and r.contaminated_units == 0
    assert Notice("duplicate_rows", n=2, unit="lead") in r.notices
    assert any("2 duplicated assignment rows" in w for w in r.warnings)
    assert r.arms.units.sum() == 40


def test_metric_that_does_not_exist(tmp_path):
    df = pd.DataFrame({"arm": ["A", "B"] * 5, "y": 1.0})
    with pytest.raises(ConfigError, match="metric column 'revenue' not found.*available columns: arm, y"):
        analyze_table(df, metrics=["revenue"])
    url = _tiny_store(tmp_path / "s.duckdb")
    with pytest.raises(ConfigError, match="unknown metric 'sql_rat'.*valid metrics: sql_rate"):
        analyze(experiment_id="EXP-T", url=url, metrics="sql_rat")


def test_experiment_not_in_store(tmp_path):
    url = _tiny_store(tmp_path / "s.duckdb")
    with pytest.raises(DataError, match="experiment 'EXP-X' is not in the store.*known experiments: EXP-T"):
        analyze(experiment_id="EXP-X", url=url)
    res = CliRunner().invoke(cli, ["ab", "analyze", "--experiment", "EXP-X", "--db", url])
    assert isinstance(res.exception, LeadlabError)


def test_tiny_store_analysis_works_and_uses_exact_tests(tmp_path):
    url = _tiny_store(tmp_path / "s.duckdb")
    r = analyze(experiment_id="EXP-T", url=url)
    row = r.effects[r.effects.metric == "sql_rate"].iloc[0]
    assert row.units == 20 and row.control_units == 20
    assert row.method == "fisher" and "exact" in row.notes  # a cell with 0 SQLs
    assert json.dumps(r.to_dict())


def test_nan_rows_inside_units_are_counted():
    df = pd.DataFrame({"arm": ["A", "B"] * 40, "rep": [f"r{i % 8}" for i in range(80)],
                       "talk": [60.0, np.nan, 45.0, 50.0] * 20})
    r = analyze_table(df, metrics=["talk"], unit="rep")
    assert Notice("null_values", n=20, per_column={"talk": 20}, unit="rep") in r.notices
    assert any("20 missing (NULL) values in talk were left out of the sums per rep" in w for w in r.warnings)
