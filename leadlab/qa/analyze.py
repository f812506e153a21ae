"""QA reviews of a period → per-rep quality, reviewer agreement and reviewer calibration.

One Ibis query joins ``qa_reviews`` with ``calls`` (the rep and the call time) for the calls made
in the period; the rows that come back are the reviews themselves (a few per rep), and the
statistics of :mod:`leadlab.qa.stats` run on them.

* A review's **QA score** is the mean of its items' normalised scores (0 = bottom of the item's
  scale, 100 % = top); a call reviewed twice counts once, with the mean of its reviews.
* A rep's **QA score** is the design-weighted (1/π) mean over its reviewed calls of the *calibrated*
  review scores (each minus its reviewer's offset, so a harsh reviewer does not sink a rep): an
  estimate of the mean over *all* its reviewable calls of the period, not just the over-sampled ones;
  ``shrunk`` pulls small samples towards the team (empirical Bayes, pooled within-rep variance ×
  Kish's Σw²/(Σw)²).
* **Agreement** per item on calls with two or more reviews: Fleiss' κ (reviewers differ from call
  to call) with a bootstrap interval, and quadratic-weighted Cohen's κ of the first two reviews.
* **Calibration**: each reviewer's offset (points of QA score) against the others on the same calls.

>>> import leadlab
>>> r = qa_analysis(leadlab.connect(), "2026-10")
>>> sorted(r.reps.frame.columns)[:3], r.calibration.frame["reviewer"].tolist()[:2]
(['between_sd', 'calls', 'high'], ['QA01', 'QA02'])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadlab.errors import StoreError
from leadlab.i18n import _
from leadlab.presentation import in_period
from leadlab.qa import stats
from leadlab.qa.form import Form, load_form
from leadlab.qa.results import AgreementResult, CalibrationResult, RepQualityResult


def reviews_in_period(data, period, team: str | None = None) -> tuple[pd.DataFrame, object]:
    """The period's reviews (one row per review and item) with the call's rep and the inclusion probability."""
    from leadlab.kpi.family import resolve
    from leadlab.store import has_table, table

    data, per = resolve(data, period, team)
    con = data.calls.get_backend()
    if con is None or not has_table(con, "qa_reviews"):
        raise StoreError(_("the store has no qa_reviews table: load reviews with `leadlab ingest qa_reviews FILE` "
                           "(draw the calls with `leadlab qa sample`)"))
    q = table(con, "qa_reviews")
    c = data.team_calls()
    c = c.filter(in_period(c.started_at, per))
    j = q.join(c.select("call_id", "rep_id", "started_at"), "call_id")
    df = j.select("review_id", "call_id", "rep_id", "reviewer", "item", "score", "inclusion_probability").to_pandas()
    return df, per


def review_scores(df: pd.DataFrame, form: Form) -> pd.DataFrame:
    """One row per review: call, rep, reviewer, π and the normalised QA score (0–1, mean of its items)."""
    lo = df["item"].map({i.id: i.min for i in form.items})
    hi = df["item"].map({i.id: i.max for i in form.items})
    d = df.assign(norm=(df["score"] - lo) / (hi - lo)).dropna(subset=["norm"])
    pi = d["inclusion_probability"].astype(float).fillna(1.0)
    d = d.assign(pi=pi)
    return (d.groupby(["review_id", "call_id", "rep_id", "reviewer"], as_index=False)
            .agg(score=("norm", "mean"), pi=("pi", "first")))


@dataclass
class QaAnalysis:
    """The three results of a period's QA reviews."""

    reps: RepQualityResult
    agreement: AgreementResult
    calibration: CalibrationResult


