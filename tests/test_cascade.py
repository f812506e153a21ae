"""Target cascade: splits by history / headcount / capacity / equal / manual, rate KPIs kept
consistent, the roll-up check, bad input, and the synthetic demo store — all by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from leadlab.errors import ConfigError
from leadlab.i18n import use_lang
from leadlab.kpi import KpiData
from leadlab.kpi.cascade import allocate_rate, allocate_sum, rollup, working_days
from leadlab.kpi.targets import parse_targets_text, targets_report

T = pd.Timestamp


def cascade_frames() -> dict[str, pd.DataFrame]:
    """Two teams; E3 joins on 2026-12-16. November: SQLs E1 6, E2 3, W1 1; dials E1 10, E2 10, W1 20."""
    reps = pd.DataFrame({"rep_id": ["E1", "E2", "E3", "W1", "W2"], "rep_name": list("abcde"),
                         "team": ["East", "East", "East", "West", "West"],
                         "hired_at": pd.to_datetime(["2025-01-01"] * 2 + ["2026-12-16"] + ["2025-01-01"] * 2).date,
                         "hourly_cost": [30.0] * 5})
    owners = ["E1"] * 6 + ["E2"] * 3 + ["W1"]
    n = len(owners)
    leads = pd.DataFrame({"lead_id": [f"L{i}" for i in range(n)], "created_at": [T("2026-11-02 09:00")] * n,
                          "source": ["web_form"] * n, "campaign": ["c"] * n, "region": ["North"] * n,
                          "rep_id": owners, "industry": [None] * n, "mql_at": [T("2026-11-03")] * n,
                          "sql_at": [T("2026-11-05")] * n, "opportunity_at": [pd.NaT] * n, "won_at": [pd.NaT] * n,
                          "lost_at": [pd.NaT] * n, "revenue": [None] * n, "phone": [None] * n, "email": [None] * n})
    callers = ["E1"] * 10 + ["E2"] * 10 + ["W1"] * 20
    conn = [True] * 4 + [False] * 6 + [True] * 2 + [False] * 8 + [True] * 10 + [False] * 10
    calls = pd.DataFrame({"call_id": [f"C{i}" for i in range(len(callers))], "lead_id": ["L0"] * len(callers),
                          "rep_id": callers, "started_at": [T("2026-11-10 10:00")] * len(callers),
                          "ring_seconds": [5.0] * len(callers), "talk_seconds": [60.0 if c else 0.0 for c in conn],
                          "hold_seconds": [0.0] * len(callers), "wrap_seconds": [0.0] * len(callers),
                          "disposition": ["callback" if c else "no_answer" for c in conn], "script": ["A"] * len(callers)})
    for frame, cols in ((leads, ["created_at", "mql_at", "sql_at", "opportunity_at", "won_at", "lost_at"]),
                        (calls, ["started_at"])):
        for c in cols:
            frame[c] = pd.to_datetime(frame[c]).astype("datetime64[us]")
    leads["revenue"] = leads["revenue"].astype(float)
    return {"reps": reps, "leads": leads, "calls": calls}


@pytest.fixture(scope="module")
def data():
    return KpiData.from_frames(**cascade_frames())


def values(data, text, period="2026-12"):
    res = targets_report(data, period, targets=parse_targets_text(text))
    f = res.to_pandas()
    return {w: v for w, v in zip(f["who"], f["target"])}, res


def test_pure_allocation_by_hand():
    assert allocate_sum(100, {"East": 58.0, "West": 46.0}, {}, whole=True) == {"East": 56.0, "West": 44.0}
    assert allocate_sum(10.0, {"a": 1.0, "b": 3.0}, {}) == {"a": 2.5, "b": 7.5}
    assert allocate_rate(0.30, {"East": 20.0, "West": 20.0}, {"East": 0.36}) == pytest.approx({"East": 0.36, "West": 0.24})
    assert allocate_rate(0.30, {"a": 1.0, "b": 9.0}, {}) == {"a": 0.30, "b": 0.30}
    assert working_days(T("2026-12-01"), T("2027-01-01")) == 23 and working_days(T("2026-12-16"), T("2027-01-01")) == 12


def test_history_split_to_teams_and_reps(data):
    v, res = values(data, "- {scope: company, kpi: sql, period: 2026-12, value: 100, split: {method: history, to: rep}}")
    # November SQLs: East 9 (E1 6, E2 3), West 1 -> 90 / 10, then 60 / 30 / 0 and 10 / 0
    assert v == {"company": 100, "team East": 90, "team West": 10, "rep E1": 60, "rep E2": 30, "rep E3": 0,
                 "rep W1": 10, "rep W2": 0}
    assert (res.checks["status"] == "adds up").all() and len(res.checks) == 3
    assert "split by historical share (shares of November 2026)" in res.explain()
    assert "rep E1: 60 (share 66.7%)" in res.explain()


def test_headcount_capacity_equal_and_overrides(data):
    v, _r = values(data, "- {scope: company, kpi: sql, period: 2026-12, value: 100, split: {method: headcount, to: team}}")
    assert (v["team East"], v["team West"]) == (60, 40)  # 3 reps (E3 joins mid-December) vs 2
    # capacity: East 23 + 23 + 12 = 58 working days, West 46 -> 55.8 / 44.2 -> whole SQLs 56 / 44
    v, _r = values(data, "- {scope: company, kpi: sql, period: 2026-12, value: 100, split: capacity}")
    assert (v["team East"], v["team West"]) == (56, 44)
    assert (v["rep E1"], v["rep E2"], v["rep E3"], v["rep W1"], v["rep W2"]) == (22, 22, 12, 22, 22)
    v, _r = values(data, "- {scope: company, kpi: sql, period: 2026-12, value: 100, "
                         "split: {method: equal, to: team, overrides: {West: 30}}}")
    assert (v["team East"], v["team West"]) == (70, 30)
    v, _r = values(data, "- {scope: team, name: West, kpi: revenue, period: 2026-12, value: 1000, "
                         "split: {method: manual, overrides: {W1: 700, W2: 300}}}")
    assert (v["rep W1"], v["rep W2"]) == (700, 300)


def test_rate_kpi_inherited_and_balanced(data):
    v, res = values(data, "- {scope: company, kpi: call_connect_rate, period: 2026-12, value: 0.30, "
                          "split: {method: history, to: team, overrides: {East: 0.36}}}")
    # November dials East 20, West 20 -> 0.5·0.36 + 0.5·r = 0.30 -> r = 0.24
    assert v["team East"] == pytest.approx(0.36) and v["team West"] == pytest.approx(0.24)
    assert res.checks.iloc[0]["status"] == "adds up"
    v, _r = values(data, "- {scope: company, kpi: call_connect_rate, period: 2026-12, value: 0.30, split: capacity}")
    assert set(v.values()) == {0.30}


def test_rollup_check_of_hand_entered_targets(data):
    text = """
