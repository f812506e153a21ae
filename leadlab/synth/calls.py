"""Dial attempts: when they are planned, how they end, how long they last.

Every lead gets a *plan* of up to ``MAX_ATTEMPTS_SQL`` attempt times drawn before
its outcome (first dial = speed-to-lead, then a business-day cadence), so the
same random numbers serve both potential outcomes. Given the SQL outcome the
attempts are played out:

* a lead that will qualify is dialled until a connected call ends ``qualified``
  (earlier connects are ``callback``; the last planned attempt connects for sure);
* any other lead is dialled until a connected call ends the cadence
  (not_interested, wrong_number, do_not_call, complaint) or after
  ``MAX_ATTEMPTS_OPEN`` attempts; connected ``callback`` calls continue it.

Attempts planned after the end of the window are not made (the lead is still open).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leadlab.synth import model as M
from leadlab.synth.clock import DAY, HOUR, business_day_after, next_business_time
from leadlab.synth.leads import sigmoid
from leadlab.synth.reps import RepFloor

K = M.MAX_ATTEMPTS_SQL
K_OPEN = M.MAX_ATTEMPTS_OPEN
D = M.DISPOSITION_CODES
_SRC = list(M.SOURCES.values())
FAST_SHIFT = np.array([s.fast_response_shift for s in _SRC])
CONNECT_SHIFT = np.array([s.connect_shift for s in _SRC])
HOUR_EFFECT = np.zeros(24)
HOUR_EFFECT[list(M.CALL_HOURS)] = M.HOUR_CONNECT_EFFECTS
CALL_HOUR_P = np.asarray(M.CALL_HOUR_WEIGHTS) / np.sum(M.CALL_HOUR_WEIGHTS)

#: conversation flags by disposition code
_CONVERSATION = np.array([v for _, v in M.DISPOSITIONS.values()])
_CONNECTED = np.array([c for c, _ in M.DISPOSITIONS.values()])
_TALK_MED = np.array([M.TALK.get(d, (0.0, 0.0))[0] for d in M.DISPOSITIONS])  # no talk when not listed
_TALK_SIG = np.array([M.TALK.get(d, (0.0, 0.0))[1] for d in M.DISPOSITIONS])
#: Shares of not-connected dials that hit a non-existent number (空号) or a phone switched off
#: (关机); carved out of no_answer's share of the same uniform, so every other draw is unchanged.
INVALID_NUMBER_SHARE = 0.02
UNREACHABLE_SHARE = 0.05
_NC = list(M.NOT_CONNECTED_SHARES)
_NC_CUM = np.cumsum(list(M.NOT_CONNECTED_SHARES.values()))
_OPEN = list(M.CONNECTED_OPEN_SHARES)
_OPEN_CUM = np.cumsum(list(M.CONNECTED_OPEN_SHARES.values()))
CALLBACK_OPEN = M.CONNECTED_OPEN_SHARES["callback"]


@dataclass
class Plan:
    times: np.ndarray  # (n, K) planned start times, strictly increasing per row
    connect_p: np.ndarray  # (n, K) probability that the attempt connects
    response_minutes: np.ndarray  # minutes from creation to the first planned dial


def plan_attempts(rng: np.random.Generator, created: np.ndarray, source: np.ndarray, owner: np.ndarray, floor: RepFloor) -> Plan:
    """Draw each lead's attempt times and per-attempt connect probabilities."""
    n = len(created)
    in_hours = next_business_time(created) == created
    fast_p = sigmoid(floor.fast_logit[owner] + FAST_SHIFT[source])
    fast = in_hours & (rng.random(n) < fast_p)
    slow = rng.random(n) < 0.22
    d_fast = 20 + rng.exponential(150, n)
    d_medium = np.exp(rng.normal(np.log(40 * 60), 0.9, n))
    d_slow = np.exp(rng.normal(np.log(20 * HOUR), 0.8, n))
    d_open = np.exp(rng.normal(np.log(25 * 60), 1.0, n))
    delay = np.where(fast, d_fast, np.where(slow, d_slow, np.where(in_hours, d_medium, d_open)))
    base = np.where(in_hours | slow, created, next_business_time(created))
    first = base + np.maximum(delay, 20).astype(np.int64)
    moved = next_business_time(first)
    first = np.where(moved == first, first, moved + rng.integers(60, 1800, n))
    times = np.empty((n, K), dtype=np.int64)
    times[:, 0] = first
    hours = rng.choice(M.CALL_HOURS, size=(n, K - 1), p=CALL_HOUR_P)
    secs = rng.integers(0, HOUR, size=(n, K - 1))
    for k in range(1, K):
        day = business_day_after(first, M.CADENCE_BUSINESS_DAYS[k])
        times[:, k] = day + hours[:, k - 1] * HOUR + secs[:, k - 1]
    hour_of = (times % DAY) // HOUR
    logit = M.CONNECT_BASE_LOGIT + floor.connect_effect[owner][:, None] + CONNECT_SHIFT[source][:, None] + HOUR_EFFECT[hour_of]
    return Plan(times=times, connect_p=sigmoid(logit), response_minutes=(first - created) / 60.0)


