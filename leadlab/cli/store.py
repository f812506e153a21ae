"""``leadlab store``: move a whole store between backends (DuckDB, PostgreSQL, Spark)."""

from __future__ import annotations

import click

from leadlab.cli.help import HelpCommand, HelpGroup
from leadlab.i18n import N_


@click.group("store", cls=HelpGroup, context_settings={"help_option_names": ["-h", "--help"]},
             help=N_("Move a store between backends (DuckDB, PostgreSQL, Spark)."))
def store() -> None:
    pass


@store.command("copy", cls=HelpCommand, help=N_("""Copy every leadlab table of the store SRC_URL into the store DST_URL.

Tables are streamed in Arrow batches and written in bulk (PostgreSQL COPY, typed Spark
writes); the destination's tables are replaced only when all of them were copied, so a
failure leaves the destination as it was.

\b
Examples:
  leadlab synth --leads 30000 --seed 42 --replace
  leadlab store copy duckdb://data/leadlab.duckdb postgresql://ann@db.example/sales
  leadlab store copy duckdb://data/leadlab.duckdb pyspark:///srv/leadlab/spark"""))
@click.argument("src_url")
@click.argument("dst_url")
@click.option("--quiet", "-q", is_flag=True, help=N_("No progress bar."))
def copy(src_url: str, dst_url: str, quiet: bool) -> None:
    from leadlab.i18n import _, fmt, ngettext
    from leadlab.store import copy_store, redact_url

    result = copy_store(src_url, dst_url, progress=not quiet)
    click.echo(ngettext("Copied {n} row in {tables} tables to {url} ({seconds}).",
                        "Copied {n} rows in {tables} tables to {url} ({seconds}).", result.rows,
                        n=fmt.number(result.rows), tables=fmt.number(len(result.tables)), url=redact_url(dst_url),
                        seconds=fmt.seconds(result.seconds)))
    for name, rows in result.tables.items():
        click.echo(_("  {table}: {n}", table=name, n=fmt.number(rows)))
