"""The one place where leadlab writes CSV and XLSX files for people (and reads a column of ids).

Every cell comes from data or parameters, so every cell is hostile:

* **Formula injection (OWASP, CWE-1236).** A *text* cell starting with ``=``, ``+``, ``-``,
  ``@``, tab, carriage return, line feed or NUL (and, as defence in depth, the full-width
  ``＝ ＋ － ＠`` an East-Asian IME types) is prefixed with a single quote ``'`` so Excel,
  LibreOffice and Sheets show it as text instead of running it. Numbers are decided by the
  column's *type*, never by how a text looks: an int/float/bool column is written as numbers
  (``-3.5`` stays a number, unquoted in CSV, numeric in XLSX); a text cell ``"-3.5"`` is text
  and is neutralised to ``'-3.5`` (OWASP: neutralise text; an id column that looks numeric
  should stay text in a spreadsheet anyway). Column names get the same rule. A missing value
  or a non-finite number (a spreadsheet has no NaN or infinity) is an empty cell.
* **XLSX** (chosen by the ``.xlsx`` suffix) has its header row frozen and columns as wide as their
  text (a CJK character counts two; :func:`_widths`), for people. Strings are written as strings (``data_type 's'``), so openpyxl never marks them as
  formulas; characters XML cannot hold (control characters) are refused with the row and column
  rather than silently changed (a CSV can carry them); a literal ``_xHHHH_`` is escaped as
  ``_x005F_xHHHH_`` so Excel shows it as typed instead of decoding it (``_x003D_`` would show
  ``=``). A carriage return inside a text cell reads back as a line feed (an XML rule).
* **CSV** is UTF-8. The byte-order mark (BOM) follows one rule, :func:`default_bom`: *on when the
  current language is Chinese*, off otherwise; ``bom=True/False`` (CLI ``--bom/--no-bom``)
  overrides it. Excel on Chinese Windows opens a BOM-less CSV in the ANSI code page (GBK) and
  garbles 张伟; with the BOM it reads UTF-8. Without a BOM the file is plain UTF-8, which tools
  (``cut``, dialer imports, ``csv`` readers) expect. leadlab's readers accept both. Lines end in
  CRLF (RFC 4180); fields are quoted only when needed. Standard output never gets a BOM.
* **Atomic**: a temporary file in the target folder, flushed and fsynced, then renamed over
  the target; on any error the temporary file is removed and the old file stays. The file
  mode follows the umask, like any file a user creates.

>>> neutralise("=HYPERLINK(\\"http://x\\",\\"y\\")"), neutralise("-2+3"), neutralise("张伟")
('\\'=HYPERLINK("http://x","y")', "'-2+3", '张伟')
>>> import pandas as pd
>>> cells(pd.DataFrame({"id": ["@SUM(A1)", "L1"], "score": [-3.5, float("nan")]}))
(['id', 'score'], [["'@SUM(A1)", -3.5], ['L1', None]])
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import math
import os
import re
import sys
import tempfile
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import IO, Iterator

import numpy as np
import pandas as pd

from leadlab.errors import ConfigError, DataError
from leadlab.i18n import _, fmt, ngettext

#: First characters that make a spreadsheet read a text cell as a formula (OWASP + ASVS 1.2.10),
#: plus their full-width forms.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "\uff1d", "\uff0b", "\uff0d", "\uff20")
#: File suffix -> format.
FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".xlsx": "xlsx"}
XLSX_MAX_ROWS = 1_048_576  # including the header row
CSV_ENCODING = "utf-8-sig"  # with a BOM; "utf-8" without

def neutralise(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _cell(value: object) -> object:
    """One cell as a spreadsheet should hold it: None (empty), a number, a date-time or neutralised text."""
    if type(value) is str:  # the common case first
        return "'" + value if value.startswith(FORMULA_TRIGGERS) else value
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:  # openpyxl cannot store an offset: keep it, as ISO text
            return value.isoformat(sep=" ")
        return value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return neutralise(value)
    return neutralise(str(value))


def cells(frame: pd.DataFrame) -> tuple[list[str], list[list[object]]]:
    """(header, rows) of ``frame`` with every cell made safe for a spreadsheet."""
    header = [neutralise(str(c)) for c in frame.columns]
    columns = [[_cell(v) for v in frame.iloc[:, i].astype(object).tolist()] for i in range(frame.shape[1])]
    return header, [list(r) for r in zip(*columns)] if columns else []


def _format_of(path: Path, option: str) -> str:
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ConfigError(_("option {option}: cannot write {name}: unknown file type {suffix}; use {formats}",
                            option=option, name=repr(path.name), suffix=path.suffix or _("(none)"),
                            formats=", ".join(FORMATS)))
    return kind


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: Path, *, option: str) -> Iterator[Path]:
    """A temporary path beside ``path``; renamed over ``path`` when the block ends without error,
    removed otherwise. OSErrors become a ConfigError naming ``option`` and the path."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(_("option {option}: {path} is a folder; give a file name ending in {formats}",
                            option=option, path=str(path), formats=", ".join(FORMATS)))
    folder = path.parent
    if not folder.is_dir():
        raise ConfigError(_("option {option}: cannot write {path}: the folder {folder} does not exist",
                            option=option, path=str(path), folder=str(folder)))
    tmp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
        os.close(fd)
        tmp = Path(name)
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise ConfigError(_("option {option}: cannot write {path}: {reason}; nothing was written",
                            option=option, path=str(path), reason=str(exc.strerror or exc))) from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def _csv_rows(stream: IO[str], header: list[str], rows: list[list[object]], delimiter: str) -> None:
    writer = csv.writer(stream, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)


