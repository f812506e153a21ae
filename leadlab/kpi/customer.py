"""Customer-side quality: CSAT, NPS, repeat purchase, collection rate (回款率) and DSO.

The KPIs are entries of the one vocabulary (family ``customer``); this module computes
their base measures as grouped Ibis queries over the ``surveys`` and ``payments`` tables
(plus ``leads`` for the owner rep and the win date), then the statistics on aggregates:

* CSAT average with a t interval (from n, Σx, Σx²); CSAT satisfied share (4–5) with a
  Jeffreys interval;
* NPS = 100 × (promoters − detractors) / answers with an **adjusted Wald** interval: one
  pseudo-answer added to each of promoters, passives and detractors before the multinomial
  delta-method variance (plain Wald covers 23 % at n = 5; this one ≥ 91 %, see
  docs/customer-quality.md);
* repeat purchase rate (cohort moved back :data:`REPEAT_DAYS`) with a Jeffreys interval;
* collection rate = paid ÷ due on invoices due in the period (paid as recorded by the data
  date, at most the amount due); DSO = receivables at period end ÷ amount invoiced in the
  period × days in the period (the standard accounting definition; the sale date is the
  invoice's ``issued_at``).

Per rep (:func:`rep_customer_scores`): the satisfied share is shrunk with the scorecard's
hierarchical beta-binomial (:func:`leadlab.kpi.scorecard.shrink`); CSAT average and NPS
(each answer scored +100 / 0 / −100) are shrunk with a normal–normal empirical-Bayes model
(:func:`shrink_means`).

>>> round(nps_interval(6, 2, 10)[0], 1), [round(v, 1) for v in nps_interval(6, 2, 10)[1:]]
(40.0, [-1.5, 66.4])
>>> mean_interval(12.0, 50.0, 3)  # doctest: +ELLIPSIS
(4.0, 1.51..., 6.48...)
"""

from __future__ import annotations

import math

import ibis
import numpy as np
import pandas as pd
from scipy import stats as st

from leadlab.i18n import N_, _, fmt
from leadlab.kpi import labels
from leadlab.kpi.definitions import compute
from leadlab.kpi.family import resolve
from leadlab.kpi.measures import CUSTOMER_MEASURES
from leadlab.kpi.results import KpiResult
from leadlab.kpi.stats import jeffreys_interval, safe_div
from leadlab.presentation import in_period

#: the repeat-purchase window: a repeat order counts within this many days of the win
REPEAT_DAYS = 180
#: the customer KPIs, in report order
CUSTOMER_KPIS = ("csat_mean", "csat_top2_rate", "nps", "repeat_purchase_rate", "collection_rate", "dso_days")
#: pseudo-answers added to each NPS category (adjusted Wald)
NPS_PSEUDO = 1.0


# ---------------------------------------------------------------------------------- statistics
def nps_interval(promoters: float, detractors: float, n: float, level: float = 0.95) -> tuple[float, float, float]:
    """NPS (×100) and its adjusted-Wald interval: :data:`NPS_PSEUDO` pseudo-answers in each
    category, then the multinomial variance of p̂_promoter − p̂_detractor. NaNs when n = 0.

    >>> [round(v, 1) for v in nps_interval(50, 20, 100)]
    [30.0, 14.6, 43.8]
    """
    if n <= 0:
        return (math.nan, math.nan, math.nan)
    z = st.norm.ppf(0.5 + level / 2)
    m = n + 3 * NPS_PSEUDO
    p, d = (promoters + NPS_PSEUDO) / m, (detractors + NPS_PSEUDO) / m
    centre = p - d
    se = math.sqrt(max(p + d - centre**2, 0.0) / m)
    return (100 * (promoters - detractors) / n, 100 * max(centre - z * se, -1.0), 100 * min(centre + z * se, 1.0))


