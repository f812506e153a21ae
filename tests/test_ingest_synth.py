"""Round trip: the synthetic store, exported and ingested again, passes every rule unchanged."""

from __future__ import annotations

import duckdb
import pytest

from leadlab.ingest import ingest_file
from leadlab.schema import LOAD_ORDER, TABLES


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("LEADLAB_PII_KEY", "synth-roundtrip")
    monkeypatch.delenv("LEADLAB_DB", raising=False)


def export(src, folder, fmt: str) -> dict[str, object]:
    con = duckdb.connect(str(src.path), read_only=True)
    paths = {}
    try:
        for name in LOAD_ORDER:
            if not con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]:
                continue  # e.g. lead_stages: the generator writes no stage history
            path = folder / f"{name}.{fmt}"
            cols = ", ".join(f'"{c}"' for c in TABLES[name].names)
            opts = "(HEADER)" if fmt == "csv" else "(FORMAT parquet)"
            con.execute(f"COPY (SELECT {cols} FROM {name}) TO '{path}' {opts}")
            paths[name] = path
    finally:
        con.close()
    return paths


def table_rows(path, name):
    con = duckdb.connect(str(path), read_only=True)
    try:
        cols = ", ".join(f'"{c}"' for c in TABLES[name].names)
        return con.execute(f"SELECT {cols} FROM {name} ORDER BY ALL").fetchall()
    finally:
        con.close()


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_synthetic_store_round_trips_through_ingest(small_store, tmp_path, fmt):
    paths = export(small_store, tmp_path, fmt)
    target = tmp_path / "fresh.duckdb"
    for name in paths:
        res = ingest_file(name, paths[name], url=f"duckdb://{target}")
        assert res.inserted == res.rows and res.updated == 0, res.summary()
    for name in paths:
        assert table_rows(target, name) == table_rows(small_store.path, name), name


@pytest.mark.slow
def test_reingesting_synthetic_calls_changes_nothing(small_store, tmp_path):
    import shutil

    paths = export(small_store, tmp_path, "csv")
    copy = tmp_path / "copy.duckdb"
    shutil.copy(small_store.path, copy)
    res = ingest_file("calls", paths["calls"], url=f"duckdb://{copy}")
    assert (res.inserted, res.updated) == (0, 0) and res.unchanged == res.rows > 10_000
    res = ingest_file("assignments", paths["assignments"], url=f"duckdb://{copy}")
    assert (res.inserted, res.updated) == (0, 0)
