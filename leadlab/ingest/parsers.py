"""Column parsers of a mapping file, as DuckDB SQL expressions (run in the engine, not per row).

Each parser turns a column's trimmed text (a SQL expression) into its canonical
type, NULL when the cell does not parse (reported with row, column and value by
the parse rule). The patterns are constants of this module; the only values
from a mapping file that reach SQL (a strptime format, a time-zone name) are
quoted by sqlglot.

* ``duration``: ``00:03:25``, ``3:25`` (mm:ss), ``3分25秒``, ``1小时2分``, ``205秒``, ``205`` → seconds
* ``money``: ``¥12,800.00``, ``12800元``, ``1.2万``, ``3亿``, ``RMB 500`` → amount
* ``band``: ``20-99人`` → lower 20, mid 59 (rounded down for whole-number columns), upper 99;
  ``1000人以上`` → 1000 at every point; ``20人以下`` → 0 / 10 / 20; a plain number → itself
* ``boolean``: true/false, yes/no, y/n, 1/0, 是/否, 有/无, 对/错, 已/未 …
* ``timestamp``: an explicit strptime format and/or the export's time zone (converted to the
  business time zone)

>>> import duckdb
>>> con = duckdb.connect()
>>> def run(kind, text, **kw):
...     return con.execute(f"SELECT {sql(Parser(kind, **kw), sge.Literal.string(text).sql('duckdb'), 'float64')}"
...                        ).fetchone()[0]
>>> run("duration", "00:03:25"), run("duration", "3:25"), run("duration", "3分25秒"), run("duration", "205秒")
(205.0, 205.0, 205.0, 205.0)
>>> run("money", "¥12,800.00"), run("money", "1.2万"), run("money", "12800元"), run("money", "12,80")
(12800.0, 12000.0, 12800.0, None)
>>> run("band", "20-99人", point="lower"), run("band", "20-99人", point="mid"), run("band", "1000人以上", point="upper")
(20.0, 59.5, 1000.0)
"""

from __future__ import annotations

import sqlglot.expressions as sge

from leadlab.i18n import N_
from leadlab.ingest.mapping import Parser

#: seconds: mm:ss (minutes and seconds below 60; hh:mm:ss goes through DuckDB's INTERVAL parser)
MS_RE = r"^(\d+):([0-5]?\d(?:\.\d+)?)$"
#: 1小时2分3秒, 3分25秒, 205秒, 3分钟, 2h 5m 10s
CN_DURATION_RE = (r"^(?:(\d+(?:\.\d+)?)\s*(?:小时|时|h))?\s*(?:(\d+(?:\.\d+)?)\s*(?:分钟|分|min|m))?\s*"
                  r"(?:(\d+(?:\.\d+)?)\s*(?:秒钟|秒|sec|s))?$")
NUMBER_RE = r"^\d+(?:\.\d+)?$"
MONEY_RE = (r"^(?:¥|￥|RMB|CNY)?(-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(万|亿|千)?(?:元|RMB|CNY)?$")
BAND_RANGE_RE = r"^(\d+)\s*人?\s*(?:-|~|～|–|—|至|到)\s*(\d+)\s*人?$"
BAND_ABOVE_RE = r"^(?:(?:>|≥|大于|超过)\s*(\d+)\s*人?|(\d+)\s*人?\s*(?:以上|及以上|\+))$"
BAND_BELOW_RE = r"^(?:(?:<|≤|少于|小于|不足)\s*(\d+)\s*人?|(\d+)\s*人?\s*(?:以下|及以下))$"
BAND_ONE_RE = r"^(\d+)\s*人?$"
TRUE_WORDS = ("true", "t", "yes", "y", "1", "是", "真", "有", "对", "已", "√", "✓")
FALSE_WORDS = ("false", "f", "no", "n", "0", "否", "假", "无", "没有", "错", "未", "×", "✗")

#: parser kind → (rule name, what a bad cell is told): message ids; ``{value}`` the cell
MESSAGES = {
    "duration": (N_("unparseable duration"),
                 N_("{value} is not a duration (hh:mm:ss, mm:ss, 3分25秒, 205秒 or seconds)")),
    "money": (N_("unparseable amount"), N_("{value} is not an amount (12800, ¥12,800.00, 12800元, 1.2万)")),
    "band": (N_("unparseable band"), N_("{value} is not a number band (20-99人, 1000人以上, 20人以下 or a number)")),
    "boolean": (N_("unparseable boolean"), N_("{value} is not yes/no (true/false, 1/0, 是/否, 有/无)")),
    "timestamp": (N_("unparseable timestamp"), N_("{value} does not match the format {format}")),
}


def _lit(value: str) -> str:
    return sge.Literal.string(value).sql("duckdb")


def _num(x: str) -> str:
    return f"TRY_CAST(NULLIF({x}, '') AS DOUBLE)"


