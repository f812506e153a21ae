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
  leadlab ingest reps data/examples/reps_zh.csv --preset crm_reps_zh
  leadlab ingest leads data/examples/crm_leads_zh.xlsx --preset crm_leads_zh
  leadlab ingest lead_stages data/examples/crm_followups_zh.csv --preset crm_followups_zh
  leadlab ingest calls data/examples/dialer_calls_zh.csv --preset dialer_cdr_zh
  leadlab ingest leads crm_export.csv --encoding gbk --db duckdb:///tmp/other.duckdb
"""),
    help=N_("""Load FILE (CSV, Excel .xlsx or Parquet) into the canonical TABLE.

TABLE is a canonical table: reps, leads, lead_stages, calls, experiments,
assignments, spend, surveys, payments, qa_reviews, lead_owner_history (load
them in this order so references resolve).

A mapping file (--mapping, or a shipped --preset) renames headers, maps
values (dialer outcomes → no_answer, ...), parses durations, money, bands, booleans and
timestamps, resolves names to ids and derives the lifecycle from a lead
status; see docs/ingest.md.

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
              help=N_("YAML mapping file: header renames (e.g. '线索编号: lead_id'), value maps, parsers, lookups, "
                      "derived lifecycle."))
@click.option("--preset", default=None, metavar=N_("NAME"),
              help=N_("A mapping shipped with leadlab: crm_leads_zh, crm_followups_zh, dialer_cdr_zh, crm_reps_zh, "
                      "leads_zh."))
@click.option("--encoding", default=None, metavar=N_("NAME"),
              help=N_("Text encoding of a CSV (utf-8, utf-8-sig, gb18030/gbk); detected when omitted."))
@click.option("--dry-run", is_flag=True,
              help=N_("Check everything, show the first rows after mapping and every error, write nothing."))
@click.option("--quiet", "-q", is_flag=True, help=N_("No progress bar."))
@db_option
def ingest(table: str, file: str, mapping: str | None, preset: str | None, encoding: str | None, dry_run: bool,
           quiet: bool, db: str | None) -> None:
    from leadlab.errors import DataError
    from leadlab.ingest import ingest_file
    from leadlab.ingest.result import preview_lines

    try:
        result = ingest_file(table, file, mapping=mapping, preset=preset, encoding=encoding, url=db, dry_run=dry_run,
                             progress=not quiet and sys.stderr.isatty())
    except DataError as exc:  # a dry run still shows the rows as mapped, then every error
        for line in preview_lines(getattr(exc, "preview", [])):
            click.echo(line.strip() if line.startswith("  ") and not line.startswith("    ") else line)
        raise
    click.echo(result.summary())
