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
  into a fresh copy of the store;
* Chinese dialer export (issue 11): the same 1M calls with Chinese headers, Chinese
  dispositions (未接通, 空号, 关机, 已接通-有意向 …) and ``hh:mm:ss`` durations, loaded with a
  mapping that has value maps and duration parsers (run in DuckDB), against the same rows
  with canonical values and plain seconds loaded with a rename-only mapping. The ratio
  must stay within 1.5×. ``--mapping-only`` runs just this pair.

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


#: Chinese dispositions of the dialer file and their canonical codes (the value map)
ZH_DISPOSITIONS = {"未接通": "no_answer", "忙线": "busy", "语音信箱": "voicemail", "空号": "invalid_number",
                   "停机": "invalid_number", "关机": "unreachable", "无法接通": "unreachable",
                   "号码错误": "wrong_number", "已接通-无意向": "not_interested", "已接通-有意向": "qualified",
                   "预约回访": "callback", "拒绝再联系": "do_not_call", "投诉": "complaint"}
ZH_HEADERS = {"呼叫编号": "call_id", "客户编号": "lead_id", "坐席工号": "rep_id", "呼叫开始时间": "started_at",
              "振铃时长": "ring_seconds", "通话时长": "talk_seconds", "通话结果": "disposition"}
MAPPINGS = {
    "zh-renamed": {"columns": ZH_HEADERS},
    "zh-mapped": {"columns": ZH_HEADERS, "values": {"disposition": {"map": ZH_DISPOSITIONS}},
                  "parse": {"ring_seconds": "duration", "talk_seconds": "duration"}},
}


def setup_dialer(folder: Path, store: Path, rows: int, leads: int) -> tuple[Path, Path]:
    """Two CSVs of the same calls: Chinese values with hh:mm:ss, and canonical values with seconds."""
    import duckdb

    db = duckdb.connect(str(store), read_only=True)
    codes = list(ZH_DISPOSITIONS)
    zh_list = "[" + ", ".join(f"'{c}'" for c in codes) + "]"
    canon_list = "[" + ", ".join(f"'{ZH_DISPOSITIONS[c]}'" for c in codes) + "]"
    base = f"""
        SELECT 'C' || lpad(CAST(i AS VARCHAR), 8, '0') AS id, l.lead_id, l.rep_id,
               strftime(l.created_at + to_seconds(CAST(60 + hash(i, 1) % 2000000 AS BIGINT)), '%Y-%m-%d %H:%M:%S') AS t,
               CAST(hash(i, 2) % 40 AS INT) AS ring, CAST(hash(i, 3) % 900 AS INT) AS talk,
               1 + CAST(hash(i, 4) % {len(codes)} AS INT) AS d
        FROM range(1, {rows} + 1) r(i)
        JOIN leads l ON l.lead_id = 'L' || lpad(CAST(1 + hash(i, 5) % {leads} AS VARCHAR), 7, '0')"""
    hms = "printf('%02d:%02d:%02d', {x} // 3600, ({x} % 3600) // 60, {x} % 60)"
    zh, plain = folder / "dialer_zh.csv", folder / "dialer_plain.csv"
    h = list(ZH_HEADERS)
    db.execute(f"""COPY (SELECT id AS "{h[0]}", lead_id AS "{h[1]}", rep_id AS "{h[2]}", t AS "{h[3]}",
                   {hms.format(x='ring')} AS "{h[4]}", {hms.format(x='talk')} AS "{h[5]}", {zh_list}[d] AS "{h[6]}"
                   FROM ({base}) ORDER BY id) TO '{zh}' (HEADER)""")
    db.execute(f"""COPY (SELECT id AS "{h[0]}", lead_id AS "{h[1]}", rep_id AS "{h[2]}", t AS "{h[3]}",
                   ring AS "{h[4]}", talk AS "{h[5]}", {canon_list}[d] AS "{h[6]}"
                   FROM ({base}) ORDER BY id) TO '{plain}' (HEADER)""")
    db.close()
    return zh, plain


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
        res = ingest_file("calls", csv, url=f"duckdb://{store}", mapping=MAPPINGS.get(mode))
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
    ap.add_argument("--mapping-only", action="store_true", help="only the Chinese dialer pair (issue 11)")
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
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

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

        zh, plain = setup_dialer(folder, store, args.rows, args.leads)
        mapped = {"dialer, renames only (seconds, codes)": best("zh-renamed", plain, pristine),
                  "dialer, value maps + hh:mm:ss parsers": best("zh-mapped", zh, pristine)}
        a, b = mapped.values()
        assert a["inserted"] == b["inserted"] == args.rows, (a, b)
        print(f"\nChinese dialer export, {args.rows:,} rows (best of {args.repeat}):")
        for name, r in mapped.items():
            print(f"  {name:40s} {r['seconds']:8.2f} s {r['rows'] / r['seconds']:11,.0f} rows/s "
                  f"{r['rss_peak_mb']:8.0f} MB")
        print(f"  ratio mapped / renames only: {b['seconds'] / a['seconds']:.2f}x (limit 1.5x)")
        if args.mapping_only:
            print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            return
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
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