def mean_interval(total: float, sumsq: float, n: float, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and t interval from n, Σx and Σx² (NaN bounds below two answers)."""
    if n <= 0:
        return (math.nan, math.nan, math.nan)
    mean = total / n
    if n < 2:
        return (mean, math.nan, math.nan)
    var = max((sumsq - n * mean**2) / (n - 1), 0.0)
    half = st.t.ppf(0.5 + level / 2, n - 1) * math.sqrt(var / n)
    return (mean, mean - half, mean + half)


def shrink_means(total, sumsq, n, level: float = 0.95, grid: int = 80) -> pd.DataFrame:
    """Hierarchical normal shrinkage of group means from (Σx, Σx², n) per group.

    Model: answer ~ N(θ_r, σ²), θ_r ~ N(μ, τ²). σ² is the pooled within-group variance;
    μ has a flat prior and τ a uniform prior on a grid (0 to 3× the spread of the raw means
    plus their largest standard error), weighted by the restricted likelihood — so, as in
    the scorecard, the uncertainty about how far groups really differ is carried into each
    group's interval (plugging in one estimate of τ gives intervals that cover too little
    when τ is estimated near 0). Given τ a group's mean moves towards μ by B = v/(v + τ²)
    (v = σ²/n); the result mixes over the grid. Columns: raw, shrunk, low, high; ``attrs``:
    mu, tau (posterior means), sigma2.

    >>> d = shrink_means([20.0, 400.0], [90.0, 1700.0], [5, 100])
    >>> bool(abs(d["shrunk"][0] - d.attrs["mu"]) < abs(d["raw"][0] - d.attrs["mu"]))
    True
    """
    s, q, k = (np.asarray(a, float) for a in (total, sumsq, n))
    ok = k > 0
    raw = np.full(len(k), np.nan)
    raw[ok] = s[ok] / k[ok]
    out = pd.DataFrame({"raw": raw, "shrunk": np.nan, "low": np.nan, "high": np.nan})
    out.attrs.update(mu=math.nan, tau=math.nan, sigma2=math.nan)
    if ok.sum() == 0:
        return out
    y = raw[ok]
    within = float((q[ok] - s[ok] ** 2 / k[ok]).sum())
    dof = float(k[ok].sum() - ok.sum())
    sigma2 = within / dof if dof > 0 else float(np.var(y)) if len(y) > 1 else 0.0
    sigma2 = max(sigma2, 1e-12)
    v = sigma2 / k[ok]
    top = 3 * (float(np.std(y)) + float(np.sqrt(v.max())))
    tau = np.linspace(0.0, top, grid)[:, None]  # grid × groups
    w = 1 / (v[None, :] + tau**2)
    mu = (w * y).sum(axis=1, keepdims=True) / w.sum(axis=1, keepdims=True)
    var_mu = 1 / w.sum(axis=1, keepdims=True)
    loglik = 0.5 * (np.log(w).sum(axis=1) + np.log(var_mu[:, 0]) - (w * (y - mu) ** 2).sum(axis=1))
    pi = np.exp(loglik - loglik.max())
    pi /= pi.sum()
    b = v[None, :] * w
    mean = mu + (1 - b) * (y - mu)
    var = (1 - b) * v[None, :] + b**2 * var_mu
    post = pi @ mean
    post_var = pi @ (var + mean**2) - post**2
    z = st.norm.ppf(0.5 + level / 2)
    half = z * np.sqrt(np.maximum(post_var, 0.0))
    out.loc[ok, "shrunk"], out.loc[ok, "low"], out.loc[ok, "high"] = post, post - half, post + half
    out.attrs.update(mu=float(pi @ mu[:, 0]), tau=float(pi @ tau[:, 0]), sigma2=sigma2)
    return out


# ---------------------------------------------------------------------------------- measures
def _flag(cond) -> ibis.Value:
    return cond.ifelse(1, 0)


def _rep_of(data, t: ibis.Table, own_rep: bool) -> ibis.Table:
    """``t`` joined to its lead's owner and win date; ``rep`` = the row's rep (surveys) or the owner;
    restricted to the team's reps when a team is set."""
    leads = data.leads.select(lead_id_l="lead_id", owner="rep_id", won_at="won_at")
    j = t.join(leads, t.lead_id == leads.lead_id_l)
    rep = j.rep_id.fill_null(j.owner) if own_rep else j.owner
    j = j.mutate(rep=rep)
    if data.team:
        j = j.filter(j.rep.isin(data.rep_ids))
    return j


def _empty(by_rep: bool) -> pd.DataFrame:
    return pd.DataFrame({**({"rep_id": pd.Series([], dtype=str)} if by_rep else {}),
                         **{m: pd.Series([], dtype=float) for m in CUSTOMER_MEASURES}})


