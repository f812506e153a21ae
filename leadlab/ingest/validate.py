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

from leadlab.errors import DataError, location
from leadlab.i18n import N_, _, fmt, pgettext, translate
from leadlab.ingest.context import StoreLink, duck_type, qi
from leadlab.ingest.pseudonymize import PII_KINDS, Pseudonymizer
from leadlab.ingest.readers import RawFile
from leadlab.schema import DISPOSITIONS, LIFECYCLE, TABLES, Table, business_timezone
from leadlab.tabular import FORMULA_TRIGGERS

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
#: Per type: (rule name, what a bad cell is told) — message ids; ``{value}`` is the cell, ``{tz}`` the zone.
UNPARSEABLE = {
    "timestamp": (N_("unparseable timestamp"),
                  N_("{value} is not a date-time like 2026-01-31 14:05:00 (an offset like +08:00 or Z is converted "
                     "to {tz})")),
    "date": (N_("unparseable date"), N_("{value} is not a date like 2026-01-31")),
    "int64": (N_("unparseable int64"), N_("{value} is not a whole number")),
    "float64": (N_("unparseable float64"), N_("{value} is not a number")),
    "boolean": (N_("unparseable boolean"), N_("{value} is not true/false (also yes/no, 1/0)")),
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
    """One broken rule: which rule, column, how many rows, and the first rows (≤ 20).

    Facts only: ``rule``, ``what`` and ``hint`` are message ids (English sentences marked with
    ``N_``); ``rows`` hold each offending row's fields of ``what``; the sentences are written
    in the current language when the error is raised.
    """

    rule: str
    column: str
    count: int
    rows: list[tuple[int, dict[str, str]]]  # (data row, fields of `what` for that row)
    what: str = "{value}"
    hint: str = ""
    rule_fields: dict[str, str] = field(default_factory=dict)
    hint_fields: dict[str, str] = field(default_factory=dict)

    def rule_name(self) -> str:
        return translate(self.rule, **self.rule_fields)

    def row_text(self, fields: dict[str, str]) -> str:
        return translate(self.what, **fields)

    def hint_text(self) -> str:
        return translate(self.hint, **self.hint_fields) if self.hint else ""

    def headline(self, raw: RawFile) -> str:
        row, fields = self.rows[0]
        text = _("{where}: {what}", where=location(raw.path.name, raw.where(row), self.column),
                 what=self.row_text(fields))
        if self.count > 1:
            text = _("{message} ({n} rows break this rule)", message=text, n=fmt.number(self.count))
        hint = self.hint_text()
        return _("{message}; {hint}", message=text, hint=hint) if hint else text

    def lines(self, raw: RawFile) -> list[str]:
        shown = len(self.rows)
        fields = {"rule": self.rule_name(), "column": self.column, "n": fmt.number(self.count),
                  "shown": fmt.number(shown)}
        if self.count > shown:
            head = _("[{rule}] column {column}: {n} row(s), first {shown} shown", **fields)
        else:
            head = _("[{rule}] column {column}: {n} row(s)", **fields)
        hint = self.hint_text()
        if hint:
            head = _("{message} — {hint}", message=head, hint=hint)
        return [head] + ["  " + _("{where}: {what}", where=raw.where(r), what=self.row_text(f))
                         for r, f in self.rows]


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
    parsers: dict = field(default_factory=dict)  # column -> mapping.Parser


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


def _unquoted(t: str) -> str:
    """Text ``t`` with the quote :func:`leadlab.tabular.neutralise` adds taken off again: a leading
    ``'`` followed by one of :data:`~leadlab.tabular.FORMULA_TRIGGERS` (``'-12`` → ``-12``,
    ``'=A1`` → ``=A1``); any other text, ``'abc`` included, is kept as it is.

    >>> duckdb.sql("SELECT " + _unquoted("x") + " FROM (VALUES ('''-12'), ('''abc'), ('-3'), ('''＝1')) v(x)").fetchall()
    [('-12',), ("'abc",), ('-3',), ('＝1',)]
    """
    triggers = ", ".join(f"chr({ord(c)})" for c in FORMULA_TRIGGERS)
    return f"CASE WHEN starts_with({t}, chr(39)) AND {t}[2] IN ({triggers}) THEN {t}[2:] ELSE {t} END"


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
        return _unquoted(t)  # an id or text leadlab wrote (ab assign, call list) loads back as it was
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
                ignored: list[str], parsers: dict | None = None, carry: list[str] = ()) -> Stage:
    """Create the temp table ``_leadlab_typed``: ``_row``, each canonical column typed (by its
    parser of the mapping file when it has one, :mod:`leadlab.ingest.parsers`), and
    ``_t_<col>`` (the raw text) for present non-text columns, for the parse checks; ``carry``
    names columns of the relation kept as they are (the mapping's rule flags)."""
    from leadlab.ingest import parsers as P

    by_canon = {v: raw.ident(k) for k, v in columns.items()}
    stage = Stage(spec, raw, columns, [c for c in spec.names if c in by_canon], ignored)
    stage.parsers = {c: p for c, p in (parsers or {}).items() if c in by_canon}
    selects = ["_row", *(qi(c) for c in carry)]
    inner = ["_row", *(qi(c) for c in carry)]
    control = []  # which loaded column holds a control character first, and its code point
    for col in spec.columns:
        if col.name in by_canon:
            ident = by_canon[col.name]
            inner += _cells(ident, col.dtype)
            if col.name in stage.parsers:
                default = (f"(CASE WHEN {qi('_off' + ident)} IS NULL THEN "
                           f"{_naive_ts(qi('_raw' + ident), qi('_trim' + ident))} END)")
                expr = P.sql(stage.parsers[col.name], qi("_trim" + ident), col.dtype, default_ts=default,
                             business_tz=business_timezone())
            else:
                expr = _typed_expr(ident, col.dtype, col.allowed)
            selects.append(f"{expr} AS {qi(col.name)}")
            if col.dtype != "string" or col.allowed:  # raw text, for the parse checks and messages
                selects.append(f"{qi('_raw' + ident)} AS {qi('_t_' + col.name)}")
            control.append((col.name, qi("_raw" + ident),
                            _lit(CONTROL_FREE_TEXT_RE if (spec.name, col.name) in FREE_TEXT else CONTROL_RE)))
        elif col.derived and spec.name == "calls":
            continue  # filled below from the disposition
        elif (spec.name, col.name) == ("lead_stages", "inferred"):
            selects.append("false AS inferred")  # a stage-history file gives exact times
            stage.derived.append("inferred")
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


