"""Lead attributes known at creation, and the attribute part of the true SQL logit.

The attribute logit is ``INTERCEPT + sum(FEATURES coef * feature) + industry +
job_title + region + source effect`` (see :mod:`leadlab.synth.model`).

>>> import numpy as np
>>> from leadlab.synth.reps import make_reps
>>> rng = np.random.default_rng(0)
>>> floor = make_reps(rng, 5000, 0, 400 * 86_400)
>>> a = draw_attributes(rng, np.arange(1000) * 86_400 // 3, floor)
>>> sorted(a)[:3]
['attr_logit', 'campaign', 'company_size']
"""

from __future__ import annotations

import numpy as np

from leadlab.synth import model as M
from leadlab.synth.reps import RepFloor, assign_owner

_SRC = list(M.SOURCES.values())
SOURCE_SHARES = np.array([s.share for s in _SRC])
SOURCE_EFFECTS = np.array([s.logit_effect for s in _SRC])
INTEREST_SHIFT = np.array([s.interest_shift for s in _SRC])
SIZE_SHIFT = np.array([s.size_shift for s in _SRC])
REGION_EFFECTS = np.array([M.REGION_EFFECTS[t] for t in M.TEAMS])


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def feature_matrix(company_size, page_views, downloads, webinar_attended, email_opens) -> np.ndarray:
    """The numeric features of the SQL logit, columns in ``model.FEATURES`` order."""
    return np.column_stack(
        [
            np.log(np.asarray(company_size, dtype=float)),
            np.log1p(np.asarray(page_views, dtype=float)),
            np.asarray(downloads, dtype=float),
            np.asarray(webinar_attended, dtype=float),
            np.log1p(np.asarray(email_opens, dtype=float)),
        ]
    )


def _campaigns(rng: np.random.Generator, source: np.ndarray) -> np.ndarray:
    """Global campaign index (into ``model.CAMPAIGNS``) for each lead, by its source."""
    out = np.empty(len(source), dtype=np.int64)
    u = rng.random(len(source))
    offset = 0
    for i, s in enumerate(_SRC):
        idx = np.flatnonzero(source == i)
        cum = np.cumsum(s.campaign_weights) / np.sum(s.campaign_weights)
        out[idx] = offset + np.minimum(np.searchsorted(cum, u[idx], side="right"), len(cum) - 1)
        offset += len(s.campaigns)
    return out


def draw_attributes(rng: np.random.Generator, created: np.ndarray, floor: RepFloor) -> dict[str, np.ndarray]:
    """Everything known about a lead at creation, plus its attribute logit."""
    n = len(created)
    source = rng.choice(len(_SRC), size=n, p=SOURCE_SHARES)
    campaign = _campaigns(rng, source)
    region = rng.choice(len(M.TEAMS), size=n, p=np.asarray(M.REGION_SHARES) / sum(M.REGION_SHARES))
    owner = assign_owner(rng, floor, region, created)
    size = np.exp(rng.normal(3.6 + SIZE_SHIFT[source], 1.5))
    company_size = np.clip(np.ceil(size), 1, 100_000).astype(np.int64)
    industry = rng.choice(len(M.INDUSTRIES), size=n, p=M.shares(M.INDUSTRIES))
    job_title = rng.choice(len(M.JOB_TITLES), size=n, p=M.shares(M.JOB_TITLES))
    interest = rng.standard_normal(n) + INTEREST_SHIFT[source]
    page_views = rng.poisson(np.exp(1.2 + 0.55 * interest))
    downloads = rng.poisson(np.exp(-1.1 + 0.6 * interest))
    webinar = rng.random(n) < sigmoid(-2.4 + 0.8 * interest)
    email_opens = rng.poisson(np.exp(0.9 + 0.45 * interest))
    x = feature_matrix(company_size, page_views, downloads, webinar, email_opens)
    beta = np.array([c for _, c in M.FEATURES.values()])
    attr_logit = (
        M.INTERCEPT
        + x @ beta
        + M.effects(M.INDUSTRIES)[industry]
        + M.effects(M.JOB_TITLES)[job_title]
        + REGION_EFFECTS[region]
        + SOURCE_EFFECTS[source]
    )
    # an earlier system's score: a noisy view of the attribute logit, 0-100
    prior_score = np.round(100 * sigmoid(0.8 * (attr_logit + 2.3) + rng.normal(0, 0.75, n)), 1)
    return {
        "source": source,
        "campaign": campaign,
        "region": region,
        "owner": owner,
        "company_size": company_size,
        "industry": industry,
        "job_title": job_title,
        "page_views": page_views,
        "downloads": downloads,
        "webinar_attended": webinar,
        "email_opens": email_opens,
        "prior_score": prior_score,
        "attr_logit": attr_logit,
    }


def speed_effect(response_minutes: np.ndarray) -> np.ndarray:
    """Logit shift of SQL by minutes from creation to the first dial."""
    eff = np.array(list(M.SPEED_EFFECTS.values()))
    return eff[np.searchsorted(np.asarray(M.SPEED_BUCKETS_MINUTES), response_minutes, side="left")]


def hash_arm(lead_num: np.ndarray, key: int) -> np.ndarray:
    """0/1 arm from a keyed splitmix64 hash of the lead number (independent of chunking)."""
    z = (np.asarray(lead_num, dtype=np.uint64) ^ np.uint64(key & 0xFFFFFFFFFFFFFFFF)) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(63)).astype(np.int64)
