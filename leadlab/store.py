"""Connect to the store and move tables in and out of it.

The store is a DuckDB file (``data/leadlab.duckdb``) by default, or any Ibis
backend given by URL in ``--db`` or the ``LEADLAB_DB`` environment variable
(e.g. ``postgres://user:secret@host/db``). URLs are only ever shown redacted
(:func:`redact_url`: password, a user name without a password, every query value
and any fragment become ``***``).

A DuckDB URL is ``duckdb://PATH[?option=value&...]``: the path is everything
before ``?`` and the query holds DuckDB options (:data:`DUCKDB_OPTIONS`); any
other option is refused without echoing its value (:func:`parse_duckdb_url`).

Engines call :func:`as_table` so the same code accepts an Ibis table, a table
name in the store, or a pandas DataFrame (handed to an in-memory DuckDB,
never grouped in pandas).

This module is the only place that knows the backend. Three families are supported and
tested to give the same numbers (:data:`SCHEMES`): DuckDB (``duckdb://FILE``), PostgreSQL
(``postgres://user@host/db``, driver from ``pip install 'leadlab[postgres]'``) and Spark
(``pyspark:///DIR``: local mode with a persistent warehouse in DIR, ``sc://host:15002``: a
Spark Connect server; ``pip install 'leadlab[spark]'``, see :mod:`leadlab.store_spark`).
Each operation that differs by backend is one function here: :func:`registered_arrow`
(an Arrow table as a temporary table), :func:`read_batches` (a streamed, ordered read),
:func:`append_arrow` (bulk append: DuckDB's Arrow scan, PostgreSQL ``COPY``, a typed Spark
DataFrame), :func:`publish` (staging tables become the real ones in one transaction) and
:func:`upsert_arrow` (ingest: replace rows by key in one transaction).

>>> import pandas as pd
>>> t = as_table(pd.DataFrame({"arm": ["A", "B", "B"], "y": [1, 0, 1]}))
>>> int(t.y.sum().to_pyarrow().as_py())
2
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import ibis
import ibis.expr.datatypes as dt

if TYPE_CHECKING:  # pandas/pyarrow are imported where used (keeps `leadlab ingest` startup short)
    import pandas as pd
    import pyarrow as pa
from leadlab.errors import ConfigError, StoreError
from leadlab.i18n import _
from leadlab.paths import default_db_path
from leadlab.schema import TABLES, get_table

ENV_VAR = "LEADLAB_DB"


#: URL scheme → backend family (the Ibis backend name).
SCHEMES = {"duckdb": "duckdb", "postgres": "postgres", "postgresql": "postgres", "pyspark": "pyspark",
           "sc": "pyspark"}
#: Backend family → (the optional extra that installs its driver, the module it needs).
EXTRAS = {"postgres": ("postgres", "psycopg"), "pyspark": ("spark", "pyspark")}
#: Backend family → the name people know it by.
BACKEND_NAMES = {"duckdb": "DuckDB", "postgres": "PostgreSQL", "pyspark": "Spark"}


def url_family(url: str) -> str | None:
    """The backend family of a store URL (``None`` for a scheme leadlab has not been tested on).

    >>> url_family("duckdb:///x.duckdb"), url_family("postgresql://h/db"), url_family("sc://h:15002")
    ('duckdb', 'postgres', 'pyspark')
    """
    return SCHEMES.get(url.split("://", 1)[0].lower()) if "://" in url else None


def url_host(url: str) -> str:
    """The host a store URL points at, for messages (never a user name or password).

    >>> url_host("postgres://ann:pw@db.example:5433/sales"), url_host("postgresql://u@/db?host=/tmp/pg")
    ('db.example:5433', '/tmp/pg')
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or dict(parse_qsl(parts.query)).get("host") or "localhost"
        return f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return "?"


def resolve_url(url: str | None = None) -> str:
    """The store URL: ``url``, else ``$LEADLAB_DB``, else the default DuckDB file."""
    if url:
        return url
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    return f"duckdb://{default_db_path()}"


