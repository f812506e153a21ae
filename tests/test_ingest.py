"""leadlab ingest: example sequence, PII, idempotence, updates, encodings, formats, mappings."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from leadlab.cli import main
from leadlab.errors import ConfigError, DataError
from leadlab.ingest import ColumnMapping, IngestResult, ingest_file
from leadlab.ingest.pseudonymize import Pseudonymizer, load_key, normalize_phone

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples"
KEY = "test-key-not-secret"


@pytest.fixture(autouse=True)
def _pii_key(monkeypatch):
    monkeypatch.setenv("LEADLAB_PII_KEY", KEY)
    monkeypatch.delenv("LEADLAB_DB", raising=False)


def run(args: list[str], capsys) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit code, stdout, stderr)."""
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def load_examples(url: str) -> list[IngestResult]:
    return [
        ingest_file("reps", EXAMPLES / "reps.csv", url=url),
        ingest_file("leads", EXAMPLES / "leads_zh.csv", mapping=EXAMPLES / "mapping_zh.yml", url=url),
        ingest_file("calls", EXAMPLES / "calls.csv", url=url),
    ]


@pytest.fixture(scope="session")
def example_store_file(tmp_path_factory) -> Path:
    """A store with the example reps, leads and calls, built once (tests copy it)."""
    folder = tmp_path_factory.mktemp("ingest_examples")
    path = folder / "base.duckdb"
    old = os.environ.get("LEADLAB_PII_KEY")
    os.environ["LEADLAB_PII_KEY"] = KEY
    try:
        load_examples(f"duckdb://{path}")
    finally:
        if old is None:
            del os.environ["LEADLAB_PII_KEY"]
        else:
            os.environ["LEADLAB_PII_KEY"] = old
    return path


@pytest.fixture
def store(example_store_file, tmp_path) -> Path:
    path = tmp_path / "store.duckdb"
    shutil.copy(example_store_file, path)
    return path


def raw_example_pii() -> dict[str, list[str]]:
    leads = pd.read_csv(EXAMPLES / "leads_zh.csv", encoding="gb18030", dtype=str)
    reps = pd.read_csv(EXAMPLES / "reps.csv", dtype=str)
    return {"phone": list(leads["电话"]), "email": list(leads["邮箱"]),
            "name": list(leads["姓名"]) + list(reps["rep_name"])}


def all_strings(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        values: set[str] = set()
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
            cols = con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND data_type = 'VARCHAR'",
                [table]).fetchall()
            for (col,) in cols:
                values |= {v for (v,) in con.execute(f'SELECT DISTINCT "{col}" FROM "{table}"').fetchall() if v}
        return values
    finally:
        con.close()


def test_example_sequence_via_cli_keeps_no_raw_pii(tmp_path, capsys):
    url = f"duckdb://{tmp_path}/s.duckdb"
    for args in (["reps", str(EXAMPLES / "reps.csv")],
                 ["leads", str(EXAMPLES / "leads_zh.csv"), "--mapping", str(EXAMPLES / "mapping_zh.yml")],
                 ["calls", str(EXAMPLES / "calls.csv")],
                 ["experiments", str(EXAMPLES / "experiments.csv")],
                 ["assignments", str(EXAMPLES / "assignments.csv")]):
        code, out, err = run(["ingest", *args, "--db", url, "-q"], capsys)
        assert code == 0, err
        assert "inserted" in out and "0 updated" in out
    con = duckdb.connect(f"{tmp_path}/s.duckdb", read_only=True)
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("reps", "leads", "calls", "experiments", "assignments")}
    con.close()
    assert counts == {"reps": 6, "leads": 20, "calls": 55, "experiments": 1, "assignments": 20}
    stored = all_strings(tmp_path / "s.duckdb")
    raw = raw_example_pii()
    for kind, values in raw.items():
        for v in values:
            assert v not in stored, f"raw {kind} {v!r} is in the store"
            assert v.strip().lower() not in stored
    # the normalized forms are not there either (only tokens)
    assert not any(normalize_phone(p) in stored for p in raw["phone"])
    assert any(v.startswith("tok_") for v in stored)


