"""Incentive plans: parsing and bad input, payouts by hand (tiers, accelerator, cap, gate, team
pool), the CLI (CSV/XLSX, exit 2 and nothing written on a user mistake), both languages."""

from __future__ import annotations

import pandas as pd
import pytest
from test_cascade import cascade_frames

from leadlab.errors import ConfigError
from leadlab.i18n import use_lang
from leadlab.incentives import compute_payouts, demo_plan_path, load_plan, parse_plan_text
from leadlab.incentives.payouts import payout_frame
from leadlab.kpi import KpiData

BASE = """kpi: sql
target: 10
target_incentive: 1000
tiers:
  - {from: 0, to: 0.5, rate: 0}
  - {from: 0.5, to: 1.0, rate: 2}
  - {from: 1.0, rate: 3}
cap: 1.6
"""


def test_example_plan_is_the_packaged_one_and_parses():
    from pathlib import Path

    shipped = Path(__file__).resolve().parents[1] / "data" / "examples" / "incentive_plan.yml"
    assert shipped.read_text() == demo_plan_path().read_text()
    plan = load_plan(shipped)
    assert plan.kpi == "sql" and plan.target == 8 and len(plan.tiers) == 3 and plan.team_pool == 0.2
    assert [g.kpi for g in plan.gate] == ["complaints_per_1000", "dnc_per_1000"]


def test_tiers_accelerator_and_cap_by_hand():
    plan = parse_plan_text(BASE)
    # 0.4 -> 0; 0.75 -> 0.25·2 = 0.5; 1.0 -> 1.0; 1.1 -> 1 + 0.1·3 = 1.3; 1.5 -> 2.5 capped at 1.6
    assert plan.multiple([0.4, 0.75, 1.0, 1.1, 1.5]).tolist() == pytest.approx([0, 0.5, 1.0, 1.3, 1.6])
    assert plan.band([0.4, 0.75, 1.0, 1.1, 1.5]).tolist() == [0, 1, 2, 2, 3]


def test_gate_and_team_pool_by_hand():
    plan = parse_plan_text(BASE + "gate:\n  - {kpi: complaints_per_1000, max: 5}\nteam_pool: 0.25\n")
    reps = pd.DataFrame({"rep_id": ["A", "B", "C", "D"], "team": ["T", "T", "T", "U"],
                         "actual": [12.0, 8.0, 20.0, 4.0], "target": [10.0] * 4})
    gates = pd.DataFrame({"complaints_per_1000": [1.0, float("nan"), 9.0, 0.0]})
    f = payout_frame(plan, reps, gate_values=gates).set_index("rep_id")
    # individual: A 1.6·1000 (1 + 0.2·3 = 1.6, at the cap), B 0.6·1000, C gated (9 > 5), D 0
    assert f["individual"].tolist() == pytest.approx([1600, 600, 0, 0])
    # team T pool = 0.25·2200 = 550 shared by A and B (C failed the gate): A 1200 + 275, B 450 + 275
    assert f["payout"].tolist() == pytest.approx([1475, 725, 0, 0])
    assert f.loc["C", "gate_failed"] == "complaints_per_1000" and bool(f.loc["A", "capped"])


@pytest.mark.parametrize("text,match", [
    (BASE.replace("{from: 0.5, to: 1.0", "{from: 0.4, to: 1.0"), r"tier 2 \(line 6\): overlaps the tier before"),
    (BASE.replace("{from: 0.5, to: 1.0", "{from: 0.6, to: 1.0"), r"tier 2 \(line 6\): leaves a gap"),
    (BASE.replace("{from: 0, to: 0.5", "{from: 0.1, to: 0.5"), r"tier 1 \(line 5\): leaves a gap .* must start at 0"),
    (BASE.replace("rate: 3}", "rate: -3}"), r"tier 3 \(line 7\): rate must be a number >= 0, got -3"),
    (BASE.replace("cap: 1.6", "cap: 0.8"), r"cap 0.8 is below tier 3: at its start \(1 attainment\) the payout is already 1"),
    (BASE.replace("kpi: sql", "kpi: bonus_points"), r"key kpi: unknown KPI 'bonus_points'; valid KPIs: dials"),
    (BASE + "gate:\n  - {kpi: complaints_per_1000}\n", r"gate 1 \(line 10\): a gate rule is"),
    (BASE + "team_pool: 1.5\n", r"team_pool is a share between 0 and 1"),
    (BASE + "bonus: 1\n", r"unknown key 'bonus'"),
    (BASE.replace("target: 10", "target: 0"), r"target must be a number > 0, got 0"),
    (BASE.replace("{from: 0, to: 0.5", "{from: 0"), r"tier 1 \(line 5\): only the last tier may leave out to"),
    ("- 1\n- 2\n", r"expected a mapping"),
])
def test_bad_plans(tmp_path, text, match):
    p = tmp_path / "plan.yml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=match) as exc:
        load_plan(p)
    assert str(p) in exc.value.message


