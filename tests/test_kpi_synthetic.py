"""The KPI engine on the synthetic stores: DuckDB and pandas inputs agree, every section
builds, the CLI speaks clearly, and the report notebook renders even for an empty period."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadlab.cli import main
from leadlab.kpi import KPIS, KpiData, kpi_table
from leadlab.kpi.definitions import compute
from leadlab.kpi.measures import measures
from leadlab.kpi.report import kpi_report

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def store_data(small_store):
    return KpiData.from_store(small_store.url)


@pytest.fixture(scope="module")
def frame_data(small_store):
    from leadlab.store import connect

    con = connect(small_store.url)
    frames = {n: con.table(n).to_pandas() for n in ("leads", "calls", "reps", "spend")}
    return KpiData.from_frames(**frames)


@pytest.mark.parametrize("by", [None, "team", "source", "rep_id"])
def test_duckdb_and_pandas_inputs_give_the_same_numbers(store_data, frame_data, by):
    periods = [store_data.period(p) for p in ("2026-08", "2026-09", "2026-10")]
    idx = ["period"] + ([by] if by else [])
    a = compute(measures(store_data, periods, by)).set_index(idx).sort_index()
    b = compute(measures(frame_data, periods, by)).set_index(idx).sort_index()
    assert a.index.equals(b.index)
    for k in KPIS:
        np.testing.assert_allclose(a[k].to_numpy(float), b[k].to_numpy(float), rtol=1e-9, equal_nan=True, err_msg=k)


def test_team_breakdown_adds_up_to_company(store_data):
    per = [store_data.period("2026-10")]
    total = measures(store_data, per).iloc[0]
    teams = measures(store_data, per, "team")
    for col in ("dials", "connected", "new_leads", "sqls", "won", "rep_cost"):
        assert teams[col].sum() == pytest.approx(total[col]), col
    assert teams["spend"].sum() == pytest.approx(total["spend"], rel=1e-9)
    for team in store_data.teams:
        one = measures(store_data.for_team(team), per).iloc[0]
        row = teams.set_index("team").loc[team]
        assert one["dials"] == row["dials"] and one["spend"] == pytest.approx(row["spend"])


def test_full_report_bundle(store_data):
    rep = kpi_report(store_data, "last-month")
    assert rep.period.label == "2026-10" and rep.has_data
    assert rep.summary.sentences()[0].startswith("October 2026:")
    for part in (rep.table, rep.funnel, rep.targets, rep.scorecard, rep.speed, rep.cycle, rep.pool):
        assert isinstance(part.to_pandas(), pd.DataFrame) and part.summary() and part._repr_html_()
    t = rep.table.to_pandas()
    assert set(t["signal"]) <= {"outside normal variation", "significant change", "normal variation", "no test"}
    # a rate's p-value equals the two-proportion test on its counts
    from statsmodels.stats.proportion import proportions_ztest

    m = measures(store_data, [rep.period, rep.period.previous()]).set_index("period")
    x = [m.loc["2026-10", "connected"], m.loc["2026-09", "connected"]]
    n = [m.loc["2026-10", "dials"], m.loc["2026-09", "dials"]]
    assert rep.table.row("call_connect_rate")["p_value"] == pytest.approx(proportions_ztest(x, n)[1], abs=1e-8)
    # Kaplan–Meier: the KM median is at least the naive median over already won deals
    assert rep.cycle.stats["events"] > 0 and rep.cycle.stats["median"] >= rep.cycle.stats["naive_median_won"]


def test_week_quarter_and_last_year(store_data):
    w = kpi_table(store_data, "2026-W44", compare_to="last-year")
    assert w.comparison_period.label == "2025-W44"
    q = kpi_table(store_data, "2026-Q3", team=store_data.teams[0])
    assert q.comparison_period.label == "2026-Q2" and q.team == store_data.teams[0]


@pytest.fixture(scope="module")
def cli_db(small_store, tmp_path_factory):
    """A private copy of the small store: the CLI opens it read-only, which DuckDB refuses
    for a file this process already holds read-write."""
    path = tmp_path_factory.mktemp("kpi_cli") / "leadlab.duckdb"
    shutil.copy(small_store.path, path)
    return f"duckdb://{path}"


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_cli_commands(cli_db, capsys):
    db = ["--db", cli_db]
    main(["kpi", "show", "--period", "2026-10", *db])
    out = capsys.readouterr().out
    assert "KPIs · October 2026" in out and "Connect rate" in out and "Signal" in out
    main(["kpi", "show", "--period", "2026-Q3", "--by", "team", "--json", *db])
    payload = json.loads(capsys.readouterr().out)
    assert payload["period"] == "2026-Q3" and len(payload["rows"]) >= 2
    main(["kpi", "scorecard", "--period", "2026-10", "--json", *db])
    assert json.loads(capsys.readouterr().out)["rows"][0]["rank"] == 1
    main(["kpi", "targets", "--period", "2026-10", *db])
    assert "Targets and pacing" in capsys.readouterr().out
    main(["kpi", "pool", "--period", "2026-10", *db])
    assert "Lead-pool health" in capsys.readouterr().out
    main(["kpi", "summary", "--period", "last-month", *db])
    assert "October 2026" in capsys.readouterr().out
    main(["kpi", "list"])
    assert "connect_rate" in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["kpi", "show", "--period", "2026-13"], "cannot read '2026-13'"),
    (["kpi", "show", "--team", "Narnia"], "unknown team 'Narnia'; valid teams:"),
    (["kpi", "show", "--by", "planet"], "unknown dimension 'planet'"),
    (["kpi", "scorecard", "--weights", "charm=2"], "unknown scorecard KPI 'charm'"),
])
def test_cli_bad_input_is_one_clear_line(cli_db, capsys, args, message):
    code, out, err = run_cli([*args, "--db", cli_db], capsys)
    assert code == 2 and err.startswith("error: ") and message in err and "Traceback" not in err


def test_cli_bad_targets_file(cli_db, tmp_path, capsys):
    p = tmp_path / "t.yml"
    p.write_text("- {scope: team, name: East, kpi: sql, period: 2026-10, value: -3}\n")
    code, _, err = run_cli(["kpi", "targets", "--file", str(p), "--db", cli_db], capsys)
    assert code == 2 and "entry 1 (line 1): value must be a number >= 0" in err and str(p) in err


@pytest.fixture(scope="module")
def project(small_store, tmp_path_factory):
    root = tmp_path_factory.mktemp("kpi_project")
    (root / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "kpi_report.ipynb", root / "notebooks" / "kpi_report.ipynb")
    data = root / "data"
    data.mkdir()
    shutil.copy(small_store.path, data / "leadlab.duckdb")
    return root, f"duckdb://{data / 'leadlab.duckdb'}"


@pytest.mark.slow
def test_report_renders_for_a_period_without_data_and_a_team(project, store_data):
    from leadlab.reports.runner import run_report

    root, db = project
    team = store_data.teams[0]
    rec = run_report("kpi_report", {"period": "2024-10", "team": team, "compare_to": "last-year"}, root=root, db=db)
    assert rec.ok
    html = Path(root / "reports" / rec.html).read_text()
    assert "No data for this period" in html and f"team {team}" in html
    assert "Traceback" not in html
