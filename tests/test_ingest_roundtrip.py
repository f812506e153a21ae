"""leadlab's own outputs load back as they are: `ab assign` neutralises ids a spreadsheet would run
as formulas (``-12`` → ``'-12``), and `ingest` takes exactly that quote off again (``'abc`` stays)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from testkit import run_cli

IDS = ["-12", "=A1", "@x", "+7", "'abc", "普通"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_ab_assign_output_ingests_with_the_same_ids(tmp_path, capsys, monkeypatch, suffix):
    monkeypatch.setenv("LEADLAB_PII_KEY", "test-key")
    url = f"duckdb://{tmp_path / 's.duckdb'}"
    pd.DataFrame({"lead_id": IDS, "created_at": "2026-10-01 09:00:00", "source": "web_form"}).to_csv(
        tmp_path / "leads.csv", index=False)
    (tmp_path / "exp.csv").write_text("experiment_id,unit_type,control_arm,primary_metric,started_at\n"
                                      "EXP-RT,lead,A,sql_rate,2026-10-01 00:00:00\n", encoding="utf-8")
    for table, name in (("leads", "leads.csv"), ("experiments", "exp.csv")):
        assert run_cli(["ingest", table, str(tmp_path / name), "--db", url, "-q"]) == 0, capsys.readouterr().err
    out = tmp_path / f"arms{suffix}"
    assert run_cli(["ab", "assign", str(tmp_path / "leads.csv"), "--salt", "EXP-RT", "--assigned-at", "2026-10-02",
                    "--output", str(out)]) == 0, capsys.readouterr().err
    written = (pd.read_csv(out, dtype=str) if suffix == ".csv" else pd.read_excel(out, dtype=str)).unit_id
    assert sorted(written) == sorted(["'-12", "'=A1", "'@x", "'+7", "'abc", "普通"])  # neutralised on the way out
    assert run_cli(["ingest", "assignments", str(out), "--db", url, "-q"]) == 0, capsys.readouterr().err
    con = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
    try:
        stored = [r[0] for r in con.execute("SELECT unit_id FROM assignments ORDER BY unit_id").fetchall()]
    finally:
        con.close()
    assert stored == sorted(IDS)  # the same ids, '-12 back to -12 and 'abc kept as it is
