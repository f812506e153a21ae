"""Benchmark of the experiment engine on a 10 M-row calls table.

Generates (seeded numpy, loaded into a temporary DuckDB file) a calls table with a
per-lead arm and a per-rep arm, then times, for per-lead and per-rep randomization:

* **leadlab on the DuckDB table**: ``analyze_table(con.table("calls"), unit=...)`` with
  5 metrics (connect rate per call, talk seconds per call, SQLs per lead with CUPED on
  the lead's prior score, complaints per call, SQLs per connected call), i.e. the whole
  analysis: one grouped query + statistics + result object;
* **raw DuckDB GROUP BY**: a hand-written SQL query computing the same sums (per unit,
  then per arm: counts, sums, squares, cross-products, covariate moments; a unit is
  contaminated when its smallest and largest arm differ) — the floor;
* **leadlab on a pandas DataFrame** of the same rows: the whole user call
  ``analyze_table(df, ...)``, including projecting the frame to the columns the analysis
  reads, the zero-copy conversion to batched Arrow and the registration in DuckDB.

The machine's load average is printed before and after (other processes distort timings).

Prints each time (best of ``--repeat`` interleaved rounds) and the ratios leadlab/raw (goal <= 1.3) and
pandas/DuckDB-table (goal <= 1.5).

Usage::

    .venv/bin/python benchmarks/ab_bench.py              # 10,000,000 calls
    .venv/bin/python benchmarks/ab_bench.py --rows 2000000 --repeat 2
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def generate(path: Path, rows: int, seed: int = 42):
    import duckdb
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    con = duckdb.connect(str(path))
    leads = rows // 5
    reps = 400
    lead_arm = rng.integers(0, 2, leads).astype(np.int8)
    rep_arm = rng.integers(0, 2, reps).astype(np.int8)
    prior = rng.gamma(3.0, 10.0, leads)
    rep_skill = rng.normal(0, 0.4, reps)
    chunk = 2_000_000
    first = True
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        i = np.arange(start, start + n)
        lead = i // 5
        rep = lead % reps
        connected = rng.random(n) < 1 / (1 + np.exp(-(-0.85 + rep_skill[rep])))
        talk = np.where(connected, rng.gamma(2.0, 40.0, n), 0.0)
        p_sql = 1 / (1 + np.exp(-(-3.0 + 0.03 * prior[lead] + 0.1 * lead_arm[lead] + rep_skill[rep])))
        qualified = connected & (rng.random(n) < p_sql)
        complaint = connected & (rng.random(n) < 0.003)
        tbl = pa.table({
            "call_id": i, "lead_id": lead, "rep_id": rep,
            "lead_arm": np.where(lead_arm[lead] == 1, "B", "A"), "rep_arm": np.where(rep_arm[rep] == 1, "B", "A"),
            "connected": connected.astype(np.int8), "talk_seconds": talk, "qualified": qualified.astype(np.int8),
            "complaint": complaint.astype(np.int8), "prior_score": prior[lead],
        })
        if first:
            con.execute("CREATE TABLE calls AS SELECT * FROM tbl")
            first = False
        else:
            con.execute("INSERT INTO calls SELECT * FROM tbl")
    con.execute("CHECKPOINT")
    con.close()


RAW = """
WITH u AS (
  SELECT {unit} AS unit, min({arm}) AS arm, max({arm}) AS max_arm, count(*)::DOUBLE AS rows_,
         sum(connected)::DOUBLE AS conn, sum(talk_seconds) AS talk, sum(talk_seconds * talk_seconds) AS talk_sq,
         sum(qualified)::DOUBLE AS sql, sum(complaint)::DOUBLE AS compl, avg(prior_score) AS x
  FROM calls GROUP BY {unit}
)
SELECT CASE WHEN arm <> max_arm THEN '__several__' ELSE arm END AS arm, count(*) AS n,
       sum(rows_) AS s_rows, sum(rows_ * rows_) AS ss_rows,
       sum(conn), sum(conn * conn), sum(conn * rows_),
       sum(talk), sum(talk * talk), sum(talk * rows_), sum(talk_sq),
       sum(sql), sum(sql * sql), sum(sql * conn),
       sum(compl), sum(compl * compl), sum(compl * rows_),
       sum(x), sum(x * x), sum(x * sql), sum(x * rows_), sum(x * conn), sum(x * talk), sum(x * compl)
FROM u GROUP BY 1
"""


def best_of(fns, repeat: int) -> list[float]:
    """Best time of each function over ``repeat`` rounds, the functions interleaved in each
    round so a change in machine load hits them alike."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import ibis

    from leadlab.experiments import Metric, analyze_table

    metrics = [
        "connected",  # connect rate per call (ratio over rows)
        "talk_seconds",  # talk seconds per call (ratio)
        Metric("sqls_per_unit", "qualified"),  # per-unit mean of the unit's SQLs (CUPED)
        "complaint",  # complaints per call
        Metric("sqls_per_connected_call", "qualified", "connected"),  # ratio of sums
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        t0 = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {args.rows:,} calls in {time.perf_counter() - t0:.1f} s ({path.stat().st_size / 1e6:,.0f} MB)")
        con = ibis.duckdb.connect(str(path), read_only=True)
        calls = con.table("calls")
        df = calls.to_pandas()
        print(f"load average before timing: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"threads: {con.raw_sql('SELECT current_setting(' + repr('threads') + ')').fetchone()[0]}, cpus: {os.cpu_count()}")
        rows = []
        for label, unit, arm in (("per-lead", "lead_id", "lead_arm"), ("per-rep", "rep_id", "rep_arm")):
            def lead_lab(t=calls):
                return analyze_table(t, arm=arm, unit=unit, metrics=metrics, covariate="prior_score")

            def raw():
                return con.raw_sql(RAW.format(unit=unit, arm=arm)).fetchall()

            def pandas_lab():
                return analyze_table(df, arm=arm, unit=unit, metrics=metrics, covariate="prior_score")

            res = lead_lab()  # warm-up, and a sanity check of the result
            raw()
            pandas_lab()
            t_lab, t_raw, t_pd = best_of([lead_lab, raw, pandas_lab], args.repeat)
            rows.append((label, t_raw, t_lab, t_pd))
            eff = res.effects.set_index("metric")
            print(f"{label}: {int(res.arms.units.sum()):,} units; SQLs per unit effect "
                  f"{eff.loc['sqls_per_unit', 'effect']:+.4f} (CUPED variance reduction "
                  f"{eff.loc['sqls_per_unit', 'variance_reduction']:.0%})")
        print()
        print(f"{'design':<10}{'raw DuckDB':>12}{'leadlab':>10}{'pandas in':>11}{'leadlab/raw':>13}{'pandas/duckdb':>15}")
        for label, t_raw, t_lab, t_pd in rows:
            print(f"{label:<10}{t_raw:>11.2f}s{t_lab:>9.2f}s{t_pd:>10.2f}s{t_lab / t_raw:>12.2f}x{t_pd / t_lab:>14.2f}x")
        print("goals: leadlab/raw <= 1.3x, pandas/duckdb <= 1.5x")
        print(f"load average after timing: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
