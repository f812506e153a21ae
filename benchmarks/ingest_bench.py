"""Ingest throughput: `leadlab ingest calls` on a 1M-row CSV vs a plain DuckDB read_csv.

    .venv/bin/python benchmarks/ingest_bench.py              # 1,000,000 calls, 100,000 leads
    .venv/bin/python benchmarks/ingest_bench.py --rows 200000 --repeat 3

The benchmark writes a store with 40 reps and the leads (directly, not timed),
generates a matching calls CSV with DuckDB, then runs each measurement in its own
subprocess (so peak memory is that run's alone):

* reference: ``CREATE TABLE calls AS SELECT * FROM read_csv(FILE)`` in a fresh DuckDB
  file (type sniffing, no checks);
* ingest: ``ingest_file("calls", FILE)`` into the store (all rules, references,
  call-before-lead, upsert in one transaction): 1M rows inserted;
* re-ingest: the same file again (1M rows compared, 0 written);
* ingest GB18030: the same rows in a GB18030-encoded copy (transcoding included),
  into a fresh copy of the store.

Printed: seconds (imports excluded), rows/s, the ratio to the reference and peak
RSS (``resource.getrusage`` ru_maxrss of the child: DuckDB's memory included;
tracemalloc is not used, it would only see Python objects and slow the run).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup(folder: Path, rows: int, leads: int, seed: int) -> tuple[Path, Path]:
    import duckdb

    from leadlab.store import connect, ensure_tables

    store = folder / "store.duckdb"
    con = connect(f"duckdb://{store}")
    ensure_tables(con, ("reps", "leads"))
    con.disconnect()
    db = duckdb.connect(str(store))
    db.execute("SELECT setseed(?)", [seed / 1000])
    db.execute("INSERT INTO reps (rep_id, team, hourly_cost) SELECT 'R' || lpad(CAST(i AS VARCHAR), 3, '0'), "
               "'team' || (i % 4), 40 FROM range(1, 41) t(i)")
    db.execute(
        "INSERT INTO leads (lead_id, created_at, source, rep_id) SELECT 'L' || lpad(CAST(i AS VARCHAR), 7, '0'), "
        "TIMESTAMP '2025-09-01' + to_seconds(CAST(random() * 3e7 AS BIGINT)), "
        "['web_form','paid_search','referral','list_purchase','event'][1 + (i % 5)], "
        "'R' || lpad(CAST(1 + i % 40 AS VARCHAR), 3, '0') FROM range(1, ? + 1) t(i)", [leads])
    csv = folder / "calls.csv"
    db.execute(f"""
        COPY (
          SELECT 'C' || lpad(CAST(i AS VARCHAR), 8, '0') AS call_id, l.lead_id, l.rep_id,
                 strftime(l.created_at + to_seconds(CAST(60 + random() * 2e6 AS BIGINT)), '%Y-%m-%d %H:%M:%S') AS started_at,
                 round(random() * 30, 1) AS ring_seconds,
                 CASE WHEN d IN ('no_answer','busy','voicemail') THEN 0 ELSE round(random() * 600, 1) END AS talk_seconds,
                 0 AS hold_seconds, round(random() * 90, 1) AS wrap_seconds, d AS disposition,
                 CASE WHEN i % 2 = 0 THEN 'A' ELSE 'B' END AS script
          FROM (SELECT i, 1 + CAST(floor(random() * {leads}) AS BIGINT) AS li,
                       ['no_answer','busy','voicemail','wrong_number','not_interested','callback','qualified'][1 + CAST(floor(random() * 7) AS INT)] AS d
                FROM range(1, {rows} + 1) t(i)) c
          JOIN leads l ON l.lead_id = 'L' || lpad(CAST(c.li AS VARCHAR), 7, '0')
          ORDER BY i
        ) TO '{csv}' (HEADER)""")
    db.close()
    return store, csv


def child(mode: str, store: str, csv: str) -> None:
    import duckdb

    os.environ.setdefault("LEADLAB_PII_KEY", "bench")
    from leadlab.ingest import ingest_file  # imports are not timed

    out: dict = {}
    t0 = time.perf_counter()
    if mode == "reference":
        db = duckdb.connect(store)
        db.execute("CREATE OR REPLACE TABLE calls AS SELECT * FROM read_csv(?, header = true)", [csv])
        out["rows"] = db.execute("SELECT count(*) FROM calls").fetchone()[0]
        db.close()
    else:
        res = ingest_file("calls", csv, url=f"duckdb://{store}")
        out.update(rows=res.rows, inserted=res.inserted, updated=res.updated, unchanged=res.unchanged,
                   encoding=res.encoding)
    out["seconds"] = time.perf_counter() - t0
    out["rss_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def run_child(mode: str, store: Path, csv: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", mode, str(store), str(csv)],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--leads", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=2, help="runs per measurement; the fastest is shown")
    ap.add_argument("--child", nargs=3, metavar=("MODE", "STORE", "CSV"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    folder = Path(tempfile.mkdtemp(prefix="leadlab-ingest-bench-"))
    try:
        t = time.perf_counter()
        store, csv = setup(folder, args.rows, args.leads, args.seed)
        pristine = folder / "pristine.duckdb"
        shutil.copy(store, pristine)
        gb = folder / "calls_gb18030.csv"
        with open(csv, encoding="utf-8") as src, open(gb, "w", encoding="gb18030") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        size_mb = csv.stat().st_size / 2**20
        print(f"setup: {args.rows:,} calls ({size_mb:.0f} MB CSV), {args.leads:,} leads, 40 reps "
              f"in {time.perf_counter() - t:.1f}s; {os.cpu_count()} CPUs; python {sys.version.split()[0]}")
        def best(mode: str, csv_path: Path, start_from: Path | None) -> dict:
            """The fastest of --repeat runs, each on a fresh copy of ``start_from``."""
            runs = []
            for _ in range(args.repeat):
                target = folder / f"{mode}.duckdb"
                target.unlink(missing_ok=True)
                if start_from is not None:
                    shutil.copy(start_from, target)
                runs.append(run_child(mode, target, csv_path))
            return min(runs, key=lambda r: r["seconds"])

        results = {"reference (DuckDB read_csv)": best("reference", csv, None)}
        results["leadlab ingest (all rows new)"] = best("ingest", csv, pristine)
        loaded = folder / "loaded.duckdb"
        shutil.copy(folder / "ingest.duckdb", loaded)
        results["leadlab re-ingest (all unchanged)"] = best("ingest", csv, loaded)
        results["leadlab ingest, GB18030 file"] = best("ingest", gb, pristine)
        ref = results["reference (DuckDB read_csv)"]["seconds"]
        print(f"\nbest of {args.repeat} runs each (the machine may be shared; ratios are within one run)")
        print(f"{'run':34s} {'seconds':>8s} {'rows/s':>11s} {'× ref':>6s} {'peak RSS MB':>12s}")
        for name, r in results.items():
            print(f"{name:34s} {r['seconds']:8.2f} {r['rows'] / r['seconds']:11,.0f} {r['seconds'] / ref:6.1f} "
                  f"{r['rss_peak_mb']:12.0f}")
        ing = results["leadlab ingest (all rows new)"]
        again = results["leadlab re-ingest (all unchanged)"]
        assert ing["inserted"] == args.rows and again["unchanged"] == args.rows, (ing, again)
        print(f"\ncounts: first run {ing['inserted']:,} inserted; second run {again['inserted']} inserted, "
              f"{again['updated']} updated, {again['unchanged']:,} unchanged")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
