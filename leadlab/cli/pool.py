"""``leadlab pool``: public-pool (公海) rules — the recycle list and reassignment suggestions."""

from __future__ import annotations

import dataclasses

import click

from leadlab.cli import db_option
from leadlab.cli.help import HelpGroup
from leadlab.cli.types import TABLE_FILE
from leadlab.i18n import N_

AS_OF_HELP = N_("Evaluate the rules at the end of this day (YYYY-MM-DD) or at YYYY-MM-DD HH:MM (default: the latest call).")
RULES_HELP = N_("Pool rules YAML (default: data/pool_rules.yml, else the shipped example).")
DAYS_HELP = N_("Override rules.not_followed_up_days: days without a call after which an open lead returns to the pool.")
TEAM_HELP = N_("Only leads owned by this team's reps.")
OUT_HELP = N_("Write the list to this .csv or .xlsx file (default: the summary only).")


def _setup(db, rules_path, days, team):
    from leadlab.kpi import KpiData
    from leadlab.pool.rules import _whole, load_rules
    from leadlab.store import connect

    rules = load_rules(rules_path)
    if days is not None:
        rules = dataclasses.replace(rules, not_followed_up_days=_whole(days, "--days"))
    return KpiData.from_store(connect(db, read_only=True)).for_team(team), rules


def _as_of(data, as_of):
    if as_of:
        return as_of
    latest = data.as_of
    return latest.to_pydatetime() if latest is not None else None


def _write(res, out, columns):
    from leadlab.i18n import _, fmt
    from leadlab.tabular import write_table

    click.echo(res.summary())
    if out is not None:
        path = write_table(res.to_pandas()[columns], out)
        click.echo(_("wrote {n} leads to {path}", n=fmt.number(len(res.frame)), path=str(path)))


@click.group(cls=HelpGroup, context_settings={"help_option_names": ["-h", "--help"]}, help=N_("""Public-pool rules: leads not followed up, dialled too often without result, or whose owner left go back to the pool.

\b
Examples:
  leadlab pool recycle --as-of 2026-11-20 --out recycle.xlsx
  leadlab pool reassign --as-of 2026-11-20 --out reassign.csv
Rules: data/pool_rules.yml (see leadlab/examples/pool_rules.yml)."""))
def pool() -> None:
    """The ``pool`` group (its help is in the decorator)."""


@pool.command("recycle", help=N_("""The open leads the pool rules send back to the public pool, with the reason.

\b
Example:
  leadlab pool recycle --as-of 2026-11-20 --days 10 --out recycle.csv"""))
@click.option("--as-of", "as_of", default=None, help=AS_OF_HELP)
@click.option("--rules", "rules_path", default=None, type=click.Path(dir_okay=False), help=RULES_HELP)
@click.option("--days", type=int, default=None, help=DAYS_HELP)
@click.option("--team", default=None, help=TEAM_HELP)
@click.option("--out", type=TABLE_FILE, default=None, help=OUT_HELP)
@db_option
def recycle_cmd(as_of, rules_path, days, team, out, db):
    from leadlab.pool.recycle import recycle

    data, rules = _setup(db, rules_path, days, team)
    res = recycle(data, _as_of(data, as_of), rules=rules)
    _write(res, out, ["lead_id", "rep_id", "source", "region", "created_at", "last_touch", "idle_days", "attempts",
                      "reason", "reasons"])


@pool.command("reassign", help=N_("""Suggest a new owner for each recycled lead: the active rep of the team with the best fit, within capacity.

\b
Example:
  leadlab pool reassign --as-of 2026-11-20 --out reassign.xlsx"""))
@click.option("--as-of", "as_of", default=None, help=AS_OF_HELP)
@click.option("--rules", "rules_path", default=None, type=click.Path(dir_okay=False), help=RULES_HELP)
@click.option("--days", type=int, default=None, help=DAYS_HELP)
@click.option("--team", default=None, help=TEAM_HELP)
@click.option("--out", type=TABLE_FILE, default=None, help=OUT_HELP)
@db_option
def reassign_cmd(as_of, rules_path, days, team, out, db):
    from leadlab.pool.reassign import reassign

    data, rules = _setup(db, rules_path, days, team)
    res = reassign(data, _as_of(data, as_of), rules=rules)
    _write(res, out, ["lead_id", "rep_id", "team", "reason", "segment", "to_rep_id", "fit"])
