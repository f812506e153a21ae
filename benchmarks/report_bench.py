"""Benchmark: `leadlab report data_overview` end to end (kernel start, execution, render,
publish) on the demo store, against the bare kernel start measured in the same run.

    .venv/bin/python benchmarks/report_bench.py                 # builds the demo store in a temp folder
    .venv/bin/python benchmarks/report_bench.py --db duckdb:///path/leadlab.duckdb --repeat 5

Prints the median of ``--repeat`` runs (default 3) of:
  kernel start      start a python3 kernel, wait until ready, shut it down (the reference)
  empty notebook    papermill on a one-cell notebook + our render/publish (runner overhead)
  overview engine   leadlab.overview.overview() in this process (the store queries alone)
  data_overview     the whole report, as `leadlab report data_overview -p period=...`

With ``--all``: ``leadlab report all --period last-month`` on the same store (every notebook of
notebooks/, a model trained first with ``leadlab score train``, the scores applied), in
``--repeat`` interleaved rounds of three variants:

  2 kernels        what ``report all`` does on a DuckDB store and 2+ cores: two shared kernels run
                   reports side by side, each started at once with the notebooks' imports while the
                   runs are planned; each page is rendered and published in a background thread
  1 kernel         the same with one kernel (a PostgreSQL or Spark store, or one core)
  sequential       one kernel, every step one after the other (no warm-up, render in line): before

wall time and CPU time (this process and its kernels, user + sys), the cost of one kernel start +
the notebooks' imports (its share of the CPU time) and the seconds of each report. The load
average is printed before and after.
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


def _cpu() -> float:
    import resource

    return sum(resource.getrusage(w).ru_utime + resource.getrusage(w).ru_stime
               for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))


def kernel_and_imports(modules: list[str]) -> None:
    """Start a kernel, import ``modules`` (the notebooks' imports), shut it down."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", startup_timeout=120,
                              extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    try:
        kc.execute_interactive("import importlib\nfor m in %r:\n    importlib.import_module(m)" % modules,
                               timeout=300, output_hook=lambda m: None)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


class _InLine:
    """An executor that runs each task at once (the sequential variant)."""

    def __init__(self, *a, **kw) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def submit(self, fn, *args):
        from concurrent.futures import Future

        f: Future = Future()
        f.set_result(fn(*args))
        return f


def report_all(tmp: Path, db: str, period: str, repeat: int) -> None:
    """`report all` as shipped, with one kernel, and sequential (before), in interleaved rounds."""
    import os
    import shutil
    import subprocess

    from leadlab.reports import runner

    project = tmp / "all"
    (project / "data").mkdir(parents=True)
    shutil.copytree(ROOT / "notebooks", project / "notebooks")
    env = {**os.environ, "LEADLAB_HOME": str(project), "LEADLAB_DB": db}
    for step in (["score", "train", "--quiet"], ["score", "apply", "--quiet"]):
        subprocess.run([sys.executable, "-m", "leadlab.cli", *step], env=env, check=True, capture_output=True)
    modules = runner.notebook_imports(sorted((project / "notebooks").glob("*.ipynb")))
    t0, c0 = time.perf_counter(), _cpu()
    kernel_and_imports(modules)
    ki, ki_cpu = time.perf_counter() - t0, _cpu() - c0

    def variant(**patch):
        def run():
            saved = {k: getattr(runner, k) for k in patch}
            for k, v in patch.items():
                setattr(runner, k, v)
            try:
                return runner.run_all(period, root=project, db=db)
            finally:
                for k, v in saved.items():
                    setattr(runner, k, v)
        return run

    lanes = runner.kernel_lanes(db)
    variants = {f"{lanes} kernel{'s' if lanes > 1 else ''} (report all)": variant(),
                "1 kernel, pipelined": variant(kernel_lanes=lambda url: 1),
                "sequential (before)": variant(kernel_lanes=lambda url: 1, ThreadPoolExecutor=_InLine,
                                               notebook_imports=lambda paths: [])}
    shipped = next(iter(variants))
    runs: dict[str, list[tuple[float, float, list]]] = {k: [] for k in variants}
    for _ in range(repeat):
        for label, fn in variants.items():
            t0, c0 = time.perf_counter(), _cpu()
            out = fn()
            runs[label].append((time.perf_counter() - t0, _cpu() - c0, out))
    first = runs[shipped][0][2]
    print(f"report all --period {period}: {sum(o.status != 'skipped' for o in first)} reports "
          f"({sum(o.status == 'ok' for o in first)} ok); median of {repeat} interleaved round(s)")
    print(f"  kernel start + notebook imports ({len(modules)} modules): {ki:.1f} s wall, {ki_cpu:.1f} s CPU")
    for label, rows in runs.items():
        wall = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        k = lanes if label == shipped else 1
        print(f"  {label:<26}{wall:7.1f} s wall {cpu:7.1f} s CPU   {k} kernel start(s) + imports: {k * ki_cpu / cpu:.0%} of the CPU "
              f"time   (walls: {', '.join(f'{r[0]:.1f}' for r in rows)})")
    print(f"  per report (median s, {shipped}; kernel execution + render):")
    for i, o in enumerate(first):
        secs = statistics.median(r[2][i].seconds for r in runs[shipped])
        print(f"    {o.name:<20}{o.label:<20}{secs:6.1f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="store URL (default: build the 30,000-lead demo store, seed 42, in a temp folder)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--period", default="2026-10")
    ap.add_argument("--all", action="store_true", help="time `report all` only (as shipped, one kernel, sequential)")
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

    import os

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.all:
        report_all(tmp, db, "last-month", args.repeat)
        print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return 0
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
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
