"""Lead-scorer benchmark: train on 1 M leads x 25 features, score 10 M leads from a store,
and the bank-marketing backtest.

Run: ``.venv/bin/python benchmarks/score_bench.py`` (``--train-rows``, ``--score-rows`` to change
sizes, ``--threads`` for OpenMP threads, ``--skip-bank``). ``--workdir DIR`` keeps the generated
store and the trained models in DIR and reuses them on later runs (training is then not timed
again: delete a model file to retrain), so ``score apply`` alone can be re-timed:
``benchmarks/score_bench.py --workdir /tmp/sb --kinds hgb --skip-select --skip-bank --threads 2``. Each phase runs in its own process so
its peak memory (max RSS) is its own. The leads are generated inside DuckDB with SQL (hash-based
pseudo-random numbers, deterministic): the full synthetic generator (``leadlab synth``) builds calls,
funnel and experiments too and would take far longer at 10 M leads, so it is not used here.

Figures are printed with a reference measured in the same run:
- training: ``LeadScorer.fit`` vs one plain fit of its underlying model on the same encoded matrix
  (LeadScorer fits twice: once before calibration, once on all rows after it). Gradient boosting
  uses :data:`HGB_FAST` here (80 larger trees instead of up to 500 small ones): prediction cost
  grows with the number of trees, and 10 M leads in 25 s leaves 2.5 µs per lead;
- scoring: ``leadlab score apply`` vs a bare DuckDB scan of the same columns into Arrow batches.
  Scoring takes the Arrow fast path: no pandas; the logistic model is evaluated as array arithmetic
  (``LeadScorer.linear_terms``), gradient boosting bins the encoded columns straight to uint8
  (:mod:`leadlab.scoring.boosting`) and evaluates the trees by leaf masks (:mod:`leadlab.scoring.leafmasks`);
- ``score train`` (``SELECT`` line, skip with ``--skip-select``): :func:`train_scorer` with its
  defaults on the training rows — model selection, holdout evaluation and refit included.
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

N_NUM, N_CAT, N_BOOL = 14, 8, 2  # + created_at (3 parts) = 25 model inputs


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_store(path: Path, n: int) -> float:
    """A DuckDB leads table of ``n`` rows with a known logistic truth; returns seconds."""
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect(str(path))
    con.execute("SET preserve_insertion_order = false")
    u = lambda k: f"((hash(i * {N_NUM + N_CAT + N_BOOL + 3} + {k}) % 1000003) / 1000003.0)"  # noqa: E731
    cols = ["'L' || lpad(i::VARCHAR, 9, '0') AS lead_id",
            "TIMESTAMP '2025-01-01' + to_seconds((i * 3)::BIGINT) AS created_at"]
    logit = ["-2.2"]
    for k in range(N_NUM):
        if k % 3 == 0:
            cols.append(f"floor(-ln({u(k)} + 1e-9) * {k + 2})::BIGINT AS num{k}")  # count-like
            logit.append(f"{0.25 if k < 6 else 0.0} * ln(1 + num{k})")
        else:
            cols.append(f"({u(k)} * 100)::DOUBLE AS num{k}")
            logit.append(f"{0.012 if k < 6 else 0.0} * (num{k} - 50)")
    for k in range(N_CAT):
        card = [6, 12, 40, 4, 8, 30, 3, 100][k]
        cols.append(f"'c{k}_' || (hash(i * 97 + {k}) % {card})::VARCHAR AS cat{k}")
        if k < 4:
            logit.append(f"((((hash(i * 97 + {k}) % {card})::BIGINT * 7919) % 11) - 5) * 0.08")
    for k in range(N_BOOL):
        cols.append(f"{u(50 + k)} < 0.3 AS flag{k}")
        logit.append(f"CASE WHEN flag{k} THEN 0.4 ELSE 0 END")
    con.execute(f"CREATE TABLE leads AS SELECT * EXCLUDE (i), "
                f"{u(99)} < 1 / (1 + exp(-({' + '.join(logit)}))) AS converted "
                f"FROM (SELECT i, {', '.join(cols)} FROM range({n}) t(i))")
    con.close()
    return time.perf_counter() - t0


#: Gradient-boosting settings for scale: fewer, larger trees (prediction cost grows with the tree count).
HGB_FAST = {"learning_rate": 0.2, "max_leaf_nodes": 31, "max_iter": 80, "min_samples_leaf": 200}


def phase_train(store: Path, rows: int, model_path: Path, threads: int, kind: str) -> dict:
    import duckdb
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    from leadlab.scoring.grades import bands_from_scores, quartile_cuts
    from leadlab.scoring.model import LeadScorer
    from leadlab.scoring.persist import ScorerModel, _versions
    import skops.io as sio

    con = duckdb.connect(str(store), read_only=True)
    df = con.execute(f"SELECT * FROM leads ORDER BY created_at LIMIT {rows}").df()
    con.close()
    y = df.pop("converted").to_numpy().astype(int)
    X = df.drop(columns=["lead_id"])
    load_mb = _peak_mb()
    num = [c for c in X if c.startswith("num")]
    cat = [c for c in X if c.startswith("cat")]
    boo = [c for c in X if c.startswith("flag")]
    params = HGB_FAST if kind == "hgb" else {}
    scorer = LeadScorer(model_kind=kind, time_col="created_at", numeric=num, categorical=cat, boolean=boo,
                        timestamp=["created_at"], n_threads=threads or None, random_state=0, **params)
    t0 = time.perf_counter()
    scorer.fit(X, y)
    fit_s = time.perf_counter() - t0
    fit_mb = _peak_mb()
    # reference: one plain fit of the underlying model on the encoded matrix, same settings
    from sklearn.base import clone

    Xt = scorer.features_.transform(X)
    ref = clone(scorer.model_)
    from leadlab.scoring.model import _threads

    with threadpool_limits(_threads(threads or None), user_api="openmp"):
        t0 = time.perf_counter()
        ref.fit(Xt, y)
        ref_s = time.perf_counter() - t0
    s = scorer.score_0_100(X.iloc[:200_000])
    from leadlab.scoring.evaluate import auc, metrics

    # holdout: the 200,000 leads created after the training rows (score apply's fitness gate reads these)
    con = duckdb.connect(str(store), read_only=True)
    test = con.execute(f"SELECT * FROM leads ORDER BY created_at LIMIT 200000 OFFSET {rows}").df()
    con.close()
    y_test = test.pop("converted").to_numpy().astype(int)
    held = metrics(y_test, scorer.predict_proba(test.drop(columns=["lead_id"]))[:, 1]) if len(test) else {}
    meta = {"model_version": f"bench-{kind}", "bands": bands_from_scores(s), "priority_cuts": quartile_cuts(s),
            "time_col": "created_at", "versions": _versions(), "metrics": held, "baseline": {}}
    sio.dump({"scorer": scorer, "meta": json.dumps(meta)}, model_path)
    return {"kind": kind, "rows": rows, "features": Xt.shape[1], "fit_seconds": round(fit_s, 1), "n_iter": scorer.n_iter_,
            "reference_hgb_seconds": round(ref_s, 1), "ratio": round(fit_s / ref_s, 2),
            "peak_mb_after_load": round(load_mb), "peak_mb": round(fit_mb),
            "train_auc_sample": round(auc(y[:200_000], s), 3), "holdout_auc": round(held.get("roc_auc", float("nan")), 3)}


def phase_select(store: Path, rows: int, threads: int) -> dict:
    """``leadlab score train``'s work on ``rows`` leads: :func:`train_scorer` with its defaults
    (model_kind auto: logistic and boosting compared on a validation fold, the winner fit with its
    calibration share and refit, holdout evaluation with bootstrap intervals, the refit on every row),
    timed as a whole and by step (the two candidate fits are timed inside LeadScorer.fit)."""
    import duckdb

    from leadlab.scoring import fitting
    from leadlab.scoring.train import train_scorer

    con = duckdb.connect(str(store), read_only=True)
    df = con.execute(f"SELECT * FROM leads ORDER BY created_at LIMIT {rows}").df()
    con.close()
    steps: dict[str, float] = {}
    for name in ("fit_holdout", "refit_all"):  # time the two fitting steps (the first includes the selection)
        def timed(*args, _f=getattr(fitting, name), _n=name, **kw):
            t = time.perf_counter()
            out = _f(*args, **kw)
            steps[_n] = round(time.perf_counter() - t, 1)
            return out
        setattr(fitting, name, timed)
    from leadlab.scoring.model import LeadScorer

    select = LeadScorer._select_kind

    def timed_select(self, *args, **kw):
        t = time.perf_counter()
        out = select(self, *args, **kw)
        steps["selection"] = round(time.perf_counter() - t, 1)
        return out
    LeadScorer._select_kind = timed_select
    load = os.getloadavg()[0]
    c0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    res = train_scorer(df, target="converted", time_col="created_at",
                       scorer_params={"n_threads": threads} if threads else None)
    wall = time.perf_counter() - t0
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    return {"rows": rows, "seconds": round(wall, 1), "cpu_seconds": round(c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime, 1),
            "steps": steps, "chosen": res.model_kind, "candidates": res.model_choice["candidates"],
            "holdout_auc": round(res.metrics["roc_auc"], 3), "peak_mb": round(_peak_mb()),
            "load_average": [round(load, 1), round(os.getloadavg()[0], 1)]}


def _time_phases(spent: dict) -> None:
    """Wrap the steps of ``score apply`` so each adds its wall and process CPU seconds to
    ``spent[step]``: read (the DuckDB scan into Arrow batches), encode (text columns to codes,
    numbers to floats), bin (to the model's uint8 bins), trees (the tree evaluation), write (the
    staging insert). Appends are made inline so that steps do not overlap; the rest of the
    apply time (calibration, grades, the publish) is ``other``."""
    import functools

    from leadlab.scoring import apply, boosting, features

    def timed(name, f):
        @functools.wraps(f)
        def run(*a, **k):
            w, c = time.perf_counter(), _cpu()
            try:
                return f(*a, **k)
            finally:
                spent.setdefault(name, [0.0, 0.0])
                spent[name][0] += time.perf_counter() - w
                spent[name][1] += _cpu() - c
        return run

    real_read = apply.read_batches

    def read(*a, **k):
        it = iter(real_read(*a, **k))
        step = timed("read", lambda: next(it, None))
        while (b := step()) is not None:
            yield b

    apply.read_batches = read
    apply.appends_beside_reads = lambda con: False
    apply.append_arrow = timed("write", apply.append_arrow)
    for name in ("arrow_codes", "transform_arrow", "unseen_counts_arrow"):
        setattr(features.FeatureFrame, name, timed("encode", getattr(features.FeatureFrame, name)))
    boosting.BinnedBooster.bins = timed("bin", boosting.BinnedBooster.bins)
    boosting.BinnedBooster.raw_binned = timed("trees", boosting.BinnedBooster.raw_binned)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def phase_score(store: Path, model_path: Path, chunk: int, threads: int, phases: bool = False) -> dict:
    import json as _json

    import ibis
    import skops.io as sio

    from leadlab.scoring.apply import apply_scores
    from leadlab.scoring.persist import TRUSTED_TYPES, ScorerModel

    obj = sio.load(model_path, trusted=TRUSTED_TYPES)
    obj["scorer"].n_threads = threads or None  # an attribute: set_params would ask every parameter of a possibly older model file
    model = ScorerModel(obj["scorer"], _json.loads(obj["meta"]))
    con = ibis.duckdb.connect(str(store))
    con.raw_sql("SET memory_limit = '1GB'")
    load = os.getloadavg()[0]
    # reference: scan the same columns into Arrow batches, nothing else
    cols = ", ".join(["lead_id"] + model.input_columns)
    t0 = time.perf_counter()
    reader = con.con.cursor().execute(f"SELECT {cols} FROM leads").to_arrow_reader(chunk)
    n_ref = sum(b.num_rows for b in reader)
    scan_s = time.perf_counter() - t0
    spent: dict[str, list[float]] = {}
    if phases:
        _time_phases(spent)
    c0 = resource.getrusage(resource.RUSAGE_SELF)
    res = apply_scores(model, con, chunk_rows=chunk)
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    if phases:
        cpu = c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime
        spent["other"] = [res.seconds - sum(w for w, _c in spent.values()), cpu - sum(c for _w, c in spent.values())]
    n = con.table("lead_scores").count().execute()
    # order-free fingerprint of every (lead, score) pair: equal across runs iff the scores are bit-identical
    checksum = con.con.execute("SELECT bit_xor(hash(lead_id, score)) FROM lead_scores").fetchone()[0]
    grades = res.grades
    con.disconnect()
    return {"kind": model.meta["model_version"], "rows": res.rows, "rows_in_lead_scores": int(n), "chunks": res.chunks, "chunk_rows": chunk,
            "apply_seconds": round(res.seconds, 1), "reference_scan_seconds": round(scan_s, 1),
            "ratio": round(res.seconds / scan_s, 1), "leads_per_second": round(res.rows / res.seconds),
            "peak_mb": round(_peak_mb()), "scan_rows": n_ref, "grades": grades, "load_average": round(load, 1),
            "checksum": f"{checksum:016x}",
            "phases": {k: {"wall": round(w, 1), "cpu": round(c, 1)} for k, (w, c) in spent.items()},
            "cpu_seconds": round(c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime, 1),
            "load_average_end": round(os.getloadavg()[0], 1)}


def phase_bank() -> dict:
    from leadlab.scoring.train import train_scorer

    path = Path(__file__).resolve().parents[2] / "shared" / "data" / "bank-additional-full.csv"
    if not path.exists():
        return {"skipped": f"{path} not found"}
    out = {}
    for split, kind in [("random", "hgb"), ("random", "logistic"), ("time", "hgb"), ("time", "logistic")]:
        t0 = time.perf_counter()
        r = train_scorer(str(path), target="y", time_col=None, split=split, model_kind=kind, n_boot=200, refit=False)
        out[f"{split}/{kind}"] = {
            "roc_auc": round(r.metrics["roc_auc"], 3), "ci95": [round(v, 3) for v in r.ci["roc_auc"]],
            "pr_auc": round(r.metrics["pr_auc"], 3), "ece": round(r.metrics["ece"], 3),
            "lift_top_decile": round(r.metrics["lift_top_decile"], 2),
            "baseline": f"{r.baseline_name} {r.baseline['roc_auc']:.3f}",
            "excluded_leakage": sorted(r.plan.leakage),
            "psi_top": {row.feature: round(row.psi, 2) for row in r.drift.head(6).itertuples()},
            "score_psi": round(float(r.drift.set_index("feature").psi["score"]), 2),
            "seconds": round(time.perf_counter() - t0, 1),
        }
    return out


def _child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"phase {args[:2]} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train-rows", type=int, default=1_000_000)
    ap.add_argument("--score-rows", type=int, default=10_000_000)
    ap.add_argument("--chunk-rows", type=int, default=500_000)
    ap.add_argument("--threads", type=int, default=0,
                    help="OpenMP threads; 0 = LeadScorer's default (all cores, one when the machine is busy).")
    ap.add_argument("--skip-bank", action="store_true")
    ap.add_argument("--phases", action="store_true",
                    help="Also time score apply step by step (read, encode, bin, trees, write; appends inline) in a second run.")
    ap.add_argument("--workdir", type=Path, help="Keep the store and models here and reuse them (default: a temporary folder).")
    ap.add_argument("--kinds", default="logistic,hgb", help="Model kinds to benchmark (comma-separated).")
    ap.add_argument("--skip-select", action="store_true", help="Skip timing score train's model selection.")
    ap.add_argument("--phase", choices=["train", "score", "bank", "select"], help=argparse.SUPPRESS)
    ap.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.phase == "train":
        print(json.dumps(phase_train(a.store, a.train_rows, a.model, a.threads, a.kinds)))
        return
    if a.phase == "score":
        print(json.dumps(phase_score(a.store, a.model, a.chunk_rows, a.threads, a.phases)))
        return
    if a.phase == "select":
        print(json.dumps(phase_select(a.store, a.train_rows, a.threads)))
        return
    if a.phase == "bank":
        print(json.dumps(phase_bank()))
        return
    sys.stdout.reconfigure(line_buffering=True)
    from leadlab.scoring.model import _threads

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; "
          f"OpenMP threads {a.threads or f'auto ({_threads(None)} now)'}")
    with tempfile.TemporaryDirectory(prefix="score_bench_") as tmp:
        folder = a.workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        store = folder / f"leads_{a.score_rows}.duckdb"
        if store.exists():
            print(f"reused the {a.score_rows:,}-lead store {store}")
        else:
            secs = make_store(store, a.score_rows)
            print(f"built a {a.score_rows:,}-lead DuckDB store in {secs:.1f} s ({store.stat().st_size / 1e9:.2f} GB)")
        result = {"train": [], "score": []}
        for kind in a.kinds.split(","):
            model = folder / f"model_{kind}_{a.train_rows}.skops"
            if model.exists():
                print(f"TRAIN  {kind:<8} reused the model {model} (not timed)")
            else:
                tr = _child(["--phase", "train", "--store", str(store), "--model", str(model), "--kinds", kind,
                             "--train-rows", str(a.train_rows), "--threads", str(a.threads)])
                print(f"TRAIN  {kind:<8} {tr['rows']:,} leads x {tr['features']} features: LeadScorer.fit {tr['fit_seconds']} s "
                      f"(goal <= 60 s; {tr['n_iter']} iterations), reference single fit {tr['reference_hgb_seconds']} s, "
                      f"ratio {tr['ratio']}; peak memory {tr['peak_mb']} MB ({tr['peak_mb_after_load']} MB after loading); "
                      f"holdout ROC AUC {tr['holdout_auc']}")
                result["train"].append(tr)
            sc = _child(["--phase", "score", "--store", str(store), "--model", str(model),
                         "--chunk-rows", str(a.chunk_rows), "--threads", str(a.threads)])
            print(f"SCORE  {kind:<8} {sc['rows']:,} leads from the store into lead_scores ({sc['chunks']} chunks of "
                  f"{sc['chunk_rows']:,}): {sc['apply_seconds']} s (goal <= 25 s), CPU {sc['cpu_seconds']} s, "
                  f"{sc['leads_per_second']:,} leads/s; "
                  f"reference bare scan {sc['reference_scan_seconds']} s, ratio {sc['ratio']}; "
                  f"peak memory {sc['peak_mb']} MB (goal <= 2048 MB); load average {sc['load_average']} -> "
                  f"{sc['load_average_end']}; grades {sc['grades']}; scores checksum {sc['checksum']}",
                  flush=True)
            result["score"].append(sc)
            if a.phases:
                ph = _child(["--phase", "score", "--store", str(store), "--model", str(model), "--phases",
                             "--chunk-rows", str(a.chunk_rows), "--threads", str(a.threads)])
                steps = ", ".join(f"{k} {v['wall']} s / {v['cpu']} CPU-s" for k, v in ph["phases"].items())
                print(f"PHASES {kind:<8} score apply step by step (appends inline): {ph['apply_seconds']} s, "
                      f"CPU {ph['cpu_seconds']} s: {steps}; load average {ph['load_average']} -> {ph['load_average_end']}")
                result["score_phases"] = ph
        if not a.skip_select:
            se = _child(["--phase", "select", "--store", str(store), "--train-rows", str(a.train_rows),
                         "--threads", str(a.threads)])
            print(f"SELECT train_scorer (score train: auto = logistic vs boosting, holdout, refit) on {se['rows']:,} "
                  f"leads: {se['seconds']} s (goal <= 60 s), CPU {se['cpu_seconds']} s, steps {se['steps']}; chose "
                  f"{se['chosen']} {se['candidates']}; holdout ROC AUC {se['holdout_auc']}; peak memory "
                  f"{se['peak_mb']} MB; load average {se['load_average']}")
            result["select"] = se
        result["load_average_end"] = os.getloadavg()[0]
    if not a.skip_bank:
        bank = _child(["--phase", "bank"])
        result["bank"] = bank
        for k, v in bank.items():
            if isinstance(v, dict):
                print(f"BANK   {k:<15} ROC AUC {v['roc_auc']} {v['ci95']}, lift@10% {v['lift_top_decile']}, "
                      f"ECE {v['ece']}, leakage {v['excluded_leakage']}, score PSI {v['score_psi']}, "
                      f"top PSI {v['psi_top']}")
            else:
                print(f"BANK   {v}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
