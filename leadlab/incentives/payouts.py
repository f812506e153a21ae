"""Payouts of an incentive plan for one period: attainment → tier → cap → quality gate →
team pool, with the rule that produced each amount.

>>> from leadlab.incentives.plan import parse_plan_text
>>> plan = parse_plan_text("kpi: sql\\ntarget: 10\\ntarget_incentive: 1000\\ntiers:\\n"
...     "  - {from: 0, to: 1, rate: 1}\\n  - {from: 1, rate: 2}\\ncap: 1.5\\nteam_pool: 0.5")
>>> f = payout_frame(plan, pd.DataFrame({"rep_id": ["A", "B"], "team": ["T", "T"], "actual": [12.0, 5.0],
...                                      "target": [10.0, 10.0]}), higher_is_better=True)
>>> f[["multiple", "individual", "payout"]].round(2).values.tolist()
[[1.4, 1400.0, 1175.0], [0.5, 500.0, 725.0]]
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from leadlab.errors import ConfigError
from leadlab.i18n import _, fmt
from leadlab.incentives.plan import Plan
from leadlab.periods import Period

COLUMNS = ["rep_id", "team", "actual", "target", "attainment", "band", "multiple", "capped", "gate_ok", "gate_failed",
           "individual", "pool_share", "payout"]


def attainment(actual, target, higher_is_better: bool = True) -> np.ndarray:
    """actual / target (lower-is-better KPIs: target / actual; 0 actual → unbounded).

    >>> attainment([5.0, 0.0], [10.0, 10.0]).tolist(), attainment([50.0], [40.0], False).tolist()
    ([0.5, 0.0], [0.8])
    """
    a, t = np.asarray(actual, float), np.asarray(target, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = a / t if higher_is_better else np.where(a > 0, t / a, np.inf)
    return np.where(np.isfinite(a), out, 0.0)


def payout_frame(plan: Plan, reps: pd.DataFrame, *, higher_is_better: bool = True,
                 gate_values: pd.DataFrame | None = None) -> pd.DataFrame:
    """Payouts from per-rep facts: ``reps`` has rep_id, team, actual, target; ``gate_values`` one
    column per gate KPI (index aligned). Pure: no data access."""
    f = reps.reset_index(drop=True).copy()
    f["attainment"] = attainment(f["actual"], f["target"], higher_is_better)
    f["band"] = plan.band(f["attainment"]).astype(int)
    f["multiple"] = plan.multiple(f["attainment"])
    f["capped"] = f["band"] == len(plan.tiers)
    failed: list[list[str]] = [[] for _i in range(len(f))]
    for g in plan.gate:
        vals = gate_values[g.kpi].to_numpy(float) if gate_values is not None else np.full(len(f), np.nan)
        for i, v in enumerate(vals):
            if not g.passes(v):
                failed[i].append(g.kpi)
    f["gate_failed"] = [",".join(x) for x in failed]
    f["gate_ok"] = [not x for x in failed]
    f["individual"] = np.where(f["gate_ok"], f["multiple"] * plan.target_incentive, 0.0)
    share = plan.team_pool
    pool = (f["individual"] * share).groupby(f["team"]).transform("sum")
    eligible = f["gate_ok"].groupby(f["team"]).transform("sum").astype(float)
    f["pool_share"] = np.where(f["gate_ok"] & (eligible > 0), pool / eligible.where(eligible > 0, 1.0), 0.0)
    f["payout"] = np.where(f["gate_ok"], (1 - share) * f["individual"] + f["pool_share"], 0.0)
    if gate_values is not None:
        for g in plan.gate:
            f[f"gate_{g.kpi}"] = gate_values[g.kpi].to_numpy(float)
    return f


def _rep_values(data, per: Period, kpis: list[str]) -> pd.DataFrame:
    from leadlab.kpi.definitions import KPIS, compute
    from leadlab.kpi.measures import measures, sources_for

    needed = [c for k in kpis for c in (KPIS[k].num, KPIS[k].den, KPIS[k].num_extra) if c]
    m = measures(data.company(), [per], "rep_id", sources=sources_for(needed))
    return compute(m, kpis).set_index("rep_id")[kpis]


def rep_targets(data, plan: Plan, per: Period, targets_path=None) -> pd.Series:
    """Each rep's target of the plan KPI for ``per``: the plan's number, or the rep targets of the
    targets file (split targets included)."""
    from leadlab.kpi.cascade import staff

    reps = staff(data, per)["rep_id"]
    if plan.target is not None:
        return pd.Series(plan.target, index=reps.to_numpy(), dtype=float)
    from leadlab.kpi.targets import targets_report

    tf = targets_report(data, per, targets_path=targets_path).to_pandas()
    tf = tf[(tf["scope"] == "rep") & (tf["kpi"] == plan.kpi) & (tf["period"] == per.label)]
    if tf.empty:
        raise ConfigError(_("{file}: target: targets, but the targets file has no rep targets of {kpi} for {period}",
                            file=plan.source, kpi=plan.kpi, period=per.label))
    return tf.set_index("name")["target"].astype(float)


def compute_frame(data, plan: Plan, per: Period, targets_path=None) -> pd.DataFrame:
    """The payout frame of ``plan`` for the reps on staff in ``per`` with a target and some activity
    (a call or a new owned lead)."""
    from leadlab.kpi.cascade import staff
    from leadlab.kpi.definitions import KPIS

    from leadlab.kpi.scorecard import rep_counts

    st = staff(data, per)[["rep_id", "team"]]
    targets = rep_targets(data, plan, per, targets_path)
    active = rep_counts(data.company(), per)
    active = set(active.loc[(active["dials"] > 0) | (active["leads"] > 0), "rep_id"].astype(str))
    # payees: reps on staff with a target and some activity (a rep who made no call and owned no new
    # lead — on leave, or gone — is not paid and takes no share of the team pool)
    st = st[st["rep_id"].isin(targets.index) & st["rep_id"].isin(active)].reset_index(drop=True)
    kpis = sorted({plan.kpi, *(g.kpi for g in plan.gate)})
    vals = _rep_values(data, per, kpis).reindex(st["rep_id"])
    additive = KPIS[plan.kpi].additive
    actual = vals[plan.kpi].to_numpy(float)
    if additive:
        actual = np.nan_to_num(actual, nan=0.0)
    reps = st.assign(actual=actual, target=targets.reindex(st["rep_id"]).to_numpy(float))
    gate_values = vals[[g.kpi for g in plan.gate]].reset_index(drop=True) if plan.gate else None
    return payout_frame(plan, reps, higher_is_better=KPIS[plan.kpi].better == "up", gate_values=gate_values)


def rule_text(plan: Plan, r) -> str:
    """The rule that produced one rep's payout, in the current language."""
    from leadlab.kpi import labels

    sep = _("; ")
    if not r.gate_ok:
        fails = []
        for g in plan.gate:
            if g.kpi in str(r.gate_failed).split(","):
                value = getattr(r, f"gate_{g.kpi}", math.nan)
                if g.kind == "max":
                    fails.append(_("{kpi} {value} above the limit {limit}", kpi=labels.kpi_name(g.kpi),
                                   value=labels.kpi_value(g.kpi, value), limit=labels.kpi_value(g.kpi, g.limit)))
                else:
                    fails.append(_("{kpi} {value} below the minimum {limit}", kpi=labels.kpi_name(g.kpi),
                                   value=labels.kpi_value(g.kpi, value), limit=labels.kpi_value(g.kpi, g.limit)))
        return _("quality gate failed ({reasons}): no payout", reasons=sep.join(fails))
    parts = []
    if r.capped:
        parts.append(_("attainment {attainment}: capped at {cap} × the target incentive", attainment=fmt.percent(r.attainment, 0),
                       cap=fmt.number(plan.cap, 2)))
    else:
        t = plan.tiers[int(r.band)]
        if math.isinf(t.end):
            parts.append(_("attainment {attainment}: tier {n} (from {start}) pays {multiple} × the target incentive",
                           attainment=fmt.percent(r.attainment, 0), n=fmt.number(int(r.band) + 1),
                           start=fmt.percent(t.start, 0), multiple=fmt.number(r.multiple, 2)))
        else:
            parts.append(_("attainment {attainment}: tier {n} ({start} to {end}) pays {multiple} × the target incentive",
                           attainment=fmt.percent(r.attainment, 0), n=fmt.number(int(r.band) + 1),
                           start=fmt.percent(t.start, 0), end=fmt.percent(t.end, 0), multiple=fmt.number(r.multiple, 2)))
    if plan.team_pool > 0:
        parts.append(_("team pool: {share} of the payout pooled, {pool} back from the team pool",
                       share=fmt.percent(plan.team_pool, 0), pool=fmt.money(r.pool_share)))
    return sep.join(parts)
