"""Figures of docs/qa.md: coverage / false-positive rate of the QA statistics by seeded simulation, and
recovery of the synthetic ground truth.

    .venv/bin/python benchmarks/qa_figures.py [duckdb://path/with/qa_reviews.duckdb]

(the store defaults to a fresh `leadlab synth --leads 30000 --seed 42` in a temporary folder).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd

from leadlab.qa import stats


def rep_intervals(n_per_rep: int, reps_runs: int = 60, seed: int = 1) -> dict:
    """PPS samples of n calls from 80 per rep (weights 1/2/4, scores higher on over-sampled calls)."""
    rng = np.random.default_rng(seed)
    cover_raw, cover_sh, bias_naive, bias_w, err_raw, err_sh = [], [], [], [], [], []
    for _ in range(reps_runs):
        theta = rng.normal(0.6, 0.08, 40)
        est, kish, lo, hi, truth, naive, ss, dof = [], [], [], [], [], [], 0.0, 0
        for r in range(40):
            w = rng.choice([1.0, 2.0, 4.0], 80, p=[0.7, 0.2, 0.1])
            y = np.clip(theta[r] + 0.05 * np.log2(w) + rng.normal(0, 0.12, 80), 0, 1)
            pi = stats.inclusion_probabilities(w, n_per_rep)
            idx = stats.systematic_pps(rng, pi)
            e = stats.weighted_mean(y[idx], pi[idx])
            ww = 1 / pi[idx]
            est.append(e.mean); lo.append(e.low); hi.append(e.high); truth.append(y.mean()); naive.append(y[idx].mean())
            kish.append((ww**2).sum() / ww.sum() ** 2)
            ss += (ww * (y[idx] - e.mean) ** 2).sum() / ww.sum() * n_per_rep
            dof += n_per_rep - 1
        truth, est = np.array(truth), np.array(est)
        cover_raw += list((np.array(lo) <= truth) & (truth <= np.array(hi)))
        sh = stats.shrink(est, ss / dof * np.array(kish))
        cover_sh += list((sh.low <= truth) & (truth <= sh.high))
        bias_naive.append(np.mean(np.array(naive) - truth)); bias_w.append(np.mean(est - truth))
        err_raw.append(np.sqrt(np.mean((est - truth) ** 2))); err_sh.append(np.sqrt(np.mean((sh.mean - truth) ** 2)))
    return {"n_per_rep": n_per_rep, "coverage_weighted": np.mean(cover_raw), "coverage_shrunk": np.mean(cover_sh),
            "bias_unweighted": np.mean(bias_naive), "bias_weighted": np.mean(bias_w), "rmse_weighted": np.mean(err_raw),
            "rmse_shrunk": np.mean(err_sh)}


def reviewer_fpr(n_calls: int, runs: int = 1000, seed: int = 5) -> float:
    rng = np.random.default_rng(seed)
    miss = 0
    for _ in range(runs):
        calls = np.repeat(np.arange(n_calls), 2)
        pairs = np.array([rng.choice(4, 2, replace=False) for _ in range(n_calls)]).ravel()
        y = rng.normal(0, 1, n_calls)[calls] + rng.normal(0, 0.5, 2 * n_calls)
        e = stats.reviewer_effects(calls, pairs, y, 4)
        miss += not (e.low[0] <= 0 <= e.high[0])
    return miss / runs


def fleiss_coverage(n_calls: int, runs: int = 300, seed: int = 11) -> float:
    rng = np.random.default_rng(seed)
    p = np.array([0.2, 0.5, 0.3])

    def draw(n):
        latent = rng.choice(3, n, p=p)
        agree = rng.random((n, 2)) < 0.6
        r = np.where(agree, latent[:, None], rng.choice(3, (n, 2), p=p))
        c = np.zeros((n, 3))
        np.add.at(c, (np.repeat(np.arange(n), 2), r.ravel()), 1)
        return c

    target = stats.fleiss_kappa_value(draw(200_000))
    return float(np.mean([(k.low <= target <= k.high) for k in
                          (stats.fleiss_kappa(draw(n_calls), seed=s, n_boot=500) for s in range(runs))]))


def truth_recovery(url: str, truth: dict) -> dict:
    from leadlab.kpi import KpiData
    from leadlab.qa import qa_analysis
    from leadlab.store import connect

    data = KpiData.from_store(connect(url, read_only=True))
    rows, cal = [], []
    for month in truth["months"]:
        r = qa_analysis(data, month)
        f = r.reps.frame
        rows.append(f.assign(truth=f["rep_id"].map(truth["rep_quality"][month])))
        c = r.calibration.frame.assign(truth=lambda d: d["reviewer"].map(truth["reviewer_offset"]), month=month)
        cal.append(c)
    f, c = pd.concat(rows), pd.concat(cal)
    return {
        "rep_months": len(f),
        "coverage_weighted": float(((f["low"] <= f["truth"]) & (f["truth"] <= f["high"])).mean()),
        "coverage_shrunk": float(((f["shrunk_low"] <= f["truth"]) & (f["truth"] <= f["shrunk_high"])).mean()),
        "rmse_weighted": float(np.sqrt(((f["score"] - f["truth"]) ** 2).mean())),
        "rmse_shrunk": float(np.sqrt(((f["shrunk"] - f["truth"]) ** 2).mean())),
        "reviewer_offsets": c[["month", "reviewer", "offset", "low", "high", "truth"]].round(3).to_dict("records"),
        "reviewer_coverage": float(((c["low"] <= c["truth"]) & (c["truth"] <= c["high"])).mean()),
    }


def main() -> None:
    print("load before:", os.getloadavg())
    t0 = time.perf_counter()
    out = {"rep_intervals": [rep_intervals(n) for n in (3, 5, 8)],
           "reviewer_effect_false_positive_rate": {n: reviewer_fpr(n) for n in (10, 25)},
           "fleiss_bootstrap_coverage": {n: fleiss_coverage(n) for n in (30, 80)}}
    if len(sys.argv) > 1:
        url = sys.argv[1]
        truth = json.loads(open(os.path.join(os.path.dirname(url.removeprefix("duckdb://")), "ground_truth.json")).read())["qa"]
    else:
        from leadlab.synth import synthesize

        folder = tempfile.mkdtemp()
        url = f"duckdb://{folder}/s.duckdb"
        truth = synthesize(30000, seed=42, url=url, progress=False)["qa"]
    out["synthetic_truth"] = truth_recovery(url, truth)
    print(json.dumps(out, indent=1, default=float))
    print("seconds:", round(time.perf_counter() - t0, 1), "load after:", os.getloadavg())


if __name__ == "__main__":
    main()
