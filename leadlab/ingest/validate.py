"""Rules → findings, checked in DuckDB SQL on the staged file.

:func:`build_typed` turns the raw text columns into canonical types
(``TRY_CAST``, so a bad cell is a finding, not a crash) and derives
``connected``/``conversation``; :func:`pseudonymize` replaces PII by tokens;
:func:`build_stage` keeps, for keys already in the store, the stored value of
columns the file does not have. :func:`check_cells`, :func:`check_keys` and
:func:`check_store` return :class:`Finding` lists; :func:`raise_findings` turns
them into one :class:`~leadlab.errors.DataError` whose message names the first
broken rule with file, row and column, and whose details list every rule with
at most 20 rows and the total count.

Row numbers are 1-based data rows as in the file (the header is not a row);
for CSV the line number is shown too when it is exact.

File columns are referred to by their SQL names (``_c1``, ...; see
:meth:`~leadlab.ingest.readers.RawFile.ident`), never by their header text;
literals go through sqlglot quoting. Timestamps with a UTC offset (``+08:00``,
``Z``, ``UTC``) are converted to the business time zone
(:func:`leadlab.schema.business_timezone`); naive ones are taken as local there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import sqlglot.expressions as sge

from leadlab.errors import DataError
from leadlab.ingest.context import StoreLink, duck_type, qi
from leadlab.ingest.pseudonymize import PII_KINDS, Pseudonymizer
from leadlab.ingest.readers import RawFile
from leadlab.schema import DISPOSITIONS, LIFECYCLE, TABLES, Table, business_timezone

MAX_ROWS = 20
TYPED = "_leadlab_typed"
STAGE = "_leadlab_stage"

_WS = "' ' || chr(9) || chr(10) || chr(13) || chr(160) || chr(12288)"
TRUE_WORDS = ("true", "t", "yes", "y", "1", "是", "真")
FALSE_WORDS = ("false", "f", "no", "n", "0", "否", "假")
TS_FORMATS = (
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S.%f",
    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y",
)
EXPECTED = {
    "timestamp": "a date-time like 2026-01-31 14:05:00",
    "date": "a date like 2026-01-31",
    "int64": "a whole number",
    "float64": "a number",
    "boolean": "true/false (also yes/no, 1/0)",
}
#: C0 and C1 control characters except tab: refused in every loaded cell ...
CONTROL_RE = r"[\x00-\x08\x0A-\x1F\x7F-\x9F]"
#: ... except line breaks in free-text columns.
FREE_TEXT = {("experiments", "description")}
CONTROL_FREE_TEXT_RE = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]"
#: A time of day followed by something offset-like: such cells take the time-zone path.
HAS_OFFSET_RE = r"(?i)\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?::\d\d)?\s*(?:z|utc|gmt|[+-]\d)"
#: The offsets understood: Z, UTC, GMT, ±HH, ±HHMM, ±HH:MM after the time (anything else is unparseable).
OFFSET_RE = r"(?i)^\s*(.*?\d:\d\d(?::\d\d(?:[.,]\d+)?)?)\s*(z|utc|gmt|[+-]\d\d(?::?\d\d)?)\s*$"


@dataclass
class Finding:
    """One broken rule: which rule, column, how many rows, and the first rows (≤ 20)."""

    rule: str
    column: str
    count: int
    rows: list[tuple[int, str]]  # (data row, what is wrong there)
    hint: str = ""

    def headline(self, raw: RawFile) -> str:
        row, what = self.rows[0]
        more = f" ({self.count} rows break this rule)" if self.count > 1 else ""
        hint = f"; {self.hint}" if self.hint else ""
        return f"{raw.path.name}, {raw.where(row)}, column {self.column}: {what}{more}{hint}"

    def lines(self, raw: RawFile) -> list[str]:
        shown = len(self.rows)
        head = f"[{self.rule}] column {self.column}: {self.count} row(s)" + (
            f", first {shown} shown" if self.count > shown else "")
        if self.hint:
            head += f" — {self.hint}"
        return [head] + [f"  {raw.where(r)}: {what}" for r, what in self.rows]


@dataclass
class Stage:
    """The file in canonical types, ready to check and load."""

    table: Table
    raw: RawFile
    columns: dict[str, str]  # file header -> canonical column
    present: list[str]  # canonical columns the file has
    ignored: list[str]
    derived: list[str] = field(default_factory=list)
    pseudonymized: dict[str, int] = field(default_factory=dict)  # column -> distinct values tokenized


def _lit(value: str) -> str:
    """A SQL string literal (sqlglot quoting)."""
    return sge.Literal.string(value).sql("duckdb")


_WS_LIST = "(' ', chr(9), chr(10), chr(13), chr(160), chr(12288))"


def _trimmed(x: str) -> str:
    """``x`` without surrounding white space (also full-width / no-break spaces); '' → NULL."""
    return f"NULLIF(trim({x}, {_WS}), '')"


def _cast(ident: str) -> str:
    return f"CAST({qi(ident)} AS VARCHAR)"


def _text(x: str) -> str:
    """Trimmed text of ``x``; trimming only runs on cells that start or end with space."""
    return f"CASE WHEN {x}[1] IN {_WS_LIST} OR {x}[-1] IN {_WS_LIST} THEN {_trimmed(x)} ELSE NULLIF({x}, '') END"


def _cells(ident: str, dtype: str) -> list[str]:
    """The inner query's columns for one file column: raw text ``_raw_<id>``, trimmed text
    ``_trim_<id>`` and, for dates and times, ``_off_<id>`` ({local, off} when the cell has a
    UTC offset after its time, else NULL). The typed expressions refer to them by name, which
    keeps them small (DuckDB's time grows faster than the expression size)."""
    x = _cast(ident)
    out = [f"{x} AS {qi('_raw' + ident)}", f"{_text(x)} AS {qi('_trim' + ident)}"]
    if dtype in ("timestamp", "date"):
        out.append(f"CASE WHEN regexp_matches({x}, {_lit(HAS_OFFSET_RE)}) THEN "
                   f"regexp_extract({x}, {_lit(OFFSET_RE)}, ['local', 'off']) END AS {qi('_off' + ident)}")
    return out


def _naive_ts(x: str, t: str) -> str:
    fmts = "[" + ", ".join(map(_lit, TS_FORMATS)) + "]"
    return f"COALESCE(TRY_CAST({x} AS TIMESTAMP), TRY_CAST({t} AS TIMESTAMP), TRY_STRPTIME({t}, {fmts}))"


def _offset_ts(ident: str) -> str:
    """A cell with a UTC offset as a wall-clock time of the business time zone (NULL when the
    offset is not one of :data:`OFFSET_RE`'s forms or out of range)."""
    parts = qi("_off" + ident)
    local, off = f"{parts}.local", f"upper({parts}.off)"
    digits = f"replace({off}[2:], ':', '')"
    hh = f"TRY_CAST({digits}[1:2] AS INTEGER)"
    mm = f"(CASE WHEN length({digits}) = 4 THEN TRY_CAST({digits}[3:4] AS INTEGER) ELSE 0 END)"
    minutes = (f"(CASE WHEN {off} IN ('Z', 'UTC', 'GMT') THEN 0 WHEN {hh} <= 14 AND {mm} < 60 THEN "
               f"(CASE WHEN {off}[1] = '-' THEN -1 ELSE 1 END) * ({hh} * 60 + {mm}) END)")
    utc = f"({_naive_ts(local, local)} - to_minutes({minutes}))"
    return f"timezone({_lit(business_timezone())}, timezone('UTC', {utc}))"


def _typed_expr(ident: str, dtype: str, allowed: tuple[str, ...] | None) -> str:
    """The typed value of a file column (from the inner query's :func:`_cells`): a fast cast of
    the raw text first, the tolerant forms (trimmed, other date formats, 'No Answer' →
    no_answer) only for cells where it failed. Non-finite numbers become NULL (reported by
    their own rule); timestamps with an offset are converted to the business time zone."""
    x, t = qi("_raw" + ident), qi("_trim" + ident)
    if dtype == "string":
        if allowed:
            return (f"CASE WHEN {x} IN ({', '.join(map(_lit, allowed))}) THEN {x} "
                    f"ELSE lower(regexp_replace({t}, '[\\s\\-]+', '_', 'g')) END")
        return t
    if dtype == "float64":
        v = f"COALESCE(TRY_CAST({x} AS DOUBLE), TRY_CAST({t} AS DOUBLE))"
        return f"(CASE WHEN isfinite({v}) THEN {v} END)"
    if dtype == "int64":
        def whole(v: str) -> str:
            d = f"TRY_CAST({v} AS DOUBLE)"
            return f"CASE WHEN {d} = floor({d}) AND abs({d}) < 9e18 THEN CAST({d} AS BIGINT) END"
        return f"COALESCE({whole(x)}, {whole(t)})"
    if dtype == "boolean":
        yes = ", ".join(map(_lit, TRUE_WORDS))
        no = ", ".join(map(_lit, FALSE_WORDS))
        return f"CASE WHEN lower({t}) IN ({yes}) THEN true WHEN lower({t}) IN ({no}) THEN false END"
    fmts = "[" + ", ".join(map(_lit, TS_FORMATS)) + "]"
    has_offset = f"{qi('_off' + ident)} IS NOT NULL"
    if dtype == "timestamp":
        return f"(CASE WHEN {has_offset} THEN {_offset_ts(ident)} ELSE {_naive_ts(x, t)} END)"
    if dtype == "date":
        return (f"(CASE WHEN {has_offset} THEN CAST({_offset_ts(ident)} AS DATE) ELSE COALESCE(TRY_CAST({x} AS DATE), "
                f"TRY_CAST({t} AS DATE), CAST(TRY_CAST({t} AS TIMESTAMP) AS DATE), "
                f"CAST(TRY_STRPTIME({t}, {fmts}) AS DATE)) END)")
    raise ValueError(f"unsupported type {dtype}")


def _derive_case(flag: int) -> str:
    whens = " ".join(f"WHEN {_lit(d)} THEN {str(v[flag]).lower()}" for d, v in DISPOSITIONS.items())
    return f"CASE disposition {whens} END"


def build_typed(db: duckdb.DuckDBPyConnection, raw: RawFile, spec: Table, columns: dict[str, str],
                ignored: list[str]) -> Stage:
    """Create the temp table ``_leadlab_typed``: ``_row``, each canonical column typed, and
    ``_t_<col>`` (the raw text) for present non-text columns, for the parse checks."""
    by_canon = {v: raw.ident(k) for k, v in columns.items()}
    stage = Stage(spec, raw, columns, [c for c in spec.names if c in by_canon], ignored)
    selects = ["_row"]
    inner = ["_row"]
    control = []  # which loaded column holds a control character first, and its code point
    for col in spec.columns:
        if col.name in by_canon:
            ident = by_canon[col.name]
            inner += _cells(ident, col.dtype)
            selects.append(f"{_typed_expr(ident, col.dtype, col.allowed)} AS {qi(col.name)}")
            if col.dtype != "string" or col.allowed:  # raw text, for the parse checks and messages
                selects.append(f"{qi('_raw' + ident)} AS {qi('_t_' + col.name)}")
            control.append((col.name, qi("_raw" + ident),
                            _lit(CONTROL_FREE_TEXT_RE if (spec.name, col.name) in FREE_TEXT else CONTROL_RE)))
        elif col.derived and spec.name == "calls":
            continue  # filled below from the disposition
        else:
            selects.append(f"CAST(NULL AS {duck_type(spec.name, col.name)}) AS {qi(col.name)}")
    replace, extra = [], []
    if spec.name == "calls":
        for flag, name in ((0, "connected"), (1, "conversation")):
            if name in stage.present:  # keep what the file says (checked later), fill the gaps
                replace.append(f"COALESCE({qi(name)}, {_derive_case(flag)}) AS {qi(name)}")
                extra.append(f"{qi(name)} AS {qi('_given_' + name)}")
            else:
                extra.append(f"{_derive_case(flag)} AS {qi(name)}")
                stage.derived.append(name)
    if control:  # one regular expression per row on the joined cells; per cell only where it matched
        strict = [x for _, x, pattern in control if pattern == _lit(CONTROL_RE)]
        loose = [x for _, x, pattern in control if pattern != _lit(CONTROL_RE)]
        any_ctl = " OR ".join(
            [f"regexp_matches(concat({', '.join(strict)}), {_lit(CONTROL_RE)})"] * bool(strict)
            + [f"regexp_matches({x}, {_lit(CONTROL_FREE_TEXT_RE)})" for x in loose])
        which = "CASE " + " ".join(f"WHEN regexp_matches({x}, {pattern}) THEN {_lit(name)}"
                                   for name, x, pattern in control) + " END"
        point = "CASE " + " ".join(f"WHEN regexp_matches({x}, {pattern}) THEN unicode(regexp_extract({x}, {pattern}))"
                                   for name, x, pattern in control) + " END"
        selects.append(f"CASE WHEN {any_ctl} THEN {which} END AS _ctl")
        selects.append(f"CASE WHEN {any_ctl} THEN {point} END AS _ctl_cp")
    star = f"* REPLACE ({', '.join(replace)})" if replace else "*"
    db.execute(f"CREATE OR REPLACE TEMP TABLE {TYPED} AS SELECT {', '.join([star, *extra])} FROM "
               f"(SELECT {', '.join(selects)} FROM (SELECT {', '.join(inner)} FROM {qi(raw.table)}))")
    return stage


def pseudonymize(db: duckdb.DuckDBPyConnection, stage: Stage, tokenizer: Pseudonymizer | None) -> None:
    """Replace every PII column's values by keyed tokens (distinct values hashed once)."""
    for col in stage.table.columns:
        if not col.pii or col.name not in stage.present:
            continue
        tokenizer = tokenizer or Pseudonymizer()
        values = db.execute(f"SELECT DISTINCT {qi(col.name)} FROM {TYPED} WHERE {qi(col.name)} IS NOT NULL"
                            ).arrow().read_all().column(0).to_pylist()
        kind = PII_KINDS.get(col.name, "name")
        mapping = pa.table({"raw": pa.array(values, pa.string()),
                            "tok": pa.array(tokenizer.tokens(values, kind), pa.string())})
        db.register("_leadlab_tokens", mapping)
        try:
            db.execute(f"UPDATE {TYPED} SET {qi(col.name)} = m.tok FROM _leadlab_tokens m "
                       f"WHERE {TYPED}.{qi(col.name)} = m.raw")
        finally:
            db.unregister("_leadlab_tokens")
        stage.pseudonymized[col.name] = len(values)


def build_stage(link: StoreLink, stage: Stage) -> str:
    """``_leadlab_stage``: canonical columns only; for keys already in the store, columns the
    file lacks keep their stored values. Returns the alias of the store's target relation."""
    db, spec = link.db, stage.table
    key_sql = f"SELECT DISTINCT {qi(spec.key[0])} FROM {TYPED}"
    target = link.expose(spec.name, spec.names, filter_col=spec.key[0], keys_sql=key_sql)
    keep = [c for c in spec.names if c not in stage.present and c not in stage.derived]
    if keep:
        on = " AND ".join(f"f.{qi(k)} = s.{qi(k)}" for k in spec.key)
        cols = ", ".join(
            (f"COALESCE(s.{qi(c)}, f.{qi(c)}) AS {qi(c)}" if c in keep else f"f.{qi(c)}") for c in spec.names)
        db.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT f._row, {cols} FROM {TYPED} f "
                   f"LEFT JOIN {qi(target)} s ON {on}")
    else:
        cols = ", ".join(qi(c) for c in spec.names)
        db.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT _row, {cols} FROM {TYPED}")
    return target


