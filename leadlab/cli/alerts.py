"""``leadlab alerts``: evaluate the alert rules and deliver new alerts (cron-able), list what was sent."""

from __future__ import annotations

from pathlib import Path

import click

from leadlab.cli import db_option
from leadlab.cli.help import HelpGroup
from leadlab.cli.types import PERIOD
from leadlab.i18n import N_, _

_config = click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                       help=N_("Alerts file (default: alerts.yml at the project root)."))
_period = click.option("--period", type=PERIOD, default="last-month", show_default=True,
                       help=N_("Period the rules look at: 2026-10, 2026-W46, 2026-Q4, last-month, ... (relative to the "
                               "latest call)."))


@click.group("alerts", cls=HelpGroup, help=N_("""Alerts: targets behind or at risk, KPIs outside their control limits,
experiment SRM or guardrail failures, scorer drift; sent once per event to e-mail,
WeCom, DingTalk, Feishu or a JSON webhook.

\b
Examples:
  leadlab alerts run --dry-run
  leadlab alerts run --period 2026-10 --config alerts.yml
  leadlab alerts sent --period 2026-10
Secrets (SMTP password, webhook URLs, signing secrets) come only from the environment
variables the alerts file names; they are never printed."""))
def alerts() -> None:
    """The ``alerts`` group (its help is in the decorator)."""


@alerts.command("run", help=N_("""Evaluate the rules for a period and send every alert not sent before.

Each alert is sent once per event (rule, subject, period or look); a failed message stays
unsent and the next run retries it. Exit status 1 when a message or a rule failed.

\b
Examples:
  leadlab alerts run --dry-run --lang zh
  leadlab alerts run --period last-week"""))
@_config
@_period
@click.option("--dry-run", is_flag=True, help=N_("Print what would be sent; send and record nothing (no secret needed)."))
@click.option("--seed", type=int, default=None, help=N_("Seed of the retry jitter (default: random)."))
@db_option
def run(config_path, period, dry_run, seed, db) -> None:
    from leadlab.alerts import load_alerts, run_alerts
    from leadlab.cli import _error
    from leadlab.store import connect

    config = load_alerts(config_path)
    res = run_alerts(config, connect(db, read_only=dry_run), period=period, dry_run=dry_run, seed=seed)
    if dry_run:
        for text in res.previews():
            click.echo(text)
            click.echo("")
    click.echo(res.summary())
    for rule, message in res.rule_errors:
        _error(_("rule {rule}: {message}", rule=rule, message=message))
    for d in res.deliveries:
        if d.status == "failed":
            _error(_("{channel}: alert {key} not sent: {message}", channel=d.channel, key=d.event.key,
                     message=d.error))
    if not res.ok:
        raise SystemExit(1)


@alerts.command("sent", help=N_("""The alerts sent for a period (runs whose period overlaps it).

\b
Example:
  leadlab alerts sent --period 2026-10"""))
@_period
@db_option
def sent(period, db) -> None:
    from leadlab.alerts import sent_alerts
    from leadlab.kpi import KpiData
    from leadlab.store import connect

    con = connect(db, read_only=True)
    per = KpiData.from_store(con).period(period)
    click.echo(sent_alerts(con, per).summary())
