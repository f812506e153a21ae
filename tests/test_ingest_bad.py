"""Every named bad input: exit code 2, a message naming file/row/column/rule, store unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from testkit import PII_KEY

from leadlab.cli import main
from leadlab.errors import DataError
from leadlab.ingest import ingest_file

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples"
KEY = PII_KEY
CALLS_HEADER = "call_id,lead_id,rep_id,started_at,talk_seconds,disposition"
LEADS_HEADER = "lead_id,created_at,source,rep_id,mql_at,sql_at,opportunity_at,won_at,lost_at"


pytestmark = pytest.mark.usefixtures("pii_env")  # the test PII key, no $LEADLAB_DB


@pytest.fixture(scope="session")
def base_file(tmp_path_factory) -> Path:
    import os

    path = tmp_path_factory.mktemp("ingest_bad") / "base.duckdb"
    os.environ["LEADLAB_PII_KEY"] = KEY
    url = f"duckdb://{path}"
    ingest_file("reps", EXAMPLES / "reps.csv", url=url)
    ingest_file("leads", EXAMPLES / "leads_zh.csv", mapping=EXAMPLES / "mapping_zh.yml", url=url)
    ingest_file("calls", EXAMPLES / "calls.csv", url=url)
    ingest_file("experiments", EXAMPLES / "experiments.csv", url=url)
    ingest_file("assignments", EXAMPLES / "assignments.csv", url=url)
    del os.environ["LEADLAB_PII_KEY"]
    return path


@pytest.fixture
def store(base_file, tmp_path) -> Path:
    path = tmp_path / "store.duckdb"
    shutil.copy(base_file, path)
    return path


def fingerprint(path: Path) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent checksum of every table."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for (t,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall():
            out[t] = con.execute(
                f'SELECT count(*), md5(coalesce(string_agg(CAST(x AS VARCHAR), \'|\' ORDER BY CAST(x AS VARCHAR)), \'\')) '
                f'FROM "{t}" x').fetchone()
        return out
    finally:
        con.close()


def fails(store: Path, args: list[str], capsys) -> str:
    """Run `leadlab ingest ARGS --db store`; assert exit 2, no traceback, store unchanged; return stderr."""
    before = fingerprint(store)
    with pytest.raises(SystemExit) as info:
        main(["ingest", *args, "--db", f"duckdb://{store}", "-q"])
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    assert err.startswith("error: ") and "Traceback" not in err
    assert fingerprint(store) == before
    return err


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_missing_required_column(store, tmp_path, capsys):
    f = write(tmp_path, "calls_x.csv", "call_id,lead_id,rep_id,started_at,disposition\n"
                                       "N1,L0001,R001,2026-11-20 10:00:00,busy\n")
    err = fails(store, ["calls", f], capsys)
    assert "calls_x.csv: missing required column(s) talk_seconds for table calls" in err
    assert "file columns: call_id, lead_id" in err


def test_unparseable_timestamp(store, tmp_path, capsys):
    f = write(tmp_path, "calls_x.csv", f"{CALLS_HEADER}\nN1,L0001,R001,2026-11-20 10:00:00,5,busy\n"
                                       "N2,L0001,R001,next tuesday,5,busy\n")
    err = fails(store, ["calls", f], capsys)
    assert ("error: calls_x.csv, row 2 (line 3), column started_at: 'next tuesday' is not a date-time"
            in err)
    assert "[unparseable timestamp]" in err


def test_unparseable_number_and_boolean(store, tmp_path, capsys):
    f = write(tmp_path, "leads_x.csv", "lead_id,created_at,source,company_size,webinar_attended\n"
                                       "N1,2026-11-01,web_form,about 50,maybe\n")
    err = fails(store, ["leads", f], capsys)
    assert "row 1 (line 2), column company_size: 'about 50' is not a whole number" in err
    assert "column webinar_attended: 1 row(s)" in err and "'maybe' is not true/false" in err


def test_negative_duration(store, tmp_path, capsys):
    f = write(tmp_path, "calls_x.csv", f"{CALLS_HEADER},wrap_seconds\nN1,L0001,R001,2026-11-20 10:00:00,-12,busy,3\n"
                                       "N2,L0001,R001,2026-11-20 11:00:00,4,busy,-1\n")
    err = fails(store, ["calls", f], capsys)
    assert "calls_x.csv, row 1 (line 2), column talk_seconds: '-12' is below the minimum 0" in err
    assert "[below minimum 0] column wrap_seconds: 1 row(s)" in err and "row 2 (line 3): '-1'" in err


def test_duplicate_key_inside_the_file(store, tmp_path, capsys):
    f = write(tmp_path, "calls_x.csv", f"{CALLS_HEADER}\nN1,L0001,R001,2026-11-20 10:00:00,5,busy\n"
                                       "N2,L0001,R001,2026-11-20 10:00:00,5,busy\n"
                                       "N1,L0001,R001,2026-11-20 11:00:00,5,busy\n")
    err = fails(store, ["calls", f], capsys)
    assert "calls_x.csv, row 3 (line 4), column call_id: key 'N1' also in row 1" in err
    assert "[duplicate key in file]" in err


def test_call_refers_to_unknown_lead(store, tmp_path, capsys):
    f = write(tmp_path, "calls_x.csv", f"{CALLS_HEADER}\nN1,L0404,R001,2026-11-20 10:00:00,5,busy\n")
    err = fails(store, ["calls", f], capsys)
    assert "calls_x.csv, row 1 (line 2), column lead_id: 'L0404' is not in the store's leads" in err
    assert "leadlab ingest leads FILE" in err and "1 distinct unknown lead_id value(s): L0404" in err


def test_call_before_lead_creation(store, tmp_path, capsys):
    f = write(tmp_path, "calls_x.csv", f"{CALLS_HEADER}\nN1,L0001,R001,2026-10-14 12:22:59,5,busy\n")
    err = fails(store, ["calls", f], capsys)
    assert ("calls_x.csv, row 1 (line 2), column started_at: call at 2026-10-14 12:22:59 is before lead L0001 "
            "was created (2026-10-14 12:23:00)") in err


def test_lead_created_after_its_calls_in_the_store(store, tmp_path, capsys):
    """Re-ingesting a lead with a later created_at would put the store's calls before it."""
    f = write(tmp_path, "leads_x.csv", "lead_id,created_at,source\nL0001,2026-12-31,web_form\n")
    err = fails(store, ["leads", f], capsys)
    assert "row 1 (line 2), column created_at: created_at 2026-12-31 00:00:00 is after the lead's first call" in err


