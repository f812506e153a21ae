"""Reporting periods: parse ``2026-10``, ``2026-W46``, ``2026-Q4``, ``2026``,
``2026-11-02``, ``last-month``, ``last-week``, ``last-quarter`` into half-open
``[start, end)`` intervals.

``last-*`` means the latest *complete* period: complete relative to ``as_of``
(the latest activity in the store, or today when unknown).

>>> p = parse_period("2026-Q4")
>>> p.start.date(), p.end.date(), p.kind
(datetime.date(2026, 10, 1), datetime.date(2027, 1, 1), 'quarter')
>>> parse_period("2026-W46").label
'2026-W46'
>>> parse_period("last-month", as_of="2026-11-20 13:00").label
'2026-10'
>>> parse_period("2026-10").previous().label, parse_period("2026-10").same_last_year().label
('2026-09', '2025-10')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from leadlab.errors import ConfigError
from leadlab.i18n import _

KINDS = ("day", "week", "month", "quarter", "year")
RELATIVE = {"last-day": "day", "yesterday": "day", "last-week": "week", "last-month": "month", "last-quarter": "quarter", "last-year": "year"}
FORMATS = "YYYY-MM (2026-10), YYYY-Www (2026-W46), YYYY-Qn (2026-Q4), YYYY (2026), YYYY-MM-DD, last-week, last-month, last-quarter, last-year"


@dataclass(frozen=True)
class Period:
    """A half-open interval ``[start, end)`` of one calendar kind."""

    start: pd.Timestamp
    end: pd.Timestamp
    kind: str

    @property
    def label(self) -> str:
        s = self.start
        if self.kind == "day":
            return s.strftime("%Y-%m-%d")
        if self.kind == "week":
            iso = s.isocalendar()
            return f"{iso.year}-W{iso.week:02d}"
        if self.kind == "month":
            return s.strftime("%Y-%m")
        if self.kind == "quarter":
            return f"{s.year}-Q{(s.month - 1) // 3 + 1}"
        return str(s.year)

    def __str__(self) -> str:
        return self.label

    @property
    def days(self) -> float:
        return (self.end - self.start) / pd.Timedelta(days=1)

    def shift(self, n: int) -> "Period":
        """The period ``n`` steps later (negative: earlier) of the same kind."""
        return _of_kind(self.kind, self.start + n * _offset(self.kind))

    def previous(self) -> "Period":
        return self.shift(-1)

    def same_last_year(self) -> "Period":
        if self.kind == "week":
            iso = self.start.isocalendar()
            week = min(iso.week, pd.Timestamp(f"{iso.year - 1}-12-28").isocalendar().week)
            return _of_kind("week", pd.Timestamp.fromisocalendar(iso.year - 1, week, 1))
        return _of_kind(self.kind, self.start - pd.DateOffset(years=1))

    def contains(self, ts) -> bool:
        ts = pd.Timestamp(ts)
        return self.start <= ts < self.end

    def elapsed_share(self, as_of) -> float:
        """Share of the period elapsed at ``as_of`` (0..1), for pacing."""
        as_of = pd.Timestamp(as_of)
        return float(min(max((as_of - self.start) / (self.end - self.start), 0.0), 1.0))


def _offset(kind: str):
    return {
        "day": pd.DateOffset(days=1),
        "week": pd.DateOffset(weeks=1),
        "month": pd.DateOffset(months=1),
        "quarter": pd.DateOffset(months=3),
        "year": pd.DateOffset(years=1),
    }[kind]


def _of_kind(kind: str, ts) -> Period:
    """The period of ``kind`` that contains ``ts``."""
    ts = pd.Timestamp(ts).normalize()
    if kind == "day":
        start = ts
    elif kind == "week":
        start = ts - pd.Timedelta(days=ts.weekday())
    elif kind == "month":
        start = ts.replace(day=1)
    elif kind == "quarter":
        start = ts.replace(day=1, month=(ts.month - 1) // 3 * 3 + 1)
    elif kind == "year":
        start = ts.replace(day=1, month=1)
    else:
        raise ConfigError(_("unknown period kind {kind}; valid: {valid}", kind=repr(kind), valid=", ".join(KINDS)))
    return Period(start, start + _offset(kind), kind)


def latest_complete(kind: str, as_of=None) -> Period:
    """The latest period of ``kind`` that ended at or before ``as_of`` (default: now)."""
    as_of = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.now()
    current = _of_kind(kind, as_of)
    return current.previous()


def parse_period(text: str, *, as_of=None) -> Period:
    """Parse a period string; a ConfigError naming the accepted formats otherwise."""
    if isinstance(text, Period):
        return text
    raw = str(text).strip()
    t = raw.lower()
    if t in RELATIVE:
        return latest_complete(RELATIVE[t], as_of)
    try:
        if m := re.fullmatch(r"(\d{4})-w(\d{1,2})", t):
            year, week = int(m[1]), int(m[2])
            return _of_kind("week", pd.Timestamp.fromisocalendar(year, week, 1))
        if m := re.fullmatch(r"(\d{4})-q([1-4])", t):
            return _of_kind("quarter", pd.Timestamp(int(m[1]), 3 * int(m[2]) - 2, 1))
        if m := re.fullmatch(r"(\d{4})-(\d{2})", t):
            return _of_kind("month", pd.Timestamp(int(m[1]), int(m[2]), 1))
        if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", t):
            return _of_kind("day", pd.Timestamp(int(m[1]), int(m[2]), int(m[3])))
        if m := re.fullmatch(r"(\d{4})", t):
            return _of_kind("year", pd.Timestamp(int(m[1]), 1, 1))
    except ValueError:
        pass
    raise ConfigError(_("parameter period: cannot read {value}; use one of {formats}", value=repr(raw), formats=FORMATS))