def _collect(db: duckdb.DuckDBPyConnection, rule: str, column: str, sql: str, what: str, hint: str = "", *,
             rule_fields: dict[str, str] | None = None, hint_fields: dict[str, str] | None = None) -> Finding | None:
    """``sql`` selects ``_row, what`` for offending rows, ``what`` a struct of the fields of the
    message id ``what``; keep the first 20 rows and the count."""
    rows = db.execute(
        f"SELECT count(*) OVER () AS n, _row, what FROM ({sql}) ORDER BY _row LIMIT {MAX_ROWS}").fetchall()
    if not rows:
        return None
    return Finding(rule, column, int(rows[0][0]),
                   [(int(r), {k: printable("" if v is None else str(v)) for k, v in w.items()}) for _, r, w in rows],
                   what, hint, dict(rule_fields or {}), dict(hint_fields or {}))


def _fields(**exprs: str) -> str:
    """A DuckDB struct of SQL expressions: the fields of a row's message."""
    return "{" + ", ".join(f"{_lit(k)}: CAST({v} AS VARCHAR)" for k, v in exprs.items()) + "}"


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
    rules: list[dict] = []  # rule, column, cond, what (message id), fields (SQL struct), hint, ...
    survey: dict[int, str] = {}  # a cheaper condition to count with, for rules whose own is costly
    for name in stage.present:
        rules.append(dict(rule=N_("control character"), column=name, cond=f"_ctl = {_lit(name)}",
                          what=N_("holds the control character {char}"),
                          fields=_fields(char="format('U+{:04X}', _ctl_cp)"),
                          hint=N_("cells must not hold control characters (NUL, escape, line breaks outside free "
                                  "text, ...; tab is allowed)")))
    for col in spec.columns:
        name = col.name
        if name not in stage.present:
            continue
        c, t = qi(name), _trimmed(qi("_t_" + name))
        finite = "true"
        if col.dtype in ("float64", "int64"):
            finite = f"coalesce(isfinite(TRY_CAST({t} AS DOUBLE)), true)"
            survey[len(rules)] = f"{c} IS NULL AND {qi('_t_' + name)} IS NOT NULL"
            rules.append(dict(rule=N_("non-finite number"), column=name, cond=f"{c} IS NULL AND NOT {finite}",
                              what=N_("{value} is not a finite number"), fields=_fields(value=_show(t)),
                              hint=N_("infinity and NaN are not values; leave the cell empty when the number is "
                                      "unknown")))
        if col.dtype != "string":
            rule, what = UNPARSEABLE[col.dtype]
            extra = {}
            if name in stage.parsers:
                from leadlab.ingest.parsers import messages

                rule, what, extra = messages(stage.parsers[name])
                finite = "true"  # the parser decides (e.g. 'inf' is not an amount)
            survey[len(rules)] = f"{c} IS NULL AND {qi('_t_' + name)} IS NOT NULL"
            rules.append(dict(rule=rule, column=name, cond=f"{c} IS NULL AND {t} IS NOT NULL AND {finite}",
                              what=what, fields=_fields(value=_show(t), tz=_lit(business_timezone()), **extra)))
        if not col.nullable:
            rules.append(dict(rule=N_("missing value"), column=name, cond=f"{c} IS NULL" + (
                f" AND {t} IS NULL" if col.dtype != "string" or col.allowed else ""),
                what=N_("empty, but {column} is required"), fields=_fields(column=_lit(name))))
        if col.min_value is not None:
            minimum = f"{col.min_value:g}"
            rules.append(dict(rule=N_("below minimum {minimum}"), rule_fields={"minimum": minimum}, column=name,
                              cond=f"{c} < {col.min_value}", what=N_("{value} is below the minimum {minimum}"),
                              fields=_fields(value=_show(t), minimum=_lit(minimum))))
        if col.max_value is not None:
            maximum = f"{col.max_value:g}"
            rules.append(dict(rule=N_("above maximum {maximum}"), rule_fields={"maximum": maximum}, column=name,
                              cond=f"{c} > {col.max_value}", what=N_("{value} is above the maximum {maximum}"),
                              fields=_fields(value=_show(t), maximum=_lit(maximum))))
        if col.allowed:
            rules.append(dict(rule=N_("unknown value"), column=name,
                              cond=f"{c} IS NOT NULL AND {c} NOT IN ({', '.join(map(_lit, col.allowed))})",
                              what=N_("{value} is not a valid {column}"),
                              fields=_fields(value=_show(t), column=_lit(name)),
                              hint=N_("valid {column} values: {values}"),
                              hint_fields={"column": name, "values": ", ".join(col.allowed)}))
    if spec.name == "calls":
        for flag, name in ((0, "connected"), (1, "conversation")):
            if name in stage.present:
                g, derived = qi("_given_" + name), _derive_case(flag)
                rules.append(dict(rule=N_("inconsistent with disposition"), column=name,
                                  cond=f"{g} IS NOT NULL AND {derived} IS NOT NULL AND {g} <> {derived}",
                                  what=N_("{column}={given} but disposition {disposition} means {column}={derived}"),
                                  fields=_fields(column=_lit(name), given=g, disposition="disposition",
                                                 derived=derived),
                                  hint=N_("fix the flag or drop the column (it is derived from disposition)")))
    if spec.name == "surveys":
        given = [c for c in ("csat", "nps") if c in stage.present]
        rules.append(dict(rule=N_("no score"), column="csat" if given else "csat, nps",
                          cond=" AND ".join(f"{qi(c)} IS NULL" for c in given) or "true",
                          what=N_("survey {survey} has neither a CSAT nor an NPS score"),
                          fields=_fields(survey="survey_id"),
                          hint=N_("each survey row needs a CSAT score (1-5), an NPS score (0-10) or both")))
    if spec.name == "payments" and "amount_paid" in stage.present:
        paid_date = "paid_date" if "paid_date" in stage.present else "NULL"
        rules.append(dict(rule=N_("paid without a paid date"), column="amount_paid",
                          cond=f"coalesce(amount_paid, 0) > 0 AND {paid_date} IS NULL",
                          what=N_("{value} paid but paid_date is empty"),
                          fields=_fields(value=_show(_trimmed(qi("_t_amount_paid")))),
                          hint=N_("give the date the amount was paid, or leave amount_paid empty")))
    if not rules:
        return []
    conds = [survey.get(i, r["cond"]) for i, r in enumerate(rules)]
    counts = db.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE {cond})" for cond in conds)
                        + f" FROM {TYPED}").fetchone()
    out = []
    for r, n in zip(rules, counts):
        if n:
            f = _collect(db, r["rule"], r["column"], f"SELECT _row, {r['fields']} AS what FROM {TYPED} "
                         f"WHERE {r['cond']}", r["what"], r.get("hint", ""), rule_fields=r.get("rule_fields"),
                         hint_fields=r.get("hint_fields"))
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
    sql = (f"SELECT _row, {_fields(key=_show('k'), first_row='first_row')} AS what FROM ("
           f"SELECT _row, {label} AS k, min(_row) OVER (PARTITION BY {keys}) AS first_row, "
           f"count(*) OVER (PARTITION BY {keys}) AS n "
           + (", count(DISTINCT arm) OVER (PARTITION BY experiment_id, unit_id) AS arms "
              if spec.name == "assignments" else "")
           + f"FROM {TYPED} WHERE {not_null}) WHERE n > 1 AND _row > first_row"
           + (" AND arms = 1" if spec.name == "assignments" else ""))
    key = "/".join(spec.key)
    f = _collect(db, N_("duplicate key in file"), key, sql, N_("key {key} also in row {first_row}"),
                 N_("each {key} may appear once per file"), hint_fields={"key": key})
    return [f] if f else []


