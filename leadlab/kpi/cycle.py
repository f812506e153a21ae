"""Sales cycle with competing risks: the cumulative incidence of winning and of losing
(Aalen–Johansen), open deals censored.

Population: leads that reached the opportunity stage, created in the ``lookback_days``
before the end of the period. Each opportunity ends in one of two ways, won (cause 1) at
(won_at − created_at) or lost (cause 2) at (lost_at − created_at), or is still open and
censored at (period end − created_at). Durations are aggregated in the backend to whole days
per (days, cause) pair.

Why not Kaplan–Meier on won deals: dropping lost deals while keeping open deals (some of
which will be lost) as censored treats every open deal as a future win, so the "median days
to win" comes out too long (49.8 days vs a true 44.4 in the audit's simulation). The cumulative
incidence of winning, ``CIF_won(t)``, is the share of opportunities won by day ``t`` with losses
as a competing outcome; its plateau is the share that is ever won, and the **median time to
win among won deals** is the day ``CIF_won`` reaches half its plateau.

>>> import numpy as np
>>> t = aalen_johansen(np.array([2., 3., 3., 5., 8.]), np.array([1, 2, 0, 1, 0]))
>>> t["cif_won"].round(4).tolist(), t["cif_lost"].round(4).tolist()
([0.2, 0.2, 0.5, 0.5], [0.0, 0.2, 0.2, 0.2])
"""

from __future__ import annotations

import math

import ibis
import numpy as np
import pandas as pd
from scipy import stats as sps

from leadlab.i18n import N_, _, fmt
from leadlab.kpi.family import resolve
from leadlab.kpi.results import KpiResult

WON, LOST, OPEN = 1, 2, 0