#: Query keys shown by name in redacted URLs and messages (any other key may itself be a
#: secret, e.g. ``?<token>``, and is shown as ``***``).
SHOWN_KEYS = frozenset({
    "read_only", "threads", "memory_limit", "token", "password", "passwd", "pwd", "secret", "key", "api_key",
    "access_token", "auth", "user", "username", "host", "port", "dbname", "database", "schema", "sslmode",
    "sslpassword", "sslcert", "sslkey", "sslrootcert", "application_name", "connect_timeout", "options", "mode",
    "motherduck_token", "warehouse", "role",
})
#: The options a DuckDB store URL may carry, and the rule each value must follow.
DUCKDB_OPTIONS: dict[str, tuple[re.Pattern, str]] = {
    "read_only": (re.compile(r"(?i)true|false|1|0"), "true or false"),
    "threads": (re.compile(r"[1-9][0-9]{0,3}"), "a whole number from 1 to 9999"),
    "memory_limit": (re.compile(r"(?i)[0-9]{1,6}(\.[0-9]{1,3})?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)"),
                     "a size like 4GB or 512MB"),
}


def _shown_key(key: str) -> str:
    """A query key as shown: itself when it is a well-known option name, else ``***``."""
    return key if key.lower() in SHOWN_KEYS else "***"


