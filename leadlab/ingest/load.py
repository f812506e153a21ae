"""Transactional upsert of the staged rows into the store.

Counts are computed by key comparison in SQL: a staged row whose key is not in
the store is *inserted*; one whose key is there with any column different is
*updated*; an identical row is *unchanged* and not touched. Only inserted and
updated rows are written, by ``DELETE ... USING`` + ``INSERT`` inside one
``BEGIN ... COMMIT`` on the store's DuckDB connection (``ROLLBACK`` on any
error, so a failed ingest writes nothing; a missing table is created in the
same transaction).

Other Ibis backends (PostgreSQL, ...): the changed rows are written as batched
``DELETE`` / ``INSERT ... VALUES`` statements in the backend's SQL dialect, inside
one transaction when the Ibis backend offers ``begin()`` (PostgreSQL, MySQL,
SQLite); otherwise statement by statement (best effort: a crash in the middle
can leave part of a file written; re-running the same ingest completes it).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import sqlglot as sg
import sqlglot.expressions as sge

from leadlab.errors import StoreError
from leadlab.i18n import _
from leadlab.ingest.context import StoreLink, qi
from leadlab.ingest.validate import STAGE
from leadlab.schema import Table
from leadlab.store import ensure_tables

CHANGED = "_leadlab_changed"
DELETE_BATCH = 500
INSERT_BATCH = 1000


@dataclass
class Counts:
    inserted: int
    updated: int
    unchanged: int


def diff(link: StoreLink, spec: Table, target: str) -> Counts:
    """Create ``_leadlab_changed`` (rows to write, with ``_new``) and count inserted/updated/unchanged."""
    db = link.db
    on = " AND ".join(f"s.{qi(k)} = f.{qi(k)}" for k in spec.key)
    same = " AND ".join(f"s.{qi(c)} IS NOT DISTINCT FROM f.{qi(c)}" for c in spec.names)
    cols = ", ".join(f"f.{qi(c)}" for c in spec.names)
    db.execute(
        f"CREATE OR REPLACE TEMP TABLE {CHANGED} AS SELECT {cols}, s.{qi(spec.key[0])} IS NULL AS _new "
        f"FROM {STAGE} f LEFT JOIN {qi(target)} s ON {on} "
        f"WHERE s.{qi(spec.key[0])} IS NULL OR NOT ({same})"
    )
    n, inserted, updated = db.execute(
        f"SELECT (SELECT count(*) FROM {STAGE}), count(*) FILTER (WHERE _new), count(*) FILTER (WHERE NOT _new) "
        f"FROM {CHANGED}").fetchone()
    return Counts(int(inserted or 0), int(updated or 0), int(n - (inserted or 0) - (updated or 0)))


def write(link: StoreLink, spec: Table, counts: Counts) -> None:
    """Write ``_leadlab_changed`` into the store table (one transaction for DuckDB)."""
    if link.is_duckdb:
        _write_duckdb(link, spec, counts)
    else:
        _write_generic(link, spec, counts)


def _write_duckdb(link: StoreLink, spec: Table, counts: Counts) -> None:
    db = link.db
    created = not link.has(spec.name)
    if counts.inserted + counts.updated == 0 and not created:
        return
    cols = ", ".join(qi(c) for c in spec.names)
    on = " AND ".join(f"{qi(spec.name)}.{qi(k)} = c.{qi(k)}" for k in spec.key)
    db.execute("BEGIN TRANSACTION")
    try:
        if created:
            ensure_tables(link.backend, (spec.name,))
        if counts.updated:
            db.execute(f"DELETE FROM {qi(spec.name)} USING {CHANGED} c WHERE {on} AND NOT c._new")
        db.execute(f"INSERT INTO {qi(spec.name)} ({cols}) SELECT {cols} FROM {CHANGED}")
        db.execute("COMMIT")
    except BaseException as exc:
        try:
            db.execute("ROLLBACK")
        except duckdb.Error:
            pass
        if isinstance(exc, duckdb.Error):
            raise StoreError(_("writing {table} failed, nothing was written: {reason}", table=spec.name,
                               reason=str(exc).splitlines()[0])) from None
        raise


def _literal(value: object) -> sge.Expression:
    """A SQL literal that every backend coerces into the column's type (dates and times as text)."""
    if value is None:
        return sge.Null()
    if isinstance(value, bool):
        return sge.true() if value else sge.false()
    if isinstance(value, (int, float)):
        return sge.convert(value)
    if hasattr(value, "isoformat"):
        text = value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
        return sge.Literal.string(text)
    return sge.Literal.string(str(value))


def _statements(link: StoreLink, spec: Table, counts: Counts) -> list[str]:
    """DELETE (updated keys) and INSERT (changed rows) statements in the backend's dialect."""
    db, dialect = link.db, link.backend.dialect if hasattr(link.backend, "dialect") else link.backend.name
    table = sg.table(spec.name, quoted=True)
    out = []
    if counts.updated:
        keys = db.execute(f"SELECT {', '.join(qi(k) for k in spec.key)} FROM {CHANGED} WHERE NOT _new").fetchall()
        for i in range(0, len(keys), DELETE_BATCH):
            conds = [sge.and_(*[sge.EQ(this=sg.column(k, quoted=True), expression=_literal(v))
                                for k, v in zip(spec.key, row)]) for row in keys[i:i + DELETE_BATCH]]
            out.append(sge.delete(table, where=sge.or_(*conds)).sql(dialect))
    rows = db.execute(f"SELECT {', '.join(qi(c) for c in spec.names)} FROM {CHANGED}").fetchall()
    columns = [sg.to_identifier(c, quoted=True) for c in spec.names]
    for i in range(0, len(rows), INSERT_BATCH):
        values = sge.values([tuple(_literal(v) for v in row) for row in rows[i:i + INSERT_BATCH]])
        out.append(sge.insert(values, table, columns=columns).sql(dialect))
    return out


def _write_generic(link: StoreLink, spec: Table, counts: Counts) -> None:
    backend = link.backend
    ensure_tables(backend, (spec.name,))
    if counts.inserted + counts.updated == 0:
        return
    statements = _statements(link, spec, counts)
    begin = getattr(backend, "begin", None)
    try:
        if begin is not None:  # PostgreSQL, MySQL, SQLite, ...: one transaction on the driver
            with begin() as cursor:
                for stmt in statements:
                    cursor.execute(stmt)
        else:  # no transaction API in Ibis for this backend: statement by statement
            for stmt in statements:
                backend.raw_sql(stmt)
    except Exception as exc:
        done = _("nothing was written") if begin is not None else _("it may have written part of the file")
        raise StoreError(_("writing {table} to the {backend} store failed ({error}: {reason}); {done}; the same "
                           "ingest can be re-run (it is idempotent)", table=spec.name, backend=backend.name,
                           error=type(exc).__name__, reason=str(exc).splitlines()[0] if str(exc) else "",
                           done=done)) from None