def test_example_values_typed_and_mapped(store):
    con = duckdb.connect(str(store), read_only=True)
    row = con.execute("SELECT created_at, source, rep_id, webinar_attended, phone FROM leads "
                      "WHERE lead_id = 'L0001'").fetchone()
    calls = con.execute("SELECT count(*) FILTER (WHERE connected), count(*) FILTER (WHERE conversation), "
                        "count(*) FILTER (WHERE disposition IN ('not_interested','callback','qualified')) "
                        "FROM calls").fetchone()
    con.close()
    assert str(row[0]) == "2026-10-14 12:23:00"  # 2026/10/14 12:23 in the Chinese export
    assert row[1] == "list_purchase" and row[2] == "R001" and row[3] is True
    assert row[4].startswith("tok_") and len(row[4]) == 20
    assert calls[1] == calls[2] and calls[0] >= calls[1]  # derived from schema.DISPOSITIONS


def test_reingest_is_idempotent_and_reports_counts(store, capsys):
    code, out, _ = run(["ingest", "calls", str(EXAMPLES / "calls.csv"), "--db", f"duckdb://{store}"], capsys)
    assert code == 0
    assert "0 inserted, 0 updated, 55 unchanged" in out
    res = ingest_file("leads", EXAMPLES / "leads_zh.csv", mapping=EXAMPLES / "mapping_zh.yml",
                      url=f"duckdb://{store}")
    assert (res.inserted, res.updated, res.unchanged) == (0, 0, 20)
    assert res.to_pandas().set_index("outcome")["rows"].to_dict() == {"inserted": 0, "updated": 0, "unchanged": 20}
    assert "unchanged" in res._repr_html_() and "leads ← leads_zh.csv" in res.summary()


def test_update_detection_and_partial_columns(store, tmp_path):
    calls = pd.read_csv(EXAMPLES / "calls.csv", dtype=str, encoding="utf-8-sig")
    calls.loc[0, "talk_seconds"] = "999"
    calls.loc[1, "disposition"] = "qualified"
    extra = calls.iloc[[2]].copy()
    extra["call_id"] = "C99999"
    changed = pd.concat([calls, extra])
    path = tmp_path / "calls_v2.csv"
    changed.to_csv(path, index=False)
    res = ingest_file("calls", path, url=f"duckdb://{store}")
    assert (res.inserted, res.updated, res.unchanged) == (1, 2, 53)
    # a partial export (key + one column) updates that column and keeps the others
    part = tmp_path / "reps_cost.csv"
    part.write_text("rep_id,team,hourly_cost\nR001,north,99.5\n")
    before = duckdb.connect(str(store), read_only=True).execute(
        "SELECT rep_name, hired_at FROM reps WHERE rep_id = 'R001'").fetchone()
    res = ingest_file("reps", part, url=f"duckdb://{store}")
    assert (res.inserted, res.updated, res.unchanged) == (0, 1, 0)
    con = duckdb.connect(str(store), read_only=True)
    after = con.execute("SELECT rep_name, hired_at, hourly_cost FROM reps WHERE rep_id = 'R001'").fetchone()
    row = con.execute("SELECT talk_seconds, connected, conversation FROM calls WHERE call_id = ?",
                      [calls.loc[1, "call_id"]]).fetchone()
    con.close()
    assert after[:2] == before and after[2] == 99.5
    assert row[1] is True and row[2] is True  # re-derived for the new disposition


def test_dry_run_writes_nothing(store, tmp_path, capsys):
    path = tmp_path / "reps.csv"
    path.write_text("rep_id,team\nR777,west\n")
    code, out, _ = run(["ingest", "reps", str(path), "--db", f"duckdb://{store}", "--dry-run"], capsys)
    assert code == 0 and "1 would be inserted" in out and "nothing was written" in out
    con = duckdb.connect(str(store), read_only=True)
    assert con.execute("SELECT count(*) FROM reps WHERE rep_id = 'R777'").fetchone()[0] == 0
    con.close()


