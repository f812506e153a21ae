"""Value maps, lookups and a derived lifecycle: the mapping applied to the raw text, in DuckDB.

:func:`prepare` puts a temp view ``_leadlab_mapped`` over the raw file: the same
text columns (``_c1`` …) with value maps applied (``未接通`` → ``no_answer``; a hash join
on a small temp table holding the map, so no mapping text is ever part of the SQL),
lookup columns replaced by the key they resolve to (a rep's name → ``rep_id``,
through the store's ``reps``; PII columns are matched by their keyed tokens), and
for leads the lifecycle columns derived from a status column and its time. The
typing and every rule of :mod:`leadlab.ingest.validate` then run on that view.

Statuses of the stage order reach SQL only as sqlglot-quoted literals; header text never does.
Unmapped values, names matching no row or several, and statuses outside the
stage order become findings (listing the distinct values with their counts).

Derived lifecycle: a status at stage *S* with time *T* means the lead reached *S*
and every earlier stage **at or before** *T*; every such time is stored as *T*,
exact times of a stage history in
``lead_stages`` win over both.
"""

from __future__ import annotations

import dataclasses

import pyarrow as pa
import sqlglot.expressions as sge

from leadlab.i18n import N_
from leadlab.ingest.context import StoreLink, qi
from leadlab.ingest.mapping import STATUS_TARGETS, ColumnMapping, Lifecycle, Lookup, ValueMap
from leadlab.ingest.pseudonymize import PII_KINDS, Pseudonymizer
from leadlab.ingest.readers import RawFile
from leadlab.schema import TABLES

MAPPED = "_leadlab_mapped"
#: the lifecycle columns a status derives (created_at comes from the file)
DERIVED = STATUS_TARGETS[1:]
SHOW_VALUES = 12


def _lit(value: str) -> str:
    return sge.Literal.string(value).sql("duckdb")


def _text(ident: str) -> str:
    from leadlab.ingest.validate import _text as text, _cast

    return text(_cast(ident))


def _in_list(values) -> str:
    return "(" + ", ".join(_lit(v) for v in values) + ")"


@dataclasses.dataclass
class Check:
    """A rule of the mapping checked on the typed table: rows where ``flag`` (a carried column) is set."""

    rule: str
    column: str
    flag: str  # carried column: the offending text, NULL when the row is fine
    what: str
    fields: dict[str, str]  # message fields: SQL over the typed table
    hint: str
    hint_fields: dict[str, str]


@dataclasses.dataclass
class Prepared:
    raw: RawFile  # the mapped view, as a RawFile (same rows, maybe more columns)
    columns: dict[str, str]  # header (or derived label) -> canonical column
    carry: list[str] = dataclasses.field(default_factory=list)  # view columns kept in the typed table
    checks: list[Check] = dataclasses.field(default_factory=list)
    derived_lifecycle: list[str] = dataclasses.field(default_factory=list)

    def findings(self, db, typed: str) -> list:
        """The mapping's rules on the typed table (one scan per broken rule only)."""
        from leadlab.ingest.validate import _collect, _fields

        if not self.checks:
            return []
        counts = db.execute("SELECT " + ", ".join(f"count({qi(c.flag)})" for c in self.checks)
                            + f" FROM {qi(typed)}").fetchone()
        out = []
        for c, n in zip(self.checks, counts):
            if not n:
                continue
            f = _collect(db, c.rule, c.column, f"SELECT _row, {_fields(**c.fields)} AS what FROM {qi(typed)} "
                         f"WHERE {qi(c.flag)} IS NOT NULL", c.what)
            f.hint = c.hint
            f.hint_fields = {**_value_counts(db, typed, qi(c.flag), f"{qi(c.flag)} IS NOT NULL"), **c.hint_fields}
            out.append(f)
        return out