def test_lifecycle_out_of_order(store, tmp_path, capsys):
    f = write(tmp_path, "leads_x.csv", f"{LEADS_HEADER}\n"
                                       "N1,2026-11-01,web_form,R001,2026-11-03,2026-11-02,,,\n"
                                       "N2,2026-11-01,web_form,R001,,,,2026-10-30,\n"
                                       "N3,2026-11-01,web_form,R001,,,,,2026-10-01\n"
                                       "N4,2026-11-01,web_form,R001,2026-11-02,2026-11-03,2026-11-04,2026-11-05,\n")
    err = fails(store, ["leads", f], capsys)
    assert "leads_x.csv, row 1 (line 2), column sql_at: sql_at 2026-11-02 00:00:00 is before mql_at 2026-11-03" in err
    assert "row 2 (line 3): won_at 2026-10-30 00:00:00 is before created_at 2026-11-01" in err
    assert "[lifecycle out of order] column lost_at: 1 row(s)" in err
    assert "created_at ≤ mql_at ≤ sql_at ≤ opportunity_at ≤ won_at" in err
    assert "row 4" not in err


def test_unknown_encoding_name(store, capsys):
    err = fails(store, ["reps", str(EXAMPLES / "reps.csv"), "--encoding", "klingon-8"], capsys)
    assert "unknown encoding 'klingon-8' (--encoding)" in err and "gb18030" in err


def test_undetectable_encoding(store, tmp_path, capsys):
    import random

    rng = random.Random(3)
    path = tmp_path / "garbage.csv"
    path.write_bytes(b"rep_id,team\n" + bytes(rng.randrange(256) for _ in range(4000)))
    err = fails(store, ["reps", str(path)], capsys)
    assert "garbage.csv: cannot tell the file's encoding (tried utf-8: fails at row" in err
    assert "gb18030: fails at row" in err


def test_empty_file_and_header_only(store, tmp_path, capsys):
    err = fails(store, ["reps", write(tmp_path, "reps_x.csv", "")], capsys)
    assert "reps_x.csv is empty (0 bytes)" in err
    err = fails(store, ["reps", write(tmp_path, "reps_y.csv", "rep_id,team\n")], capsys)
    assert "reps_y.csv is empty: it has a header but no data rows" in err


def test_file_of_the_wrong_table(store, capsys):
    err = fails(store, ["leads", str(EXAMPLES / "calls.csv")], capsys)
    assert "calls.csv looks like a calls file (columns call_id, lead_id, rep_id" in err
    assert "run `leadlab ingest calls calls.csv`" in err
    err = fails(store, ["experiments", str(EXAMPLES / "assignments.csv")], capsys)
    assert "assignments.csv looks like an assignments file" in err