def redact_url(url: str) -> str:
    """``url`` with its secrets replaced by ``***``: the password (a user name alone is
    redacted too: it may be a token), every query value, and a fragment.

    >>> redact_url("postgres://ann:s3cret@db.example/sales")
    'postgres://ann:***@db.example/sales'
    >>> redact_url("duckdb:///data/s.duckdb?token=abc&threads=4")
    'duckdb:///data/s.duckdb?token=***&threads=***'
    >>> redact_url("https://ghp_abc@host/x#frag")
    'https://***@host/x#***'
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        head = re.sub(r"//[^/?#]*@", "//***@", url.split("?", 1)[0].split("#", 1)[0])
        return head + ("?***" if "?" in url or "#" in url else "")
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = (userinfo.split(":", 1)[0] + ":***") if ":" in userinfo else "***"
        netloc = f"{user}@{host}"
    query = "&".join(f"{_shown_key(k)}=***" for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    if parts.query and not query:
        query = "***"
    if "://" not in url:
        return urlunsplit(parts._replace(netloc=netloc, query=query, fragment="***" if parts.fragment else ""))
    return (f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")
            + ("#***" if parts.fragment else ""))


def _secrets(url: str) -> list[str]:
    """The parts of ``url`` that :func:`redact_url` hides (to scrub them from driver messages)."""
    out = [url]
    try:
        parts = urlsplit(url)
    except ValueError:
        return out + [url.split("?", 1)[-1]]
    if "@" in parts.netloc:
        out.append(parts.netloc.rsplit("@", 1)[0])
        if parts.password:
            out.append(parts.password)
        elif parts.username:
            out.append(parts.username)
    out += [v for _, v in parse_qsl(parts.query, keep_blank_values=True) if v]
    out += [x for x in (parts.query, parts.fragment) if x]
    return sorted(set(out), key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """``text`` (a driver's error message) with every secret part of ``url`` replaced by ``***``."""
    for secret in _secrets(url):
        if len(secret) >= 3 or secret == url:
            text = text.replace(secret, redact_url(url) if secret == url else "***")
    return text


@dataclass(frozen=True)
class DuckDBURL:
    """A parsed ``duckdb://`` URL: the file (``None`` for an in-memory database) and options."""

    path: Path | None
    read_only: bool = False
    config: dict[str, object] = field(default_factory=dict)


def is_duckdb(url: str) -> bool:
    return url.startswith("duckdb://")


def parse_duckdb_url(url: str) -> DuckDBURL:
    """Split ``duckdb://PATH?opt=value`` into the file path and checked options.

    ConfigError for an unknown option or a malformed value; the message never shows a value.

    >>> parse_duckdb_url("duckdb:///data/s.duckdb?threads=2")
    DuckDBURL(path=PosixPath('/data/s.duckdb'), read_only=False, config={'threads': 2})
    >>> parse_duckdb_url("duckdb:///s.duckdb?token=abc")
    Traceback (most recent call last):
    ...
    leadlab.errors.ConfigError: store URL duckdb:///s.duckdb?token=***: unknown option 'token' for a DuckDB store (known: memory_limit, read_only, threads); values are not shown
    """
    if not is_duckdb(url):
        raise ConfigError(f"not a DuckDB store URL: {redact_url(url)}")
    rest = url[len("duckdb://"):]
    shown = redact_url(url)
    if "#" in rest:
        raise ConfigError(f"store URL {shown}: a '#' part is not allowed in a DuckDB store URL")
    path, _, query = rest.partition("?")
    read_only, config = False, {}
    known = ", ".join(sorted(DUCKDB_OPTIONS))
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in DUCKDB_OPTIONS:
            name = f"{key!r}" if key.lower() in SHOWN_KEYS else "(its name is not shown)"
            raise ConfigError(f"store URL {shown}: unknown option {name} for a DuckDB store (known: {known}); "
                              "values are not shown")
        if key in config or (key == "read_only" and read_only):
            raise ConfigError(f"store URL {shown}: option {key!r} is given twice")
        rule, expected = DUCKDB_OPTIONS[key]
        if not rule.fullmatch(value.strip()):
            raise ConfigError(f"store URL {shown}: option {key!r} must be {expected} (the value is not shown)")
        if key == "read_only":
            read_only = value.strip().lower() in ("true", "1")
        elif key == "threads":
            config[key] = int(value)
        else:
            config[key] = value.strip()
    if query and not parse_qsl(query, keep_blank_values=True):
        raise ConfigError(f"store URL {shown}: the part after '?' is not a list of option=value pairs")
    return DuckDBURL(None if path in ("", ":memory:") else Path(path), read_only, config)


def duckdb_path(url: str) -> Path | None:
    """The file of a DuckDB store URL (query options removed), ``None`` for other URLs and
    in-memory databases. Use this instead of slicing the URL, which would keep ``?...``."""
    if not is_duckdb(url):
        return None
    return parse_duckdb_url(url).path


def absolute_url(url: str | None) -> str | None:
    """``url`` with a relative DuckDB file path made absolute (from the current folder), so
    another process (a notebook kernel) opens the same store. Other URLs are unchanged.

    >>> absolute_url("duckdb:///tmp/x.duckdb"), absolute_url("postgres://h/db"), absolute_url(None)
    ('duckdb:///tmp/x.duckdb', 'postgres://h/db', None)
    """
    if not url or not is_duckdb(url):
        return url
    path = parse_duckdb_url(url).path  # query options are parsed, never part of the path
    if path is None or path.is_absolute():
        return url
    query = url.partition("?")[2]
    return f"duckdb://{path.resolve()}" + (f"?{query}" if query else "")


def store_exists(url: str | None = None) -> bool:
    """False only when the store is a DuckDB file that does not exist (a server or a Spark
    catalog is assumed to be there: opening it says otherwise)."""
    url = resolve_url(url)
    if not is_duckdb(url):
        return True
    path = duckdb_path(url)
    return path is None or path.exists()


def open_read_only(url: str | None = None) -> ibis.BaseBackend:
    """The store opened for reading (read-only where the backend has the notion: DuckDB)."""
    return connect(url, read_only=is_duckdb(resolve_url(url)))


def disconnect(con: ibis.BaseBackend) -> None:
    """Close ``con`` so another process can open the store: DuckDB's file lock is released and
    a local Spark session (whose embedded metastore admits one process) is stopped."""
    if family(con) == "pyspark":
        from leadlab.store_spark import stop

        stop()
        return
    con.disconnect()


def connect(url: str | None = None, *, read_only: bool = False) -> ibis.BaseBackend:
    """Open the store at ``url`` (see :func:`resolve_url`).

    A DuckDB file is created (with its folder) when missing unless ``read_only``.
    """
    url = resolve_url(url)
    try:
        if is_duckdb(url):
            parsed = parse_duckdb_url(url)
            if parsed.path is None:
                return ibis.duckdb.connect(**parsed.config)
            p = parsed.path
            if (read_only or parsed.read_only) and not p.exists():
                raise StoreError(f"store {p} does not exist; run `leadlab synth` or `leadlab ingest` first")
            p.parent.mkdir(parents=True, exist_ok=True)
            return ibis.duckdb.connect(str(p), read_only=read_only or parsed.read_only, **parsed.config)
        family = url_family(url)
        if family == "pyspark":
            from leadlab.store_spark import connect_spark

            return connect_spark(url)
        if family == "postgres":
            import psycopg  # noqa: F401 - a missing driver is named with its extra below
        return ibis.connect(url)
    except (StoreError, ConfigError):
        raise
    except ImportError as exc:
        family = url_family(url) or ""
        extra, module = EXTRAS.get(family, (None, getattr(exc, "name", None) or "?"))
        if extra is None:
            raise StoreError(_("cannot open store {url}: the Python package {package} is missing",
                               url=redact_url(url), package=module)) from None
        raise StoreError(_("the {backend} store needs the Python package {package}, which is not installed: "
                           "pip install 'leadlab[{extra}]'", backend=BACKEND_NAMES[family], package=module,
                           extra=extra)) from None
    except Exception as exc:  # the driver's message may echo the URL or parts of it: scrub them
        msg = scrub(str(exc), url).strip()
        reason = msg.splitlines()[0].strip() if msg else type(exc).__name__
        family = url_family(url)
        if family in ("postgres", "pyspark"):
            raise StoreError(_("cannot connect to the {backend} store at {host} ({url}): {reason}",
                               backend=BACKEND_NAMES[family], host=url_host(url), url=redact_url(url),
                               reason=reason)) from None
        raise StoreError(_("cannot open store {url}: {reason}", url=redact_url(url), reason=reason)) from None


def has_table(con: ibis.BaseBackend, name: str) -> bool:
    return name in con.list_tables()


def table(con: ibis.BaseBackend, name: str) -> ibis.Table:
    """The table ``name`` of the store; a StoreError saying how to fill it when absent."""
    if not has_table(con, name):
        raise StoreError(_("the store has no table '{table}'; load it with `leadlab ingest {table} FILE`, or run "
                           "`leadlab synth` (DuckDB) and `leadlab store copy` to another backend", table=name))
    return con.table(name)


def ensure_tables(con: ibis.BaseBackend, names: tuple[str, ...] | None = None) -> None:
    """Create the canonical tables that are missing (empty, with canonical types)."""
    for name in names or tuple(TABLES):
        if not has_table(con, name):
            con.create_table(name, schema=get_table(name).ibis_schema)


def write_table(con: ibis.BaseBackend, name: str, df: "pd.DataFrame", *, overwrite: bool = False) -> None:
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
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        backend = memory_backend()
        name = f"_df_{id(data):x}"
        backend.con.register(name, data)
        return backend.table(name)
    raise TypeError(f"expected an Ibis table, a table name or a pandas DataFrame, got {type(data).__name__}")


# ---------------------------------------------------------------------------------------------
# Backend-specific operations: one function each, one branch per backend family.
# ---------------------------------------------------------------------------------------------

def family(con: ibis.BaseBackend) -> str:
    """The backend family of an open store: ``duckdb``, ``postgres`` or ``pyspark``."""
    return con.name


@ibis.udf.scalar.builtin(name="hash")
def _duckdb_hash(value: str) -> dt.UInt64:
    """DuckDB's ``hash()`` (64 bits)."""


def distinct_code(col: "ibis.Column") -> "ibis.Column | None":
    """A cheap per-row integer code of a string column, for telling within a group whether it
    holds one value or several: the group holds several exactly when the smallest and largest
    code differ (up to a 64-bit hash collision). On DuckDB its ``hash()`` (NULL stays NULL):
    two integer aggregates cost less than ``min``/``max`` of the strings themselves (measured
    per lead, 10 M calls: docs/experiments.md, Speed). None on other backends (compare the strings).

    >>> t = as_table(pd.DataFrame({"u": [1, 1, 2], "arm": ["A", "B", "A"]}))
    >>> code = distinct_code(t.arm)
    >>> g = t.group_by("u").aggregate(lo=code.min(), hi=code.max()).order_by("u").to_pandas()
    >>> (g.lo != g.hi).tolist()
    [True, False]
    """
    from ibis.common.exceptions import IbisError

    try:
        backend = ibis.get_backend(col)
    except IbisError:  # an unbound expression: compare the strings
        return None
    if backend.name != "duckdb":
        return None
    return col.isnull().ifelse(ibis.null("uint64"), _duckdb_hash(col))


def _qi(name: str, con: ibis.BaseBackend) -> str:
    """``name`` as a quoted identifier in ``con``'s SQL dialect (never spliced unquoted)."""
    import sqlglot as sg

    return sg.to_identifier(name, quoted=True).sql(getattr(con, "dialect", None) or con.name)


@contextlib.contextmanager
def registered_arrow(data: "pa.Table") -> Iterator[ibis.Table]:
    """``data`` as a temporary table of the in-memory DuckDB (zero-copy), dropped on exit.

    >>> import pyarrow as pa
    >>> with registered_arrow(pa.table({"y": [1, 2, 3]})) as t:
    ...     int(t.y.sum().to_pyarrow().as_py())
    6
    """
    backend = memory_backend()
    name = f"_arrow_{next(_names)}"
    backend.con.register(name, data)
    try:
        yield backend.table(name)
    finally:
        backend.con.unregister(name)


_names = itertools.count()


def read_batches(con: ibis.BaseBackend, expr: ibis.Table, chunk_rows: int) -> Iterator["pa.RecordBatch"]:
    """The rows of ``expr`` as Arrow record batches of at most ``chunk_rows`` rows (memory
    bounded by the chunk). On DuckDB the read runs on its own cursor, so the caller may write
    to the store between batches."""
    if family(con) == "duckdb":
        cur = con.con.cursor()
        try:
            reader = cur.execute(con.compile(expr)).to_arrow_reader(chunk_rows)
            yield from reader
        finally:
            cur.close()
        return
    yield from expr.to_pyarrow_batches(chunk_size=chunk_rows)


def _canonical_arrow(data: "pa.Table", schema: ibis.Schema | None) -> "pa.Table":
    """``data`` cast to ``schema`` (column order and types), when one is given."""
    if schema is None:
        return data
    target = schema.to_pyarrow()
    return data.select(target.names).cast(target)


def _copy_into(cursor, con: ibis.BaseBackend, name: str, data: "pa.Table") -> None:
    """PostgreSQL ``COPY name FROM STDIN`` of ``data`` (CSV written by Arrow: NULL unquoted,
    every string quoted, floats in round-trip precision), on ``cursor``'s transaction."""
    import io

    import pyarrow.csv as pacsv

    if data.num_rows == 0:
        return
    buf = io.BytesIO()
    pacsv.write_csv(data, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    cols = ", ".join(_qi(c, con) for c in data.column_names)
    with cursor.copy(f"COPY {_qi(name, con)} ({cols}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(buf.getbuffer())


def append_arrow(con: ibis.BaseBackend, name: str, data: "pa.Table", schema: ibis.Schema | None = None) -> None:
    """Append ``data`` (cast to ``schema`` when given) to the existing table ``name`` in bulk."""
    data = _canonical_arrow(data, schema)
    fam = family(con)
    if fam == "duckdb":
        cur = con.con.cursor()
        try:
            cur.register("_leadlab_arrow", data)
            cols = ", ".join(_qi(c, con) for c in data.column_names)
            cur.execute(f"INSERT INTO {_qi(name, con)} ({cols}) SELECT {cols} FROM _leadlab_arrow")
            cur.unregister("_leadlab_arrow")
        finally:
            cur.close()
    elif fam == "postgres":
        with con.begin() as cursor:
            _copy_into(cursor, con, name, data)
    else:
        con.insert(name, _spark_frame(con, data))  # noqa: typed by the Arrow schema


def appends_beside_reads(con: ibis.BaseBackend) -> bool:
    """Whether one thread may :func:`append_arrow` while another reads :func:`read_batches` of the
    same store: on DuckDB, where each runs on its own cursor."""
    return family(con) == "duckdb"


def _spark_frame(con: ibis.BaseBackend, data: "pa.Table") -> ibis.Table:
    """``data`` for a Spark write: typed by its Arrow schema (Ibis hands Spark the schema;
    no string round trip, so dates stay dates)."""
    return ibis.memtable(data)


def create_empty(con: ibis.BaseBackend, name: str, schema: ibis.Schema) -> None:
    """Create (or replace) the empty table ``name`` with ``schema``."""
    if family(con) == "pyspark":
        con.drop_table(name, force=True)
        con.create_table(name, schema=schema)
    else:
        con.create_table(name, schema=schema, overwrite=True)


def publish(con: ibis.BaseBackend, moves: dict[str, str], *, merge_key: str | None = None) -> None:
    """Make each staging table ``moves[staging]`` the real table, all together: DuckDB and
    PostgreSQL in one transaction (all or nothing); Spark table by table (a metadata rename).

    ``merge_key``: keep the real table's rows whose key is not in the staging table instead
    of replacing it whole."""
    fam = family(con)
    existing = set(con.list_tables())
    if fam == "pyspark":
        for staging, name in moves.items():
            if merge_key and name in existing:
                old, new = con.table(name), con.table(staging)
                merged = old.anti_join(new, merge_key).union(new)
                full = f"{staging}_full"
                con.create_table(full, merged, overwrite=True)
                con.drop_table(staging)
                staging = full
            con.drop_table(name, force=True)
            con.raw_sql(f"ALTER TABLE {_qi(staging, con)} RENAME TO {_qi(name, con)}")
        return
    statements = []
    for staging, name in moves.items():
        s, n = _qi(staging, con), _qi(name, con)
        if merge_key and name in existing:
            k = _qi(merge_key, con)
            statements += [f"DELETE FROM {n} WHERE {k} IN (SELECT {k} FROM {s})",
                           f"INSERT INTO {n} SELECT * FROM {s}", f"DROP TABLE {s}"]
        else:
            statements += [f"DROP TABLE IF EXISTS {n}", f"ALTER TABLE {s} RENAME TO {n}"]
    _transaction(con, statements)


def _transaction(con: ibis.BaseBackend, statements: list[str]) -> None:
    """Run ``statements`` in one transaction (rolled back on any error)."""
    if family(con) == "duckdb":
        cur = con.con.cursor()
        try:
            _transaction_on(cur, statements)
        finally:
            cur.close()
    else:
        with con.begin() as cursor:
            for stmt in statements:
                cursor.execute(stmt)


def _transaction_on(cur, statements: list[str]) -> None:
    """``statements`` in one DuckDB transaction on the cursor ``cur`` (rolled back on any error)."""
    cur.execute("BEGIN TRANSACTION")
    try:
        for stmt in statements:
            cur.execute(stmt)
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise


def upsert_arrow(con: ibis.BaseBackend, name: str, rows: "pa.Table", *, key: tuple[str, ...],
                 replaced: "pa.Table", schema: ibis.Schema) -> None:
    """Ingest's write: delete the rows whose ``key`` is in ``replaced`` (a table of keys), then
    append ``rows``, creating ``name`` with ``schema`` when missing; all in one transaction
    (PostgreSQL: ``COPY`` into a temporary table, then ``DELETE ... USING`` + ``INSERT``).
    Spark has no transactions: the new table is written whole beside the old one and renamed
    over it (readers never see half a file)."""
    fam = family(con)
    if fam in ("duckdb", "postgres"):  # one transaction: the same statements as a multi-table upsert
        upsert_many(con, [Upsert(name, rows, tuple(key), replaced, schema)])
        return
    rows = _canonical_arrow(rows, schema)
    if fam == "pyspark":
        staging = f"_leadlab_ingest_{name}"
        new = _spark_frame(con, rows)  # typed by the Arrow schema
        if name in con.list_tables():
            old = con.table(name)
            if replaced.num_rows:
                old = old.anti_join(_spark_frame(con, replaced.select(list(key))), list(key))
            new = old.select(*schema.names).union(new.select(*schema.names))
        con.create_table(staging, new, overwrite=True)  # one Spark job writes the whole new table
        publish(con, {staging: name})
        return
    # any other Ibis backend with a DB-API driver and a transaction (SQLite, MySQL, ...):
    # bound parameters, one transaction
    ensure_tables(con, (name,))
    with con.begin() as cursor:
        _dbapi_upsert(cursor, con, name, rows, key, replaced)


@dataclass
class Upsert:
    """One table's share of :func:`upsert_many`: the ``rows`` to write and the ``replaced`` keys
    (a table of ``key`` columns) whose old rows they replace."""

    name: str
    rows: "pa.Table"
    key: tuple[str, ...]
    replaced: "pa.Table"
    schema: ibis.Schema


def _upsert_statements(con: ibis.BaseBackend, cur, i: int, item: Upsert) -> list[str]:
    """Statements upserting ``item`` on ``cur`` (create when missing, delete the replaced keys,
    insert). DuckDB: the Arrow rows are registered on ``cur``; PostgreSQL: copied into temporary
    tables first (DDL is transactional there)."""
    import sqlglot as sg

    fam = family(con)
    name, rows, keys = _qi(item.name, con), f"_leadlab_rows{i}", f"_leadlab_keys{i}"
    cols = ", ".join(_qi(c, con) for c in item.schema.names)
    on = " AND ".join(f"t.{_qi(k, con)} = d.{_qi(k, con)}" for k in item.key)
    create = sg.exp.Create(kind="TABLE", exists=True, this=sg.exp.Schema(
        this=sg.to_identifier(item.name, quoted=True), expressions=item.schema.to_sqlglot_column_defs(fam))).sql(fam)
    data = _canonical_arrow(item.rows, item.schema)
    if fam == "duckdb":
        cur.register(rows, data)
        cur.register(keys, item.replaced)
        return [create, f"DELETE FROM {name} t USING {keys} d WHERE {on}",
                f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {rows}"]
    cur.execute(create)
    cur.execute(f"CREATE TEMP TABLE {rows} (LIKE {name}) ON COMMIT DROP")
    _copy_into(cur, con, rows, data)
    key_cols = ", ".join(_qi(k, con) for k in item.key)
    cur.execute(f"CREATE TEMP TABLE {keys} ON COMMIT DROP AS SELECT {key_cols} FROM {rows} WHERE false")
    key_schema = ibis.schema({k: item.schema[k] for k in item.key})
    _copy_into(cur, con, keys, _canonical_arrow(item.replaced, key_schema))
    return [f"DELETE FROM {name} t USING {keys} d WHERE {on}", f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {rows}"]


def upsert_many(con: ibis.BaseBackend, items: list[Upsert]) -> None:
    """Several tables' upserts (:func:`upsert_arrow`), all or nothing: DuckDB and PostgreSQL in
    ONE transaction across the tables (a failure in any table leaves every table as it was);
    Spark and other backends table by table (Spark: each a whole-table swap)."""
    if not items:
        return
    fam = family(con)
    if fam == "duckdb":
        cur = con.con.cursor()
        try:
            _transaction_on(cur, [s for i, it in enumerate(items) for s in _upsert_statements(con, cur, i, it)])
        finally:
            cur.close()
    elif fam == "postgres":
        with con.begin() as cur:
            for stmt in [s for i, it in enumerate(items) for s in _upsert_statements(con, cur, i, it)]:
                cur.execute(stmt)
    else:
        for it in items:
            upsert_arrow(con, it.name, it.rows, key=it.key, replaced=it.replaced, schema=it.schema)


def _dbapi_upsert(cursor, con: ibis.BaseBackend, name: str, rows: "pa.Table", key: tuple[str, ...],
                  replaced: "pa.Table") -> None:
    """DELETE the replaced keys and INSERT the rows with bound parameters on ``cursor``."""
    import sys

    style = getattr(sys.modules.get(type(con.con).__module__.split(".")[0]), "paramstyle", "qmark")
    mark = "%s" if style in ("format", "pyformat") else "?"
    table = _qi(name, con)
    if replaced.num_rows:
        where = " AND ".join(f"{_qi(k, con)} = {mark}" for k in key)
        cursor.executemany(f"DELETE FROM {table} WHERE {where}", [tuple(r.values()) for r in
                                                                  replaced.select(list(key)).to_pylist()])
    cols = ", ".join(_qi(c, con) for c in rows.column_names)
    marks = ", ".join([mark] * rows.num_columns)
    cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", [tuple(r.values()) for r in rows.to_pylist()])


@dataclass
class CopyResult:
    """What :func:`copy_store` moved: rows per table and the seconds it took."""

    tables: dict[str, int]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def copy_store(src: str, dst: str, *, progress: bool = False, chunk_rows: int = 250_000) -> CopyResult:
    """Copy every canonical table of the store ``src`` into the store ``dst`` (any two
    backends), streamed in Arrow batches of ``chunk_rows`` and written in bulk
    (:func:`append_arrow`) to staging tables that replace the destination's tables only when
    every table has been copied (:func:`publish`: one transaction on DuckDB and PostgreSQL),
    so a failure leaves the destination as it was. Tables the source lacks are left alone."""
    import time

    import pyarrow as pa
    from tqdm import tqdm

    src, dst = resolve_url(src), resolve_url(dst)
    if absolute_url(src) == absolute_url(dst):
        raise ConfigError(_("store copy: the source and the destination are the same store ({url})",
                            url=redact_url(src)))
    if url_family(src) == url_family(dst) == "pyspark":
        raise ConfigError(_("store copy: copying between two Spark stores runs in Spark itself (e.g. "
                            "CREATE TABLE ... AS SELECT); leadlab copies into or out of Spark"))
    t0 = time.perf_counter()
    source = open_read_only(src)
    try:
        names = [n for n in TABLES if has_table(source, n)]
        if not names:
            raise StoreError(_("store {url} holds none of leadlab's tables; fill it with `leadlab synth` or "
                               "`leadlab ingest` first", url=redact_url(src)))
        sizes = {n: int(source.table(n).count().to_pyarrow().as_py()) for n in names}
        target = connect(dst)
        moves: dict[str, str] = {}
        copied: dict[str, int] = {}
        bar = tqdm(total=sum(sizes.values()), unit="row", unit_scale=True, disable=not progress, desc="copy")
        spark = family(target) == "pyspark"  # Spark: the first batch creates the table (one job, not two)
        try:
            for name in names:
                t = source.table(name)
                schema = t.schema()
                staging = f"_leadlab_copy_{name}_{os.getpid()}"
                if not spark:
                    create_empty(target, staging, schema)
                moves[staging] = name
                copied[name] = 0
                for batch in read_batches(source, t, chunk_rows):
                    if batch.num_rows:
                        data = pa.Table.from_batches([batch])
                        if spark and not copied[name]:
                            target.create_table(staging, _spark_frame(target, _canonical_arrow(data, schema)),
                                                overwrite=True)
                        else:
                            append_arrow(target, staging, data, schema)
                        copied[name] += batch.num_rows
                        bar.update(batch.num_rows)
                if spark and not copied[name]:
                    create_empty(target, staging, schema)
            publish(target, moves)
        except BaseException:
            for staging in moves:
                with contextlib.suppress(Exception):
                    target.drop_table(staging, force=True)
            raise
        finally:
            bar.close()
            disconnect(target)
    finally:
        disconnect(source)
    return CopyResult(copied, time.perf_counter() - t0)
