"""Hand-made fixture for the KPI tests (importable as ``test_kpi_fixtures``).

Two teams, two reps, five leads, eight calls over September and October 2026. Every
expected value in the KPI tests is derived by hand from these rows (see comments).
"""

from __future__ import annotations

import pandas as pd
import pytest

T = pd.Timestamp


def tiny_frames(with_spend: bool = True) -> dict[str, pd.DataFrame]:
    reps = pd.DataFrame({
        "rep_id": ["R1", "R2"], "rep_name": ["a", "b"], "team": ["East", "West"],
        "hired_at": pd.to_datetime(["2025-01-01", "2025-01-01"]).date, "hourly_cost": [36.0, 72.0],
    })
    leads = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4", "L5"],
        "created_at": [T("2026-10-01 09:00"), T("2026-10-02 10:00"), T("2026-10-03 12:00"),
                       T("2026-09-15 08:00"), T("2026-09-20 08:00")],
        "source": ["web_form", "web_form", "list_purchase", "list_purchase", "web_form"],
        "campaign": ["c1", "c1", "c2", "c2", "c1"],
        "region": ["North", "South", "North", "South", "North"],
        "rep_id": ["R1", "R1", "R2", "R2", "R2"],
        "industry": ["it", "it", None, "retail", None],
        "mql_at": [T("2026-10-02"), T("2026-10-03"), pd.NaT, T("2026-09-16"), pd.NaT],
        "sql_at": [T("2026-10-03"), T("2026-10-10"), pd.NaT, T("2026-09-20"), pd.NaT],
        "opportunity_at": [T("2026-10-05"), pd.NaT, pd.NaT, T("2026-10-01"), pd.NaT],
        "won_at": [T("2026-10-20"), pd.NaT, pd.NaT, pd.NaT, pd.NaT],
        "lost_at": [pd.NaT, pd.NaT, pd.NaT, T("2026-10-25"), pd.NaT],
        "revenue": [1000.0, None, None, None, None],
        "phone": ["p1", "p1", "p3", "p4", None],
        "email": ["e1", "e2", "e3", None, None],
    })
    calls = pd.DataFrame({
        "call_id": [f"C{i}" for i in range(1, 9)],
        "lead_id": ["L1", "L1", "L2", "L2", "L3", "L4", "L4", "L3"],
        "rep_id": ["R1", "R1", "R1", "R1", "R2", "R2", "R2", "R2"],
        "started_at": [T("2026-10-01 09:03"), T("2026-10-04 10:00"), T("2026-10-02 11:00"), T("2026-10-03 11:00"),
                       T("2026-10-05 12:00"), T("2026-09-15 08:30"), T("2026-10-02 09:00"), T("2026-10-06 12:00")],
        "ring_seconds": [10.0, 5, 20, 8, 5, 10, 30, 5],
        "talk_seconds": [120.0, 300, 0, 200, 30, 100, 0, 15],
        "hold_seconds": [10.0, 0, 0, 20, 0, 0, 0, 0],
        "wrap_seconds": [30.0, 60, 0, 40, 10, 20, 0, 0],
        "disposition": ["qualified", "callback", "no_answer", "qualified", "complaint", "not_interested",
                        "voicemail", "do_not_call"],
        "script": ["A"] * 8,
    })
    out = {"reps": reps, "leads": leads, "calls": calls}
    if with_spend:
        out["spend"] = pd.DataFrame({
            "date": pd.to_datetime(["2026-10-01", "2026-10-02", "2026-09-10"]).date,
            "source": ["web_form", "list_purchase", "web_form"], "campaign": ["c1", "c2", "c1"],
            "amount": [300.0, 150.0, 200.0],
        })
    return out


def tiny_store(folder, with_spend: bool = True) -> str:
    """The tiny fixture written into a DuckDB store; returns its URL."""
    from leadlab.store import connect, write_table

    url = f"duckdb://{folder}/tiny.duckdb"
    con = connect(url)
    for name, df in tiny_frames(with_spend).items():
        write_table(con, name, df, overwrite=True)
    con.disconnect()
    return url


@pytest.fixture
def tiny():
    from leadlab.kpi import KpiData

    return KpiData.from_frames(**tiny_frames())


def test_fixture_builds(tiny):
    assert tiny.teams == ["East", "West"]
    assert str(tiny.as_of) == "2026-10-06 12:00:00"