def test_unit_in_two_arms_within_the_file(store, tmp_path, capsys):
    f = write(tmp_path, "asg.csv", "experiment_id,unit_type,unit_id,arm,assigned_at\n"
                                   "EXP-NEW,lead,L0001,A,2026-11-01\nEXP-NEW,lead,L0002,A,2026-11-01\n"
                                   "EXP-NEW,lead,L0001,B,2026-11-02\n")
    err = fails(store, ["assignments", f], capsys)
    assert "asg.csv, row 1 (line 2), column arm: lead L0001 is in arms A and B of experiment EXP-NEW" in err
    assert "duplicate key" not in err


def test_unit_in_two_arms_against_the_store(store, tmp_path, capsys):
    # the example assigns odd leads to A
    f = write(tmp_path, "asg.csv", "experiment_id,unit_type,unit_id,arm,assigned_at\n"
                                   "EXP-EXAMPLE,lead,L0001,B,2026-11-01\n")
    err = fails(store, ["assignments", f], capsys)
    assert "asg.csv, row 1 (line 2), column arm: lead L0001 is in arm B here but in arm A of experiment " \
           "EXP-EXAMPLE in the store" in err


def test_assignment_unit_type_and_unknown_unit(store, tmp_path, capsys):
    f = write(tmp_path, "asg.csv", "experiment_id,unit_type,unit_id,arm,assigned_at\n"
                                   "EXP-EXAMPLE,rep,R001,A,2026-11-01\nEXP-OTHER,lead,L4040,A,2026-11-01\n")
    err = fails(store, ["assignments", f], capsys)
    assert "unit_type rep but experiment EXP-EXAMPLE randomizes by lead" in err
    assert "'lead' L4040 is not in the store's leads" in err or "lead L4040 is not in the store's leads" in err


def test_unknown_disposition_lists_valid_ones(store, tmp_path, capsys):
    f = write(tmp_path, "calls_x.csv", f"{CALLS_HEADER}\nN1,L0001,R001,2026-11-20 10:00:00,5,hung_up\n"
                                       "N2,L0001,R001,2026-11-20 10:00:00,5,No Answer\n")
    err = fails(store, ["calls", f], capsys)
    assert "row 1 (line 2), column disposition: 'hung_up' is not a valid disposition" in err
    assert "valid disposition values: no_answer, busy, voicemail, wrong_number" in err
    assert "row 2" not in err  # "No Answer" is read as no_answer


def test_connected_inconsistent_with_disposition(store, tmp_path, capsys):
    f = write(tmp_path, "calls_x.csv", f"{CALLS_HEADER},connected,conversation\n"
                                       "N1,L0001,R001,2026-11-20 10:00:00,5,busy,yes,\n"
                                       "N2,L0001,R001,2026-11-20 10:00:00,5,qualified,true,true\n")
    err = fails(store, ["calls", f], capsys)
    assert "row 1 (line 2), column connected: connected=true but disposition busy means connected=false" in err
    assert "row 2" not in err


def test_missing_required_value(store, tmp_path, capsys):
    f = write(tmp_path, "calls_x.csv", f"{CALLS_HEADER}\nN1,,R001,2026-11-20 10:00:00,5,busy\n")
    err = fails(store, ["calls", f], capsys)
    assert "calls_x.csv, row 1 (line 2), column lead_id: empty, but lead_id is required" in err


def test_at_most_20_rows_shown_with_the_total(store, tmp_path, capsys):
    rows = "".join(f"N{i},L0001,R001,2026-11-20 10:00:00,-{i},busy\n" for i in range(1, 31))
    err = fails(store, ["calls", write(tmp_path, "calls_x.csv", f"{CALLS_HEADER}\n{rows}")], capsys)
    assert "(30 rows break this rule)" in err
    assert "column talk_seconds: 30 row(s), first 20 shown" in err
    assert "row 20 (line 21)" in err and "row 21 (line 22)" not in err


def test_line_numbers_only_when_exact(store, tmp_path, capsys):
    """A quoted field with a newline shifts lines: then only data rows are named."""
    f = write(tmp_path, "reps_x.csv", 'rep_id,team,hourly_cost,note\nR100,a,5,"two\nlines"\nR101,x,-3,\n')
    err = fails(store, ["reps", f], capsys)
    assert "reps_x.csv, row 2, column hourly_cost" in err and "(line" not in err