def write_csv_stream(frame: pd.DataFrame, stream: IO[str] | None = None, *, delimiter: str = ",") -> None:
    """Write ``frame`` as CSV to a text stream (default: standard output), cells neutralised, no BOM."""
    header, rows = cells(frame)
    _csv_rows(stream if stream is not None else sys.stdout, header, rows, delimiter)


_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_OOXML_ESCAPE = re.compile(r"(_x[0-9A-Fa-f]{4}_)")


def _xlsx_text(value: str) -> str:
    """A literal ``_xHHHH_`` escaped as Excel itself writes it (``_x005F_xHHHH_``): Excel decodes the
    OOXML escape in strings, so ``_x003D_`` would otherwise show as ``=``."""
    return _OOXML_ESCAPE.sub(r"_x005F\1", value) if "_x" in value else value


def _widths(header: list[str], rows: list[list[object]], sample: int = 500) -> list[float]:
    """Column widths (in characters; a CJK character counts two) that fit the header and the first
    ``sample`` rows, between 8 and 50.

    >>> _widths(["线索编号", "score"], [["L0001", 57.3]])
    [10.0, 8.0]
    """
    def width(value: object) -> int:
        if value is None:
            return 0
        text = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else str(value)
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    out = []
    for i, name in enumerate(header):
        widest = max([width(name), *(width(r[i]) for r in rows[:sample])])
        out.append(float(min(max(widest + 2, 8), 50)))
    return out


