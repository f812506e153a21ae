"""The ``leadlab`` command.

Each sub-command lives in its own module of this package and is loaded lazily,
so ``leadlab --help`` stays fast. User mistakes (any :class:`LeadlabError`)
print one ``error:`` line (``错误：`` in Chinese) plus details and exit non-zero,
without a traceback.

Language: ``--lang en|zh`` on any command (``leadlab --lang zh kpi show``,
``leadlab kpi list --lang zh``), else ``$LEADLAB_LANG``, else ``lang`` in
``leadlab.toml``, else English (:mod:`leadlab.cli.lang`). It is set before any
sub-command runs, so commands just call :func:`leadlab.i18n._`.
"""

from __future__ import annotations

import importlib
import os
import sys
import unicodedata

import click

from leadlab.cli.help import HelpGroup
from leadlab.cli.lang import add_lang_option, scan_lang, translate_click
from leadlab.errors import LeadlabError
from leadlab.i18n import N_, _, resolve_lang, translate, use_lang

#: command name -> (module, attribute, one-line help: a message id, shown translated)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "ingest": ("leadlab.cli.ingest", "ingest", N_("Load a CSV/Excel/Parquet export into a canonical table (validated, pseudonymized, one transaction).")),
    "synth": ("leadlab.cli.synth", "synth", N_("Write a realistic synthetic operation with known ground truth into the store.")),
    "report": ("leadlab.cli.report", "report", N_("Run report notebooks, render them to HTML and publish them to reports/.")),
    "ab": ("leadlab.cli.ab", "ab", N_("A/B tests of call scripts: analyse, design, assign.")),
    "score": ("leadlab.cli.score", "score", N_("Lead-quality scorer: train, evaluate, apply, monitor.")),
    "kpi": ("leadlab.cli.kpi", "kpi", N_("KPIs, targets and rep scorecards for a period.")),
    "incentives": ("leadlab.cli.incentives", "incentives", N_("Incentive plans: payouts per rep with their rule, and a luck-vs-skill what-if.")),
    "qa": ("leadlab.cli.qa", "qa", N_("Call-quality review: sample calls for review, QA scores per rep, reviewer agreement.")),
    "pool": ("leadlab.cli.pool", "pool", N_("Public-pool rules: which leads return to the pool, and who should take them.")),
    "alerts": ("leadlab.cli.alerts", "alerts", N_("Alerts to e-mail, WeCom, DingTalk, Feishu or a webhook, sent once per event.")),
    "store": ("leadlab.cli.store", "store", N_("Move a store between backends (DuckDB, PostgreSQL, Spark).")),
}
#: The top-level help text in both languages (click shows the docstring; this replaces it).
CLI_HELP = N_("""leadlab: a workbench for telemarketing and inside-sales teams.

\b
Examples:
  leadlab synth --leads 20000 --seed 42
  leadlab ingest leads crm_export.csv --mapping mapping.yml
  leadlab report all --period last-month --lang zh
  leadlab ab from-counts --arm A:1000:80 --arm B:1000:95
The store is data/leadlab.duckdb unless --db or $LEADLAB_DB names another.
Language: --lang en|zh on any command, else $LEADLAB_LANG, else leadlab.toml, else en.""")


class LazyGroup(HelpGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if self._load(name) is not None]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._load(name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, translate(COMMANDS[name][2])) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section(_("Commands")):
                formatter.write_dl(rows)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                return None
            raise
        return add_lang_option(getattr(mod, attr))


@click.group(cls=LazyGroup, help=CLI_HELP,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="leadlab")
def cli() -> None:
    """The ``leadlab`` group (its help is :data:`CLI_HELP`)."""


add_lang_option(cli)


def one_line(text: object) -> str:
    """``text`` as one safe terminal line: control, format (bidi) and line-break characters
    are shown as escapes, so a hostile value in a message cannot add lines or move the cursor.

    >>> print(one_line("bad" + chr(10) + "row" + chr(27) + "[2J 张伟"))
    bad\\nrow\\x1b[2J 张伟
    """
    out = []
    for ch in str(text):
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def _error(message: object, details: list[str] | tuple[str, ...] = ()) -> None:
    """``error: <message>`` (``错误：<message>``) and indented details, on stderr."""
    click.echo(_("error: {message}", message=one_line(message)), err=True)
    for line in details:
        click.echo(f"  {one_line(line)}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; a user mistake (a LeadlabError, a bad option or argument) prints
    ``error: <one line>`` (plus indented details) on stderr and exits non-zero, never a traceback.

    The language (``--lang`` anywhere on the line, ``$LEADLAB_LANG``, ``leadlab.toml``) is
    chosen first, so every message, click's usage errors included, is in that language.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        lang = resolve_lang(scan_lang(args), source="option --lang")
    except LeadlabError as exc:  # a bad --lang / $LEADLAB_LANG / leadlab.toml
        _error(exc.message, exc.details)
        sys.exit(exc.exit_code)
    translate_click()
    with use_lang(lang):
        _main(args)


def _main(args: list[str]) -> None:
    try:
        cli.main(args=args, prog_name="leadlab", standalone_mode=False)
    except LeadlabError as exc:
        _error(exc.message, exc.details)
        sys.exit(exc.exit_code)
    except click.exceptions.UsageError as exc:  # bad option value, missing argument, unknown command
        hint = [_("see: {command} --help", command=exc.ctx.command_path)] if exc.ctx is not None else []
        _error(exc.format_message(), hint)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:  # e.g. a file click could not open
        _error(exc.format_message())
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo(_("aborted"), err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except OSError as exc:  # the file system refused (permission, no space, a folder): not a bug of ours
        # (a closed stdout pipe, `leadlab ... | head`, is handled by click: silent, exit 1)
        if os.environ.get("LEADLAB_DEBUG"):
            raise
        where = " ".join(str(f) for f in (exc.filename, exc.filename2) if f)
        _error(f"{exc.strerror or type(exc).__name__}" + (f": {where}" if where else ""),
               [_("set LEADLAB_DEBUG=1 to see where it happened")])
        sys.exit(2)


db_option = click.option(
    "--db",
    "db",
    default=None,
    metavar="URL",
    help=N_("Store URL (default: $LEADLAB_DB or duckdb://data/leadlab.duckdb). Never printed unredacted."),
)
