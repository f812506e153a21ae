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

>>> import pandas as pd
>>> t = as_table(pd.DataFrame({"arm": ["A", "B", "B"], "y": [1, 0, 1]}))
>>> int(t.y.sum().to_pyarrow().as_py())
2
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import ibis

if TYPE_CHECKING:  # pandas is imported where a DataFrame is used (keeps `leadlab ingest` startup short)
    import pandas as pd
from leadlab.errors import ConfigError, StoreError
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
        return ibis.connect(url)
    except (StoreError, ConfigError):
        raise
    except Exception as exc:  # the driver's message may echo the URL or parts of it: scrub them
        msg = scrub(str(exc), url)
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
