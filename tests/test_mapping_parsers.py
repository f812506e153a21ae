"""The mapping parsers in DuckDB SQL against a reference written in plain Python, on fixed cells
and on seeded random ones (every form, and near-misses that must not parse)."""

from __future__ import annotations

import random
import re

import duckdb
import pyarrow as pa
import pytest

from leadlab.ingest.mapping import Parser
from leadlab.ingest.parsers import sql

CON = duckdb.connect()


def run(p: Parser, cells: list[str], dtype: str = "float64") -> list:
    CON.register("cells", pa.table({"t": pa.array(cells, pa.string())}))
    try:
        return [r[0] for r in CON.execute(f"SELECT {sql(p, 't', dtype)} FROM cells").fetchall()]
    finally:
        CON.unregister("cells")


def ref_duration(text: str) -> float | None:
    """Seconds, written independently of the SQL (str.split, no regular expressions for h:m:s)."""
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = text.split(":")
    if len(parts) in (2, 3) and all(re.fullmatch(r"\d+(\.\d+)?", x) for x in parts) and all(
            "." not in x for x in parts[:-1]):
        nums = [float(x) for x in parts]
        if any(x >= 60 for x in nums[1:]):
            return None
        return nums[0] * 3600 + nums[1] * 60 + nums[2] if len(nums) == 3 else nums[0] * 60 + nums[1]
    m = re.fullmatch(r"(?:(\d+)小时)?(?:(\d+)分)?(?:(\d+)秒)?", text)
    if text and m:
        h, mi, s = (float(g) if g else 0.0 for g in m.groups())
        return h * 3600 + mi * 60 + s
    return None


def test_durations_fixed():
    cells = ["00:03:25", "3:25", "3分25秒", "205秒", "205", "1小时2分3秒", "01:02:03", "100:00:00", "0:00:59.5",
             "3分钟", "2h 5m 10s", "00:61:00", "1:60", "3分x秒", "-00:00:05", "1 day 00:00:01", "", "abc", "::"]
    assert run(Parser("duration"), cells) == [205, 205, 205, 205, 205, 3723, 3723, 360000, 59.5, 180, 7510, None,
                                              None, None, None, None, None, None, None]


def test_durations_random_against_reference():
    rng = random.Random(11)
    cells = []
    for _ in range(3000):
        h, m, s = rng.randrange(0, 30), rng.randrange(0, 75), rng.randrange(0, 75)
        form = rng.randrange(5)
        cells.append([f"{h:02d}:{m:02d}:{s:02d}", f"{m}:{s:02d}", f"{h}小时{m}分{s}秒", f"{m}分{s}秒", f"{s}秒"][form])
    got = run(Parser("duration"), cells)
    want = [ref_duration(c) for c in cells]
    assert got == want
    assert sum(v is None for v in want) > 300  # minutes or seconds >= 60 are refused, not wrapped


def test_money_fixed():
    cells = ["¥12,800.00", "12800元", "1.2万", "3亿", "RMB 500", "￥ 1,234", "12,80", "1,2345", "约一万", "1.2万元",
             "-5", "12.5千"]
    assert run(Parser("money"), cells) == [12800, 12800, 12000, 3e8, 500, 1234, None, None, None, 12000, -5, 12500]


@pytest.mark.parametrize("point, want", [
    ("lower", [20, 1000, 0, 50, 1, None, None]),
    ("mid", [59.5, 1000, 10, 50, 10, None, None]),
    ("upper", [99, 1000, 20, 50, 19, None, None]),
])
def test_bands(point, want):
    cells = ["20-99人", "1000人以上", "20人以下", "50", "1~19人", "99-20人", "二十人"]
    assert run(Parser("band", point=point), cells) == want
    # whole-number columns round the midpoint down (20-99人 → 59)
    assert run(Parser("band", point=point), ["20-99人"], "int64") == [int(want[0] // 1)]


def test_booleans_in_both_languages():
    cells = ["是", "否", "有", "无", "Yes", "N", "1", "0", "TRUE", "false", "√", "×", "也许"]
    assert run(Parser("boolean"), cells, "boolean") == [True, False, True, False, True, False, True, False, True,
                                                       False, True, False, None]


def test_timestamp_format_and_zone():
    import datetime as dt

    p = Parser("timestamp", format="%d/%m/%Y %H:%M", timezone="Europe/Berlin")
    got = run(p, ["31/01/2026 07:05", "2026-01-31 07:05", "31/01/2026"], "timestamp")
    # 07:05 in Berlin (UTC+1 in winter) is 14:05 in Shanghai
    assert got == [dt.datetime(2026, 1, 31, 14, 5), None, None]
    hostile = Parser("timestamp", format="%Y'); DROP TABLE x; --", timezone="UTC")
    assert run(hostile, ["2026"], "timestamp") == [None]  # a format is a literal, never SQL
