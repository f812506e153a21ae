"""Hostile input at the CLI: spreadsheet formula injection in every CSV/XLSX leadlab writes
(issue 9, class 3) and user mistakes that must end in one clear line, never a traceback (class 10).

Formula payloads go through ``ab assign --output`` (from GB18030 CSV, UTF-8-with-BOM CSV, XLSX and
Parquet inputs) and ``score call-list --out`` (lead ids, sources and a rep id of a scored store);
the files are read back with ``csv`` and ``openpyxl``: every text cell a spreadsheet would run is
prefixed with ``'``, numbers stay numbers, Chinese text is intact.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from testkit import run_captured

from leadlab.cli import main
from leadlab.errors import ConfigError, DataError
from leadlab.i18n import use_lang
from leadlab.scoring.call_list import call_list_headers
from leadlab.tabular import FORMULA_TRIGGERS, write_csv_stream, write_table

PAYLOADS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=2", "张伟", "－1+1", "-3.5"]
#: ids as `ab assign` keeps them (surrounding whitespace stripped, like every id leadlab reads)
STRIPPED = [p.strip() for p in PAYLOADS]


def expected(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


run = run_captured


def assert_one_line_error(code: int, err: str, *fragments: str, exit_code: int = 2) -> str:
    """Exit code, one `error:` line naming the fragments, only indented detail lines, no traceback."""
    assert code == exit_code, err
    assert "Traceback" not in err
    lines = err.rstrip("\n").split("\n")
    assert lines[0].startswith("error: "), err
    assert all(line.startswith("  ") for line in lines[1:]), err
    for f in fragments:
        assert f in lines[0], (f, lines[0])
    return lines[0]


def read_csv_cells(path: Path, *, bom: bool = False) -> list[list[str]]:
    """The cells of a CSV leadlab wrote; ``bom``: whether it must start with a UTF-8 BOM (the
    default rule: only in Chinese, where Excel on Chinese Windows needs it)."""
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == bom, "a UTF-8 BOM exactly when the language is Chinese"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def read_xlsx_cells(path: Path) -> list[list[openpyxl.cell.Cell]]:
    ws = openpyxl.load_workbook(path).active
    return [list(r) for r in ws.iter_rows()]


def assert_no_formula_text(values: list[str]) -> None:
    for v in values:
        assert not v.startswith(FORMULA_TRIGGERS), f"cell {v!r} would run as a formula"


# -- inputs of `ab assign` ---------------------------------------------------------------------------------


def _csv_text(ids: list[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)  # a bare CR is no valid CSV
    w.writerow(["lead_id", "name"])
    w.writerows([i, f"名{n}"] for n, i in enumerate(ids))
    return buf.getvalue()


def make_units(folder: Path, kind: str, ids: list[str] = PAYLOADS) -> Path:
    if kind == "gb18030":
        p = folder / "units_gbk.csv"
        p.write_bytes(_csv_text(ids).encode("gb18030"))
    elif kind == "utf8-bom":
        p = folder / "units_bom.csv"
        p.write_bytes(_csv_text(ids).encode("utf-8-sig"))
    elif kind == "xlsx":
        p = folder / "units.xlsx"
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(["lead_id", "name"])
        for n, i in enumerate(ids, start=2):
            c = ws.cell(row=n, column=1, value=i)
            c.data_type = "s"  # a crafted export: the payload stored as text, not as a formula
            ws.cell(row=n, column=2, value=f"名{n}")
        wb.save(p)
    else:
        p = folder / "units.parquet"
        pq.write_table(pa.table({"lead_id": ids, "name": [f"名{n}" for n in range(len(ids))]}), p)
    return p


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("kind", ["gb18030", "utf8-bom", "xlsx", "parquet"])
def test_assign_neutralises_formula_ids(tmp_path, capsys, kind, suffix):
    src = make_units(tmp_path, kind)
    out = tmp_path / f"arms{suffix}"
    code, _, err = run(["ab", "assign", src, "--salt", "EXP-9", "--arms", "A,B", "--output", out], capsys)
    assert code == 0, err
    assert "assigned 9 units" in err
    if suffix == ".csv":
        rows = read_csv_cells(out)
        header, body = rows[0], rows[1:]
        got = [r[2] for r in body]
    else:
        rows = read_xlsx_cells(out)
        header = [c.value for c in rows[0]]
        body = rows[1:]
        assert all(c.data_type == "s" for r in rows for c in r[:4]), "strings must be stored as text, never formulas"
        assert all(isinstance(r[4].value, datetime.datetime) for r in body), "assigned_at is a real date-time"
        got = [r[2].value for r in body]
    assert header == ["experiment_id", "unit_type", "unit_id", "arm", "assigned_at"]  # as `ingest assignments` reads it
    assert got == [expected(s) for s in STRIPPED]
    assert "张伟" in got and "'=HYPERLINK(\"http://x\",\"y\")" in got
    assert_no_formula_text(got)
    # the arms are the hash of the *original* id: neutralising changes the cell, not the assignment
    from leadlab.experiments import assign

    arms = [r[3] if suffix == ".csv" else r[3].value for r in body]
    assert arms == assign(STRIPPED, salt="EXP-9", arms=["A", "B"])


def test_assign_to_stdout_is_neutralised_without_bom(tmp_path, capsys):
    src = make_units(tmp_path, "utf8-bom")
    code, out, err = run(["ab", "assign", src, "--salt", "S", "--arms", "=cmd|' /C calc'!A0,B"], capsys)
    assert code == 0, err
    assert not out.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert rows[0] == ["experiment_id", "unit_type", "unit_id", "arm", "assigned_at"]
    cells = [c for r in rows[1:] for c in r]
    assert_no_formula_text(cells)
    assert "'=cmd|' /C calc'!A0" in cells  # a hostile arm name from a parameter is neutralised too


# -- `score call-list --out` on a scored store with payload ids --------------------------------------------


@pytest.fixture(scope="module")
def scored_store(tmp_path_factory) -> dict:
    """A 3,000-lead synthetic store, a trained model, lead_scores; then the ids of nine leads on the
    call list, their sources and one rep id are replaced by formula payloads."""
    from leadlab.synth import synthesize

    folder = tmp_path_factory.mktemp("hostile_store")
    db = folder / "leadlab.duckdb"
    url = f"duckdb://{db}"
    model = folder / "model.skops"
    synthesize(n_leads=3000, seed=3, url=url, truth_dir=folder, progress=False)
    for args in (["score", "train", "--db", url, "--out", model],
                 ["score", "apply", "--db", url, "--model", model, "-q"],
                 ["score", "call-list", "--db", url, "--model", model, "--capacity", "3", "--column-ids",
                  "--out", folder / "before.csv"]):
        try:
            main([str(a) for a in args])
        except SystemExit as exc:  # pragma: no cover - shows why the fixture failed
            raise AssertionError(f"leadlab {' '.join(map(str, args))} failed with {exc.code}") from None
    before = pd.read_csv(folder / "before.csv", encoding="utf-8-sig", dtype=str)
    picked = before.lead_id.tolist()[: len(PAYLOADS)]
    rep = before.rep_id.iloc[-1]
    rep_payload = '=HYPERLINK("http://evil","rep")'
    con = duckdb.connect(str(db))
    try:
        for old, new in zip(picked, PAYLOADS):
            for table in ("leads", "calls", "lead_scores", "assignments"):
                col = "unit_id" if table == "assignments" else "lead_id"
                con.execute(f"UPDATE {table} SET {col} = ? WHERE {col} = ?", [new, old])
        con.execute("UPDATE leads SET source = ? WHERE lead_id = ?", ["@SUM(A1)", PAYLOADS[1]])
        con.execute("UPDATE leads SET source = ? WHERE lead_id = ?", ["网络表单", PAYLOADS[2]])
        for table in ("reps", "leads", "calls"):
            con.execute(f"UPDATE {table} SET rep_id = ? WHERE rep_id = ?", [rep_payload, rep])
    finally:
        con.close()
    return {"url": url, "model": model, "folder": folder, "rep": rep_payload}


def _call_list(store: dict, out: Path, capsys, *extra: str) -> None:
    code, _, err = run(["score", "call-list", "--db", store["url"], "--model", store["model"], "--capacity", "3",
                        "--out", out, *extra], capsys)
    assert code == 0, err


def _ids(headers: list[str], lang: str) -> list[str]:
    """Column ids of a call list file written with headers for people in ``lang``."""
    with use_lang(lang):
        back = {v: k for k, v in call_list_headers().items()}
    return [back[h] for h in headers]


NUMERIC = ("rank", "score", "priority", "attempts")


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_call_list_csv_neutralises_and_keeps_numbers(scored_store, tmp_path, capsys, suffix):
    out = tmp_path / f"calls{suffix}"
    _call_list(scored_store, out, capsys, "--lang", "zh")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "in Chinese a CSV starts with a UTF-8 BOM (Excel on Chinese Windows)"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter="\t" if suffix == ".tsv" else ","))
    assert "线索编号" in rows[0] and "下一步" in rows[0]  # headers for people, in the current language
    header, body = _ids(rows[0], "zh"), rows[1:]
    frame = pd.DataFrame(body, columns=header)
    assert set(frame.lead_id) >= {expected(p) for p in PAYLOADS}, "every payload lead is on the list, neutralised"
    assert "张伟" in set(frame.lead_id)
    assert expected(scored_store["rep"]) in set(frame.rep_id)
    assert {"'@SUM(A1)", "网络表单"} <= set(frame.source)
    for col in header:
        if col not in NUMERIC:
            assert_no_formula_text(frame[col].tolist())
    for col in NUMERIC:  # numbers are written bare: no quote, no prefix, parse as numbers
        values = [float(v) for v in frame[col]]
        assert all(v >= 0 for v in values)
    # quoted only when needed: the payload with quotes and commas is quoted, numbers never are
    text = raw.decode("utf-8-sig")
    assert '"\'=HYPERLINK(""http://x"",""y"")"' in text or suffix == ".tsv"


def test_call_list_xlsx_neutralises_and_keeps_numbers(scored_store, tmp_path, capsys):
    out = tmp_path / "calls.xlsx"
    _call_list(scored_store, out, capsys)
    rows = read_xlsx_cells(out)
    header = _ids([c.value for c in rows[0]], "en")
    body = rows[1:]
    assert not any(c.data_type == "f" for r in rows for c in r), "no formula cell in the workbook"
    idx = {name: i for i, name in enumerate(header)}
    ids = [r[idx["lead_id"]].value for r in body]
    # XML reads a carriage return back as a line feed
    assert set(ids) >= {expected(p).replace("\r", "\n") for p in PAYLOADS} and "张伟" in ids
    for r in body:
        for name, i in idx.items():
            c = r[i]
            if name in NUMERIC:
                assert c.data_type == "n" and isinstance(c.value, (int, float)), (name, c.value)
            elif isinstance(c.value, str):
                assert c.data_type == "s" and not c.value.startswith(FORMULA_TRIGGERS), (name, c.value)
    assert all(isinstance(r[idx["created_at"]].value, datetime.datetime) for r in body)  # real date-times


# -- the writer itself ---------------------------------------------------------------------------------------


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "=cmd": ["-3.5", "+1", "@x", "ok", None],  # text: neutralised, whatever it looks like
        "num": [-3.5, 1.0, float("nan"), float("inf"), 2.25],  # numbers: stay numbers; NaN/inf -> empty
        "int": pd.array([-2, 1, None, 4, 5], dtype="Int64"),
        "flag": [True, False, True, False, True],
    })


def test_writer_numbers_stay_numbers_csv(tmp_path):
    p = write_table(_frame(), tmp_path / "t.csv")
    text = p.read_bytes().decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == "'=cmd,num,int,flag"
    assert lines[1] == "'-3.5,-3.5,-2,True"  # text '-3.5 vs the number -3.5, bare
    assert lines[2] == "'+1,1.0,1,False"
    assert lines[3] == "'@x,,,True"
    assert lines[4] == "ok,,4,False"  # inf is no spreadsheet number: an empty cell


def test_writer_numbers_stay_numbers_xlsx(tmp_path):
    p = write_table(_frame(), tmp_path / "t.xlsx")
    rows = read_xlsx_cells(p)
    assert [(c.value, c.data_type) for c in rows[1]] == [("'-3.5", "s"), (-3.5, "n"), (-2, "n"), (True, "b")]
    assert rows[0][0].value == "'=cmd" and rows[0][0].data_type == "s"
    assert rows[3][1].value is None and rows[4][1].value is None  # NaN, inf


def test_writer_refuses_unknown_suffix_and_missing_folder(tmp_path):
    with pytest.raises(ConfigError, match=r"option --out: cannot write 'x.xls': unknown file type \.xls"):
        write_table(_frame(), tmp_path / "x.xls")
    with pytest.raises(ConfigError, match="option --out: .*the folder .* does not exist"):
        write_table(_frame(), tmp_path / "missing" / "x.csv")


def test_writer_is_atomic_on_disk_full(tmp_path, monkeypatch):
    target = tmp_path / "list.csv"
    target.write_text("old list\n")

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(ConfigError, match="option --out: cannot write .*No space left on device; nothing was written"):
        write_table(_frame(), target)
    assert target.read_text() == "old list\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.csv"], "no temporary file left behind"


def test_writer_xlsx_refuses_control_characters_and_leaves_nothing(tmp_path):
    with pytest.raises(DataError, match=r"x.xlsx, row 2, column 'id': .*control character \(U\+0001\)"):
        write_table(pd.DataFrame({"id": ["a\x01b"]}), tmp_path / "x.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_writer_follows_umask(tmp_path):
    old = os.umask(0o027)
    try:
        p = write_table(_frame(), tmp_path / "m.csv")
    finally:
        os.umask(old)
    assert p.stat().st_mode & 0o777 == 0o640


def test_writer_stream_has_no_bom():
    buf = io.StringIO()
    write_csv_stream(pd.DataFrame({"a": ["=1", "张伟"]}), buf)
    assert buf.getvalue() == "a\r\n'=1\r\n张伟\r\n"


# -- user mistakes: one line, exit code, no traceback ---------------------------------------------------------


@pytest.fixture
def units(tmp_path) -> Path:
    return make_units(tmp_path, "gb18030", ["L1", "L2", "L3"])


def _write(folder: Path, name: str, data: bytes) -> Path:
    p = folder / name
    p.write_bytes(data)
    return p


ASSIGN_MISTAKES = [
    # (id, file maker, extra args, fragments of the error line)
    ("missing file", lambda d, u: d / "nope.csv", [], ["nope.csv", "no such file"]),
    ("empty file", lambda d, u: _write(d, "e.csv", b""), [], ["e.csv", "empty"]),
    ("header only", lambda d, u: _write(d, "h.csv", b"lead_id\n"), [], ["h.csv", "no data rows"]),
    ("folder", lambda d, u: d, [], ["UNITS_FILE", "is a directory"]),
    ("unsupported type", lambda d, u: _write(d, "u.json", b"{}"), [], ["u.json", "unsupported file type .json"]),
    ("unknown column", lambda d, u: u, ["--column", "nope"], ["column 'nope' not found", "--column", "'lead_id'"]),
    ("empty id", lambda d, u: _write(d, "g.csv", b"lead_id,x\nL1,1\n,2\n"), [],
     ["g.csv, row 2 (line 3), column 'lead_id': empty unit id"]),
    ("control char id", lambda d, u: _write(d, "c.csv", b"lead_id\nL\x07x\n"), [],
     ["c.csv, row 1 (line 2), column 'lead_id'", "control character (U+0007)"]),
    ("nan weight", lambda d, u: u, ["--weights", "nan,1"], ["option --weights", "finite number"]),
    ("bad weight", lambda d, u: u, ["--weights", "1,x"], ["option --weights", "numbers"]),
    ("empty salt", lambda d, u: u, ["--salt", " "], ["option --salt", "must not be empty"]),
    ("output folder missing", lambda d, u: u, ["--output", "{d}/no/dir/a.csv"], ["'--output'", "does not exist"]),
    ("output type", lambda d, u: u, ["--output", "{d}/a.xls"], ["'--output'", "unknown file type .xls"]),
    ("hostile column name", lambda d, u: u, ["--column", "x\x1b[2J\ny"], ["column 'x\\x1b[2J\\ny' not found"]),
    ("duplicate unit", lambda d, u: _write(d, "dup.csv", b"lead_id\nL1\nL2\nL1\n"), [],
     ["dup.csv, column 'lead_id': unit 'L1' is listed twice (row 1 (line 2) and row 3 (line 4))"]),
    ("no id column", lambda d, u: _write(d, "n.csv", b"id,name\nL1,a\n"), [],
     ["n.csv: no column lead_id among 'id', 'name'", "--column"]),
    ("mapping without the id", lambda d, u: (_write(d, "m.yml", "columns:\n  姓名: contact_name\n".encode()),
                                             _write(d, "k.csv", "编号,姓名\nL1,a\n".encode("gb18030")))[1],
     ["--mapping", "{d}/m.yml"], ["mapping file m.yml: no column of k.csv maps to lead_id"]),
]


@pytest.mark.parametrize("case", ASSIGN_MISTAKES, ids=[c[0] for c in ASSIGN_MISTAKES])
def test_assign_mistakes_are_one_line(tmp_path, units, capsys, case):
    _, make, extra, fragments = case
    src = make(tmp_path, units)
    extra = [a.format(d=tmp_path) for a in extra]
    args = ["ab", "assign", src, *extra] + ([] if "--salt" in extra else ["--salt", "S"])
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run(args, capsys)
    line = assert_one_line_error(code, err, *fragments)
    assert "\x1b" not in err and out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "a refused run writes nothing"
    assert line


OPTION_MISTAKES = [
    (["ab", "analyze", "--as-of", "yesterday"], ["--as-of", "'yesterday'", "YYYY-MM-DD"]),
    (["ab", "analyze", "--as-of", "2026-99-01"], ["--as-of", "YYYY-MM-DD HH:MM"]),
    (["ab", "analyze", "--as-of", "2026-10-01T08:00+08:00"], ["--as-of", "without a zone offset"]),
    (["kpi", "show", "--period", "last-fortnight"], ["--period", "'last-fortnight'", "2026-W46"]),
    (["score", "monitor", "--period", "2026-W99"], ["--period", "'2026-W99'"]),
    (["ab", "design", "--baseline", "0.08", "--mde", "nan", "--daily", "400"], ["--mde", "finite number"]),
    (["ab", "design", "--baseline", "inf", "--mde", "0.01", "--daily", "400"], ["--baseline", "finite number"]),
    (["ab", "design", "--baseline", "0.08", "--mde", "0.01", "--daily", "400", "--arms", "0"], ["--arms", "x>=2"]),
    (["ab", "from-counts", "--arm", "A:10:1", "--arm", "B:10:2", "--alpha", "nan"], ["--alpha", "finite number"]),
    (["no-such-command"], ["no-such-command"]),
    (["synth", "--truth-dir", "/proc/leadlab-no/x", "--leads", "500", "--db", "duckdb:///{d}/s.duckdb"],
     ["option --truth-dir", "cannot create the folder"]),
    (["score", "call-list", "--out", "{d}/calls.xls", "--db", "duckdb:///{d}/none.duckdb"],
     ["'--out'", "unknown file type .xls"]),
]


@pytest.mark.parametrize("args, fragments", OPTION_MISTAKES, ids=[" ".join(a[:3]) for a, _ in OPTION_MISTAKES])
def test_option_mistakes_are_one_line(tmp_path, capsys, args, fragments):
    code, _, err = run([a.format(d=tmp_path) for a in args], capsys)
    assert_one_line_error(code, err, *fragments)
    assert not (tmp_path / "s.duckdb").exists() and not (tmp_path / "calls.xls").exists()


def test_targets_file_in_gbk_is_one_line(scored_store, tmp_path, capsys):
    t = _write(tmp_path, "targets.yml", "- {scope: team, name: 北区, kpi: sql, period: 2026-Q4, value: 200}\n".encode("gb18030"))
    code, _, err = run(["kpi", "targets", "--file", t, "--db", scored_store["url"]], capsys)
    assert_one_line_error(code, err, "targets.yml", "not UTF-8")


def test_capacity_file_reads_like_ingest(scored_store, tmp_path, capsys):
    """--capacity-file in GB18030 (read as ingest reads it) works; an empty one is one line."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([["rep_id", "capacity"], [scored_store["rep"], "2"]])
    cap = _write(tmp_path, "cap.csv", buf.getvalue().encode("gb18030"))
    out = tmp_path / "calls.csv"
    code, _, err = run(["score", "call-list", "--db", scored_store["url"], "--model", scored_store["model"],
                        "--capacity-file", cap, "--out", out], capsys)
    assert code == 0, err
    rows = read_csv_cells(out)
    assert len(rows) == 3 and {r[0] for r in rows[1:]} == {expected(scored_store["rep"])}
    empty = _write(tmp_path, "cap0.csv", b"")
    code, _, err = run(["score", "call-list", "--db", scored_store["url"], "--model", scored_store["model"],
                        "--capacity-file", empty], capsys)
    assert_one_line_error(code, err, "cap0.csv", "empty")