#: The rule name of an unknown reference, by the table referred to.
UNKNOWN_REFERENCE = {"leads": N_("unknown lead"), "reps": N_("unknown rep")}


def check_store(link: StoreLink, stage: Stage, target: str) -> list[Finding]:
    """Rules across rows and tables, against the store plus the file."""
    db, spec, out = link.db, stage.table, []

    for col, ref in spec.references.items():
        if col not in stage.present:
            continue
        rtable, rcol = ref.split(".")
        keys_sql = f"SELECT DISTINCT {qi(col)} FROM {STAGE} WHERE {qi(col)} IS NOT NULL"
        extra = {("calls", "leads"): ["created_at"], ("surveys", "leads"): ["created_at"],
                 ("payments", "leads"): ["won_at"]}.get((spec.name, rtable), [])
        alias = link.expose(rtable, [rcol, *extra], filter_col=rcol, keys_sql=keys_sql)
        f = _collect(db, UNKNOWN_REFERENCE.get(rtable, N_("unknown reference")), col,
                     f"SELECT _row, {_fields(value=_show(qi(col)), table=_lit(rtable))} AS what "
                     f"FROM {STAGE} f WHERE f.{qi(col)} IS NOT NULL AND NOT EXISTS "
                     f"(SELECT 1 FROM {qi(alias)} r WHERE r.{qi(rcol)} = f.{qi(col)})",
                     N_("{value} is not in the store's {table}"))
        if f:
            n, first = db.execute(
                f"SELECT count(DISTINCT v), list(DISTINCT v ORDER BY v)[1:10] FROM (SELECT f.{qi(col)} AS v "
                f"FROM {STAGE} f WHERE f.{qi(col)} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {qi(alias)} r WHERE r.{qi(rcol)} = f.{qi(col)}))").fetchone()
            f.hint = N_("{n} distinct unknown {column} value(s): {values}; load {table} first "
                        "(`leadlab ingest {table} FILE`) or fix the {column}")
            f.hint_fields = {"n": str(n), "column": col, "table": rtable,
                             "values": printable(", ".join(map(str, first))) + (", ..." if n > len(first) else "")}
            out.append(f)

    if spec.name == "calls":
        leads = link.alias("leads")
        f = _collect(db, N_("call before lead creation"), "started_at",
                     f"SELECT f._row, {_fields(started_at='f.started_at', lead='f.lead_id', created_at='l.created_at')}"
                     f" AS what FROM {STAGE} f JOIN {qi(leads)} l ON l.lead_id = f.lead_id "
                     f"WHERE f.started_at < l.created_at",
                     N_("call at {started_at} is before lead {lead} was created ({created_at})"),
                     N_("a lead can only be called after its created_at"))
        out += [f] if f else []

    if spec.name == "leads":
        first = link.expose_first_calls(f"SELECT DISTINCT lead_id FROM {STAGE}")
        f = _collect(db, N_("call before lead creation"), "created_at",
                     f"SELECT f._row, {_fields(created_at='f.created_at', first_call='c.first_call_at')} AS what "
                     f"FROM {STAGE} f JOIN {qi(first)} c ON c.lead_id = f.lead_id "
                     f"WHERE c.first_call_at < f.created_at",
                     N_("created_at {created_at} is after the lead's first call in the store ({first_call})"),
                     N_("a lead can only be called after its created_at"))
        out += [f] if f else []
        for i, stage_col in enumerate(LIFECYCLE[1:], start=1):
            earlier = LIFECYCLE[:i]
            prev = f"greatest({', '.join(qi(c) for c in earlier)})"
            which = "CASE " + " ".join(f"WHEN {qi(c)} = {prev} THEN {_lit(c)}" for c in reversed(earlier)) + " END"
            f = _collect(db, N_("lifecycle out of order"), stage_col,
                         f"SELECT _row, {_fields(column=_lit(stage_col), value=qi(stage_col), earlier=which, earlier_value=prev)}"
                         f" AS what FROM {STAGE} WHERE {qi(stage_col)} < {prev}",
                         N_("{column} {value} is before {earlier} {earlier_value}"),
                         N_("lifecycle order: {order}"), hint_fields={"order": " ≤ ".join(LIFECYCLE)})
            out += [f] if f else []
        f = _collect(db, N_("lifecycle out of order"), "lost_at",
                     f"SELECT _row, {_fields(column=_lit('lost_at'), value='lost_at', earlier=_lit('created_at'), earlier_value='created_at')}"
                     f" AS what FROM {STAGE} WHERE lost_at < created_at",
                     N_("{column} {value} is before {earlier} {earlier_value}"),
                     N_("lost_at must not be before created_at"))
        out += [f] if f else []

    if spec.name == "surveys":
        leads = link.alias("leads")
        f = _collect(db, N_("survey before lead creation"), "surveyed_at",
                     f"SELECT f._row, {_fields(surveyed_at='f.surveyed_at', lead='f.lead_id', created_at='l.created_at')}"
                     f" AS what FROM {STAGE} f JOIN {qi(leads)} l ON l.lead_id = f.lead_id "
                     f"WHERE f.surveyed_at < l.created_at",
                     N_("survey at {surveyed_at} is before lead {lead} was created ({created_at})"),
                     N_("a lead can only be surveyed after its created_at"))
        out += [f] if f else []

    if spec.name == "payments":
        leads = link.alias("leads")
        f = _collect(db, N_("payment for a deal not won"), "lead_id",
                     f"SELECT f._row, {_fields(lead='f.lead_id')} AS what FROM {STAGE} f "
                     f"JOIN {qi(leads)} l ON l.lead_id = f.lead_id WHERE l.won_at IS NULL",
                     N_("lead {lead} has no won_at: it is not a won deal"),
                     N_("invoices and payments belong to won deals; load the leads with their won_at first"))
        out += [f] if f else []
        for col in ("issued_at", "due_date", "paid_date"):
            if col not in stage.present:
                continue
            f = _collect(db, N_("payment before its deal was won"), col,
                         f"SELECT f._row, {_fields(column=_lit(col), value=f'f.{qi(col)}', lead='f.lead_id', won_at='l.won_at')}"
                         f" AS what FROM {STAGE} f JOIN {qi(leads)} l ON l.lead_id = f.lead_id "
                         f"WHERE f.{qi(col)} < CAST(l.won_at AS DATE)",
                         N_("{column} {value} is before deal {lead} was won ({won_at})"),
                         N_("a deal is invoiced and paid on or after the day it was won"))
            out += [f] if f else []
        for col in ("due_date", "paid_date"):
            if col not in stage.present:
                continue
            f = _collect(db, N_("date before invoice date"), col,
                         f"SELECT _row, {_fields(column=_lit(col), value=qi(col), issued_at='issued_at')} AS what "
                         f"FROM {STAGE} WHERE {qi(col)} < issued_at",
                         N_("{column} {value} is before the invoice date issued_at {issued_at}"),
                         N_("due_date and paid_date must not be before issued_at"))
            out += [f] if f else []

    if spec.name == "qa_reviews":  # item on the QA form, score on its scale (leadlab.qa.checks)
        from leadlab.qa.checks import form_findings

        out += form_findings(db, STAGE, _collect, _fields, _show)

    if spec.name == "lead_stages":
        out += check_history(link, stage)

    if spec.name == "assignments":
        f = _collect(db, N_("unit in two arms"), "arm",
                     f"SELECT _row, {_fields(unit_type='unit_type', unit_id='unit_id', arms='arms', experiment='experiment_id')}"
                     f" AS what FROM ("
                     f"SELECT _row, unit_type, unit_id, experiment_id, "
                     f"list_sort(list(DISTINCT arm) OVER (PARTITION BY experiment_id, unit_id)) AS arms, "
                     f"count(DISTINCT arm) OVER (PARTITION BY experiment_id, unit_id) AS n FROM {STAGE}) WHERE n > 1",
                     N_("{unit_type} {unit_id} is in arms {arms} of experiment {experiment}"),
                     N_("a unit belongs to exactly one arm of an experiment"))
        if f:
            for _row, fields in f.rows:
                fields["arms"] = _and_list(_arm_names(fields["arms"]))
        out += [f] if f else []
        f = _collect(db, N_("unit in two arms"), "arm",
                     f"SELECT f._row, {_fields(unit_type='f.unit_type', unit_id='f.unit_id', arm='f.arm', stored_arm='s.arm', experiment='f.experiment_id')}"
                     f" AS what FROM {STAGE} f JOIN {qi(target)} s ON s.experiment_id = f.experiment_id "
                     f"AND s.unit_id = f.unit_id WHERE s.arm <> f.arm",
                     N_("{unit_type} {unit_id} is in arm {arm} here but in arm {stored_arm} of experiment "
                        "{experiment} in the store"),
                     N_("a unit belongs to exactly one arm of an experiment; re-assigning is not allowed"))
        out += [f] if f else []
        exps = link.expose("experiments", ["experiment_id", "unit_type"], filter_col="experiment_id",
                           keys_sql=f"SELECT DISTINCT experiment_id FROM {STAGE}")
        f = _collect(db, N_("unit type differs from experiment"), "unit_type",
                     f"SELECT f._row, {_fields(unit_type='f.unit_type', experiment='f.experiment_id', experiment_unit_type='e.unit_type')}"
                     f" AS what FROM {STAGE} f JOIN {qi(exps)} e "
                     f"ON e.experiment_id = f.experiment_id WHERE e.unit_type <> f.unit_type",
                     N_("unit_type {unit_type} but experiment {experiment} randomizes by {experiment_unit_type}"))
        out += [f] if f else []
        for unit_type, utable in (("lead", "leads"), ("rep", "reps")):
            alias = link.expose(utable, [f"{unit_type}_id"], filter_col=f"{unit_type}_id",
                                keys_sql=f"SELECT DISTINCT unit_id FROM {STAGE} WHERE unit_type = {_lit(unit_type)}")
            f = _collect(db, UNKNOWN_REFERENCE[utable], "unit_id",
                         f"SELECT _row, {_fields(unit_type=_lit(unit_type), unit_id='unit_id', table=_lit(utable))} "
                         f"AS what FROM {STAGE} f WHERE unit_type = {_lit(unit_type)} AND NOT EXISTS "
                         f"(SELECT 1 FROM {qi(alias)} r WHERE r.{unit_type}_id = f.unit_id)",
                         N_("{unit_type} {unit_id} is not in the store's {table}"),
                         N_("load {table} first (`leadlab ingest {table} FILE`)"), hint_fields={"table": utable})
            out += [f] if f else []
    return out


