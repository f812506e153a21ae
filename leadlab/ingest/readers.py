"""Read an export file (CSV, Excel, Parquet) into a DuckDB relation of text columns.

Every column arrives as VARCHAR (types are checked later, in SQL, so a bad cell
becomes a finding with its row number rather than a crash), plus ``_row``: the
1-based data row as in the file (the header is not counted; in a CSV without
multi-line fields the line number is ``_row + 1``).

Encodings: UTF-8, UTF-8 with BOM and GB18030/GBK are detected (BOM check, strict
UTF-8, strict GB18030, then charset-normalizer on a sample) or given. Files that
are not UTF-8 are transcoded to a temporary UTF-8 file in streaming chunks.

>>> import duckdb, tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "reps.csv"
>>> _ = p.write_bytes("rep_id,team\\nR001,北区\\n".encode("gb18030"))
>>> raw = read_file(p, duckdb.connect())
>>> raw.encoding, raw.columns, raw.n_rows
('gb18030', ['rep_id', 'team'], 1)
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from leadlab.errors import ConfigError, DataError

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
SUPPORTED = CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES
SAMPLE_BYTES = 256 * 1024
CHUNK_CHARS = 1 << 20

#: Encoding names accepted by --encoding besides any Python codec name.
ENCODING_ALIASES = {
    "utf8": "utf-8", "utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "utf8-bom": "utf-8-sig",
    "utf-8-bom": "utf-8-sig", "gbk": "gb18030", "gb2312": "gb18030", "gb18030": "gb18030",
    "cp936": "gb18030",
}


@dataclass
class RawFile:
    """A file loaded as text columns into a DuckDB temp table ``table``."""

    path: Path
    format: str  # csv | excel | parquet
    encoding: str | None
    table: str
    columns: list[str]
    n_rows: int
    line_offset: int | None = None  # line = _row + line_offset when exact (CSV), else None
    notes: list[str] = field(default_factory=list)
    detected: bool = False  # the encoding was detected (not given)
    delim: str = ","

    def where(self, row: int) -> str:
        """``row 3 (line 4)`` / ``row 3 (sheet row 4)``: how a user finds a data row."""
        if self.format == "csv" and self.line_offset is not None:
            return f"row {row} (line {row + self.line_offset})"
        if self.format == "excel":
            return f"row {row} (sheet row {row + 1})"
        return f"row {row}"


def normalize_encoding(name: str) -> str:
    """The codec to use for a user-given encoding name; ConfigError when Python does not know it.

    >>> normalize_encoding("GBK"), normalize_encoding("utf8")
    ('gb18030', 'utf-8')
    """
    key = name.strip().lower().replace("_", "-")
    if key in ENCODING_ALIASES:
        return ENCODING_ALIASES[key]
    try:
        return codecs.lookup(key).name
    except LookupError:
        raise ConfigError(
            f"unknown encoding {name!r} (--encoding); use utf-8, utf-8-sig, gb18030 (also for GBK/GB2312) "
            "or another Python codec name"
        ) from None


def _strict_ok(sample: bytes, encoding: str, final: bool) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoder.decode(sample, final=final)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path) -> str:
    """utf-8-sig / utf-8 / gb18030 / a charset-normalizer guess; DataError when nothing fits."""
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
        final = len(sample) < SAMPLE_BYTES
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    tried = ["utf-8", "gb18030"]
    if b"\x00" not in sample:
        if _strict_ok(sample, "utf-8", final):
            return "utf-8"
        if _strict_ok(sample, "gb18030", final):
            return "gb18030"
        try:
            from charset_normalizer import from_bytes

            best = from_bytes(sample).best()
        except Exception:  # pragma: no cover - detector failure is just "no guess"
            best = None
        if best is not None and best.encoding and best.chaos < 0.2:
            return codecs.lookup(best.encoding).name
        tried.append("charset-normalizer guess")
    raise DataError(
        f"{path.name}: cannot tell the file's encoding (tried {', '.join(tried)}); "
        "it may not be a text export — give it with --encoding (e.g. --encoding gb18030)",
        details=[f"file: {path}"],
    )


def transcode(path: Path, encoding: str, out_dir: Path) -> Path:
    """Copy ``path`` to a UTF-8 file in ``out_dir``, decoding ``encoding`` in streaming chunks."""
    out = out_dir / (path.stem + ".utf8.csv")
    line = 1
    with open(path, "r", encoding=encoding, errors="strict", newline="") as src, open(
        out, "w", encoding="utf-8", newline=""
    ) as dst:
        while True:
            try:
                chunk = src.read(CHUNK_CHARS)
            except UnicodeDecodeError as exc:
                raise DataError(
                    f"{path.name}: not valid {encoding} near line {line} (byte {exc.start} of a chunk): {exc.reason}; "
                    "give the right encoding with --encoding",
                    details=[f"file: {path}"],
                ) from None
            if not chunk:
                break
            line += chunk.count("\n")
            dst.write(chunk)
    return out


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


DELIMITERS = (",", ";", "\t", "|")


def sniff_header(source: Path, path: Path, *, tsv: bool = False) -> tuple[str, list[str]]:
    """(delimiter, header names) of a UTF-8 CSV: the candidate delimiter giving the most header
    fields. DataError for an empty or duplicated header name."""
    with open(source, encoding="utf-8-sig", errors="replace", newline="") as fh:
        sample = fh.read(1 << 16)
    best: tuple[str, list[str]] = (",", [])
    for d in (("\t",) if tsv else DELIMITERS):
        try:
            row = next(csv.reader(io.StringIO(sample), delimiter=d), [])
        except csv.Error:
            continue
        if len(row) > len(best[1]):
            best = (d, row)
    delim, names = best
    names = [n.strip() for n in names]
    if not any(names):
        raise DataError(f"{path.name}: the first line is empty; expected a header line with column names",
                        details=[f"file: {path}"])
    seen: dict[str, int] = {}
    for i, n in enumerate(names, start=1):
        if not n:
            names[i - 1] = n = f"_unnamed_{i}"
        if n in seen:
            raise DataError(f"{path.name}: column {n!r} appears twice in the header (columns {seen[n]} and {i}); "
                            "rename or drop one", details=[f"file: {path}"])
        seen[n] = i
    return delim, names


def _csv_error(path: Path, message: str, n_fields: int, delim: str) -> str:
    """A short CSV parse error naming the line, without echoing the line (it may hold personal data)."""
    line = re.search(r"CSV Error on Line: (\d+)", message)
    where = f", line {line.group(1)}" if line else ""
    found = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    shown = "tab" if delim == "\t" else repr(delim)
    if found:
        why = (f"expected {n_fields} fields like the header, found {'more' if int(found.group(2)) > n_fields else 'fewer'}"
               f" (separator {shown}; quote fields that contain it)")
    elif "unterminated quote" in message.lower():
        why = "a quoted field is not closed (a \" without its closing \")"
    else:
        why = message.splitlines()[0]
    return f"{path.name}{where}: cannot be read as CSV: {why}"


def _count_newlines(path: Path) -> int:
    n = 0
    last = b""
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            n += block.count(b"\n")
            last = block[-1:]
    return n + (1 if last not in (b"\n", b"") else 0)


def _finish(con: duckdb.DuckDBPyConnection, table: str, path: Path, fmt: str, encoding: str | None,
            line_offset: int | None = None, n_rows: int | None = None) -> RawFile:
    cols = [r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall() if r[0] != "_row"]
    if n_rows is None:
        n_rows = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    if n_rows == 0:
        raise DataError(f"{path.name} is empty: it has a header but no data rows", details=[f"file: {path}"])
    return RawFile(path, fmt, encoding, table, cols, n_rows, line_offset)


def _read_csv(path: Path, con: duckdb.DuckDBPyConnection, table: str, encoding: str | None) -> RawFile:
    enc = normalize_encoding(encoding) if encoding else detect_encoding(path)
    tmp_dir: Path | None = None
    source = path
    try:
        if enc not in ("utf-8", "utf-8-sig"):
            tmp_dir = Path(tempfile.mkdtemp(prefix="leadlab-ingest-"))
            source = transcode(path, enc, tmp_dir)
        elif encoding:  # given as UTF-8: check strictly so a wrong guess is reported clearly
            with open(path, "rb") as fh:
                if not _strict_ok(fh.read(SAMPLE_BYTES), "utf-8", final=os.path.getsize(path) <= SAMPLE_BYTES):
                    raise DataError(f"{path.name}: not valid UTF-8; try --encoding gb18030", details=[f"file: {path}"])
        delim, names = sniff_header(source, path, tsv=path.suffix.lower() == ".tsv")
        struct = "{" + ", ".join(f"{_sql_str(n)}: 'VARCHAR'" for n in names) + "}"
        # A UTF-8 file is read through a view (parsed again when typed: cheaper than storing all
        # text); a transcoded temp file is gone after this function, so it is materialized.
        kind = "TABLE" if tmp_dir is not None else "VIEW"
        sql = (
            f'CREATE OR REPLACE TEMP {kind} "{table}" AS SELECT * EXCLUDE (ordinality), '
            f"CAST(ordinality AS BIGINT) AS _row FROM read_csv({_sql_str(str(source))}, auto_detect = false, "
            f"header = true, delim = {_sql_str(delim)}, quote = '\"', escape = '\"', columns = {struct}) "
            "WITH ORDINALITY"
        )
        try:
            con.execute(sql)
            n_rows = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # parses: errors surface here
        except duckdb.Error as exc:
            full = str(exc)
            low = full.lower()
            if "unicode" in low or "utf-8" in low or "utf8" in low:
                if encoding is None and enc == "utf-8":  # the sample was UTF-8, a later part is not
                    return _read_csv(path, con, table, "gb18030")
                raise DataError(f"{path.name}: not valid UTF-8 text; give the encoding with --encoding",
                                details=[f"file: {path}"]) from None
            raise DataError(_csv_error(path, full, len(names), delim), details=[f"file: {path}"]) from None
        n_lines = _count_newlines(source)
        # line = row + 1 holds when every record is one line (no quoted newlines) and no blank lines were skipped
        line_offset = 1 if n_lines == n_rows + 1 else None
        raw = _finish(con, table, path, "csv", enc, line_offset, n_rows)
        raw.detected, raw.delim = encoding is None, delim
        return raw
    finally:
        if tmp_dir is not None:
            shutil.rmtree(tmp_dir, ignore_errors=True)


def _read_excel(path: Path, con: duckdb.DuckDBPyConnection, table: str) -> RawFile:
    import pandas as pd
    import pyarrow as pa

    try:
        frame = pd.read_excel(path, sheet_name=0, dtype=str, engine="openpyxl")
    except Exception as exc:
        raise DataError(f"{path.name}: cannot be read as an Excel workbook: {exc}", details=[f"file: {path}"]) from None
    frame.columns = [str(c) for c in frame.columns]
    frame = frame.dropna(how="all")
    # pandas' row index is 0-based without the header: data row = index + 1
    rows = pa.array((frame.index.to_numpy() + 1).astype("int64"))
    arrow = pa.Table.from_pandas(frame.astype("string"), preserve_index=False).append_column("_row", rows)
    con.register("_leadlab_excel_src", arrow)
    try:
        casts = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in frame.columns)
        con.execute(f'CREATE OR REPLACE TEMP TABLE "{table}" AS SELECT {casts}, _row FROM _leadlab_excel_src')
    finally:
        con.unregister("_leadlab_excel_src")
    return _finish(con, table, path, "excel", None)


def _read_parquet(path: Path, con: duckdb.DuckDBPyConnection, table: str) -> RawFile:
    try:
        names = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
        casts = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in names)
        con.execute(
            f'CREATE OR REPLACE TEMP TABLE "{table}" AS SELECT {casts}, CAST(ordinality AS BIGINT) AS _row '
            "FROM read_parquet(?) WITH ORDINALITY",
            [str(path)],
        )
    except duckdb.Error as exc:
        raise DataError(f"{path.name}: cannot be read as Parquet: {str(exc).splitlines()[0]}",
                        details=[f"file: {path}"]) from None
    return _finish(con, table, path, "parquet", None)


def recover(raw: RawFile, exc: Exception, con: duckdb.DuckDBPyConnection) -> RawFile:
    """A CSV read through a view is parsed again when typed; an error found only then (a non-UTF-8
    byte after the sample, ...) is handled here: re-read as GB18030 when the encoding was
    guessed, else a DataError naming the line."""
    full = str(exc)
    low = full.lower()
    if raw.format != "csv":
        raise exc
    if "unicode" in low or "utf-8" in low or "utf8" in low:
        if raw.detected and raw.encoding == "utf-8":
            con.execute(f'DROP VIEW IF EXISTS "{raw.table}"')
            return read_file(raw.path, con, encoding="gb18030", table=raw.table)
        raise DataError(f"{raw.path.name}: not valid UTF-8 text; give the encoding with --encoding",
                        details=[f"file: {raw.path}"]) from None
    raise DataError(_csv_error(raw.path, full, len(raw.columns), raw.delim), details=[f"file: {raw.path}"]) from None


def read_file(path: str | Path, con: duckdb.DuckDBPyConnection, *, encoding: str | None = None,
              table: str = "_leadlab_raw") -> RawFile:
    """Load ``path`` into the temp table ``table`` of ``con`` (text columns + ``_row``)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise DataError(
            f"{path.name}: unsupported file type {suffix or '(none)'}; use CSV ({', '.join(CSV_SUFFIXES)}), "
            f"Excel ({', '.join(EXCEL_SUFFIXES)}) or Parquet ({', '.join(PARQUET_SUFFIXES)})"
        )
    if path.stat().st_size == 0:
        raise DataError(f"{path.name} is empty (0 bytes): expected a header line and data rows",
                        details=[f"file: {path}"])
    if encoding and suffix not in CSV_SUFFIXES:
        normalize_encoding(encoding)  # still reject nonsense names
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, con, table, encoding)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, con, table)
    return _read_parquet(path, con, table)
