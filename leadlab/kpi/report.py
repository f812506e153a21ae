"""Everything the KPI report notebook shows, computed once: :func:`kpi_report`; and the
report's words (title, subtitle, section headings and explanations) in the current language.

>>> from leadlab.i18n import use_lang
>>> section("funnel").splitlines()[0]
'## Funnel'
>>> with use_lang("zh"):
...     section("funnel").splitlines()[0]
'## 漏斗'
>>> import leadlab
>>> rep = kpi_report(leadlab.connect(read_only=True), "2026-10")
>>> print(rep.summary.summary().splitlines()[1])
- October 2026: dials 711, SQLs 20, won deals 3, revenue CN¥17,469.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from leadlab.kpi.compare import KpiTable, comparison_period, kpi_table
from leadlab.kpi.customer import CustomerQualityResult, customer_quality
from leadlab.kpi.cycle import CycleResult, sales_cycle
from leadlab.kpi.data import KpiData
from leadlab.kpi.funnel import FunnelResult, funnel
from leadlab.kpi.pool import PoolResult, pool_health
from leadlab.kpi.scorecard import ScorecardResult, scorecard
from leadlab.kpi.speed import SpeedResult, speed_to_lead
from leadlab.kpi.summary import ExecutiveSummary, executive_summary
from leadlab.kpi.targets import TargetsResult, targets_report
from leadlab.kpi.trend import TrendResult, trend
from leadlab.periods import Period
from leadlab.i18n import N_, _, fmt
from leadlab.presentation import section_markdown, warning_box
from leadlab.kpi import labels
from leadlab import safehtml

#: the grain of the report's trend section per period kind
TREND_GRAIN = {"week": "day", "month": "week", "quarter": "month", "year": "quarter"}


@dataclass
class KpiReport:
    """All sections of the periodic KPI report."""

    data: KpiData
    period: Period
    team: str | None
    compare_to: str
    table: KpiTable
    funnel: FunnelResult
    targets: TargetsResult
    scorecard: ScorecardResult
    speed: SpeedResult
    cycle: CycleResult
    pool: PoolResult
    summary: ExecutiveSummary
    trend: TrendResult | None = None
    customer: CustomerQualityResult | None = None

    @property
    def has_data(self) -> bool:
        return bool(self.table.frame.attrs.get("has_data"))

    @property
    def title(self) -> str:
        if self.team:
            return _("KPI report — {period} — team {team}", period=labels.period_text(self.period), team=self.team)
        return _("KPI report — {period}", period=labels.period_text(self.period))

    @property
    def subtitle(self) -> str:
        per, ref = self.period, self.table.comparison_period
        last_day = per.end - pd.Timedelta(days=1)
        span = _("{period} ({start} to {end})", period=labels.period_text(per), start=fmt.date(per.start),
                 end=fmt.date(last_day))
        if self.compare_to == "previous":
            compared = _("Period: {span}, compared with {reference} ({ref_period}).", span=span,
                         reference=_("the previous period"), ref_period=labels.period_text(ref))
        else:
            compared = _("Period: {span}, compared with {reference} ({ref_period}).", span=span,
                         reference=_("the same period last year"), ref_period=labels.period_text(ref))
        as_of = self.data.as_of
        if as_of is None:
            latest = _("The store has no calls.")
        else:
            latest = _("Latest activity in the store: {as_of}.", as_of=fmt.datetime(as_of))
        zone = _("Times are in {zone}.", zone=fmt.tz_label(as_of))
        return "\n".join([compared, latest, zone])

    def header_markdown(self) -> str:
        """The report's title and subtitle as Markdown (escaped), one sentence per line."""
        lines = "  \n".join(safehtml.md(line) for line in self.subtitle.split("\n"))
        return f"# {safehtml.md(self.title)}\n\n{lines}"


