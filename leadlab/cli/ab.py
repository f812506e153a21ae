"""``leadlab ab``: A/B tests of call scripts (from counts, on the store, design, assignment)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

from leadlab.cli import db_option
from leadlab.cli.help import HelpGroup
from leadlab.cli.types import AS_OF, FINITE, TABLE_FILE
from leadlab.i18n import N_


@click.group("ab", cls=HelpGroup, help=N_("""A/B tests of call scripts: analyse, design, assign.

\b
Examples:
  leadlab ab from-counts --arm A:1000:80 --arm B:1000:95
  leadlab ab analyze --experiment EXP-LEAD-SCRIPT
  leadlab ab design --baseline 0.08 --mde 0.01 --daily 400
  leadlab ab assign leads.csv --salt EXP-7 --arms A,B --output arms.csv"""))
def ab() -> None:
    """The ``ab`` group (its help is in the decorator)."""


def _num(v):
    if v is None:
        return None
    v = float(v)
    return None if math.isnan(v) or math.isinf(v) else v


@ab.command("from-counts", help=N_("""Compare conversion counts of two or more arms.

Prints the sample-ratio check, each arm vs the control (absolute effect with CI,
relative lift with CI, p-value, Bayesian chance to beat control and expected loss)
and a verdict. Small counts use Fisher's exact test.

\b
Examples:
  leadlab ab from-counts --arm A:1000:80 --arm B:1000:95
  leadlab ab from-counts --arm A:5000:400 --arm B:5000:455 --arm C:5000:430 --json
  leadlab ab from-counts --arm new:800:70 --arm old:800:52 --control old"""))
@click.option("--arm", "arms", multiple=True, required=True, metavar=N_("NAME:UNITS:SUCCESSES"),
              help=N_("One arm: its name, units (e.g. leads) and successes (e.g. SQLs). Repeat per arm; the first is the control."))
@click.option("--control", default=None, help=N_("Name of the control arm (default: the first --arm)."))
@click.option("--alpha", type=FINITE, default=0.05, show_default=True, help=N_("Significance level (two-sided)."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print one JSON object (effects as fractions, not percent)."))
def from_counts_cmd(arms: tuple[str, ...], control: str | None, alpha: float, as_json: bool) -> None:
    from leadlab.experiments import check_alpha, from_counts, parse_arm_option

    check_alpha(alpha)
    parsed = [parse_arm_option(a, i + 1) for i, a in enumerate(arms)]
    res = from_counts(parsed, control=control, alpha=alpha)
    if as_json:
        out = {"srm_p_value": _num(res.srm_p_value), "comparisons": []}
        for r in res.effects.itertuples():
            out["comparisons"].append({
                "arm": r.arm, "control": r.control, "units": int(r.units), "control_units": int(r.control_units),
                "rate": _num(r.value), "control_rate": _num(r.control_value), "effect": _num(r.effect),
                "ci_low": _num(r.ci_low), "ci_high": _num(r.ci_high), "rel_effect": _num(r.rel_effect),
                "rel_ci_low": _num(r.rel_ci_low), "rel_ci_high": _num(r.rel_ci_high), "p_value": _num(r.p_value),
                "chance_to_beat": _num(r.chance_to_beat), "expected_loss": _num(r.expected_loss),
            })
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(res.summary())


@ab.command("analyze", help=N_("""Analyse an experiment of the store, per its randomization unit.

One grouped query per experiment; the result states the analysis unit and the data
grain, the sample-ratio check, contamination, every metric's effect (CUPED-adjusted
on the pre-period covariate), guardrails, the looks planned and used, the sequential
status and a verdict (all from one decision rule).

Rep tests use a small-sample t (Bell-McCaffrey degrees of freedom, one fewer for the
CUPED slope) and, with a planned end, a Lan-DeMets O'Brien-Fleming group-sequential
boundary over the planned looks; lead tests use the always-valid interval when monitored.

