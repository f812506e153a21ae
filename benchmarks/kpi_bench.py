"""Benchmark of the KPI engine on a store with ~10 M calls.

1. Builds (once, cached in build/kpi_bench/) a DuckDB store with ~2 M leads and ~10 M
   calls using DuckDB SQL (deterministic hash-based pseudo-random numbers).
2. Times the KPI queries of the monthly KPI table (current month, previous month and
   6 trailing months: calls, lead events, speed-to-lead, spend) through leadlab's Ibis
   expressions, against equivalent hand-written DuckDB SQL, in the same run (goal ≤ 1.5×).
3. Times the whole report computation in Python (``kpi_report``) and the rendered
   monthly report, kernel start included (``leadlab report kpi_report``; goal ≤ 20 s).

Run:  .venv/bin/python benchmarks/kpi_bench.py [--calls 10000000] [--repeat 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

END = "2026-11-20 19:00:00"


def build_store(path: Path, n_calls: int, threads: int, *, memory_limit: str = "2GB",
                chunk_leads: int = 4_000_000) -> None:
    """Write the benchmark store (~n_calls/5 leads, ~n_calls calls, 200 reps, daily spend) to ``path``.

    Everything is generated inside DuckDB from ``range()`` with hash-based pseudo-random numbers
    (deterministic: the same ``n_calls`` gives the same tables), ``chunk_leads`` leads (and their
    calls) per INSERT, under ``memory_limit`` with insertion order not preserved and spilling
    to a temporary folder beside ``path``: memory stays bounded at 100 M calls. Leads won or lost
    after the data end have no won/lost time, and calls after it are not generated."""
    import duckdb

    n_leads = n_calls // 5 + n_calls // 50  # some calls fall after the data end and are dropped
    spill = path.parent / f"{path.name}.spill"
    # settings as connection config, not spliced into SQL (a path may hold a quote)
    con = duckdb.connect(str(path), config={"threads": int(threads), "memory_limit": memory_limit,
                                            "preserve_insertion_order": False, "temp_directory": str(spill)})
    u = lambda salt, col="i": f"((hash({col}, {salt}) % 1000000) / 1000000.0)"  # noqa: E731
    ts = lambda base, days: f"{base} + to_seconds(CAST({days} * 86400 AS BIGINT))"  # noqa: E731
    con.execute("""
    CREATE TABLE reps AS
    SELECT printf('R%04d', i) AS rep_id, printf('rep%04d', i) AS rep_name,
           ['North', 'South', 'East', 'West'][1 + i % 4] AS team, DATE '2024-01-01' AS hired_at,
           30.0 + (i % 20) AS hourly_cost
    FROM range(200) t(i);
    """)
    created = ts("TIMESTAMP '2025-09-22'", f"{u(1)} * 425")

    def leads(lo: int, hi: int) -> str:
        return f"""
    WITH base AS (
      SELECT i, {created} AS created_at,
             {u(2)} AS q, {u(3)} AS d1, {u(4)} AS d2, {u(5)} AS d3, {u(6)} AS d4, CAST(floor({u(7)} * 6) AS INT) AS s
      FROM range({lo}, {hi}) t(i)),
    b AS (
      SELECT *, CASE WHEN q < 0.02 THEN {ts("created_at", "(35 + d4 * 60)")} END AS won_raw,
             CASE WHEN q >= 0.02 AND d4 < 0.9 THEN {ts("created_at", "(20 + d1 * 40)")} END AS lost_raw
      FROM base)
    SELECT printf('L%08d', i) AS lead_id, created_at,
           ['web_form', 'paid_search', 'referral', 'list_purchase', 'event', 'partner'][1 + s] AS source,
           printf('c%d-%d', s, i % 2) AS campaign, ['N', 'S', 'E', 'W'][1 + i % 4] AS region,
           printf('R%04d', CAST(hash(i, 8) % 200 AS INT)) AS rep_id, CAST(10 + hash(i, 9) % 5000 AS BIGINT) AS company_size,
           'it' AS industry, 'manager' AS job_title, CAST(hash(i, 10) % 20 AS BIGINT) AS page_views, 0::BIGINT AS downloads,
           false AS webinar_attended, 0::BIGINT AS email_opens, 50.0 AS prior_score,
           CASE WHEN q < 0.45 THEN {ts("created_at", "d1 * 3")} END AS mql_at,
           CASE WHEN q < 0.10 THEN {ts("created_at", "(3 + d2 * 10)")} END AS sql_at,
           CASE WHEN q < 0.05 THEN {ts("created_at", "(14 + d3 * 20)")} END AS opportunity_at,
           CASE WHEN won_raw <= TIMESTAMP '{END}' THEN won_raw END AS won_at,
           CASE WHEN lost_raw <= TIMESTAMP '{END}' THEN lost_raw END AS lost_at,
           CASE WHEN won_raw <= TIMESTAMP '{END}' THEN 2000 + d2 * 20000 END AS revenue,
           printf('ph%d', hash(i, 11) % {n_leads * 2}) AS phone, printf('em%d', i) AS email, printf('n%d', i) AS contact_name
      FROM b"""

    def calls(lo: int, hi: int) -> str:
        return f"""
    WITH l AS (
      SELECT printf('L%08d', i) AS lead_id, printf('R%04d', CAST(hash(i, 8) % 200 AS INT)) AS rep_id, {created} AS created_at
      FROM range({lo}, {hi}) t(i)),
    c AS (
      SELECT l.lead_id, l.rep_id, l.created_at, k, l.lead_id || '-' || k AS call_id,
             ((hash(l.lead_id, k, 21) % 1000000) / 1000000.0) AS a, ((hash(l.lead_id, k, 22) % 1000000) / 1000000.0) AS b
      FROM l, range(5) r(k)),
    s AS (
      SELECT *, {ts("created_at", "CASE WHEN k = 0 THEN pow(a, 3) * 2 ELSE (k * 2 + a) END")} AS started_at FROM c)
    SELECT call_id, lead_id, rep_id, started_at,
           5 + b * 20 AS ring_seconds,
           CASE WHEN a < 0.30 THEN 30 + b * 300 ELSE 0 END AS talk_seconds,
           CASE WHEN a < 0.30 THEN b * 30 ELSE 0 END AS hold_seconds,
           CASE WHEN a < 0.30 THEN 20 + b * 60 ELSE 0 END AS wrap_seconds,
           CASE WHEN a < 0.03 THEN 'qualified' WHEN a < 0.12 THEN 'callback' WHEN a < 0.27 THEN 'not_interested'
                WHEN a < 0.285 THEN 'wrong_number' WHEN a < 0.2985 THEN 'do_not_call' WHEN a < 0.30 THEN 'complaint'
                WHEN a < 0.60 THEN 'no_answer' WHEN a < 0.75 THEN 'busy' ELSE 'voicemail' END AS disposition,
           a < 0.30 AS connected, a < 0.27 AND a >= 0.0 AND NOT (a >= 0.27) AS conversation,
           CASE WHEN b < 0.5 THEN 'A' ELSE 'B' END AS script
      FROM s WHERE started_at <= TIMESTAMP '{END}'"""

    con.execute(f"CREATE TABLE leads AS {leads(0, 0)}")
    con.execute(f"CREATE TABLE calls AS {calls(0, 0)}")
    for lo in range(0, n_leads, chunk_leads):
        hi = min(lo + chunk_leads, n_leads)
        con.execute(f"INSERT INTO leads {leads(lo, hi)}")
        con.execute(f"INSERT INTO calls {calls(lo, hi)}")
        con.execute("CHECKPOINT")
    con.execute("""
    CREATE TABLE spend AS
    SELECT d::DATE AS date, s.source, s.campaign, 100 + (hash(d, s.campaign) % 500) AS amount
      FROM range(TIMESTAMP '2025-09-22', TIMESTAMP '2026-11-21', INTERVAL 1 DAY) t(d),
           (SELECT DISTINCT source, campaign FROM leads) s;
    """)
    con.close()
    shutil.rmtree(spill, ignore_errors=True)


def hand_sql(periods, reach_periods) -> dict[str, str]:
    """Hand-written DuckDB SQL computing the same aggregates as leadlab.kpi.measures."""
    case = lambda col: "CASE " + " ".join(  # noqa: E731
        f"WHEN {col} >= TIMESTAMP '{p.start}' AND {col} < TIMESTAMP '{p.end}' THEN '{p.label}'" for p in periods) + " END"
    lo, hi = min(p.start for p in periods), max(p.end for p in periods)
    calls = f"""
    SELECT {case('c.started_at')} AS period, count(*) AS dials, sum(connected::INT) AS connected,
           sum(conversation::INT) AS conversations, sum(talk_seconds) AS talk_seconds,
           sum(CASE WHEN connected THEN talk_seconds ELSE 0 END) AS conn_talk_seconds,
           sum(CASE WHEN connected THEN talk_seconds * talk_seconds ELSE 0 END) AS conn_talk_sq,
           sum(CASE WHEN connected THEN talk_seconds + hold_seconds + wrap_seconds ELSE 0 END) AS handle_seconds,
           sum(CASE WHEN connected THEN (talk_seconds + hold_seconds + wrap_seconds) ^ 2 ELSE 0 END) AS handle_sq,
           sum((disposition = 'complaint')::INT) AS complaints,
           sum((disposition = 'do_not_call')::INT) AS dnc,
           sum(ring_seconds + talk_seconds + hold_seconds + wrap_seconds) AS worked_seconds,
           sum((ring_seconds + talk_seconds + hold_seconds + wrap_seconds) / 3600.0 * r.hourly_cost) AS rep_cost
      FROM calls c LEFT JOIN reps r USING (rep_id)
     WHERE c.started_at >= TIMESTAMP '{lo}' AND c.started_at < TIMESTAMP '{hi}'
     GROUP BY 1"""
    rcase = "CASE " + " ".join(
        f"WHEN started_at >= TIMESTAMP '{p.start}' AND started_at < TIMESTAMP '{p.end}' THEN '{p.label}'" for p in reach_periods) + " END"
    rlo, rhi = min(p.start for p in reach_periods), max(p.end for p in reach_periods)
    slo, shi = rlo, rhi  # speed-to-lead is computed for the same (compared) periods as leads dialled
    scase = rcase.replace("started_at", "created_at")
    reach = f"""
    SELECT {rcase} AS period, count(DISTINCT lead_id) AS leads_called
      FROM calls WHERE started_at >= TIMESTAMP '{rlo}' AND started_at < TIMESTAMP '{rhi}'
     GROUP BY 1"""
    events = " UNION ALL ".join(
        f"SELECT {col} AS ts, '{stage}' AS stage, {'coalesce(revenue, 0)' if stage == 'won' else '0.0'} AS value FROM leads WHERE created_at < TIMESTAMP '{hi}'"
        for stage, col in (("new_leads", "created_at"), ("mqls", "mql_at"), ("sqls", "sql_at"),
                           ("opportunities", "opportunity_at"), ("won", "won_at")))
    leads = f"""
    SELECT {case('ts')} AS period, stage, count(*) AS n, sum(value) AS revenue, sum(value * value) AS revenue_sq
      FROM ({events}) e
     WHERE ts IS NOT NULL AND ts >= TIMESTAMP '{lo}' AND ts < TIMESTAMP '{hi}'
     GROUP BY 1, 2"""
    speed = f"""
    WITH f AS (SELECT lead_id, min(started_at) AS first_call FROM calls
                WHERE started_at >= TIMESTAMP '{slo}'
                  AND lead_id IN (SELECT lead_id FROM leads WHERE created_at >= TIMESTAMP '{slo}' AND created_at < TIMESTAMP '{shi}')
                GROUP BY 1),
         j AS (SELECT l.created_at, (epoch(f.first_call) - epoch(l.created_at)) / 60.0 AS r, l.sql_at
                 FROM leads l LEFT JOIN f USING (lead_id)
                WHERE l.created_at >= TIMESTAMP '{slo}' AND l.created_at < TIMESTAMP '{shi}')
    SELECT {scase} AS period, count(*) AS sp_leads, count(r) AS sp_called,
           sum((r <= 5)::INT) AS reached_5m, sum((r <= 60)::INT) AS reached_1h, sum((r <= 1440)::INT) AS reached_24h,
           quantile_cont(r, 0.5) AS response_median_min, quantile_cont(r, 0.9) AS response_p90_min
      FROM j GROUP BY 1"""
    spend = f"""
    SELECT {case('date::TIMESTAMP')} AS period, source, campaign, sum(amount) AS spend
      FROM spend WHERE date::TIMESTAMP >= TIMESTAMP '{lo}' AND date::TIMESTAMP < TIMESTAMP '{hi}'
     GROUP BY 1, 2, 3"""
    return {"calls": calls, "leads dialled": reach, "lead events": leads, "speed-to-lead": speed, "spend": spend}


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="DuckDB threads (the goal is stated for 2 cores)")
    ap.add_argument("--no-render", action="store_true", help="skip the rendered-report timing")
    args = ap.parse_args()

    folder = ROOT / "build" / "kpi_bench"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"calls_{args.calls}.duckdb"
    if not path.exists():
        t = time.perf_counter()
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        build_store(tmp, args.calls, max(args.threads, 2))
        tmp.rename(path)
        print(f"built {path} in {time.perf_counter() - t:.1f} s")

    import duckdb

    from leadlab.kpi import KpiData
    from leadlab.kpi.measures import call_measures, lead_measures, reach_measures, spend_measures, speed_measures
    from leadlab.kpi.report import kpi_report
    from leadlab.store import connect

    con = connect(f"duckdb://{path}", read_only=True)
    con.raw_sql(f"SET threads={args.threads}")
    data = KpiData.from_store(con)
    n_calls = con.table("calls").count().to_pyarrow().as_py()
    n_leads = con.table("leads").count().to_pyarrow().as_py()
    print(f"store: {n_calls:,} calls, {n_leads:,} leads; DuckDB threads={args.threads}; "
          f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    per = data.period("2026-10")
    periods = [per.shift(-i) for i in range(0, 7)]  # current, previous (= first trailing), 6 trailing

    raw = duckdb.connect(str(path), read_only=True)
    raw.execute(f"SET threads={args.threads}")
    reach = [per, per.previous()]
    sql = hand_sql(sorted(periods, key=lambda p: p.start), reach)
    ours = {"calls": lambda: call_measures(data, periods, distinct=False), "leads dialled": lambda: reach_measures(data, reach),
            "lead events": lambda: lead_measures(data, periods),
            "speed-to-lead": lambda: speed_measures(data, reach), "spend": lambda: spend_measures(data, periods)}
    print(f"\nKPI queries of the monthly KPI table for {per.label} + 6 trailing months (best of {args.repeat}):")
    print(f"  {'query':<16}{'leadlab (s)':>12}{'hand SQL (s)':>14}{'ratio':>8}")
    tot_a = tot_b = 0.0
    for name in ours:
        ours[name]()  # warm-up (metadata, caches) for both
        raw.execute(sql[name]).df()
        a = best_of(ours[name], args.repeat)
        b = best_of(lambda: raw.execute(sql[name]).df(), args.repeat)
        tot_a, tot_b = tot_a + a, tot_b + b
        print(f"  {name:<16}{a:>12.3f}{b:>14.3f}{a / b:>8.2f}")
    print(f"  {'total':<16}{tot_a:>12.3f}{tot_b:>14.3f}{tot_a / tot_b:>8.2f}   (goal ≤ 1.5)")

    t = time.perf_counter()
    kpi_report(KpiData.from_store(con), "2026-10")
    print(f"\nwhole report computation in Python (kpi_report, all sections, cold cache): {time.perf_counter() - t:.2f} s")
    raw.close()
    con.disconnect()

    if args.no_render:
        return
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / "notebooks").mkdir()
        shutil.copy(ROOT / "notebooks" / "kpi_report.ipynb", home / "notebooks")
        env = dict(os.environ, LEADLAB_HOME=str(home), LEADLAB_DB=f"duckdb://{path}")
        leadlab = Path(sys.executable).with_name("leadlab")
        cmd = [str(leadlab), "report", "kpi_report", "--period", "2026-10", "--quiet"]
        if not leadlab.exists():
            cmd = [sys.executable, "-m", "leadlab.cli", "report", "kpi_report", "--period", "2026-10", "--quiet"]
        t = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t
        ok = done.returncode == 0 and (home / "reports" / "kpi_report" / "2026-10.html").exists()
        print(f"rendered monthly KPI report (leadlab report kpi_report, kernel start included): {wall:.1f} s "
              f"{'ok' if ok else 'FAILED'}   (goal ≤ 20 s)")
        if not ok:
            print(done.stdout[-2000:], done.stderr[-2000:])


if __name__ == "__main__":
    main()
