"""Synthetic call-quality reviews with a known truth: true rep quality and true reviewer bias.

For each of the last :data:`QA_MONTHS` complete months, up to :data:`PER_REP` reviewable calls per rep
are drawn exactly as ``leadlab qa sample`` draws them (the shipped form's weights, systematic PPS);
:data:`DOUBLE_SHARE` of them get a second, different reviewer. Scores come from a latent call
quality (own random stream ``default_rng([seed, 5])``, so no other table changes)::

    L = BASE + q_rep + flag effects + N(0, CALL_SD)          (per call)
    item 1-5 score = clip(round(L + item offset + b_reviewer + N(0, NOISE_SD)), 1, 5)
    compliance (0/1) = [L + b_reviewer + N(0, NOISE_SD) > COMPLIANCE_CUT]

Truth (``ground_truth.json`` → ``qa``): per month and rep the expected QA score (0–1, as
:mod:`leadlab.qa.analyze` defines it) over *all* the rep's reviewable calls under a reviewer
picked at random — the estimand of the design-weighted rep score; each reviewer's expected offset
against the mean reviewer (same units); the latent biases and rep qualities.

>>> float(round(expected_item(np.array([3.0]), 1.0, 1, 5)[0], 3))
3.0
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd
from scipy.special import ndtr

QA_MONTHS = 3
PER_REP = 8
DOUBLE_SHARE = 0.25
REVIEWERS = ("QA01", "QA02", "QA03", "QA04")
REVIEWER_BIAS = (0.40, 0.0, -0.35, -0.05)  # scale points (1-5 items)
BASE = 3.2
REP_QUALITY_SD = 0.45
CALL_SD = 0.5
NOISE_SD = 0.45
FLAG_EFFECTS = {"long": 0.3, "converted": 0.4, "complaint": -0.8}
ITEM_OFFSETS = {"opening": 0.3, "discovery": -0.2, "product": 0.0, "objections": -0.4, "next_step": -0.1}
COMPLIANCE_CUT = 2.3


def expected_item(mu: np.ndarray, sd: float, lo: int, hi: int) -> np.ndarray:
    """E[clip(round(X), lo, hi)] for X ~ N(mu, sd²) (round half up; ties have probability 0)."""
    mu = np.asarray(mu, float)[..., None]
    k = np.arange(lo, hi + 1)
    upper = np.where(k == hi, np.inf, k + 0.5)
    lower = np.where(k == lo, -np.inf, k - 0.5)
    p = ndtr((upper - mu) / sd) - ndtr((lower - mu) / sd)
    return (p * k).sum(-1)


def _expected_score(latent_mean: np.ndarray, bias: float) -> np.ndarray:
    """Expected normalised QA score (0–1) of calls with latent means ``latent_mean`` under a reviewer."""
    sd = float(np.hypot(CALL_SD, NOISE_SD))
    parts = [(expected_item(latent_mean + off + bias, sd, 1, 5) - 1) / 4 for off in ITEM_OFFSETS.values()]
    parts.append(ndtr((latent_mean + bias - COMPLIANCE_CUT) / sd))
    return np.mean(parts, axis=0)


def _months(end: _dt.date) -> list[tuple[_dt.date, _dt.date]]:
    first = end.replace(day=1)
    if (end + _dt.timedelta(days=1)).day == 1:  # the end's month is complete
        first = (end + _dt.timedelta(days=1))
    out = []
    for _ in range(QA_MONTHS):
        start = (first - _dt.timedelta(days=1)).replace(day=1)
        out.append((start, first))
        first = start
    return out[::-1]


def reviews(con, *, seed: int, sql_effect: np.ndarray, end: _dt.date) -> tuple[pd.DataFrame, dict]:
    """The qa_reviews rows and the truth, from the calls already written through DuckDB connection ``con``."""
    from leadlab.qa.form import FLAGS, load_form
    from leadlab.qa.sample import draw

    form = load_form(_shipped_form())
    rng = np.random.default_rng([seed, 5])
    n_reps = len(sql_effect)
    z_sql = sql_effect / (sql_effect.std() or 1.0)
    q_rep = REP_QUALITY_SD * (0.5 * z_sql + np.sqrt(0.75) * rng.standard_normal(n_reps))
    bias = np.asarray(REVIEWER_BIAS)
    frames, truth_months = [], {}
    mean_bias = float(bias.mean())
    offsets_acc = np.zeros(len(REVIEWERS))
    n_acc = 0
    for m_start, m_end in _months(end):
        calls = con.execute(
            "SELECT rep_id, call_id, lead_id, started_at, talk_seconds, disposition FROM calls "
            "WHERE connected AND talk_seconds >= ? AND started_at >= ? AND started_at < ? ORDER BY call_id",
            [form.min_talk_seconds, m_start, m_end]).df()
        if calls.empty:
            continue
        calls["long"] = calls["talk_seconds"] >= form.long_talk_seconds
        calls["converted"] = calls["disposition"] == "qualified"
        calls["complaint"] = calls["disposition"] == "complaint"
        w = np.ones(len(calls))
        for f in FLAGS:
            w = w * np.where(calls[f].to_numpy(bool), form.weights[f], 1.0)
        calls["selection_weight"] = w
        rep_i = calls["rep_id"].str[1:].astype(int).to_numpy() - 1
        flag_eff = sum(FLAG_EFFECTS[f] * calls[f].to_numpy(float) for f in FLAGS)
        latent_mean = BASE + q_rep[rep_i] + flag_eff
        exp_by_rev = np.stack([_expected_score(latent_mean, b) for b in bias])  # (reviewers, calls)
        true_call = exp_by_rev.mean(0)
        truth_months[m_start.strftime("%Y-%m")] = {
            rep: float(v) for rep, v in pd.Series(true_call).groupby(calls["rep_id"].to_numpy()).mean().items()}
        offsets_acc += (exp_by_rev - true_call).sum(1)
        n_acc += len(calls)
        sample = draw(calls, PER_REP, seed)
        idx = calls.reset_index().set_index("call_id").loc[sample["call_id"], "index"].to_numpy()
        n = len(sample)
        latent = latent_mean[idx] + rng.normal(0, CALL_SD, n)
        first = rng.integers(0, len(REVIEWERS), n)
        second = (first + rng.integers(1, len(REVIEWERS), n)) % len(REVIEWERS)
        double = rng.random(n) < DOUBLE_SHARE
        call_j = np.concatenate([np.arange(n), np.flatnonzero(double)])
        rev_j = np.concatenate([first, second[double]])
        scores = {}
        for item, off in ITEM_OFFSETS.items():
            x = latent[call_j] + off + bias[rev_j] + rng.normal(0, NOISE_SD, len(call_j))
            scores[item] = np.clip(np.floor(x + 0.5), 1, 5)
        scores["compliance"] = (latent[call_j] + bias[rev_j] + rng.normal(0, NOISE_SD, len(call_j)) > COMPLIANCE_CUT
                                ).astype(float)
        started = pd.to_datetime(sample["started_at"].to_numpy()[call_j])
        reviewed = started.normalize() + pd.to_timedelta(1 + rng.integers(0, 3, len(call_j)), unit="D") + pd.Timedelta(hours=10)
        base = pd.DataFrame({"call_id": sample["call_id"].to_numpy()[call_j], "reviewer": np.asarray(REVIEWERS)[rev_j],
                             "reviewed_at": reviewed, "inclusion_probability": sample["inclusion_probability"].to_numpy()[call_j]})
        base["review_id"] = f"QR{m_start:%Y%m}-" + pd.Series(np.arange(len(base))).astype(str).str.zfill(5)
        for item, s in scores.items():
            frames.append(base.assign(item=item, score=s))
    cols = ["review_id", "call_id", "reviewer", "item", "score", "reviewed_at", "inclusion_probability"]
    df = pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
    df = df.sort_values(["review_id", "item"], ignore_index=True)
    truth = {
        "estimand": "rep_quality[month][rep]: expected QA score (mean of items on 0-1 of their scale) over all the rep's "
                    "reviewable calls of the month under a reviewer drawn at random; reviewer_offset: a reviewer's "
                    "expected QA score minus the mean reviewer's, averaged over the reviewable calls (same 0-1 units)",
        "months": sorted(truth_months),
        "rep_quality": truth_months,
        "reviewer_offset": {r: float(v / max(n_acc, 1)) for r, v in zip(REVIEWERS, offsets_acc)},
        "reviewer_bias_points": {r: float(b - mean_bias) for r, b in zip(REVIEWERS, bias)},
        "rep_latent_quality": {f"R{i + 1:0{max(3, len(str(n_reps)))}d}": float(v) for i, v in enumerate(q_rep)},
        "per_rep": PER_REP,
        "double_share": DOUBLE_SHARE,
    }
    return df, truth


def _shipped_form():
    from importlib import resources
    from pathlib import Path

    return Path(str(resources.files("leadlab") / "examples" / "qa.yml"))
