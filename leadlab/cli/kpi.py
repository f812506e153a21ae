"""``leadlab kpi``: KPIs, targets, rep scorecards and lead-pool health for a period."""

from __future__ import annotations

import json
import math

import click

from leadlab.cli import db_option
from leadlab.cli.help import HelpGroup
from leadlab.cli.types import PERIOD, TABLE_FILE
from leadlab.i18n import N_

PERIOD_HELP = N_("Period: 2026-10, 2026-W46, 2026-Q4, 2026, last-month, last-week, last-quarter (relative to the latest call).")
TEAM_HELP = N_("Only this team (calls by its reps, leads owned by its reps).")


def _data(db):
    from leadlab.kpi import KpiData
    from leadlab.store import connect

    return KpiData.from_store(connect(db, read_only=True))


def _emit(result, as_json: bool) -> None:
    """A result as text (current language) or JSON (facts, plus title and notes in the current language)."""
    if as_json:
        import pandas as pd

        df = result.to_pandas()
        records = json.loads(df.to_json(orient="records", date_format="iso", default_handler=str))
        payload = {"title": result.title(), "period": result.period.label if result.period else None,
                   "team": result.team, "notes": result.notes(), "rows": records}
        if hasattr(result, "alerts"):
            payload["alerts"] = result.alerts()
        if isinstance(getattr(result, "checks", None), pd.DataFrame):  # targets: the roll-up check
            payload["rollup"] = json.loads(result.checks.to_json(orient="records"))
        click.echo(json.dumps(payload, indent=2, allow_nan=False, ensure_ascii=False, default=_nan_none))
    else:
        click.echo(result.summary())


def _nan_none(v):
    return None if isinstance(v, float) and math.isnan(v) else str(v)


@click.group(cls=HelpGroup, context_settings={"help_option_names": ["-h", "--help"]}, help=N_("""KPIs, targets and rep scorecards for a period.

\b
Examples:
  leadlab kpi show --period last-month
  leadlab kpi show --period 2026-10 --team East --compare-to last-year
  leadlab kpi show --period 2026-Q4 --by team --json
  leadlab kpi show --period 2026-10 --by week
  leadlab kpi targets --period 2026-Q4 --file data/targets.yml
  leadlab kpi scorecard --period 2026-10 --weights call_connect_rate=1,sql_rate=3
  leadlab kpi pool --period last-month
  leadlab kpi customer --period 2026-Q2 --by rep
  leadlab kpi list"""))
def kpi() -> None:
    """The ``kpi`` group (its help is in the decorator)."""


@kpi.command("show", help=N_("""The KPI table of a period against the comparison period, with significance flags.

\b
Example:
  leadlab kpi show --period 2026-10 --team East"""))
@click.option("--period", type=PERIOD, default="last-month", show_default=True, help=PERIOD_HELP)
@click.option("--team", default=None, help=TEAM_HELP)
@click.option("--compare-to", "compare_to", type=click.Choice(["previous", "last-year"]), default="previous", show_default=True,
              help=N_("Comparison period: the previous period or the same period last year."))
