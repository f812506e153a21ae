"""Benchmark of the experiment engine on a 10 M-row calls table, side by side with tea-tasting.

Generates (seeded numpy, loaded into a temporary DuckDB file) a calls table with a
per-lead arm and a per-rep arm, then times, for per-lead and per-rep randomization, the
same five metrics (connect rate per call, talk seconds per call, SQLs per unit with CUPED
on the prior score, complaints per call, SQLs per connected call):

* **leadlab on the DuckDB table**: ``analyze_table(con.table("calls"), unit=...)``, the
  whole analysis (one grouped query + statistics + result object), CUPED only on SQLs per
  unit (``cuped=["sqls_per_unit"]``, where tea-tasting uses it);
* **tea-tasting** (when installed: ``pip install -e '.[bench]'``): ``Experiment(...).analyze``
  on an Ibis table of the same DuckDB file that sums the calls per unit, with
  ``RatioOfMeans`` for the per-call ratios and ``Mean(covariate=...)`` for SQLs per unit;
* **raw DuckDB GROUP BY**: a hand-written SQL query of exactly the moments the analysis
  uses (per unit, then per arm: counts, sums, squares, the cross-products of the ratios
  and of the CUPED metric with its covariate; a unit is contaminated when its smallest and
  largest arm differ) — the floor;
* **leadlab on a pandas DataFrame** of the same rows: the whole user call
  ``analyze_table(df, ...)``, including the projection, the zero-copy conversion to
  batched Arrow and the registration in DuckDB.

Each time is the median of ``--repeat`` interleaved rounds (a change in machine load hits
every tool alike), as wall time and as CPU time of the process (all threads; less sensitive to
other processes); the machine's load average is printed before and after. The effects of
both tools are printed side by side, so a reader sees they agree.

Goals: leadlab <= 0.9x tea-tasting, leadlab <= 1.1x raw, pandas <= 1.3x the DuckDB-table path.

Last, each tool is timed on a small table (``--fixed-rows``, 20,000 calls), where the query costs
next to nothing: its fixed cost per analysis.

Usage::

    .venv/bin/python benchmarks/ab_bench.py              # 10,000,000 calls
    .venv/bin/python benchmarks/ab_bench.py --rows 2000000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
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


#: Exactly the moments the analysis uses, written by hand as a DuckDB user would: per unit the
#: sums and the arm check (any one arm; the unit is in several arms when the smallest and largest
#: hash of its non-NULL arms differ), then per arm count, sums, squares, the ratio cross-products
#: (numerator x denominator) and CUPED's x moments for SQLs per unit.
RAW = """
WITH u AS (
  SELECT {unit} AS unit, any_value({arm}) AS arm,
         min(CASE WHEN {arm} IS NULL THEN NULL ELSE hash({arm}) END) AS lo,
         max(CASE WHEN {arm} IS NULL THEN NULL ELSE hash({arm}) END) AS hi, count(*)::DOUBLE AS rows_,
         sum(connected)::DOUBLE AS conn, sum(talk_seconds) AS talk,
         sum(qualified)::DOUBLE AS sql, sum(complaint)::DOUBLE AS compl, avg(prior_score) AS x
  FROM calls GROUP BY {unit}
)
SELECT arm, lo <> hi AS several_arms, count(*) AS n,
       sum(rows_), sum(rows_ * rows_),
       sum(conn), sum(conn * conn), sum(conn * rows_),
       sum(talk), sum(talk * talk), sum(talk * rows_),
       sum(sql), sum(sql * sql), sum(sql * conn),
       sum(compl), sum(compl * compl), sum(compl * rows_),
       sum(x), sum(x * x), sum(x * sql)