def duration(t: str) -> str:
    """Seconds of the text ``t``."""
    ms = f"regexp_extract({t}, {_lit(MS_RE)}, ['m', 's'])"
    cn = f"regexp_extract({t}, {_lit(CN_DURATION_RE)}, ['h', 'm', 's'])"
    # fast path: hh:mm:ss through DuckDB's interval parser (it refuses minutes or seconds >= 60)
    # (cast once: a cell with two colons is h:m:s or nothing)
    return (f"(CASE WHEN {t} LIKE '%:%:%' THEN (CASE WHEN {t} NOT LIKE '% %' AND {t} NOT LIKE '-%' THEN "
            f"epoch(TRY_CAST({t} AS INTERVAL)) END) "
            f"WHEN regexp_full_match({t}, {_lit(NUMBER_RE)}) THEN CAST({t} AS DOUBLE) "
            f"WHEN regexp_full_match({t}, {_lit(MS_RE)}) THEN "
            f"{_num(ms + '.m')} * 60 + {_num(ms + '.s')} "
            f"WHEN {t} <> '' AND regexp_full_match({t}, {_lit(CN_DURATION_RE)}) THEN "
            f"coalesce({_num(cn + '.h')}, 0) * 3600 + coalesce({_num(cn + '.m')}, 0) * 60 + coalesce({_num(cn + '.s')}, 0) "
            "END)")


def money(t: str) -> str:
    """The amount of the text ``t`` (currency marks, thousands separators, 万/亿/千)."""
    clean = f"replace(replace({t}, ' ', ''), chr(12288), '')"
    parts = f"regexp_extract({clean}, {_lit(MONEY_RE)}, ['n', 'u'])"
    return (f"(TRY_CAST(replace(NULLIF({parts}.n, ''), ',', '') AS DOUBLE) * CASE {parts}.u WHEN '万' THEN 1e4 "
            f"WHEN '亿' THEN 1e8 WHEN '千' THEN 1e3 ELSE 1 END)")


def band(t: str, point: str) -> str:
    """A number of the band ``t`` at ``point`` (lower | mid | upper)."""
    rng = f"regexp_extract({t}, {_lit(BAND_RANGE_RE)}, ['a', 'b'])"
    above = f"regexp_extract({t}, {_lit(BAND_ABOVE_RE)}, ['a', 'b'])"
    below = f"regexp_extract({t}, {_lit(BAND_BELOW_RE)}, ['a', 'b'])"
    a, b = _num(rng + ".a"), _num(rng + ".b")
    at = {"lower": a, "mid": f"({a} + {b}) / 2", "upper": b}[point]
    n = f"coalesce({_num(below + '.a')}, {_num(below + '.b')})"
    below_at = {"lower": "0.0", "mid": f"{n} / 2", "upper": n}[point]
    return (f"(CASE WHEN regexp_full_match({t}, {_lit(BAND_RANGE_RE)}) THEN "
            f"(CASE WHEN {a} <= {b} THEN {at} END) "
            f"WHEN regexp_full_match({t}, {_lit(BAND_ABOVE_RE)}) THEN "
            f"coalesce({_num(above + '.a')}, {_num(above + '.b')}) "
            f"WHEN regexp_full_match({t}, {_lit(BAND_BELOW_RE)}) THEN {below_at} "
            f"WHEN regexp_full_match({t}, {_lit(BAND_ONE_RE)}) THEN {_num(f'regexp_extract({t}, {_lit(BAND_ONE_RE)}, 1)')} "
            "END)")


def boolean(t: str) -> str:
    yes, no = ", ".join(map(_lit, TRUE_WORDS)), ", ".join(map(_lit, FALSE_WORDS))
    return f"(CASE WHEN lower({t}) IN ({yes}) THEN true WHEN lower({t}) IN ({no}) THEN false END)"


def timestamp(t: str, p: Parser, default: str, business_tz: str) -> str:
    """``t`` read with ``p.format`` (else ``default``, the standard forms) in ``p.timezone``
    (else the business zone), as a wall-clock time of ``business_tz``."""
    ts = f"TRY_STRPTIME({t}, {_lit(p.format)})" if p.format else default
    if p.timezone and p.timezone != business_tz:
        ts = f"timezone({_lit(business_tz)}, timezone({_lit(p.timezone)}, {ts}))"
    return ts


def sql(p: Parser, t: str, dtype: str, *, default_ts: str = "NULL", business_tz: str = "Asia/Shanghai") -> str:
    """The typed value of text ``t`` under parser ``p``, for a column of ``dtype``."""
    if p.kind == "duration":
        v = duration(t)
    elif p.kind == "money":
        v = money(t)
    elif p.kind == "band":
        v = band(t, p.point)
    elif p.kind == "boolean":
        return boolean(t)
    else:
        v = timestamp(t, p, default_ts, business_tz)
        return f"CAST({v} AS DATE)" if dtype == "date" else v
    if dtype == "int64":
        return f"CAST(floor({v}) AS BIGINT)"
    return v


def messages(p: Parser) -> tuple[str, str, dict[str, str]]:
    """(rule, what, extra SQL message fields) of a cell that does not parse under ``p``."""
    rule, what = MESSAGES[p.kind]
    if p.kind == "timestamp" and not p.format:
        from leadlab.ingest.validate import UNPARSEABLE

        rule, what = UNPARSEABLE["timestamp"]
    return rule, what, {"format": _lit(p.format or "")}
