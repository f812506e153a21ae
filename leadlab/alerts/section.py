"""The report section "Alerts sent this period": what ``leadlab alerts run`` delivered for
runs whose period overlaps the report's period, re-worded in the report's language from
the stored facts.

>>> import ibis
>>> from leadlab.periods import parse_period
>>> print(sent_alerts(ibis.duckdb.connect(), parse_period("2026-10")).verdict())
No alerts were sent for October 2026.
"""

from __future__ import annotations

import json

import pandas as pd

from leadlab.alerts import state, texts
from leadlab.i18n import _, fmt, ngettext, pgettext
from leadlab.presentation import Result


class SentAlerts(Result):
    """Alerts sent for a period: one row per event, with the channels it reached."""

    def __init__(self, frame: pd.DataFrame, period):
        self.frame, self.period = frame, period

    def title(self) -> str:
        return _("Alerts sent this period")

    def to_pandas(self) -> pd.DataFrame:
        return self.frame.copy()

    def _events(self) -> pd.DataFrame:
        f = self.frame
        if f.empty:
            return f
        return (f.groupby(["event_key", "kind", "facts"], sort=False)
                .agg(channels=("channel", lambda c: ", ".join(sorted(set(c)))), sent_at=("sent_at", "min"))
                .reset_index().sort_values("sent_at"))

    def display_frame(self) -> pd.DataFrame:
        e = self._events()
        if e.empty:
            return pd.DataFrame()
        return pd.DataFrame({
            pgettext("alerts table", "Sent"): [fmt.datetime(t) for t in e.sent_at],
            pgettext("alerts table", "Alert"): [texts.title(k, json.loads(f)) for k, f in zip(e.kind, e.facts)],
            pgettext("alerts table", "Channels"): [texts.chat_safe(c, 200) for c in e.channels]})

    def verdict(self) -> str:
        n = len(self._events())
        if n == 0:
            return _("No alerts were sent for {period}.", period=fmt.period_label(self.period.label))
        return ngettext("{n} alert was sent for {period}.", "{n} alerts were sent for {period}.", n,
                        n=fmt.number(n), period=fmt.period_label(self.period.label))


def sent_alerts(con, period) -> SentAlerts:
    """The alerts sent by runs whose period overlaps ``period`` (a Period or a label)."""
    from leadlab.periods import parse_period

    per = parse_period(period)
    return SentAlerts(state.sent_for(con, per.start, per.end), per)
