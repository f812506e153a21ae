"""Transactional upsert of the staged rows into the store.

Counts are computed by key comparison in SQL: a staged row whose key is not in
the store is *inserted*; one whose key is there with any column different is
*updated*; an identical row is *unchanged* and not touched. Only inserted and
updated rows are written, in bulk, by :func:`leadlab.store.upsert_arrow` (the one place
that knows the backend): all or nothing, so a failed ingest writes nothing and a missing
table is created in the same step. DuckDB: ``DELETE ... USING`` + ``INSERT`` from the Arrow
rows in one transaction; PostgreSQL: ``COPY`` into a temporary table, then ``DELETE ...
USING`` + ``INSERT`` in one transaction; Spark: the new table is written beside the old one
and renamed over it.

An ingest that writes two tables (a stage history: ``lead_stages`` and the leads' lifecycle;
leads with a derived lifecycle: ``leads`` and inferred ``lead_stages`` rows) holds each table's
rows as :class:`Pending` and writes them with :func:`write_together`: one transaction across
the tables on DuckDB and PostgreSQL (a failure in any table leaves every table as it was).
"""

from __future__ import annotations

from dataclasses import dataclass

from leadlab.errors import LeadlabError, StoreError
from leadlab.i18n import _
from leadlab.ingest.context import StoreLink, qi
from leadlab.ingest.validate import STAGE
from leadlab.schema import Table
from leadlab.store import Upsert, upsert_many

CHANGED = "_leadlab_changed"


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


@dataclass
class Pending:
    """One table's changed rows (from ``_leadlab_changed``), held until :func:`write_together`."""

    spec: Table
    rows: object  # pyarrow.Table: the rows to write
    replaced: object  # pyarrow.Table: the keys of the rows they replace


def pending(link: StoreLink, spec: Table, counts: Counts) -> Pending | None:
    """The changed rows of ``spec`` in memory, for :func:`write_together` (None when there is nothing to write)."""
    if counts.inserted + counts.updated == 0 and link.has(spec.name):
        return None
    rows = link.db.execute(f"SELECT {', '.join(qi(c) for c in spec.names)} FROM {CHANGED}").arrow().read_all()
    replaced = link.db.execute(
        f"SELECT {', '.join(qi(k) for k in spec.key)} FROM {CHANGED} WHERE NOT _new").arrow().read_all()
    return Pending(spec, rows, replaced)


def write_together(link: StoreLink, parts: list[Pending | None]) -> None:
    """Write every table's :class:`Pending` rows all or nothing: DuckDB and PostgreSQL in one
    transaction across the tables; Spark (no transactions) table by table, each a whole-table swap."""
    con, parts = link.backend, [p for p in parts if p is not None]
    try:
        upsert_many(con, [Upsert(p.spec.name, p.rows, tuple(p.spec.key), p.replaced, p.spec.ibis_schema)
                          for p in parts])
    except LeadlabError:
        raise
    except Exception as exc:
        names = ", ".join(dict.fromkeys(p.spec.name for p in parts))
        raise StoreError(_("writing {table} to the {backend} store failed ({error}: {reason}); {done}; the same "
                           "ingest can be re-run (it is idempotent)", table=names, backend=con.name,
                           error=type(exc).__name__, reason=str(exc).strip().splitlines()[0] if str(exc).strip() else "",
                           done=_("nothing was written"))) from None
