"""Expose the store's tables to the validation SQL as DuckDB relations.

Validation and the upsert run in DuckDB SQL against relations named
``_leadlab_store_<name>``. For a DuckDB store they are temp views on the real
tables of the same connection (nothing is copied, the checks join in the
engine). For any other Ibis backend (PostgreSQL, ...) the file is staged in a
local in-memory DuckDB and only the store rows the checks need are fetched,
filtered in the backend by the keys that occur in the file (a semi-join on an
uploaded key list), and aggregated there where possible.
"""

from __future__ import annotations

import duckdb
import ibis
import sqlglot.expressions as sge

from leadlab.errors import StoreError
from leadlab.i18n import _
from leadlab.schema import get_table
from leadlab.store import has_table

DUCK_TYPES = {
    "string": "VARCHAR", "int64": "BIGINT", "float64": "DOUBLE", "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP", "date": "DATE",
}


def duck_type(table: str, column: str) -> str:
    return DUCK_TYPES[get_table(table).column(column).dtype]


def qi(name: str) -> str:
    """A quoted SQL identifier (sqlglot quoting: ``a"b`` → ``"a""b"``)."""
    return sge.to_identifier(name, quoted=True).sql("duckdb")


class StoreLink:
    """The store as seen from the staging DuckDB connection ``db``."""

    def __init__(self, backend: ibis.BaseBackend, *, generic: bool = False):
        self.backend = backend
        # generic=True takes the remote-backend path even for DuckDB (used by the tests)
        self.is_duckdb = backend.name == "duckdb" and not generic
        self.db: duckdb.DuckDBPyConnection = backend.con if self.is_duckdb else duckdb.connect()
        self._existing = set(backend.list_tables())
        self.created: list[str] = []

    def has(self, table: str) -> bool:
        return table in self._existing

    def alias(self, table: str, suffix: str = "") -> str:
        return f"_leadlab_store_{table}{suffix}"

    def _empty(self, alias: str, table: str, columns: list[str]) -> None:
        cols = ", ".join(f"CAST(NULL AS {duck_type(table, c)}) AS {qi(c)}" for c in columns)
        self.db.execute(f"CREATE OR REPLACE TEMP VIEW {qi(alias)} AS SELECT {cols} WHERE false")
        self.created.append(alias)

    def _check_columns(self, table: str, columns: list[str]) -> None:
        have = set(self.backend.table(table).columns)
        missing = [c for c in columns if c not in have]
        if missing:
            raise StoreError(_("the store's table {table} lacks canonical column(s) {columns}; it was not written "
                               "by leadlab (recreate it with `leadlab synth --replace` or migrate it)",
                               table=repr(table), columns=", ".join(missing)))

    def expose(self, table: str, columns: list[str], *, filter_col: str | None = None,
               keys_sql: str | None = None, alias: str | None = None) -> str:
        """Make ``table``'s ``columns`` available as ``alias``; for remote stores only rows whose
        ``filter_col`` is among the values returned by ``keys_sql`` (run on the staging DB)."""
        alias = alias or self.alias(table)
        if not self.has(table):
            self._empty(alias, table, columns)
            return alias
        self._check_columns(table, columns)
        if self.is_duckdb:
            cols = ", ".join(qi(c) for c in columns)
            self.db.execute(f"CREATE OR REPLACE TEMP VIEW {qi(alias)} AS SELECT {cols} FROM {qi(table)}")
        else:
            t = self.backend.table(table).select(*columns)
            if filter_col and keys_sql:
                keys = self.db.execute(keys_sql).arrow().read_all()
                mem = ibis.memtable(keys.rename_columns(["_k"]))
                t = t.semi_join(mem, t[filter_col] == mem._k)
            self._materialize(alias, t, table, columns)
        self.created.append(alias)
        return alias

    def expose_first_calls(self, keys_sql: str) -> str:
        """``lead_id, first_call_at``: each lead's earliest call in the store (grouped in the backend)."""
        alias = "_leadlab_store_first_calls"
        if not self.has("calls"):
            self.db.execute(
                f"CREATE OR REPLACE TEMP VIEW {alias} AS SELECT CAST(NULL AS VARCHAR) AS lead_id, "
                "CAST(NULL AS TIMESTAMP) AS first_call_at WHERE false"
            )
        elif self.is_duckdb:
            self.db.execute(
                f"CREATE OR REPLACE TEMP VIEW {alias} AS SELECT lead_id, min(started_at) AS first_call_at "
                "FROM calls GROUP BY lead_id"
            )
        else:
            calls = self.backend.table("calls")
            keys = self.db.execute(keys_sql).arrow().read_all()
            mem = ibis.memtable(keys.rename_columns(["_k"]))
            agg = (calls.semi_join(mem, calls.lead_id == mem._k)
                   .group_by("lead_id").aggregate(first_call_at=calls.started_at.min()))
            self.db.register("_leadlab_fetch", agg.to_pyarrow())
            self.db.execute(f"CREATE OR REPLACE TEMP TABLE {alias} AS SELECT lead_id, "
                            "CAST(first_call_at AS TIMESTAMP) AS first_call_at FROM _leadlab_fetch")
            self.db.unregister("_leadlab_fetch")
        self.created.append(alias)
        return alias

    def _materialize(self, alias: str, expr: ibis.Table, table: str, columns: list[str]) -> None:
        arrow = expr.to_pyarrow()
        self.db.register("_leadlab_fetch", arrow)
        try:
            cols = ", ".join(f"CAST({qi(c)} AS {duck_type(table, c)}) AS {qi(c)}" for c in columns)
            self.db.execute(f"CREATE OR REPLACE TEMP TABLE {qi(alias)} AS SELECT {cols} FROM _leadlab_fetch")
        finally:
            self.db.unregister("_leadlab_fetch")

    def cleanup(self, extra: list[str] = ()) -> None:
        """Drop every temp relation this ingest made (views and tables)."""
        for name in [*self.created, *extra]:
            for kind in ("VIEW", "TABLE"):
                try:
                    self.db.execute(f"DROP {kind} IF EXISTS {qi(name)}")
                except duckdb.Error:
                    pass
        self.created.clear()