REPS_ZH = "rep_id,team,rep_name\nR001,华北一组,张伟\nR002,华南,李娜\n"


@pytest.mark.parametrize("encoding,given", [
    ("utf-8", None), ("utf-8-sig", None), ("gb18030", None), ("gbk", None), ("gb18030", "gbk"),
    ("utf-8-sig", "utf-8-sig"),
])
def test_encodings_detected_or_given(tmp_path, encoding, given):
    path = tmp_path / "reps.csv"
    path.write_bytes(REPS_ZH.encode(encoding))
    url = f"duckdb://{tmp_path}/s.duckdb"
    res = ingest_file("reps", path, url=url, encoding=given)
    assert res.inserted == 2
    con = duckdb.connect(f"{tmp_path}/s.duckdb", read_only=True)
    teams = con.execute("SELECT team, rep_name FROM reps ORDER BY rep_id").fetchall()
    con.close()
    assert [t for t, _ in teams] == ["华北一组", "华南"]
    assert teams[0][1] == Pseudonymizer(KEY.encode()).token("张伟", "name")


def test_gb18030_detected_after_a_long_ascii_prefix(tmp_path):
    """The encoding sample is ASCII; a GB18030 character far into the file still decodes."""
    lines = ["rep_id,team"] + [f"R{i:05d},team{i % 7}" for i in range(30000)] + ["R99999,华东"]
    path = tmp_path / "reps.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gb18030"))
    assert path.stat().st_size > 256 * 1024
    res = ingest_file("reps", path, url=f"duckdb://{tmp_path}/s.duckdb")
    assert res.inserted == 30001 and res.encoding == "gb18030"


def test_wrong_given_encoding_is_a_data_error(tmp_path):
    path = tmp_path / "reps.csv"
    path.write_bytes(REPS_ZH.encode("gb18030"))
    with pytest.raises(DataError, match="not valid UTF-8"):
        ingest_file("reps", path, url=f"duckdb://{tmp_path}/s.duckdb", encoding="utf-8")


@pytest.fixture(scope="module")
def reps_and_leads_file(tmp_path_factory) -> Path:
    """The example reps and leads without calls, built once (tests copy it)."""
    path = tmp_path_factory.mktemp("ingest_reps_leads") / "base.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEADLAB_PII_KEY", KEY)
        ingest_file("reps", EXAMPLES / "reps.csv", url=f"duckdb://{path}")
        ingest_file("leads", EXAMPLES / "leads_zh.csv", mapping=EXAMPLES / "mapping_zh.yml", url=f"duckdb://{path}")
    return path


@pytest.mark.parametrize("fmt", ["xlsx", "parquet", "tsv"])
def test_excel_parquet_tsv_give_the_same_store_as_csv(example_store_file, reps_and_leads_file, tmp_path, fmt):
    """The calls of the CSV example, written as FMT and ingested into the same reps and leads,
    give the rows the CSV gave (the reference: the session's example store, built from CSV)."""
    calls = pd.read_csv(EXAMPLES / "calls.csv", dtype=str, encoding="utf-8-sig")
    reference = example_store_file
    other = tmp_path / "other.duckdb"
    shutil.copy(reps_and_leads_file, other)
    path = tmp_path / f"calls.{fmt}"
    if fmt == "xlsx":
        typed = calls.astype({"ring_seconds": int, "talk_seconds": float})
        typed["started_at"] = pd.to_datetime(typed["started_at"])
        typed.to_excel(path, index=False)
    elif fmt == "parquet":
        typed = calls.astype({"talk_seconds": float, "ring_seconds": "int64"})
        typed["started_at"] = pd.to_datetime(typed["started_at"])
        typed.to_parquet(path, index=False)
    else:
        calls.to_csv(path, sep="\t", index=False)
    res = ingest_file("calls", path, url=f"duckdb://{other}")
    assert res.inserted == len(calls) and res.format == {"xlsx": "excel", "tsv": "csv"}.get(fmt, fmt)
    q = "SELECT * FROM calls ORDER BY call_id"
    a = duckdb.connect(str(reference), read_only=True).execute(q).fetchall()
    b = duckdb.connect(str(other), read_only=True).execute(q).fetchall()
    assert a == b


