"""Sequential monitoring: group-sequential boundaries for a fixed set of units (reps) and the
look plan of an experiment.

A rep-randomized test enrols all its reps at the start: later looks add calls per rep, not
reps, so a confidence sequence over units (which assumes units accrue) does not apply. We
use a group-sequential design instead: Lan & DeMets (1983) alpha spending with the
O'Brien–Fleming-type function ``alpha(t)/2 = 2 - 2 Phi(z_{1-alpha/4} / sqrt(t))`` per side over the
planned looks, information fraction ``t`` = elapsed share of the planned calendar time.
Boundaries come from the recursive numerical integration of Armitage, McPherson & Rowe
(1969) (Jennison & Turnbull 2000, ch. 19). Each look's boundary is used as a nominal
significance level for the look's small-sample t-test (Jennison & Turnbull 2000, §3.8).

With fixed reps the information grows faster than calendar time early on (the between-rep
part of the variance is there from day one), so the looks are more correlated than the
calendar-time model assumes, which makes the design conservative, never anti-conservative.

>>> [round(float(z), 3) for z in obrien_fleming_bounds([0.2, 0.4, 0.6, 0.8, 1.0])]
[4.877, 3.357, 2.68, 2.29, 2.031]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import optimize, special

#: Look schedules: name → days between looks.
LOOK_EVERY = {"day": 1, "week": 7}


def obf_spent(t, alpha: float = 0.05):
    """Two-sided alpha spent by information fraction ``t``: ``alpha/2`` per side with the
    O'Brien–Fleming-type function ``2 - 2 Phi(z_{1-alpha/4} / sqrt(t))`` (as gsDesign and
    ldbounds), so the last boundary of one look is ``z_{1-alpha/2}``."""
    t = np.asarray(t, float)
    z = special.ndtri(1 - alpha / 4)
    return np.where(t > 0, 4 * special.ndtr(-z / np.sqrt(np.maximum(t, 1e-300))), 0.0)


def obrien_fleming_bounds(t, alpha: float = 0.05, *, points: int | None = None) -> np.ndarray:
    """Two-sided z boundaries ``c_k`` at information fractions ``t`` (increasing, last <= 1):
    under H0, P(|Z_j| < c_j for j < k, |Z_k| >= c_k) = alpha(t_k) - alpha(t_{k-1}).
    ``points``: Simpson nodes per standard deviation of the smallest increment (default 4,
    3 beyond 100 looks; the boundaries move by < 1e-4 from 3 to 12)."""
    t = np.asarray(t, float)
    points = points or (4 if len(t) <= 100 else 3)
    return np.array(_bounds(tuple(float(x) for x in t), float(alpha), points))


@lru_cache(maxsize=256)
def _bounds(t: tuple[float, ...], alpha: float, points: int) -> tuple[float, ...]:
    if not t or any(b <= a for a, b in zip(t, t[1:])) or t[0] <= 0 or t[-1] > 1 + 1e-12:
        raise ValueError(f"information fractions must increase within (0, 1], got {t}")
    spent = obf_spent(np.asarray(t), alpha)
    inc = np.diff(np.concatenate([[0.0], spent]))
    # the score S_k = Z_k sqrt(t_k) on a Simpson grid over the continuation region [-b_k, b_k]
    steps = np.diff(np.concatenate([[0.0], t]))
    h = math.sqrt(min(steps)) / points
    cap = 9.0

    def nodes(b: float) -> tuple[np.ndarray, np.ndarray]:
        n = max(int(math.ceil(2 * b / h / 2)) * 2 + 1, 3)
        x = np.linspace(-b, b, n)
        w = np.full(n, 2.0)
        w[1::2] = 4.0
        w[0] = w[-1] = 1.0
        return x, w * (x[1] - x[0]) / 3

    bounds: list[float] = []
    c1 = float(special.ndtri(1 - inc[0] / 2)) if inc[0] > 0 else math.inf
    bounds.append(c1)
    grid, w = nodes(min(c1, cap) * math.sqrt(t[0]))
    mass = np.exp(-grid ** 2 / (2 * t[0])) / math.sqrt(2 * math.pi * t[0]) * w
    for k in range(1, len(t)):
        sd = math.sqrt(t[k] - t[k - 1])

        def exit_prob(c: float) -> float:
            bk = c * math.sqrt(t[k])
            return float(np.dot(mass, special.ndtr((-bk - grid) / sd) + special.ndtr((grid - bk) / sd)))

        if inc[k] <= 1e-15:
            c = math.inf
        elif exit_prob(cap) >= inc[k]:
            c = cap
        else:
            c = float(optimize.brentq(lambda c: exit_prob(c) - inc[k], 1e-6, cap, xtol=1e-10))
        bounds.append(c)
        new, w = nodes(min(c, cap) * math.sqrt(t[k]))
        # density of the paths still running: the old mass moved by the increment's normal density
        dens = (np.exp(-((new[:, None] - grid[None, :]) / sd) ** 2 / 2) @ mass) / (sd * math.sqrt(2 * math.pi))
        grid, mass = new, dens * w
    return tuple(bounds)


def obrien_fleming_levels(t, alpha: float = 0.05) -> np.ndarray:
    """Nominal two-sided significance level of each look (``2 (1 - Phi(c_k))``)."""
    return 2 * special.ndtr(-obrien_fleming_bounds(t, alpha))


@dataclass(frozen=True)
class LookPlan:
    """The monitoring plan of an experiment and where this analysis stands in it.

    ``planned`` looks (one per ``every``) from the start to the planned end; this analysis is
    look ``used``. ``fixed_units``: the units (reps) are all enrolled at the start, so the
    group-sequential boundary applies; otherwise (leads accrue) the always-valid interval.
    ``planned=None``: no planned end recorded, the analysis is a single final look.
    """

    planned: int | None
    used: int
    every: str = "day"
    fixed_units: bool = False
    planned_end: str | None = None

    @property
    def final(self) -> bool:
        return self.planned is None or self.used >= self.planned

    @property
    def mode(self) -> str:
        """``fixed`` (one look), ``group`` (group-sequential) or ``always-valid``."""
        if self.planned is None:
            return "fixed"
        return "group" if self.fixed_units else "always-valid"

    def level(self, alpha: float) -> float:
        """The nominal significance level of this look (``alpha`` for one look / always-valid)."""
        if self.mode != "group":
            return alpha
        k = min(self.used, self.planned)
        return float(obrien_fleming_levels(np.arange(1, k + 1) / self.planned, alpha)[-1])


def plan_looks(started, planned_end, as_of, *, every: str = "day", fixed_units: bool) -> LookPlan:
    """The plan from the start, the planned end and the time of this analysis (timestamps;
    ``planned_end`` None → a single look)."""
    import pandas as pd

    from leadlab.errors import ConfigError
    from leadlab.i18n import _, fmt

    if every not in LOOK_EVERY:
        raise ConfigError(_("look schedule must be one of {valid} (parameter look_every), got {value}",
                            valid=", ".join(LOOK_EVERY), value=repr(every)))
    if planned_end is None or pd.isna(planned_end) or started is None or pd.isna(started):
        return LookPlan(None, 1, every, fixed_units)
    start, end, now = pd.Timestamp(started), pd.Timestamp(planned_end), pd.Timestamp(as_of)
    if end <= start:
        raise ConfigError(_("the planned end {end} is not after the start {start} (experiments.ended_at or parameter "
                            "planned_end)", end=fmt.date(end), start=fmt.date(start)))
    step = pd.Timedelta(days=LOOK_EVERY[every])
    planned = max(int(math.ceil((end - start) / step)), 1)
    used = min(max(int(math.ceil((now - start) / step)), 1), planned)
    return LookPlan(planned, used, every, fixed_units, f"{end:%Y-%m-%d}")