@click.option("--by", default=None, help=N_("Break the KPIs down by team, rep_id, source, campaign or region, or over time by "
              "day, week, month or quarter (no comparison)."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON instead of a table."))
@db_option
def show(period, team, compare_to, by, as_json, db):
    from leadlab.kpi import kpi_table
    from leadlab.kpi.definitions import REPORT_KPIS

    data = _data(db)
    if by in ("day", "week", "month", "quarter"):
        from leadlab.kpi.trend import trend

        res = trend(data, period, by, team=team, kpis=REPORT_KPIS)
    elif by:
        from leadlab.errors import ConfigError
        from leadlab.kpi.family import breakdown
        from leadlab.kpi.measures import DIMENSIONS

        if by not in DIMENSIONS:
            raise ConfigError(f"option --by: unknown dimension {by!r}; valid: {', '.join(DIMENSIONS)}, "
                              "or over time: day, week, month, quarter")
        res = breakdown(data, period, team, by, REPORT_KPIS)
    else:
        res = kpi_table(data, period, team=team, compare_to=compare_to)
    if by and not as_json:
        click.echo(res.transposed_summary())
        return
    _emit(res, as_json)


@kpi.command("targets", help=N_("""Targets overlapping the period: progress, pacing projection, status and alerts.

\b
Example:
  leadlab kpi targets --period 2026-Q4 --file data/targets.yml"""))
@click.option("--period", type=PERIOD, default="last-month", show_default=True, help=PERIOD_HELP)
@click.option("--file", "path", default=None, type=click.Path(dir_okay=False),
              help=N_("Targets YAML (default: data/targets.yml, else the packaged demo targets)."))
@click.option("--team", default=None, help=TEAM_HELP)
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON instead of a table."))
@click.option("--explain", is_flag=True, help=N_("Show how split targets were derived and the roll-up check."))
@db_option
def targets(period, path, team, as_json, explain, db):
    from leadlab.kpi.targets import targets_report

    res = targets_report(_data(db), period, targets_path=path, team=team)
    _emit(res, as_json)
    if explain and not as_json:
        click.echo("")
        click.echo(res.explain())


@kpi.command("scorecard", help=N_("""Fair rep scorecards: shrunk rates with intervals, composite score and rank range.

\b
Example:
  leadlab kpi scorecard --period 2026-10 --team North"""))
@click.option("--period", type=PERIOD, default="last-month", show_default=True, help=PERIOD_HELP)
@click.option("--team", default=None, help=TEAM_HELP)
@click.option("--weights", default=None, help=N_("Composite weights, e.g. call_connect_rate=1,conversation_rate=1,sql_rate=2 (the default)."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON instead of a table."))
@db_option
def scorecard(period, team, weights, as_json, db):
    from leadlab.kpi.scorecard import scorecard as run

    _emit(run(_data(db), period, team=team, weights=weights), as_json)


@kpi.command("customer", help=N_("""Customer-side quality of a period: CSAT, NPS, repeat purchase, collection rate
and DSO with 95% intervals; per rep (shrunk towards the team) or per team.

\b
Examples:
  leadlab kpi customer --period 2026-Q2
  leadlab kpi customer --period 2026-Q2 --by rep --out customer_reps.xlsx
  leadlab --lang zh kpi customer --period 2026-Q2 --by team"""))
@click.option("--period", type=PERIOD, default="last-month", show_default=True, help=PERIOD_HELP)
@click.option("--team", default=None, help=TEAM_HELP)
@click.option("--by", type=click.Choice(["rep", "team"]), default=None,
              help=N_("One row per rep (shrunk, with intervals) or per team."))
@click.option("--out", type=TABLE_FILE, default=None, help=N_("Also write the table to this .csv, .tsv or .xlsx file."))
@db_option
def customer(period, team, by, out, db):
    from leadlab.errors import ConfigError
    from leadlab.i18n import _
    from leadlab.kpi.customer import customer_by_team, customer_quality, team_display_frame
    from leadlab.tabular import write_table

    data = _data(db)
    if data.surveys is None and data.payments is None:
        raise ConfigError(_("the store has no surveys or payments table; load them first with "
                            "leadlab ingest surveys FILE and leadlab ingest payments FILE"))
    if by == "team":
        if team:
            raise ConfigError(_("option --by team: cannot be combined with --team (choose one team or all teams)"))
        frame = customer_by_team(data, period)
        shown = team_display_frame(frame)
        click.echo(shown.to_string(index=False))
        export = shown
    else:
        res = customer_quality(data, period, team=team)
        click.echo(f"{res.title()}\n{res.rep_frame().to_string(index=False)}" if by == "rep" else res.summary())
        export = res.export_frame(by)
    if out:
        write_table(export, out, option="--out", sheet="customer")
        click.echo(_("wrote {n} rows to {path}", n=str(len(export)), path=str(out)))


@kpi.command("pool", help=N_("""Lead-pool health at the end of the period (age, never contacted, stale, duplicates, bottleneck).

\b
Example:
  leadlab kpi pool --period last-month --stale-days 21"""))
@click.option("--period", type=PERIOD, default="last-month", show_default=True, help=PERIOD_HELP)
@click.option("--team", default=None, help=TEAM_HELP)
@click.option("--stale-days", default=14, show_default=True, type=click.IntRange(1, None), help=N_("Days without a touch that make an open lead stale."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON instead of a table."))
@db_option
def pool(period, team, stale_days, as_json, db):
    from leadlab.kpi.pool import pool_health

    _emit(pool_health(_data(db), period, team=team, stale_days=stale_days), as_json)


@kpi.command("summary", help=N_("""The executive summary of the KPI report, as plain sentences.

\b
Example:
  leadlab kpi summary --period last-month --team West"""))
@click.option("--period", type=PERIOD, default="last-month", show_default=True, help=PERIOD_HELP)
@click.option("--team", default=None, help=TEAM_HELP)
@click.option("--compare-to", "compare_to", type=click.Choice(["previous", "last-year"]), default="previous", show_default=True)
@click.option("--targets", "path", default=None, type=click.Path(dir_okay=False), help=N_("Targets YAML (default as in `kpi targets`)."))
@db_option
def summary(period, team, compare_to, path, db):
    from leadlab.kpi import kpi_table
    from leadlab.kpi.pool import pool_health
    from leadlab.kpi.speed import speed_to_lead
    from leadlab.kpi.summary import executive_summary
    from leadlab.kpi.targets import targets_report

    data = _data(db)
    table = kpi_table(data, period, team=team, compare_to=compare_to)
    res = executive_summary(table, targets_report(data, period, targets_path=path, team=team),
                            pool_health(data, period, team=team), speed_to_lead(data, period, team=team))
    click.echo(res.summary())


@kpi.command("list", help=N_("""Every KPI and experiment metric of the one vocabulary: id, name, formula, definition,
unit, direction and where it is used (in the --lang language).

\b
Examples:
  leadlab kpi list
  leadlab --lang zh kpi list --family activity"""))
@click.option("--family", default=None, help=N_("Only this family: activity, quality, outcomes, speed or cost."))
def list_kpis(family):
    from leadlab.vocabulary.render import catalogue_text

    click.echo(catalogue_text(family=family))
