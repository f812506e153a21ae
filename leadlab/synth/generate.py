"""One block of leads: attributes, experiments, the SQL draw, calls and the funnel.

Blocks have a fixed size (:data:`BLOCK`) and their own random stream
``default_rng([seed, 1, block_index])``, so the data do not depend on how many
blocks are written per chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leadlab.synth import model as M
from leadlab.synth.calls import K, durations, expected_calls_and_talk, plan_attempts, play
from leadlab.synth.funnel import funnel
from leadlab.synth.leads import draw_attributes, hash_arm, sigmoid, speed_effect
from leadlab.synth.reps import RepFloor

BLOCK = 10_000

#: script codes written to calls.script
SCRIPTS = (M.STANDARD_SCRIPT, "lead-script-A", "lead-script-B", "rep-script-A", "rep-script-B")
LEAD_TEAMS = np.array([t in M.LEAD_EXP_TEAMS for t in M.TEAMS])
REP_TEAMS = np.array([t in M.REP_EXP_TEAMS for t in M.TEAMS])
_LEAD_SHIFT = np.array([v[0] for v in M.LEAD_EXP_ARMS.values()])
_LEAD_MULT = np.array([v[1] for v in M.LEAD_EXP_ARMS.values()])
_REP_SHIFT = np.array([v[0] for v in M.REP_EXP_ARMS.values()])
_REP_MULT = np.array([v[1] for v in M.REP_EXP_ARMS.values()])


@dataclass
class Context:
    seed: int
    start: int  # seconds, first moment of the window
    end: int  # seconds, end of the window (exclusive)
    exp_start: int
    floor: RepFloor
    arm_key: int
    rep_assigned_at: np.ndarray  # per rep: when EXP-REP-SCRIPT starts for the rep (int64 max when not in it)


@dataclass
class Block:
    leads: dict[str, np.ndarray]
    calls: dict[str, np.ndarray]
    truth: dict[str, np.ndarray]


def generate_block(ctx: Context, block_index: int, lead_num: np.ndarray, created: np.ndarray) -> Block:
    rng = np.random.default_rng([ctx.seed, 1, block_index])
    n = len(lead_num)
    floor = ctx.floor
    a = draw_attributes(rng, created, floor)
    owner, source = a["owner"], a["source"]
    plan = plan_attempts(rng, created, source, owner, floor)
    speed = speed_effect(plan.response_minutes)

    # experiments. Lead test: new leads of its teams, arm by hash. Rep test: the owner's arm;
    # its SQL effect reaches the leads created since the start, its script (and talk effect)
    # every dial the rep makes from the rep's assignment on.
    team = floor.team[owner]
    after = created >= ctx.exp_start
    in_lead = after & LEAD_TEAMS[team]
    in_rep = after & REP_TEAMS[team]
    lead_arm = np.where(in_lead, hash_arm(lead_num, ctx.arm_key), -1)
    owner_arm = floor.rep_arm[owner]
    rep_arm = np.where(in_rep, owner_arm, -1)
    rep_active = REP_TEAMS[team][:, None] & (plan.times >= ctx.rep_assigned_at[owner][:, None])
    script = np.where(
        in_lead[:, None], 1 + lead_arm[:, None], np.where(rep_active, 3 + owner_arm[:, None], 0)
    )
    shift = np.where(in_lead, _LEAD_SHIFT[np.maximum(lead_arm, 0)], 0.0) + np.where(in_rep, _REP_SHIFT[np.maximum(rep_arm, 0)], 0.0)
    mult = np.where(in_lead, _LEAD_MULT[np.maximum(lead_arm, 0)], 1.0)[:, None] * np.where(
        rep_active, _REP_MULT[np.maximum(owner_arm, 0)][:, None], 1.0
    )

    rep_eff = floor.sql_effect[owner]
    logit = a["attr_logit"] + rep_eff + speed + shift
    p_sql = sigmoid(logit)
    sql_drawn = rng.random(n) < p_sql

    out = play(rng, plan)
    made = plan.times < ctx.end
    rows = np.arange(n)
    q_time = plan.times[rows, out.n_sql - 1]
    sql_observed = sql_drawn & (q_time < ctx.end)
    disp = np.where(sql_drawn[:, None], out.disp_sql, out.disp_open)
    n_calls = np.where(sql_drawn, out.n_sql, out.n_open)
    keep = (np.arange(K)[None, :] < n_calls[:, None]) & made
    dur = durations(disp, out, mult)
    r, k = np.nonzero(keep)
    calls = {
        "lead_num": lead_num[r],
        "attempt": k.astype(np.int64),
        "rep": owner[r],
        "started_at": plan.times[r, k],
        "disposition": disp[r, k],
        "script": script[r, k],
        **{name: v[r, k] for name, v in dur.items()},
    }

    last_open = plan.times[rows, out.n_open - 1]
    f = funnel(rng, ctx.end, created, a, sql_drawn=sql_drawn, sql_observed=sql_observed, q_time=q_time, last_open=last_open)

    leads = {
        "lead_num": lead_num,
        "created_at": created,
        **{k: a[k] for k in ("source", "campaign", "region", "owner", "company_size", "industry", "job_title",
                             "page_views", "downloads", "webinar_attended", "email_opens", "prior_score")},
        **f,
        "person": _person(rng, lead_num),
        "lead_arm": lead_arm,
        "rep_arm": rep_arm,
    }

    truth = {
        "lead_num": lead_num,
        "p_sql": p_sql,
        "logit_attributes": a["attr_logit"],
        "rep_effect": rep_eff,
        "speed_effect": speed,
        "script_effect": shift,
        "response_minutes": plan.response_minutes,
        "sql_drawn": sql_drawn,
        "sql_observed": sql_observed,
        "qualifying_call_in_window": q_time < ctx.end,
        "lead_arm": lead_arm,
        "rep_arm": rep_arm,
        "owner": owner,
    }
    # potential outcomes of the experiment units under both arms
    rep_counted = rep_active & made
    rep_call_unit = rep_counted.any(axis=1)
    truth["rep_exp_call_arm"] = np.where(rep_call_unit, owner_arm, -1)
    for name in ("p_sql", "exp_talk", "exp_calls"):
        for arm in ("A", "B"):
            truth[f"{name}_{arm}"] = np.full(n, np.nan)
    units = in_lead | in_rep | rep_call_unit
    if units.any():
        u = np.flatnonzero(units)
        lead_u = in_lead[u]
        base = logit[u] - shift[u]
        shifts = np.where(lead_u[:, None], _LEAD_SHIFT[None, :], np.where(in_rep[u][:, None], _REP_SHIFT[None, :], 0.0))
        mults = np.where(lead_u[:, None], _LEAD_MULT[None, :], _REP_MULT[None, :])
        counted = np.where(lead_u[:, None], made[u], rep_counted[u])
        active = np.where(lead_u[:, None], True, rep_active[u])
        e = expected_calls_and_talk(plan.connect_p[u], counted, active)
        for j, arm in enumerate(("A", "B")):
            p = sigmoid(base + shifts[:, j])
            m = mults[:, j]
            talk = p * (e["talk_fixed_sql"] + m * e["talk_conv_sql"]) + (1 - p) * (e["talk_fixed_open"] + m * e["talk_conv_open"])
            truth[f"exp_talk_{arm}"][u] = talk
            truth[f"exp_calls_{arm}"][u] = p * e["calls_sql"] + (1 - p) * e["calls_open"]
            sql_unit = lead_u | in_rep[u]
            truth[f"p_sql_{arm}"][u[sql_unit]] = p[sql_unit]
    return Block(leads=leads, calls=calls, truth=truth)


def _person(rng: np.random.Generator, lead_num: np.ndarray) -> np.ndarray:
    """Contact id behind the PII tokens: the lead's own, or (a few) an earlier lead's."""
    dup = (rng.random(len(lead_num)) < M.DUPLICATE_SHARE) & (lead_num > 0)
    back = rng.integers(1, 5000, len(lead_num))
    return np.where(dup, np.maximum(lead_num - back, 0), lead_num)
