"""The lifecycle after the dials: MQL, SQL, opportunity, won / lost, revenue.

Times are ``int64`` seconds; ``-1`` means empty (not reached, or not yet by the end).
Timestamps are strictly ordered: created < mql < sql < opportunity < won.
"""

from __future__ import annotations

import numpy as np

from leadlab.synth import model as M
from leadlab.synth.clock import DAY, HOUR
from leadlab.synth.leads import sigmoid


def _lognormal_seconds(rng: np.random.Generator, n: int, median_days: float, sigma: float) -> np.ndarray:
    return np.maximum(HOUR, np.exp(rng.normal(np.log(median_days * DAY), sigma, n))).astype(np.int64)


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def funnel(
    rng: np.random.Generator,
    end: int,
    created: np.ndarray,
    attrs: dict[str, np.ndarray],
    *,
    sql_drawn: np.ndarray,
    sql_observed: np.ndarray,
    q_time: np.ndarray,
    last_open: np.ndarray,
) -> dict[str, np.ndarray]:
    """Lifecycle timestamps and revenue of a block of leads.

    ``q_time``: start of the qualifying dial (= ``sql_at`` when observed); ``last_open``: start
    of the last dial of a lead that does not qualify. Anything at or after ``end`` stays empty.
    """
    n = len(created)
    sql_at = np.where(sql_observed, q_time, -1)
    # MQL: every SQL on the way to it; other leads by engagement, about an hour after creation
    f = rng.uniform(0.05, 0.6, n)
    mql_sql = created + np.maximum(1, (f * (q_time - created)).astype(np.int64))
    engagement = 0.6 * np.log1p(attrs["page_views"]) + 0.5 * attrs["downloads"] + 0.8 * attrs["webinar_attended"] - 1.6
    mql_open = (rng.random(n) < sigmoid(engagement)) & ~sql_observed
    mql_t_open = created + np.exp(rng.normal(np.log(HOUR), 1.0, n)).astype(np.int64) + 1
    mql_at = np.where(sql_observed, mql_sql, np.where(mql_open, mql_t_open, -1))
    mql_at = np.where(mql_at < end, mql_at, -1)
    # opportunity, then won or lost; bigger companies convert a little more often
    z_size = (np.log(attrs["company_size"]) - 3.6) / 1.5
    opp = sql_observed & (rng.random(n) < sigmoid(_logit(M.OPPORTUNITY_RATE) + 0.3 * z_size))
    opp_t = sql_at + _lognormal_seconds(rng, n, *M.DAYS_TO_OPPORTUNITY)
    opp_at = np.where(opp & (opp_t < end), opp_t, -1)
    has_opp = opp_at >= 0
    won = has_opp & (rng.random(n) < sigmoid(_logit(M.WIN_RATE) + 0.2 * z_size))
    close_t = opp_at + _lognormal_seconds(rng, n, *M.DAYS_TO_CLOSE)
    closed = has_opp & (close_t < end)
    won_at = np.where(won & closed, close_t, -1)
    rev_med = M.REVENUE_MEDIAN_AT_40 * (attrs["company_size"] / 40.0) ** M.REVENUE_SIZE_ELASTICITY
    revenue = np.where(won_at >= 0, np.round(rev_med * np.exp(rng.normal(0, M.REVENUE_SIGMA, n)), 2), np.nan)
    # lost: lost opportunities at closing; SQLs without an opportunity after review; other
    # leads an hour after the dial that ended their cadence
    disq_t = sql_at + _lognormal_seconds(rng, n, *M.DAYS_TO_DISQUALIFY)
    closed_open = last_open + HOUR
    lost_at = np.where(
        has_opp,
        np.where(~won & closed, close_t, -1),
        np.where(
            sql_observed,
            np.where(~opp & (disq_t < end), disq_t, -1),
            np.where(~sql_drawn & (closed_open < end), closed_open, -1),
        ),
    )
    return {
        "mql_at": mql_at,
        "sql_at": sql_at,
        "opportunity_at": opp_at,
        "won_at": won_at,
        "lost_at": lost_at,
        "revenue": revenue,
    }
