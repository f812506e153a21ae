"""What a person reads for the KPI engine's ids, in the current language: KPI names and
values, breakdown dimensions, funnel stages, signals, statuses, periods.

KPI names, values and funnel stages come from the one metric vocabulary
(:mod:`leadlab.vocabulary`). Codes stay codes in result
frames (``signal == "significant change"``, ``status == "at risk"``); only these
functions turn them into words.

>>> from leadlab.i18n import use_lang
>>> with use_lang("zh"):
...     signal_text("significant change"), status_text("behind"), unit_value(0.2314, "rate")
('显著变化', '落后', '23.1%')
>>> unit_value(1234.5, "money"), unit_value(float("nan"), "count")
('CN¥1,234', 'n/a')
"""

from __future__ import annotations

import math

from leadlab.i18n import N_, _, fmt, translate

#: signal codes of the KPI table, in order of weight
SIGNALS = {"outside normal variation": N_("outside normal variation"),
           "significant change": N_("significant change"),
           "normal variation": N_("normal variation"),
           "no test": N_("no test")}
#: target status codes
STATUSES = {"on track": N_("on track"), "at risk": N_("at risk"), "behind": N_("behind"),
            "no data": N_("no data"), "not started": N_("not started")}
#: breakdown dimensions
DIMENSIONS = {"team": N_("Team"), "rep_id": N_("Rep"), "source": N_("Source"), "campaign": N_("Campaign"),
              "region": N_("Region"), "period": N_("Period")}
#: older funnel stage codes → the vocabulary's stage ids
STAGE_IDS = {"dials": "dialed", "connects": "connected", "conversations": "conversation", "SQLs": "sql",
             "opportunities": "opportunity", "won": "won"}


def _vocabulary_entry(kpi_id: str):
    """The vocabulary entry of ``kpi_id`` (an old id of ``ALIASES`` too), or None."""
    from leadlab.vocabulary import ALIASES, METRICS

    return METRICS.get(kpi_id) or METRICS.get(ALIASES.get(kpi_id, ""))


def kpi_name(kpi_id: str) -> str:
    """The display name of a KPI, from the vocabulary (its id when the vocabulary does not know it)."""
    entry = _vocabulary_entry(kpi_id)
    return entry.name() if entry is not None else str(kpi_id)


def unit_value(value, unit: str) -> str:
    """A value of a KPI unit for people (the vocabulary's formatter; missing or infinite → n/a)."""
    from leadlab.vocabulary import format_value

    return format_value(value, unit)


def kpi_value(kpi_id: str, value) -> str:
    """A KPI value for people, in the KPI's unit (the vocabulary's ``format``)."""
    entry = _vocabulary_entry(kpi_id)
    return entry.format(value) if entry is not None else unit_value(value, "ratio")


def minutes(v) -> str:
    """A response time given in minutes: ``12 min`` / ``2.5 h`` / ``3.2 days``."""
    if v is None or fmt.missing(v) or not math.isfinite(float(v)):
        return fmt.na()
    v = float(v)
    if v < 90:
        return _("{n} min", n=fmt.number(v, 0))
    if v < 48 * 60:
        return _("{n} h", n=fmt.number(v / 60, 1))
    return fmt.days(v / 1440, 1)


def dimension_name(dim: str) -> str:
    return translate(DIMENSIONS[dim]) if dim in DIMENSIONS else str(dim)


def stage_name(stage: str) -> str:
    """A funnel stage (a vocabulary stage id, or an older code) by its name."""
    from leadlab.vocabulary import STAGES

    stage = STAGE_IDS.get(stage, stage)
    return STAGES[stage].name() if stage in STAGES else str(stage)


def signal_text(code: str) -> str:
    return translate(SIGNALS[code]) if code in SIGNALS else str(code)


def status_text(code: str) -> str:
    return translate(STATUSES[code]) if code in STATUSES else str(code)


def period_text(period) -> str:
    """A period (or its label) in words: ``2026年10月`` / ``October 2026``."""
    return fmt.period_label(period)


def team_text(team: str) -> str:
    return _("team {team}", team=team)


def as_of_text(as_of) -> str:
    """The store's "as of" moment with its time zone: ``2026年10月31日 18:02（中国时间…）``."""
    if as_of is None:
        return _("no activity in the store")
    return _("{moment}, {zone}", moment=fmt.datetime(as_of), zone=fmt.tz_label(as_of))
