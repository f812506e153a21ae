"""Targets file: parsing, bad input (each with a clear message), pacing and status by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from test_kpi_fixtures import tiny_frames

from leadlab.errors import ConfigError
from leadlab.kpi import KpiData
from leadlab.kpi.targets import (
    demo_targets_path,
    evaluate_targets,
    load_targets,
    parse_targets_text,
    status_of,
    targets_report,
)


@pytest.fixture(scope="module")
def data():
    return KpiData.from_frames(**tiny_frames())


def write(tmp_path, text):
    p = tmp_path / "targets.yml"
    p.write_text(text)
    return p


def test_parse_valid_file():
    t = parse_targets_text("""
- {scope: team, name: East, kpi: sql, period: 2026-Q4, value: 200}
- scope: company
  kpi: connect_rate
  period: 2026-10
  value: 0.25
""")
    assert [(x.scope, x.name, x.kpi, x.period.label, x.value) for x in t] == [
        ("team", "East", "sql", "2026-Q4", 200.0), ("company", None, "call_connect_rate", "2026-10", 0.25)]  # old id accepted
    assert t[1].where == "targets.yml, entry 2 (line 3)"


@pytest.mark.parametrize("text,match", [
    ("- {scope: team, name: East, kpi: sqls, period: 2026-Q4, value: 200}",
     r"entry 1 \(line 1\): unknown KPI 'sqls'; valid KPIs: dials, .*sql"),
    ("- {scope: team, name: East, kpi: sql, period: 2026-Q4, value: 200}\n- {scope: company, kpi: won, period: 2026-10, value: -5}",
     r"entry 2 \(line 2\): value must be a number >= 0 \(a target cannot be negative\), got -5"),
    ("- {scope: team, name: East, kpi: sql, period: 2026-Q5, value: 200}", r"entry 1 \(line 1\): cannot read '2026-Q5'"),
    ("- {scope: team, name: East, kpi: sql, period: last-month, value: 200}", r"relative; a target needs a fixed period"),
    ("- {scope: division, name: East, kpi: sql, period: 2026-Q4, value: 200}", r"unknown scope 'division'; valid scopes: company, team, rep"),
    ("- {scope: team, kpi: sql, period: 2026-Q4, value: 200}", r"scope team needs a name"),
    ("- {scope: team, name: East, kpi: sql, period: 2026-Q4, value: lots}", r"value must be a number, got 'lots'"),
    ("- {scope: team, name: East, kpi: sql, period: 2026-Q4, value: 200, owner: ann}", r"unknown key 'owner'; valid keys: scope, name, kpi, period, value"),
    ("- {scope: team, name: East, kpi: sql, value: 200}", r"missing period"),
    ("scope: team\nkpi: sql", r"expected a list of targets"),
    ("- [unclosed", r"not valid YAML"),
])
def test_bad_targets_files(tmp_path, text, match):
    p = write(tmp_path, text)
    with pytest.raises(ConfigError, match=match) as exc:
        load_targets(p)
    assert str(p) in exc.value.message or "not valid YAML" in exc.value.message


def test_unknown_team_or_rep_lists_valid_names(tmp_path, data):
    p = write(tmp_path, "- {scope: team, name: Eats, kpi: sql, period: 2026-10, value: 2}")
    with pytest.raises(ConfigError, match=r"entry 1 \(line 1\): unknown team 'Eats'; valid teams: East, West"):
        targets_report(data, "2026-10", targets_path=p)
    p = write(tmp_path, "- {scope: rep, name: R9, kpi: dials, period: 2026-10, value: 2}")
    with pytest.raises(ConfigError, match=r"unknown rep 'R9'; valid reps: R1, R2"):
        targets_report(data, "2026-10", targets_path=p)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_targets(tmp_path / "nope.yml")


def test_status_thresholds():
    assert status_of("sql", 200, 200)[0] == "on track"
    assert status_of("sql", 185, 200)[0] == "at risk"
    assert status_of("sql", 150, 200)[0] == "behind"
    # lower is better: cost per SQL 660 against a target of 600 -> 600/660 = 91% -> at risk
    assert status_of("cost_per_sql", 660, 600) == ("at risk", pytest.approx(600 / 660))
    assert status_of("sql", float("nan"), 10)[0] == "no data"


def test_pacing_by_hand(data):
    # as of the latest call 2026-10-06 12:00 (+1 s): October elapsed = (5 days 12 h) / 31 days
    t = parse_targets_text("""