def customer_measures(data, period, by_rep: bool = False) -> pd.DataFrame:
    """The customer base measures of ``period`` (one row, or one row per rep with ``rep_id``):
    grouped Ibis queries, aggregates only. Missing tables give zero counts."""
    per = period
    keys = ["rep"] if by_rep else []
    parts = []
    if data.surveys is not None:
        s = _rep_of(data, data.surveys, own_rep=True)
        s = s.filter(in_period(s.surveyed_at, per))
        csat, nps = s.csat.cast("float64"), s.nps
        aggs = dict(csat_responses=_flag(csat.notnull()).sum(), csat_sum=csat.sum(), csat_sq=(csat * csat).sum(),
                    csat_top2=_flag(csat >= 4).sum(), nps_responses=_flag(nps.notnull()).sum(),
                    promoters=_flag(nps >= 9).sum(), detractors=_flag(nps <= 6).sum())
        parts.append((s.group_by(keys).aggregate(**aggs) if keys else s.aggregate(**aggs)).to_pandas())
    if data.payments is not None:
        p = _rep_of(data, data.payments, own_rep=False)
        start, end = per.start.date(), per.end.date()
        paid = p.amount_paid.fill_null(0.0)
        collected = ibis.cases((p.paid_date.notnull() & (paid < p.amount_due), paid),
                               (p.paid_date.notnull(), p.amount_due), else_=0.0)
        paid_by_end = ibis.cases((p.paid_date.notnull() & (p.paid_date < end), collected), else_=0.0)
        due_in = (p.due_date >= start) & (p.due_date < end)
        issued = p.issued_at < end
        aggs = dict(amount_due=due_in.ifelse(p.amount_due, 0.0).sum(),
                    amount_collected=due_in.ifelse(collected, 0.0).sum(),
                    receivables=issued.ifelse(p.amount_due - paid_by_end, 0.0).sum(),
                    invoiced=((p.issued_at >= start) & issued).ifelse(p.amount_due, 0.0).sum())
        parts.append((p.group_by(keys).aggregate(**aggs) if keys else p.aggregate(**aggs)).to_pandas())
        # repeat purchase: customers won in the period moved back REPEAT_DAYS
        lo = (per.start - pd.Timedelta(days=REPEAT_DAYS)).to_pydatetime()
        hi = (per.end - pd.Timedelta(days=REPEAT_DAYS)).to_pydatetime()
        won = data.team_leads()
        won = won.filter(won.won_at.notnull() & (won.won_at >= lo) & (won.won_at < hi)).select(
            "lead_id", rep="rep_id", won_at="won_at")
        rp = data.payments
        rp = rp.filter(rp.kind.fill_null("deal") == "repeat").select(lead_id_r="lead_id", issued_r="issued_at")
        j = won.left_join(rp, [won.lead_id == rp.lead_id_r,
                               rp.issued_r.cast("timestamp") <= won.won_at + ibis.interval(days=REPEAT_DAYS)])
        per_lead = j.group_by(["lead_id", "rep"]).aggregate(rep_n=j.lead_id_r.count())
        aggs = dict(cohort_customers=per_lead.count(), repeat_customers=_flag(per_lead.rep_n > 0).sum())
        parts.append((per_lead.group_by(keys).aggregate(**aggs) if keys else per_lead.aggregate(**aggs)).to_pandas())
    if not parts:
        return _empty(by_rep)
    if by_rep:
        m = parts[0]
        for extra in parts[1:]:
            m = m.merge(extra, on="rep", how="outer")
        m = m.rename(columns={"rep": "rep_id"})
        m = m[m["rep_id"].notna()].sort_values("rep_id").reset_index(drop=True)
    else:
        m = pd.concat([x.reset_index(drop=True) for x in parts], axis=1)
    for col in ("csat_responses", "csat_sum", "csat_sq", "csat_top2", "nps_responses", "promoters", "detractors",
                "amount_due", "amount_collected", "receivables", "invoiced", "cohort_customers", "repeat_customers"):
        m[col] = m[col].astype(float).fillna(0.0) if col in m else 0.0
    m["nps_net"] = m["promoters"] - m["detractors"]
    m["receivables_x_days"] = m["receivables"] * per.days
    return m


