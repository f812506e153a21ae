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

Prints, per size and step: seconds, CPU seconds (user + sys, less sensitive to other
processes than wall time), peak RSS, and the slope (time ratio per 10x data); the store build
(also in a child process) with its seconds and peak RSS. Goals: slope <= 12x per 10x data, peak
RSS < 4 GB at 100 M calls. The load average is printed before and after each size.
Every step opens the store with ``memory_limit`` (``--memory-limit``, default 2GB: DuckDB
spills hash tables beyond it; its own default is 80% of RAM, which the per-lead joins and
aggregates of 22 M leads would use). ``--trace`` samples each step's RSS and the innermost ``leadlab`` frame of its main thread
(every 0.2 s) and prints where the time and the peak RSS were spent.

    .venv/bin/python benchmarks/scale_bench.py                       # 1 M and 10 M calls
    .venv/bin/python benchmarks/scale_bench.py --sizes 1e6,1e7,1e8   # 100 M: ~10 GB of disk
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
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
STEPS = ("ab", "kpi", "score")


def build(path: Path, calls: int, threads: int, memory_limit: str) -> dict:
    """Write the store of ``calls`` calls (about calls/5 leads) with one lead experiment to
    ``path`` (via a temporary name: an interrupted build leaves nothing to reuse); its seconds."""
    import duckdb

    from kpi_bench import build_store

    t0 = time.perf_counter()
    tmp = path.with_name(path.name + ".building")
    tmp.unlink(missing_ok=True)
    build_store(tmp, calls, threads, memory_limit=memory_limit)
    con = duckdb.connect(str(tmp))
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
    tmp.rename(path)
    return {"seconds": time.perf_counter() - t0}


class Tracer:
    """Samples this process's RSS and the main thread's innermost ``leadlab`` frame."""

    def __init__(self, every: float = 0.2) -> None:
        import threading

        self.every, self.samples, self.main = every, [], threading.main_thread().ident
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self.stop.wait(self.every):
            with open("/proc/self/statm") as f:
                rss = int(f.read().split()[1]) * page / 2**20
            frame, where = sys._current_frames().get(self.main), "?"
            while frame is not None:
                if "/leadlab/" in frame.f_code.co_filename:
                    where = f"{frame.f_code.co_filename.split('/leadlab/')[-1]}:{frame.f_lineno} {frame.f_code.co_name}"
                    break
                frame = frame.f_back
            self.samples.append((rss, where))

    def __enter__(self) -> Tracer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()

    def summary(self) -> dict:
        """Per frame: seconds sampled and the largest RSS seen there (MB), busiest first."""
        out: dict[str, list[float]] = {}
        for rss, where in self.samples:
            cell = out.setdefault(where, [0.0, 0.0])
            cell[0] += self.every
            cell[1] = max(cell[1], rss)
        return {k: [round(a, 1), round(b)] for k, (a, b) in sorted(out.items(), key=lambda kv: -kv[1][0])[:12]}


def step(name: str, db: str, model: str | None, trace: bool = False, calls: int = 0, threads: int = 2,
         memory_limit: str = "2GB") -> dict:
    """Run one step in this process; its seconds, CPU seconds and this process's peak RSS (MB)."""
    if trace:
        with Tracer() as tracer:
            out = step(name, db, model, calls=calls, threads=threads, memory_limit=memory_limit)
        return {**out, "trace": tracer.summary()}
    if name == "build":
        out = build(Path(db), calls, threads, memory_limit)
        return {**out, **usage()}
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
    return {"seconds": time.perf_counter() - t0, **usage(), **facts}


def usage() -> dict:
    """This process's CPU seconds (user + sys, DuckDB's threads included) and peak RSS (MB)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu": round(r.ru_utime + r.ru_stime, 1), "peak_mb": round(r.ru_maxrss / 1024)}


def child(args: list[str], trace: bool = False) -> dict:
    """Run this script with ``args`` in a child process; its JSON result or an error line."""
    out = subprocess.run([sys.executable, __file__, *args] + (["--trace"] if trace else []),
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        return {"error": (out.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1e6,1e7", help="calls per store, comma-separated (e.g. 1e6,1e7,1e8)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", default="2GB",
                    help="DuckDB memory_limit of the build and of every step (the store URL's memory_limit; "
                         "'' = DuckDB's default, 80%% of RAM)")
    ap.add_argument("--model", help="model file for `score apply` (default: data/models/lead_scorer.skops)")
    ap.add_argument("--dir", type=Path, help="keep the stores here (default: a temporary folder)")
    ap.add_argument("--steps", default=",".join(STEPS))
    ap.add_argument("--trace", action="store_true", help="sample RSS and the leadlab frame of each step")
    ap.add_argument("--step", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--calls", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:  # child process: one step
        print(json.dumps(step(args.step, args.db, args.model, args.trace, args.calls, args.threads, args.memory_limit)))
        return

    steps = [s for s in args.steps.split(",") if s]
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    folder = args.dir or Path(tempfile.mkdtemp(prefix="scale_bench_"))
    folder.mkdir(parents=True, exist_ok=True)
    # the store URL's query string, encoded (the limit is a parameter, never spliced raw)
    query = urlencode({"threads": args.threads, **({"memory_limit": args.memory_limit} if args.memory_limit else {})})
    print(f"load average before: {load()}; threads {args.threads}, cpus {os.cpu_count()}, "
          f"DuckDB memory_limit {args.memory_limit or 'default'}")
    results: dict[int, dict[str, dict]] = {}
    for n in sizes:
        path = folder / f"calls_{n}.duckdb"
        print(f"{n:>13,} calls: load average {load()}", flush=True)
        if not path.exists():
            b = child(["--step", "build", "--db", str(path), "--calls", str(n), "--threads", str(args.threads),
                       "--memory-limit", args.memory_limit or "2GB"])
            if "error" in b:
                raise SystemExit(f"store build failed: {b['error']}")
            print(f"{n:>13,} calls: store built in {b['seconds']:.0f} s (CPU {b['cpu']:.0f} s, peak RSS {b['peak_mb']:,} MB, "
                  f"{path.stat().st_size / 1e6:,.0f} MB on disk)", flush=True)
        results[n] = {}
        for s in steps:
            results[n][s] = child(["--step", s, "--db", f"duckdb://{path}?{query}"]
                                  + (["--model", args.model] if args.model else []), args.trace)
            print(f"{n:>13,} calls  {s:<6} {json.dumps(results[n][s])}", flush=True)
        print(f"{n:>13,} calls: load average {load()}", flush=True)
    print()
    print(f"{'step':<7}" + "".join(f"{n:>24,}" for n in sizes) + "   slope per 10x   (wall, CPU, peak RSS)")
    for s in steps:
        cells, slopes = [], []
        for i, n in enumerate(sizes):
            r = results[n][s]
            cells.append(f"{r['seconds']:7.1f}s {r['cpu']:6.0f}s {r['peak_mb']:6.0f}MB" if "seconds" in r else "error")
            prev = results[sizes[i - 1]][s] if i else {}
            if "seconds" in r and "seconds" in prev:
                slopes.append(f"{r['seconds'] / prev['seconds']:.1f}x (CPU {r['cpu'] / max(prev['cpu'], 0.1):.1f}x)")
        print(f"{s:<7}" + "".join(f"{c:>24}" for c in cells) + "   " + ", ".join(slopes))
    print("goals: <= 12x per 10x data; peak RSS < 4 GB at 100 M calls")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
