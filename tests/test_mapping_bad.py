"""Mapping files and mapped exports that are wrong: one clear line naming the file, key/line or
row/column and value, exit code 2, no traceback, the store unchanged.

A refused ingest writes nothing, so those tests share one module store (``base``) and check, by its
fingerprint before and after, that nothing was written; only the tests that write get a copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from testkit import PII_KEY, crm_store
from test_ingest_bad import fingerprint

from leadlab.cli import main
from leadlab.ingest import ingest_file

ROOT = Path(__file__).resolve().parents[1]
PRESETS = ROOT / "leadlab" / "ingest" / "presets"
KEY = PII_KEY
CALLS = "呼叫编号,客户编号,坐席,呼叫开始时间,振铃时长,通话时长,通话结果\n"


pytestmark = pytest.mark.usefixtures("pii_env")  # the test PII key, no $LEADLAB_DB


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return crm_store(tmp_path_factory.mktemp("mapping_bad") / "base.duckdb", ("reps", "leads", "lead_stages"),
                     KEY.encode())


@pytest.fixture
def store(base, tmp_path) -> Path:
    """A private copy of ``base``, for a test that writes."""
    path = tmp_path / "store.duckdb"
    shutil.copy(base, path)
    return path


@pytest.fixture(scope="module")
def two_zhangs(base, tmp_path_factory) -> Path:
    """``base`` with a second rep named 张伟 (spaces do not make a name)."""
    folder = tmp_path_factory.mktemp("two_zhangs")
    path = folder / "store.duckdb"
    shutil.copy(base, path)
    (folder / "more.csv").write_text("工号,姓名,团队,入职日期,时薪\nR09, 张伟 ,华南,2024-01-01,¥40\n", encoding="utf-8")
    ingest_file("reps", folder / "more.csv", preset="crm_reps_zh", url=f"duckdb://{path}", pii_key=KEY.encode())
    return path


def fails(store: Path, args: list[str], capsys) -> str:
    """`leadlab ingest ARGS`: exit 2, one `error:` line first, no traceback, store unchanged."""
    before = fingerprint(store)
    with pytest.raises(SystemExit) as info:
        main(["ingest", *args, "--db", f"duckdb://{store}", "-q"])
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    assert err.startswith("error: ") and "Traceback" not in err
    assert fingerprint(store) == before
    fails.err = err  # every line, for the details
    return err.splitlines()[0]


def put(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> str:
    (tmp_path / name).write_bytes(text.encode(encoding))
    return str(tmp_path / name)


def test_unmapped_dispositions_are_listed_with_counts(base, tmp_path, capsys):
    f = put(tmp_path, "cdr.csv", CALLS + "X1,L001,张伟,2026-09-02 09:00:00,3,00:00:10,挂断\n"
                                         "X2,L001,张伟,2026-09-02 10:00:00,3,00:00:10,挂断\n"
                                         "X3,L002,张伟,2026-09-02 11:00:00,3,00:00:10,拒接\n"
                                         "X4,L002,张伟,2026-09-02 12:00:00,3,00:00:10,未接通\n")
    line = fails(base, ["calls", f, "--preset", "dialer_cdr_zh"], capsys)
    assert line.startswith("error: cdr.csv, row 1 (line 2), column disposition: '挂断' is not in the value map")
    assert "2 distinct unmapped value(s) (rows): 挂断 (2), 拒接 (1)" in line
    assert "values.disposition.map in preset dialer_cdr_zh" in line
    assert "not a valid disposition" not in line  # said once, not again as an unknown value


@pytest.mark.parametrize("column, value, message", [
    (5, "3分x秒", "column talk_seconds: '3分x秒' is not a duration (hh:mm:ss, mm:ss, 3分25秒, 205秒 or seconds)"),
    (3, "2026/09/02 09:00", "column started_at: '2026/09/02 09:00' does not match the format %Y-%m-%d %H:%M:%S"),
])
def test_cell_that_does_not_parse_names_row_column_value(base, tmp_path, capsys, column, value, message):
    cells = ["X1", "L001", "张伟", "2026-09-02 09:00:00", "3", "00:00:10", "未接通"]
    cells[column] = value
    f = put(tmp_path, "cdr.csv", CALLS + "X0,L001,张伟,2026-09-02 08:00:00,3,00:00:10,未接通\n" + ",".join(cells) + "\n")
    line = fails(base, ["calls", f, "--preset", "dialer_cdr_zh"], capsys)
    assert line.startswith("error: cdr.csv, row 2 (line 3), " + message), line


def test_money_and_band_that_do_not_parse(base, tmp_path, capsys):
    header = "线索编号,创建时间,线索来源,所属销售,公司规模,线索状态,最后跟进时间,成交金额\n"
    f = put(tmp_path, "crm.csv", header + "N1,2026-09-01 09:00,展会,张伟,20-99人,新线索,2026-09-01 09:00,约一万\n"
                                          "N2,2026-09-01 09:00,展会,张伟,二十人左右,新线索,2026-09-01 09:00,\n",
            "gb18030")
    m = tmp_path / "m.yml"
    text = (PRESETS / "crm_leads_zh.yml").read_text(encoding="utf-8")
    for drop in ("  行业: industry\n", "  联系人: contact_name\n", "  手机: phone\n", "  是否参加研讨会: webinar_attended\n",
                 "  备注: null\n", "  webinar_attended: boolean\n"):
        text = text.replace(drop, "")
    m.write_text(text, encoding="utf-8")
    err_line = fails(base, ["leads", f, "--mapping", str(m)], capsys)
    assert "row 2 (line 3), column company_size: '二十人左右' is not a number band" in err_line
    # both rules are broken; the money cell is listed in the details
    assert "row 1 (line 2): '约一万' is not an amount (12800, ¥12,800.00, 12800元, 1.2万)" in fails.err


@pytest.mark.parametrize("name, message", [
    ("赵六", "'赵六' matches no rep_name in the store's reps"),
    ("张伟", "'张伟' matches 2 rows of the store's reps by rep_name (R01, R09)"),
])
def test_rep_name_matching_no_rep_or_two(two_zhangs, tmp_path, capsys, name, message):
    f = put(tmp_path, "cdr.csv", CALLS + f"X1,L001,{name},2026-09-02 09:00:00,3,00:00:10,未接通\n")
    line = fails(two_zhangs, ["calls", f, "--preset", "dialer_cdr_zh"], capsys)
    assert f"row 1 (line 2), column rep_id: {message}" in line
    assert f"1 distinct value(s) (rows): {name} (1)" in line


def test_status_not_in_the_stage_order(base, tmp_path, capsys):
    header = "线索编号,创建时间,线索来源,所属销售,公司规模,行业,联系人,手机,是否参加研讨会,线索状态,最后跟进时间,成交金额,备注\n"
    f = put(tmp_path, "crm.csv", header + "N1,2026-09-01 09:00,展会,张伟,20-99人,制造,甲,138,否,已签约,2026-09-02 09:00,,\n"
                                          "N2,2026-09-01 09:00,展会,张伟,20-99人,制造,乙,139,否,已签约,2026-09-02 09:00,,\n")
    line = fails(base, ["leads", f, "--preset", "crm_leads_zh"], capsys)
    assert "row 1 (line 2), column 线索状态: status '已签约' is not in lifecycle.stages" in line
    assert "1 distinct unknown status(es) (rows): 已签约 (2)" in line


def test_stage_history_going_backwards(base, tmp_path, capsys):
    f = put(tmp_path, "fu.csv", "线索编号,跟进时间,原阶段,新阶段,跟进人\n"
                                "L003,2026-09-07 10:00,已转SQL,已转MQL,李娜\n"
                                "L003,2026-09-06 10:00,新线索,已转SQL,李娜\n")
    line = fails(base, ["lead_stages", f, "--preset", "crm_followups_zh"], capsys)
    assert "column entered_at: lead L003 entered" in line and "[stage history" not in line
    assert "stage order: mql → sql → opportunity → won; a history cannot go backwards in time" in line


def test_history_going_backwards_against_the_store(base, tmp_path, capsys):
    # L005 reached SQL on 09-06 (exact, in the store): an MQL on 09-08 would go backwards
    f = put(tmp_path, "fu.csv", "线索编号,跟进时间,原阶段,新阶段,跟进人\nL005,2026-09-08 10:00,新线索,已转MQL,王芳\n")
    line = fails(base, ["lead_stages", f, "--preset", "crm_followups_zh"], capsys)
    assert "lead L005 entered mql at 2026-09-08 10:00:00, but sql at 2026-09-06 14:00:00" in line


def test_mapping_key_not_in_the_file(base, tmp_path, capsys):
    f = put(tmp_path, "cdr.csv", CALLS.replace("通话时长", "通话时长(秒)") + "X1,L001,张伟,2026-09-02 09:00:00,3,10,未接通\n")
    line = fails(base, ["calls", f, "--preset", "dialer_cdr_zh"], capsys)
    assert line == "error: preset dialer_cdr_zh, line 11, key columns.通话时长: the file has no column '通话时长'"


@pytest.mark.parametrize("text, message", [
    ("columns: {a: call_id}\nvalue: {}\n", "m.yml, line 2, key value: unknown section 'value'; valid sections: table,"),
    ("columns: {a: call_id}\nvalues:\n  disposition:\n    map: {x: busy}\n    unmaped: keep\n",
     "m.yml, line 5, key values.disposition.unmaped: unknown key 'unmaped'; valid keys: map, unmapped"),
    ("columns: {a: call_id}\nparse:\n  talk_seconds: {band: middle}\n",
     "m.yml, line 3, key parse.talk_seconds.band: 'middle' is not one of lower, mid, upper"),
    ("parse:\n  disposition: duration\n",
     "m.yml, line 2, key parse.disposition: the duration parser cannot fill disposition (type string)"),
    ("parse:\n  talk_seconds: durations\n", "m.yml, line 2, key parse.talk_seconds: unknown parser 'durations'"),
    ("lookups:\n  rep_id: {by: name}\n", "m.yml, line 2, key lookups.rep_id.by: 'name' is not a column of reps"),
    ("parse:\n  started_at: {timestamp: '%Y', timezone: Mars/Base}\n",
     "m.yml, line 2, key parse.started_at.timezone: 'Mars/Base' is not a known IANA time zone name"),
])
def test_mapping_with_unknown_sections_or_keys(tmp_path, text, message):
    from leadlab.errors import ConfigError
    from leadlab.ingest.mapping import ColumnMapping

    m = tmp_path / "m.yml"
    m.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        ColumnMapping.load(m, "calls")
    assert str(info.value).startswith("mapping file " + message), str(info.value)


def test_bad_mapping_on_the_command_line(base, tmp_path, capsys):
    m = tmp_path / "m.yml"
    m.write_text("columns: {呼叫编号: call_id}\nvalue: {}\n", encoding="utf-8")
    f = put(tmp_path, "cdr.csv", CALLS + "X1,L001,张伟,2026-09-02 09:00:00,3,00:00:10,未接通\n")
    line = fails(base, ["calls", f, "--mapping", str(m)], capsys)
    assert line.startswith("error: mapping file m.yml, line 2, key value: unknown section 'value'")


def test_hostile_mapping_values_stay_literal(store, tmp_path, capsys):
    """Quotes, SQL and format specifiers in a value map are data: they map exactly the cells equal to them."""
    evil = "x'); DROP TABLE reps; --"
    m = tmp_path / "m.yml"
    text = (PRESETS / "dialer_cdr_zh.yml").read_text(encoding="utf-8").replace(
        "      投诉: complaint\n", f"      投诉: complaint\n      \"{evil}\": busy\n      \"%s{{0}}\": voicemail\n")
    m.write_text(text, encoding="utf-8")
    f = put(tmp_path, "cdr.csv", CALLS + f"X1,L001,张伟,2026-09-02 09:00:00,3,00:00:10,\"{evil}\"\n"
                                         "X2,L001,张伟,2026-09-02 10:00:00,3,00:00:10,%s{0}\n")
    main(["ingest", "calls", f, "--mapping", str(m), "--db", f"duckdb://{store}", "-q"])
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    assert con.execute("SELECT call_id, disposition FROM calls ORDER BY 1").fetchall() == [("X1", "busy"),
                                                                                            ("X2", "voicemail")]
    assert con.execute("SELECT count(*) FROM reps").fetchone()[0] == 4
    con.close()