@dataclass
class Outcome:
    """Both potential call sequences of each lead, from common random numbers."""

    disp_sql: np.ndarray  # (n, K) disposition codes if the lead qualifies
    n_sql: np.ndarray  # attempts if it qualifies (index of the qualifying call + 1)
    disp_open: np.ndarray  # (n, K) disposition codes if it does not
    n_open: np.ndarray  # attempts if it does not
    u_talk: np.ndarray  # (n, K) standard normals for talk time
    u_ring: np.ndarray
    u_wrap: np.ndarray
    u_hold: np.ndarray  # (n, K) uniforms: hold happens when < HOLD_SHARE
    z_hold: np.ndarray


def play(rng: np.random.Generator, plan: Plan) -> Outcome:
    """Play out each plan under both outcomes with the same random numbers."""
    n = plan.times.shape[0]
    u_c = rng.random((n, K))
    u_d = rng.random((n, K))
    conn = u_c < plan.connect_p
    nc_codes = np.array([D[d] for d in _NC])[np.minimum(np.searchsorted(_NC_CUM, u_d, side="right"), len(_NC) - 1)]
    nc_codes = np.where(u_d < INVALID_NUMBER_SHARE, D["invalid_number"],
                        np.where(u_d < INVALID_NUMBER_SHARE + UNREACHABLE_SHARE, D["unreachable"], nc_codes))
    # qualifies: connects until one ends qualified; the last planned attempt qualifies for sure
    conn_s = conn.copy()
    conn_s[:, K - 1] = True
    qual = conn_s & (u_d >= M.SQL_CALLBACK_SHARE)
    qual[:, K - 1] = True
    k_q = np.argmax(qual, axis=1)
    disp_sql = np.where(conn_s, D["callback"], nc_codes)
    disp_sql[np.arange(n), k_q] = D["qualified"]
    # does not qualify
    open_codes = np.array([D[d] for d in _OPEN])[np.minimum(np.searchsorted(_OPEN_CUM, u_d, side="right"), len(_OPEN) - 1)]
    disp_open = np.where(conn, open_codes, nc_codes)
    term = conn & (u_d >= CALLBACK_OPEN)
    term[:, K_OPEN - 1] = True
    k_o = np.argmax(term[:, :K_OPEN], axis=1)
    return Outcome(
        disp_sql=disp_sql,
        n_sql=k_q + 1,
        disp_open=disp_open,
        n_open=k_o + 1,
        u_talk=rng.standard_normal((n, K)),
        u_ring=rng.standard_normal((n, K)),
        u_wrap=rng.standard_normal((n, K)),
        u_hold=rng.random((n, K)),
        z_hold=rng.standard_normal((n, K)),
    )


