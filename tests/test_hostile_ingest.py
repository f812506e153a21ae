"""Hostile inputs to `leadlab ingest` and the store URL (issue 9, classes 1, 5, 6, 7).

Every case runs the CLI and asserts the exit code; a refusal must print one ``error:`` line
naming the file (and row/column where there is one) and the rule, no traceback, and leave every
table of the store byte-for-byte equal (order-independent checksums). A hostile header that is
loaded literally must land only where the mapping sends it, and change nothing else.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from leadlab.cli import main
from leadlab.ingest import ingest_file

KEY = "hostile-suite-key"
SECRET = "S3cr3tT0ken42"
LEADS_HEADER = ["lead_id", "created_at", "source"]


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("LEADLAB_PII_KEY", KEY)
    for var in ("LEADLAB_DB", "LEADLAB_TZ"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile_base")
    path = folder / "store.duckdb"
    (folder / "reps.csv").write_text("rep_id,team,rep_name\nR1,north,Ann Lee\nR2,south,Bo Li\n")
    (folder / "leads.csv").write_text("lead_id,created_at,source,rep_id,campaign\n"
                                      "L1,2026-01-05 09:00:00,web_form,R1,spring\n"
                                      "L2,2026-01-06 10:00:00,referral,R2,\n")
    saved = os.environ.get("LEADLAB_PII_KEY")
    os.environ["LEADLAB_PII_KEY"] = KEY
    try:
        ingest_file("reps", folder / "reps.csv", url=f"duckdb://{path}")
        ingest_file("leads", folder / "leads.csv", url=f"duckdb://{path}")
    finally:
        if saved is None:
            del os.environ["LEADLAB_PII_KEY"]
        else:
            os.environ["LEADLAB_PII_KEY"] = saved
    return path


@pytest.fixture
def store(base_store, tmp_path) -> Path:
    folder = tmp_path / "store"
    folder.mkdir()
    path = folder / "store.duckdb"
    shutil.copy(base_store, path)
    return path


def fingerprint(path: Path) -> dict[str, tuple]:
    """Row count and an order-independent checksum of every table (opened read-write so a WAL
    left by a killed process is replayed first)."""
    con = duckdb.connect(str(path))
    try:
        out = {}
        for (t,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall():
            out[t] = con.execute(
                "SELECT count(*), md5(coalesce(string_agg(CAST(x AS VARCHAR), '|' ORDER BY CAST(x AS VARCHAR)), '')) "
                f'FROM "{t}" x').fetchone()
        return out
    finally:
        con.close()


def rows(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main([*args, "-q"])
        raise SystemExit(0)
    out = capsys.readouterr()
    return info.value.code or 0, out.out, out.err


def refused(store: Path, args: list[str], capsys, *fragments: str, code: int = 2, db: str | None = None) -> str:
    """Run ``leadlab ingest ARGS``; assert the exit code, one error line holding every fragment,
    no traceback, and an unchanged store. Returns the error line."""
    before = fingerprint(store)
    exit_code, _, err = cli(["ingest", *args, "--db", db or f"duckdb://{store}"], capsys)
    assert exit_code == code, err
    assert err.startswith("error: ") and "Traceback" not in err, err
    line = err.splitlines()[0]
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    assert fingerprint(store) == before
    return line


# ---------------------------------------------------------------------------------------------
# writers: one logical table → CSV / XLSX / Parquet


def write_csv(path: Path, header: list[str], data: list[list[str]], encoding: str = "utf-8") -> Path:
    def cell(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n\r') else v

    text = "".join(",".join(cell(v) for v in row) + "\n" for row in [header, *data])
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path: Path, header: list[str], data: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in data:
        sheet.append(row)
    book.save(path)
    return path


def write_parquet(path: Path, header: list[str], data: list[list[object]]) -> Path:
    columns = [pa.array([r[i] for r in data]) for i in range(len(header))]
    pq.write_table(pa.Table.from_arrays(columns, names=header), path)
    return path


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "parquet": write_parquet}


# ---------------------------------------------------------------------------------------------
# class 1: hostile header names (never SQL; loaded literally or refused)

LITERAL_HEADERS = {
    "quote-read_text": 'x" , read_text(\'{keyfile}\') AS "campaign',
    "sql-comment-semicolon": "'; DROP TABLE reps; --",
    "block-comment": "/* c */ campaign",
    "backslashes": "C:\\temp\\x\\'",
    "lone-quote": '"',
}


@pytest.mark.parametrize("fmt", list(WRITERS))
@pytest.mark.parametrize("payload", list(LITERAL_HEADERS))
def test_hostile_header_is_a_literal_name(fmt, payload, store, tmp_path, capsys):
    """The header is matched literally by a mapping to `campaign`; its value lands there, the
    key file is never read, and no other table or row changes."""
    keyfile = tmp_path / "pii.key"
    keyfile.write_text("THE-PII-KEY-CONTENT")
    header = LITERAL_HEADERS[payload].format(keyfile=keyfile)
    f = WRITERS[fmt](tmp_path / f"leads_h.{fmt}", [*LEADS_HEADER, header],
                     [["L10", "2026-02-01 09:00:00", "web_form", "camp-10"],
                      ["L11", "2026-02-01 10:00:00", "event", "camp-11"]])
    mapping = tmp_path / "map.yml"
    mapping.write_text(yaml.safe_dump({header: "campaign"}, allow_unicode=True))
    before = fingerprint(store)
    code, out, err = cli(["ingest", "leads", str(f), "--mapping", str(mapping), "--db", f"duckdb://{store}"], capsys)
    assert code == 0 and "Traceback" not in err, err
    assert "2 inserted" in out
    after = fingerprint(store)
    assert {t: v for t, v in after.items() if t != "leads"} == {t: v for t, v in before.items() if t != "leads"}
    assert after["leads"][0] == before["leads"][0] + 2
    assert rows(store, "SELECT lead_id, campaign FROM leads WHERE lead_id IN ('L10', 'L11') ORDER BY 1") == [
        ("L10", "camp-10"), ("L11", "camp-11")]
    assert rows(store, "SELECT lead_id, campaign FROM leads WHERE lead_id IN ('L1', 'L2') ORDER BY 1") == [
        ("L1", "spring"), ("L2", None)]
    dump = str(rows(store, "SELECT * FROM leads"))
    assert "THE-PII-KEY-CONTENT" not in dump


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_hostile_header_unmapped_is_ignored(fmt, store, tmp_path, capsys):
    """Without a mapping the hostile header is just an ignored column, listed as such."""
    header = "campaign\" , read_text('/etc/passwd') AS \"x"
    f = WRITERS[fmt](tmp_path / f"leads_u.{fmt}", [*LEADS_HEADER, header],
                     [["L12", "2026-02-01 09:00:00", "web_form", "v"]])
    before = fingerprint(store)
    code, out, err = cli(["ingest", "leads", str(f), "--db", f"duckdb://{store}"], capsys)
    assert code == 0, err
    assert "ignored (not canonical columns): " + header in out
    assert rows(store, "SELECT campaign FROM leads WHERE lead_id = 'L12'") == [(None,)]
    after = fingerprint(store)
    assert after["reps"] == before["reps"] and after["leads"][0] == before["leads"][0] + 1


REFUSED_HEADERS = {
    # name: (header, formats, fragments of the message)
    "newline": ("camp\naign", ("csv", "xlsx", "parquet"), ("header, column 4", "control character U+000A")),
    "nul": ("camp\x00aign", ("csv", "parquet"), ("header, column 4", "control character U+0000")),
    "escape": ("\x1b[31mcampaign", ("csv", "parquet"), ("header, column 4", "control character U+001B")),
    "bidi-override": ("\u202engiapmac", ("csv", "xlsx", "parquet"), ("header, column 4", "U+202E")),
    "very-long": ("c" * 5000, ("csv", "xlsx", "parquet"), ("header, column 4", "5000 characters long")),
    "duplicate": ("source", ("csv", "xlsx", "parquet"), ("header: column 'source' appears twice (columns 3 and 4)",)),
}


@pytest.mark.parametrize("fmt,name", [(fmt, name) for name, (_, fmts, _) in REFUSED_HEADERS.items() for fmt in fmts])
def test_hostile_header_is_refused(fmt, name, store, tmp_path, capsys):
    header, _, fragments = REFUSED_HEADERS[name]
    f = WRITERS[fmt](tmp_path / f"leads_r.{fmt}", [*LEADS_HEADER, header],
                     [["L13", "2026-02-01 09:00:00", "web_form", "v"]])
    refused(store, ["leads", str(f)], capsys, f"leads_r.{fmt}", *fragments)


@pytest.mark.parametrize("header", ["", "   "], ids=["empty", "whitespace"])
def test_blank_header_is_an_ignored_unnamed_column(header, store, tmp_path, capsys):
    f = write_csv(tmp_path / "leads_b.csv", [*LEADS_HEADER, header], [["L14", "2026-02-01 09:00:00", "web_form", "v"]])
    code, out, err = cli(["ingest", "leads", str(f), "--db", f"duckdb://{store}"], capsys)
    assert code == 0, err
    assert "ignored (not canonical columns): _unnamed_4" in out


@pytest.mark.parametrize("name,decoy", [
    ("leads*.csv", "leads_decoy.csv"), ("leads?.csv", "leadsX.csv"), ("lea'ds; --.csv", None),
    ("leads[1].parquet", "leads1.parquet"), ("leads*.xlsx", "leads_decoy.xlsx"),
], ids=["star", "question-mark", "quote-semicolon", "brackets-parquet", "star-xlsx"])
def test_hostile_file_name_reads_that_file_only(name, decoy, store, tmp_path, capsys):
    """DuckDB expands * ? [ ] in a path as a glob: the file is handed over by descriptor, so a
    decoy that matches the pattern is never read."""
    fmt = name.rsplit(".", 1)[1]
    f = WRITERS[fmt](tmp_path / name, LEADS_HEADER, [["L15", "2026-02-01 09:00:00", "web_form"]])
    if decoy:
        WRITERS[fmt](tmp_path / decoy, LEADS_HEADER, [["L99", "2026-02-01 09:00:00", "decoy"]])
    code, out, err = cli(["ingest", "leads", str(f), "--db", f"duckdb://{store}"], capsys)
    assert code == 0, err
    assert "1 inserted" in out
    assert rows(store, "SELECT lead_id FROM leads WHERE lead_id IN ('L15', 'L99')") == [("L15",)]


# ---------------------------------------------------------------------------------------------
# class 5: cells and encodings


@pytest.mark.parametrize("value,column", [
    ("inf", "prior_score"), ("-inf", "prior_score"), ("NaN", "prior_score"), ("Infinity", "prior_score"),
    ("1e999", "prior_score"), ("nan", "page_views"), ("-Infinity", "revenue"),
])
def test_non_finite_number_is_refused(value, column, store, tmp_path, capsys):
    f = write_csv(tmp_path / "leads_n.csv", [*LEADS_HEADER, column], [["L20", "2026-02-01 09:00:00", "web_form", "1"],
                                                                       ["L21", "2026-02-01 09:00:00", "web_form", value]])
    refused(store, ["leads", str(f)], capsys, "leads_n.csv, row 2 (line 3), column " + column,
            f"'{value}' is not a finite number")


@pytest.mark.parametrize("char,column", [
    ("\x00", "campaign"), ("\x1b", "campaign"), ("\x07", "region"), ("\x85", "industry"),
    ("\r", "lead_id"), ("\n", "source"), ("\x7f", "campaign"),
])
def test_control_character_in_a_cell_is_refused(char, column, store, tmp_path, capsys):
    header = [*LEADS_HEADER, *([column] if column not in LEADS_HEADER else [])]
    row = ["L22", "2026-02-01 09:00:00", "web_form", "x"][:len(header)]
    row[header.index(column)] = f"a{char}b"
    f = write_csv(tmp_path / "leads_c.csv", header, [["L23", "2026-02-01 09:00:00", "web_form", "ok"][:len(header)], row])
    line = refused(store, ["leads", str(f)], capsys, "leads_c.csv, row 2", f"column {column}",
                   f"control character U+{ord(char):04X}")
    assert char not in line


def test_tab_inside_a_text_cell_is_kept(store, tmp_path, capsys):
    f = write_csv(tmp_path / "leads_t.csv", [*LEADS_HEADER, "campaign"], [["L24", "2026-02-01 09:00:00", "web_form", "a\tb"]])
    code, _, err = cli(["ingest", "leads", str(f), "--db", f"duckdb://{store}"], capsys)
    assert code == 0, err
    assert rows(store, "SELECT campaign FROM leads WHERE lead_id = 'L24'") == [("a\tb",)]


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_excel_and_parquet_follow_the_cell_rules(fmt, store, tmp_path, capsys):
    value = "inf" if fmt == "xlsx" else float("inf")
    f = WRITERS[fmt](tmp_path / f"leads_x.{fmt}", [*LEADS_HEADER, "prior_score"],
                     [["L25", "2026-02-01 09:00:00", "web_form", 1.5 if fmt == "parquet" else "1.5"],
                      ["L26", "2026-02-01 09:00:00", "web_form", value]])
    refused(store, ["leads", str(f)], capsys, f"leads_x.{fmt}", "row 2", "column prior_score", "not a finite number")


def test_parquet_nul_in_a_string_is_refused(store, tmp_path, capsys):
    f = write_parquet(tmp_path / "leads_z.parquet", [*LEADS_HEADER, "campaign"],
                      [["L27", "2026-02-01 09:00:00", "web_form", "a\x00b"]])
    refused(store, ["leads", str(f)], capsys, "leads_z.parquet, row 1, column campaign", "control character U+0000")


def test_excel_header_with_a_quote_works(store, tmp_path, capsys):
    """An XLSX header holding `"` is an ordinary (ignored) column name: no traceback."""
    f = write_xlsx(tmp_path / "leads_q.xlsx", [*LEADS_HEADER, 'say "hi"'], [["L28", "2026-02-01 09:00:00", "web_form", "x"]])
    code, out, err = cli(["ingest", "leads", str(f), "--db", f"duckdb://{store}"], capsys)
    assert code == 0 and "Traceback" not in err, err
    assert "ignored (not canonical columns): say \"hi\"" in out


def _rows_text(n: int, start: int = 100) -> str:
    return "".join(f"L{i},2026-02-01 09:00:00,web_form,张伟{i}\n" for i in range(start, start + n))


def test_utf8_file_with_one_gb18030_row_deep_inside_is_refused(store, tmp_path, capsys):
    """Not re-read whole as GB18030 (which would garble 张伟): refused at the row and byte."""
    head = ("lead_id,created_at,source,contact_name\n" + _rows_text(9000)).encode("utf-8")
    bad = "L1,2026-02-01 09:00:00,web_form,李娜\n".encode("gb18030")
    path = tmp_path / "leads_mixed.csv"
    path.write_bytes(head + bad + _rows_text(5, 20000).encode("utf-8"))
    assert len(head) > 256 * 1024  # beyond the detection sample
    offset = len(head) + bad.index("李".encode("gb18030"))
    refused(store, ["leads", str(path)], capsys, "leads_mixed.csv, row 9001 (line 9002)", f"byte offset {offset}",
            "not valid UTF-8")


def test_declared_encoding_that_does_not_decode_is_refused(store, tmp_path, capsys):
    path = tmp_path / "leads_gb.csv"
    path.write_bytes(("lead_id,created_at,source,contact_name\n" + _rows_text(3)).encode("gb18030"))
    offset = path.read_bytes().index("张".encode("gb18030"))
    refused(store, ["leads", str(path), "--encoding", "utf-8"], capsys, "leads_gb.csv, row 1 (line 2)",
            f"byte offset {offset}", "not valid UTF-8", "not in the encoding given")


def test_gb18030_file_with_a_broken_row_deep_inside_is_refused(store, tmp_path, capsys):
    head = ("lead_id,created_at,source,contact_name\n" + _rows_text(9000)).encode("gb18030")
    path = tmp_path / "leads_gbbad.csv"
    path.write_bytes(head + b"L2,2026-02-01 09:00:00,web_form,\x81\x20x\n")
    refused(store, ["leads", str(path)], capsys, "leads_gbbad.csv, row 9001 (line 9002)",
            f"byte offset {len(head) + 32}", "not valid GB18030")


# one instant, written in every accepted form; the store holds it in the business time zone
INSTANTS = [
    ("2026-01-31T06:05:00Z", "2026-01-31 14:05:00"),
    ("2026-01-31 14:05:00+08:00", "2026-01-31 14:05:00"),
    ("2026-01-31 01:05:00-05:00", "2026-01-31 14:05:00"),
    ("2026-01-31 11:35:00+0530", "2026-01-31 14:05:00"),
    ("2026-01-31 06:05:00 UTC", "2026-01-31 14:05:00"),
    ("2026/01/31 07:05:00+01", "2026-01-31 14:05:00"),
    ("2026-01-31 14:05:00", "2026-01-31 14:05:00"),
]


@pytest.mark.parametrize("cell,stored", INSTANTS, ids=[c for c, _ in INSTANTS])
def test_timestamp_offsets_are_converted_to_business_time(cell, stored, store, tmp_path, capsys):
    f = write_csv(tmp_path / "leads_tz.csv", LEADS_HEADER, [["L30", cell, "web_form"]])
    code, _, err = cli(["ingest", "leads", str(f), "--db", f"duckdb://{store}"], capsys)
    assert code == 0, err
    assert rows(store, "SELECT CAST(created_at AS VARCHAR) FROM leads WHERE lead_id = 'L30'") == [(stored,)]


def test_business_time_zone_is_configurable(store, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LEADLAB_TZ", "Europe/Berlin")
    f = write_csv(tmp_path / "leads_tz.csv", LEADS_HEADER, [["L31", "2026-01-31T06:05:00Z", "web_form"],
                                                           ["L32", "2026-07-31T06:05:00Z", "web_form"]])
    code, _, err = cli(["ingest", "leads", str(f), "--db", f"duckdb://{store}"], capsys)
    assert code == 0, err
    assert rows(store, "SELECT CAST(created_at AS VARCHAR) FROM leads WHERE lead_id IN ('L31', 'L32') ORDER BY 1") == [
        ("2026-01-31 07:05:00",), ("2026-07-31 08:05:00",)]  # CET in winter, CEST in summer


def test_parquet_timestamptz_is_converted(store, tmp_path, capsys):
    import datetime as dt

    utc = dt.datetime(2026, 1, 31, 6, 5, tzinfo=dt.timezone.utc)
    table = pa.table({"lead_id": ["L33"], "created_at": pa.array([utc], pa.timestamp("us", tz="UTC")),
                      "source": ["web_form"]})
    pq.write_table(table, tmp_path / "leads_tz.parquet")
    code, _, err = cli(["ingest", "leads", str(tmp_path / "leads_tz.parquet"), "--db", f"duckdb://{store}"], capsys)
    assert code == 0, err
    assert rows(store, "SELECT CAST(created_at AS VARCHAR) FROM leads WHERE lead_id = 'L33'") == [("2026-01-31 14:05:00",)]


@pytest.mark.parametrize("cell", ["2026-01-31 14:05:00+25:00", "2026-01-31 14:05:00 GMT+8", "2026-01-31 14:05:00+08:00:00"])
def test_unreadable_offset_is_refused_not_dropped(cell, store, tmp_path, capsys):
    f = write_csv(tmp_path / "leads_off.csv", LEADS_HEADER, [["L34", cell, "web_form"]])
    refused(store, ["leads", str(f)], capsys, "leads_off.csv, row 1 (line 2), column created_at",
            f"'{cell}' is not a date-time", "converted to Asia/Shanghai")


def test_unknown_business_time_zone_is_refused(store, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LEADLAB_TZ", "Mars/Olympus'; --")
    f = write_csv(tmp_path / "leads_tz.csv", LEADS_HEADER, [["L35", "2026-01-31 14:05:00", "web_form"]])
    refused(store, ["leads", str(f)], capsys, "$LEADLAB_TZ=", "is not a known IANA time zone")


# ---------------------------------------------------------------------------------------------
# class 7: secrets in store URLs


def test_duckdb_url_with_a_token_is_parsed_and_refused(store, tmp_path, capsys):
    f = write_csv(tmp_path / "leads_u.csv", LEADS_HEADER, [["L40", "2026-02-01 09:00:00", "web_form"]])
    url = f"duckdb://{store}?token={SECRET}"
    line = refused(store, ["leads", str(f)], capsys, "unknown option 'token'", "token=***", db=url)
    assert SECRET not in capsys.readouterr().err + line
    assert sorted(p.name for p in store.parent.iterdir()) == ["store.duckdb"]  # no file named after the token


def test_duckdb_url_token_from_the_environment(store, tmp_path, capsys, monkeypatch):
    f = write_csv(tmp_path / "leads_u.csv", LEADS_HEADER, [["L41", "2026-02-01 09:00:00", "web_form"]])
    monkeypatch.setenv("LEADLAB_DB", f"duckdb://{store}?{SECRET}=x")
    before = fingerprint(store)
    code, out, err = cli(["ingest", "leads", str(f)], capsys)
    assert code == 2 and SECRET not in out + err and "Traceback" not in err
    assert "unknown option (its name is not shown)" in err.splitlines()[0]
    assert fingerprint(store) == before and sorted(p.name for p in store.parent.iterdir()) == ["store.duckdb"]


def test_duckdb_url_bad_option_value_is_not_echoed(store, tmp_path, capsys):
    f = write_csv(tmp_path / "leads_u.csv", LEADS_HEADER, [["L42", "2026-02-01 09:00:00", "web_form"]])
    line = refused(store, ["leads", str(f)], capsys, "option 'threads' must be a whole number",
                   db=f"duckdb://{store}?threads={SECRET}")
    assert SECRET not in line


def test_duckdb_url_with_known_options_opens_the_file(store, tmp_path, capsys):
    f = write_csv(tmp_path / "leads_u.csv", LEADS_HEADER, [["L43", "2026-02-01 09:00:00", "web_form"]])
    code, out, err = cli(["ingest", "leads", str(f), "--db", f"duckdb://{store}?threads=1&memory_limit=512MB"], capsys)
    assert code == 0, err
    assert "store duckdb://" in out and "threads=***" in out
    assert rows(store, "SELECT count(*) FROM leads WHERE lead_id = 'L43'") == [(1,)]
    assert sorted(p.name for p in store.parent.iterdir() if not p.name.endswith(".wal")) == ["store.duckdb"]


@pytest.mark.parametrize("url", [
    f"postgres://ann:{SECRET}@127.0.0.1:1/sales?sslpassword={SECRET}x",
    f"postgres://{SECRET}@127.0.0.1:1/sales",
    f"duckdb:///tmp/x.duckdb#{SECRET}",
], ids=["password-and-query", "token-as-user", "fragment"])
def test_secrets_in_other_url_parts_are_never_printed(url, store, tmp_path, capsys):
    f = write_csv(tmp_path / "leads_u.csv", LEADS_HEADER, [["L44", "2026-02-01 09:00:00", "web_form"]])
    before = fingerprint(store)
    code, out, err = cli(["ingest", "leads", str(f), "--db", url], capsys)
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err, err
    assert SECRET not in out + err and "***" in err
    assert fingerprint(store) == before


# ---------------------------------------------------------------------------------------------
# class 6: no raw PII on disk, even under SIGKILL


def _pii_file(path: Path, n: int) -> list[bytes]:
    """A GB18030 leads export with distinctive phones, e-mails and names; returns those values
    (as UTF-8 and GB18030 bytes) for the disk scan."""
    import random

    rng = random.Random(9)
    han = [chr(c) for c in range(0x4E00, 0x9FA5)]
    lines = ["lead_id,created_at,source,rep_id,phone,email,contact_name"]
    needles: list[bytes] = []
    for i in range(n):
        phone, email = f"139{rng.randrange(10**8):08d}", f"p{i}x{rng.randrange(10**6)}@mail.example.cn"
        name = "".join(rng.choice(han) for _ in range(4))
        lines.append(f"K{i},2026-02-01 09:00:00,web_form,R1,{phone},{email},{name}")
        if i % 1000 == 0:
            needles += [phone.encode(), email.encode(), name.encode("utf-8"), name.encode("gb18030")]
    path.write_bytes(("\n".join(lines) + "\n").encode("gb18030"))
    return needles


def _scan(folder: Path, needles: list[bytes]) -> list[str]:
    """Files under ``folder`` holding any needle (one regular-expression pass per file)."""
    import re

    pattern = re.compile(b"|".join(re.escape(n) for n in needles))
    hits = []
    for p in folder.rglob("*"):
        if p.is_file() and not p.is_symlink():
            found = pattern.search(p.read_bytes())
            if found:
                hits.append(f"{p.name}: {found.group()[:12]!r}")
    return hits


def _memfd_open(pid: int) -> bool:
    try:
        return any("memfd:leadlab-ingest" in os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kill loop watches /proc for the memory file")
def test_sigkill_during_a_gb18030_ingest_leaves_no_pii_on_disk(store, tmp_path):
    """Kill `leadlab ingest` at five points (from the moment decoding starts); after each kill
    neither $TMPDIR nor the store folder holds a raw phone, e-mail or name, and the store is
    unchanged or holds the whole file (atomic)."""
    n = 30000
    export = tmp_path / "in" / "leads_gb.csv"
    export.parent.mkdir()
    needles = _pii_file(export, n)
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "LEADLAB_PII_KEY": KEY}
    env.pop("LEADLAB_DB", None)
    before = fingerprint(store)
    cmd = [sys.executable, "-m", "leadlab.cli", "ingest", "leads", str(export), "--db", f"duckdb://{store}", "-q"]
    during_decode = 0
    t0 = time.monotonic()
    for delay in (0.0, 0.1, 0.25, 0.5, 1.0):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while proc.poll() is None and not _memfd_open(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(delay)
        during_decode += _memfd_open(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert _scan(tmp, needles) == [], "raw PII in $TMPDIR"
        assert _scan(store.parent, needles) == [], "raw PII in the store folder"
        after = fingerprint(store)
        assert after == before or (after["leads"][0] == before["leads"][0] + n
                                   and {k: v for k, v in after.items() if k != "leads"}
                                   == {k: v for k, v in before.items() if k != "leads"})
    assert during_decode >= 1  # at least one kill landed while the decoded text was in memory
    assert time.monotonic() - t0 < 60


def test_stale_temp_folders_are_removed_on_the_next_start(store, tmp_path, capsys, monkeypatch):
    import tempfile

    tmp = tmp_path / "tmpdir"
    stale = tmp / "leadlab-ingest-ab_12xyz"
    stale.mkdir(parents=True)
    (stale / "leads.utf8.csv").write_text("lead_id,phone\nL1,13900001111\n")
    others = [tmp / "leadlab-ingest-bench-q1w2e3r4", tmp / "leadlab-ingest-zz99zz99"]  # not ours to remove
    others[0].mkdir()
    (others[0] / "store.duckdb").write_text("x")
    others[1].mkdir()
    (others[1] / "notes.txt").write_text("x")
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)
    f = write_csv(tmp_path / "leads_s.csv", LEADS_HEADER, [["L50", "2026-02-01 09:00:00", "web_form"]], "gb18030")
    code, _, err = cli(["ingest", "leads", str(f), "--db", f"duckdb://{store}"], capsys)
    assert code == 0, err
    assert not stale.exists() and sorted(tmp.iterdir()) == sorted(others)
