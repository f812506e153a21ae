"""The Chinese CRM / dialer example exports load with their preset alone; the funnel, durations,
dispositions and sales cycle equal the values computed by hand from data/examples/make_zh_examples.py."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from leadlab.ingest import ingest_file

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples"
KEY = "test-key-not-secret"


def load_all(path: Path, leads_file: str = "crm_leads_zh.csv") -> dict[str, object]:
    url = f"duckdb://{path}"
    return {
        "reps": ingest_file("reps", EXAMPLES / "reps_zh.csv", preset="crm_reps_zh", url=url, pii_key=KEY.encode()),
        "leads": ingest_file("leads", EXAMPLES / leads_file, preset="crm_leads_zh", url=url, pii_key=KEY.encode()),
        "lead_stages": ingest_file("lead_stages", EXAMPLES / "crm_followups_zh.csv", preset="crm_followups_zh",
                                   url=url, pii_key=KEY.encode()),
        "calls": ingest_file("calls", EXAMPLES / "dialer_calls_zh.csv", preset="dialer_cdr_zh", url=url,
                             pii_key=KEY.encode()),
    }


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("zh_examples") / "s.duckdb"
    results = load_all(path)
    assert [r.inserted for r in results.values()] == [4, 8, 0, 12]  # the history replaces 7 inferred rows
    assert results["lead_stages"].updated == 7 and results["leads"].also["lead_stages"] == (17, 0, 0)
    return path


def rows(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_names_bands_money_and_statuses_mapped(loaded):
    got = rows(loaded, "SELECT lead_id, rep_id, source, company_size, revenue, webinar_attended FROM leads ORDER BY 1")
    assert got == [
        ("L001", "R01", "web_form", 59, None, False), ("L002", "R01", "paid_search", 299, None, True),
        ("L003", "R02", "referral", 10, None, False), ("L004", "R02", "event", 749, None, True),
        ("L005", "R03", "web_form", 59, 12800.0, True), ("L006", "R03", "list_purchase", 1000, None, False),
        ("L007", "R04", "paid_search", 299, 12000.0, False), ("L008", "R04", "referral", 59, None, True),
    ]
    assert rows(loaded, "SELECT hourly_cost FROM reps ORDER BY rep_id") == [(45.0,), (40.0,), (50.0,), (38.0,)]
    assert all(p.startswith("tok_") for (p,) in rows(loaded, "SELECT phone FROM leads"))


def test_lifecycle_status_then_exact_history(loaded):
    ts = pd.Timestamp
    got = {r[0]: r[1:] for r in rows(loaded, "SELECT lead_id, mql_at, sql_at, opportunity_at, won_at, lost_at FROM leads")}
    # status only: every stage up to the status at (or before) the last follow-up time
    assert got["L001"] == (None,) * 5
    assert got["L004"] == (ts("2026-09-10 11:00"),) * 3 + (None, None)
    assert got["L006"] == (None,) * 4 + (ts("2026-09-15 10:00"),)
    # exact history wins; L007 skipped MQL, so MQL is implied at its SQL time
    assert got["L005"] == (ts("2026-09-04 10:00"), ts("2026-09-06 14:00"), ts("2026-09-10 11:00"),
                           ts("2026-09-21 16:00"), None)
    assert got["L007"] == (ts("2026-09-05 09:00"), ts("2026-09-05 09:00"), ts("2026-09-15 10:00"),
                           ts("2026-09-30 17:00"), None)
    # 17 lifecycle times: 7 exact (history rows), 10 inferred (9 from statuses + L007's implied MQL)
    assert rows(loaded, "SELECT inferred, count(*) FROM lead_stages GROUP BY 1 ORDER BY 1") == [(False, 7), (True, 10)]
    from leadlab.overview import overview
    from leadlab.store import connect

    f = overview(connect(f"duckdb://{loaded}", read_only=True), "2026-09").findings
    line = f[f["check"] == "inferred lifecycle times"].iloc[0]
    assert (line["severity"], line["count"], line["tokens"]) == ("note", 10, 17)


def test_durations_and_dispositions(loaded):
    got = dict(rows(loaded, "SELECT call_id, talk_seconds FROM calls"))
    assert got["C03"] == 205 and got["C05"] == 760 and got["C10"] == 3723 and got["C12"] == 150
    assert sum(got.values()) == 205 + 760 + 65 + 482 + 3723 + 45 + 150
    disp = dict(rows(loaded, "SELECT disposition, count(*) FROM calls GROUP BY 1"))
    assert disp == {"no_answer": 1, "invalid_number": 2, "qualified": 3, "busy": 1, "callback": 1,
                    "not_interested": 1, "unreachable": 1, "do_not_call": 1, "complaint": 1}
    # 空号 and 关机 are not connected: 7 of 12 dials connected
    assert rows(loaded, "SELECT count(*) FILTER (WHERE connected), count(*) FROM calls") == [(7, 12)]
    assert rows(loaded, "SELECT rep_id, count(*) FROM calls GROUP BY 1 ORDER BY 1") == [
        ("R01", 3), ("R02", 3), ("R03", 3), ("R04", 3)]


def test_funnel_kpis_and_sales_cycle(loaded):
    from leadlab.kpi import KpiData
    from leadlab.kpi.cycle import cycle_counts
    from leadlab.kpi.definitions import compute
    from leadlab.kpi.measures import measures
    from leadlab.store import connect

    data = KpiData.from_store(connect(f"duckdb://{loaded}", read_only=True))
    m = measures(data, [data.period("2026-09")])
    k = compute(m).iloc[0]
    assert [int(m.iloc[0][c]) for c in ("new_leads", "mqls", "sqls", "opportunities", "won")] == [8, 6, 5, 3, 2]
    assert k["revenue"] == 24800.0 and k["dials"] == 12
    assert k["call_connect_rate"] == pytest.approx(7 / 12)
    assert k["invalid_number_share"] == pytest.approx(2 / 8)  # L001 and L006 of the 8 leads dialled
    assert k["complaints_per_1000"] == pytest.approx(1000 / 12)
    # created → won: L005 18.3 days, L007 26.3 days; L004 is an open opportunity on Oct 1 (28.5 days)
    agg = cycle_counts(data, pd.Timestamp("2026-10-01"))
    assert [tuple(int(v) for v in r) for r in agg[["days", "cause", "n"]].itertuples(index=False)] == [
        (18, 1, 1), (26, 1, 1), (28, 0, 1)]


def test_xlsx_and_gb18030_csv_give_the_same_store(tmp_path):
    out = {}
    for name in ("crm_leads_zh.csv", "crm_leads_zh.xlsx"):
        url = f"duckdb://{tmp_path / name}.duckdb"
        ingest_file("reps", EXAMPLES / "reps_zh.csv", preset="crm_reps_zh", url=url, pii_key=KEY.encode())
        res = ingest_file("leads", EXAMPLES / name, preset="crm_leads_zh", url=url, pii_key=KEY.encode())
        out[res.format] = [rows(tmp_path / f"{name}.duckdb", f"SELECT * FROM {t} ORDER BY ALL")
                           for t in ("leads", "lead_stages")]
    assert set(out) == {"csv", "excel"} and out["csv"] == out["excel"] and len(out["csv"][0]) == 8


def test_dry_run_shows_rows_after_mapping_and_writes_nothing(tmp_path, capsys):
    from leadlab.cli import main

    store = tmp_path / "fresh.duckdb"
    os.environ["LEADLAB_PII_KEY"] = KEY
    try:
        ingest_file("reps", EXAMPLES / "reps_zh.csv", preset="crm_reps_zh", url=f"duckdb://{store}")
        before = rows(store, "SELECT count(*) FROM information_schema.tables")
        main(["ingest", "leads", str(EXAMPLES / "crm_leads_zh.xlsx"), "--preset", "crm_leads_zh", "--dry-run",
              "--db", f"duckdb://{store}", "-q"])  # returns: exit code 0
    finally:
        del os.environ["LEADLAB_PII_KEY"]
    out = capsys.readouterr().out
    assert "8 would be inserted" in out and "first rows after mapping:" in out
    assert "row 2: lead_id=L002, created_at=2026-09-01 10:00:00, source=paid_search, rep_id=R01, company_size=299" in out
    assert "13800000002" not in out and "钱敏" not in out  # PII only as tokens
    assert rows(store, "SELECT count(*) FROM information_schema.tables") == before
