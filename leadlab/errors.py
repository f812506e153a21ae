"""The one exception family of leadlab.

Every error a user can cause derives from :class:`LeadlabError`. The CLI prints
``error: <message>`` (plus ``details``), exits with :attr:`LeadlabError.exit_code`
and never shows a traceback for these.

>>> try:
...     raise DataError("calls.csv, row 3, column talk_seconds: must be >= 0")
... except LeadlabError as exc:
...     print(exc.exit_code, exc)
2 calls.csv, row 3, column talk_seconds: must be >= 0
"""

from __future__ import annotations


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
