"""Numbers, rates, money, durations, dates and periods in the current language, via Babel.

Locales: ``en`` → ``en_US``, ``zh`` → ``zh_Hans_CN`` (CLDR data shipped with Babel).
Missing values (``None``, NaN, ``pd.NA``, ``NaT``) print as ``n/a`` / ``无数据``.
Rounding is half-to-even (CLDR's rule, like Python's ``round``). Rates are fractions
(``0.123`` → ``12.3%``). Money is CNY: ``¥`` in Chinese, ``CN¥`` in English (CLDR's
symbol, unambiguous next to the Japanese yen); from 100,000 on amounts are compact
(``¥12.8万`` / ``¥1.2亿``; ``CN¥128K`` / ``CN¥1.28M``).

>>> from leadlab.i18n import use_lang
>>> with use_lang("zh"):
...     [number(12800), percent(0.1234), pp(0.012), money(1280000), seconds(205), period_label("2026-W46")]
['12,800', '12.3%', '+1.2个百分点', '¥128万', '3分25秒', '2026年第46周']
>>> with use_lang("en"):
...     [number(12800), percent(0.1234), pp(0.012), money(1280000), seconds(205), period_label("2026-W46")]
['12,800', '12.3%', '+1.2 pp', 'CN¥1.28M', '3 min 25 s', 'Week 46, 2026']
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from leadlab.errors import ConfigError
from leadlab.i18n.lang import BABEL_LOCALES, lang_or_en
from leadlab.i18n.messages import _, ngettext

CURRENCY = "CNY"
COMPACT_FROM = 100_000  # money at or above this (absolute) prints compact: ¥12.8万, CN¥128K
_COMPACT_DIGITS = {"zh": 1, "en": 2}  # at most, trailing zeros dropped: ¥1.2亿, CN¥1.28M
_UTC_NAMES = {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/GMT", "GMT", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu"}


def _locale() -> str:
    return BABEL_LOCALES[lang_or_en()]


def missing(x: object) -> bool:
    """True for ``None``, NaN, ``pd.NA`` and ``NaT``."""
    if x is None:
        return True
    if isinstance(x, float):
        return math.isnan(x)
    try:
        import pandas as pd

        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def na() -> str:
    """The text for a missing value: ``n/a`` / ``无数据``."""
    return _("n/a")


def _pattern(digits: int) -> str:
    if digits < 0:
        raise ValueError(f"digits must be >= 0, got {digits}")
    return "#,##0" + ("." + "0" * digits if digits else "")


def _rounded(x: object, digits: int) -> Decimal:
    """``x`` as a Decimal rounded half-to-even to ``digits`` (no negative zero)."""
    value = round(Decimal(str(x)), digits)
    return value if value != 0 else Decimal(0).quantize(Decimal(1).scaleb(-digits))


def number(x: object, digits: int = 0) -> str:
    """A number with grouping: ``number(12800.5, 1)`` → ``12,800.5``."""
    if missing(x):
        return na()
    from babel.numbers import format_decimal

    return format_decimal(_rounded(x, digits), format=_pattern(digits), locale=_locale())


def percent(x: object, digits: int = 1) -> str:
    """A fraction as a percentage: ``percent(0.1234)`` → ``12.3%``."""
    if missing(x):
        return na()
    from babel.numbers import format_percent

    return format_percent(_rounded(Decimal(str(x)) * 100, digits) / 100, format=_pattern(digits) + "%",
                          locale=_locale())


def signed_percent(x: object, digits: int = 1) -> str:
    """A relative change with its sign: ``+12.3%``, ``-4.0%``, ``0.0%``."""
    if missing(x):
        return na()
    text = percent(x, digits)
    return "+" + text if _rounded(Decimal(str(x)) * 100, digits) > 0 else text


def pp(x: object, digits: int = 1) -> str:
    """A difference of two rates (fractions) in percentage points: ``+1.2 pp`` / ``+1.2个百分点``."""
    if missing(x):
        return na()
    value = _rounded(Decimal(str(x)) * 100, digits)
    text = number(value, digits)
    return _("{value} pp", value="+" + text if value > 0 else text)


def money(x: object, digits: int = 0) -> str:
    """An amount in CNY: ``¥12,800`` / ``CN¥12,800``; compact from 100,000 on (see module doc)."""
    if missing(x):
        return na()
    from babel.numbers import format_compact_currency, format_currency

    lang = lang_or_en()
    if abs(float(x)) >= COMPACT_FROM:
        return format_compact_currency(float(x), CURRENCY, fraction_digits=_COMPACT_DIGITS[lang],
                                       locale=BABEL_LOCALES[lang])
    return format_currency(_rounded(x, digits), CURRENCY, format="¤" + _pattern(digits), currency_digits=False,
                           locale=BABEL_LOCALES[lang])


def pvalue(p: object) -> str:
    """A p-value, never in scientific notation: ``<0.001``, ``0.023``, ``>0.999``."""
    if missing(p):
        return na()
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"a p-value lies in [0, 1], got {p}")
    if p < 0.001:
        return "<" + number(0.001, 3)
    if p > 0.999:
        return ">" + number(0.999, 3)
    return number(p, 3)


def seconds(s: object) -> str:
    """A duration: ``45 s`` / ``45秒``, ``3 min 25 s`` / ``3分25秒``, ``1 h 2 min`` / ``1小时2分``."""
    if missing(s):
        return na()
    total = int(_rounded(s, 0))
    sign, total = ("-", -total) if total < 0 else ("", total)
    h, rest = divmod(total, 3600)
    m, sec = divmod(rest, 60)
    if h:
        text = _("{h} h {m} min", h=number(h), m=number(m))
    elif m:
        text = _("{m} min {s} s", m=number(m), s=number(sec))
    else:
        text = _("{s} s", s=number(sec))
    return sign + text


def days(d: object, digits: int = 1) -> str:
    """A number of days (e.g. a sales cycle): ``12.5 days`` / ``12.5天``; ``1 day``."""
    if missing(d):
        return na()
    value = _rounded(d, digits)
    return ngettext("{n} day", "{n} days", 1 if value == 1 else 2, n=number(value, digits))


def _timestamp(x: object):
    """A ``datetime`` (naive: wall clock of the business zone; aware: converted to it)."""
    import pandas as pd

    from leadlab.schema import business_timezone

    ts = pd.Timestamp(x)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(business_timezone()).tz_localize(None)
    return ts.to_pydatetime()


def _skeleton(skeleton: str, when) -> str:
    from babel.dates import format_skeleton

    return format_skeleton(skeleton, when, locale=_locale())


def date(d: object) -> str:
    """A calendar day: ``2026年11月2日`` / ``Nov 2, 2026``."""
    if missing(d):
        return na()
    return _skeleton("yMMMd", _timestamp(d))


def datetime(ts: object) -> str:
    """A moment in the business time zone (see :func:`tz_label`): ``2026年11月2日 14:05`` / ``Nov 2, 2026, 14:05``.

    Naive values are taken as wall-clock times of that zone (how the store keeps them);
    aware values are converted to it.
    """
    if missing(ts):
        return na()
    from babel import Locale
    from babel.dates import format_time

    when = _timestamp(ts)
    glue = Locale.parse(_locale()).datetime_formats["medium"]
    return glue.replace("{1}", _skeleton("yMMMd", when)).replace("{0}", format_time(when, "HH:mm", locale=_locale()))


def tz_label(when: object = None) -> str:
    """The business time zone as a reader knows it, with its IANA id and UTC offset.

    ``中国时间（Asia/Shanghai，UTC+08:00）`` / ``China Time (Asia/Shanghai, UTC+08:00)``;
    the offset is the one at ``when`` (default: now).
    """
    from babel.dates import get_timezone_name

    from leadlab.schema import business_timezone

    name = business_timezone()
    zone = ZoneInfo(name)
    moment = _dt.datetime.now(zone) if when is None else _timestamp(when).replace(tzinfo=zone)
    offset = moment.utcoffset() or _dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hhmm = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    if name in _UTC_NAMES or name.startswith("Etc/"):
        zone_name = _("Coordinated Universal Time") if minutes == 0 else "UTC" + hhmm
    else:
        zone_name = get_timezone_name(zone, "long", zone_variant="generic", locale=_locale())
    return _("{zone} ({tz_id}, UTC{offset})", zone=zone_name, tz_id=name, offset=hhmm)


def month(period: object) -> str:
    """A calendar month: ``2026年10月`` / ``October 2026``. Takes ``"2026-10"``, a date or a Period."""
    if missing(period):
        return na()
    if isinstance(period, str) and (m := re.fullmatch(r"(\d{4})-(\d{2})", period.strip())):
        period = _dt.date(int(m[1]), int(m[2]), 1)
    start = getattr(period, "start", period)
    return _skeleton("yMMMM", _timestamp(start))


def iso_week(year: int, week: int) -> str:
    """An ISO week: ``2026年第46周`` / ``Week 46, 2026``."""
    if not 1 <= int(week) <= 53:
        raise ValueError(f"an ISO week number lies in 1..53, got {week}")
    return _("Week {week}, {year}", week=str(int(week)), year=str(int(year)))


def quarter(year: int, q: int) -> str:
    """A calendar quarter: ``2026年第4季度`` / ``Q4 2026``."""
    if not 1 <= int(q) <= 4:
        raise ValueError(f"a quarter lies in 1..4, got {q}")
    return _skeleton("yQQQ", _dt.date(int(year), 3 * int(q) - 2, 1))


def year(y: int) -> str:
    """A calendar year: ``2026年`` / ``2026``."""
    return _skeleton("y", _dt.date(int(y), 1, 1))


_LABELS = (
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), lambda m: date(_dt.date(int(m[1]), int(m[2]), int(m[3])))),
    (re.compile(r"(\d{4})-W(\d{2})"), lambda m: iso_week(int(m[1]), int(m[2]))),
    (re.compile(r"(\d{4})-Q([1-4])"), lambda m: quarter(int(m[1]), int(m[2]))),
    (re.compile(r"(\d{4})-(\d{2})"), lambda m: month(_dt.date(int(m[1]), int(m[2]), 1))),
    (re.compile(r"(\d{4})"), lambda m: year(int(m[1]))),
)


def period_label(label: object) -> str:
    """A leadlab period label (``2026-10``, ``2026-W46``, ``2026-Q4``, ``2026``, ``2026-11-02``
    or a :class:`leadlab.periods.Period`) in words: ``2026年10月`` / ``October 2026``."""
    text = getattr(label, "label", label)
    if isinstance(text, str):
        for pattern, render in _LABELS:
            if m := pattern.fullmatch(text.strip()):
                try:
                    return render(m)
                except ValueError:
                    break
    shown = repr(text[:40]) if isinstance(text, str) else type(text).__name__
    raise ConfigError(f"period label {shown}: expected 2026-10, 2026-W46, 2026-Q4, 2026 or 2026-11-02")