def prepare(link: StoreLink, raw: RawFile, cmap: ColumnMapping, columns: dict[str, str],
            tokenizer: Pseudonymizer | None) -> Prepared:
    """The mapped view over ``raw``; its rules (unmapped values, lookups matching no row or several,
    statuses outside the stage order) are checked later on the typed table (:meth:`Prepared.findings`),
    so the file is not scanned again for them."""
    from leadlab.ingest.validate import _show

    by_canon = {v: raw.ident(k) for k, v in columns.items()}
    replace: dict[str, str] = {}
    joins: list[str] = []
    flags: list[tuple[str, str]] = []  # (carried column, expression)
    checks: list[Check] = []
    for n, (col, vm) in enumerate(cmap.values.items()):
        ident = by_canon[col]
        t = _text(ident)
        # a hash join on a small table of the map (bound data: no mapping text in SQL); the trimmed
        # cell is computed once, as the join key
        table = _value_table(link, vm, f"_leadlab_values_{n}")
        joins.append(f"LEFT JOIN {table} AS v{n} ON v{n}.k = {t}")
        replace[ident] = {"keep": f"COALESCE(v{n}.v, {t})", "empty": f"v{n}.v", "error": f"v{n}.v"}[vm.unmapped]
        if vm.unmapped == "error":
            flag = f"_unmapped{n}"
            flags.append((flag, f"CASE WHEN v{n}.k IS NULL THEN {t} END"))
            checks.append(Check(N_("unmapped value"), col, flag, N_("{value} is not in the value map of {column}"),
                                {"value": _show(qi(flag)), "column": _lit(col)},
                                N_("{n} distinct unmapped value(s) (rows): {values}; add them to {key} in {source}, "
                                   "or set unmapped: keep or empty"),
                                {"key": f"values.{col}.map", "source": cmap.source}))
    for i, (col, lk) in enumerate(cmap.lookups.items()):
        ident = by_canon[col]
        t = _text(ident)
        table = _lookup_table(link, raw, t, lk, tokenizer, f"_leadlab_lookup_{i}")
        joins.append(f"LEFT JOIN {table} AS l{i} ON l{i}.v = {t}")
        replace[ident] = f"l{i}.id"
        flags += [(f"_nomatch{i}", f"CASE WHEN l{i}.n = 0 THEN {t} END"),
                  (f"_several{i}", f"CASE WHEN l{i}.n > 1 THEN {t} END"),
                  (f"_matches{i}", f"CASE WHEN l{i}.n > 1 THEN l{i}.n END"),
                  (f"_ids{i}", f"CASE WHEN l{i}.n > 1 THEN array_to_string(l{i}.ids, {_lit(', ')}) END")]
        hint = N_("{n} distinct value(s) (rows): {values}; lookups.{column} resolves {column} by {by} of {table} "
                  "(load {table} first, or fix the names)")
        hint_fields = {"column": col, "by": lk.by, "table": lk.table}
        base = {"by": _lit(lk.by), "table": _lit(lk.table)}
        checks += [
            Check(N_("no match in lookup"), col, f"_nomatch{i}", N_("{value} matches no {by} in the store's {table}"),
                  {"value": _show(qi(f"_nomatch{i}")), **base}, hint, hint_fields),
            Check(N_("several matches in lookup"), col, f"_several{i}",
                  N_("{value} matches {n} rows of the store's {table} by {by} ({ids})"),
                  {"value": _show(qi(f"_several{i}")), "n": qi(f"_matches{i}"), "ids": qi(f"_ids{i}"), **base},
                  hint, hint_fields),
        ]
    extra_cols: list[tuple[str, str, str]] = []  # (label, ident, expression)
    derived: list[str] = []
    if cmap.lifecycle is not None:
        lc = cmap.lifecycle
        s, a = _text(raw.ident(lc.status)), _text(raw.ident(lc.at))
        flags.append(("_status", f"CASE WHEN {s} IS NOT NULL AND {s} NOT IN {_in_list(lc.stages)} THEN {s} END"))
        checks.append(Check(N_("status not in the stage order"), lc.status, "_status",
                            N_("status {value} is not in lifecycle.stages"), {"value": _show(qi("_status"))},
                            N_("{n} distinct unknown status(es) (rows): {values}; list every status in "
                               "lifecycle.stages of {source} (in stage order)"), {"source": cmap.source}))
        lead_ident = by_canon.get("lead_id")
        hist = _history(link, raw, _text(lead_ident)) if lead_ident else None
        if hist:
            joins.append(f"LEFT JOIN {hist} AS h ON h.lead_id = {_text(lead_ident)}")
        for n, col in enumerate(DERIVED, start=1):
            reached = _reached(lc, col)
            if not reached:
                continue
            expr = f"CASE WHEN {s} IN {_in_list(reached)} THEN {a} END"
            if hist:
                expr = f"COALESCE(CAST(h.{qi(col)} AS VARCHAR), {expr})"
            label = f"{lc.status} → {col}"
            extra_cols.append((label, f"_l{n}", expr))
            columns = {**columns, label: col}
            derived.append(col)
    if not replace and not joins and not extra_cols:
        return Prepared(raw, columns)
    star = "r.*" + (f" REPLACE ({', '.join(f'{e} AS {qi(i)}' for i, e in replace.items())})" if replace else "")
    extras = "".join(f", {e} AS {qi(i)}" for _label, i, e in extra_cols)
    extras += "".join(f", {e} AS {qi(f)}" for f, e in flags)
    link.db.execute(f"CREATE OR REPLACE TEMP VIEW {MAPPED} AS SELECT {star}{extras} FROM {qi(raw.table)} r "
                    + " ".join(joins))
    link.created.append(MAPPED)
    view = dataclasses.replace(raw, table=MAPPED, columns=[*raw.columns, *(c[0] for c in extra_cols)],
                               idents=[*raw.idents, *(c[1] for c in extra_cols)], handle=None)
    return Prepared(view, columns, [f for f, _e in flags], checks, derived)


