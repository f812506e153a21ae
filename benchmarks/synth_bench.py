"""Benchmark of ``leadlab synth``: wall time and peak memory at demo size and at ~10 M calls.

Each synth runs in its own process (peak memory = that process's max RSS). Two
references measured in the same run put the figures in context:

* the demo-size synth (30,000 leads): the big run's time per lead over the demo's
  shows whether the generator scales linearly;
* a DuckDB floor: writing a calls-shaped table with the same number of rows
  straight from DuckDB's ``range()`` (no Python), the least any generator must pay.

Usage::

    .venv/bin/python benchmarks/synth_bench.py                 # 2,000,000 leads (~10 M calls)
    .venv/bin/python benchmarks/synth_bench.py --leads 400000  # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys
from leadlab.synth import synthesize
t = synthesize({n}, seed={seed}, url="duckdb://{path}", progress={progress}, replace=True)
print(json.dumps({{"n_calls": t["n_calls"], "seconds": t["seconds"]}}))
"""

FLOOR = """
import duckdb, json, time
con = duckdb.connect("{path}")
t0 = time.perf_counter()
con.execute('''CREATE TABLE calls AS SELECT
    'C' || lpad(CAST(i AS VARCHAR), 10, '0') AS call_id,
    'L' || lpad(CAST(i // 5 AS VARCHAR), 7, '0') AS lead_id,
    'R' || lpad(CAST(i % 2667 AS VARCHAR), 4, '0') AS rep_id,
    TIMESTAMP '2025-09-21' + to_seconds(i * 3) AS started_at,
    random() * 30 AS ring_seconds, random() * 300 AS talk_seconds, 0.0 AS hold_seconds,
    random() * 60 AS wrap_seconds, ['no_answer', 'voicemail', 'callback'][i % 3 + 1] AS disposition,
    i % 3 = 2 AS connected, i % 3 = 2 AS conversation, 'standard' AS script
  FROM range({n_calls}) r(i)''')
con.execute("CHECKPOINT")
print(json.dumps({{"seconds": time.perf_counter() - t0}}))
"""


def run(code: str, progress: bool = False) -> tuple[dict, float, float]:
    """Run ``code`` in a fresh interpreter: (its JSON line, wall seconds, peak RSS in MB)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=None if progress else subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark child failed:\n{out}")
    return json.loads(out.strip().splitlines()[-1]), wall, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--leads", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small, small_wall, small_rss = run(CHILD.format(n=30_000, seed=args.seed, path=f"{tmp}/demo.duckdb", progress=False))
        big, big_wall, big_rss = run(
            CHILD.format(n=args.leads, seed=args.seed, path=f"{tmp}/big.duckdb", progress=sys.stderr.isatty()),
            progress=True,
        )
        size_mb = Path(f"{tmp}/big.duckdb").stat().st_size / 2**20
        floor, floor_wall, _ = run(FLOOR.format(path=f"{tmp}/floor.duckdb", n_calls=big["n_calls"]))
    per_small = small["seconds"] / 30_000 * 1e6  # inside synthesize: no interpreter start-up
    per_big = big["seconds"] / args.leads * 1e6
    print(f"synth benchmark (seed {args.seed}, {os.cpu_count()} CPUs)")
    print(f"  demo   30,000 leads, {small['n_calls']:>11,} calls: {small_wall:7.1f} s wall ({small['seconds']:.1f} s inside"
          f" synthesize), peak RSS {small_rss:6.0f} MB, {per_small:6.1f} us/lead")
    print(f"  big {args.leads:>9,} leads, {big['n_calls']:>11,} calls: {big_wall:7.1f} s wall ({big['seconds']:.1f} s inside"
          f" synthesize), peak RSS {big_rss:6.0f} MB, {per_big:6.1f} us/lead")
    print(f"  store file {size_mb:,.0f} MB; {big['n_calls'] / big_wall:,.0f} calls/s")
    print(f"  DuckDB floor (write {big['n_calls']:,} calls-shaped rows from range()): {floor['seconds']:.1f} s")
    print(f"  load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  ratios: big/demo time per lead {per_big / per_small:.2f} (1 = linear); big/DuckDB floor {big_wall / floor['seconds']:.1f}x")


if __name__ == "__main__":
    main()