def test_all_rules_collected_in_one_error(store, tmp_path):
    f = write(tmp_path, "calls_x.csv", f"{CALLS_HEADER}\nN1,L0404,R001,bad,-1,nope\n")
    with pytest.raises(DataError) as info:
        ingest_file("calls", f, url=f"duckdb://{store}")
    rules = [d for d in info.value.details if d.startswith("[")]
    assert len(rules) == 4, rules  # timestamp, minimum, disposition, unknown lead
    assert "[and 3 more rule(s) broken" in str(info.value)


def test_unsupported_file_type(store, tmp_path, capsys):
    err = fails(store, ["reps", write(tmp_path, "reps.json", "{}")], capsys)
    assert "reps.json: unsupported file type .json" in err


def test_unknown_table_is_a_usage_error(store, capsys):
    with pytest.raises(SystemExit) as info:
        main(["ingest", "customers", str(EXAMPLES / "reps.csv"), "--db", f"duckdb://{store}"])
    assert info.value.code == 2
    assert "customers" in capsys.readouterr().err


def test_failure_in_the_write_rolls_back(store, tmp_path, monkeypatch):
    """An error between DELETE and INSERT leaves the store as it was."""
    import leadlab.store as store_layer

    f = write(tmp_path, "reps_x.csv", "rep_id,team\nR001,moved\nR900,new\n")
    before = fingerprint(store)
    original = store_layer._transaction_on

    def failing(cur, statements):  # the DELETE runs, then the write fails before the INSERT
        original(cur, [*statements[:-1], "SELECT error('disk full (simulated)')", statements[-1]])

    monkeypatch.setattr(store_layer, "_transaction_on", failing)
    from leadlab.errors import StoreError

    with pytest.raises(StoreError, match="nothing was written"):
        ingest_file("reps", f, url=f"duckdb://{store}")
    assert fingerprint(store) == before


def test_duplicate_header_names(store, tmp_path, capsys):
    err = fails(store, ["reps", write(tmp_path, "reps_x.csv", "rep_id,team,team\nR1,a,b\n")], capsys)
    assert "reps_x.csv, header: column 'team' appears twice (columns 2 and 3)" in err


def test_ragged_rows_and_open_quotes_name_the_line_not_its_content(store, tmp_path, capsys):
    f = write(tmp_path, "leads_x.csv", "lead_id,created_at,source,phone\nN1,2026-11-01,web_form,13800138000\n"
                                       "N2,2026-11-01,web_form,13900139000,extra\n")
    err = fails(store, ["leads", f], capsys)
    assert "leads_x.csv, line 3: cannot be read as CSV: expected 4 fields like the header, found more" in err
    assert "13900139000" not in err  # a raw phone number is never echoed
    err = fails(store, ["reps", write(tmp_path, "reps_q.csv", 'rep_id,team\nR1,"a\n')], capsys)
    assert "reps_q.csv, line 2: cannot be read as CSV: a quoted field is not closed" in err


def test_corrupt_excel_and_parquet(store, tmp_path, capsys):
    err = fails(store, ["reps", write(tmp_path, "reps.xlsx", "not a workbook")], capsys)
    assert "reps.xlsx: cannot be read as an Excel workbook" in err
    err = fails(store, ["reps", write(tmp_path, "reps.parquet", "not parquet")], capsys)
    assert "reps.parquet: cannot be read as Parquet" in err


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_corrupted_row_is_found(store, tmp_path, seed):
    """Seeded corruption of random rows in random ways: the reported rows are exactly those rows."""
    import random

    import pandas as pd

    rng = random.Random(seed)
    calls = pd.read_csv(EXAMPLES / "calls.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    calls["call_id"] = "S" + calls["call_id"]
    kinds = {
        "started_at": lambda v: rng.choice(["soon", "2026-13-45 10:00", "31/31/2026"]),
        "talk_seconds": lambda v: f"-{rng.randint(1, 99)}",
        "disposition": lambda v: rng.choice(["hung up", "maybe", "??"]),
        "lead_id": lambda v: f"X{rng.randint(1000, 9999)}",
    }
    column = rng.choice(sorted(kinds))
    bad_rows = sorted(rng.sample(range(len(calls)), k=rng.randint(1, 25)))
    for i in bad_rows:
        calls.loc[i, column] = kinds[column](calls.loc[i, column])
    path = tmp_path / "calls_bad.csv"
    calls.to_csv(path, index=False)
    with pytest.raises(DataError) as info:
        ingest_file("calls", path, url=f"duckdb://{store}")
    rules = [d for d in info.value.details if d.startswith("[")]
    assert len(rules) == 1 and f"column {column}: {len(bad_rows)} row(s)" in rules[0], info.value.details
    shown = [int(d.split()[1]) for d in info.value.details if d.startswith("  row ")]
    assert shown == [i + 1 for i in bad_rows][:20]  # 1-based data rows, first 20
