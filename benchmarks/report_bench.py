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
notebooks/, a model trained first with ``leadlab score train``), once with one kernel for all
reports (what ``report all`` does) and once with a fresh kernel per report, wall time and CPU
time (this process and its kernels), and the cost of one kernel start + the notebooks' imports.
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


IMPORTS = ("import leadlab, matplotlib.pyplot, IPython.display\nfrom leadlab import plots\n"
           "from leadlab.overview import overview\nfrom leadlab.experiments import experiment_report\n"
           "from leadlab.kpi.report import kpi_report\nfrom leadlab.scoring import load_model, pages\n"
           "from leadlab.qa.report import qa_page")


def _cpu() -> float:
    import resource

    return sum(resource.getrusage(w).ru_utime + resource.getrusage(w).ru_stime
               for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))


def kernel_and_imports() -> None:
    """Start a kernel, run the notebooks' imports, shut it down."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", startup_timeout=120,
                              extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    try:
        kc.execute_interactive(IMPORTS, timeout=300, output_hook=lambda m: None)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def report_all(tmp: Path, db: str, period: str) -> None:
    """`report all` with one shared kernel and with a kernel per report (same project)."""
    import contextlib
    import os
    import shutil
    import subprocess

    from leadlab.reports import runner

    project = tmp / "all"
    (project / "data").mkdir(parents=True)
    shutil.copytree(ROOT / "notebooks", project / "notebooks")
    env = {**os.environ, "LEADLAB_HOME": str(project), "LEADLAB_DB": db}
    subprocess.run([sys.executable, "-m", "leadlab.cli", "score", "train", "--quiet"], env=env, check=True,
                   capture_output=True)
    t0, c0 = time.perf_counter(), _cpu()
    kernel_and_imports()
    ki, ki_cpu = time.perf_counter() - t0, _cpu() - c0
    rows = []
    for label, ctx in (("one kernel (report all)", None), ("a kernel per report", contextlib.nullcontext)):
        saved = runner.shared_kernel
        if ctx is not None:
            runner.shared_kernel = ctx
        try:
            t0, c0 = time.perf_counter(), _cpu()
            out = runner.run_all("last-month", root=project, db=db)
            rows.append((label, time.perf_counter() - t0, _cpu() - c0, out))
        finally:
            runner.shared_kernel = saved
    n = sum(o.status != "skipped" for o in rows[0][3])
    print(f"report all --period last-month: {n} reports ({sum(o.status == 'ok' for o in rows[0][3])} ok)")
    print(f"  kernel start + notebook imports: {ki:.1f} s wall, {ki_cpu:.1f} s CPU")
    for label, wall, cpu, _out in rows:
        kernels = 1 if label.startswith("one") else n
        print(f"  {label:<26}{wall:7.1f} s wall {cpu:7.1f} s CPU   kernel starts + imports: {kernels} x "
              f"= {kernels * ki_cpu / cpu:.0%} of the CPU time")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="store URL (default: build the 30,000-lead demo store, seed 42, in a temp folder)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--period", default="2026-10")
    ap.add_argument("--all", action="store_true", help="time `report all` (shared kernel vs a kernel per report)")
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
    if args.all:
        report_all(tmp, db, args.period)
    ref = rows[0][1]
    print(f"report benchmark: median of {args.repeat} runs, store {db.split('/')[-2] if args.db else 'demo (30k leads)'}")
    print(f"{'step':<18}{'median s':>10}{'x kernel start':>16}   runs")
    for name, med, times in rows:
        print(f"{name:<18}{med:>10.2f}{med / ref:>16.1f}   " + ", ".join(f"{t:.2f}" for t in times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