\b
Metrics: sql_rate, lead_reach_rate, lead_conversation_rate, lead_opportunity_rate,
lead_conversion_rate, revenue_per_lead, sqls_per_call, talk_seconds_per_call,
complaints_per_1000, dnc_per_1000 (`leadlab kpi list` defines them).
\b
Examples:
  leadlab ab analyze --experiment EXP-LEAD-SCRIPT
  leadlab ab analyze --experiment EXP-REP-SCRIPT --metric sql_rate --metric talk_seconds_per_call
  leadlab ab analyze --experiment EXP-REP-SCRIPT --analysis-unit call   # naive, for comparison
  leadlab ab analyze --experiment EXP-LEAD-SCRIPT --as-of 2026-10-01 --json
  leadlab ab analyze --experiment EXP-REP-SCRIPT --planned-end 2027-03-01 --look-every week"""))
@click.option("--experiment", "experiment_id", default="", help=N_("Experiment id in the store (default: the first one)."))
@click.option("--metric", "metrics", multiple=True, metavar=N_("NAME"),
              help=N_("Metric to analyse (repeat or comma-separate; default: SQL rate, funnel rates, per-call metrics, guardrails)."))
@click.option("--alpha", type=FINITE, default=0.05, show_default=True, help=N_("Significance level."))
@click.option("--alternative", type=click.Choice(["two-sided", "greater", "less"]), default="two-sided", show_default=True)
@click.option("--as-of", type=AS_OF, default=None, help=N_("Count only activity before this time (YYYY-MM-DD[ HH:MM])."))
@click.option("--analysis-unit", default="auto", show_default=True,
              type=click.Choice(["auto", "lead", "call", "naive"]),
              help=N_("auto = the randomization unit. lead/call on a rep experiment = the NAIVE row-level analysis (for comparison only)."))
@click.option("--no-cuped", is_flag=True, help=N_("Do not adjust for the pre-period covariate."))
@click.option("--planned-end", default="",
              help=N_("Planned end date (YYYY-MM-DD) for sequential monitoring; default: the experiment's ended_at. "
                      "Without one the analysis is a single final look."))
@click.option("--look-every", type=click.Choice(["day", "week"]), default="day", show_default=True,
              help=N_("How often the results are looked at (sets the planned looks up to the planned end)."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print the full result as JSON."))
@db_option
def analyze_cmd(experiment_id, metrics, alpha, alternative, as_of, analysis_unit, no_cuped, planned_end, look_every,
                as_json, db) -> None:
    from leadlab.experiments import analyze, check_alpha

    names = [n.strip() for m in metrics for n in m.split(",") if n.strip()] or None
    check_alpha(alpha)
    res = analyze(experiment_id=experiment_id or None, metrics=names, alpha=alpha, alternative=alternative,
                  as_of=as_of or None, analysis_unit=analysis_unit, cuped=not no_cuped, url=db,
                  planned_end=planned_end or None, look_every=look_every)
    if as_json:
        click.echo(json.dumps(res.to_dict(), indent=2, default=str))
    else:
        click.echo(res.summary())


@ab.command("design", help=N_("""Sample size, power, minimum detectable effect and days needed.

Values not given are estimated from the last 90 days of the store (baseline SQL
rate, daily lead volume, the ICC of SQL within reps).

\b
Examples:
  leadlab ab design --baseline 0.08 --mde 0.01 --daily 400
  leadlab ab design --mde 0.10 --relative            # baseline and volume from the store
  leadlab ab design --unit rep --mde 0.02          # clustered: reps and ICC from the store
  leadlab ab design --unit rep --reps 18 --baseline 0.087 --mde 0.022 --daily 35 --icc 0.008"""))
@click.option("--baseline", type=FINITE, default=None, help=N_("Control rate (e.g. 0.08 for 8% SQL rate); default: from the store."))
@click.option("--mde", "effect", type=FINITE, default=None, help=N_("Effect to detect, absolute (0.01 = +1 pp) unless --relative."))
@click.option("--relative", is_flag=True, help=N_("--mde is relative to the baseline (0.10 = +10%)."))
@click.option("--sd", type=FINITE, default=None, help=N_("Per-unit standard deviation for a mean or ratio metric (instead of a rate)."))
@click.option("--alpha", type=FINITE, default=0.05, show_default=True)
@click.option("--power", "power_target", type=FINITE, default=0.8, show_default=True)
@click.option("--arms", type=click.IntRange(min=2), default=2, show_default=True, help=N_("Number of arms (equal split)."))
@click.option("--daily", type=FINITE, default=None, help=N_("New leads per day entering the test; default: from the store."))
@click.option("--unit", type=click.Choice(["lead", "rep"]), default="lead", show_default=True,
              help=N_("Randomization unit; rep uses the ICC and leads per rep (design effect)."))
@click.option("--icc", type=FINITE, default=None, help=N_("Intra-class correlation of the outcome within reps; default: from the store."))
@click.option("--reps", type=int, default=None, help=N_("Reps in the test (--unit rep); default: all reps with leads in the store."))
@db_option
def design_cmd(baseline, effect, relative, sd, alpha, power_target, arms, daily, unit, icc, reps, db) -> None:
    from leadlab.experiments import plan_test

    plan = plan_test(baseline=baseline, effect=effect, relative=relative, sd=sd, alpha=alpha,
                     power_target=power_target, arms=arms, daily=daily, unit=unit, icc=icc, reps=reps, url=db)
    click.echo(plan.summary())


@ab.command("assign", help=N_("""Assign units (leads or reps) to arms by hashing (salt, unit id), as a file `leadlab ingest assignments` loads.

