"""Issue 8 audit of the KPI engine's statistics: seeded simulations at demo sizes, before
(the methods that were replaced, still importable) and after (the current ones).

    .venv/bin/python benchmarks/kpi_audit.py            # all three sections
    .venv/bin/python benchmarks/kpi_audit.py scorecard  # or: counts, cycle

* scorecard: coverage of the reps' 95% intervals, 40 reps, demo-sized counts (dials 167–377,
  connect 33%, conversation 94.3% of connects, 48–78 owned leads, SQL 8.5%), true rates
  spread with SD 0 / 1 / 2 / 3 pp;
* counts: false-positive rate of "significant change" (and of the control chart) on
  stationary months of negative-binomial daily counts, dispersion 1.5 and 3;
* cycle: median time to win among won deals, truth vs naive Kaplan–Meier (lost dropped)
  vs Aalen–Johansen cumulative incidence.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from leadlab.kpi.simulate import RATE_MEANS as RATE_SIZES, simulate_reps  # noqa: E402


def scorecard_coverage(spread: float, sims: int, seed: int, method: str, truth: str = "logit") -> dict[str, float]:
    """Share of reps whose 95% interval holds the true rate, per rate."""
    from leadlab.kpi import stats

    rng = np.random.default_rng(seed)
    hits = {k: [] for k in RATE_SIZES}
    zero_width = 0
    for _ in range(sims):
        for k, (x, n, p) in simulate_reps(rng, spread, truth=truth).items():
            if method == "before":
                a, b = stats.fit_beta_prior(x, n)
                lo, hi = stats.beta_interval(a + x, b + n - x)
            else:
                fit = stats.fit_hier_beta(x, n)
                draws, _, _ = fit.draws(rng, 4000)
                lo, hi = np.quantile(draws, [0.025, 0.975], axis=0)
            zero_width += int(np.any(hi - lo < 1e-3))
            hits[k].append(np.mean((lo <= p) & (p <= hi)))
    out = {k: float(np.mean(v)) for k, v in hits.items()}
    out["runs with an interval < 0.1 pp wide"] = zero_width / (sims * len(RATE_SIZES))
    return out


def audit_scorecard(sims: int = 200) -> None:
    print(f"scorecard coverage of 95% intervals, 40 reps, {sims} runs per cell")
    cells = [(m, s, "logit") for m in ("before", "after") for s in (0.0, 0.01, 0.02, 0.03)]
    cells += [("after", s, "normal") for s in (0.02, 0.03)]
    for method, spread, truth in cells:
        t = time.time()
        cov = scorecard_coverage(spread, sims, seed=100 + int(spread * 1000), method=method, truth=truth)
        print(f"  {method:6} spread {spread * 100:.0f} pp ({truth}): " + ", ".join(f"{k} {v:.3f}" for k, v in cov.items())
              + f"  ({time.time() - t:.1f} s)")


WEEKDAY = np.array([1.1, 1.0, 1.05, 0.9, 0.95])


def simulate_months(rng: np.random.Generator, level: float, phi: float, months: int = 8):
    """Stationary business-day counts (negative binomial, variance phi × mean, weekday
    pattern ``WEEKDAY``) of ``months`` months of 21–23 business days: a list of
    (counts, weekdays) per month, month 0 = the current one."""
    out = []
    for _ in range(months):
        days = int(rng.integers(21, 24))
        wd = (np.arange(days) + int(rng.integers(0, 5))) % 5
        mean = level * WEEKDAY[wd]
        y = rng.negative_binomial(mean / (phi - 1), 1 / phi) if phi > 1 else rng.poisson(mean)
        out.append((y.astype(float), wd))
    return out


def count_false_positives(level: float, phi: float, sims: int, seed: int) -> dict[str, float]:
    """Share of stationary month pairs flagged by the exact Poisson test per business day
    (before), by the quasi-Poisson test with the trailing months' dispersion (after), and
    by the 3-sigma u'-chart limits with that dispersion."""
    from leadlab.kpi import stats

    rng = np.random.default_rng(seed)
    before = after = chart_before = chart_after = 0
    for _ in range(sims):
        m = simulate_months(rng, level, phi, 7)
        cur, ref, hist = m[0], m[1], m[1:7]
        before += stats.poisson_rate_test(cur[0].sum(), len(cur[0]), ref[0].sum(), len(ref[0])) < 0.05
        y = np.concatenate([h[0] for h in hist])
        grp = np.concatenate([np.full(len(h[0]), i) for i, h in enumerate(hist)])
        wd = np.concatenate([h[1] for h in hist])
        disp = stats.poisson_dispersion(y, grp, wd)
        t = lambda mo: float(disp.weekday[mo[1]].sum())  # noqa: E731 - weekday-weighted exposure
        after += stats.quasi_poisson_test(cur[0].sum(), t(cur), ref[0].sum(), t(ref), disp.used, disp.df) < 0.05
        c_hist = [h[0].sum() for h in hist]
        _, lo, hi = stats.u_chart_limits(c_hist, [len(h[0]) for h in hist], len(cur[0]))
        chart_before += not lo <= cur[0].sum() <= hi
        _, lo, hi = stats.u_chart_limits(c_hist, [t(h) for h in hist], t(cur), phi=disp.used)
        chart_after += not lo <= cur[0].sum() <= hi
    return {"test before": before / sims, "test after": after / sims,
            "chart before": chart_before / sims, "chart after": chart_after / sims}


