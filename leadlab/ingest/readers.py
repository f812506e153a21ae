"""Read an export file (CSV, Excel, Parquet) into a DuckDB relation of text columns.

Every column arrives as VARCHAR (types are checked later, in SQL, so a bad cell
becomes a finding with its row number rather than a crash), plus ``_row``: the
1-based data row as in the file (the header is not counted; in a CSV without
multi-line fields the line number is ``_row + 1``).

Header names are kept in :attr:`RawFile.columns` exactly as the file has them
(after the checks of :mod:`leadlab.ingest.headers`); in SQL the columns are
``_c1``, ``_c2``, ... (:meth:`RawFile.ident`), so no header text is ever part
of a SQL statement. File paths reach SQL as DuckDB parameters or sqlglot string
literals.

Encodings (CSV): see :mod:`leadlab.ingest.decode` — strict, whole-file, and
no decoded copy on disk.

>>> import duckdb, tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "reps.csv"
>>> _ = p.write_bytes("rep_id,team\\nR001,北区\\n".encode("gb18030"))
>>> raw = read_file(p, duckdb.connect())
>>> raw.encoding, raw.columns, raw.n_rows, raw.ident("team")
('gb18030', ['rep_id', 'team'], 1, '_c2')
>>> raw.close()
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import sqlglot.expressions as sge

from leadlab.errors import DataError, file_detail, location, row_label
from leadlab.i18n import _
from leadlab.ingest.context import qi
from leadlab.ingest.decode import DecodedText, normalize_encoding, open_source, open_text
from leadlab.ingest.headers import check_header, idents

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
SUPPORTED = CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES
DELIMITERS = (",", ";", "\t", "|")


@dataclass
class RawFile:
    """A file loaded as text columns (``_c1`` ...) plus ``_row`` into a DuckDB temp relation ``table``."""

    path: Path
    format: str  # csv | excel | parquet
    encoding: str | None
    table: str
    columns: list[str]  # header names as in the file
    n_rows: int
    line_offset: int | None = None  # CSV: line = _row + offset when exact; Excel: sheet row of the header
    notes: list[str] = field(default_factory=list)
    detected: bool = False  # the encoding was detected (not given)
    delim: str = ","
    idents: list[str] = field(default_factory=list)  # SQL column names, parallel to columns
    handle: DecodedText | None = None  # keeps the file a view reads open

    def close(self) -> None:
        """Release the file a CSV view reads (call when the relation is no longer used)."""
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def ident(self, header: str) -> str:
        """The SQL column name standing for the file column ``header``."""
        return self.idents[self.columns.index(header)]

    def where(self, row: int) -> str:
        """``row 3 (line 4)`` / ``row 3 (sheet row 4)``: how a user finds a data row."""
        if self.format == "csv" and self.line_offset is not None:
            return row_label(row, line=row + self.line_offset)
        if self.format == "excel":
            return row_label(row, sheet_row=row + (self.line_offset or 1))
        return row_label(row)


def _lit(value: str) -> str:
    """A SQL string literal (sqlglot quoting) for text that cannot be a parameter (a view body)."""
    return sge.Literal.string(value).sql("duckdb")


def sniff_header(source: str | Path, path: Path, *, tsv: bool = False) -> tuple[str, list[str]]:
    """(delimiter, header names) of a UTF-8 CSV: the candidate delimiter giving the most header
    fields; the names pass :func:`~leadlab.ingest.headers.check_header`."""
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
    if not any(n.strip() for n in names):
        raise DataError(_("{file}: the first line is empty; expected a header line with column names", file=path.name),
                        details=[file_detail(path)])
    return delim, check_header(names, path)


def _csv_error(path: Path, message: str, n_fields: int, delim: str) -> str:
    """A short CSV parse error naming the line, without echoing the line (it may hold personal data)."""
    line = re.search(r"CSV Error on Line: (\d+)", message)  # DuckDB's (English) error text, parsed for facts
    found = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    shown = _("tab") if delim == "\t" else repr(delim)
    if found and int(found.group(2)) > n_fields:
        why = _("expected {n} fields like the header, found more (separator {separator}; quote fields that "
                "contain it)", n=str(n_fields), separator=shown)
    elif found:
        why = _("expected {n} fields like the header, found fewer (separator {separator}; quote fields that "
                "contain it)", n=str(n_fields), separator=shown)
    elif "unterminated quote" in message.lower():
        why = _("a quoted field is not closed (a \" without its closing \")")
    elif "unicode" in message.lower() or "utf-8" in message.lower() or "utf8" in message.lower():
        why = _("not valid UTF-8 (did the file change while it was read?)")
    else:
        why = message.splitlines()[0][:200] if message else _("a malformed line")
    where = location(path.name, _("line {line}", line=line.group(1))) if line else location(path.name)
    return _("{where}: cannot be read as CSV: {why}", where=where, why=why)


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {qi(table)}").fetchone()[0]


def _empty(path: Path) -> DataError:
    return DataError(_("{file} is empty: it has a header but no data rows", file=path.name), details=[file_detail(path)])


def _read_csv(path: Path, con: duckdb.DuckDBPyConnection, table: str, encoding: str | None) -> RawFile:
    text: DecodedText = open_text(path, encoding)
    keep = False
    try:
        delim, names = sniff_header(text.source, path, tsv=path.suffix.lower() == ".tsv")
        cols = idents(len(names))
        struct = "{" + ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in cols) + "}"
        # A UTF-8 file is read through a view (parsed again when typed: cheaper than storing all
        # text); decoded text lives in an anonymous memory file closed below, so it is materialized.
        kind = "TABLE" if text.in_memory else "VIEW"
        sql = (
            f"CREATE OR REPLACE TEMP {kind} {qi(table)} AS SELECT * EXCLUDE (ordinality), "
            f"CAST(ordinality AS BIGINT) AS _row FROM read_csv({_lit(text.source)}, auto_detect = false, "
            f"header = true, delim = {_lit(delim)}, quote = '\"', escape = '\"', columns = {struct}) "
            "WITH ORDINALITY"
        )
        try:
            con.execute(sql)
            n_rows = _count(con, table)  # parses: errors surface here
        except duckdb.Error as exc:
            raise DataError(_csv_error(path, str(exc), len(names), delim), details=[file_detail(path)]) from None
        if n_rows == 0:
            raise _empty(path)
        keep = kind == "VIEW"  # the view reads the file again: keep it open until the ingest ends
    finally:
        if not keep:
            text.close()
    # line = row + 1 holds when every record is one line (no quoted newlines) and no blank lines were skipped
    line_offset = 1 if text.n_lines == n_rows + 1 else None
    return RawFile(path, "csv", text.encoding, table, names, n_rows, line_offset, detected=encoding is None,
                   delim=delim, idents=cols, handle=text if keep else None)


def cell_text(value: object) -> str | None:
    """An Excel cell as the text a CSV export would hold (dates ISO, whole numbers without .0).

    >>> cell_text(3.0), cell_text(2.5), cell_text(True), cell_text(dt.datetime(2026, 1, 31, 14, 5))
    ('3', '2.5', 'true', '2026-01-31 14:05:00')
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _read_excel(path: Path, con: duckdb.DuckDBPyConnection, table: str) -> RawFile:
    import openpyxl
    import pyarrow as pa

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise DataError(_("{file}: cannot be read as an Excel workbook ({reason})", file=path.name,
                                  reason=type(exc).__name__),
                        details=[file_detail(path)]) from None
    try:
        sheet = book.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):  # some writers declare a wrong used range (e.g. A1:A1)
            sheet.reset_dimensions()
        first = 1
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        while header is not None and all(v is None for v in header):
            header, first = next(rows, None), first + 1
        if header is None:
            raise DataError(_("{file}: the first sheet is empty; expected a header row and data rows", file=path.name),
                            details=[file_detail(path)])
        names = check_header(list(header), path)
        columns: list[list[str | None]] = [[] for _ in names]
        numbers: list[int] = []
        for offset, values in enumerate(rows, start=1):
            if all(v is None for v in values):
                continue  # an empty sheet row
            if len(values) > len(names) and any(v is not None for v in values[len(names):]):
                raise DataError(_("{where}: a cell right of the last header column holds a value; give that "
                                  "column a header or clear it",
                                  where=location(path.name, row_label(offset, sheet_row=first + offset))),
                                details=[file_detail(path)])
            for i, column in enumerate(columns):
                column.append(cell_text(values[i]) if i < len(values) else None)
            numbers.append(offset)
    except DataError:
        raise
    except Exception as exc:
        raise DataError(_("{file}: cannot be read as an Excel workbook ({reason})", file=path.name,
                                  reason=type(exc).__name__),
                        details=[file_detail(path)]) from None
    finally:
        book.close()
    if not numbers:
        raise _empty(path)
    cols = idents(len(names))
    arrow = pa.table({**{c: pa.array(v, pa.string()) for c, v in zip(cols, columns)},
                      "_row": pa.array(numbers, pa.int64())})
    con.register("_leadlab_excel_src", arrow)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {qi(table)} AS SELECT * FROM _leadlab_excel_src")
    finally:
        con.unregister("_leadlab_excel_src")
    return RawFile(path, "excel", None, table, names, len(numbers), first, idents=cols)