# ---------------------------------------------------------------------------------------------
# the rules


def _collect(db: duckdb.DuckDBPyConnection, rule: str, column: str, sql: str, hint: str = "") -> Finding | None:
    """``sql`` selects ``_row, what`` for offending rows; keep the first 20 and the count."""
    rows = db.execute(
        f"SELECT count(*) OVER () AS n, _row, what FROM ({sql}) ORDER BY _row LIMIT {MAX_ROWS}").fetchall()
    if not rows:
        return None
    return Finding(rule, column, int(rows[0][0]), [(int(r), printable(str(w))) for _, r, w in rows], hint)


_CONTROL = re.compile(CONTROL_RE)


def printable(text: str) -> str:
    """``text`` with control characters shown as ``?`` (messages go to a terminal).

    >>> printable("12\x1b[31m")
    '12?[31m'
    """
    return _CONTROL.sub("?", text)


def _show(expr: str) -> str:
    return f"'''' || left({expr}, 60) || ''''"


def check_cells(db: duckdb.DuckDBPyConnection, stage: Stage) -> list[Finding]:
    """Per-cell rules: no control characters, finite numbers, parseable, not missing, minimum,
    allowed values, derived flags consistent. One scan counts every rule's offending rows; only
    the rules that are broken are queried for their rows."""
    spec = stage.table
    rules: list[tuple[str, str, str, str, str]] = []  # (rule, column, condition, what, hint)
    survey: dict[int, str] = {}  # a cheaper condition to count with, for rules whose own is costly
    for name in stage.present:
        rules.append(("control character", name, f"_ctl = {_lit(name)}",
                      "'holds the control character ' || format('U+{:04X}', _ctl_cp)",
                      "cells must not hold control characters (NUL, escape, line breaks outside free text, ...; "
                      "tab is allowed)"))
    for col in spec.columns:
        name = col.name
        if name not in stage.present:
            continue
        c, t = qi(name), _trimmed(qi("_t_" + name))
        finite = "true"
        if col.dtype in ("float64", "int64"):
            finite = f"coalesce(isfinite(TRY_CAST({t} AS DOUBLE)), true)"
            survey[len(rules)] = f"{c} IS NULL AND {qi('_t_' + name)} IS NOT NULL"
            rules.append(("non-finite number", name, f"{c} IS NULL AND NOT {finite}",
                          f"{_show(t)} || ' is not a finite number'",
                          "infinity and NaN are not values; leave the cell empty when the number is unknown"))
        if col.dtype != "string":
            expected = EXPECTED[col.dtype]
            if col.dtype == "timestamp":
                expected += f" (an offset like +08:00 or Z is converted to {business_timezone()})"
            survey[len(rules)] = f"{c} IS NULL AND {qi('_t_' + name)} IS NOT NULL"
            rules.append((f"unparseable {col.dtype}", name, f"{c} IS NULL AND {t} IS NOT NULL AND {finite}",
                          f"{_show(t)} || {_lit(' is not ' + expected)}", ""))
        if not col.nullable:
            rules.append(("missing value", name, f"{c} IS NULL" + (
                f" AND {t} IS NULL" if col.dtype != "string" or col.allowed else ""),
                _lit(f"empty, but {name} is required"), ""))
        if col.min_value is not None:
            rules.append((f"below minimum {col.min_value:g}", name, f"{c} < {col.min_value}",
                          f"{_show(t)} || {_lit(f' is below the minimum {col.min_value:g}')}", ""))
        if col.allowed:
            rules.append(("unknown value", name, f"{c} IS NOT NULL AND {c} NOT IN ({', '.join(map(_lit, col.allowed))})",
                          f"{_show(t)} || {_lit(f' is not a valid {name}')}",
                          f"valid {name} values: {', '.join(col.allowed)}"))
    if spec.name == "calls":
        for flag, name in ((0, "connected"), (1, "conversation")):
            if name in stage.present:
                g, derived = qi("_given_" + name), _derive_case(flag)
                rules.append(("inconsistent with disposition", name,
                              f"{g} IS NOT NULL AND {derived} IS NOT NULL AND {g} <> {derived}",
                              f"'{name}=' || CAST({g} AS VARCHAR) || ' but disposition ' || disposition || "
                              f"' means {name}=' || CAST({derived} AS VARCHAR)",
                              "fix the flag or drop the column (it is derived from disposition)"))
    if not rules:
        return []
    conds = [survey.get(i, cond) for i, (_, _, cond, _, _) in enumerate(rules)]
    counts = db.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE {cond})" for cond in conds)
                        + f" FROM {TYPED}").fetchone()
    out = []
    for (rule, column, cond, what, hint), n in zip(rules, counts):
        if n:
            f = _collect(db, rule, column, f"SELECT _row, {what} AS what FROM {TYPED} WHERE {cond}", hint)
            out += [f] if f else []
    return out


