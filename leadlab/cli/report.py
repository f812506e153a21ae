"""``leadlab report``: run report notebooks, render them to HTML, publish them to reports/."""

from __future__ import annotations

import sys

import click

from leadlab.cli import db_option
from leadlab.cli.help import HelpCommand
from leadlab.errors import ConfigError, ReportError
from leadlab.i18n import N_, _, fmt, ngettext, translate

_EPILOG = N_("""\b
Examples:
  leadlab report data_overview                      # last complete month
  leadlab report data_overview -p period=2026-10
  leadlab report experiment_report -p experiment_id=EXP-LEAD-SCRIPT
  leadlab report all --period last-month            # every report, as `make demo`
  leadlab report all --period last-month --lang zh  # the same in Chinese, beside the English pages
  leadlab report all --period last-week --quiet     # e.g. from cron
  leadlab report list                               # notebooks and their parameters
  leadlab report reindex                            # rebuild reports/index.* from the pages
\b
Pages go to reports/<name>/<label>.html (the label names the period or experiment and
every parameter that differs from the notebook default, e.g. 2026-10_team-East; a
page in Chinese ends in .zh: 2026-10.zh.html) and are listed in reports/index.html.
A failed run publishes nothing (the last good page stays) and exits with status 1.
The report language is --lang, else -p lang=..., else $LEADLAB_LANG / leadlab.toml / en.
""")


def _names() -> list[str]:
    try:
        from leadlab.reports.runner import available_notebooks

        return available_notebooks()
    except Exception:  # pragma: no cover - never break --help
        return []


class ReportCommand(HelpCommand):
    """Shows the notebooks found in notebooks/ as NAME choices in --help."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, f"{translate('NAME')}|all|list|reindex [-p key=value ...] {self.options_metavar}")

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_help_text(ctx, formatter)
        names = _names()
        with formatter.section(translate("NAME")):
            formatter.write_dl([
                *((n, _title(n)) for n in names),
                ("all", _("every registered report that exists, in order, for --period")),
                ("list", _("show the notebooks and their parameters")),
                ("reindex", _("rebuild reports/index.json and index.html from the published pages")),
            ] if names else [("(none)", _("no notebooks found in notebooks/")), ("list", _("show notebooks"))])


def _title(name: str) -> str:
    from leadlab.reports.registry import get_spec

    return translate(get_spec(name).title)


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (a Chinese character takes two)."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - used, 0)


#: Status words of the progress lines (codes → message ids).
_MARKS = {"ok": N_("ok"), "failed": N_("FAIL"), "skipped": N_("skip")}


def _echo_outcome(o, quiet: bool) -> None:
    """One progress line per report: status, label, seconds, page or error (failures also in --quiet)."""
    mark = _pad(translate(_MARKS.get(o.status, o.status)), 4)
    if o.status == "skipped":
        if not quiet:
            click.echo(f"  {mark}  {o.name:<20} {'':<18} {'':>8}  {o.message}")
        return
    line = f"  {mark}  {o.name:<20} {o.label:<18} {o.seconds:6.1f} s"
    if o.status == "ok":
        if not quiet:
            click.echo(f"{line}  reports/{o.html}")
    else:
        click.echo(f"{line}  {o.message}")


@click.command(cls=ReportCommand, epilog=_EPILOG, context_settings={"max_content_width": 100}, help=N_("""Run a report notebook, render it to HTML without code and publish it to reports/.

