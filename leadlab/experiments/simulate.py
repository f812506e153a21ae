"""Seeded A/A simulations of rep-randomized tests on per-rep aggregates (vectorized numpy).

Model (the audit's, issue 8): each rep's true SQLs-per-call rate is drawn from a Beta with
mean ``base`` and intra-class correlation ``icc`` (``a + b = 1/icc - 1``); the rep makes
300–500 calls in the test and 300–500 calls in the pre-period; SQLs are binomial. The
metric is SQLs per call (a ratio of sums over the reps of an arm); CUPED uses the rep's
pre-period rate. Both arms have the same rate distribution (A/A), so every rejection is a
false positive and every interval should contain 0 (absolute) and 0 % (relative).

Run ``python -m leadlab.experiments.simulate`` for the table in docs/experiments.md
(``--before`` for the same simulation through the pre-issue-8 analysis).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leadlab.experiments import stats as S


@dataclass(frozen=True)
class RepFloor:
    """Per-rep aggregates of ``runs`` simulated experiments, arrays of shape (runs, reps)."""

    y: np.ndarray  # SQLs in the test period
    d: np.ndarray  # calls in the test period
    x: np.ndarray  # the rep's pre-period SQL rate
    arm: np.ndarray  # True = treatment
    rate: np.ndarray  # the rep's true rate


def rep_floor(seed: int, runs: int, reps_per_arm: int, icc: float, *, base: float = 0.05,
              calls: tuple[int, int] = (300, 500), lift: float = 0.0) -> RepFloor:
    """``runs`` experiments with ``reps_per_arm`` reps per arm (the first half is control).
    ``lift`` multiplies the treatment reps' rates (0 = A/A)."""
    rng = np.random.default_rng(seed)
    k = 2 * reps_per_arm
    ab = 1 / icc - 1
    p = rng.beta(base * ab, (1 - base) * ab, (runs, k))
    arm = np.zeros((runs, k), bool)
    arm[:, reps_per_arm:] = True
    p_test = np.clip(np.where(arm, p * (1 + lift), p), 0, 1)
    d = rng.integers(calls[0], calls[1] + 1, (runs, k)).astype(float)
    y = rng.binomial(d.astype(np.int64), p_test).astype(float)
    d0 = rng.integers(calls[0], calls[1] + 1, (runs, k))
    x = rng.binomial(d0, p) / d0
    return RepFloor(y, d, x, arm, p)


def arm_moments(y, d, x, mask) -> S.ArmMoments:
    """ArmMoments whose fields are arrays (one per run) over the reps where ``mask``."""
    m = mask.astype(float)
    s = lambda v: (v * m).sum(axis=-1)  # noqa: E731
    return S.ArmMoments(s(1.0 + 0 * y), s(y), s(y * y), s(d), s(d * d), s(y * d), s(x), s(x * x), s(x * y), s(x * d))