#: the report's sections: heading and explanation, message ids (one place; rendered by :func:`section`)
SECTION_TEXTS: dict[str, tuple[str, str]] = {
    "summary": (N_("Executive summary"),
                N_("The period in a few sentences, generated from the numbers below.")),
    "funnel": (N_("Funnel"),
               N_("How many dials became connected calls, conversations, SQLs, opportunities and won deals in the "
                 "period. Each bar is labelled with its share of dials and its conversion from the step before: the "
                 "step with the weakest conversion is where most effort is lost.")),
    "table": (N_("KPIs against the comparison period"),
              N_("Every KPI of the period next to the comparison period. The signal tells which moves are real: "
                "outside normal variation means beyond the control limits set by the preceding periods; significant "
                "change means unlikely to be chance against the comparison period (p < 0.05); normal variation is "
                "noise, not worth a reaction; no test marks totals and costs, shown for information. n/a means the "
                "KPI cannot be computed (for example no calls, so no connect rate).")),
    "trend": (N_("Over time"),
              N_("The period split into days, weeks or months, so you can see whether a change happened at once or "
                "built up. A sudden step usually has a cause worth finding (a new list, a script change, an "
                "absence); a slow drift calls for coaching.")),
    "targets": (N_("Targets and pacing"),
                N_("Each target that covers this period: where it stands, and where it will end at the current pace "
                  "(counts projected linearly to the end of the period, rates at their current level). Green is on "
                  "track, orange at risk (90–100% of target), red behind (below 90%).")),
    "scorecard": (N_("Rep scorecards"),
                  N_("A fair ranking: each rep's rates are pulled towards the team average in proportion to how "
                    "little evidence there is (a rep with a dozen calls cannot top or bottom the list on luck). How "
                    "far reps really differ is itself estimated, with its uncertainty. When a rate does not tell "
                    "reps apart, the notes under the table say so and every rep sits near the team average. The "
                    "composite score weights connect rate, conversation rate and SQL rate; the bars show its 90% "
                    "interval. Only reps whose interval lies clear of zero are really above or below average; the "
                    "rank range says how far each rep could move.")),
    "speed": (N_("Speed-to-lead"),
              N_("How fast new leads of the period got their first call, and how often leads in each response band "
                "became SQLs (with 95% intervals). This comparison is observational: fast and slow leads may differ "
                "in other ways, so it shows an association, not proof that calling faster causes more SQLs.")),
    "cycle": (N_("Sales cycle"),
              N_("What happens to the opportunities of the last twelve months, day by day since the lead was "
                "created: the green curve is the share already won, the red curve the share already lost; deals "
                "still open count as undecided (shaded: 95% bands). Where the green curve levels off is the share "
                "of opportunities that end up won. The median days to win is taken among the deals that are won. "
                "The table also shows the older, naive figures and why they mislead.")),
    "pool": (N_("Lead-pool health"),
             N_("The open leads at the end of the period by age, how many were never called or have gone stale, "
               "likely duplicates, how complete the key fields are, and the funnel step whose conversion fell most "
               "against the previous period (the bottleneck to look at first). Last, the public pool (公海) under the "
               "rules of pool_rules.yml: leads that returned to it, were picked up again, reassigned and converted.")),
    "customer": (N_("Customer quality: satisfaction, NPS, repeat purchase and collections"),
                 N_("Customer satisfaction (CSAT) and Net Promoter Score from the period's survey answers, with 95% "
                    "intervals; complaints per 1,000 calls; the repeat purchase rate; the collection rate (回款率: "
                    "paid ÷ due on invoices due in the period) and days sales outstanding. The table below it ranks "
                    "reps fairly: a rep with a handful of answers is pulled towards the team average.")),
    "definitions": (N_("How the KPIs are defined"),
                    N_("Events are counted in the period they happen (an SQL counts in the month the lead became an "
                      "SQL). The full catalogue is printed by leadlab kpi list and documented in docs/kpi.md.")),
}


SECTIONS = ("summary", "funnel", "table", "trend", "targets", "scorecard", "speed", "cycle", "pool", "customer",
            "definitions")


def section(key: str) -> str:
    """A section's heading and explanation as Markdown, in the current language."""
    return section_markdown(SECTION_TEXTS, key)


def no_data_banner() -> str:
    """The HTML banner shown when the period has no data (escaped)."""
    return warning_box(_("No data for this period."),
                       _("The sections below are empty or n/a. Pick a period inside the store's range "
                         "(see the data overview report)."))


def no_trend_text() -> str:
    return safehtml.md(_("No breakdown over time for this period."))


def definitions_table():
    """The report's KPIs with their names and formulas in the current language (from the vocabulary when present)."""
    from leadlab.kpi.definitions import KPIS, REPORT_KPIS
    from leadlab.kpi.labels import _vocabulary_entry, kpi_name

    rows = []
    for k in REPORT_KPIS:
        entry = _vocabulary_entry(k)
        formula = entry.formula_text() if entry is not None and hasattr(entry, "formula_text") else KPIS[k].formula
        rows.append({_("KPI"): kpi_name(k), _("Formula"): formula})
    return pd.DataFrame(rows)


def kpi_report(data, period: str = "last-month", team: str | None = None, compare_to: str = "previous",
               targets_path: str | None = None, weights=None, seed: int = 0) -> KpiReport:
    """Compute every section of the KPI report for ``period`` (and ``team``); ``weights``
    are the scorecard's composite weights (see :func:`leadlab.kpi.scorecard.parse_weights`)."""
    data = KpiData.coerce(data)
    team = team or None
    scoped = data.for_team(team)
    per = scoped.period(period)
    comparison_period(per, compare_to)  # checks compare_to
    table = kpi_table(scoped, per, compare_to=compare_to)
    tg = targets_report(data, per, targets_path=targets_path or None, team=team)
    pool = pool_health(scoped, per)
    speed = speed_to_lead(scoped, per)
    return KpiReport(
        data=scoped, period=per, team=team, compare_to=compare_to, table=table,
        funnel=funnel(scoped, per), targets=tg, scorecard=scorecard(scoped, per, weights=weights or None, seed=seed),
        speed=speed, cycle=sales_cycle(scoped, per), pool=pool,
        summary=executive_summary(table, tg, pool, speed),
        trend=trend(scoped, per, TREND_GRAIN[per.kind]) if per.kind in TREND_GRAIN else None,
        customer=customer_quality(scoped, per),
    )