def audit_counts(sims: int = 2000) -> None:
    print(f"count KPIs on stationary months, false-positive rates at alpha 0.05 / 3 sigma, {sims} runs per cell")
    for phi in (1.5, 3.0):
        for level in (490.0, 100.0, 10.0, 2.0):
            t = time.time()
            r = count_false_positives(level, phi, sims, seed=int(level * 10 + phi * 100))
            print(f"  dispersion {phi:.1f}, {level:g} per business day: " + ", ".join(f"{k} {v:.3f}" for k, v in r.items())
                  + f"  ({time.time() - t:.1f} s)")


def simulate_cohort(rng: np.random.Generator, n: int = 1200, p_win: float = 0.38, lookback: int = 365):
    """A year of opportunities as the demo has: created uniformly over ``lookback`` days,
    won with probability ``p_win`` after Gamma(2.5, 20) days (median 43.5), else lost after
    Gamma(2, 40) days (losses take longer to admit); open when the outcome falls after the cohort end. Returns the
    aggregated (days, cause, count) rows the report uses."""
    age = rng.uniform(0, lookback, n)
    win = rng.random(n) < p_win
    t = np.where(win, rng.gamma(2.5, 20.0, n), rng.gamma(2.0, 40.0, n))
    cause = np.where(t <= age, np.where(win, 1, 2), 0)
    days = np.floor(np.minimum(t, age))
    keys, counts = np.unique(np.stack([days, cause], axis=1), axis=0, return_counts=True)
    return keys[:, 0], keys[:, 1].astype(int), counts.astype(float)


def cycle_medians(sims: int, seed: int) -> dict[str, float]:
    """Average median days to win among won deals: truth, Kaplan–Meier with lost deals dropped
    (before), Aalen–Johansen cumulative incidence (after)."""
    import pandas as pd
    from scipy import stats as sps

    from leadlab.kpi.cycle import aalen_johansen, cycle_stats, naive_figures

    rng = np.random.default_rng(seed)
    km, cif = [], []
    for _ in range(sims):
        days, cause, n = simulate_cohort(rng)
        km.append(naive_figures(pd.DataFrame({"days": days, "cause": cause, "n": n}))["km_median_lost_dropped"])
        cif.append(cycle_stats(aalen_johansen(days, cause, n))["median"])
    truth = float(sps.gamma(2.5, scale=20.0).median())
    return {"truth": truth, "before (KM, lost dropped)": float(np.mean(km)), "after (CIF among won)": float(np.mean(cif)),
            "after, runs within 5%": float(np.mean(np.abs(np.array(cif) - truth) <= 0.05 * truth))}


def audit_cycle(sims: int = 500) -> None:
    print(f"sales cycle, median days to win among won deals, {sims} simulated cohorts of 1,200 opportunities")
    r = cycle_medians(sims, seed=6)
    print("  " + ", ".join(f"{k} {v:.3f}" if "runs" in k else f"{k} {v:.1f}" for k, v in r.items()))


def main(argv: list[str]) -> None:
    parts = argv or ["scorecard", "counts", "cycle"]
    if "scorecard" in parts:
        audit_scorecard()
    if "counts" in parts:
        audit_counts()
    if "cycle" in parts:
        audit_cycle()


if __name__ == "__main__":
    main(sys.argv[1:])