def durations(disp: np.ndarray, out: Outcome, talk_mult: np.ndarray) -> dict[str, np.ndarray]:
    """Ring, talk, hold and wrap seconds of calls with dispositions ``disp``.

    ``talk_mult`` (one per attempt, same shape as ``disp``) stretches the talk of
    conversations (the script's effect).
    """
    conversation = _CONVERSATION[disp]
    connected = _CONNECTED[disp]
    talk = _TALK_MED[disp] * np.exp(_TALK_SIG[disp] * out.u_talk)
    talk = np.where(conversation, talk * talk_mult, talk)
    ring_med = np.full(disp.shape, M.RING_CONNECTED[0])
    ring_sig = np.full(disp.shape, M.RING_CONNECTED[1])
    for d, (m, s) in M.RING.items():
        sel = disp == D[d]
        ring_med[sel], ring_sig[sel] = m, s
    ring = ring_med * np.exp(ring_sig * out.u_ring)
    wrap_key = np.where(disp == D["qualified"], 2, np.where(connected, 1, 0))
    wm = np.array([M.WRAP["not_connected"][0], M.WRAP["connected"][0], M.WRAP["qualified"][0]])[wrap_key]
    ws = np.array([M.WRAP["not_connected"][1], M.WRAP["connected"][1], M.WRAP["qualified"][1]])[wrap_key]
    wrap = wm * np.exp(ws * out.u_wrap)
    hold = np.where(conversation & (out.u_hold < M.HOLD_SHARE), M.HOLD[0] * np.exp(M.HOLD[1] * out.z_hold), 0.0)
    return {
        "ring_seconds": np.round(ring, 1),
        "talk_seconds": np.round(talk, 1),
        "hold_seconds": np.round(hold, 1),
        "wrap_seconds": np.round(wrap, 1),
    }


def _mean_talk(d: str) -> float:
    m, s = M.TALK[d]
    return M.lognormal_mean(m, s) if m > 0 else 0.0


def expected_calls_and_talk(connect_p: np.ndarray, counted: np.ndarray, active: np.ndarray) -> dict[str, np.ndarray]:
    """Expected dials and talk seconds per lead under each outcome, over dispositions and
    talk draws, counting only the attempts marked ``counted`` (e.g. inside the window).

    Talk is split into a fixed part and a part stretched by the script's multiplier:
    ``E[talk] = fixed + multiplier * conversation``, where ``conversation`` is the talk of
    conversations on the attempts where the script is ``active``.
    """
    n = connect_p.shape[0]
    e_nc = M.NOT_CONNECTED_SHARES["voicemail"] * _mean_talk("voicemail")
    e_cb, e_q = _mean_talk("callback"), _mean_talk("qualified")
    open_conv = sum(M.CONNECTED_OPEN_SHARES[d] * _mean_talk(d) for d in _OPEN if M.DISPOSITIONS[d][1])
    open_fixed = sum(M.CONNECTED_OPEN_SHARES[d] * _mean_talk(d) for d in _OPEN if not M.DISPOSITIONS[d][1])
    res = {}
    for world, last in (("sql", K), ("open", K_OPEN)):
        alive = np.ones(n)
        calls = np.zeros(n)
        fixed = np.zeros(n)
        conv = np.zeros(n)
        for k in range(last):
            c = connect_p[:, k]
            w = alive * counted[:, k]
            on = active[:, k]
            calls += w
            if world == "sql":
                if k == last - 1:
                    talk_conv = w * e_q
                    conv += np.where(on, talk_conv, 0.0)
                    fixed += np.where(on, 0.0, talk_conv)
                    break
                fixed += w * (1 - c) * e_nc
                talk_conv = w * c * (M.SQL_CALLBACK_SHARE * e_cb + (1 - M.SQL_CALLBACK_SHARE) * e_q)
                alive = alive * (1 - c * (1 - M.SQL_CALLBACK_SHARE))
            else:
                fixed += w * ((1 - c) * e_nc + c * open_fixed)
                talk_conv = w * c * open_conv
                alive = alive * (1 - c * (1 - CALLBACK_OPEN))
            conv += np.where(on, talk_conv, 0.0)
            fixed += np.where(on, 0.0, talk_conv)
        res[f"calls_{world}"] = calls
        res[f"talk_fixed_{world}"] = fixed
        res[f"talk_conv_{world}"] = conv
    return res
