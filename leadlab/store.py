"""Connect to the store and move tables in and out of it.

The store is a DuckDB file (``data/leadlab.duckdb``) by default, or any Ibis
backend given by URL in ``--db`` or the ``LEADLAB_DB`` environment variable
(e.g. ``postgres://user:secret@host/db``). URLs are only ever shown redacted.

Engines call :func:`as_table` so the same code accepts an Ibis table, a table
name in the store, or a pandas DataFrame (handed to an in-memory DuckDB,
never grouped in pandas).

>>> import pandas as pd
>>> t = as_table(pd.DataFrame({"arm": ["A", "B", "B"], "y": [1, 0, 1]}))
>>> int(t.y.sum().to_pyarrow().as_py())
2
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import ibis
import pandas as pd

from leadlab.errors import StoreError
from leadlab.paths import default_db_path
from leadlab.schema import TABLES, get_table

ENV_VAR = "LEADLAB_DB"


def resolve_url(url: str | None = None) -> str:
    """The store URL: ``url``, else ``$LEADLAB_DB``, else the default DuckDB file."""
    if url:
        return url
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    return f"duckdb://{default_db_path()}"


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``.

    >>> redact_url("postgres://ann:s3cret@db.example/sales")
    'postgres://ann:***@db.example/sales'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r":[^:@/]*@", ":***@", url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":***"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}"))


def connect(url: str | None = None, *, read_only: bool = False) -> ibis.BaseBackend:
    """Open the store at ``url`` (see :func:`resolve_url`).

    A DuckDB file is created (with its folder) when missing unless ``read_only``.
    """
    url = resolve_url(url)
    try:
        if url.startswith("duckdb://"):
            path = url[len("duckdb://"):]
            if path in ("", ":memory:"):
                return ibis.duckdb.connect()
            p = Path(path)
            if read_only and not p.exists():
                raise StoreError(f"store {p} does not exist; run `leadlab synth` or `leadlab ingest` first")
            p.parent.mkdir(parents=True, exist_ok=True)
            return ibis.duckdb.connect(str(p), read_only=read_only)
        return ibis.connect(url)
    except StoreError:
        raise
    except Exception as exc:  # the driver's message may echo the URL: redact it
        msg = str(exc).replace(url, redact_url(url))
        raise StoreError(f"cannot open store {redact_url(url)}: {msg.splitlines()[0] if msg else type(exc).__name__}") from None


def has_table(con: ibis.BaseBackend, name: str) -> bool:
    return name in con.list_tables()


def table(con: ibis.BaseBackend, name: str) -> ibis.Table:
    """The table ``name`` of the store; a StoreError saying how to fill it when absent."""
    if not has_table(con, name):
        raise StoreError(
            f"the store has no table {name!r}; load it with `leadlab ingest {name} FILE` or run `leadlab synth`"
        )
    return con.table(name)


def ensure_tables(con: ibis.BaseBackend, names: tuple[str, ...] | None = None) -> None:
    """Create the canonical tables that are missing (empty, with canonical types)."""
    for name in names or tuple(TABLES):
        if not has_table(con, name):
            con.create_table(name, schema=get_table(name).ibis_schema)


def write_table(con: ibis.BaseBackend, name: str, df: pd.DataFrame, *, overwrite: bool = False) -> None:
    """Append (or replace) ``df`` into the canonical table ``name``, casting to canonical types."""
    spec = get_table(name)
    frame = df.reindex(columns=spec.names)
    mem = ibis.memtable(frame).cast(spec.ibis_schema)
    if overwrite or not has_table(con, name):
        con.create_table(name, mem, overwrite=True)
    else:
        con.insert(name, mem)


_memory_con: ibis.BaseBackend | None = None


def memory_backend() -> ibis.BaseBackend:
    """A process-wide in-memory DuckDB backend for DataFrame inputs."""
    global _memory_con
    if _memory_con is None:
        _memory_con = ibis.duckdb.connect()
    return _memory_con


def as_table(data: "ibis.Table | pd.DataFrame | str", con: ibis.BaseBackend | None = None) -> ibis.Table:
    """An Ibis table for ``data``: an Ibis table as is, a store table by name, or a
    pandas DataFrame registered (zero-copy via Arrow) in an in-memory DuckDB."""
    if isinstance(data, ibis.Table):
        return data
    if isinstance(data, str):
        return table(con or connect(), data)
    if isinstance(data, pd.DataFrame):
        backend = memory_backend()
        name = f"_df_{id(data):x}"
        backend.con.register(name, data)
        return backend.table(name)
    raise TypeError(f"expected an Ibis table, a table name or a pandas DataFrame, got {type(data).__name__}")
