"""The benchmark store (benchmarks/kpi_bench.build_store, used by kpi_bench.py and scale_bench.py)
is deterministic and the same whether written in one chunk or many: pinned on 5,000 calls to the
figures of the one-statement build it replaced (UPDATE/DELETE after CREATE)."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from kpi_bench import build_store  # noqa: E402

LEADS = ("SELECT count(*), count(won_at), count(lost_at), round(sum(revenue), 6), count(DISTINCT phone), "
         "min(created_at)::VARCHAR, max(created_at)::VARCHAR, sum(epoch(sql_at)) FROM leads")
CALLS = ("SELECT count(*), sum(connected::INT), round(sum(talk_seconds), 6), count(*) FILTER (disposition = 'complaint'), "
         "max(started_at)::VARCHAR, sum(epoch(started_at)) FROM calls")


@pytest.mark.parametrize("chunk_leads", [4_000_000, 400])
def test_build_store_pinned(tmp_path, chunk_leads):
    path = tmp_path / "s.duckdb"
    build_store(path, 5000, 1, memory_limit="256MB", chunk_leads=chunk_leads)
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute(LEADS).fetchone() == (1100, 26, 883, 326026.74, 861, "2025-09-23 03:27:30",
                                             "2026-11-20 18:13:00", 232760065937.0)
    assert con.execute(CALLS).fetchone() == (5420, 1658, 297157.9848, 9, "2026-11-20 18:21:59", 9630287439718.0)
    assert con.execute("SELECT count(*), sum(amount) FROM spend").fetchone() == (5100, 1783450)
    assert con.execute("SELECT count(*), count(DISTINCT team) FROM reps").fetchone() == (200, 4)
    assert not (tmp_path / "s.duckdb.spill").exists()