def _read_parquet(path: Path, con: duckdb.DuckDBPyConnection, table: str) -> RawFile:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as exc:
        raise DataError(_("{file}: cannot be read as Parquet ({reason})", file=path.name, reason=type(exc).__name__),
                        details=[file_detail(path)]) from None
    names = check_header(list(schema.names), path)
    cols = idents(len(names))
    casts = ", ".join(f"CAST(#{i} AS VARCHAR) AS {qi(c)}" for i, c in enumerate(cols, start=1))
    fd, source = open_source(path)  # not the path: DuckDB would expand * ? [ ] in it
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {qi(table)} AS SELECT {casts}, CAST(ordinality AS BIGINT) AS _row "
                    "FROM read_parquet(?) WITH ORDINALITY", [source])
    except duckdb.Error as exc:
        raise DataError(_("{file}: cannot be read as Parquet ({reason})", file=path.name, reason=type(exc).__name__),
                        details=[file_detail(path)]) from None
    finally:
        if fd is not None:
            os.close(fd)
    n_rows = _count(con, table)
    if n_rows == 0:
        raise _empty(path)
    return RawFile(path, "parquet", None, table, names, n_rows, idents=cols)


def recover(raw: RawFile, exc: Exception, con: duckdb.DuckDBPyConnection) -> RawFile:
    """A CSV read through a view is parsed again when typed; an error found only then becomes a
    DataError naming the line (the file is never re-read in another encoding)."""
    if raw.format != "csv":
        raise DataError(_("{file}: cannot be read as {format} ({reason})", file=raw.path.name, format=raw.format,
                          reason=type(exc).__name__),
                        details=[file_detail(raw.path)]) from None
    raise DataError(_csv_error(raw.path, str(exc), len(raw.columns), raw.delim), details=[file_detail(raw.path)]) from None


def read_file(path: str | Path, con: duckdb.DuckDBPyConnection, *, encoding: str | None = None,
              table: str = "_leadlab_raw") -> RawFile:
    """Load ``path`` into the temp relation ``table`` of ``con`` (text columns + ``_row``)."""
    path = Path(path)
    if not path.exists():
        raise DataError(_("{path}: no such file", path=str(path)))
    if path.is_dir():
        raise DataError(_("{path}: is a folder, not a file", path=str(path)))
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise DataError(
            _("{file}: unsupported file type {suffix}; use CSV ({csv}), Excel ({excel}) or Parquet ({parquet})",
              file=path.name, suffix=suffix or _("(none)"), csv=", ".join(CSV_SUFFIXES),
              excel=", ".join(EXCEL_SUFFIXES), parquet=", ".join(PARQUET_SUFFIXES))
        )
    if path.stat().st_size == 0:
        raise DataError(_("{file} is empty (0 bytes): expected a header line and data rows", file=path.name),
                        details=[file_detail(path)])
    if encoding and suffix not in CSV_SUFFIXES:
        normalize_encoding(encoding)  # still reject nonsense names
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, con, table, encoding)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, con, table)
    return _read_parquet(path, con, table)
