"""The KPI table of a period against the previous period or the same period last
year, with significance flags a manager can act on.

Two checks per KPI:

* **test against the comparison period**: two-proportion z-test for rates
  (pooled, as statsmodels ``proportions_ztest``), quasi-Poisson test for counts
  (:func:`leadlab.kpi.stats.quasi_poisson_test`: the dispersion of the daily counts of the
  trailing periods, weekday-adjusted, with weekday-weighted business days as exposure;
  exact Poisson when the counts show no overdispersion), Welch t-test for averages (from
  sums of squares); p < ``alpha`` → "significant change";
* **control chart** from the trailing periods (Laney p′-chart for rates, u′-chart
  for counts with the same daily dispersion, 3-sigma limits widened by the observed
  period-to-period variation): a value outside the limits is "outside normal variation".

>>> import leadlab
>>> from leadlab.kpi.compare import kpi_table
>>> t = kpi_table(leadlab.connect(read_only=True), "2026-10", compare_to="previous").to_pandas()
>>> row = t.set_index("kpi").loc["dials"]
>>> float(row["value"]), row["unit"]
(711.0, 'count')
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from leadlab.errors import ConfigError
from leadlab.i18n import N_, _, fmt
from leadlab.kpi import labels
from leadlab.kpi.definitions import KPIS, REPORT_KPIS, compute, get_kpi
from leadlab.kpi.family import resolve
from leadlab.kpi.measures import measures
from leadlab.kpi.results import KpiResult, na_note, no_activity_note, no_spend_note
from leadlab.kpi import stats
from leadlab.periods import Period
from leadlab.presentation import in_period

COMPARE_TO = ("previous", "last-year")
#: trailing periods used for control-chart limits, per period kind
TRAILING = {"day": 28, "week": 8, "month": 6, "quarter": 4, "year": 3}
#: fewer trailing periods with data than this: no control chart
MIN_CHART_PERIODS = 3


def business_days(p: Period) -> float:
    """Weekdays in ``p``: the exposure of count KPIs (calls and leads happen on working days)."""
    n = float(np.busday_count(p.start.date(), p.end.date()))
    return n if n > 0 else p.days


def comparison_period(period: Period, compare_to: str) -> Period:
    if compare_to == "previous":
        return period.previous()
    if compare_to in ("last-year", "same-last-year"):
        return period.same_last_year()
    raise ConfigError(f"parameter compare_to: unknown value {compare_to!r}; valid: {', '.join(COMPARE_TO)}")


def daily_counts(data, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Counts per calendar day in [start, end) of the count KPIs' measures (dials, new_leads,
    mqls, sqls, opportunities, won): two grouped queries; days without activity are 0."""
    from leadlab.kpi.measures import _lead_events

    lo, hi = pd.Timestamp(start).to_pydatetime(), pd.Timestamp(end).to_pydatetime()
    c = data.team_calls()
    c = c.filter((c.started_at >= lo) & (c.started_at < hi))
    calls = c.group_by(day=c.started_at.date()).agg(n=c.count()).to_pandas().assign(stage="dials")
    ev = _lead_events(data, [], hi)
    ev = ev.filter(ev.ts.notnull() & (ev.ts >= lo) & (ev.ts < hi))
    leads = ev.group_by(day=ev.ts.date(), stage=ev.stage).agg(n=ev.count()).to_pandas()
    days = pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end) - pd.Timedelta(seconds=1), freq="D")
    long = pd.concat([calls, leads], ignore_index=True)
    long["day"] = pd.to_datetime(long["day"])
    wide = long.pivot_table(index="day", columns="stage", values="n", aggfunc="sum", fill_value=0)
    cols = ["dials", "new_leads", "mqls", "sqls", "opportunities", "won"]
    return wide.reindex(index=days, columns=cols, fill_value=0).fillna(0).astype(float).rename_axis("day").reset_index()


def count_dispersion(daily: pd.DataFrame, col: str, hist_p: list[Period]) -> stats.Dispersion:
    """Weekday-adjusted dispersion of the daily ``col`` counts over the periods ``hist_p``
    (one level per period; per ISO week when the periods are days)."""
    parts = []
    for p in hist_p:
        d = daily[in_period(daily["day"], p)]
        grp = d["day"].dt.strftime("%G-%V") if p.kind == "day" else pd.Series(p.label, index=d.index)
        parts.append(pd.DataFrame({"y": d[col], "g": grp, "wd": d["day"].dt.day_of_week}))
    if not parts:
        return stats.Dispersion(math.nan, 0.0, np.r_[np.ones(5), np.zeros(2)])
    f = pd.concat(parts, ignore_index=True)
    return stats.poisson_dispersion(f["y"].to_numpy(), f["g"].to_numpy(), f["wd"].to_numpy())


