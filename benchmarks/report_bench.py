"""Benchmark: `leadlab report data_overview` end to end (kernel start, execution, render,
publish) on the demo store, against the bare kernel start measured in the same run.

    .venv/bin/python benchmarks/report_bench.py                 # builds the demo store in a temp folder
    .venv/bin/python benchmarks/report_bench.py --db duckdb:///path/leadlab.duckdb --repeat 5

Prints the median of ``--repeat`` runs (default 3) of:
  kernel start      start a python3 kernel, wait until ready, shut it down (the reference)
  empty notebook    papermill on a one-cell notebook + our render/publish (runner overhead)
  overview engine   leadlab.overview.overview() in this process (the store queries alone)
  data_overview     the whole report, as `leadlab report data_overview -p period=...`
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def median_time(fn, repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def bare_kernel_start() -> None:
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", startup_timeout=120,
                              extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    try:
        kc.wait_for_ready(timeout=120)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="store URL (default: build the 30,000-lead demo store, seed 42, in a temp folder)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--period", default="2026-10")
    args = ap.parse_args(argv)

    import nbformat

    from leadlab.overview import overview
    from leadlab.reports.runner import run_report
    from leadlab.store import connect

    tmp = Path(tempfile.mkdtemp(prefix="report_bench_"))
    db = args.db
    if db is None:
        from leadlab.synth import synthesize

        t0 = time.perf_counter()
        synthesize(n_leads=30000, seed=42, url=f"duckdb://{tmp / 'store' / 'leadlab.duckdb'}",
                   truth_dir=tmp / "store", progress=False)
        db = f"duckdb://{tmp / 'store' / 'leadlab.duckdb'}"
        print(f"built the demo store (30,000 leads, seed 42) in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    project = tmp / "project"
    (project / "notebooks").mkdir(parents=True)
    (project / "notebooks" / "data_overview.ipynb").write_bytes((ROOT / "notebooks" / "data_overview.ipynb").read_bytes())
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(project / "notebooks" / "empty.ipynb"))

    def engine() -> None:
        con = connect(db, read_only=True)
        try:
            overview(con, args.period)
        finally:
            con.disconnect()

    def report(name: str, params: dict) -> None:
        rec = run_report(name, params, root=project, db=db)
        assert rec.ok, rec.error

    bare_kernel_start()  # warm the OS caches once; not timed
    rows = [
        ("kernel start", *median_time(bare_kernel_start, args.repeat)),
        ("empty notebook", *median_time(lambda: report("empty", {}), args.repeat)),
        ("overview engine", *median_time(engine, args.repeat)),
        ("data_overview", *median_time(lambda: report("data_overview", {"period": args.period}), args.repeat)),
    ]
    ref = rows[0][1]
    print(f"report benchmark: median of {args.repeat} runs, store {db.split('/')[-2] if args.db else 'demo (30k leads)'}")
    print(f"{'step':<18}{'median s':>10}{'x kernel start':>16}   runs")
    for name, med, times in rows:
        print(f"{name:<18}{med:>10.2f}{med / ref:>16.1f}   " + ", ".join(f"{t:.2f}" for t in times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
