"""``leadlab synth``: write a synthetic operation with known ground truth into the store."""

from __future__ import annotations

from pathlib import Path

import click

from leadlab.cli import db_option
from leadlab.cli.help import HelpCommand
from leadlab.i18n import N_


@click.command("synth", cls=HelpCommand, help=N_("""Write a realistic synthetic sales floor into the store.

Reps in four teams, leads from six sources over MONTHS months ending at END,
dial attempts with dispositions and durations, the funnel (MQL, SQL,
opportunity, won/lost, revenue), daily spend, and two running call-script
experiments (one randomized per lead, one per rep). The true model (coefficients,
rep effects, experiment effects) goes to ground_truth.json beside the store.

\b
Examples:
  leadlab synth --leads 30000 --seed 42 --replace
  leadlab synth --leads 5000 --seed 1 --db duckdb:///tmp/demo/leadlab.duckdb
  leadlab synth --leads 2000000 --seed 7 --db duckdb:///data/big.duckdb"""))
@click.option("--leads", "n_leads", type=int, default=30000, show_default=True, help=N_("Number of leads (about 5 dials each)."))
@click.option("--seed", type=int, default=42, show_default=True, help=N_("Random seed: the same seed gives the same data."))
@db_option
@click.option("--end", default="2026-11-20", show_default=True, help=N_("Last day of activity (YYYY-MM-DD)."))
@click.option("--months", type=int, default=14, show_default=True, help=N_("Months of lead creation ending at --end."))
@click.option("--truth-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=N_("Folder for ground_truth.json and ground_truth_leads.parquet (default: the store's folder)."))
@click.option("--replace", is_flag=True, help=N_("Overwrite a store that already holds data."))
@click.option("--quiet", "-q", is_flag=True, help=N_("No progress bar."))
def synth(n_leads: int, seed: int, db: str | None, end: str, months: int, truth_dir: Path | None, replace: bool, quiet: bool) -> None:
    from leadlab import store
    from leadlab.synth import make_truth_dir, synthesize
    from leadlab.schema import LOAD_ORDER
    from leadlab.synth.summary import summary_lines

    if truth_dir is not None:
        make_truth_dir(truth_dir)
    url = store.resolve_url(db)
    truth = synthesize(n_leads, seed, url=url, truth_dir=truth_dir, end=end, months=months,
                       replace=replace, progress=not quiet)
    con = store.connect(url, read_only=True)
    try:
        counts = {name: con.table(name).count().execute() for name in LOAD_ORDER if store.has_table(con, name)}
        counts = {name: n for name, n in counts.items() if n}  # tables synth does not fill (lead_stages) stay out
    finally:
        con.disconnect()
    db_hint = "" if db is None else f" --db {store.redact_url(url)}"
    for line in summary_lines(truth, counts, store.redact_url(url), seed, db_hint):
        click.echo(line)
