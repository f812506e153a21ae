"""Synthetic customer surveys of the won deals, with a true effect of each rep.

Every rep has a true satisfaction effect ``u ~ N(0, REP_SD)`` on the logit scale. A customer
answers with probability :data:`ANSWER_P`, 1–14 days after the win: CSAT is 4–5 with
probability ``sigmoid(CSAT_BASE + u)`` (then 5 or 4 equally), else 1/2/3 (15/35/50 %);
NPS (answered with probability :data:`NPS_P`) is a promoter with probability
``sigmoid(PROMOTER_BASE + u)``, otherwise a detractor with probability
``sigmoid(DETRACTOR_BASE − u)``, else a passive.

The truth (``customer.surveys``): per rep ``u``, the true satisfied share, CSAT average and
NPS — what the per-rep scores estimate.

>>> import pandas as pd
>>> won = pd.DataFrame({"lead_id": ["L1", "L2"], "rep_id": ["R1", "R2"],
...                     "won_at": pd.to_datetime(["2026-01-05 10:00", "2026-02-01 09:00"])})
>>> frame, truth = surveys(won, np.random.default_rng(0), ["R1", "R2"], end=pd.Timestamp("2026-12-31"))
>>> sorted(truth["per_rep"]["R1"])
['csat_mean', 'csat_top2_rate', 'effect', 'nps']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

REP_SD = 0.6
ANSWER_P, NPS_P = 0.6, 0.8
CSAT_BASE, PROMOTER_BASE, DETRACTOR_BASE = 0.8, -0.3, -0.5
LOW_SCORES = {1: 0.15, 2: 0.35, 3: 0.5}
CHANNELS = ("sms", "wechat", "email", "phone")


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def rep_truth(effect: np.ndarray) -> dict[str, np.ndarray]:
    """True satisfied share, CSAT average and NPS of reps with logit effects ``effect``."""
    top = _sigmoid(CSAT_BASE + effect)
    low_mean = sum(s * p for s, p in LOW_SCORES.items())
    promoter = _sigmoid(PROMOTER_BASE + effect)
    detractor = (1 - promoter) * _sigmoid(DETRACTOR_BASE - effect)
    return {"csat_top2_rate": top, "csat_mean": top * 4.5 + (1 - top) * low_mean, "nps": 100 * (promoter - detractor)}


def surveys(won: pd.DataFrame, rng: np.random.Generator, rep_ids: list[str], end: pd.Timestamp) -> tuple[pd.DataFrame, dict]:
    """Survey answers of the customers in ``won`` (lead_id, rep_id, won_at) before ``end``, and the truth."""
    effect = rng.normal(0.0, REP_SD, len(rep_ids))
    index = {r: i for i, r in enumerate(rep_ids)}
    n = len(won)
    u = effect[won["rep_id"].map(index).fillna(-1).astype(int).to_numpy()] if n else np.zeros(0)
    t = rep_truth(u)
    answered = rng.random(n) < ANSWER_P
    at = pd.to_datetime(won["won_at"]).to_numpy() + (rng.uniform(1, 14, n) * 86400).astype("timedelta64[s]")
    top = rng.random(n) < t["csat_top2_rate"]
    csat = np.where(top, 4 + (rng.random(n) < 0.5), rng.choice(list(LOW_SCORES), n, p=list(LOW_SCORES.values())))
    promoter = rng.random(n) < _sigmoid(PROMOTER_BASE + u)
    detractor = ~promoter & (rng.random(n) < _sigmoid(DETRACTOR_BASE - u))
    nps = np.where(promoter, rng.integers(9, 11, n), np.where(detractor, rng.integers(0, 7, n), rng.integers(7, 9, n)))
    has_nps = rng.random(n) < NPS_P
    channel = np.asarray(CHANNELS, dtype=object)[rng.integers(0, len(CHANNELS), n)]
    keep = answered & (at < np.datetime64(pd.Timestamp(end)))
    frame = pd.DataFrame({
        "survey_id": "", "lead_id": won["lead_id"].to_numpy(), "surveyed_at": pd.to_datetime(at).floor("s"),
        "csat": csat.astype("int64"), "nps": pd.array(np.where(has_nps, nps, 0), dtype="Int64"),
        "channel": channel, "rep_id": won["rep_id"].to_numpy(),
    })
    frame.loc[~has_nps, "nps"] = pd.NA
    frame = frame[keep].reset_index(drop=True)
    frame["survey_id"] = [f"S{i + 1:07d}" for i in range(len(frame))]
    per_rep = rep_truth(effect)
    truth = {
        "rep_effect_sd": REP_SD,
        "per_rep": {r: {"effect": float(effect[i]), **{k: float(v[i]) for k, v in per_rep.items()}}
                    for r, i in index.items()},
        "n_answers": int(len(frame)),
    }
    return frame, truth