def rep_quality(rev: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per rep: reviewed calls, weighted QA score with interval, and the shrunk score with interval."""
    calls = rev.groupby(["call_id", "rep_id"], as_index=False).agg(score=("score", "mean"), pi=("pi", "first"))
    rows = []
    for rep, g in calls.groupby("rep_id", sort=True):
        e = stats.weighted_mean(g["score"].to_numpy(), g["pi"].to_numpy(), level)
        w = 1 / g["pi"].to_numpy()
        rows.append({"rep_id": rep, "calls": e.n, "score": e.mean, "se": e.se, "low": e.low, "high": e.high,
                     "kish": float((w**2).sum() / w.sum() ** 2),
                     "ss": float((w * (g["score"].to_numpy() - e.mean) ** 2).sum() / w.sum() * e.n)})
    out = pd.DataFrame(rows, columns=["rep_id", "calls", "score", "se", "low", "high", "kish", "ss"])
    if out.empty:
        return out.assign(shrunk=[], shrunk_low=[], shrunk_high=[])
    dof = (out["calls"] - 1).clip(lower=0).sum()
    s2 = out["ss"].sum() / dof if dof > 0 else np.nan  # pooled within-rep variance of a call's score
    sh = stats.shrink(out["score"].to_numpy(), s2 * out["kish"].to_numpy(), level)
    return out.drop(columns=["ss"]).assign(shrunk=sh.mean, shrunk_low=sh.low, shrunk_high=sh.high,
                                           team_mean=sh.mu, between_sd=sh.tau)


def weakest_items(df: pd.DataFrame, form: Form) -> pd.Series:
    """Per rep: the form item where the rep's design-weighted mean (0–1) falls furthest below the team's."""
    lo = df["item"].map({i.id: i.min for i in form.items})
    hi = df["item"].map({i.id: i.max for i in form.items})
    d = df.assign(norm=(df["score"] - lo) / (hi - lo), w=1 / df["inclusion_probability"].astype(float).fillna(1.0))
    d = d.dropna(subset=["norm"]).assign(wy=lambda x: x["w"] * x["norm"])
    g = d.groupby(["rep_id", "item"])[["wy", "w"]].sum()
    rep_item = (g["wy"] / g["w"]).unstack("item")
    team = d.groupby("item")["wy"].sum() / d.groupby("item")["w"].sum()
    gap = rep_item - team
    return gap.idxmin(axis=1).where(gap.min(axis=1) < 0)


def agreement(df: pd.DataFrame, form: Form, *, seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Per item: calls with ≥ 2 reviews, Fleiss' κ (bootstrap interval) and weighted Cohen's κ of the first two."""
    rows = []
    for item in form.items:
        d = df[df["item"] == item.id]
        per_call = d.groupby("call_id")["review_id"].nunique()
        multi = per_call[per_call >= 2]
        cats = np.arange(item.min, item.max + 1) if float(item.min).is_integer() and float(item.max).is_integer() else None
        if multi.empty or cats is None:
            rows.append({"item": item.id, "calls": int(len(multi))})
            continue
        m = int(multi.min())
        d = d[d["call_id"].isin(multi.index)].sort_values(["call_id", "reviewer", "review_id"])
        d = d.groupby("call_id").head(m)  # the same number of reviews per call (Fleiss' κ needs it)
        k = np.clip(np.round(d["score"].to_numpy() - item.min).astype(int), 0, len(cats) - 1)
        call_i = pd.factorize(d["call_id"])[0]
        counts = np.zeros((call_i.max() + 1, len(cats)))
        np.add.at(counts, (call_i, k), 1)
        fk = stats.fleiss_kappa(counts, seed=seed, level=level)
        first = d.groupby("call_id").head(2)
        pair = first.assign(k=np.clip(np.round(first["score"].to_numpy() - item.min).astype(int), 0, len(cats) - 1))
        a = pair.groupby("call_id")["k"].agg(["first", "last"])
        table = np.zeros((len(cats), len(cats)))
        np.add.at(table, (a["first"].to_numpy(), a["last"].to_numpy()), 1)
        ck = stats.cohen_kappa(table, "quadratic" if len(cats) > 2 else None, level)
        rows.append({"item": item.id, "calls": int(len(multi)), "fleiss": fk.kappa, "fleiss_low": fk.low,
                     "fleiss_high": fk.high, "cohen": ck.kappa, "cohen_low": ck.low, "cohen_high": ck.high})
    cols = ["item", "calls", "fleiss", "fleiss_low", "fleiss_high", "cohen", "cohen_low", "cohen_high"]
    return pd.DataFrame(rows).reindex(columns=cols)


def calibration(rev: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per reviewer: reviews, multi-reviewed calls, offset in QA score (0–1) with interval."""
    reviewers = sorted(rev["reviewer"].unique())
    r_i = pd.Categorical(rev["reviewer"], categories=reviewers).codes
    e = stats.reviewer_effects(rev["call_id"].to_numpy(), r_i, rev["score"].to_numpy(), len(reviewers), level)
    n = rev.groupby("reviewer").size().reindex(reviewers).to_numpy()
    return pd.DataFrame({"reviewer": reviewers, "reviews": n, "shared_calls": e.calls, "offset": e.effect,
                         "se": e.se, "low": e.low, "high": e.high})


def qa_analysis(data, period, *, team: str | None = None, form: Form | str | None = None, seed: int = 0,
                level: float = 0.95) -> QaAnalysis:
    """Per-rep QA scores, reviewer agreement and calibration for the calls of ``period``."""
    form = form if isinstance(form, Form) else load_form(form)
    df, per = reviews_in_period(data, period, team)
    rev = review_scores(df, form)
    cal = calibration(rev, level)
    # calibrated scores: each review minus its reviewer's offset (0 where it cannot be estimated)
    offset = rev["reviewer"].map(cal.set_index("reviewer")["offset"]).fillna(0.0)
    reps = rep_quality(rev.assign(score=rev["score"] - offset), level)
    reps["weakest_item"] = reps["rep_id"].map(weakest_items(df, form)) if len(reps) else []
    return QaAnalysis(RepQualityResult(reps, per, team, level=level, form=form),
                      AgreementResult(agreement(df, form, seed=seed, level=level), per, team, form=form),
                      CalibrationResult(cal, per, team))
