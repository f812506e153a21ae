"""Time helpers of the generator: seconds since the epoch, business hours, seasonality.

All times are naive local times held as ``int64`` seconds since 1970-01-01.
Business hours are Monday-Friday, 08:00-19:00 (no holidays).

>>> import numpy as np
>>> t = to_seconds("2026-11-20")  # a Friday
>>> int(next_business_time(np.array([t + 20 * 3600]))[0] - t) // 3600  # Fri 20:00 -> Mon 08:00
80
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

from leadlab.synth import model as M

DAY = 86_400
HOUR = 3_600


def to_seconds(value: str | _dt.date | _dt.datetime) -> int:
    """Seconds since the epoch of a date or ISO string (naive)."""
    if isinstance(value, str):
        value = _dt.datetime.fromisoformat(value)
    if not isinstance(value, _dt.datetime):
        value = _dt.datetime(value.year, value.month, value.day)
    return int((value - _dt.datetime(1970, 1, 1)).total_seconds())


def from_seconds(t: int) -> _dt.datetime:
    return _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=int(t))


def add_months(d: _dt.date, months: int) -> _dt.date:
    """``d`` shifted by ``months`` calendar months (day clipped to the month's length)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    import calendar

    return _dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def weekday(t: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday)."""
    return ((t // DAY) + 3) % 7


def _as_days(t: np.ndarray) -> np.ndarray:
    return (t // DAY).astype("datetime64[D]")


def _from_days(d: np.ndarray) -> np.ndarray:
    return d.astype("datetime64[D]").astype(np.int64) * DAY


def next_business_time(t: np.ndarray) -> np.ndarray:
    """The first moment at or after ``t`` inside business hours."""
    t = np.asarray(t, dtype=np.int64)
    tod = t % DAY
    day = _as_days(t)
    busy = np.is_busday(day)
    open_s, close_s = M.BUSINESS_OPEN_HOUR * HOUR, M.BUSINESS_CLOSE_HOUR * HOUR
    inside = busy & (tod >= open_s) & (tod < close_s)
    before = busy & (tod < open_s)
    # after closing, or a weekend: the next business day's opening
    nxt = _from_days(np.busday_offset(day, 1, roll="backward")) + open_s
    nxt = np.where(busy, nxt, _from_days(np.busday_offset(day, 0, roll="forward")) + open_s)
    out = np.where(inside, t, np.where(before, t - tod + open_s, nxt))
    return out


def business_day_after(t: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Midnight of the business day ``offsets`` business days after the day of ``t``."""
    day = _as_days(np.asarray(t, dtype=np.int64))
    return _from_days(np.busday_offset(day, offsets, roll="forward"))


def sample_creation_times(rng: np.random.Generator, n: int, start: int, end: int) -> np.ndarray:
    """``n`` sorted creation times in ``[start, end)`` with weekday/hour seasonality and growth."""
    hours = np.arange(start // HOUR, (end + HOUR - 1) // HOUR, dtype=np.int64)
    t = hours * HOUR
    years = (t - start) / (365.25 * DAY)
    w = (
        np.asarray(M.WEEKDAY_WEIGHTS)[weekday(t)]
        * np.asarray(M.HOUR_WEIGHTS)[(t % DAY) // HOUR]
        * (1.0 + M.ANNUAL_GROWTH) ** years
    )
    counts = rng.multinomial(n, w / w.sum())
    out = np.repeat(t, counts) + rng.integers(0, HOUR, size=n)
    out = np.clip(out, start, end - 1)
    out.sort()
    return out
