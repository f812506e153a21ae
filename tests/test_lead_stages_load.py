"""Loads that write two tables (a stage history: lead_stages + leads; leads with a status-derived
lifecycle: leads + inferred lead_stages) are one transaction; a status that moves forward keeps the
earlier stored times; the history rules for ``lost`` (never before creation, last, never with won)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from testkit import EXAMPLES, PII_KEY, crm_store
from test_ingest_bad import fingerprint

import leadlab.store as store_layer
from leadlab.cli import main
from leadlab.errors import StoreError
from leadlab.ingest import ingest_file

KEY = PII_KEY
HISTORY = "线索编号,跟进时间,原阶段,新阶段,跟进人\n"


pytestmark = pytest.mark.usefixtures("pii_env")  # the test PII key, no $LEADLAB_DB


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """Reps and the CRM leads (status-derived lifecycle), no stage history yet."""
    return crm_store(tmp_path_factory.mktemp("lead_stages_load") / "base.duckdb", ("reps", "leads"), KEY.encode())


@pytest.fixture
def store(base, tmp_path) -> Path:
    path = tmp_path / "store.duckdb"
    shutil.copy(base, path)
    return path


def moved_forward(tmp_path: Path) -> Path:
    """The CRM export a week later: L002 moved from 已转MQL (2026-09-03) to 已转SQL (2026-09-08)."""
    text = (EXAMPLES / "crm_leads_zh.csv").read_bytes().decode("gb18030")
    old = "是,已转MQL,2026-09-03 10:00"
    assert old in text
    path = tmp_path / "later.csv"
    path.write_text(text.replace(old, "是,已转SQL,2026-09-08 10:00"), encoding="utf-8")
    return path


def fail_on(monkeypatch, table: str) -> None:
    """Make the upsert of ``table`` fail after its own statements ran (inside the transaction)."""
    real = store_layer._upsert_statements

    def failing(con, cur, i, item):
        stmts = real(con, cur, i, item)
        return stmts + ["SELECT error('forced failure')"] if item.name == table else stmts

    monkeypatch.setattr(store_layer, "_upsert_statements", failing)


def lifecycle(store: Path, lead: str) -> dict:
    con = duckdb.connect(str(store), read_only=True)
    try:
        row = con.execute("SELECT mql_at, sql_at FROM leads WHERE lead_id = ?", [lead]).fetchone()
        stages = dict(con.execute("SELECT stage, CAST(entered_at AS VARCHAR) FROM lead_stages WHERE lead_id = ? "
                                  "AND inferred", [lead]).fetchall())
    finally:
        con.close()
    return {"mql_at": str(row[0]), "sql_at": str(row[1]), "inferred": stages}


def test_history_load_is_one_transaction(store, monkeypatch):
    before = fingerprint(store)
    fail_on(monkeypatch, "leads")  # the second table of a history load
    with pytest.raises(StoreError, match="lead_stages, leads.*nothing was written"):
        ingest_file("lead_stages", EXAMPLES / "crm_followups_zh.csv", preset="crm_followups_zh",
                    url=f"duckdb://{store}", pii_key=KEY.encode())
    assert fingerprint(store) == before  # lead_stages rolled back with leads
    monkeypatch.undo()
    res = ingest_file("lead_stages", EXAMPLES / "crm_followups_zh.csv", preset="crm_followups_zh",
                      url=f"duckdb://{store}", pii_key=KEY.encode())
    after = fingerprint(store)
    assert (res.inserted, res.updated) == (0, 7)  # the inferred times of L005 and L007 become exact
    assert after["lead_stages"] != before["lead_stages"] and after["leads"] != before["leads"]


def test_derived_lifecycle_load_is_one_transaction(store, tmp_path, monkeypatch):
    before = fingerprint(store)
    fail_on(monkeypatch, "lead_stages")  # the second table of a leads load with a lifecycle
    with pytest.raises(StoreError, match="leads, lead_stages"):
        ingest_file("leads", moved_forward(tmp_path), preset="crm_leads_zh", url=f"duckdb://{store}",
                    pii_key=KEY.encode())
    assert fingerprint(store) == before


def test_status_moving_forward_keeps_the_earlier_times(store, tmp_path):
    assert lifecycle(store, "L002") == {"mql_at": "2026-09-03 10:00:00", "sql_at": "None",
                                        "inferred": {"mql": "2026-09-03 10:00:00"}}
    res = ingest_file("leads", moved_forward(tmp_path), preset="crm_leads_zh", url=f"duckdb://{store}",
                      pii_key=KEY.encode())
    assert res.updated == 1 and res.also["lead_stages"][:2] == (1, 0)  # sql inserted, mql unchanged
    assert lifecycle(store, "L002") == {"mql_at": "2026-09-03 10:00:00", "sql_at": "2026-09-08 10:00:00",
                                        "inferred": {"mql": "2026-09-03 10:00:00", "sql": "2026-09-08 10:00:00"}}
    # the same export again, or an older one with a later time for a stage reached: nothing moves later
    again = ingest_file("leads", moved_forward(tmp_path), preset="crm_leads_zh", url=f"duckdb://{store}",
                        pii_key=KEY.encode())
    assert (again.updated, again.also["lead_stages"][:2]) == (0, (0, 0))


def refused(store: Path, tmp_path: Path, rows: str, capsys) -> str:
    before = fingerprint(store)
    (tmp_path / "h.csv").write_text(HISTORY + rows, encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["ingest", "lead_stages", str(tmp_path / "h.csv"), "--preset", "crm_followups_zh",
              "--db", f"duckdb://{store}", "-q"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.startswith("error: ") and "Traceback" not in err, err
    assert fingerprint(store) == before
    return err.splitlines()[0]


def test_lost_before_creation_is_refused(base, tmp_path, capsys):
    line = refused(base, tmp_path, "L001,2026-08-31 10:00,新线索,输单,张伟\n", capsys)
    assert "h.csv, row 1 (line 2)" in line
    assert "lead L001 would have lost_at 2026-08-31 10:00:00 before 2026-09-01 09:00:00" in line


def test_won_and_lost_is_refused(base, tmp_path, capsys):
    line = refused(base, tmp_path, "L004,2026-09-11 10:00,商机,赢单,李娜\nL004,2026-09-12 10:00,赢单,输单,李娜\n",
                   capsys)
    assert "column stage" in line and "lead L004 entered" in line
    assert "won at 2026-09-11 10:00:00" in line or "lost at 2026-09-12 10:00:00" in line
    assert "never also won" in capsys.readouterr().err or "never also won" in line


def test_stage_after_lost_is_refused(base, tmp_path, capsys):
    line = refused(base, tmp_path, "L003,2026-09-06 10:00,已转SQL,输单,李娜\nL003,2026-09-07 10:00,输单,商机,李娜\n",
                   capsys)
    assert "lead L003 entered" in line and "lost at 2026-09-06 10:00:00" in line
    assert "opportunity at 2026-09-07 10:00:00" in line


def test_history_losing_a_lead_the_store_has_won_is_refused(base, tmp_path, capsys):
    # L007 is 赢单 in the CRM export (won_at from its status): a history saying it was lost contradicts it
    line = refused(base, tmp_path, "L007,2026-10-02 10:00,赢单,输单,刘洋\n", capsys)
    assert "lead L007 would be both won (2026-09-30 17:00:00) and lost (2026-10-02 10:00:00)" in line