# ---------------------------------------------------------------------------------- results
class CustomerQualityResult(KpiResult):
    """The customer KPIs of a period with intervals, and per rep with shrinkage.

    Facts: ``frame`` (one row per KPI: kpi, value, low, high, n), ``reps`` (one row per rep:
    answers, raw and shrunk CSAT average / satisfied share / NPS with intervals, collection
    rate), ``complaints_per_1000`` (the existing complaint KPI, for the same period)."""

    def __init__(self, frame, reps, period, team, *, complaints_per_1000: float = math.nan):
        super().__init__(N_("Customer quality"), frame, period, team)
        self.reps = reps
        self.complaints_per_1000 = complaints_per_1000

    def display_frame(self) -> pd.DataFrame:
        rows = []
        for r in self.frame.itertuples(index=False):
            ci = "" if not np.isfinite(r.low) else _("[{low}, {high}]", low=labels.kpi_value(r.kpi, r.low),
                                                       high=labels.kpi_value(r.kpi, r.high))
            rows.append({_("KPI"): labels.kpi_name(r.kpi), _("Value"): labels.kpi_value(r.kpi, r.value),
                         _("95% interval"): ci, _("Based on"): fmt.number(r.n)})
        rows.append({_("KPI"): labels.kpi_name("complaints_per_1000"),
                     _("Value"): labels.kpi_value("complaints_per_1000", self.complaints_per_1000),
                     _("95% interval"): "", _("Based on"): ""})
        return pd.DataFrame(rows)

    def rep_frame(self) -> pd.DataFrame:
        """The per-rep table for people (shrunk values, [interval], raw)."""
        rows = []
        for r in self.reps.itertuples(index=False):
            row = {_("Rep"): r.rep_id, _("Answers"): fmt.number(r.csat_responses)}
            for k in ("csat_mean", "csat_top2_rate", "nps"):
                sh, lo, hi, raw = (getattr(r, f"{k}_{p}") for p in ("shrunk", "low", "high", "raw"))
                row[labels.kpi_name(k)] = fmt.na() if not np.isfinite(sh) else _(
                    "{rate} [{low}, {high}] (raw {raw})", rate=labels.kpi_value(k, sh), low=labels.kpi_value(k, lo),
                    high=labels.kpi_value(k, hi), raw=labels.kpi_value(k, raw))
            row[labels.kpi_name("collection_rate")] = labels.kpi_value("collection_rate", r.collection_rate)
            rows.append(row)
        return pd.DataFrame(rows)

    def value(self, kpi: str) -> float:
        f = self.frame
        return float(f.loc[f["kpi"] == kpi, "value"].iloc[0])

    def verdict(self) -> str:
        f = self.frame.set_index("kpi")
        if not (f["n"] > 0).any():
            return _("No survey answers or invoices in this period.")
        nps, lo, hi = f.loc["nps", ["value", "low", "high"]]
        parts = []
        if np.isfinite(nps):
            parts.append(_("NPS {nps} (95% interval {low} to {high}) from {n} answers.", nps=fmt.number(nps, 0),
                           low=fmt.number(lo, 0), high=fmt.number(hi, 0), n=fmt.number(f.loc["nps", "n"])))
        if np.isfinite(f.loc["collection_rate", "value"]):
            parts.append(_("{rate} of the amount due in the period has been collected; DSO {dso} days.",
                           rate=fmt.percent(f.loc["collection_rate", "value"], 1),
                           dso=labels.kpi_value("dso_days", f.loc["dso_days", "value"])))
        return " ".join(parts)

    def notes(self) -> list[str]:
        return [
            _("NPS interval: adjusted Wald (one pseudo-answer added to promoters, passives and detractors); CSAT "
              "average: t interval; shares: Jeffreys interval."),
            _("Per rep: the satisfied share is pulled towards the team average by the scorecard's hierarchical "
              "beta-binomial model; CSAT average and NPS by a normal empirical-Bayes model (each rep's mean moves "
              "towards the team mean in proportion to how few answers the rep has); [ ] = 95% interval."),
            _("Repeat purchase: customers won in the period moved back {days} days, with a repeat order within "
              "{days} days of the win. Collection rate and DSO use the payments recorded by the data date.",
              days=fmt.number(REPEAT_DAYS)),
        ]

    def _plot(self, ax):
        from leadlab import plots

        d = self.reps[np.isfinite(self.reps["nps_shrunk"])].sort_values("nps_shrunk", ascending=False)
        d = d.rename(columns={"rep_id": "label", "nps_shrunk": "estimate", "nps_low": "lower", "nps_high": "upper"})
        return plots.forest_plot(d, ax=ax, ref=float(self.reps.attrs.get("nps_mu", 0.0)),
                                 title=_("NPS by rep (shrunk, 95% interval)"), xlabel=labels.kpi_name("nps"))


