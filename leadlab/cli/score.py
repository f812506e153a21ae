"""``leadlab score``: train, evaluate, apply and monitor the lead-quality scorer."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from leadlab.cli import db_option
from leadlab.cli.help import HelpGroup
from leadlab.cli.types import PERIOD, TABLE_FILE
from leadlab.i18n import N_

_data = click.option("--data", "data", default="store", show_default=True, metavar=N_("store|FILE"),
                     help=N_("The store's leads table, or a CSV file (',' or ';' separated)."))
_target = click.option("--target", default=None, metavar=N_("COL"),
                       help=N_("Binary target: for the store sql|mql|opportunity|won (default sql); for a file a column "
                               "holding 0/1, yes/no or true/false."))
_time = click.option("--time-col", default=None, metavar=N_("COL"),
                     help=N_("Time column ordering the rows (store default: created_at). Without it a time split uses row "
                             "order: right for files sorted by date, like the bank marketing data."))
_split = click.option("--split", type=click.Choice(["time", "random"]), default="time", show_default=True,
                      help=N_("time: test on the most recent rows; random: stratified random holdout."))
_holdout = click.option("--holdout", "holdout_share", type=float, default=0.2, show_default=True,
                        help=N_("Share of rows held out for testing."))
_model = click.option("--model-kind", "model_kind", type=click.Choice(["auto", "hgb", "logistic"]), default="auto",
                      show_default=True, help=N_("auto: fit logistic regression and gradient boosting on the older training "
                      "rows, compare them on the most recent ones (random rows with --split random) and keep the winner "
                      "(logistic unless boosting is better by more than one standard error); logistic: interpretable "
                      "regularized logistic regression; hgb: gradient boosting."))
_exclude = click.option("--exclude", multiple=True, metavar=N_("COL"), help=N_("Leave a column out (repeatable)."))
_include = click.option("--include", multiple=True, metavar=N_("COL"), help=N_("Use only these columns (repeatable)."))
_leak = click.option("--leakage-auc", type=float, default=0.80, show_default=True,
                     help=N_("Flag a feature whose single-feature AUC reaches this as leakage (1.0 disables the rule)."))
_maturity = click.option("--maturity-days", type=int, default=30, show_default=True,
                         help=N_("Store data: leave out leads younger than this (not yet had time to convert)."))
_minpc = click.option("--min-per-class", type=int, default=40, show_default=True,
                      help=N_("Refuse to train with fewer positive or negative outcomes."))
_seed = click.option("--seed", type=int, default=0, show_default=True, help=N_("Random seed (splits, bootstrap, model)."))
_json = click.option("--json", "as_json", is_flag=True, help=N_("Print one JSON object instead of the text summary."))
_modelpath = click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                          help=N_("Model file (default: data/models/lead_scorer.skops)."))
_weak = click.option("--allow-weak-model", "allow_weak", is_flag=True,
                     help=N_("Use a model that does not beat a random order of leads or its baseline on the holdout "
                             "(refused otherwise)."))


@click.group("score", cls=HelpGroup, help=N_("""Lead-quality scorer: train, evaluate, apply, monitor, call-list.

\b
Examples:
  leadlab score train                       # store leads, target sql, time split
  leadlab score evaluate --data bank-additional-full.csv --target y --split random --json
  leadlab score apply                       # write lead_scores (score, grade, priority)
  leadlab score monitor --period last-month
  leadlab score call-list --capacity 40"""))
def score() -> None:
    """The ``score`` group (its help is in the decorator)."""


def _common(data, target, time_col, db):
    from leadlab.scoring import text
    from leadlab.store import connect

    is_store = data == "store"
    target = target or ("sql" if is_store else None)
    if target is None:
        raise click.UsageError(text.cli_target_required())
    if is_store and time_col is None:
        time_col = "created_at"
    con = connect(db) if is_store else None
    return (data if is_store else Path(data)), target, time_col, con


def _train(data, target, time_col, split, holdout_share, model_kind, exclude, include, leakage_auc,
           maturity_days, min_per_class, seed, db, bands=None, refit=True):
    from leadlab.scoring.grades import parse_bands
    from leadlab.scoring.train import train_scorer

    data, target, time_col, con = _common(data, target, time_col, db)
    return train_scorer(
        str(data) if isinstance(data, Path) else data, target=target, time_col=time_col, split=split,
        holdout_share=holdout_share, model_kind=model_kind, exclude=list(exclude), include=list(include) or None,
        leakage_auc=leakage_auc, maturity_days=maturity_days, min_per_class=min_per_class, seed=seed, con=con,
        bands=parse_bands(bands) if bands else None, refit=refit,
    )


def _training_options(func):
    """The options shared by `score evaluate` and `score train`."""
    for option in reversed((_data, _target, _time, _split, _holdout, _model, _exclude, _include, _leak,
                            _maturity, _minpc, _seed)):
        func = option(func)
    return func


@score.command("evaluate", help=N_("""Train on older rows, test on a holdout, and report metrics (nothing is saved).

