"""``leadlab incentives compute`` and ``simulate`` on a store: payouts of one period, and a
what-if of a plan on the last N periods with the luck check (:mod:`leadlab.incentives.luck`).

>>> from leadlab.incentives import load_plan
>>> res = simulate_plan(store_url, load_plan(), "2026-10", periods=2, draws=200)
>>> res.frame["period"].tolist(), bool((res.frame["skill_share"] <= 1).all())
(['2026-09', '2026-10'], True)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadlab.errors import ConfigError
from leadlab.i18n import _
from leadlab.incentives.luck import check_modelled, gate_chance, luck_frame
from leadlab.incentives.payouts import compute_frame, rep_targets
from leadlab.incentives.plan import Plan
from leadlab.incentives.results import PayoutResult, SimulationResult

MAX_PERIODS = 36


def compute_payouts(data, plan: Plan, period="last-month", targets_path=None, team: str | None = None) -> PayoutResult:
    """Payout per rep for ``period`` (optionally one team's reps) with the rule behind each amount."""
    from leadlab.kpi import KpiData

    data = KpiData.coerce(data)
    per = data.period(period)
    frame = compute_frame(data, plan, per, targets_path)
    if team:
        data.for_team(team)  # checks the name
        frame = frame[frame["team"] == team].reset_index(drop=True)
    return PayoutResult(frame, per, team, plan=plan)


def simulate_plan(data, plan: Plan, period="last-month", periods: int = 6, targets_path=None, draws: int = 1000,
                  seed: int = 0) -> SimulationResult:
    """The plan applied to the ``periods`` periods ending with ``period``: cost, payout spread and
    the luck check per period, and per rep and period the luck amount and P(tier by chance)."""
    from leadlab.kpi import KpiData
    from leadlab.kpi.definitions import KPIS
    from leadlab.kpi.scorecard import rep_counts

    if not 1 <= int(periods) <= MAX_PERIODS:
        raise ConfigError(_("option --periods: must be between 1 and {most}, got {value}", most=str(MAX_PERIODS),
                            value=str(periods)))
    xs, ns, is_rate = check_modelled(plan.kpi, _("{file}, key kpi", file=plan.source))
    data = KpiData.coerce(data)
    last = data.period(period)
    _prefetch(data, plan, [last.shift(-j) for j in range(int(periods))])
    rows, rep_rows = [], []
    for j in range(int(periods) - 1, -1, -1):
        per = last.shift(-j)
        pay = compute_frame(data, plan, per, targets_path)
        counts = rep_counts(data, per).set_index("rep_id").reindex(pay["rep_id"]).fillna(0.0)
        target = rep_targets(data, plan, per, targets_path).reindex(pay["rep_id"]).to_numpy(float)
        x, n = counts[xs].to_numpy(float), counts[ns].to_numpy(float)
        lf = luck_frame(x, n, target, plan.multiple, plan.band, is_rate=is_rate,
                        higher_is_better=KPIS[plan.kpi].better == "up", draws=draws, seed=seed + j)
        payout = pay["payout"].to_numpy(float)
        rows.append({"period": per.label, "reps": len(pay), "paid": int((payout > 0).sum()), "total": payout.sum(),
                     "mean": payout.mean() if len(payout) else np.nan, "sd": payout.std(ddof=0) if len(payout) else np.nan,
                     "p10": np.quantile(payout, 0.1) if len(payout) else np.nan,
                     "p90": np.quantile(payout, 0.9) if len(payout) else np.nan,
                     "skill_share": lf.attrs["skill_share"], "skill_low": lf.attrs["skill_low"],
                     "skill_high": lf.attrs["skill_high"], "chance_tier_share": float((lf["p_tier_chance"] > 0.5).mean())})
        gate_p = _gate_chance(data, plan, per, pay["rep_id"], draws, seed + j)
        rep_rows.append(pd.DataFrame({"period": per.label, "rep_id": pay["rep_id"], "team": pay["team"],
                                      "payout": payout, "count": x, "volume": n,
                                      "observed": lf["observed"] * plan.target_incentive,
                                      "expected": lf["expected"] * plan.target_incentive,
                                      "luck": lf["luck"] * plan.target_incentive, "band": lf["band"],
                                      "p_tier_chance": lf["p_tier_chance"], "p_gate_chance": gate_p}))
    reps = pd.concat(rep_rows, ignore_index=True) if rep_rows else pd.DataFrame()
    return SimulationResult(pd.DataFrame(rows), last, None, plan=plan, reps=reps, draws=draws, seed=seed)


def _prefetch(data, plan: Plan, pers) -> None:
    """The per-rep measures the loop of :func:`simulate_plan` reads, for all its periods in one
    grouped query per source instead of one per period (KpiData keeps them; counts are the same)."""
    from leadlab.kpi.definitions import KPIS
    from leadlab.kpi.measures import measures, sources_for

    cols = {c for k in {plan.kpi, *(g.kpi for g in plan.gate)} for c in (KPIS[k].num, KPIS[k].den, KPIS[k].num_extra) if c}
    measures(data.company(), sorted(pers, key=lambda p: p.start), "rep_id", sources=sources_for(cols) | {"calls"})


def _gate_chance(data, plan: Plan, per, rep_ids: pd.Series, draws: int, seed: int) -> np.ndarray:
    """Per rep, the probability that a replay flips the quality gate (any rule; rules taken as
    independent); rules on a KPI that is not a plain ratio of counts are left out. NaN without gate."""
    from leadlab.kpi.definitions import KPIS
    from leadlab.kpi.measures import measures, sources_for

    rules = [g for g in plan.gate if KPIS[g.kpi].den and not KPIS[g.kpi].num_extra]
    if not rules:
        return np.full(len(rep_ids), np.nan)
    cols = sorted({c for g in rules for c in (KPIS[g.kpi].num, KPIS[g.kpi].den)})
    m = measures(data.company(), [per], "rep_id", sources=sources_for(cols)).set_index("rep_id")
    m = m.reindex(rep_ids.to_numpy())[cols].astype(float).fillna(0.0)
    same = np.ones(len(rep_ids))
    for g in rules:
        k = KPIS[g.kpi]
        same *= 1 - gate_chance(m[k.num].to_numpy(), m[k.den].to_numpy(), g.limit, g.kind, k.scale, draws, seed)
    return 1 - same