def kaplan_meier(days, won, weights=None):
    """A statsmodels ``SurvfuncRight`` from aggregated (days, event, count) rows.

    The curve, risk sets and events come from statsmodels' frequency weights; the
    standard errors are set to Greenwood's formula on those counts (statsmodels'
    weighted standard errors differ from the row-level ones), so the result equals
    ``SurvfuncRight`` on the expanded rows, standard errors and median CI included."""
    from statsmodels.duration.survfunc import SurvfuncRight

    days, won = np.asarray(days, float), np.asarray(won, float)
    w = None if weights is None else np.asarray(weights, float)
    km = SurvfuncRight(days, won, freq_weights=w)
    r, d = np.asarray(km.n_risk, float), np.asarray(km.n_events, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(r > d, d / (r * (r - d)), np.inf)
        km.surv_prob_se = np.asarray(km.surv_prob) * np.sqrt(np.cumsum(term))
    km.surv_prob_se = np.where(np.isfinite(km.surv_prob_se), km.surv_prob_se, np.nan)
    return km


def _cif_variance(cif: np.ndarray, lag_s: np.ndarray, n: np.ndarray, d: np.ndarray, dk: np.ndarray) -> np.ndarray:
    """Delta-method (Greenwood-type) variance of a cumulative incidence curve, Collett
    (2015) p. 411 (the formula of SAS PROC LIFETEST and lifelines' AalenJohansenFitter)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(d > 0, d / (n * (n - d)), 0.0)
        b = lag_s**2 * dk * (n - dk) / n**3
        c = lag_s * dk / n**2
    diff = cif[:, None] - cif[None, :]  # F(t_j) − F(t_i), row j, column i
    lower = np.tril(np.ones(diff.shape, bool))
    with np.errstate(invalid="ignore"):
        terms = np.where(lower, diff**2 * a[None, :] - 2 * diff * c[None, :], 0.0)
    return terms.sum(axis=1) + np.cumsum(b)


def aalen_johansen(days, cause, weights=None, level: float = 0.95) -> pd.DataFrame:
    """Aalen–Johansen cumulative incidence of winning (``cause == 1``) and losing (``2``),
    ``0`` = censored, from (days, cause, count) rows. One row per distinct time with an event
    or a censoring: ``at_risk``, ``won``, ``lost``, ``censored``, ``surv`` (still open),
    ``cif_won`` / ``cif_lost`` with delta-method variance and log(−log) 95% bands.
    Ties between causes are handled exactly (events at the same day share the risk set).
    Equals lifelines ``AalenJohansenFitter`` on data without tied event times."""
    days = np.asarray(days, float)
    cause = np.asarray(cause, int)
    w = np.ones(len(days)) if weights is None else np.asarray(weights, float)
    f = pd.DataFrame({"t": days, "won": w * (cause == WON), "lost": w * (cause == LOST), "censored": w * (cause == OPEN)})
    f = f.groupby("t", as_index=False).sum().sort_values("t")
    total = f[["won", "lost", "censored"]].to_numpy().sum()
    out = f.rename(columns={"t": "days"}).reset_index(drop=True)
    removed = (out["won"] + out["lost"] + out["censored"]).to_numpy()
    n = total - np.r_[0.0, np.cumsum(removed)[:-1]]
    d = (out["won"] + out["lost"]).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(n > 0, 1 - d / n, 1.0))
    lag = np.r_[1.0, surv[:-1]]
    out["at_risk"], out["surv"] = n, surv
    z = sps.norm.isf((1 - level) / 2)
    for k in ("won", "lost"):
        dk = out[k].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            cif = np.cumsum(np.where(n > 0, lag * dk / n, 0.0))
        var = _cif_variance(cif, lag, n, d, dk)
        with np.errstate(divide="ignore", invalid="ignore"):
            se_t = np.sqrt(var) / (cif * np.abs(np.log(cif)))
            lo = np.exp(-np.exp(np.log(-np.log(cif)) + z * se_t))
            hi = np.exp(-np.exp(np.log(-np.log(cif)) - z * se_t))
        out[f"cif_{k}"], out[f"var_{k}"] = cif, var
        out[f"cif_{k}_low"] = np.where(cif > 0, np.where(np.isfinite(lo), lo, cif), 0.0)
        out[f"cif_{k}_high"] = np.where(cif > 0, np.where(np.isfinite(hi), hi, cif), 0.0)
    return out


def _first_reaching(days: np.ndarray, curve: np.ndarray, level: float) -> float:
    idx = np.flatnonzero(curve >= level - 1e-12)
    return float(days[idx[0]]) if len(idx) else math.nan


def cycle_stats(table: pd.DataFrame) -> dict:
    """The figures of a cumulative-incidence table: shares ever won / lost (the curves'
    values at the last day observed), the median and 75th percentile of days to win among
    won deals (``CIF_won`` reaching ½ and ¾ of its plateau), and the day by which half of
    all opportunities are won (n/a when fewer than half are ever won)."""
    if table.empty:
        return {"p_won": math.nan, "p_lost": math.nan, "median": math.nan, "p75": math.nan, "half_won_day": math.nan}
    t, won = table["days"].to_numpy(), table["cif_won"].to_numpy()
    plateau = float(won[-1])
    ok = plateau > 0
    return {"p_won": plateau, "p_lost": float(table["cif_lost"].iloc[-1]),
            "median": _first_reaching(t, won, 0.5 * plateau) if ok else math.nan,
            "p75": _first_reaching(t, won, 0.75 * plateau) if ok else math.nan,
            "half_won_day": _first_reaching(t, won, 0.5)}


class CycleResult(KpiResult):
    """``frame``: the cumulative incidence of winning and losing by day; ``stats``: figures
    (facts: counts, shares, medians in days, ``end`` of follow-up, ``lookback`` days)."""

    def __init__(self, frame, period, team, *, stats: dict):
        super().__init__(N_("Sales cycle"), frame, period, team)
        self.stats = stats

    def display_frame(self) -> pd.DataFrame:
        s = self.stats
        rows = [
            (_("Opportunities in the cohort"), fmt.number(s["n"])),
            (_("Won"), fmt.number(s["events"])),
            (_("Lost"), fmt.number(s["lost"])),
            (_("Still open (censored)"), fmt.number(s["censored"])),
            (_("Share ever won (cumulative incidence)"), fmt.percent(s["p_won"])),
            (_("Share ever lost (cumulative incidence)"), fmt.percent(s["p_lost"])),
            (_("Median days to win, among won deals"), _days(s["median"])),
            (_("75th percentile of days to win, among won deals"), _days(s["p75"])),
            (_("Day by which half of all opportunities are won"), _days(s["half_won_day"])),
            (_("Naive: Kaplan–Meier median, lost deals dropped"), _days(s["km_median_lost_dropped"])),
            (_("Naive: median over deals already won"), _days(s["naive_median_won"])),
            (_("Naive: average over deals already won"), _days(s["naive_mean_won"])),
        ]
        return pd.DataFrame(rows, columns=[_("Measure"), _("Value")])

    def verdict(self) -> str:
        s = self.stats
        if not s["events"]:
            return ""
        return _("Half of the deals that are won close within {median}; {won_share} of opportunities end up won.",
                 median=_days(s["median"]), won_share=fmt.percent(s["p_won"]))

    def notes(self) -> list[str]:
        s = self.stats
        out = [_("Cohort: opportunities created in the {lookback} days before {end}; won and lost deals are the two "
                 "outcomes (competing risks), deals still open are censored at that date; curves: Aalen–Johansen "
                 "cumulative incidence with 95% bands.", lookback=fmt.number(s["lookback"]), end=fmt.date(s["end"]))]
        if not s["events"]:
            out.insert(0, _("No won deals in the cohort: the sales cycle cannot be estimated (n/a)."))
            return out
        out.append(_("The naive Kaplan–Meier median ({km}) drops lost deals but keeps open deals, some of which will be "
                     "lost, as if they would all win, so it overstates the cycle; the naive median over deals already "
                     "won ({naive}) leaves out slow deals still open, so it understates it. The median among won deals "
                     "({median}) counts both: {won_share} of opportunities are won and {lost_share} lost by the end of "
                     "follow-up.", km=_days(s["km_median_lost_dropped"]), naive=_days(s["naive_median_won"]),
                     median=_days(s["median"]), won_share=fmt.percent(s["p_won"]), lost_share=fmt.percent(s["p_lost"])))
        if not np.isfinite(s["half_won_day"]):
            out.append(_("Fewer than half of the opportunities are ever won, so there is no day by which half are won; "
                         "the median is among won deals."))
        return out

    def _plot(self, ax):
        import matplotlib.pyplot as plt
        from matplotlib.ticker import PercentFormatter

        from leadlab.plots import COLORS

        if ax is None:
            _fig, ax = plt.subplots()
        f = self.frame
        if len(f):
            for k, color, label in (("won", COLORS["good"], _("won by day t")), ("lost", COLORS["bad"], _("lost by day t"))):
                ax.step(f["days"], f[f"cif_{k}"], where="post", color=color, linewidth=2, label=label)
                ax.fill_between(f["days"], f[f"cif_{k}_low"], f[f"cif_{k}_high"], step="post", alpha=0.2, color=color)
            if np.isfinite(self.stats["median"]):
                ax.axvline(self.stats["median"], color=COLORS["neutral"], linestyle="--", linewidth=1,
                           label=_("median days to win (won deals)"))
            ax.legend(loc="upper left")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel(_("days since lead creation"))
        ax.set_ylabel(_("share of opportunities"))
        ax.set_title(_("Sales cycle: share won and lost by day"))
        return ax


def _days(v) -> str:
    return fmt.na() if v is None or not np.isfinite(v) else fmt.days(v, 0)


def cycle_counts(data, end: pd.Timestamp, lookback_days: int = 365) -> pd.DataFrame:
    """Aggregated (days, cause, n) rows of the opportunity cohort ending at ``end`` (one
    query): cause 1 won, 2 lost, 0 still open (censored at ``end``)."""
    leads = data.team_leads()
    end_dt = pd.Timestamp(end).to_pydatetime()
    start_dt = (pd.Timestamp(end) - pd.Timedelta(days=lookback_days)).to_pydatetime()
    l = leads.filter(leads.opportunity_at.notnull() & (leads.opportunity_at < end_dt)
                     & (leads.created_at >= start_dt) & (leads.created_at < end_dt))
    won = l.won_at.notnull() & (l.won_at < end_dt)
    lost = l.lost_at.notnull() & (l.lost_at < end_dt) & ~won
    end_s = ibis.literal(pd.Timestamp(end).timestamp())
    stop = won.ifelse(l.won_at.epoch_seconds(), lost.ifelse(l.lost_at.epoch_seconds(), end_s))
    days = ((stop - l.created_at.epoch_seconds()) / 86400.0).floor()
    cause = won.ifelse(ibis.literal(WON), lost.ifelse(ibis.literal(LOST), ibis.literal(OPEN)))
    l = l.mutate(days=days, cause=cause.cast("int64"))
    return l.group_by(["days", "cause"]).agg(n=l.count()).order_by(["days", "cause"]).to_pandas()


def naive_figures(agg: pd.DataFrame) -> dict:
    """The figures the old report showed, for contrast: Kaplan–Meier median with lost deals
    dropped (open censored), and the median / average over deals already won."""
    out = {"km_median_lost_dropped": math.nan, "naive_median_won": math.nan, "naive_mean_won": math.nan}
    w = agg[agg["cause"] == WON]
    if w.empty:
        return out
    kept = agg[agg["cause"] != LOST]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        km = kaplan_meier(kept["days"], (kept["cause"] == WON).astype(float), kept["n"])
        out["km_median_lost_dropped"] = float(km.quantile(0.5))
    out["naive_mean_won"] = float((w["days"] * w["n"]).sum() / w["n"].sum())
    cum = w["n"].cumsum().to_numpy() / w["n"].sum()
    out["naive_median_won"] = float(w["days"].to_numpy()[np.searchsorted(cum, 0.5)])
    return out


def sales_cycle(data, period, team: str | None = None, lookback_days: int = 365) -> CycleResult:
    """Cumulative incidence of winning and losing for opportunities as of the end of ``period``."""
    data, per = resolve(data, period, team)
    end = min(per.end, data.data_end + pd.Timedelta(seconds=1)) if data.data_end is not None else per.end
    agg = cycle_counts(data, end, lookback_days)
    count = lambda c: float(agg.loc[agg["cause"] == c, "n"].sum()) if len(agg) else 0.0  # noqa: E731
    n = float(agg["n"].sum()) if len(agg) else 0.0
    st = {"n": n, "events": count(WON), "lost": count(LOST), "censored": count(OPEN)}
    frame = pd.DataFrame(columns=["days", "won", "lost", "censored", "at_risk", "surv", "cif_won", "cif_won_low",
                                  "cif_won_high", "cif_lost", "cif_lost_low", "cif_lost_high"])
    if n > 0:
        table = aalen_johansen(agg["days"], agg["cause"], agg["n"])
        frame = pd.concat([pd.DataFrame({"days": [0.0], "won": [0.0], "lost": [0.0], "censored": [0.0], "at_risk": [n],
                                         "surv": [1.0], "cif_won": [0.0], "cif_won_low": [0.0], "cif_won_high": [0.0],
                                         "cif_lost": [0.0], "cif_lost_low": [0.0], "cif_lost_high": [0.0]}),
                           table[frame.columns]], ignore_index=True)
        st.update(cycle_stats(table))
    else:
        st.update(cycle_stats(pd.DataFrame()))
    st.update(naive_figures(agg) if len(agg) else naive_figures(pd.DataFrame(columns=["days", "cause", "n"])))
    st.update(end=pd.Timestamp(end), lookback=lookback_days)
    return CycleResult(frame, per, data.team, stats=st)