def test_bad_plan_message_in_chinese(tmp_path):
    p = tmp_path / "plan.yml"
    p.write_text(BASE.replace("{from: 0.5, to: 1.0", "{from: 0.4, to: 1.0"))
    with use_lang("zh"), pytest.raises(ConfigError) as exc:
        load_plan(p)
    assert "重叠" in exc.value.message and "overlaps" not in exc.value.message


@pytest.fixture(scope="module")
def data():
    return KpiData.from_frames(**cascade_frames())


def test_compute_on_data_by_hand(data):
    # November SQLs (by sql_at): E1 6, E2 3, W1 1; target 5 -> 120 %, 60 %, 20 %
    plan = parse_plan_text(BASE.replace("target: 10", "target: 5"))
    res = compute_payouts(data, plan, "2026-11")
    f = res.to_pandas().set_index("rep_id")
    assert f.loc[["E1", "E2", "W1"], "actual"].tolist() == [6, 3, 1]
    assert "W2" not in f.index  # no call and no new lead in November: not paid, no share of the pool
    assert f.loc["E1", "payout"] == pytest.approx(1600) and f.loc["E2", "payout"] == pytest.approx(200)
    assert "E3" not in f.index  # hired in December
    assert "attainment 120%: capped at 1.60" in res.rules()[0] and "tier 2 (50% to 100%)" in res.rules()[1]
    assert res.verdict() == "Total payout CN¥1,800 to 2 of 3 reps; 0 failed the quality gate."
    with use_lang("zh"):
        zh = res.summary()
    assert "奖金" in zh and "Payout" not in zh


def test_targets_from_the_cascade(data, tmp_path):
    t = tmp_path / "targets.yml"
    t.write_text("- {scope: company, kpi: sql, period: 2026-11, value: 20, split: {method: equal, to: rep}}\n")
    plan = parse_plan_text(BASE.replace("target: 10", "target: targets"))
    f = compute_payouts(data, plan, "2026-11", targets_path=t).to_pandas().set_index("rep_id")
    # equal to the 2 teams (10 each), then East 10 over E1, E2 (E3 not yet hired in November) -> 5 each
    assert f.loc["E1", "target"] == 5 and f.loc["W1", "target"] == 5
    with pytest.raises(ConfigError, match="has no rep targets of sql for 2026-10"):
        compute_payouts(data, plan, "2026-10", targets_path=t)


def test_cli_compute_writes_csv_and_xlsx_and_refuses_bad_input(tmp_path, capsys):
    import openpyxl
    from test_kpi_fixtures import tiny_store

    from leadlab.cli import main
    from leadlab.i18n import set_lang

    class Run:
        def __init__(self, args):
            try:
                main(args)
                self.exit_code = 0
            except SystemExit as exc:
                self.exit_code = exc.code or 0
            finally:
                set_lang(None)
            cap = capsys.readouterr()
            self.output = cap.out + cap.err

    def run(_main, args):
        return Run(args)

    url = tiny_store(tmp_path)
    plan = tmp_path / "plan.yml"
    plan.write_text(BASE.replace("target: 10", "target: 1"))
    out = tmp_path / "payouts.csv"
    r = run(main, ["incentives", "compute", "--period", "2026-10", "--plan", str(plan), "--out", str(out), "--db", url])
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("Rep,Team,SQLs,Target,Attainment,Tier,Payout,Rule")
    xlsx = tmp_path / "payouts.xlsx"
    r = run(main, ["--lang", "zh", "incentives", "compute", "--period", "2026-10", "--plan", str(plan), "--out", str(xlsx),
                   "--db", url])
    assert r.exit_code == 0, r.output
    ws = openpyxl.load_workbook(xlsx).active
    assert ws.cell(1, 1).value == "销售代表" and isinstance(ws.cell(2, 7).value, (int, float))
    bad = tmp_path / "bad.yml"
    bad.write_text(BASE.replace("rate: 3}", "rate: -3}"))
    target = tmp_path / "never.csv"
    r = run(main, ["incentives", "compute", "--period", "2026-10", "--plan", str(bad), "--out", str(target), "--db", url])
    assert r.exit_code == 2 and "rate must be a number >= 0" in r.output and "Traceback" not in r.output
    assert not target.exists()
    r = run(main, ["incentives", "simulate", str(plan.with_name("missing.yml")), "--db", url])
    assert r.exit_code == 2 and "does not exist" in r.output
