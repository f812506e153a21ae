"""`ab assign` reads what `ingest` reads and writes what `ingest assignments` loads as it is: the round
trip assign → ingest assignments → ab analyze on the shipped Chinese CRM example (GB18030 CSV +
mapping file), in CSV (with the BOM of --lang zh) and XLSX."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from testkit import run_cli

from leadlab.experiments import assign
from leadlab.experiments.assign_file import assign_file

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples"
EXPS = {".xlsx": "EXP-RT-XLSX", ".csv": "EXP-RT-CSV"}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> dict:
    """The example CRM store (reps, leads from the GB18030 export with its mapping, calls) and a lead
    experiment per output format, without assignments."""
    folder = tmp_path_factory.mktemp("ab_assign")
    url = f"duckdb://{folder / 's.duckdb'}"
    mp = pytest.MonkeyPatch()
    mp.setenv("LEADLAB_PII_KEY", "test-key")
    (folder / "exp.csv").write_text("experiment_id,unit_type,control_arm,primary_metric,started_at\n"
                                    + "".join(f"{e},lead,A,sql_rate,2026-10-01 00:00:00\n" for e in EXPS.values()),
                                    encoding="utf-8")
    steps = [["ingest", "reps", EXAMPLES / "reps.csv"],
             ["ingest", "leads", EXAMPLES / "leads_zh.csv", "--mapping", EXAMPLES / "mapping_zh.yml"],
             ["ingest", "calls", EXAMPLES / "calls.csv"],
             ["ingest", "experiments", folder / "exp.csv"]]
    for args in steps:
        assert run_cli([str(a) for a in [*args, "--db", url]]) == 0, args
    yield {"url": url, "folder": folder}
    mp.undo()


def _analyze(url: str, exp: str, capsys) -> dict:
    capsys.readouterr()
    assert run_cli(["ab", "analyze", "--experiment", exp, "--metric", "sql_rate", "--json", "--db", url]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("suffix, lang", [(".xlsx", "en"), (".csv", "zh")])
def test_assign_then_ingest_then_analyze(store, tmp_path, capsys, suffix, lang):
    exp, out = EXPS[suffix], tmp_path / f"arms{suffix}"
    src = EXAMPLES / "leads_zh.csv"  # GB18030, Chinese headers: 线索编号 is the lead id via the mapping
    code = run_cli(["ab", "assign", str(src), "--mapping", str(EXAMPLES / "mapping_zh.yml"), "--salt", exp,
                    "--experiment", exp, "--assigned-at", "2026-10-01", "--output", str(out), "--lang", lang])
    assert code == 0, capsys.readouterr().err
    if suffix == ".csv":
        assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # --lang zh: Excel on Chinese Windows reads it
        frame = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    else:
        frame = pd.read_excel(out, dtype={"unit_id": str})
    assert list(frame.columns) == ["experiment_id", "unit_type", "unit_id", "arm", "assigned_at"]
    assert set(frame.experiment_id) == {exp} and set(frame.unit_type) == {"lead"} and len(frame) == 20
    assert list(frame.arm) == assign(list(frame.unit_id), salt=exp, arms=["A", "B"])
    url = store["url"]
    assert run_cli(["ingest", "assignments", str(out), "--db", url]) == 0, capsys.readouterr().err
    res = _analyze(url, exp, capsys)
    seen = {a["arm"]: int(a["units"]) for a in res["arms"]}
    assert seen == frame.arm.value_counts().to_dict() and res["control"] == "A"  # every unit, in its arm
    assert res["srm_ok"] and res["effects"][0]["units"] + res["effects"][0]["control_units"] == 20


def test_python_api_reads_xlsx_and_names_the_column(tmp_path):
    src = tmp_path / "reps.xlsx"
    pd.DataFrame({"姓名": ["甲", "乙", "丙", "丁"], "Rep ID": ["R1", "R2", "R3", "R4"]}).to_excel(src, index=False)
    res = assign_file(src, salt="EXP-REP", arms=["A", "B", "C"], unit_type="rep",
                      assigned_at=pd.Timestamp("2026-10-01 08:00"))
    assert res.column == "Rep ID"  # matched as ingest matches canonical names (case and spaces ignored)
    assert list(res.frame.unit_id) == ["R1", "R2", "R3", "R4"] and set(res.frame.unit_type) == {"rep"}
    assert list(res.frame.arm) == assign(["R1", "R2", "R3", "R4"], salt="EXP-REP", arms=["A", "B", "C"])
    assert sum(res.counts.values()) == 4 and (res.frame.assigned_at == pd.Timestamp("2026-10-01 08:00")).all()


@pytest.mark.parametrize("flags, bom", [(["--lang", "zh"], True), (["--lang", "zh", "--no-bom"], False),
                                        (["--lang", "en"], False), (["--lang", "en", "--bom"], True)])
def test_bom_follows_the_language_unless_told(tmp_path, capsys, flags, bom):
    src = tmp_path / "u.csv"
    src.write_text("lead_id\nL1\nL2\n", encoding="utf-8")
    out = tmp_path / "a.csv"
    assert run_cli(["ab", "assign", str(src), "--salt", "S", "--output", str(out), *flags]) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf") is bom
    assert pd.read_csv(out, encoding="utf-8-sig").columns[0] == "experiment_id"