#: stages of a history in their order (lost may follow any of them)
_ORDER = "['mql', 'sql', 'opportunity', 'won']"


def check_history(link: StoreLink, stage: Stage) -> list[Finding]:
    """A stage history must not go backwards: a later stage entered before an earlier one of the
    same lead, a stage entered after the lead was lost, or a lead both won and lost (the file's rows
    together with the lead's exact rows already in the store)."""
    db = link.db
    alias = link.expose("lead_stages", ["lead_id", "stage", "entered_at", "inferred"], filter_col="lead_id",
                        keys_sql=f"SELECT DISTINCT lead_id FROM {STAGE}", alias="_leadlab_store_history")
    db.execute(
        f"CREATE OR REPLACE TEMP TABLE _leadlab_history_all AS "
        f"SELECT _row, lead_id, stage, entered_at FROM {STAGE} UNION ALL "
        f"SELECT NULL, s.lead_id, s.stage, s.entered_at FROM {qi(alias)} s WHERE NOT coalesce(s.inferred, false) "
        f"AND NOT EXISTS (SELECT 1 FROM {STAGE} f WHERE f.lead_id = s.lead_id AND f.stage = s.stage)")
    link.created.append("_leadlab_history_all")
    f = _collect(db, N_("stage history goes backwards"), "entered_at",
                 f"SELECT x._row, {_fields(lead='x.lead_id', stage='x.stage', at='x.entered_at', earlier_stage='y.stage', earlier_at='y.entered_at')}"
                 f" AS what FROM _leadlab_history_all x JOIN _leadlab_history_all y ON x.lead_id = y.lead_id "
                 f"WHERE x._row IS NOT NULL AND list_position({_ORDER}, x.stage) IS NOT NULL "
                 f"AND list_position({_ORDER}, y.stage) IS NOT NULL "
                 f"AND ((list_position({_ORDER}, x.stage) > list_position({_ORDER}, y.stage) AND x.entered_at < y.entered_at) "
                 f"OR (list_position({_ORDER}, x.stage) < list_position({_ORDER}, y.stage) AND x.entered_at > y.entered_at))"
                 f"QUALIFY row_number() OVER (PARTITION BY x._row ORDER BY y.entered_at) = 1",
                 N_("lead {lead} entered {stage} at {at}, but {earlier_stage} at {earlier_at}"),
                 N_("stage order: mql → sql → opportunity → won; a history cannot go backwards in time"))
    out = [f] if f else []
    # lost is final and excludes won: lost at or after every stage the lead reached, never with won
    # (lost before created_at is checked on the merged leads, :func:`leadlab.ingest.stages.merge_history`)
    f = _collect(db, N_("stage history goes backwards"), "stage",
                 f"SELECT x._row, {_fields(lead='x.lead_id', stage='x.stage', at='x.entered_at', other_stage='y.stage', other_at='y.entered_at')}"
                 f" AS what FROM _leadlab_history_all x JOIN _leadlab_history_all y ON x.lead_id = y.lead_id "
                 f"WHERE x._row IS NOT NULL AND (x.stage = 'lost') <> (y.stage = 'lost') AND ("
                 f"(x.stage = 'lost' AND y.stage = 'won') OR (x.stage = 'won' AND y.stage = 'lost') "
                 f"OR (x.stage = 'lost' AND y.entered_at > x.entered_at) "
                 f"OR (y.stage = 'lost' AND x.entered_at > y.entered_at)) "
                 f"QUALIFY row_number() OVER (PARTITION BY x._row ORDER BY y.entered_at) = 1",
                 N_("lead {lead} entered {stage} at {at} and {other_stage} at {other_at}"),
                 N_("a lost lead is lost last (at or after every stage it reached) and is never also won"))
    return out + ([f] if f else [])