Reads UNITS_FILE as `leadlab ingest` does (CSV in UTF-8, UTF-8 with BOM or GB18030/GBK,
Excel .xlsx, Parquet). The unit id column: --column, else the column --mapping (the mapping
file of `leadlab ingest leads|reps`) maps to lead_id/rep_id, else a column named
lead_id/rep_id, else the only column. Writes experiment_id, unit_type, unit_id, arm,
assigned_at: load it with `leadlab ingest assignments FILE` as it is. Deterministic: re-running
gives the same arms, so a lead that reappears keeps its script. A unit listed twice, a missing
column or an empty file is refused and nothing is written. Cells a spreadsheet would run as
formulas (starting with = + - @ ...) are written with a leading quote.

\b
Examples:
  leadlab ab assign new_leads.csv --salt EXP-OPENER-2 --arms A,B --output arms.csv
  leadlab ab assign crm_export.xlsx --mapping mapping_zh.yml --salt EXP-OPENER-2 --output arms.xlsx
  leadlab ab assign reps.xlsx --unit rep --salt EXP-REP-7 --column rep_id --arms A,B,C --weights 2,1,1 --output arms.xlsx
  leadlab ingest assignments arms.xlsx"""))
@click.argument("units_file", type=click.Path(dir_okay=False, path_type=Path), metavar=N_("UNITS_FILE"))
@click.option("--salt", required=True, help=N_("Experiment salt (e.g. the experiment id); the same salt gives the same arms."))
@click.option("--experiment", "experiment_id", default=None, help=N_("Experiment id written in the file (default: the salt)."))
@click.option("--unit", "unit_type", type=click.Choice(["lead", "rep"]), default="lead", show_default=True,
              help=N_("What the ids are: leads (leads.lead_id) or reps (reps.rep_id)."))
@click.option("--arms", default="A,B", show_default=True, help=N_("Comma-separated arm names."))
@click.option("--weights", default=None, help=N_("Comma-separated weights (default: equal)."))
@click.option("--column", default=None, help=N_("Column holding the unit id (default: see above)."))
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=N_("Mapping file of the export (as for `leadlab ingest`): finds the unit id column and the encoding."))
@click.option("--encoding", default=None, metavar=N_("NAME"),
              help=N_("Text encoding of a CSV (utf-8, utf-8-sig, gb18030/gbk); detected when omitted, as in `ingest`."))
@click.option("--assigned-at", type=AS_OF, default=None,
              help=N_("When the units entered the experiment (YYYY-MM-DD[ HH:MM]; default: now)."))
@click.option("--output", type=TABLE_FILE, default=None,
              help=N_("File to write: .csv, .tsv or .xlsx, the suffix decides (default: CSV on standard output)."))
@click.option("--bom/--no-bom", default=None,
              help=N_("Start a CSV/TSV with a UTF-8 byte-order mark (default: yes when the language is Chinese)."))
def assign_cmd(units_file: Path, salt: str, experiment_id: str | None, unit_type: str, arms: str,
               weights: str | None, column: str | None, mapping: Path | None, encoding: str | None,
               assigned_at, output: Path | None, bom: bool | None) -> None:
    from leadlab.experiments import assigned_text, parse_assign_options
    from leadlab.experiments.assign_file import assign_file
    from leadlab.tabular import write_csv_stream, write_table

    arm_names, w = parse_assign_options(salt, arms, weights)
    res = assign_file(units_file, salt=salt, arms=arm_names, weights=w, experiment_id=experiment_id,
                      unit_type=unit_type, column=column, mapping=mapping, encoding=encoding,
                      assigned_at=assigned_at)
    if output:
        write_table(res.frame, output, option="--output", sheet="assignments", bom=bom)
    else:
        write_csv_stream(res.frame, sys.stdout)
    click.echo(assigned_text(res.counts, str(output) if output else None), err=True)