def check_keys(db: duckdb.DuckDBPyConnection, stage: Stage) -> list[Finding]:
    """No key twice in the file (for assignments: a unit in two arms is reported by its own rule)."""
    spec = stage.table
    keys = ", ".join(qi(k) for k in spec.key)
    label = " || '/' || ".join(f"CAST({qi(k)} AS VARCHAR)" for k in spec.key)
    not_null = " AND ".join(f"{qi(k)} IS NOT NULL" for k in spec.key)
    having = "count(*) > 1"
    if spec.name == "assignments":
        having += " AND count(DISTINCT arm) = 1"
    sql = (f"SELECT _row, 'key ' || ''''|| k || '''' || ' also in row ' || CAST(first_row AS VARCHAR) AS what FROM ("
           f"SELECT _row, {label} AS k, min(_row) OVER (PARTITION BY {keys}) AS first_row, "
           f"count(*) OVER (PARTITION BY {keys}) AS n "
           + (", count(DISTINCT arm) OVER (PARTITION BY experiment_id, unit_id) AS arms "
              if spec.name == "assignments" else "")
           + f"FROM {TYPED} WHERE {not_null}) WHERE n > 1 AND _row > first_row"
           + (" AND arms = 1" if spec.name == "assignments" else ""))
    f = _collect(db, "duplicate key in file", "/".join(spec.key), sql,
                 hint=f"each {'/'.join(spec.key)} may appear once per file")
    return [f] if f else []