def _arm_names(listed: str) -> list[str]:
    """The arms of a DuckDB list rendered as text (``[A, B]``)."""
    inner = listed[1:-1] if listed.startswith("[") and listed.endswith("]") else listed
    return [a.strip() for a in inner.split(",")]


def _and_list(items: list[str]) -> str:
    """``A and B`` / ``A, B and C`` — ``A和B`` in Chinese."""
    if len(items) < 2:
        return "".join(items)
    return _("{items} and {last}", items=pgettext("list separator", ", ").join(items[:-1]), last=items[-1])


#: "a"/"an" before a table id in English, chosen by the id (a code, not text); Chinese has no article.
_LOOKS_LIKE = {True: N_("{file} looks like an {other} file (columns {shown}), not {table}: it lacks {missing}; "
                        "run `leadlab ingest {other} {file}`"),
               False: N_("{file} looks like a {other} file (columns {shown}), not {table}: it lacks {missing}; "
                         "run `leadlab ingest {other} {file}`")}
_VOWEL_TABLES = {"assignments", "experiments"}


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
        cols, _unused = ColumnMapping(name).resolve(raw.columns)
        if all(c in cols.values() for c in TABLES[name].required):
            if other is None or len(cols) > len(ColumnMapping(other).resolve(raw.columns)[0]):
                other = name
    shown = ", ".join(raw.columns[:8]) + (", ..." if len(raw.columns) > 8 else "")
    details = [_("file columns: {columns}", columns=", ".join(raw.columns)),
               _("required {table} columns: {columns}", table=spec.name, columns=", ".join(spec.required))]
    if other and not mapping_used:
        raise DataError(translate(_LOOKS_LIKE[other in _VOWEL_TABLES], file=raw.path.name, other=other, shown=shown,
                                  table=spec.name, missing=", ".join(missing)), details=details)
    fields = {"file": raw.path.name, "missing": ", ".join(missing), "table": spec.name}
    if mapping_used:
        raise DataError(_("{file}: missing required column(s) {missing} for table {table}", **fields), details=details)
    raise DataError(_("{file}: missing required column(s) {missing} for table {table}; rename the headers or give "
                      "a mapping file with --mapping", **fields), details=details)


def raise_findings(raw: RawFile, findings: list[Finding]) -> None:
    """One DataError for all findings (nothing is written)."""
    if not findings:
        return
    first = findings[0]
    others = len(findings) - 1
    msg = first.headline(raw)
    if others:
        msg = _("{message} [and {n} more rule(s) broken, listed below]", message=msg, n=fmt.number(others))
    if raw.format == "csv" and raw.line_offset is not None:
        legend = _("rows are data rows counted from 1 after the header; line = the line in the file; nothing was "
                   "written")
    elif raw.format == "excel":
        legend = _("rows are data rows counted from 1 after the header; sheet row = the row in Excel; nothing was "
                   "written")
    else:
        legend = _("rows are data rows counted from 1 after the header; nothing was written")
    details = [legend]
    for f in findings:
        details += f.lines(raw)
    raise DataError(msg, details=details)
