"""The one exception family of leadlab.

Every error a user can cause derives from :class:`LeadlabError`. The CLI prints
``error: <message>`` (plus ``details``), exits with :attr:`LeadlabError.exit_code`
and never shows a traceback for these.

Messages are written in the current language when the error is raised
(:func:`leadlab.i18n._`); a data error starts with where the problem is —
:func:`location` and :func:`row_label` give that prefix in both languages::

>>> from leadlab.i18n import use_lang
>>> try:
...     raise DataError(location("calls.csv", row_label(3), "talk_seconds") + ": must be >= 0")
... except LeadlabError as exc:
...     print(exc.exit_code, exc)
2 calls.csv, row 3, column talk_seconds: must be >= 0
>>> with use_lang("zh"):
...     location("leads.csv", row_label(12), "phone"), location("leads.csv", row_label(3, line=4))
('文件 leads.csv 第 12 行，列 phone', '文件 leads.csv 第 3 行（文件第 4 行）')
"""

from __future__ import annotations


def row_label(row: int, *, line: int | None = None, sheet_row: int | None = None) -> str:
    """A data row as a user finds it: ``row 3``, ``row 3 (line 4)`` (CSV), ``row 3 (sheet row 4)``
    (Excel) / ``第 3 行``, ``第 3 行（文件第 4 行）``, ``第 3 行（工作表第 4 行）``."""
    from leadlab.i18n import _

    if line is not None:
        return _("row {row} (line {line})", row=str(row), line=str(line))
    if sheet_row is not None:
        return _("row {row} (sheet row {sheet_row})", row=str(row), sheet_row=str(sheet_row))
    return _("row {row}", row=str(row))


def file_detail(path: object) -> str:
    """The detail line naming the full path of the file an error is about: ``file: …`` / ``文件：…``."""
    from leadlab.i18n import _

    return _("file: {path}", path=str(path))


def location(file: str | None = None, row: str | None = None, column: str | None = None) -> str:
    """Where a data error is, in the current language: ``leads.csv, row 12, column phone`` /
    ``文件 leads.csv 第 12 行，列 phone``. ``row`` is a :func:`row_label`; any part may be left out."""
    from leadlab.i18n import _, pgettext

    if file is None:
        if row is not None and column is not None:
            return _("{row}, column {column}", row=row, column=column)
        return row if row is not None else (_("column {column}", column=column) if column is not None else "")
    if row is not None and column is not None:
        return _("{file}, {row}, column {column}", file=file, row=row, column=column)
    if row is not None:
        return _("{file}, {row}", file=file, row=row)
    if column is not None:
        return _("{file}, column {column}", file=file, column=column)
    return pgettext("error location", "{file}", file=file)


class LeadlabError(Exception):
    """Base class of every error leadlab raises on purpose.

    ``details`` holds extra lines (e.g. the first offending rows) that the CLI
    prints under the one-line message.
    """

    exit_code = 2

    def __init__(self, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = list(details or [])

    def __str__(self) -> str:
        return self.message


class DataError(LeadlabError):
    """Input data breaks a rule: names the file, row(s), column and rule."""


class ConfigError(LeadlabError):
    """A parameter, option, mapping or targets file is wrong."""


class StoreError(LeadlabError):
    """The store cannot be reached or lacks a table."""


class ModelError(LeadlabError):
    """A model file is missing, from another version, or untrusted."""


class ReportError(LeadlabError):
    """A report notebook failed or could not be published."""

    exit_code = 1


class InsufficientDataError(DataError):
    """Too little data for a sound result (e.g. too few positives to train)."""