def check_store(link: StoreLink, stage: Stage, target: str) -> list[Finding]:
    """Rules across rows and tables, against the store plus the file."""
    db, spec, out = link.db, stage.table, []

    for col, ref in spec.references.items():
        if col not in stage.present:
            continue
        rtable, rcol = ref.split(".")
        keys_sql = f"SELECT DISTINCT {qi(col)} FROM {STAGE} WHERE {qi(col)} IS NOT NULL"
        extra = ["created_at"] if (spec.name, rtable) == ("calls", "leads") else []
        alias = link.expose(rtable, [rcol, *extra], filter_col=rcol, keys_sql=keys_sql)
        f = _collect(db, f"unknown {rtable[:-1]}", col,
                     f"SELECT _row, {_show(qi(col))} || ' is not in the store''s {rtable}' AS what "
                     f"FROM {STAGE} f WHERE f.{qi(col)} IS NOT NULL AND NOT EXISTS "
                     f"(SELECT 1 FROM {qi(alias)} r WHERE r.{qi(rcol)} = f.{qi(col)})",
                     hint=f"load {rtable} first (`leadlab ingest {rtable} FILE`) or fix the {col}")
        if f:
            n, first = db.execute(
                f"SELECT count(DISTINCT v), list(DISTINCT v ORDER BY v)[1:10] FROM (SELECT f.{qi(col)} AS v "
                f"FROM {STAGE} f WHERE f.{qi(col)} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {qi(alias)} r WHERE r.{qi(rcol)} = f.{qi(col)}))").fetchone()
            f.hint = (f"{n} distinct unknown {col} value(s): {printable(', '.join(map(str, first)))}"
                      + (", ..." if n > len(first) else "") + "; " + f.hint)
            out.append(f)

    if spec.name == "calls":
        leads = link.alias("leads")
        f = _collect(db, "call before lead creation", "started_at",
                     f"SELECT f._row, 'call at ' || CAST(f.started_at AS VARCHAR) || ' is before lead ' || "
                     f"f.lead_id || ' was created (' || CAST(l.created_at AS VARCHAR) || ')' AS what "
                     f"FROM {STAGE} f JOIN {qi(leads)} l ON l.lead_id = f.lead_id "
                     f"WHERE f.started_at < l.created_at",
                     hint="a lead can only be called after its created_at")
        out += [f] if f else []

    if spec.name == "leads":
        first = link.expose_first_calls(f"SELECT DISTINCT lead_id FROM {STAGE}")
        f = _collect(db, "call before lead creation", "created_at",
                     f"SELECT f._row, 'created_at ' || CAST(f.created_at AS VARCHAR) || ' is after the lead''s "
                     f"first call in the store (' || CAST(c.first_call_at AS VARCHAR) || ')' AS what "
                     f"FROM {STAGE} f JOIN {qi(first)} c ON c.lead_id = f.lead_id "
                     f"WHERE c.first_call_at < f.created_at",
                     hint="a lead can only be called after its created_at")
        out += [f] if f else []
        for i, stage_col in enumerate(LIFECYCLE[1:], start=1):
            earlier = LIFECYCLE[:i]
            prev = f"greatest({', '.join(qi(c) for c in earlier)})"
            f = _collect(db, "lifecycle out of order", stage_col,
                         f"SELECT _row, '{stage_col} ' || CAST({qi(stage_col)} AS VARCHAR) || ' is before ' || "
                         f"CASE " + " ".join(
                             f"WHEN {qi(c)} = {prev} THEN '{c} '" for c in reversed(earlier)) +
                         f" END || CAST({prev} AS VARCHAR) AS what FROM {STAGE} "
                         f"WHERE {qi(stage_col)} < {prev}",
                         hint="lifecycle order: " + " ≤ ".join(LIFECYCLE))
            out += [f] if f else []
        f = _collect(db, "lifecycle out of order", "lost_at",
                     f"SELECT _row, 'lost_at ' || CAST(lost_at AS VARCHAR) || ' is before created_at ' || "
                     f"CAST(created_at AS VARCHAR) AS what FROM {STAGE} WHERE lost_at < created_at",
                     hint="lost_at must not be before created_at")
        out += [f] if f else []

    if spec.name == "assignments":
        f = _collect(db, "unit in two arms", "arm",
                     f"SELECT _row, unit_type || ' ' || unit_id || ' is in arms ' || arms || "
                     f"' of experiment ' || experiment_id AS what FROM ("
                     f"SELECT _row, unit_type, unit_id, experiment_id, "
                     f"string_agg(DISTINCT arm, ' and ' ORDER BY arm) OVER (PARTITION BY experiment_id, unit_id) AS arms, "
                     f"count(DISTINCT arm) OVER (PARTITION BY experiment_id, unit_id) AS n FROM {STAGE}) WHERE n > 1",
                     hint="a unit belongs to exactly one arm of an experiment")
        out += [f] if f else []
        f = _collect(db, "unit in two arms", "arm",
                     f"SELECT f._row, f.unit_type || ' ' || f.unit_id || ' is in arm ' || f.arm || "
                     f"' here but in arm ' || s.arm || ' of experiment ' || f.experiment_id || ' in the store' "
                     f"AS what FROM {STAGE} f JOIN {qi(target)} s ON s.experiment_id = f.experiment_id "
                     f"AND s.unit_id = f.unit_id WHERE s.arm <> f.arm",
                     hint="a unit belongs to exactly one arm of an experiment; re-assigning is not allowed")
        out += [f] if f else []
        exps = link.expose("experiments", ["experiment_id", "unit_type"], filter_col="experiment_id",
                           keys_sql=f"SELECT DISTINCT experiment_id FROM {STAGE}")
        f = _collect(db, "unit type differs from experiment", "unit_type",
                     f"SELECT f._row, 'unit_type ' || f.unit_type || ' but experiment ' || f.experiment_id || "
                     f"' randomizes by ' || e.unit_type AS what FROM {STAGE} f JOIN {qi(exps)} e "
                     f"ON e.experiment_id = f.experiment_id WHERE e.unit_type <> f.unit_type")
        out += [f] if f else []
        for unit_type, utable in (("lead", "leads"), ("rep", "reps")):
            alias = link.expose(utable, [f"{unit_type}_id"], filter_col=f"{unit_type}_id",
                                keys_sql=f"SELECT DISTINCT unit_id FROM {STAGE} WHERE unit_type = {_lit(unit_type)}")
            f = _collect(db, f"unknown {unit_type}", "unit_id",
                         f"SELECT _row, {_lit(unit_type + ' ')} || unit_id || {_lit(' is not in the store' + chr(39) + 's ' + utable)} "
                         f"AS what FROM {STAGE} f WHERE unit_type = {_lit(unit_type)} AND NOT EXISTS "
                         f"(SELECT 1 FROM {qi(alias)} r WHERE r.{unit_type}_id = f.unit_id)",
                         hint=f"load {utable} first (`leadlab ingest {utable} FILE`)")
            out += [f] if f else []
    return out


