"""``leadlab ingest TABLE FILE``: validated, pseudonymized, transactional load of one export."""

from __future__ import annotations

import sys

import click

from leadlab.cli import db_option
from leadlab.cli.help import HelpCommand
from leadlab.i18n import N_
from leadlab.schema import TABLES


@click.command(
    "ingest",
    cls=HelpCommand,
    epilog=N_("""\b
Examples:
  leadlab ingest reps data/examples/reps.csv
  leadlab ingest leads data/examples/leads_zh.csv --mapping data/examples/mapping_zh.yml
  leadlab ingest calls data/examples/calls.csv
  leadlab ingest calls dialer.xlsx --dry-run
  leadlab ingest leads crm_export.csv --encoding gbk --db duckdb:///tmp/other.duckdb
"""),
    help=N_("""Load FILE (CSV, Excel .xlsx or Parquet) into the canonical TABLE.

TABLE is one of: reps, leads, calls, experiments, assignments, spend, lead_scores
(load them in the order reps, leads, calls, experiments, assignments, spend
so references resolve).

Every rule of docs/data-model.md is checked first (types, required values,
duplicate keys, unknown leads/reps, calls before lead creation, lifecycle order,
one arm per unit); any broken rule prints the file, rows and column and writes
nothing (exit code 2). Phone numbers, e-mails and names are replaced by keyed
tokens (key: $LEADLAB_PII_KEY or ~/.config/leadlab/pii.key). Rows are upserted
by key in one transaction: re-ingesting a file changes nothing.

A file must decode cleanly as a whole (the first bad byte is named by row and
offset); control characters and inf/NaN numbers are refused. Timestamps with an
offset (+08:00, Z) are converted to the business time zone ($LEADLAB_TZ, default
Asia/Shanghai); timestamps without one are taken as local there."""),
)
@click.argument("table", type=click.Choice(list(TABLES)), metavar=N_("TABLE"))
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--mapping", "mapping", metavar=N_("MAP.yml"), default=None,
              help=N_("YAML file renaming export headers to canonical columns (e.g. '线索编号: lead_id')."))
@click.option("--encoding", default=None, metavar=N_("NAME"),
              help=N_("Text encoding of a CSV (utf-8, utf-8-sig, gb18030/gbk); detected when omitted."))
@click.option("--dry-run", is_flag=True, help=N_("Check everything and report the counts, but write nothing."))
@click.option("--quiet", "-q", is_flag=True, help=N_("No progress bar."))
@db_option
def ingest(table: str, file: str, mapping: str | None, encoding: str | None, dry_run: bool, quiet: bool,
           db: str | None) -> None:
    from leadlab.ingest import ingest_file

    result = ingest_file(table, file, mapping=mapping, encoding=encoding, url=db, dry_run=dry_run,
                         progress=not quiet and sys.stderr.isatty())
    click.echo(result.summary())