def test_excel_errors_name_the_sheet_row(store, tmp_path):
    calls = pd.read_csv(EXAMPLES / "calls.csv", dtype=str, encoding="utf-8-sig").head(5)
    calls.loc[3, "talk_seconds"] = "-1"
    path = tmp_path / "calls.xlsx"
    calls.assign(call_id=[f"N{i}" for i in range(5)]).to_excel(path, index=False)
    with pytest.raises(DataError) as info:
        ingest_file("calls", path, url=f"duckdb://{store}")
    assert "calls.xlsx, row 4 (sheet row 5), column talk_seconds" in str(info.value)


# --- mapping files ----------------------------------------------------------------------------

def test_mapping_unknown_canonical_name_lists_valid_columns(tmp_path, capsys):
    m = tmp_path / "m.yml"
    m.write_text("线索编号: lead_id\n来源: lead_source\n", encoding="utf-8")
    code, _, err = run(["ingest", "leads", str(EXAMPLES / "leads_zh.csv"), "--mapping", str(m),
                        "--db", f"duckdb://{tmp_path}/s.duckdb"], capsys)
    assert code == 2
    assert "m.yml" in err and "'lead_source'" in err and "not a column of leads" in err
    assert "valid leads columns: lead_id, created_at, source" in err
    assert not (tmp_path / "s.duckdb").exists() or "leads" not in duckdb.connect(
        f"{tmp_path}/s.duckdb").execute("SHOW TABLES").fetchall()


@pytest.mark.parametrize("text,match", [
    ("- a\n- b\n", "must be a YAML mapping"),
    ("a: [b\n", "not valid YAML"),
    ("线索编号: lead_id\n编号: lead_id\n", "both"),
    ("columns:\n  线索编号: lead_id\ntable: calls\n", "for table 'calls'"),
    ("线索编号: 3\n", "must be a column name"),
])
def test_mapping_file_errors(tmp_path, text, match):
    m = tmp_path / "m.yml"
    m.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=match):
        ColumnMapping.load(m, "leads")


def test_missing_mapping_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        ingest_file("leads", EXAMPLES / "leads_zh.csv", mapping=tmp_path / "nope.yml",
                    url=f"duckdb://{tmp_path}/s.duckdb")


def test_nested_mapping_with_encoding(tmp_path):
    m = tmp_path / "m.yml"
    import yaml

    flat = yaml.safe_load((EXAMPLES / "mapping_zh.yml").read_text(encoding="utf-8"))
    m.write_text(yaml.safe_dump({"table": "leads", "encoding": "gb18030", "columns": flat}, allow_unicode=True),
                 encoding="utf-8")
    url = f"duckdb://{tmp_path}/s.duckdb"
    ingest_file("reps", EXAMPLES / "reps.csv", url=url)
    res = ingest_file("leads", EXAMPLES / "leads_zh.csv", mapping=m, url=url)
    assert res.inserted == 20 and res.encoding == "gb18030" and "备注" not in res.columns


def test_headers_match_canonical_names_loosely(tmp_path):
    path = tmp_path / "reps.csv"
    path.write_text("Rep ID, Team ,Hourly-Cost\nR001,north,40\n")
    res = ingest_file("reps", path, url=f"duckdb://{tmp_path}/s.duckdb")
    assert res.inserted == 1 and set(res.columns.values()) == {"rep_id", "team", "hourly_cost"}


# --- pseudonymization -------------------------------------------------------------------------

