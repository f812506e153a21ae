"""``leadlab synth``: write a synthetic operation with known ground truth into the store."""

from __future__ import annotations

from pathlib import Path

import click

from leadlab.cli import db_option
from leadlab.errors import ConfigError


@click.command("synth")
@click.option("--leads", "n_leads", type=int, default=30000, show_default=True, help="Number of leads (about 5 dials each).")
@click.option("--seed", type=int, default=42, show_default=True, help="Random seed: the same seed gives the same data.")
@db_option
@click.option("--end", default="2026-11-20", show_default=True, help="Last day of activity (YYYY-MM-DD).")
@click.option("--months", type=int, default=14, show_default=True, help="Months of lead creation ending at --end.")
@click.option("--truth-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for ground_truth.json and ground_truth_leads.parquet (default: the store's folder).")
@click.option("--replace", is_flag=True, help="Overwrite a store that already holds data.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def synth(n_leads: int, seed: int, db: str | None, end: str, months: int, truth_dir: Path | None, replace: bool, quiet: bool) -> None:
    """Write a realistic synthetic sales floor into the store.

    Reps in four teams, leads from six sources over MONTHS months ending at END,
    dial attempts with dispositions and durations, the funnel (MQL, SQL,
    opportunity, won/lost, revenue), daily spend, and two running call-script
    experiments (one randomized per lead, one per rep). The true model (coefficients,
    rep effects, experiment effects) goes to ground_truth.json beside the store.

    \b
    Examples:
      leadlab synth --leads 30000 --seed 42 --replace
      leadlab synth --leads 5000 --seed 1 --db duckdb:///tmp/demo/leadlab.duckdb
      leadlab synth --leads 2000000 --seed 7 --db duckdb:///data/big.duckdb
    """
    from leadlab import store
    from leadlab.synth import synthesize

    if truth_dir is not None:
        try:
            truth_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"option --truth-dir: cannot create the folder {truth_dir}: {exc.strerror}") from None
    url = store.resolve_url(db)
    truth = synthesize(n_leads, seed, url=url, truth_dir=truth_dir, end=end, months=months,
                       replace=replace, progress=not quiet)
    con = store.connect(url, read_only=True)
    try:
        counts = {name: con.table(name).count().execute() for name in ("reps", "leads", "calls", "experiments", "assignments", "spend")}
    finally:
        con.disconnect()
    o = truth["oracle"]
    click.echo(f"wrote a synthetic operation to {store.redact_url(url)} in {truth['seconds']:.1f} s (seed {seed})")
    click.echo(f"  leads created {truth['start']} .. {truth['end']}; experiments started {truth['experiments']['EXP-LEAD-SCRIPT']['started_at'][:10]}")
    for name, n in counts.items():
        click.echo(f"  {name:<12}{n:>12,}")
    click.echo(f"  SQL rate {o['sql_rate_observed']:.1%}; oracle AUC of the true probability {o.get('auc_p_sql', float('nan')):.3f}")
    click.echo(f"ground truth: {truth['paths']['ground_truth']}")
    click.echo(f"              {truth['paths']['ground_truth_leads']}")
    db_hint = "" if db is None else f" --db {store.redact_url(url)}"
    click.echo(f"next: leadlab report all --period last-month{db_hint}")