- {scope: company, kpi: dials, period: 2026-10, value: 30}
- {scope: team, name: East, kpi: connect_rate, period: 2026-10, value: 0.8}
- {scope: rep, name: R2, kpi: dials, period: 2026-10, value: 10}
- {scope: company, kpi: sql, period: 2026-09, value: 1}
- {scope: company, kpi: sql, period: 2026-11, value: 5}
""")
    f = evaluate_targets(data, t).set_index(["who", "period", "kpi"])
    elapsed = (5.5 * 86400 + 1) / (31 * 86400)
    row = f.loc[("company", "2026-10", "dials")]
    assert row["actual"] == 7 and row["elapsed"] == pytest.approx(elapsed)
    assert row["projection"] == pytest.approx(7 / elapsed)  # ≈ 39.5 -> on track against 30
    assert row["status"] == "on track" and not row["final"]
    east = f.loc[("team East", "2026-10", "call_connect_rate")]
    assert east["actual"] == pytest.approx(3 / 4) and east["projection"] == pytest.approx(0.75)
    assert east["status"] == "at risk"  # 0.75 / 0.8 = 93.75%
    r2 = f.loc[("rep R2", "2026-10", "dials")]
    assert r2["actual"] == 3 and r2["projection"] == pytest.approx(3 / elapsed)  # ≈ 16.9 -> on track
    sep = f.loc[("company", "2026-09", "sql")]
    assert sep["final"] and sep["status"] == "on track" and sep["actual"] == 1
    nov = f.loc[("company", "2026-11", "sql")]
    assert nov["status"] == "not started" and math.isnan(nov["projection"])


def test_report_alerts_and_team_scope(tmp_path, data):
    p = write(tmp_path, """
- {scope: company, kpi: sql, period: 2026-10, value: 100}
- {scope: team, name: East, kpi: sql, period: 2026-10, value: 1}
- {scope: team, name: West, kpi: sql, period: 2026-10, value: 50}
- {scope: rep, name: R1, kpi: dials, period: 2026-Q4, value: 5}
""")
    res = targets_report(data, "2026-10", targets_path=p)
    assert len(res.to_pandas()) == 4
    assert any(a.startswith("company: SQLs October 2026 at 2 with") and "behind" in a for a in res.alerts())
    assert all("East" not in a for a in res.alerts())
    east = targets_report(data, "2026-10", targets_path=p, team="East").to_pandas()
    assert sorted(east["who"]) == ["rep R1", "team East"]
    assert "<table" in res._repr_html_() and res.plot() is not None and "Alerts:" in res.summary()
    none = targets_report(data, "2025-10", targets_path=p)
    assert none.to_pandas().empty and "No targets set for October 2025." in none.summary()


def test_demo_targets_parse_and_mix_statuses(demo_store):
    targets = load_targets(demo_targets_path())
    assert {t.name for t in targets if t.scope == "team"} == {"East", "North", "South", "West"}
    data = KpiData.from_store(demo_store.url)
    res = targets_report(data, "last-month", targets_path=demo_targets_path())
    statuses = set(res.to_pandas()["status"])
    assert {"on track", "at risk", "behind"} <= statuses
    q4 = res.to_pandas().query("period == '2026-Q4'")
    assert len(q4) and (q4["elapsed"] < 1).all()