def exposure(p: Period, disp: stats.Dispersion | None) -> float:
    """Business-day equivalents of ``p``: the sum of its days' weekday factors (plain
    business days without a dispersion fit)."""
    if disp is None or not np.isfinite(disp.phi):
        return business_days(p)
    days = pd.date_range(p.start, p.end - pd.Timedelta(seconds=1), freq="D")
    return float(disp.weekday[days.day_of_week].sum())


def _test(k, cur: pd.Series, ref: pd.Series, days_cur: float, days_ref: float, disp: stats.Dispersion | None = None) -> float:
    if k.test == "proportion":
        return stats.two_proportion_ztest(cur[k.num], cur[k.den], ref[k.num], ref[k.den])[1]
    if k.test == "poisson":
        phi, df = (disp.used, disp.df) if disp is not None else (1.0, math.inf)
        return stats.quasi_poisson_test(cur[k.num], days_cur, ref[k.num], days_ref, phi, df)
    if k.test == "mean":
        return stats.welch_test(cur[k.num], cur[k.sumsq], cur[k.den], ref[k.num], ref[k.sumsq], ref[k.den])
    return math.nan


def _chart(k, cur: pd.Series, hist: pd.DataFrame, days_cur: float, hist_days: np.ndarray, phi: float = 1.0):
    if len(hist) < MIN_CHART_PERIODS:
        return (math.nan,) * 3
    if k.test == "proportion":
        c, lo, hi = stats.p_chart_limits(hist[k.num], hist[k.den], cur[k.den])
        return c * k.scale, lo * k.scale, hi * k.scale
    if k.test == "poisson":
        if hist[k.num].sum() == 0:
            return (math.nan,) * 3
        return stats.u_chart_limits(hist[k.num], hist_days, days_cur, phi=phi)
    return (math.nan,) * 3


#: colours of the signal column (by code)
SIGNAL_STYLE = {"outside normal variation": "color:#D55E00;font-weight:bold",
                "significant change": "color:#E69F00;font-weight:bold"}


class KpiTable(KpiResult):
    """KPI values of a period against a comparison period, with flags.

    Facts: ``frame`` (one row per KPI id: value, comparison, change, p-value, limits,
    ``signal`` code), ``comparison_period``, ``compare_to``, ``alpha``, ``trailing_used``."""

    def __init__(self, frame, period, team, *, comparison_period, compare_to="previous", alpha=0.05, trailing_used=0):
        super().__init__(N_("KPIs"), frame, period, team)
        self.comparison_period, self.compare_to = comparison_period, compare_to
        self.alpha, self.trailing_used = alpha, trailing_used

    @property
    def has_data(self) -> bool:
        return bool(self.frame.attrs.get("has_data", True))

    def display_frame(self) -> pd.DataFrame:
        rows = []
        cur = labels.period_text(self.period)
        ref = labels.period_text(self.comparison_period)
        for r in self.frame.itertuples(index=False):
            if KPIS[r.kpi].unit == "rate":
                change = fmt.pp(r.change) if np.isfinite(r.change) else fmt.na()
            else:
                change = fmt.signed_percent(r.change_rel) if np.isfinite(r.change_rel) else fmt.na()
            rows.append({_("KPI"): labels.kpi_name(r.kpi), cur: labels.kpi_value(r.kpi, r.value),
                         ref: labels.kpi_value(r.kpi, r.comparison), _("Change"): change,
                         _("Signal"): labels.signal_text(r.signal)})
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        from leadlab.presentation import coloured_status_table
        from leadlab.safehtml import text

        disp = self.display_frame()
        if disp.empty:
            return super()._repr_html_()
        table = coloured_status_table(disp, self.frame["signal"].tolist(), SIGNAL_STYLE, "kpi-table")
        notes = "".join(f"<p class='leadlab-note'>{text(n)}</p>" for n in self.notes())
        return f"<div class='leadlab-result'><h4>{text(self.title())}</h4>{table}{notes}</div>"

    def notes(self) -> list[str]:
        per = self.period
        if self.compare_to == "previous":
            ref = _("compared with {period}, the previous period", period=labels.period_text(self.comparison_period))
        else:
            ref = _("compared with {period}, the same period last year", period=labels.period_text(self.comparison_period))
        method = _("{reference}. Significant change: p < {alpha} (two-proportion z-test for rates; for counts a "
                   "quasi-Poisson test per business day whose variance is the overdispersion of the daily counts in the "
                   "preceding periods, weekday-adjusted; Welch t-test for averages). Outside normal variation: beyond "
                   "3-sigma control limits (Laney p′/u′ charts, counts with the same dispersion) from the {n} preceding "
                   "periods ({kind}).", reference=ref, alpha=fmt.number(self.alpha, 2), n=fmt.number(self.trailing_used),
                   kind=period_kind_text(per.kind))
        out = [method, na_note()]
        if not self.has_data:
            out.insert(0, no_activity_note(per))
        if not self.frame.attrs.get("has_spend", True):
            out.append(no_spend_note())
        return out

    def significant(self) -> pd.DataFrame:
        """Rows whose change is significant or outside normal variation."""
        return self.frame[self.frame["signal"].isin(["significant change", "outside normal variation"])]

    def row(self, kpi: str) -> pd.Series:
        return self.frame.set_index("kpi").loc[kpi]

    def _plot(self, ax):
        from leadlab import plots

        d = self.frame[self.frame["kpi"].map(lambda n: KPIS[n].unit == "rate")].copy()
        d["label"] = d["kpi"].map(labels.kpi_name)
        d = d.dropna(subset=["change"])
        d["estimate"] = d["change"]
        d["lower"] = d["change"]
        d["upper"] = d["change"]
        return plots.forest_plot(d, ax=ax, percent=True, title=_("Change of rates against {period}",
                                                                    period=labels.period_text(self.comparison_period)),
                                 xlabel=_("change (percentage points)"))


