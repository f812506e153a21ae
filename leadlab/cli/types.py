"""Click parameter types that refuse a bad value before any work starts.

A refused value gives one line naming the option, the value and the accepted formats
(click adds the option name: ``Invalid value for '--as-of': ...``), never a traceback.

>>> import click
>>> from click.testing import CliRunner
>>> @click.command()
... @click.option("--as-of", type=AS_OF)
... def cmd(as_of):
...     click.echo(as_of)
>>> CliRunner().invoke(cmd, ["--as-of", "2026-10-01 18:30"]).output
'2026-10-01 18:30:00\\n'
>>> "YYYY-MM-DD" in CliRunner().invoke(cmd, ["--as-of", "yesterday"]).output
True
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import click

from leadlab.errors import ConfigError
from leadlab.i18n import N_, _, translate

#: The sentences of this module (message ids), filled from facts with :func:`leadlab.i18n.translate`.
TEXT = {
    "as_of": N_("cannot read {value} as a date-time; use YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS] (e.g. 2026-10-01 or "
                "2026-10-01 18:30), in the store's business time without a zone offset"),
    "period": N_("cannot read {value} as a period; use one of {formats}"),
    "number": N_("{value} is not a number"),
    "table_suffix": N_("cannot write {name}: unknown file type {suffix}; use {formats}"),
    "table_dir": N_("{path} is a folder; give a file name ending in {formats}"),
    "table_folder": N_("cannot write {path}: the folder {folder} does not exist"),
    "finite": N_("must be a finite number, got {value}"),
}


_AS_OF = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?")


class AsOf(click.ParamType):
    """A point in time: ``YYYY-MM-DD`` (midnight) or ``YYYY-MM-DD HH:MM[:SS]``; returns a naive datetime."""

    name = "datetime"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM-DD[ HH:MM]"

    def convert(self, value, param, ctx) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        text = str(value).strip()
        if _AS_OF.fullmatch(text):
            try:
                return dt.datetime.fromisoformat(text)
            except ValueError:
                pass
        self.fail(translate(TEXT["as_of"], value=repr(str(value))), param, ctx)


class PeriodText(click.ParamType):
    """A reporting period (2026-10, 2026-W46, 2026-Q4, 2026, 2026-11-02, last-month, ...), checked
    for its form; returned as given, since ``last-*`` is resolved later against the store."""

    name = "period"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "PERIOD"

    def convert(self, value, param, ctx) -> str:
        from leadlab.periods import FORMATS, parse_period

        text = str(value).strip()
        try:
            parse_period(text, as_of="2000-01-01")  # the form only; relative periods resolve later
        except ConfigError:
            self.fail(translate(TEXT["period"], value=repr(str(value)), formats=FORMATS), param, ctx)
        return text


class FiniteFloat(click.ParamType):
    """A float that is neither NaN nor infinite (``float`` accepts both, and they fail later, deep inside)."""

    name = "number"

    def convert(self, value, param, ctx) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(translate(TEXT["number"], value=repr(value)), param, ctx)
        if not math.isfinite(number):
            self.fail(translate(TEXT["finite"], value=repr(str(value))), param, ctx)
        return number


class TableFile(click.ParamType):
    """A CSV/TSV/XLSX file leadlab will write (:mod:`leadlab.tabular`): known suffix, existing folder,
    checked before any work starts."""

    name = "file"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "FILE.csv|.tsv|.xlsx"

    def convert(self, value, param, ctx) -> Path:
        from leadlab.tabular import FORMATS

        path = Path(value)
        formats = ", ".join(FORMATS)
        if path.is_dir():
            self.fail(translate(TEXT["table_dir"], path=str(path), formats=formats), param, ctx)
        if path.suffix.lower() not in FORMATS:
            self.fail(translate(TEXT["table_suffix"], name=repr(path.name), suffix=path.suffix or _("(none)"), formats=formats),
                      param, ctx)
        if not path.parent.is_dir():
            self.fail(translate(TEXT["table_folder"], path=str(path), folder=str(path.parent)), param, ctx)
        return path


AS_OF = AsOf()
TABLE_FILE = TableFile()
FINITE = FiniteFloat()
PERIOD = PeriodText()