NAME is a report of notebooks/ (a plain name, no path), `all`, `list` or `reindex`. The store
connection comes from --db / $LEADLAB_DB and reaches the notebook through the
environment, never as a parameter."""))
@click.argument("name", metavar=N_("NAME"))
@click.option("-p", "--param", "params", multiple=True, metavar=N_("KEY=VALUE"),
              help=N_("A notebook parameter (repeatable). Checked against the notebook's parameters cell."))
@click.option("--period", default=None, metavar=N_("PERIOD"),
              help=N_("Report period: 2026-10, 2026-W46, 2026-Q4, last-week, last-month (latest complete period "
                      "relative to the latest call in the store). Same as -p period=..."))
@click.option("--timeout", default=600, show_default=True, type=click.IntRange(min=1),
              help=N_("Seconds a single notebook cell may run before the report fails."))
@click.option("--label", default=None, help=N_("Name of the published file (default: the period, experiment id or as-of date)."))
@click.option("-q", "--quiet", is_flag=True, help=N_("Print only failures and the index path."))
@db_option
def report(name: str, params: tuple[str, ...], period: str | None, timeout: int, label: str | None,
           quiet: bool, db: str | None) -> None:
    from leadlab.paths import project_root
    from leadlab.reports.params import parse_assignments
    from leadlab.reports.runner import run_all, run_report

    index = project_root() / "reports" / "index.html"
    progress = not quiet and sys.stderr.isatty()  # papermill's per-cell tqdm bar on stderr
    if name == "list":
        _list()
        return
    if name == "reindex":
        if params or period or label:
            raise ConfigError(_("`report reindex` takes no -p, --period or --label"))
        from leadlab.reports.publish import reindex

        n, skipped = reindex(project_root() / "reports")
        click.echo(ngettext("{n} published page indexed; index: {index}", "{n} published pages indexed; index: {index}",
                            n, n=fmt.number(n), index=index))
        for rel in skipped:
            click.echo("  " + _("reports/{page}: no run facts in the page (older leadlab?); indexed by its path and file time",
                                page=rel))
        return
    if name == "all":
        if params:
            raise ConfigError(_("`report all` takes no -p parameters; use --period and --lang (each notebook gets only "
                                "the parameters it declares)"))
        outcomes = run_all(period or "last-month", db=db, timeout=timeout, echo=lambda o: _echo_outcome(o, quiet),
                           progress=progress)
        ran = [o for o in outcomes if o.status != "skipped"]
        failed = [o for o in ran if o.status != "ok"]
        click.echo(ngettext("{done} of {n} report published; index: {index}", "{done} of {n} reports published; index: {index}",
                            len(ran), done=fmt.number(len(ran) - len(failed)), n=fmt.number(len(ran)), index=index))
        if failed:
            raise ReportError(ngettext("{n} report failed: {names}", "{n} reports failed: {names}", len(failed),
                                       n=fmt.number(len(failed)), names=", ".join(f"{o.name} ({o.label})" for o in failed)),
                              details=[_("see reports/index.html and the executed notebooks in build/reports/"),
                                       _("the last good version of each failed report stays published")])
        return
    given = parse_assignments(params)
    if period is not None:
        if "period" in given:
            raise ConfigError(_("give the period once: either --period or -p period=..."))
        given["period"] = period
    rec = run_report(name, given, db=db, label=label, timeout=timeout, from_text=True, progress=progress)
    if not quiet:
        click.echo(f"  {_pad(translate(_MARKS['ok']), 4)}  {name:<20} {rec.label:<18} {rec.seconds:6.1f} s  reports/{rec.html}")
    click.echo(_("index: {index}", index=index))


def _list() -> None:
    from leadlab.reports.registry import get_spec, is_registered
    from leadlab.reports.runner import notebook_catalog

    catalog = notebook_catalog()
    if not catalog:
        click.echo(_("no notebooks in notebooks/"))
        return
    for name, declared in catalog:
        spec = get_spec(name)
        tag = "" if is_registered(name) else "  " + _("(not in `report all`)")
        click.echo(f"{name}: {translate(spec.title)}{tag}")
        if spec.description:
            click.echo(f"    {translate(spec.description)}")
        if not declared:
            click.echo("    " + _("(no parameters)"))
        for p in declared.values():
            click.echo(f"    -p {p.name}=...  " + _("{type}, default {default}", type=p.type, default=p.default)
                       + (f"  — {p.help}" if p.help else ""))
    sys.stdout.flush()