def rep_customer_scores(m: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per-rep customer scores from per-rep measures (pure): CSAT average and NPS shrunk by
    :func:`shrink_means`, satisfied share by the hierarchical beta-binomial."""
    from leadlab.kpi.scorecard import shrink

    f = m[["rep_id", "csat_responses", "nps_responses"]].copy().reset_index(drop=True)
    m = m.reset_index(drop=True)
    csat = shrink_means(m["csat_sum"], m["csat_sq"], m["csat_responses"], level)
    # NPS per answer: +100 promoter, 0 passive, -100 detractor
    nps = shrink_means(100 * m["nps_net"], 10_000 * (m["promoters"] + m["detractors"]), m["nps_responses"], level)
    has = m["csat_responses"].to_numpy() > 0
    top = pd.DataFrame({"raw": np.nan, "shrunk": np.nan, "low": np.nan, "high": np.nan}, index=f.index)
    if has.sum() >= 2:
        sh = shrink(m.loc[has, "csat_top2"], m.loc[has, "csat_responses"], level)
        top.loc[has, :] = sh.to_numpy()
    for k, d in (("csat_mean", csat), ("csat_top2_rate", top), ("nps", nps)):
        for p in ("raw", "shrunk", "low", "high"):
            f[f"{k}_{p}"] = d[p].to_numpy()
    f["collection_rate"] = safe_div(m["amount_collected"].to_numpy(float), m["amount_due"].to_numpy(float))
    f.attrs.update(nps_mu=nps.attrs.get("mu"), csat_mu=csat.attrs.get("mu"), csat_tau=csat.attrs.get("tau"))
    return f


def customer_quality(data, period, team: str | None = None, level: float = 0.95) -> CustomerQualityResult:
    """Customer KPIs of ``period`` (optionally one team) with intervals, plus the per-rep table."""
    from leadlab.kpi.measures import measures

    data, per = resolve(data, period, team)
    m = customer_measures(data, per)
    values = compute(m, list(CUSTOMER_KPIS)).iloc[0] if len(m) else None
    row = m.iloc[0] if len(m) else pd.Series(dtype=float)
    rows = []
    for k in CUSTOMER_KPIS:
        v = float(values[k]) if values is not None else math.nan
        lo = hi = math.nan
        n = 0.0
        if k == "csat_mean":
            n = row.get("csat_responses", 0.0)
            v, lo, hi = mean_interval(row.get("csat_sum", 0.0), row.get("csat_sq", 0.0), n, level)
        elif k == "csat_top2_rate":
            n = row.get("csat_responses", 0.0)
            lo, hi = jeffreys_interval(row.get("csat_top2", 0.0), n, level) if n > 0 else (math.nan, math.nan)
        elif k == "nps":
            n = row.get("nps_responses", 0.0)
            v, lo, hi = nps_interval(row.get("promoters", 0.0), row.get("detractors", 0.0), n, level)
        elif k == "repeat_purchase_rate":
            n = row.get("cohort_customers", 0.0)
            lo, hi = jeffreys_interval(row.get("repeat_customers", 0.0), n, level) if n > 0 else (math.nan, math.nan)
        elif k == "collection_rate":
            n = row.get("amount_due", 0.0)
        elif k == "dso_days":
            n = row.get("invoiced", 0.0)
        rows.append({"kpi": k, "value": v, "low": lo, "high": hi, "n": float(n)})
    frame = pd.DataFrame(rows)
    reps = rep_customer_scores(customer_measures(data, per, by_rep=True), level)
    calls = compute(measures(data, [per], [], sources={"calls"}), ["complaints_per_1000"])
    complaints = float(calls["complaints_per_1000"].iloc[0]) if len(calls) else math.nan
    return CustomerQualityResult(frame, reps, per, data.team, complaints_per_1000=complaints)


__all__ = ["CUSTOMER_KPIS", "REPEAT_DAYS", "CustomerQualityResult", "customer_measures", "customer_quality",
           "mean_interval", "nps_interval", "rep_customer_scores", "shrink_means"]
