"""The same leadlab work on DuckDB, PostgreSQL and Spark, each against hand-written SQL on that backend.

1. Builds (once, cached in build/backends_bench/) a synthetic DuckDB store with ``--leads``
   leads (about 4.7 calls each: 2,000,000 leads ≈ 9.4 M calls).
2. Copies it with ``leadlab store copy`` into an embedded PostgreSQL 16 (``pgserver``, Unix
   socket) and into PySpark local mode (persistent warehouse): rows/s.
3. On each backend times (best of ``--repeat``): the monthly KPI table (``kpi_table``: every
   KPI query of the month, the previous month and 6 trailing months), the per-lead and the
   per-rep A/B analysis (``analyze``), and next to each a hand-written SQL query on the same
   backend computing the core aggregates of that step (the reference measured in the same run).
4. Prints the load average before and after (the figures mean little on a busy machine).

Run:  .venv/bin/python benchmarks/backends_bench.py [--leads 2000000] [--repeat 2] [--backends duckdb,postgres,spark]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PERIOD = "2026-10"
HAND_KPI = """
SELECT rep_id, count(*) AS dials, sum(CASE WHEN connected THEN 1 ELSE 0 END) AS connected,
       sum(talk_seconds) AS talk, sum(talk_seconds * talk_seconds) AS talk_sq
FROM calls WHERE started_at >= TIMESTAMP '2026-03-01 00:00:00' AND started_at < TIMESTAMP '2026-11-01 00:00:00'
GROUP BY rep_id
"""
HAND_AB_LEAD = """
SELECT a.arm, count(*) AS n, sum(CASE WHEN l.sql_at >= a.assigned_at THEN 1 ELSE 0 END) AS sqls,
       sum(c.calls) AS calls, sum(c.talk) AS talk, sum(c.talk * c.talk) AS talk_sq
FROM assignments a
JOIN leads l ON l.lead_id = a.unit_id
LEFT JOIN (SELECT lead_id, count(*) AS calls, sum(talk_seconds) AS talk FROM calls GROUP BY lead_id) c
  ON c.lead_id = a.unit_id
WHERE a.experiment_id = 'EXP-LEAD-SCRIPT'
GROUP BY a.arm
"""
HAND_AB_REP = """
SELECT r.arm, r.unit_id, count(*) AS calls, sum(CASE WHEN c.connected THEN 1 ELSE 0 END) AS connected,
       sum(c.talk_seconds) AS talk
FROM assignments r JOIN calls c ON c.rep_id = r.unit_id AND c.started_at >= r.assigned_at
WHERE r.experiment_id = 'EXP-REP-SCRIPT'
GROUP BY r.arm, r.unit_id
"""


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def build(path: Path, n_leads: int) -> None:
    from leadlab.synth import synthesize

    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.duckdb")
    tmp.unlink(missing_ok=True)
    synthesize(n_leads=n_leads, seed=42, url=f"duckdb://{tmp}", truth_dir=path.parent, progress=True)
    tmp.replace(path)


def measure(url: str, repeat: int) -> dict[str, tuple[float, float]]:
    """(leadlab seconds, hand-written SQL seconds) per step on the store ``url``."""
    from leadlab.experiments.analyze import analyze
    from leadlab.kpi import KpiData, kpi_table
    from leadlab.store import connect

    con = connect(url)
    data = KpiData.from_store(con)

    def hand(sql: str):
        return lambda: con.sql(sql).to_pyarrow()

    return {
        "KPI table (month)": (best_of(lambda: kpi_table(data, PERIOD), repeat), best_of(hand(HAND_KPI), repeat)),
        "A/B per lead": (best_of(lambda: analyze(experiment_id="EXP-LEAD-SCRIPT", con=con, segments=False), repeat),
                         best_of(hand(HAND_AB_LEAD), repeat)),
        "A/B per rep": (best_of(lambda: analyze(experiment_id="EXP-REP-SCRIPT", con=con, segments=False), repeat),
                        best_of(hand(HAND_AB_REP), repeat)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--leads", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--backends", default="duckdb,postgres,spark")
    args = ap.parse_args()
    os.environ.setdefault("LEADLAB_LANG", "en")
    print(f"load average before: {load()}  (cores: {os.cpu_count()})")
    src = ROOT / "build" / "backends_bench" / f"synth_{args.leads}.duckdb"
    t0 = time.perf_counter()
    build(src, args.leads)
    print(f"source store {src} ready in {time.perf_counter() - t0:.1f} s")
    from leadlab.store import connect, copy_store, disconnect

    con = connect(f"duckdb://{src}", read_only=True)
    n_calls = int(con.table("calls").count().to_pyarrow().as_py())
    disconnect(con)
    print(f"{args.leads:,} leads, {n_calls:,} calls")
    work = Path(tempfile.mkdtemp(prefix="leadlab-bench-"))
    server = None
    rows: list[tuple] = []
    try:
        for backend in args.backends.split(","):
            if backend == "duckdb":
                url, copy = f"duckdb://{src}", None
            else:
                if backend == "postgres":
                    import pgserver

                    server = pgserver.get_server(work / "pg", cleanup_mode="delete")
                    url = server.get_uri()
                else:
                    url = f"pyspark://{work / 'spark'}"
                res = copy_store(f"duckdb://{src}", url, progress=False)
                copy = (res.rows, res.seconds)
                print(f"{backend}: copied {res.rows:,} rows in {res.seconds:.1f} s ({res.rows / res.seconds:,.0f} rows/s)")
            for step, (ours, ref) in measure(url, args.repeat).items():
                rows.append((backend, step, ours, ref))
                print(f"  {backend:<9}{step:<20}{ours:>9.2f} s   hand SQL {ref:>8.2f} s   {ours / ref:>6.1f}×", flush=True)
            if copy:
                rows.append((backend, "store copy", copy[1], float("nan")))
    finally:
        if server is not None:
            server.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average after: {load()}")
    print("\n| backend | step | leadlab | hand-written SQL on the backend | ratio |\n|---|---|---|---|---|")
    for backend, step, ours, ref in rows:
        ratio = f"{ours / ref:.1f}×" if ref == ref else ""
        print(f"| {backend} | {step} | {ours:.2f} s | {'' if ref != ref else f'{ref:.2f} s'} | {ratio} |")


if __name__ == "__main__":
    main()
