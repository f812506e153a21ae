"""Seeded rep-level counts at the demo's sizes, for checking the scorecard's intervals by
simulation (``tests/test_kpi_scorecard_coverage.py``, ``benchmarks/kpi_audit.py``).

40 reps; dials 167–377 a month, connect rate 33 %, conversation 94.3 % of connected calls,
48–78 owned leads, SQL rate 8.5 %. True rep rates spread with a chosen SD on the rate scale.

>>> import numpy as np
>>> round(logit_scale(0.5, 0.0), 6), round(logit_scale(0.33, 0.01), 4)
(0.0, 0.0452)
>>> x, n, p = simulate_reps(np.random.default_rng(1), 0.01, reps=20_000)["call_connect_rate"]
>>> len(x), bool((x <= n).all()), round(float(p.std()), 3)  # the true rates' SD is the spread asked for
(20000, True, 0.01)
"""

from __future__ import annotations

import numpy as np

#: the demo's mean rates
RATE_MEANS = {"call_connect_rate": 0.33, "conversation_rate": 0.943, "sql_rate": 0.085}


def logit_scale(mean: float, sd: float) -> float:
    """SD ``s`` on the logit scale such that expit(logit(mean) + s·Z) has SD ``sd`` (Gauss–Hermite)."""
    from scipy import optimize, special

    z, w = np.polynomial.hermite_e.hermegauss(60)
    w = w / w.sum()

    def gap(s):
        p = special.expit(special.logit(mean) + s * z)
        return np.sqrt(w @ (p - w @ p) ** 2) - sd

    return 0.0 if sd <= 0 else float(optimize.brentq(gap, 1e-9, 10.0))


def simulate_reps(rng: np.random.Generator, spread: float, reps: int = 40,
                  truth: str = "logit") -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Counts of ``reps`` reps: rate id → ``(successes, trials, true rate)`` per rep.

    ``truth="logit"``: rep effects normal on the logit scale (as the synthetic generator draws
    them); ``"normal"``: normal on the rate scale, clipped to [0.002, 0.998].
    """
    from scipy import special

    dials = rng.integers(167, 378, reps).astype(float)
    leads = rng.integers(48, 79, reps).astype(float)
    z = {k: rng.standard_normal(reps) for k in RATE_MEANS}
    if truth == "logit":
        p = {k: special.expit(special.logit(m) + logit_scale(m, spread) * z[k]) for k, m in RATE_MEANS.items()}
    else:
        p = {k: np.clip(m + spread * z[k], 0.002, 0.998) for k, m in RATE_MEANS.items()}
    connected = rng.binomial(dials.astype(int), p["call_connect_rate"]).astype(float)
    conversations = rng.binomial(connected.astype(int), p["conversation_rate"]).astype(float)
    sqls = rng.binomial(leads.astype(int), p["sql_rate"]).astype(float)
    return {"call_connect_rate": (connected, dials, p["call_connect_rate"]),
            "conversation_rate": (conversations, connected, p["conversation_rate"]),
            "sql_rate": (sqls, leads, p["sql_rate"])}
