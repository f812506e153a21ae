"""The sales floor: reps, teams, hire dates, costs and (hidden) skill.

>>> import numpy as np
>>> floor = make_reps(np.random.default_rng(1), 30_000, start=0, end=400 * 86_400)
>>> len(floor.rep_ids), floor.rep_ids[0]
(40, 'R001')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leadlab.synth import model as M
from leadlab.synth.clock import DAY


@dataclass
class RepFloor:
    """The reps, as arrays indexed by rep number (0-based)."""

    rep_ids: list[str]
    team: np.ndarray  # index into model.TEAMS
    hired_at: np.ndarray  # seconds, midnight
    hourly_cost: np.ndarray
    sql_effect: np.ndarray  # logit shift of SQL for the rep's leads
    connect_effect: np.ndarray  # logit shift of connecting
    fast_logit: np.ndarray  # logit of calling a fresh lead within minutes
    rep_arm: np.ndarray  # EXP-REP-SCRIPT arm index (0 = A, 1 = B), -1 when not in it
    team_members: list[np.ndarray]  # per team: rep numbers sorted by hire date
    team_hired: list[np.ndarray]  # per team: their hire times, sorted

    @property
    def n(self) -> int:
        return len(self.rep_ids)


def n_reps_for(n_leads: int) -> int:
    """About one rep per 750 leads, at least 12."""
    return max(M.MIN_REPS, int(round(n_leads / M.REPS_PER_LEADS)))


def make_reps(rng: np.random.Generator, n_leads: int, start: int, end: int) -> RepFloor:
    """Draw the reps of an operation of ``n_leads`` leads running from ``start`` to ``end``."""
    n = n_reps_for(n_leads)
    width = max(3, len(str(n)))
    rep_ids = [f"R{i + 1:0{width}d}" for i in range(n)]
    # team sizes proportional to the region shares, at least 3 each
    sizes = np.maximum(3, np.floor(np.asarray(M.REGION_SHARES) * n).astype(int))
    while sizes.sum() > n:
        sizes[np.argmax(sizes)] -= 1
    while sizes.sum() < n:
        sizes[np.argmin(sizes / np.asarray(M.REGION_SHARES))] += 1
    team = np.repeat(np.arange(len(M.TEAMS)), sizes)
    team = team[rng.permutation(n)]
    # hire dates: ~80 % before the window (up to 5 years), the rest during its first 3/4
    span = end - start
    before = rng.random(n) < 0.8
    days_before = rng.integers(14, 5 * 365, size=n)
    hired = np.where(
        before,
        start - days_before * DAY,
        start + (rng.random(n) * 0.75 * span).astype(np.int64),
    )
    hired = (hired // DAY) * DAY
    # each team keeps at least two reps on staff from the start
    for k in range(len(M.TEAMS)):
        members = np.flatnonzero(team == k)
        early = members[np.argsort(hired[members])[:2]]
        hired[early] = np.minimum(hired[early], start - 30 * DAY)
    tenure_years = np.clip((end - hired) / (365.25 * DAY), 0, None)
    hourly_cost = np.round(25 + 20 * np.clip(0.15 + 0.14 * tenure_years + rng.normal(0, 0.12, n), 0, 1), 2)
    z = rng.standard_normal((n, 2))
    sql_effect = M.REP_SQL_SD * z[:, 0]
    connect_effect = M.REP_CONNECT_SD * (M.REP_SKILL_CORR * z[:, 0] + np.sqrt(1 - M.REP_SKILL_CORR**2) * z[:, 1])
    fast_logit = M.REP_FAST_MEAN + M.REP_FAST_SD * rng.standard_normal(n) + 0.5 * z[:, 0]
    # EXP-REP-SCRIPT: the reps of its teams, half to A and half to B within each team
    rep_arm = np.full(n, -1, dtype=np.int64)
    for name in M.REP_EXP_TEAMS:
        k = M.TEAMS.index(name)
        members = np.flatnonzero(team == k)
        order = members[rng.permutation(len(members))]
        rep_arm[order] = np.arange(len(order)) % 2
        # a random half gets the extra odd member in B instead of A
        if len(order) % 2 and rng.random() < 0.5:
            rep_arm[order[-1]] = 1
    team_members, team_hired = [], []
    for k in range(len(M.TEAMS)):
        members = np.flatnonzero(team == k)
        members = members[np.argsort(hired[members], kind="stable")]
        team_members.append(members)
        team_hired.append(hired[members])
    return RepFloor(
        rep_ids=rep_ids,
        team=team,
        hired_at=hired,
        hourly_cost=hourly_cost,
        sql_effect=sql_effect,
        connect_effect=connect_effect,
        fast_logit=fast_logit,
        rep_arm=rep_arm,
        team_members=team_members,
        team_hired=team_hired,
    )


def assign_owner(rng: np.random.Generator, floor: RepFloor, region: np.ndarray, created: np.ndarray) -> np.ndarray:
    """Owner rep of each lead: a rep of the region's team already hired, uniformly."""
    owner = np.empty(len(region), dtype=np.int64)
    u = rng.random(len(region))
    for k in range(len(M.TEAMS)):
        idx = np.flatnonzero(region == k)
        if not len(idx):
            continue
        n_elig = np.searchsorted(floor.team_hired[k], created[idx], side="right")
        n_elig = np.maximum(n_elig, 1)
        owner[idx] = floor.team_members[k][(u[idx] * n_elig).astype(np.int64)]
    return owner
