"""``leadlab qa sample``: a reproducible stratified random sample of calls for review.

Strata are reps. Inside a rep, the reviewable calls of the period (a person answered and the
talk lasted at least ``min_talk_seconds`` of the form) are drawn with probability proportional
to a weight: the product of the form's weights of the flags a call has (long, converted =
disposition ``qualified``, complaint). The design is systematic PPS on a random order, so each
call's inclusion probability π is known exactly and written with the sample; the QA KPIs weight
each reviewed call by 1/π (Horvitz–Thompson / Hájek) to describe all of the rep's calls, not the
over-sampled ones. Each rep has its own random stream (seed, CRC-32 of its id), so adding a rep
does not change the others' samples.

>>> import leadlab
>>> s = sample_calls(leadlab.connect(), "2026-10", per_rep=3, seed=1)
>>> int(s.frame.groupby("rep_id").size().max()), bool(s.frame["inclusion_probability"].between(0, 1).all())
(3, True)
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from leadlab.errors import ConfigError
from leadlab.i18n import _, fmt
from leadlab.presentation import Result, in_period
from leadlab.qa.form import FLAGS, Form, load_form
from leadlab.qa.stats import inclusion_probabilities, systematic_pps

COLUMNS = ("rep_id", "call_id", "lead_id", "started_at", "talk_seconds", "disposition", "long", "converted",
           "complaint", "selection_weight", "inclusion_probability", "reviewable_calls")


def reviewable_calls(data, period, team: str | None, form: Form) -> pd.DataFrame:
    """The period's reviewable calls with their flags and selection weights (one query, sorted by call id)."""
    from leadlab.kpi.family import resolve

    data, per = resolve(data, period, team)
    c = data.team_calls()
    c = c.filter(in_period(c.started_at, per)
                 & c.connected & (c.talk_seconds >= form.min_talk_seconds))
    df = c.select("rep_id", "call_id", "lead_id", "started_at", "talk_seconds", "disposition").order_by("call_id").to_pandas()
    df["long"] = df["talk_seconds"] >= form.long_talk_seconds
    df["converted"] = df["disposition"] == "qualified"
    df["complaint"] = df["disposition"] == "complaint"
    w = np.ones(len(df))
    for f in FLAGS:
        w = w * np.where(df[f].to_numpy(dtype=bool), form.weights[f], 1.0)
    df["selection_weight"] = w
    return df, per


def draw(df: pd.DataFrame, per_rep: int, seed: int) -> pd.DataFrame:
    """Draw ``per_rep`` calls per rep from ``df`` (from :func:`reviewable_calls`); adds π and the stratum size."""
    if df.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    rep = df["rep_id"].astype(str).to_numpy()
    order = np.argsort(rep, kind="stable")  # by rep, call-id order kept inside a rep
    reps, starts, sizes = np.unique(rep[order], return_index=True, return_counts=True)
    w = df["selection_weight"].to_numpy(dtype=float)[order]
    rows, pis, pools = [], [], []
    for r, a, n in zip(reps, starts, sizes):
        rng = np.random.default_rng([int(seed), zlib.crc32(str(r).encode("utf-8"))])
        pi = inclusion_probabilities(w[a:a + n], per_rep)
        idx = systematic_pps(rng, pi)
        rows.append(order[a + idx]); pis.append(pi[idx]); pools.append(np.full(len(idx), n))
    out = df.iloc[np.concatenate(rows)].reset_index(drop=True)
    out["inclusion_probability"] = np.concatenate(pis)
    out["reviewable_calls"] = np.concatenate(pools)
    return out[list(COLUMNS)]


def check_per_rep(per_rep: object) -> int:
    """``per_rep`` as a whole number ≥ 1, else ConfigError naming --per-rep."""
    if isinstance(per_rep, bool) or not isinstance(per_rep, (int, np.integer)) or per_rep < 1:
        raise ConfigError(_("--per-rep must be a whole number of at least 1 (got {value})", value=repr(per_rep)))
    return int(per_rep)


class SampleResult(Result):
    """The drawn calls (``frame``), per-rep counts, and the design (seed, form)."""

    def __init__(self, frame: pd.DataFrame, period, per_rep: int, seed: int, form: Form):
        self.frame, self.period, self.per_rep, self.seed, self.form = frame, period, per_rep, seed, form

    def title(self) -> str:
        return _("Calls drawn for quality review · {period}", period=fmt.period_label(self.period.label))

    def to_pandas(self) -> pd.DataFrame:
        return self.frame.copy()

    def display_frame(self) -> pd.DataFrame:
        d = self.frame
        if d.empty:
            return d
        g = d.groupby("rep_id").agg(n=("call_id", "size"), pool=("reviewable_calls", "first"),
                                    long=("long", "sum"), converted=("converted", "sum"), complaint=("complaint", "sum"))
        g = g.reset_index()
        return pd.DataFrame({_("Rep"): g["rep_id"], _("Reviewable calls"): [fmt.number(v) for v in g["pool"]],
                             _("Drawn"): [fmt.number(v) for v in g["n"]], _("Long"): [fmt.number(v) for v in g["long"]],
                             _("Converted"): [fmt.number(v) for v in g["converted"]],
                             _("Complaint"): [fmt.number(v) for v in g["complaint"]]})

    def notes(self) -> list[str]:
        w = self.form.weights
        return [_("Up to {n} calls per rep, drawn with probability proportional to a weight (long ×{long}, converted "
                  "×{converted}, complaint ×{complaint}); seed {seed}. Each call's inclusion probability is in the file: "
                  "the QA KPIs weight reviews by its inverse, so over-sampled calls do not bias a rep's score.",
                  n=fmt.number(self.per_rep), long=fmt.number(w["long"], 1), converted=fmt.number(w["converted"], 1),
                  complaint=fmt.number(w["complaint"], 1), seed=str(self.seed))]



def sample_calls(data, period, *, per_rep: int, seed: int = 0, team: str | None = None,
                 form: Form | str | None = None) -> SampleResult:
    """Draw up to ``per_rep`` reviewable calls per rep in ``period`` (a Period or text like ``2026-10``)."""
    per_rep = check_per_rep(per_rep)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(_("--seed must be a non-negative integer (got {value})", value=repr(seed)))
    form = form if isinstance(form, Form) else load_form(form)
    df, per = reviewable_calls(data, period, team, form)
    return SampleResult(draw(df, per_rep, seed), per, per_rep, int(seed), form)
