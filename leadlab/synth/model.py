"""The fixed parameters of the synthetic operation (the "true model").

Everything the generator draws from is declared here, in one place, so that
``ground_truth.json`` can document it and tests can compare estimates with it.
Numbers are chosen to look like a mid-sized B2B inside-sales floor: a base
SQL rate of about 10 %, about five dial attempts per lead, a per-attempt
connect rate of about 30 %.

>>> SOURCES["referral"].logit_effect > SOURCES["list_purchase"].logit_effect
True
>>> round(sum(s.share for s in SOURCES.values()), 6)
1.0
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from leadlab.schema import DISPOSITIONS


@dataclass(frozen=True)
class Source:
    """An acquisition source: volume share, cost per lead, quality (logit shift)."""

    share: float
    cost_per_lead: float
    logit_effect: float
    campaigns: tuple[str, ...]
    campaign_weights: tuple[float, ...]
    interest_shift: float  # shift of the latent engagement that drives page views etc.
    size_shift: float  # shift of ln(company_size)
    fast_response_shift: float  # logit shift of the rep's chance to call within minutes
    connect_shift: float  # logit shift of the per-attempt connect probability


SOURCES: dict[str, Source] = {
    "web_form": Source(0.30, 38.0, 0.30, ("web-organic", "web-content-hub"), (0.6, 0.4), 0.2, 0.0, 0.4, 0.2),
    "paid_search": Source(0.25, 85.0, 0.00, ("ps-brand", "ps-generic", "ps-competitor"), (0.3, 0.5, 0.2), 0.0, 0.0, 0.4, 0.1),
    "referral": Source(0.08, 55.0, 0.85, ("ref-customer", "ref-employee"), (0.7, 0.3), 0.3, 0.2, 0.2, 0.4),
    "list_purchase": Source(0.20, 12.0, -1.10, ("list-dataco", "list-bizdirectory"), (0.55, 0.45), -0.6, -0.3, -1.5, -0.4),
    "event": Source(0.07, 140.0, 0.45, ("event-tradeshow", "event-roadshow"), (0.6, 0.4), 0.4, 0.5, -0.5, 0.1),
    "partner": Source(0.10, 60.0, 0.15, ("partner-resellers", "partner-alliances"), (0.5, 0.5), 0.1, 0.3, 0.0, 0.0),
}
SOURCE_NAMES = tuple(SOURCES)
#: (source index, campaign) for every campaign, in a fixed order.
CAMPAIGNS: tuple[tuple[int, str], ...] = tuple(
    (i, c) for i, s in enumerate(SOURCES.values()) for c in s.campaigns
)
CAMPAIGN_NAMES = tuple(c for _, c in CAMPAIGNS)

TEAMS = ("North", "South", "East", "West")
#: Lead regions; a lead's region is served by the team of the same name.
REGION_SHARES = (0.30, 0.25, 0.25, 0.20)
REGION_EFFECTS = {"North": 0.0, "South": -0.10, "East": 0.05, "West": 0.10}

INDUSTRIES = {  # share, logit effect (reference: manufacturing)
    "software": (0.18, 0.50),
    "finance": (0.14, 0.30),
    "healthcare": (0.12, 0.15),
    "manufacturing": (0.16, 0.0),
    "retail": (0.14, -0.30),
    "education": (0.10, -0.50),
    "logistics": (0.10, -0.10),
    "government": (0.06, -0.65),
}
JOB_TITLES = {  # share, logit effect (reference: manager)
    "c_level": (0.08, 0.75),
    "vp": (0.08, 0.60),
    "director": (0.16, 0.45),
    "manager": (0.30, 0.0),
    "staff": (0.28, -0.50),
    "other": (0.10, -1.10),
}

#: Numeric features of the SQL logit: name -> (formula on the leads table, coefficient).
FEATURES: dict[str, tuple[str, float]] = {
    "log_company_size": ("ln(company_size)", 0.33),
    "log1p_page_views": ("ln(1 + page_views)", 0.75),
    "downloads": ("downloads", 0.40),
    "webinar_attended": ("1 if webinar_attended else 0", 0.80),
    "log1p_email_opens": ("ln(1 + email_opens)", 0.45),
}
INTERCEPT = -5.86

#: Speed-to-lead: minutes from creation to the first dial -> logit shift of SQL.
SPEED_BUCKETS_MINUTES = (5.0, 60.0, 1440.0)
SPEED_EFFECTS = {"within_5_min": 0.18, "5_to_60_min": 0.0, "1_to_24_h": -0.12, "over_24_h": -0.25}

#: Rep random effects.
REP_SQL_SD = 0.35  # logit sd of a rep's effect on SQL (owner rep)
REP_CONNECT_SD = 0.30  # logit sd of a rep's effect on connecting
REP_SKILL_CORR = 0.5  # correlation of the two
REP_FAST_MEAN = 0.0  # logit mean of a rep's share of leads called within minutes
REP_FAST_SD = 0.8
REPS_PER_LEADS = 750  # one rep per this many leads
MIN_REPS = 12

#: Experiments.
EXPERIMENT_MONTHS = 4  # both start this many months before the end
LEAD_EXP = "EXP-LEAD-SCRIPT"
REP_EXP = "EXP-REP-SCRIPT"
LEAD_EXP_TEAMS = ("North", "South")
REP_EXP_TEAMS = ("East", "West")
#: Arm -> (SQL logit shift, talk-time multiplier for conversations).
LEAD_EXP_ARMS = {"A": (0.0, 1.0), "B": (0.25, 1.08)}
REP_EXP_ARMS = {"A": (0.0, 1.0), "B": (0.05, 1.03)}
STANDARD_SCRIPT = "standard"

#: Calls.
DISPOSITION_CODES = {d: i for i, d in enumerate(DISPOSITIONS)}
MAX_ATTEMPTS_OPEN = 8  # attempts on a lead that will not qualify
MAX_ATTEMPTS_SQL = 12  # attempts on a lead that will qualify; the last one connects for sure
#: Business-day offset of attempt k from the first dial's day.
CADENCE_BUSINESS_DAYS = (0, 1, 2, 4, 7, 10, 14, 19, 25, 32, 40, 50)
CONNECT_BASE_LOGIT = -0.85  # ~30 % per attempt before hour/rep/source effects
#: Hour of day -> connect logit shift; also the hours dials happen (weights).
CALL_HOURS = tuple(range(8, 19))
CALL_HOUR_WEIGHTS = (0.06, 0.11, 0.12, 0.11, 0.06, 0.08, 0.11, 0.11, 0.10, 0.09, 0.05)
HOUR_CONNECT_EFFECTS = (-0.35, -0.10, 0.10, 0.15, -0.25, -0.10, 0.05, 0.10, 0.20, 0.25, 0.0)
#: Not connected: no_answer / busy / voicemail shares.
NOT_CONNECTED_SHARES = {"no_answer": 0.55, "busy": 0.10, "voicemail": 0.35}
#: Connected, lead will not qualify: callback continues, the rest end the cadence.
CONNECTED_OPEN_SHARES = {
    "callback": 0.50,
    "not_interested": 0.43,
    "wrong_number": 0.063,
    "do_not_call": 0.005,
    "complaint": 0.002,
}
#: Connected, lead will qualify: callback (talk again later) or qualified.
SQL_CALLBACK_SHARE = 0.40
#: Talk seconds by disposition: log-normal (median, sigma); 0 median means no talk.
TALK = {
    "no_answer": (0.0, 0.0),
    "busy": (0.0, 0.0),
    "voicemail": (22.0, 0.30),
    "wrong_number": (12.0, 0.40),
    "not_interested": (75.0, 0.60),
    "callback": (160.0, 0.60),
    "qualified": (540.0, 0.45),
    "do_not_call": (30.0, 0.40),
    "complaint": (95.0, 0.50),
}
RING = {  # median, sigma
    "no_answer": (32.0, 0.15),
    "busy": (3.0, 0.30),
    "voicemail": (24.0, 0.20),
}
RING_CONNECTED = (9.0, 0.45)
WRAP = {"connected": (45.0, 0.50), "not_connected": (12.0, 0.40), "qualified": (180.0, 0.40)}
HOLD_SHARE = 0.30  # share of conversations with a hold
HOLD = (40.0, 0.70)

#: Funnel after SQL.
OPPORTUNITY_RATE = 0.45
WIN_RATE = 0.35
DAYS_TO_OPPORTUNITY = (4.0, 0.70)  # log-normal median days, sigma
DAYS_TO_CLOSE = (21.0, 0.60)
DAYS_TO_DISQUALIFY = (7.0, 0.70)
REVENUE_MEDIAN_AT_40 = 6000.0  # median revenue for a 40-employee company
REVENUE_SIZE_ELASTICITY = 0.35
REVENUE_SIGMA = 0.50

#: Pseudonymized PII: share of leads that are a returning contact of an earlier lead.
DUPLICATE_SHARE = 0.02

#: Creation seasonality.
WEEKDAY_WEIGHTS = (1.15, 1.20, 1.15, 1.05, 0.90, 0.35, 0.30)  # Mon..Sun
HOUR_WEIGHTS = (
    0.15, 0.10, 0.08, 0.08, 0.10, 0.20, 0.40, 0.80, 1.40, 1.80, 1.90, 1.80,
    1.40, 1.60, 1.80, 1.70, 1.50, 1.10, 0.80, 0.60, 0.50, 0.40, 0.30, 0.20,
)
ANNUAL_GROWTH = 0.25  # lead volume grows 25 % a year
BUSINESS_OPEN_HOUR = 8
BUSINESS_CLOSE_HOUR = 19


def shares(d: dict[str, tuple[float, float]]) -> np.ndarray:
    """Normalised shares of a ``{level: (share, effect)}`` table."""
    s = np.array([v[0] for v in d.values()], dtype=float)
    return s / s.sum()


def effects(d: dict[str, tuple[float, float]]) -> np.ndarray:
    return np.array([v[1] for v in d.values()], dtype=float)


def lognormal_mean(median: float, sigma: float) -> float:
    """Mean of a log-normal given its median and log-sd."""
    return float(median * np.exp(sigma**2 / 2))


def describe() -> dict:
    """The model parameters as plain JSON-able data (part of ground_truth.json)."""
    return {
        "sources": {k: asdict(v) for k, v in SOURCES.items()},
        "teams": list(TEAMS),
        "region_shares": dict(zip(TEAMS, REGION_SHARES)),
        "industries": {k: {"share": v[0], "logit_effect": v[1]} for k, v in INDUSTRIES.items()},
        "job_titles": {k: {"share": v[0], "logit_effect": v[1]} for k, v in JOB_TITLES.items()},
        "calls": {
            "max_attempts_open": MAX_ATTEMPTS_OPEN,
            "max_attempts_sql": MAX_ATTEMPTS_SQL,
            "cadence_business_days": list(CADENCE_BUSINESS_DAYS),
            "connect_base_logit": CONNECT_BASE_LOGIT,
            "hour_connect_effects": dict(zip(map(str, CALL_HOURS), HOUR_CONNECT_EFFECTS)),
            "call_hour_weights": dict(zip(map(str, CALL_HOURS), CALL_HOUR_WEIGHTS)),
            "not_connected_shares": NOT_CONNECTED_SHARES,
            "connected_open_shares": CONNECTED_OPEN_SHARES,
            "sql_callback_share": SQL_CALLBACK_SHARE,
            "talk_seconds_lognormal": {k: {"median": m, "sigma": s} for k, (m, s) in TALK.items()},
        },
        "funnel": {
            "opportunity_rate": OPPORTUNITY_RATE,
            "win_rate": WIN_RATE,
            "days_to_opportunity_lognormal": DAYS_TO_OPPORTUNITY,
            "days_to_close_lognormal": DAYS_TO_CLOSE,
            "days_to_disqualify_lognormal": DAYS_TO_DISQUALIFY,
            "revenue_median_at_40_employees": REVENUE_MEDIAN_AT_40,
            "revenue_size_elasticity": REVENUE_SIZE_ELASTICITY,
            "revenue_sigma": REVENUE_SIGMA,
        },
        "creation": {
            "weekday_weights_mon_to_sun": list(WEEKDAY_WEIGHTS),
            "hour_weights": list(HOUR_WEIGHTS),
            "annual_growth": ANNUAL_GROWTH,
        },
        "duplicate_contact_share": DUPLICATE_SHARE,
    }