- {scope: company, kpi: sql, period: 2026-12, value: 100}
- {scope: team, name: East, kpi: sql, period: 2026-12, value: 70}
- {scope: team, name: West, kpi: sql, period: 2026-12, value: 20}
- {scope: rep, name: E1, kpi: sql, period: 2026-12, value: 80}
- {scope: company, kpi: call_connect_rate, period: 2026-12, value: 0.30}
- {scope: team, name: East, kpi: call_connect_rate, period: 2026-12, value: 0.40}
- {scope: team, name: West, kpi: call_connect_rate, period: 2026-12, value: 0.25}
- {scope: company, kpi: won, period: 2026-12, value: 10}
- {scope: team, name: East, kpi: won, period: 2026-12, value: 4}
"""
    checks = rollup(parse_targets_text(text), data).set_index(["parent", "kpi"])
    assert checks.loc[("company", "sql"), "status"] == "does not add up"
    assert checks.loc[("company", "sql"), "gap"] == pytest.approx(-10)
    assert checks.loc[("team East", "sql"), "status"] == "exceeds"  # E1 alone 80 > 70
    rate = checks.loc[("company", "call_connect_rate")]
    assert rate["status"] == "inconsistent" and rate["combined"] == pytest.approx(0.325)  # (20·0.40 + 20·0.25) / 40
    assert checks.loc[("company", "won"), "status"] == "incomplete"
    res = targets_report(data, "2026-12", targets=parse_targets_text(text))
    assert any("add up to 90, not 100" in a for a in res.alerts())
    with use_lang("zh"):
        zh = res.explain()
    assert "不" in zh and "Roll-up" not in zh


@pytest.mark.parametrize("text,match", [
    ("split: {method: luck}", r"entry 1 \(line 1\): unknown split method 'luck'; valid methods: history, headcount"),
    ("split: {method: equal, to: team, overrides: {West: 120}}", r"the split does not add up: overrides total 120"),
    ("split: {method: manual, to: team, overrides: {West: 60}}", r"manual needs a value for every child; missing: East"),
    ("split: {method: manual, to: team, overrides: {West: 60, East: 30}}", r"the split does not add up"),
    ("split: {method: equal, to: team, overrides: {Sout: 10}}", r"override 'Sout' is not a team or rep of this split"),
    ("split: {method: equal, to: region}", r"split to 'region' is not possible from scope company"),
    ("split: {method: equal, by: team}", r"unknown split key 'by'"),
    ("split: {method: equal, overrides: {East: -3}}", r"override of East must be a number >= 0"),
])
def test_bad_splits(data, text, match):
    entry = "- {scope: company, kpi: sql, period: 2026-12, value: 100, " + text + "}"
    with pytest.raises(ConfigError, match=match):
        targets_report(data, "2026-12", targets=parse_targets_text(entry))


def test_split_and_hand_entry_of_the_same_target_is_refused(data):
    text = ("- {scope: company, kpi: sql, period: 2026-12, value: 100, split: {method: equal, to: team}}\n"
            "- {scope: team, name: East, kpi: sql, period: 2026-12, value: 50}")
    with pytest.raises(ConfigError, match=r"entry 2 \(line 2\): team East sql 2026-12 is entered by hand and also derived"):
        targets_report(data, "2026-12", targets=parse_targets_text(text))


def test_unknown_kpi_and_rep_split(data):
    with pytest.raises(ConfigError, match="unknown KPI 'bonus'"):
        parse_targets_text("- {scope: company, kpi: bonus, period: 2026-12, value: 1, split: equal}")
    with pytest.raises(ConfigError, match="a rep target cannot be split"):
        parse_targets_text("- {scope: rep, name: E1, kpi: sql, period: 2026-12, value: 1, split: equal}")


def test_errors_and_explain_in_both_languages(tmp_path, capsys):
    from test_kpi_fixtures import tiny_store

    from leadlab.cli import main
    from leadlab.i18n import set_lang

    with use_lang("zh"), pytest.raises(ConfigError) as exc:
        parse_targets_text("- {scope: company, kpi: sql, period: 2026-12, value: 100, split: {method: luck}}")
    assert exc.value.message.startswith("targets.yml，第 1 条（第 1 行）：未知的拆分方法 'luck'")
    url = tiny_store(tmp_path)
    f = tmp_path / "targets.yml"
    f.write_text("- {scope: company, kpi: dials, period: 2026-10, value: 30, split: {method: equal, to: rep}}\n"
                 "- {scope: company, kpi: sql, period: 2026-10, value: 10}\n- {scope: team, name: East, kpi: sql, "
                 "period: 2026-10, value: 4}\n- {scope: team, name: West, kpi: sql, period: 2026-10, value: 4}\n")
    outs = {}
    for lang in ("en", "zh"):
        try:
            main(["--lang", lang, "kpi", "targets", "--period", "2026-10", "--file", str(f), "--explain", "--db", url])
        except SystemExit as e:
            assert not e.code
        finally:
            set_lang(None)
        outs[lang] = capsys.readouterr().out
    en, zh = outs["en"], outs["zh"]
    assert "company: Dials October 2026 = 30, split by equal shares" in en and "rep R1: 15 (share 100.0%)" in en
    assert "does not add up: company: SQLs October 2026: the 2 lower-level targets add up to 8, not 10 (gap -2)." in en
    assert "按平均分配拆分" in zh and "逐级汇总核对" in zh and "对不上" in zh and "split by" not in zh
    import json

    main_ok = ["kpi", "targets", "--period", "2026-10", "--file", str(f), "--json", "--db", url]
    try:
        main(main_ok)
    except SystemExit as e:
        assert not e.code
    payload = json.loads(capsys.readouterr().out)
    assert {(r["parent"], r["kpi"], r["status"]) for r in payload["rollup"]} == {
        ("company", "dials", "adds up"), ("team East", "dials", "adds up"), ("team West", "dials", "adds up"),
        ("company", "sql", "does not add up")}
    bad = tmp_path / "bad.yml"
    bad.write_text("- {scope: company, kpi: sql, period: 2026-10, value: 10, split: {method: equal, overrides: {East: 20}}}\n")
    with pytest.raises(SystemExit) as e:
        main(["kpi", "targets", "--period", "2026-10", "--file", str(bad), "--db", url])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "the split does not add up: overrides total 20" in err and "Traceback" not in err


def test_hostile_team_name_is_escaped(tmp_path):
    frames = cascade_frames()
    evil = "<img src=x onerror=alert(1)>"
    frames["reps"] = frames["reps"].assign(team=[evil, evil, evil, "West", "West"])
    data = KpiData.from_frames(**frames)
    text = f"- {{scope: company, kpi: sql, period: 2026-12, value: 100, split: {{method: equal, to: team, overrides: {{'{evil}': 30}}}}}}"
    res = targets_report(data, "2026-12", targets=parse_targets_text(text))
    html = res._repr_html_()
    assert evil not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert dict(zip(res.to_pandas()["name"], res.to_pandas()["target"]))[evil] == 30
    from leadlab.incentives import compute_payouts, parse_plan_text

    plan = parse_plan_text(f"name: '{evil}'\nkpi: sql\ntarget: 5\ntarget_incentive: 100\ntiers:\n  - {{from: 0, rate: 1}}")
    pay = compute_payouts(data, plan, "2026-11")
    assert evil not in pay._repr_html_() and "&lt;img" in pay._repr_html_()
