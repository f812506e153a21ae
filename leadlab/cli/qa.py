"""``leadlab qa``: draw calls for quality review, and read the reviews (per-rep QA scores, agreement, calibration)."""

from __future__ import annotations

import click

from leadlab.cli import db_option
from leadlab.cli.help import HelpGroup
from leadlab.cli.types import PERIOD, TABLE_FILE
from leadlab.i18n import N_

PERIOD_HELP = N_("Period: 2026-10, 2026-W46, 2026-Q4, 2026, last-month, last-week, last-quarter (relative to the latest call).")
FORM_HELP = N_("QA form and sampling weights (default: data/qa.yml, else the shipped example).")
TEAM_HELP = N_("Only this team's reps.")


def _data(db):
    from leadlab.kpi import KpiData
    from leadlab.store import connect

    return KpiData.from_store(connect(db, read_only=True))


@click.group(cls=HelpGroup, context_settings={"help_option_names": ["-h", "--help"]}, help=N_("""Call-quality review: sample calls, then score reviews per rep and check the reviewers.

\b
Examples:
  leadlab qa sample --period 2026-10 --per-rep 8 --seed 1 --out qa_sample.xlsx
  leadlab ingest qa_reviews reviews.csv
  leadlab qa report --period 2026-10"""))
def qa() -> None:
    """The ``qa`` group (its help is in the decorator)."""


@qa.command("sample", help=N_("""Draw a reproducible random sample of calls per rep for review, leaning towards long, converted and complaint calls.

\b
Each call's inclusion probability is written with it; keep it in the reviews file
(column inclusion_probability) so the QA scores are weighted back.
Example:
  leadlab qa sample --period 2026-10 --per-rep 8 --seed 1 --out qa_sample.csv"""))
@click.option("--period", type=PERIOD, default="last-month", show_default=True, help=PERIOD_HELP)
@click.option("--per-rep", "per_rep", type=int, required=True, help=N_("Calls to draw per rep (at least 1)."))
@click.option("--seed", type=int, default=0, show_default=True, help=N_("Random seed: the same seed draws the same calls."))
@click.option("--team", default=None, help=TEAM_HELP)
@click.option("--form", "form_path", default=None, type=click.Path(dir_okay=False), help=FORM_HELP)
@click.option("--out", "out", type=TABLE_FILE, default=None,
              help=N_("Write the sample to this .csv or .xlsx file (default: CSV on standard output)."))
@db_option
def sample(period, per_rep, seed, team, form_path, out, db):
    from leadlab.i18n import _, fmt
    from leadlab.qa.form import load_form
    from leadlab.qa.sample import check_per_rep, sample_calls
    from leadlab.tabular import write_csv_stream, write_table

    check_per_rep(per_rep)  # before the store is opened
    form = load_form(form_path)
    res = sample_calls(_data(db), period, per_rep=per_rep, seed=seed, team=team, form=form)
    if out is None:
        write_csv_stream(res.to_pandas())
        return
    path = write_table(res.to_pandas(), out)
    click.echo(res.summary())
    click.echo(_("wrote {n} calls to {path}", n=fmt.number(len(res.frame)), path=str(path)))


@qa.command("report", help=N_("""Per-rep QA scores with intervals, reviewer agreement and reviewer calibration for the calls of a period.

\b
Example:
  leadlab qa report --period 2026-10 --team North"""))
@click.option("--period", type=PERIOD, default="last-month", show_default=True, help=PERIOD_HELP)
@click.option("--team", default=None, help=TEAM_HELP)
@click.option("--form", "form_path", default=None, type=click.Path(dir_okay=False), help=FORM_HELP)
@db_option
def report(period, team, form_path, db):
    from leadlab.qa import qa_analysis

    r = qa_analysis(_data(db), period, team=team, form=form_path)
    click.echo("\n\n".join([r.reps.summary(), r.agreement.summary(), r.calibration.summary()]))
