"""Formatting in both languages: fixed expected strings, CLDR data, missing values, time zones, periods."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from leadlab.errors import ConfigError
from leadlab.i18n import fmt, use_lang
from leadlab.periods import parse_period

CASES = [  # (call, zh, en)
    (lambda: fmt.number(12800), "12,800", "12,800"),
    (lambda: fmt.number(1234567.891, 1), "1,234,567.9", "1,234,567.9"),
    (lambda: fmt.number(-0.2), "0", "0"),  # no negative zero
    (lambda: fmt.number(np.int64(42)), "42", "42"),
    (lambda: fmt.percent(0.1234), "12.3%", "12.3%"),
    (lambda: fmt.percent(0.05, 0), "5%", "5%"),
    (lambda: fmt.signed_percent(0.0234), "+2.3%", "+2.3%"),
    (lambda: fmt.signed_percent(-0.04), "-4.0%", "-4.0%"),
    (lambda: fmt.signed_percent(-0.0001), "0.0%", "0.0%"),
    (lambda: fmt.pp(0.012), "+1.2个百分点", "+1.2 pp"),
    (lambda: fmt.pp(-0.004), "-0.4个百分点", "-0.4 pp"),
    (lambda: fmt.money(12800), "¥12,800", "CN¥12,800"),
    (lambda: fmt.money(12.5, 2), "¥12.50", "CN¥12.50"),
    (lambda: fmt.money(99999), "¥99,999", "CN¥99,999"),
    (lambda: fmt.money(128000), "¥12.8万", "CN¥128K"),
    (lambda: fmt.money(1280000), "¥128万", "CN¥1.28M"),
    (lambda: fmt.money(123456789), "¥1.2亿", "CN¥123.46M"),
    (lambda: fmt.money(-250000), "-¥25万", "-CN¥250K"),
    (lambda: fmt.pvalue(1e-300), "<0.001", "<0.001"),
    (lambda: fmt.pvalue(0.0234), "0.023", "0.023"),
    (lambda: fmt.pvalue(1.0), ">0.999", ">0.999"),
    (lambda: fmt.seconds(45.4), "45秒", "45 s"),
    (lambda: fmt.seconds(205), "3分25秒", "3 min 25 s"),
    (lambda: fmt.seconds(3725), "1小时2分", "1 h 2 min"),
    (lambda: fmt.seconds(-75), "-1分15秒", "-1 min 15 s"),
    (lambda: fmt.days(12.46), "12.5天", "12.5 days"),
    (lambda: fmt.days(1, 0), "1天", "1 day"),
    (lambda: fmt.date(dt.date(2026, 11, 2)), "2026年11月2日", "Nov 2, 2026"),
    (lambda: fmt.datetime("2026-11-02 14:05"), "2026年11月2日 14:05", "Nov 2, 2026, 14:05"),
    (lambda: fmt.month("2026-10"), "2026年10月", "October 2026"),
    (lambda: fmt.month(parse_period("2026-10")), "2026年10月", "October 2026"),
    (lambda: fmt.iso_week(2026, 46), "2026年第46周", "Week 46, 2026"),
    (lambda: fmt.quarter(2026, 4), "2026年第4季度", "Q4 2026"),
    (lambda: fmt.year(2026), "2026年", "2026"),
]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_fixed_values(lang):
    with use_lang(lang):
        got = [call() for call, _zh, _en in CASES]
    assert got == [zh if lang == "zh" else en for _call, zh, en in CASES]


@pytest.mark.parametrize("value", [None, float("nan"), np.nan, pd.NA, pd.NaT, np.float32("nan")])
def test_missing_values(value):
    for f in (fmt.number, fmt.percent, fmt.signed_percent, fmt.pp, fmt.money, fmt.pvalue, fmt.seconds, fmt.days,
              fmt.date, fmt.datetime, fmt.month):
        with use_lang("zh"):
            assert f(value) == "无数据", f
        with use_lang("en"):
            assert f(value) == "n/a", f


def test_no_scientific_notation_anywhere():
    for x in (1e-12, 3.2e-7, 5e-5):
        for lang in ("zh", "en"):
            with use_lang(lang):
                out = [fmt.pvalue(x), fmt.number(x, 3), fmt.percent(x, 2), fmt.pp(x)]
            assert not any("e-" in s.lower() or "E" in s for s in out), out


def test_currency_symbol_comes_from_cldr():
    from babel.numbers import get_currency_symbol

    with use_lang("zh"):
        assert fmt.money(5).startswith(get_currency_symbol("CNY", "zh_Hans_CN"))
    with use_lang("en"):
        assert fmt.money(5).startswith(get_currency_symbol("CNY", "en_US"))


def test_rounding_is_half_to_even():
    with use_lang("en"):
        assert [fmt.number(0.5), fmt.number(1.5), fmt.number(2.5), fmt.percent(0.00125, 2)] == ["0", "2", "2", "0.12%"]


def test_datetimes_are_shown_in_the_business_zone(monkeypatch):
    monkeypatch.delenv("LEADLAB_TZ", raising=False)
    utc = pd.Timestamp("2026-11-02 06:05", tz="UTC")
    with use_lang("zh"):
        assert fmt.datetime(utc) == "2026年11月2日 14:05"
        assert fmt.date(pd.Timestamp("2026-11-01 20:30", tz="UTC")) == "2026年11月2日"  # already the 2nd in Shanghai
        assert fmt.tz_label() == "中国时间（Asia/Shanghai，UTC+08:00）"
    monkeypatch.setenv("LEADLAB_TZ", "Europe/Berlin")
    with use_lang("en"):
        assert fmt.datetime(utc) == "Nov 2, 2026, 07:05"
        assert fmt.datetime(dt.datetime(2026, 11, 2, 7, 5)) == "Nov 2, 2026, 07:05"  # naive: wall clock as stored
        assert fmt.tz_label("2026-07-01") == "Central European Time (Europe/Berlin, UTC+02:00)"
        assert fmt.tz_label("2026-12-01") == "Central European Time (Europe/Berlin, UTC+01:00)"
    monkeypatch.setenv("LEADLAB_TZ", "UTC")
    with use_lang("zh"):
        assert fmt.tz_label() == "协调世界时（UTC，UTC+00:00）"
    monkeypatch.setenv("LEADLAB_TZ", "Mars/Olympus")
    with pytest.raises(ConfigError, match="LEADLAB_TZ"):
        fmt.tz_label()


@pytest.mark.parametrize("text,zh,en", [
    ("2026-10", "2026年10月", "October 2026"),
    ("2026-W46", "2026年第46周", "Week 46, 2026"),
    ("2026-W01", "2026年第1周", "Week 1, 2026"),
    ("2026-Q4", "2026年第4季度", "Q4 2026"),
    ("2026", "2026年", "2026"),
    ("2026-11-02", "2026年11月2日", "Nov 2, 2026"),
])
def test_period_labels_from_leadlab_periods(text, zh, en):
    period = parse_period(text)
    for value in (period.label, period):
        with use_lang("zh"):
            assert fmt.period_label(value) == zh
        with use_lang("en"):
            assert fmt.period_label(value) == en


def test_every_iso_week_of_a_53_week_year_has_its_own_label():
    labels = {parse_period(f"2026-W{w:02d}").label for w in range(1, 54)}
    with use_lang("zh"):
        words = {fmt.period_label(lab) for lab in labels}
    assert len(labels) == len(words) == 53 and "2026年第53周" in words


@pytest.mark.parametrize("bad", ["last-month", "2026-13", "2026-W60", "2026-Q5", "<script>", "2026-10\n", 2026, None])
def test_bad_period_labels(bad):
    if bad == "2026-10\n":  # surrounding whitespace is tolerated
        with use_lang("en"):
            assert fmt.period_label(bad) == "October 2026"
        return
    with pytest.raises(ConfigError, match="period label") as err:
        fmt.period_label(bad)
    assert "\n" not in str(err.value)


def test_invalid_arguments_are_programming_errors():
    with pytest.raises(ValueError):
        fmt.pvalue(1.5)
    with pytest.raises(ValueError):
        fmt.iso_week(2026, 0)
    with pytest.raises(ValueError):
        fmt.number(1, digits=-1)
    assert math.isclose(float(fmt.number(2 / 3, 4)), 0.6667)