def test_tokens_stable_across_files_and_formats_of_the_same_person():
    tok = Pseudonymizer(b"k1")
    assert tok.token("+86 138 0013 8000", "phone") == tok.token("138-0013-8000", "phone") \
        == tok.token("008613800138000", "phone") == tok.token("8613800138000", "phone")
    assert tok.token(" Wang.Fang@Example.CN", "email") == tok.token("wang.fang@example.cn", "email")
    assert tok.token("ZHANG  Wei", "name") == tok.token("zhang wei", "name")
    assert tok.token("13800138000", "phone") != tok.token("13800138001", "phone")
    t = tok.token("13800138000", "phone")
    assert t.startswith("tok_") and len(t) == 20 and int(t[4:], 16) >= 0
    assert tok.token(t, "phone") == t  # already a token: kept
    assert tok.token("   ", "name") is None and tok.token(None, "email") is None


def test_tokens_are_keyed():
    assert Pseudonymizer(b"k1").token("13800138000", "phone") != Pseudonymizer(b"k2").token("13800138000", "phone")


def test_same_person_same_token_across_two_files(tmp_path):
    url = f"duckdb://{tmp_path}/s.duckdb"
    ingest_file("reps", EXAMPLES / "reps.csv", url=url)
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text("lead_id,created_at,source,phone,email,contact_name\n"
                 "A1,2026-10-01,web_form,+86 138 0013 8000,Ann@Example.com,Ann  Lee\n")
    b.write_bytes("线索编号,创建时间,来源,电话,邮箱,姓名\nB1,2026/10/02,event,13800138000, ann@example.com ,ANN LEE\n"
                  .encode("gb18030"))
    ingest_file("leads", a, url=url)
    ingest_file("leads", b, url=url, mapping={"线索编号": "lead_id", "创建时间": "created_at", "来源": "source",
                                              "电话": "phone", "邮箱": "email", "姓名": "contact_name"})
    con = duckdb.connect(f"{tmp_path}/s.duckdb", read_only=True)
    rows = con.execute("SELECT phone, email, contact_name FROM leads ORDER BY lead_id").fetchall()
    con.close()
    assert rows[0] == rows[1] and all(v.startswith("tok_") for v in rows[0])


def test_key_file_created_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("LEADLAB_PII_KEY")
    monkeypatch.delenv("LEADLAB_PII_KEY_FILE", raising=False)
    monkeypatch.setenv("LEADLAB_HOME", str(tmp_path))
    key = load_key()
    path = tmp_path / ".leadlab" / "pii.key"
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key() == key and len(key) == 64
    monkeypatch.setenv("LEADLAB_PII_KEY", "other")
    assert load_key() == b"other"


def test_tokens_already_in_a_file_are_kept(tmp_path):
    url = f"duckdb://{tmp_path}/s.duckdb"
    path = tmp_path / "reps.csv"
    path.write_text("rep_id,team,rep_name\nR001,north,tok_0123456789abcdef\n")
    ingest_file("reps", path, url=url)
    con = duckdb.connect(f"{tmp_path}/s.duckdb", read_only=True)
    assert con.execute("SELECT rep_name FROM reps").fetchone()[0] == "tok_0123456789abcdef"
    con.close()


# --- connections --------------------------------------------------------------------------------