FROM u GROUP BY 1, 2
"""

METRIC_NAMES = ("connect_rate", "talk_seconds_per_call", "sqls_per_unit", "complaints_per_call",
                "sqls_per_connected_call")


def leadlab_metrics():
    from leadlab.experiments import Metric

    return ["connected", "talk_seconds", Metric("sqls_per_unit", "qualified"), "complaint",
            Metric("sqls_per_connected_call", "qualified", "connected")]


def tea_experiment(arm: str):
    """tea-tasting's experiment of the five metrics (None when tea-tasting is not installed)."""
    try:
        import tea_tasting as tt
    except ImportError:
        return None
    return tt.Experiment(
        connect_rate=tt.RatioOfMeans("connected", "calls"),
        talk_seconds_per_call=tt.RatioOfMeans("talk_seconds", "calls"),
        sqls_per_unit=tt.Mean("qualified", covariate="prior_score"),
        complaints_per_call=tt.RatioOfMeans("complaint", "calls"),
        sqls_per_connected_call=tt.RatioOfMeans("qualified", "connected"),
        variant=arm,
    )


def per_unit(calls, unit: str, arm: str):
    """The Ibis table tea-tasting analyses: the calls summed per unit (one arm per unit)."""
    return calls.group_by(unit).aggregate(
        **{arm: calls[arm].min()}, calls=calls.count(), connected=calls.connected.sum(),
        talk_seconds=calls.talk_seconds.sum(), qualified=calls.qualified.sum(), complaint=calls.complaint.sum(),
        prior_score=calls.prior_score.mean())


def cpu_seconds() -> float:
    """CPU time of this process (all threads, user + system): less sensitive to other processes than wall time."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def median_of(fns: dict, repeat: int) -> tuple[dict[str, float], dict[str, float]]:
    """Median wall and CPU seconds of each function over ``repeat`` rounds, interleaved in each round."""
    wall: dict[str, list[float]] = {k: [] for k in fns}
    cpu: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            c0, t0 = cpu_seconds(), time.perf_counter()
            fn()
            wall[k].append(time.perf_counter() - t0)
            cpu[k].append(cpu_seconds() - c0)
    return ({k: statistics.median(v) for k, v in wall.items()}, {k: statistics.median(v) for k, v in cpu.items()})


def side_by_side(res, tea) -> None:
    """Both tools' effects (treatment - control) and p-values, one line per metric."""
    eff = res.effects.set_index("metric")
    names = dict(zip(["connected", "talk_seconds", "sqls_per_unit", "complaint", "sqls_per_connected_call"],
                     METRIC_NAMES))
    tdf = tea.to_pandas().set_index("metric") if tea is not None else None
    print(f"  {'metric':<26}{'leadlab effect':>16}{'tea effect':>16}{'leadlab p':>11}{'tea p':>11}{'CUPED':>7}")
    for m, row in eff.iterrows():
        t_eff = t_p = float("nan")
        if tdf is not None:
            t = tdf.loc[names[m]]
            t_eff, t_p = float(t["effect_size"]), float(t["pvalue"])
        print(f"  {names[m]:<26}{row.effect:>16.6g}{t_eff:>16.6g}{row.p_value:>11.4f}{t_p:>11.4f}"
              f"{'yes' if row.cuped else 'no':>7}")