Prints ROC AUC, PR AUC, Brier, ECE, KS, lift with bootstrap 95% intervals, a baseline,
the leakage exclusions and drift (PSI) between training and test rows.

\b
Examples:
  leadlab score evaluate --data ../shared/data/bank-additional-full.csv --target y --split random --json
  leadlab score evaluate --data leads.csv --target converted --time-col created_at --exclude notes
  leadlab score evaluate --model-kind logistic          # the store's leads, target sql"""))
@_training_options
@_json
@db_option
def evaluate(data, target, time_col, split, holdout_share, model_kind, exclude, include, leakage_auc,
             maturity_days, min_per_class, seed, as_json, db) -> None:
    res = _train(data, target, time_col, split, holdout_share, model_kind, exclude, include, leakage_auc,
                 maturity_days, min_per_class, seed, db, refit=False)
    if as_json:
        click.echo(json.dumps(res.to_dict(), default=str))
    else:
        click.echo(res.summary())


@score.command("train", help=N_("""Train the scorer, evaluate it on a holdout, refit on all rows and save it with its model card.

\b
Examples:
  leadlab score train
  leadlab score train --model-kind logistic --bands A=40,B=20,C=10
  leadlab score train --data ../shared/data/bank-full.csv --target y --split random --out bank.skops
  leadlab score train --data leads.csv --target converted --time-col created_at --out models/s.skops"""))
@_training_options
@click.option("--bands", default=None, metavar="A=40,B=20,C=10",
              help=N_("Minimum score per grade (default: A top 10%, B next 20%, C next 30% of training scores)."))
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=N_("Model file to write (default: data/models/lead_scorer.skops); the model card goes beside it."))
@click.option("--quiet", "-q", is_flag=True, help=N_("Print only where the model was saved (and a flag, if any)."))
@_json
@db_option
def train(data, target, time_col, split, holdout_share, model_kind, exclude, include, leakage_auc, maturity_days,
          min_per_class, seed, bands, out, quiet, as_json, db) -> None:
    from leadlab.i18n import get_lang
    from leadlab.scoring import text
    from leadlab.scoring.data import STORE_SOURCE
    from leadlab.scoring.persist import card_markdown_paths, card_paths, from_training, save_model

    res = _train(data, target, time_col, split, holdout_share, model_kind, exclude, include, leakage_auc,
                 maturity_days, min_per_class, seed, db, bands=bands)
    model = from_training(res, data_label=STORE_SOURCE if data == "store" else str(data))
    path = save_model(model, out)
    if as_json:
        click.echo(json.dumps({**res.to_dict(), "model_path": str(path), "model_version": model.version}, default=str))
        return
    if not quiet:
        click.echo(res.summary() + "\n")
    cj, _cm = card_paths(path)
    cards = card_markdown_paths(path)
    click.echo(text.cli_saved(model.version, str(path)))
    others = [p.name for lang, p in cards.items() if lang != get_lang()] + [cj.name]
    click.echo("  " + text.cli_card(str(cards[get_lang()]), ", ".join(others)))
    if res.quality is not None and not res.quality.usable:
        click.echo("  " + text.cli_flagged())


@score.command("apply", help=N_("""Score the store's leads in chunks and write lead_scores (score 0-100, grade, priority, model version).

The previous lead_scores stay in place until every chunk succeeded. A model whose holdout
ROC AUC is at most 0.5, whose top-decile lift is at most 1, or that does not beat its
baseline is refused unless --allow-weak-model is given.

\b
Examples:
  leadlab score apply
  leadlab score apply --only-open --chunk-rows 50000 --model data/models/lead_scorer.skops"""))
@_modelpath
@click.option("--chunk-rows", type=int, default=200_000, show_default=True, help=N_("Leads scored per chunk (bounds memory)."))
@click.option("--only-open", is_flag=True, help=N_("Score only open leads (not SQL, won or lost); other scores are kept."))
@click.option("--quiet", "-q", is_flag=True, help=N_("No progress bar."))
@_weak
@db_option
def apply(model_path, chunk_rows, only_open, quiet, allow_weak, db) -> None:
    from leadlab.scoring import text
    from leadlab.scoring.apply import apply_scores
    from leadlab.scoring.persist import load_model
    from leadlab.store import connect, redact_url, resolve_url

    model = load_model(model_path)
    con = connect(db)
    res = apply_scores(model, con, chunk_rows=chunk_rows, only_open=only_open,
                       progress=not quiet and sys.stderr.isatty(), allow_weak=allow_weak)
    click.echo(res.summary())
    click.echo("  " + text.cli_store(redact_url(resolve_url(db))))


@score.command("monitor", help=N_("""Drift between the model's training window and a recent period: PSI per feature and for the
score (0.1 moderate, 0.25 major), calibration drift, and a retrain recommendation.

\b
Examples:
  leadlab score monitor
  leadlab score monitor --period 2026-W46 --json"""))