def check_columns(raw: RawFile, spec: Table, columns: dict[str, str], mapping_used: bool) -> None:
    """DataError when required columns are missing, saying which table the file looks like."""
    present = set(columns.values())
    missing = [c for c in spec.required if c not in present]
    if not missing:
        return
    from leadlab.ingest.mapping import ColumnMapping  # canonical-name matching for other tables

    other = None
    for name in TABLES:
        if name == spec.name:
            continue
        cols, _ = ColumnMapping(name).resolve(raw.columns)
        if all(c in cols.values() for c in TABLES[name].required):
            if other is None or len(cols) > len(ColumnMapping(other).resolve(raw.columns)[0]):
                other = name
    shown = ", ".join(raw.columns[:8]) + (", ..." if len(raw.columns) > 8 else "")
    details = [f"file columns: {', '.join(raw.columns)}", f"required {spec.name} columns: {', '.join(spec.required)}"]
    if other and not mapping_used:
        raise DataError(
            f"{raw.path.name} looks like {'an' if other[0] in 'aeiou' else 'a'} {other} file (columns {shown}), not {spec.name}: it lacks "
            f"{', '.join(missing)}; run `leadlab ingest {other} {raw.path.name}`", details=details)
    hint = "" if mapping_used else "; rename the headers or give a mapping file with --mapping"
    raise DataError(
        f"{raw.path.name}: missing required column(s) {', '.join(missing)} for table {spec.name}{hint}",
        details=details)


def raise_findings(raw: RawFile, findings: list[Finding]) -> None:
    """One DataError for all findings (nothing is written)."""
    if not findings:
        return
    first = findings[0]
    others = len(findings) - 1
    msg = first.headline(raw)
    if others:
        msg += f" [and {others} more rule(s) broken, listed below]"
    details = [
        "rows are data rows counted from 1 after the header"
        + ("; line = the line in the file" if raw.format == "csv" and raw.line_offset is not None else "")
        + ("; sheet row = the row in Excel" if raw.format == "excel" else "")
        + "; nothing was written",
    ]
    for f in findings:
        details += f.lines(raw)
    raise DataError(msg, details=details)