def period_kind_text(kind: str) -> str:
    """The period kind as a word: days, weeks, months, quarters, years."""
    return {"day": _("days"), "week": _("weeks"), "month": _("months"), "quarter": _("quarters"),
            "year": _("years")}.get(kind, kind)


def kpi_table(data, period, team: str | None = None, compare_to: str = "previous", kpis=None,
              alpha: float = 0.05, trailing: int | None = None) -> KpiTable:
    """Each KPI for ``period`` vs ``compare_to`` ("previous" | "last-year"), with the
    p-value of the change, 3-sigma control limits from the trailing periods, and a
    ``signal``: "outside normal variation" | "significant change" | "normal variation" | "no test"."""
    data, per = resolve(data, period, team)
    names = list(kpis or REPORT_KPIS)
    for n in names:
        get_kpi(n)
    ref_p = comparison_period(per, compare_to)
    k_trail = trailing if trailing is not None else TRAILING[per.kind]
    hist_p = [per.shift(-i) for i in range(1, k_trail + 1)]
    all_p = {p.label: p for p in [per, ref_p, *hist_p]}
    m = measures(data, list(all_p.values()), reach_periods=[per, ref_p], speed_periods=[per, ref_p])
    vals = compute(m, names).set_index("period")
    mm = m.set_index("period")
    cur, ref = mm.loc[per.label], mm.loc[ref_p.label]
    hist = mm.loc[[p.label for p in hist_p]]
    hist_days = np.array([business_days(p) for p in hist_p])
    # the trailing periods start when the data start: drop empty leading periods
    active = (hist["dials"] + hist["new_leads"]) > 0
    hist, hist_days = hist[active.to_numpy()], hist_days[active.to_numpy()]
    hist_used = [p for p, a in zip(hist_p, active.to_numpy()) if a]
    daily = None
    if hist_used and any(KPIS[n].test == "poisson" for n in names):
        daily = daily_counts(data, min(p.start for p in hist_used), max(p.end for p in hist_used))
    rows = []
    for n in names:
        k = KPIS[n]
        v, r = float(vals.loc[per.label, n]), float(vals.loc[ref_p.label, n])
        disp = count_dispersion(daily, k.num, hist_used) if k.test == "poisson" and daily is not None else None
        t_cur, t_ref = exposure(per, disp), exposure(ref_p, disp)
        p = _test(k, cur, ref, t_cur, t_ref, disp) if np.isfinite(v) and np.isfinite(r) else math.nan
        t_hist = np.array([exposure(q, disp) for q in hist_used]) if disp is not None else hist_days
        centre, lo, hi = _chart(k, cur, hist, t_cur, t_hist, disp.used if disp is not None else 1.0)
        outside = bool(np.isfinite(v) and np.isfinite(lo) and (v < lo or v > hi))
        if k.test == "none" or not np.isfinite(p) and not np.isfinite(lo):
            signal = "no test"
        elif outside:
            signal = "outside normal variation"
        elif np.isfinite(p) and p < alpha:
            signal = "significant change"
        else:
            signal = "normal variation"
        change = v - r
        rows.append({"kpi": n, "unit": k.unit, "value": v, "comparison": r, "change": change,
                     "change_rel": stats.safe_div(change, abs(r)) if np.isfinite(r) else math.nan,
                     "p_value": p, "dispersion": disp.phi if disp is not None else math.nan, "centre": centre, "lower_limit": lo, "upper_limit": hi,
                     "outside_limits": outside, "signal": signal,
                     "direction": "up" if change > 0 else "down" if change < 0 else "flat",
                     "good": (k.better == "up" and change > 0) or (k.better == "down" and change < 0)})
    frame = pd.DataFrame(rows)
    frame.attrs.update(period_label=per.label, compare_label=ref_p.label, has_data=bool(cur["dials"] + cur["new_leads"] > 0),
                       has_spend=bool(m.attrs.get("has_spend")))
    return KpiTable(frame, per, data.team, comparison_period=ref_p, compare_to=compare_to, alpha=alpha,
                    trailing_used=len(hist))