def _reached(lc: Lifecycle, col: str) -> list[str]:
    """The statuses meaning the lead reached lifecycle column ``col`` (at or before their time)."""
    if col == "lost_at":
        return [s for s, target in lc.stages.items() if target == "lost_at"]
    rank = STATUS_TARGETS.index(col)
    return [s for s, target in lc.stages.items() if target != "lost_at" and STATUS_TARGETS.index(target) >= rank]


def _value_counts(db, source: str, t: str, cond: str, *, from_sql: bool = False) -> dict[str, str]:
    """``n`` distinct values and ``values``: the commonest with their row counts (``拒接 (3)``)."""
    from leadlab.ingest.validate import printable

    frm = source if from_sql else qi(source)
    n, shown = db.execute(
        f"SELECT count(*), list(v || ' (' || CAST(k AS VARCHAR) || ')' ORDER BY k DESC, v)[1:{SHOW_VALUES}] FROM "
        f"(SELECT left({t}, 60) AS v, count(*) AS k FROM {frm} WHERE {cond} GROUP BY 1)").fetchone()
    text = ", ".join(shown or []) + (", ..." if n > SHOW_VALUES else "")
    return {"n": str(n), "values": printable(text)}


def _value_table(link: StoreLink, vm: ValueMap, name: str) -> str:
    """A temp table ``k, v`` holding the value map (loaded from Arrow, not written into SQL)."""
    db = link.db
    db.register("_leadlab_values_src", pa.table({"k": pa.array(list(vm.pairs), pa.string()),
                                                 "v": pa.array(list(vm.pairs.values()), pa.string())}))
    try:
        db.execute(f"CREATE OR REPLACE TEMP TABLE {qi(name)} AS SELECT * FROM _leadlab_values_src")
    finally:
        db.unregister("_leadlab_values_src")
    link.created.append(name)
    return qi(name)


def _lookup_table(link: StoreLink, raw: RawFile, t: str, lk: Lookup, tokenizer: Pseudonymizer | None,
                  name: str) -> str:
    """A temp table ``v, n, id, ids``: each distinct file value, how many store rows it matches and the key."""
    db = link.db
    values = db.execute(f"SELECT DISTINCT {t} FROM {qi(raw.table)} WHERE {t} IS NOT NULL").arrow().read_all()
    values = values.column(0).to_pylist()
    pii = TABLES[lk.table].column(lk.by).pii
    keys = (tokenizer or Pseudonymizer()).tokens(values, PII_KINDS.get(lk.by, "name")) if pii else values
    db.register("_leadlab_lookup_src", pa.table({"v": pa.array(values, pa.string()), "k": pa.array(keys, pa.string())}))
    try:
        db.execute("CREATE OR REPLACE TEMP TABLE _leadlab_lookup_keys AS SELECT * FROM _leadlab_lookup_src")
    finally:
        db.unregister("_leadlab_lookup_src")
    link.created.append("_leadlab_lookup_keys")
    alias = link.expose(lk.table, [lk.key, lk.by], filter_col=lk.by, keys_sql="SELECT k FROM _leadlab_lookup_keys",
                        alias=f"_leadlab_store_{lk.table}_by_{name}")
    db.execute(f"CREATE OR REPLACE TEMP TABLE {qi(name)} AS SELECT s.v, count(r.{qi(lk.key)}) AS n, "
               f"min(r.{qi(lk.key)}) AS id, list(r.{qi(lk.key)} ORDER BY r.{qi(lk.key)})[1:3] AS ids "
               f"FROM _leadlab_lookup_keys s LEFT JOIN {qi(alias)} r ON r.{qi(lk.by)} = s.k GROUP BY s.v")
    link.created.append(name)
    return qi(name)


def history_sql(relation: str) -> str:
    """Per lead, the lifecycle times an exact stage history gives (a later stage implies the
    earlier ones at or before its time): ``lead_id, mql_at, sql_at, opportunity_at, won_at, lost_at``."""
    order = ("mql", "sql", "opportunity", "won")
    cols = []
    for i, stage in enumerate(order):
        later = _in_list(order[i:])
        cols.append(f"min(entered_at) FILTER (WHERE stage IN {later}) AS {qi(stage + '_at')}")
    cols.append("min(entered_at) FILTER (WHERE stage = 'lost') AS lost_at")
    return (f"SELECT lead_id, {', '.join(cols)} FROM {relation} WHERE NOT coalesce(inferred, false) "
            "GROUP BY lead_id")


def _history(link: StoreLink, raw: RawFile, lead_t: str) -> str | None:
    """The store's exact stage history of the file's leads, as lifecycle times per lead."""
    if not link.has("lead_stages"):
        return None
    alias = link.expose("lead_stages", ["lead_id", "stage", "entered_at", "inferred"], filter_col="lead_id",
                        keys_sql=f"SELECT DISTINCT {lead_t} FROM {qi(raw.table)}")
    name = "_leadlab_history"
    link.db.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {history_sql(qi(alias))}")
    link.created.append(name)
    return name