def fixed_cost(path: Path, rows: int, metrics, calls_per_tool: int = 15) -> None:
    """CPU per call of each tool on a ``rows``-call table, where the query costs next to nothing:
    the fixed cost of an analysis (building and compiling the query, statistics, result objects).
    The least CPU of ``calls_per_tool`` interleaved calls (the least disturbed by other processes)."""
    import ibis

    from leadlab.experiments import analyze_table

    generate(path, rows)
    con = ibis.duckdb.connect(str(path), read_only=True)
    calls = con.table("calls")
    print(f"fixed cost per call ({rows:,} calls, least CPU of {calls_per_tool} interleaved calls):")
    for label, unit, arm in (("per-lead", "lead_id", "lead_arm"), ("per-rep", "rep_id", "rep_arm")):
        exp = tea_experiment(arm)
        fns = {"leadlab": lambda: analyze_table(calls, arm=arm, unit=unit, metrics=metrics, covariate="prior_score",
                                                cuped=["sqls_per_unit"])}
        if exp is not None:
            fns["tea"] = lambda: exp.analyze(per_unit(calls, unit, arm), control="A")
        best = {k: float("inf") for k in fns}
        for k, fn in fns.items():
            fn()  # warm-up
        for _ in range(calls_per_tool):
            for k, fn in fns.items():
                c0 = cpu_seconds()
                fn()
                best[k] = min(best[k], cpu_seconds() - c0)
        print(f"  {label:<10}" + "  ".join(f"{k} {v * 1e3:.1f} ms" for k, v in best.items()))
    con.disconnect()


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--db", type=Path, help="reuse (or create) this DuckDB file instead of a temporary one")
    ap.add_argument("--fixed-rows", type=int, default=20_000,
                    help="also time each tool on a table this small (its fixed cost per call); 0: skip")
    args = ap.parse_args()

    import duckdb
    import ibis

    from leadlab.experiments import analyze_table

    metrics = leadlab_metrics()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.duckdb"
        if not path.exists():
            t0 = time.perf_counter()
            generate(path, args.rows)
            print(f"generated {args.rows:,} calls in {time.perf_counter() - t0:.1f} s "
                  f"({path.stat().st_size / 1e6:,.0f} MB)")
        con = ibis.duckdb.connect(str(path), read_only=True)
        calls = con.table("calls")
        df = calls.to_pandas()
        print(f"duckdb {duckdb.__version__}, ibis {ibis.__version__}", end="")
        exp_lead = tea_experiment("lead_arm")
        if exp_lead is not None:
            import tea_tasting

            print(f", tea-tasting {tea_tasting.__version__}", end="")
        print(f"; {len(df):,} calls")
        print(f"load average before timing: {load()}")
        print(f"threads: {con.raw_sql('SELECT current_setting(' + repr('threads') + ')').fetchall()[0][0]}, "
              f"cpus: {os.cpu_count()}")
        rows = []
        for label, unit, arm in (("per-lead", "lead_id", "lead_arm"), ("per-rep", "rep_id", "rep_arm")):
            exp = tea_experiment(arm)
            fns = {
                "leadlab": lambda: analyze_table(calls, arm=arm, unit=unit, metrics=metrics, covariate="prior_score",
                                                 cuped=["sqls_per_unit"]),
                "raw": lambda: con.raw_sql(RAW.format(unit=unit, arm=arm)).fetchall(),
                "pandas": lambda: analyze_table(df, arm=arm, unit=unit, metrics=metrics, covariate="prior_score",
                                                cuped=["sqls_per_unit"]),
            }
            if exp is not None:
                fns["tea"] = lambda: exp.analyze(per_unit(calls, unit, arm), control="A")
            warm = {k: fn() for k, fn in fns.items()}  # warm-up, and the results compared below
            res = warm["leadlab"]
            print(f"{label}: {int(res.arms.units.sum()):,} units")
            side_by_side(res, warm.get("tea"))
            rows.append((label, median_of(fns, args.repeat)))
        print()
        print(f"{'design':<10}{'':<6}{'raw DuckDB':>12}{'tea-tasting':>13}{'leadlab':>10}{'pandas in':>11}"
              f"{'lab/tea':>9}{'lab/raw':>9}{'pandas/lab':>12}")
        for label, (wall, cpu) in rows:
            for kind, t in (("wall", wall), ("CPU", cpu)):
                tea = t.get("tea", float("nan"))
                print(f"{label:<10}{kind:<6}{t['raw']:>11.3f}s{tea:>12.3f}s{t['leadlab']:>9.3f}s{t['pandas']:>10.3f}s"
                      f"{t['leadlab'] / tea:>8.2f}x{t['leadlab'] / t['raw']:>8.2f}x{t['pandas'] / t['leadlab']:>11.2f}x")
        print(f"median of {args.repeat} interleaved rounds (wall time; CPU = all threads of this process); goals: "
              f"lab/tea <= 0.9x, lab/raw <= 1.1x, pandas/lab <= 1.3x")
        if args.fixed_rows:
            fixed_cost(Path(tmp) / "fixed.duckdb", args.fixed_rows, metrics)
        print(f"load average after timing: {load()}")


if __name__ == "__main__":
    main()