def _write_xlsx(tmp: Path, header: list[str], rows: list[list[object]], name: str, sheet: str) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    for r, row in enumerate([header, *rows], start=1):  # refuse before a workbook exists
        for i, v in enumerate(row):
            if type(v) is str and (bad := _XML_ILLEGAL.search(v)):
                raise DataError(_("{name}, row {row}, column {column}: the text holds a control character ({char}) that "
                                  "an XLSX file cannot store; write a .csv instead or clean the value", name=name,
                                  row=str(r), column=repr(header[i]), char=f"U+{ord(bad.group()):04X}"))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.freeze_panes = "A2"  # the header stays in view while a rep scrolls
    for i, width in enumerate(_widths(header, rows), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width

    def text(value: str) -> object:
        # openpyxl stores a str as a string cell (data_type 's') unless it starts with "=": after
        # neutralise() none does, but a formula cell is made impossible here, not just unlikely
        value = _xlsx_text(value)
        if not value.startswith("="):
            return value
        c = WriteOnlyCell(ws, value=value)  # pragma: no cover - neutralise() prefixes every "="
        c.data_type = "s"
        return c

    ws.append([text(h) for h in header])
    for row in rows:
        ws.append([text(v) if type(v) is str else v for v in row])
    wb.save(tmp)


def default_bom() -> bool:
    """Whether a CSV gets a UTF-8 BOM when the caller does not say: yes when the current language
    is Chinese (Excel on Chinese Windows needs it to read UTF-8), no otherwise.

    >>> from leadlab.i18n import use_lang
    >>> with use_lang("zh"):
    ...     zh = default_bom()
    >>> with use_lang("en"):
    ...     en = default_bom()
    >>> zh, en
    (True, False)
    """
    from leadlab.i18n import get_lang

    return get_lang() == "zh"


def write_table(frame: pd.DataFrame, path: str | Path, *, option: str = "--out", sheet: str = "leadlab",
                bom: bool | None = None) -> Path:
    """Write ``frame`` to ``path`` (.csv/.txt: CSV, .tsv: tab-separated, .xlsx: Excel; the suffix
    decides), cells neutralised, atomically. ``bom``: a UTF-8 BOM at the start of a CSV/TSV
    (None: :func:`default_bom`, i.e. on in Chinese); XLSX has no BOM. ConfigError naming
    ``option`` for a bad path; nothing half-written."""
    path = Path(path)
    kind = _format_of(path, option)
    header, rows = cells(frame)
    if kind == "xlsx" and len(rows) + 1 > XLSX_MAX_ROWS:
        raise ConfigError(_("option {option}: {rows} rows do not fit in an XLSX sheet (at most {limit}); write a "
                            ".csv instead", option=option, rows=fmt.number(len(rows)),
                            limit=fmt.number(XLSX_MAX_ROWS - 1)))
    with atomic_path(path, option=option) as tmp:
        if kind == "xlsx":
            _write_xlsx(tmp, header, rows, path.name, sheet)
        else:
            encoding = CSV_ENCODING if (default_bom() if bom is None else bom) else "utf-8"
            with open(tmp, "w", encoding=encoding, newline="") as fh:
                _csv_rows(fh, header, rows, "\t" if kind == "tsv" else ",")
    return path


# -- reading a table or a column of ids (ab assign, capacity files) through the ingest readers -------------------


def _char(text: str) -> str | None:
    """The first control/format character of ``text`` as ``U+XXXX``, or None."""
    if text.isprintable():  # fast path: no Cc/Cf/Zl/Zp character (isprintable is stricter, never looser)
        return None
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            return f"U+{ord(ch):04X}"
    return None


def _id_problem(file: str, where: str, column: str, char: str | None) -> str:
    if char is None:
        return _("{file}, {where}, column {column}: empty unit id (every row needs one)", file=file, where=where,
                 column=repr(column))
    return _("{file}, {where}, column {column}: the unit id holds a control character ({char}); unit ids must be "
             "printable text", file=file, where=where, column=repr(column), char=char)


def _show_columns(columns: list[str], limit: int = 20) -> str:
    shown = ", ".join(repr(c) for c in columns[:limit])
    if len(columns) <= limit:
        return shown
    return _("{columns} (and {n} more)", columns=shown, n=fmt.number(len(columns) - limit))


def read_table(path: str | Path, columns: list[str] | None = None, *, encoding: str | None = None,
               option: str = "--column") -> tuple[pd.DataFrame, object]:
    """(text frame, :class:`leadlab.ingest.readers.RawFile`) of a CSV (UTF-8, UTF-8 with BOM,
    GB18030/GBK), XLSX or Parquet file, decoded exactly as ``leadlab ingest`` decodes it. The
    frame holds ``columns`` (default: all) under their header names, as text, in file order;
    ``RawFile.where(i)`` names data row ``i`` (the frame's index) for messages. Bad files give the
    ingest readers' DataError; an unknown column a ConfigError naming ``option``."""
    import duckdb
    import sqlglot.expressions as sge

    from leadlab.ingest import readers

    def q(name: str) -> str:
        return sge.to_identifier(name, quoted=True).sql(dialect="duckdb")

    path = Path(path)
    con = duckdb.connect()
    try:
        raw = readers.read_file(path, con, encoding=encoding, table="_leadlab_table")
        wanted = list(raw.columns) if columns is None else list(columns)
        for name in wanted:
            if name not in raw.columns:
                raise ConfigError(_("{file}: column {column} not found (parameter {option}); columns: {columns}",
                                                     file=path.name, column=repr(name), option=option,
                                                     columns=_show_columns(raw.columns)))

        def fetch(raw) -> pd.DataFrame:
            # the readers name SQL columns _c1, _c2, ... (RawFile.ident); older readers used the header
            sql = [raw.ident(n) if hasattr(raw, "ident") else n for n in wanted]
            picked = ", ".join(f"{q(c)} AS {q(f'_v{i}')}" for i, c in enumerate(sql))
            frame = con.execute(f"SELECT {picked}, _row FROM {q(raw.table)} ORDER BY _row").df()
            frame = frame.set_index("_row").rename_axis(None)
            frame.columns = wanted
            return frame.astype(object).where(frame.notna(), None)

        try:
            frame = fetch(raw)
        except duckdb.Error as exc:  # a CSV read through a view is parsed here: let the readers explain
            raw = readers.recover(raw, exc, con)
            frame = fetch(raw)
    finally:
        con.close()
    return frame, raw


def read_ids(path: str | Path, column: str | None = None, *, encoding: str | None = None,
             option: str = "--column") -> tuple[str, list[str]]:
    """(column name, stripped ids in file order) of one column (default: the first) of a file
    :func:`read_table` reads. DataError naming the file, row and column for an empty id or a
    control character; ConfigError for an unknown column."""
    path = Path(path)
    frame, raw = read_table(path, None if column is None else [column], encoding=encoding, option=option)
    name, ids, _rows = checked_ids(frame.iloc[:, :1], raw, path)
    return name, ids


def checked_ids(frame: pd.DataFrame, raw, path: Path) -> tuple[str, list[str], list[int]]:
    """(column name, stripped ids, their data rows) of the first column of a :func:`read_table`
    frame. DataError naming the file, row and column for an empty id or a control character."""
    name = str(frame.columns[0])
    ids: list[str] = []
    rows: list[int] = []
    bad: list[str] = []
    for row, value in zip(frame.index.tolist(), frame.iloc[:, 0].tolist()):
        text = (value or "").strip()
        char = _char(text) if text else None
        if not text or char:
            bad.append(_id_problem(path.name, raw.where(int(row)), name, char))
            continue
        ids.append(text)
        rows.append(int(row))
    if bad:
        details = bad[1:5]
        if len(bad) > 5:
            details.append(ngettext("and {n} more row breaks the same rule", "and {n} more rows break the same rule",
                                    len(bad) - 5, n=fmt.number(len(bad) - 5)))
        raise DataError(bad[0], details=[*details, _("file: {path}", path=str(path))])
    return name, ids, rows


__all__ = ["FORMULA_TRIGGERS", "atomic_path", "cells", "checked_ids", "default_bom", "neutralise", "read_ids", "read_table", "write_csv_stream",
           "write_table"]