STORE_MISTAKES = [
    (["score", "evaluate", "--time-col", "nope"], ["--time-col", "'nope'", "no such column"]),
    (["ab", "analyze", "--experiment", "EXP-NOPE"], ["experiment 'EXP-NOPE' is not in the store"]),
    (["kpi", "show", "--period", "2026-10", "--team", "<script>"], ["team", "'<script>'"]),
    (["score", "call-list", "--capacity", "0"], ["capacity", "at least 1"]),
    (["ingest", "customers", "{d}/x.csv"], ["'customers' is not one of"]),
    (["ingest", "reps", "{d}/x.csv", "--mapping", "{d}"], ["Is a directory", "{d}"]),
]


@pytest.mark.parametrize("args, fragments", STORE_MISTAKES, ids=[" ".join(a[:3]) for a, _ in STORE_MISTAKES])
def test_store_mistakes_are_one_line(scored_store, tmp_path, capsys, args, fragments):
    """Mistakes against a real store: unknown column, experiment, team, table; a folder as a file."""
    _write(tmp_path, "x.csv", b"rep_id,team\nR1,East\n")
    db = Path(scored_store["url"].removeprefix("duckdb://"))
    stamp = db.stat().st_mtime_ns
    args = [a.format(d=tmp_path) for a in args]
    extra = ["--model", scored_store["model"]] if args[:2] == ["score", "call-list"] else []
    code, _, err = run([*args, *extra, "--db", scored_store["url"]], capsys)
    assert_one_line_error(code, err, *[f.format(d=tmp_path) for f in fragments])
    assert db.stat().st_mtime_ns == stamp, "the store is unchanged"


def test_xlsx_keeps_a_literal_ooxml_escape_literal(tmp_path):
    """Excel decodes _xHHHH_ inside strings: "_x003D_1+1" would show as "=1+1"; it is escaped as Excel does."""
    p = write_table(pd.DataFrame({"id": ["_x003D_1+1", "a_b"]}), tmp_path / "e.xlsx")
    rows = read_xlsx_cells(p)
    assert [c.value for c in (rows[1][0], rows[2][0])] == ["_x005F_x003D_1+1", "a_b"]


@pytest.mark.parametrize("module", ["leadlab.tabular", "leadlab.cli.types", "leadlab.cli"])
def test_doctests(module):
    import doctest
    import importlib

    res = doctest.testmod(importlib.import_module(module))
    assert res.attempted > 0 and res.failed == 0
