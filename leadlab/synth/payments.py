"""Synthetic invoices and payments of the won deals, with the true collection behaviour.

Each won deal is invoiced on the day it was won, in 1–3 monthly instalments (due 30, 60,
90 days later). Each customer is a full payer, a half payer (pays half of every
instalment) or a defaulter (:data:`BEHAVIOUR`); a payment arrives ``gamma(2, 6) − 4`` days
after the due date (never before the invoice). A share of customers places a repeat order
``gamma(3, 40)`` days after the win (kind ``repeat``, 40 % of the deal, due 30 days later).
Nothing dated after the data end is written, as in a real export.

The truth (``ground_truth.json`` → ``customer.payments``): the behaviour shares, the
expected collection rate of invoices that have had time to be paid (full + ½ half), the
repeat probability and the true share of customers with a repeat order within 180 days.

>>> import pandas as pd
>>> won = pd.DataFrame({"lead_id": ["L1", "L2"], "rep_id": ["R1", "R2"],
...                     "won_at": pd.to_datetime(["2026-01-05 10:00", "2026-02-01 09:00"]), "revenue": [900.0, 100.0]})
>>> frame, truth = payments(won, np.random.default_rng(0), end=pd.Timestamp("2026-12-31"))
>>> sorted(frame.columns) == sorted(["payment_id", "lead_id", "kind", "issued_at", "due_date", "amount_due",
...                                  "paid_date", "amount_paid"]), round(truth["expected_collection_rate"], 3)
(True, 0.885)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as st

#: share of customers by payment behaviour, and the fraction of each instalment they pay
BEHAVIOUR = {"full": (0.85, 1.0), "half": (0.07, 0.5), "never": (0.08, 0.0)}
INSTALMENTS = {1: 0.6, 2: 0.25, 3: 0.15}
DELAY_SHAPE, DELAY_SCALE, DELAY_SHIFT = 2.0, 6.0, 4
REPEAT_P, REPEAT_SHAPE, REPEAT_SCALE, REPEAT_SHARE = 0.3, 3.0, 40.0, 0.4
WINDOW_DAYS = 180


def won_deals(con) -> pd.DataFrame:
    """The won deals of a synthetic store (a DuckDB connection): lead_id, rep_id, won_at, revenue."""
    return con.execute("SELECT lead_id, rep_id, won_at, revenue FROM leads WHERE won_at IS NOT NULL "
                       "ORDER BY lead_id").df()


def payments(won: pd.DataFrame, rng: np.random.Generator, end: pd.Timestamp) -> tuple[pd.DataFrame, dict]:
    """Invoices of ``won`` (one row per instalment or repeat order) known by ``end`` (exclusive), and the truth."""
    n = len(won)
    shares = np.array([v[0] for v in BEHAVIOUR.values()])
    fraction = np.array([v[1] for v in BEHAVIOUR.values()])[rng.choice(len(shares), n, p=shares)]
    k = rng.choice(list(INSTALMENTS), n, p=list(INSTALMENTS.values()))
    won_day = pd.to_datetime(won["won_at"]).dt.normalize().to_numpy()
    revenue = won["revenue"].fillna(0.0).to_numpy(float)
    rows = np.repeat(np.arange(n), k)
    inst = np.concatenate([np.arange(1, j + 1) for j in k]) if n else np.array([], int)
    issued = won_day[rows]
    due = issued + (30 * inst).astype("timedelta64[D]")
    amount = revenue[rows] / k[rows]
    kind = np.array(["deal"] * len(rows), dtype=object)
    # repeat orders
    rep = rng.random(n) < REPEAT_P
    gap = np.ceil(rng.gamma(REPEAT_SHAPE, REPEAT_SCALE, n)).astype("timedelta64[D]")
    r = np.flatnonzero(rep)
    rows = np.concatenate([rows, r])
    issued = np.concatenate([issued, won_day[r] + gap[r]])
    due = np.concatenate([due, won_day[r] + gap[r] + np.timedelta64(30, "D")])
    amount = np.concatenate([amount, np.round(REPEAT_SHARE * revenue[r], 2)])
    kind = np.concatenate([kind, np.array(["repeat"] * len(r), dtype=object)])
    delay = np.round(rng.gamma(DELAY_SHAPE, DELAY_SCALE, len(rows))).astype(int) - DELAY_SHIFT
    paid_date = np.maximum(due + delay.astype("timedelta64[D]"), issued)
    paid = np.round(amount * fraction[rows], 2)
    end64 = np.datetime64(pd.Timestamp(end).normalize())
    known = issued < end64
    unpaid = (paid <= 0) | (paid_date >= end64)
    frame = pd.DataFrame({
        "payment_id": "", "lead_id": won["lead_id"].to_numpy()[rows], "kind": kind,
        "issued_at": pd.to_datetime(issued).date, "due_date": pd.to_datetime(due).date,
        "amount_due": np.round(amount, 2),
        "paid_date": pd.Series(pd.to_datetime(paid_date).date, dtype=object).where(~unpaid, None),
        "amount_paid": pd.Series(paid).where(~unpaid, np.nan),
    })[known].sort_values(["lead_id", "issued_at", "due_date"], kind="stable").reset_index(drop=True)
    frame["payment_id"] = [f"P{i + 1:07d}" for i in range(len(frame))]
    truth = {
        "behaviour_shares": {b: v[0] for b, v in BEHAVIOUR.items()},
        "behaviour_paid_fraction": {b: v[1] for b, v in BEHAVIOUR.items()},
        "expected_collection_rate": float(shares @ np.array([v[1] for v in BEHAVIOUR.values()])),
        "payment_delay_days": f"gamma({DELAY_SHAPE:g}, {DELAY_SCALE:g}) - {DELAY_SHIFT} after the due date",
        "repeat_probability": REPEAT_P,
        "repeat_within_180_days": float(REPEAT_P * st.gamma.cdf(WINDOW_DAYS, REPEAT_SHAPE, scale=REPEAT_SCALE)),
        "n_invoices": int(len(frame)),
    }
    return frame, truth