def test_password_in_url_is_never_printed(tmp_path):
    env = {**os.environ, "LEADLAB_PII_KEY": KEY}
    for args in (["--db", "postgres://u:hunter2@127.0.0.1:1/db"], []):
        if not args:
            env["LEADLAB_DB"] = "postgres://u:hunter2@127.0.0.1:1/db"
        proc = subprocess.run([sys.executable, "-m", "leadlab.cli", "ingest", "reps", str(EXAMPLES / "reps.csv"), *args],
                              capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert "hunter2" not in proc.stdout + proc.stderr
        assert "error:" in proc.stderr and "***" in proc.stderr


def test_other_ibis_backend_best_effort(tmp_path, monkeypatch):
    """The generic (non-DuckDB) path: the file is staged in a local DuckDB, only the store rows the
    checks need are fetched through Ibis, rows are written with raw DELETE + Ibis insert.
    (No PostgreSQL server here: the path is forced on a DuckDB store.)"""
    import leadlab.ingest as ing
    from leadlab.ingest.context import StoreLink

    monkeypatch.setattr(ing, "StoreLink", lambda backend: StoreLink(backend, generic=True))
    url = f"duckdb://{tmp_path}/s.duckdb"
    load_examples(url)
    res = ingest_file("calls", EXAMPLES / "calls.csv", url=url)
    assert (res.inserted, res.updated, res.unchanged) == (0, 0, 55)
    bad = tmp_path / "bad.csv"
    bad.write_text("call_id,lead_id,rep_id,started_at,talk_seconds,disposition\n"
                   "Z1,L0001,R001,2020-01-01 00:00:00,5,busy\nZ2,L4242,R001,2026-11-01,5,busy\n")
    with pytest.raises(DataError) as info:
        ingest_file("calls", bad, url=url)
    text = str(info.value) + "\n".join(info.value.details)
    assert "call before lead creation" in text and "'L4242' is not in the store's leads" in text
    calls = pd.read_csv(EXAMPLES / "calls.csv", dtype=str, encoding="utf-8-sig")
    calls.loc[0, "talk_seconds"] = "999"
    path = tmp_path / "c2.csv"
    calls.to_csv(path, index=False)
    res = ingest_file("calls", path, url=url)
    assert (res.inserted, res.updated, res.unchanged) == (0, 1, 54)
    con = duckdb.connect(f"{tmp_path}/s.duckdb", read_only=True)
    assert con.execute("SELECT count(*) FROM calls").fetchone()[0] == 55
    assert con.execute("SELECT talk_seconds FROM calls WHERE call_id = ?", [calls.loc[0, "call_id"]]).fetchall() == [(999.0,)]
    con.close()


def test_accepted_cell_forms(tmp_path):
    url = f"duckdb://{tmp_path}/s.duckdb"
    ingest_file("reps", EXAMPLES / "reps.csv", url=url)
    path = tmp_path / "leads.csv"
    path.write_text(
        "lead_id;created_at;source;webinar_attended;company_size\n"
        "A1;2026-01-31 14:05:00;web_form;yes;12\n"
        "A2;2026-01-31T14:05;web_form;FALSE;12.0\n"
        "A3;2026/01/31 14:05;web_form;是;\n"
        "A4;2026年1月31日 14:05;web_form;0;  \n"
        "A5;31.01.2026;web_form;n;3\n", encoding="utf-8")
    assert ingest_file("leads", path, url=url).inserted == 5
    con = duckdb.connect(f"{tmp_path}/s.duckdb", read_only=True)
    rows = con.execute("SELECT lead_id, created_at, webinar_attended, company_size FROM leads ORDER BY 1").fetchall()
    con.close()
    assert [str(r[1]) for r in rows] == ["2026-01-31 14:05:00"] * 4 + ["2026-01-31 00:00:00"]
    assert [r[2] for r in rows] == [True, False, True, False, False]
    assert [r[3] for r in rows] == [12, 12, None, None, 3]


def test_utf16_with_bom(tmp_path):
    path = tmp_path / "reps.csv"
    path.write_bytes(REPS_ZH.encode("utf-16"))
    res = ingest_file("reps", path, url=f"duckdb://{tmp_path}/s.duckdb")
    assert res.inserted == 2 and res.encoding == "utf-16"


def test_delimiters_and_crlf_are_sniffed(tmp_path):
    url = f"duckdb://{tmp_path}/s.duckdb"
    for i, (d, nl) in enumerate(((";", "\r\n"), ("|", "\n"), ("\t", "\r\n"))):
        path = tmp_path / f"reps{i}.csv"
        path.write_text(f"rep_id{d}team{d}hourly_cost{nl}R{i}{d}\"north, east\"{d}40{nl}", encoding="utf-8")
        res = ingest_file("reps", path, url=url)
        assert res.inserted == 1
    con = duckdb.connect(f"{tmp_path}/s.duckdb", read_only=True)
    assert con.execute("SELECT DISTINCT team, hourly_cost FROM reps").fetchall() == [("north, east", 40.0)]
    con.close()


def test_phone_country_codes(monkeypatch):
    assert normalize_phone("+1 (415) 555-0100") == "14155550100"
    assert normalize_phone("0049 30 1234567") == "49301234567"
    assert normalize_phone("010-6552-9988") == "861065529988"  # trunk 0 dropped, default 86
    monkeypatch.setenv("LEADLAB_PHONE_COUNTRY_CODE", "1")
    assert normalize_phone("(415) 555-0100") == normalize_phone("1 415 555 0100") == "14155550100"
    assert normalize_phone("n/a") == ""
    assert Pseudonymizer(b"k").token("n/a", "phone") is None  # nothing to keep: stored empty


def test_cli_help_has_examples(capsys):
    code, out, _ = run(["ingest", "--help"], capsys)
    assert code == 0 and "Examples:" in out and "--mapping data/examples/mapping_zh.yml" in out


def test_sqlite_store_through_ibis(tmp_path):
    """A non-DuckDB Ibis backend with a transaction API (SQLite here; PostgreSQL takes the same path)."""
    import ibis

    url = f"sqlite://{tmp_path}/s.sqlite"
    load_examples(url)
    res = ingest_file("calls", EXAMPLES / "calls.csv", url=url)
    assert (res.inserted, res.updated, res.unchanged) == (0, 0, 55)
    calls = pd.read_csv(EXAMPLES / "calls.csv", dtype=str, encoding="utf-8-sig")
    calls.loc[0, "talk_seconds"] = "999"
    path = tmp_path / "c2.csv"
    calls.to_csv(path, index=False)
    assert ingest_file("calls", path, url=url).updated == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("call_id,lead_id,rep_id,started_at,talk_seconds,disposition\nZ1,L0001,R001,2020-01-01,5,busy\n")
    with pytest.raises(DataError, match="before lead L0001 was created"):
        ingest_file("calls", bad, url=url)
    con = ibis.sqlite.connect(f"{tmp_path}/s.sqlite")
    t = con.table("calls")
    assert t.count().execute() == 55
    assert t.filter(t.call_id == calls.loc[0, "call_id"]).talk_seconds.execute().tolist() == [999.0]
    leads = con.table("leads").execute()
    source = pd.read_csv(EXAMPLES / "leads_zh.csv", encoding="gb18030", dtype=str)
    assert leads["phone"].str.startswith("tok_").all()
    assert leads["created_at"].min() == pd.to_datetime(source["创建时间"], format="%Y/%m/%d %H:%M").min()


def test_sqlite_write_is_one_transaction(tmp_path, monkeypatch):
    import ibis

    import leadlab.ingest.load as load

    url = f"sqlite://{tmp_path}/s.sqlite"
    ingest_file("reps", EXAMPLES / "reps.csv", url=url)
    import leadlab.store as store

    real = store._dbapi_upsert

    def fail_after_writing(cursor, *a):  # the rows are written, then the transaction fails
        real(cursor, *a)
        cursor.execute("INSERT INTO no_such_table VALUES (1)")

    monkeypatch.setattr(store, "_dbapi_upsert", fail_after_writing)
    path = tmp_path / "reps2.csv"
    path.write_text("rep_id,team\nR001,moved\nR100,new\n")
    from leadlab.errors import StoreError

    with pytest.raises(StoreError, match="nothing was written"):
        ingest_file("reps", path, url=url)
    t = ibis.sqlite.connect(f"{tmp_path}/s.sqlite").table("reps").execute()
    assert len(t) == 6 and t.set_index("rep_id").loc["R001", "team"] == "north"


@pytest.mark.parametrize("name", ["decode", "headers", "readers", "validate", "mapping", "pseudonymize", "result"])
def test_ingest_doctests(name):
    import doctest
    import importlib

    module = importlib.import_module(f"leadlab.ingest.{name}")
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
