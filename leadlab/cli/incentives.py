"""``leadlab incentives``: payouts of an incentive plan, and a what-if with the luck check."""

from __future__ import annotations

import click

from leadlab.cli import db_option
from leadlab.cli.help import HelpGroup
from leadlab.cli.types import PERIOD
from leadlab.i18n import N_

PLAN_HELP = N_("Incentive plan YAML (default: data/incentive_plan.yml, else the shipped example plan).")
TARGETS_HELP = N_("Targets YAML for a plan with target: targets (default as in `kpi targets`).")


def _data(db):
    from leadlab.kpi import KpiData
    from leadlab.store import connect

    return KpiData.from_store(connect(db, read_only=True))


@click.group("incentives", cls=HelpGroup, help=N_("""Incentive plans: payouts with the rule behind each amount, and a
what-if that says how much of each payout is luck.

\b
Examples:
  leadlab incentives compute --period 2026-10 --out payouts.xlsx
  leadlab incentives simulate data/examples/incentive_plan.yml --periods 6"""))
def incentives() -> None:
    """The ``incentives`` group (its help is in the decorator)."""


@incentives.command("compute", help=N_("""Payout per rep for a period: attainment, tier, cap, quality gate and team pool,
with the rule that produced each amount.

\b
Example:
  leadlab incentives compute --period 2026-10 --plan data/examples/incentive_plan.yml --out payouts.csv"""))
@click.option("--period", type=PERIOD, default="last-month", show_default=True,
              help=N_("Period: 2026-10, 2026-Q4, last-month, ... (relative to the latest call)."))
@click.option("--plan", "plan_path", default=None, type=click.Path(dir_okay=False), help=PLAN_HELP)
@click.option("--targets", "targets_path", default=None, type=click.Path(dir_okay=False), help=TARGETS_HELP)
@click.option("--team", default=None, help=N_("Only this team's reps."))
@click.option("--out", "out", default=None, type=click.Path(dir_okay=False),
              help=N_("Also write the payouts to this .csv or .xlsx file."))
@db_option
def compute(period, plan_path, targets_path, team, out, db):
    from leadlab.i18n import _
    from leadlab.incentives import compute_payouts, load_plan
    from leadlab.tabular import write_table

    plan = load_plan(plan_path)
    res = compute_payouts(_data(db), plan, period, targets_path=targets_path, team=team)
    if out:
        write_table(res.export_frame(), out, option="--out", sheet="payouts")
    click.echo(res.summary())
    if out:
        click.echo(_("wrote {n} rows to {path}", n=str(len(res.frame)), path=out))


@incentives.command("simulate", help=N_("""What-if of a plan on the last N periods: total cost, payout spread, and how
much of each rep's payout is luck (scorecard posterior: skill share of the payout
spread, probability that each rep's tier is a matter of chance).

\b
Example:
  leadlab incentives simulate data/examples/incentive_plan.yml --periods 6 --period 2026-10"""))
@click.argument("plan_path", type=click.Path(dir_okay=False))
@click.option("--periods", default=6, show_default=True, type=click.IntRange(1, 36), help=N_("How many periods, ending with --period."))
@click.option("--period", type=PERIOD, default="last-month", show_default=True,
              help=N_("The last period of the what-if (its kind sets the kind of every period)."))
@click.option("--targets", "targets_path", default=None, type=click.Path(dir_okay=False), help=TARGETS_HELP)
@click.option("--draws", default=1000, show_default=True, type=click.IntRange(100, 20000), help=N_("Posterior draws."))
@click.option("--seed", default=0, show_default=True, type=int, help=N_("Random seed of the posterior draws."))
@db_option
def simulate(plan_path, periods, period, targets_path, draws, seed, db):
    from leadlab.incentives import load_plan, simulate_plan

    res = simulate_plan(_data(db), load_plan(plan_path), period, periods=periods, targets_path=targets_path,
                        draws=draws, seed=seed)
    click.echo(res.summary())
