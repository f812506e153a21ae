"""Bad survey and payment files: exit 2, one line naming file/row/column and the rule, nothing written."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from leadlab.cli import main

EX = Path(__file__).resolve().parents[1] / "data" / "examples"


def _run(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def test_examples_load_and_bad_rows_are_refused(tmp_path, monkeypatch, capsys):
    db = tmp_path / "s.duckdb"
    monkeypatch.setenv("LEADLAB_PII_KEY", "k")
    url = f"duckdb://{db}"
    for args in (["reps", str(EX / "reps.csv")], ["leads", str(EX / "leads_zh.csv"), "--mapping", str(EX / "mapping_zh.yml")],
                 ["surveys", str(EX / "surveys_zh.csv"), "--mapping", str(EX / "surveys_mapping_zh.yml")],
                 ["payments", str(EX / "payments_zh.csv"), "--mapping", str(EX / "payments_mapping_zh.yml")]):
        assert _run(["ingest", *args, "--db", url, "-q"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    bad_s = tmp_path / "bad_s.csv"
    bad_s.write_text("survey_id,lead_id,surveyed_at,csat,nps\nX1,L0001,2026-10-20 10:00,6,5\n")
    bad_p = tmp_path / "bad_p.csv"
    bad_p.write_text("payment_id,lead_id,issued_at,due_date,amount_due\nQ1,L0007,2026-11-01,2026-12-01,100\n")
    assert _run(["ingest", "surveys", str(bad_s), "--db", url, "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: bad_s.csv, row 1 (line 2), column csat") and "above the maximum 5" in err
    assert "Traceback" not in err
    assert _run(["--lang", "zh", "ingest", "payments", str(bad_p), "--db", url, "-q"]) == 2
    err = capsys.readouterr().err
    assert "issued_at" in err and "早于订单 L0007 的成交时间" in err
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM surveys").fetchone()[0] == 10
    assert con.execute("SELECT count(*) FROM payments").fetchone()[0] == 4


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ingest_help_lists_every_canonical_table(lang, capsys):
    from leadlab.schema import LOAD_ORDER

    assert _run(["--lang", lang, "ingest", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert all(t in text for t in LOAD_ORDER), [t for t in LOAD_ORDER if t not in text]