@_modelpath
@click.option("--period", type=PERIOD, default="last-month", show_default=True,
              help=N_("Recent period to compare with the training window (2026-10, 2026-W46, last-month, ...)."))
@_json
@db_option
def monitor(model_path, period, as_json, db) -> None:
    from leadlab.scoring.monitor import monitor_store
    from leadlab.scoring.persist import load_model
    from leadlab.store import connect

    model = load_model(model_path)
    res = monitor_store(model, connect(db), period=period)
    click.echo(json.dumps(res.to_dict(), default=str) if as_json else res.summary())


@score.command("call-list", help=N_("""Tomorrow's call list: each rep's best-scored open leads, up to the rep's daily capacity.

Needs lead_scores (run `leadlab score apply` first) written by the model in --model, and
refuses the scores of a model not fit for use unless --allow-weak-model is given.
Each row: rep, rank, lead ID (the CRM's key: join the list back to the CRM on it), the
contact's name token (never the raw name), source, created, call attempts, last call and
its result, the next step, score (0-100, one decimal), grade and priority.

--out writes .csv, .tsv or .xlsx (the suffix decides) with headers and next steps in the
current language; --column-ids keeps the column ids and codes for tools that read the file.
A CSV starts with a UTF-8 BOM when the language is Chinese (Excel on Chinese Windows
needs it); --bom/--no-bom decides instead.

\b
Examples:
  leadlab score call-list --capacity 40
  leadlab score call-list --capacity-file capacity.csv --out tomorrow.xlsx --lang zh
  leadlab score call-list --out tomorrow.csv --column-ids --no-bom   # for a dialer import"""))
@click.option("--capacity", type=int, default=40, show_default=True, help=N_("Calls per rep per day (same for every rep)."))
@click.option("--capacity-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help=N_("CSV with columns rep_id,capacity (overrides --capacity; reps not listed get no list)."))
@click.option("--max-attempts", type=int, default=8, show_default=True, help=N_("Skip leads already dialled this often."))
@click.option("--out", type=TABLE_FILE, default=None,
              help=N_("Write the list to this file: .csv, .tsv or .xlsx (the suffix decides)."))
@click.option("--bom/--no-bom", default=None,
              help=N_("Start a CSV/TSV with a UTF-8 byte-order mark (default: yes when the language is Chinese)."))
@click.option("--column-ids", is_flag=True,
              help=N_("Write column ids (lead_id, next_step, ...) and codes instead of headers for people."))
@_modelpath
@_weak
@db_option
def call_list_cmd(capacity, capacity_file, max_attempts, out, bom, column_ids, model_path, allow_weak, db) -> None:
    import pandas as pd

    from leadlab.errors import ConfigError, ModelError
    from leadlab.i18n import pgettext
    from leadlab.scoring import text
    from leadlab.scoring.call_list import call_list, call_list_display, check_scores, needs_model_error
    from leadlab.scoring.persist import load_model
    from leadlab.store import connect

    cap: int | dict = capacity
    if capacity_file is not None:
        from leadlab.tabular import read_table

        frame = read_table(capacity_file, option="--capacity-file")[0].reset_index(drop=True)  # as ingest reads files
        if not {"rep_id", "capacity"} <= set(frame.columns):
            raise ConfigError(text.cli_capacity_columns(str(capacity_file), list(map(str, frame.columns))))
        numbers = pd.to_numeric(frame.capacity, errors="coerce")
        bad = frame.index[numbers.isna() | (numbers < 0) | (numbers % 1 != 0)]
        if len(bad):
            raise ConfigError(text.cli_capacity_row(str(capacity_file), int(bad[0]) + 2))
        cap = dict(zip(frame.rep_id.astype(str), numbers.astype(int)))
    con = connect(db)
    versions = check_scores(con)  # before loading a model: "run score apply first" is the useful message
    try:
        model = load_model(model_path)
    except ModelError as exc:
        raise ModelError(needs_model_error(", ".join(versions) or "?", exc.message)) from None
    lst = call_list(con, capacity=cap, max_attempts=max_attempts, model=model, allow_weak=allow_weak)
    if out:
        from leadlab.tabular import write_table

        # numbers and times stay typed (a spreadsheet sorts them); headers for people unless --column-ids
        table = lst if column_ids else call_list_display(lst, for_file=True)
        write_table(table, out, option="--out", sheet=pgettext("sheet name", "Call list"), bom=bom)
        click.echo(text.cli_wrote(len(lst), lst.rep_id.nunique(), str(out)))
    elif lst.empty:
        click.echo(text.cli_nothing_to_call(max_attempts))
    else:
        with pd.option_context("display.width", 160, "display.max_rows", 60, "display.unicode.east_asian_width", True):
            click.echo(call_list_display(lst.head(50)).to_string(index=False))
        click.echo(text.cli_more(len(lst), lst.rep_id.nunique()))
