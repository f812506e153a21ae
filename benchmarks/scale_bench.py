"""Cost curve: the A/B analysis, the monthly KPI report and `score apply` at 1 M, 10 M and
100 M calls, each step in its own process (wall time and peak RSS of that step alone).

Stores are generated inside DuckDB with ``range()`` and hash-based pseudo-random columns
(deterministic, bounded memory; :func:`benchmarks.kpi_bench.build_store` for leads, calls,
reps and spend; here a lead-randomized experiment over every lead is added). Steps:

* ``ab``: ``leadlab.experiments.analyze(experiment_id="EXP-SCALE")`` — the store analysis per
  lead (calls joined to assignments and leads, the grouped query, statistics, funnel, segments);
* ``kpi``: ``leadlab.kpi.report.kpi_report(con, period="2026-10")`` — the KPI engine's queries
  for one month (table, targets, pool health, speed to lead), not the notebook;
* ``score``: ``leadlab score apply`` of a model trained beforehand (``--model``, default
  ``data/models/lead_scorer.skops``; train one with ``leadlab score train``) on every lead.

Prints, per size and step: seconds, peak RSS, and the slope (time ratio per 10x data).
Goals: slope <= 12x per 10x data, peak RSS < 4 GB at 100 M calls. The load average is
printed before and after (other processes distort timings).

    .venv/bin/python benchmarks/scale_bench.py                       # 1 M and 10 M calls
    .venv/bin/python benchmarks/scale_bench.py --sizes 1e6,1e7,1e8   # 100 M: ~15 GB of disk
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
STEPS = ("ab", "kpi", "score")


def build(path: Path, calls: int, threads: int) -> float:
    """The store of ``calls`` calls (about calls/5 leads) with one lead experiment; seconds."""
    import duckdb

    from kpi_bench import build_store

    t0 = time.perf_counter()
    build_store(path, calls, threads)
    con = duckdb.connect(str(path))
    con.execute(f"SET threads={threads}")
    con.execute("""
    CREATE TABLE experiments AS SELECT 'EXP-SCALE' AS experiment_id, 'scale' AS name, 'lead' AS unit_type,
           'A' AS control_arm, 'sql_rate' AS primary_metric, TIMESTAMP '2025-09-22' AS started_at,
           TIMESTAMP '2026-11-21' AS ended_at, '' AS description;
    CREATE TABLE assignments AS SELECT 'EXP-SCALE' AS experiment_id, 'lead' AS unit_type, lead_id AS unit_id,
           CASE WHEN hash(lead_id, 31) % 2 = 0 THEN 'A' ELSE 'B' END AS arm, created_at AS assigned_at FROM leads;
    CHECKPOINT;
    """)
    con.close()
    return time.perf_counter() - t0


def step(name: str, db: str, model: str | None) -> dict:
    """Run one step in this process; its seconds and this process's peak RSS (MB)."""
    from leadlab.store import connect

    t0 = time.perf_counter()
    if name == "ab":
        from leadlab.experiments import analyze

        r = analyze(experiment_id="EXP-SCALE", con=connect(db, read_only=True))
        facts = {"units": int(r.arms.units.sum())}
    elif name == "kpi":
        from leadlab.kpi.report import kpi_report

        r = kpi_report(connect(db, read_only=True), period="2026-10")
        facts = {"period": str(r.period.label)}
    else:
        from leadlab.cli import main

        args = ["score", "apply", "--quiet", "--db", db] + (["--model", model] if model else [])
        try:
            main(args)
        except SystemExit as exc:
            if exc.code:
                raise
        facts = {}
    return {"seconds": time.perf_counter() - t0, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            **facts}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1e6,1e7", help="calls per store, comma-separated (e.g. 1e6,1e7,1e8)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", help="model file for `score apply` (default: data/models/lead_scorer.skops)")
    ap.add_argument("--dir", type=Path, help="keep the stores here (default: a temporary folder)")
    ap.add_argument("--steps", default=",".join(STEPS))
    ap.add_argument("--step", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:  # child process: one step
        print(json.dumps(step(args.step, args.db, args.model)))
        return

    steps = [s for s in args.steps.split(",") if s]
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    folder = args.dir or Path(tempfile.mkdtemp(prefix="scale_bench_"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {load()}; threads {args.threads}, cpus {os.cpu_count()}")
    results: dict[int, dict[str, dict]] = {}
    for n in sizes:
        path = folder / f"calls_{n}.duckdb"
        if not path.exists():
            secs = build(path, n, args.threads)
            print(f"{n:>13,} calls: store built in {secs:.0f} s ({path.stat().st_size / 1e6:,.0f} MB)", flush=True)
        results[n] = {}
        for s in steps:
            cmd = [sys.executable, __file__, "--step", s, "--db", f"duckdb://{path}?threads={args.threads}"] + (
                ["--model", args.model] if args.model else [])
            out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            if out.returncode:
                results[n][s] = {"error": (out.stderr.strip().splitlines() or ["?"])[-1]}
            else:
                results[n][s] = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{n:>13,} calls  {s:<6} {json.dumps(results[n][s])}", flush=True)
    print()
    print(f"{'step':<7}" + "".join(f"{n:>16,}" for n in sizes) + "   slope per 10x")
    for s in steps:
        cells, slopes = [], []
        for i, n in enumerate(sizes):
            r = results[n][s]
            cells.append(f"{r['seconds']:7.1f}s {r['peak_mb']:6.0f}MB" if "seconds" in r else f"{'error':>16}")
            if i and "seconds" in r and "seconds" in results[sizes[i - 1]][s]:
                slopes.append(f"{r['seconds'] / results[sizes[i - 1]][s]['seconds']:.1f}x")
        print(f"{s:<7}" + "".join(f"{c:>16}" for c in cells) + "   " + ", ".join(slopes))
    print("goals: <= 12x per 10x data; peak RSS < 4 GB at 100 M calls")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