def daily_looks(f: RepFloor, days: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative SQLs and calls per rep after each of ``days`` days, shape (days, runs, reps):
    each call of the test period falls on a uniformly random day."""
    rng = np.random.default_rng(seed)
    probs = np.full(days, 1 / days)
    calls = rng.multinomial(f.d.astype(np.int64), probs)  # (runs, reps, days)
    sqls = np.empty_like(calls)
    left_y, left_d = f.y.astype(np.int64), f.d.astype(np.int64)
    for t in range(days):  # SQLs spread over the days in proportion to the calls (hypergeometric)
        take = calls[..., t]
        sqls[..., t] = rng.hypergeometric(left_y, left_d - left_y, take)
        left_y -= sqls[..., t]
        left_d -= take
    return (np.moveaxis(sqls.cumsum(-1), -1, 0).astype(float), np.moveaxis(calls.cumsum(-1), -1, 0).astype(float))


def _rates(reject, cover_abs, cover_rel) -> dict:
    return {"fpr": float(np.mean(reject)), "cover_abs": float(np.mean(cover_abs)), "cover_rel": float(np.mean(cover_rel))}


def aa_fixed(seed: int, runs: int, reps_per_arm: int, icc: float, *, cuped: bool, alpha: float = 0.05,
             base: float = 0.05) -> dict:
    """False-positive rate and coverage of the absolute and relative intervals (one look)."""
    f = rep_floor(seed, runs, reps_per_arm, icc, base=base)
    ma, mb = arm_moments(f.y, f.d, f.x, ~f.arm), arm_moments(f.y, f.d, f.x, f.arm)
    e = S.unit_effect(ma, mb, cuped=cuped, alpha=alpha)
    return _rates(e.p_value < alpha, (e.ci_low <= 0) & (e.ci_high >= 0), (e.rel_ci_low <= 0) & (e.rel_ci_high >= 0))


def aa_sequential(seed: int, runs: int, reps_per_arm: int, icc: float, *, days: int = 20, cuped: bool = True,
                  alpha: float = 0.05, base: float = 0.05) -> float:
    """Chance that a group-sequential design with a look every day for ``days`` days (Lan–DeMets
    O'Brien–Fleming spending) ever declares a difference in an A/A test."""
    from leadlab.experiments.sequential import obrien_fleming_levels

    f = rep_floor(seed, runs, reps_per_arm, icc, base=base)
    ys, ds = daily_looks(f, days, seed + 1)
    levels = obrien_fleming_levels(np.arange(1, days + 1) / days, alpha)
    ever = np.zeros(runs, bool)
    for t in range(days):
        ma, mb = arm_moments(ys[t], ds[t], f.x, ~f.arm), arm_moments(ys[t], ds[t], f.x, f.arm)
        e = S.unit_effect(ma, mb, cuped=cuped, alpha=alpha)
        ever |= e.p_value < levels[t]
    return float(ever.mean())


def _before_effect(f: RepFloor, r: int, y, d, cuped: bool):
    """The pre-issue-8 analysis of run ``r``: per-arm CUPED variances with ``n - 1``, Welch df
    ignoring the slope, delta-method lift on the normal distribution (still available as
    :func:`stats.cuped_estimates` and :func:`stats.compare`)."""
    a, b = ~f.arm[r], f.arm[r]
    ma = S.ArmMoments.from_values(y[r, a], d[r, a], f.x[r, a])
    mb = S.ArmMoments.from_values(y[r, b], d[r, b], f.x[r, b])
    (ea, eb) = S.cuped_estimates([ma, mb])[0] if cuped else (S.ratio_estimate(ma), S.ratio_estimate(mb))
    e = S.compare(ea, eb, welch_df=True)
    rel_se = np.sqrt(eb.var / ea.value ** 2 + eb.value ** 2 * ea.var / ea.value ** 4)
    return e, e.rel_effect - 1.959964 * rel_se, e.rel_effect + 1.959964 * rel_se, ma.n + mb.n


def aa_fixed_before(seed: int, runs: int, reps_per_arm: int, icc: float, *, cuped: bool, base: float = 0.05) -> dict:
    """:func:`aa_fixed` with the pre-issue-8 analysis (scalar loop, for the docs' "before")."""
    f = rep_floor(seed, runs, reps_per_arm, icc, base=base)
    out = np.array([(e.p_value < 0.05, e.ci_low <= 0 <= e.ci_high, lo <= 0 <= hi)
                    for e, lo, hi, _ in (_before_effect(f, r, f.y, f.d, cuped) for r in range(runs))])
    return _rates(out[:, 0], out[:, 1], out[:, 2])


def aa_sequential_before(seed: int, runs: int, reps_per_arm: int, icc: float, *, days: int = 20,
                         base: float = 0.05) -> float:
    """:func:`aa_sequential` with the pre-issue-8 always-valid band (tuned at the reps)."""
    f = rep_floor(seed, runs, reps_per_arm, icc, base=base)
    ys, ds = daily_looks(f, days, seed + 1)
    ever = np.zeros(runs, bool)
    for t in range(days):
        for r in np.flatnonzero(~ever):
            e, _, _, n = _before_effect(f, r, ys[t], ds[t], True)
            lo, hi = S.confidence_sequence(e.effect, e.se, n, tuning=n)
            ever[r] = lo > 0 or hi < 0
    return float(ever.mean())


def main(runs: int = 4000, seed: int = 20260801, before: bool = False) -> None:  # pragma: no cover - a printer
    fixed, seq = (aa_fixed_before, aa_sequential_before) if before else (aa_fixed, aa_sequential)
    print(("BEFORE (pre-issue-8 analysis). " if before else "") +
          f"A/A, SQLs per call, {runs:,} runs per cell (SE of a rate near 0.05: {np.sqrt(0.0475 / runs):.4f})")
    print(f"{'reps/arm':>8} {'ICC':>5} {'CUPED':>6} {'FPR':>7} {'cover abs':>10} {'cover rel':>10}")
    for n in (8, 20):
        for icc in (0.02, 0.05):
            for cuped in (False, True):
                r = fixed(seed + n * 100 + int(icc * 100) + cuped, runs, n, icc, cuped=cuped)
                print(f"{n:>8} {icc:>5} {str(cuped):>6} {r['fpr']:>7.4f} {r['cover_abs']:>10.4f} {r['cover_rel']:>10.4f}")
    print("sequential, a look every day for 20 days, CUPED:")
    for n in (8, 20):
        for icc in (0.02, 0.05):
            print(f"{n:>8} {icc:>5} FPR {seq(seed + 7 + n + int(icc * 100), runs, n, icc):.4f}")


if __name__ == "__main__":  # pragma: no cover
    import sys

    main(before="--before" in sys.argv)
