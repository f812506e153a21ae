"""Value maps, lookups and a derived lifecycle: the mapping applied to the raw text, in DuckDB.

:func:`prepare` puts a temp view ``_leadlab_mapped`` over the raw file: the same
text columns (``_c1`` …) with value maps applied (``未接通`` → ``no_answer``),
lookup columns replaced by the key they resolve to (a rep's name → ``rep_id``,
through the store's ``reps``; PII columns are matched by their keyed tokens), and
for leads the lifecycle columns derived from a status column and its time. The
typing and every rule of :mod:`leadlab.ingest.validate` then run on that view.

Mapping values reach SQL only as sqlglot-quoted literals; header text never does.
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


def value_case(t: str, vm: ValueMap) -> str:
    """``t`` through the value map (sqlglot literals); unmapped: kept, or NULL for ``empty``.

    >>> value_case("x", ValueMap({"空号": "invalid_number", "it's": "a"}, "empty"))
    "CASE x WHEN '空号' THEN 'invalid_number' WHEN 'it''s' THEN 'a' ELSE NULL END"
    """
    whens = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in vm.pairs.items())
    return f"CASE {t} {whens} ELSE {'NULL' if vm.unmapped == 'empty' else t} END"


@dataclasses.dataclass
class Prepared:
    raw: RawFile  # the mapped view, as a RawFile (same rows, maybe more columns)
    columns: dict[str, str]  # header (or derived label) -> canonical column
    findings: list  # Finding
    derived_lifecycle: list[str] = dataclasses.field(default_factory=list)


def prepare(link: StoreLink, raw: RawFile, cmap: ColumnMapping, columns: dict[str, str],
            tokenizer: Pseudonymizer | None) -> Prepared:
    """The mapped view over ``raw`` and the findings of value maps, lookups and statuses."""
    from leadlab.ingest.validate import _collect, _fields, _show

    db = link.db
    by_canon = {v: raw.ident(k) for k, v in columns.items()}
    replace: dict[str, str] = {}
    joins: list[str] = []
    findings = []
    for col, vm in cmap.values.items():
        ident = by_canon[col]
        t = _text(ident)
        replace[ident] = value_case(t, vm)
        if vm.unmapped == "error":
            cond = f"{t} IS NOT NULL AND {t} NOT IN {_in_list(vm.pairs)}"
            f = _collect(db, N_("unmapped value"), col,
                         f"SELECT _row, {_fields(value=_show(t), column=_lit(col))} AS what FROM {qi(raw.table)} "
                         f"WHERE {cond}", N_("{value} is not in the value map of {column}"))
            if f:
                f.hint = N_("{n} distinct unmapped value(s) (rows): {values}; add them to {key} in {source}, or "
                            "set unmapped: keep or empty")
                f.hint_fields = {**_value_counts(db, raw.table, t, cond), "key": f"values.{col}.map",
                                 "source": cmap.source}
                findings.append(f)
    for i, (col, lk) in enumerate(cmap.lookups.items()):
        ident = by_canon[col]
        t = _text(ident)
        table = _lookup_table(link, raw, t, lk, tokenizer, f"_leadlab_lookup_{i}")
        joins.append(f"LEFT JOIN {table} AS l{i} ON l{i}.v = {t}")
        replace[ident] = f"l{i}.id"
        ids = f"array_to_string(l{i}.ids, {_lit(', ')})"
        for rule, cond, what in (
            (N_("no match in lookup"), f"l{i}.n = 0", N_("{value} matches no {by} in the store's {table}")),
            (N_("several matches in lookup"), f"l{i}.n > 1",
             N_("{value} matches {n} rows of the store's {table} by {by} ({ids})")),
        ):
            f = _collect(db, rule, col,
                         f"SELECT _row, {_fields(value=_show(t), by=_lit(lk.by), table=_lit(lk.table), n=f'l{i}.n', ids=ids)} "
                         f"AS what FROM {qi(raw.table)} r JOIN {table} l{i} ON l{i}.v = {t} WHERE {cond}", what)
            if f:
                f.hint = N_("{n} distinct value(s) (rows): {values}; lookups.{column} resolves {column} by {by} of "
                            "{table} (load {table} first, or fix the names)")
                f.hint_fields = {**_value_counts(db, f"{qi(raw.table)} r JOIN {table} l{i} ON l{i}.v = {t}", t, cond,
                                                 from_sql=True), "column": col, "by": lk.by, "table": lk.table}
                findings.append(f)
    extra_cols: list[tuple[str, str, str]] = []  # (label, ident, expression)
    derived: list[str] = []
    if cmap.lifecycle is not None:
        lc = cmap.lifecycle
        s, a = _text(raw.ident(lc.status)), _text(raw.ident(lc.at))
        cond = f"{s} IS NOT NULL AND {s} NOT IN {_in_list(lc.stages)}"
        f = _collect(db, N_("status not in the stage order"), lc.status,
                     f"SELECT _row, {_fields(value=_show(s))} AS what FROM {qi(raw.table)} WHERE {cond}",
                     N_("status {value} is not in lifecycle.stages"))
        if f:
            f.hint = N_("{n} distinct unknown status(es) (rows): {values}; list every status in lifecycle.stages of "
                        "{source} (in stage order)")
            f.hint_fields = {**_value_counts(db, raw.table, s, cond), "source": cmap.source}
            findings.append(f)
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
        return Prepared(raw, columns, findings)
    star = "r.*" + (f" REPLACE ({', '.join(f'{e} AS {qi(i)}' for i, e in replace.items())})" if replace else "")
    extras = "".join(f", {e} AS {qi(i)}" for _label, i, e in extra_cols)
    db.execute(f"CREATE OR REPLACE TEMP VIEW {MAPPED} AS SELECT {star}{extras} FROM {qi(raw.table)} r "
               + " ".join(joins))
    link.created.append(MAPPED)
    view = dataclasses.replace(raw, table=MAPPED, columns=[*raw.columns, *(c[0] for c in extra_cols)],
                               idents=[*raw.idents, *(c[1] for c in extra_cols)], handle=None)
    return Prepared(view, columns, findings, derived)


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
