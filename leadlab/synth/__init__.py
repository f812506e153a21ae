"""Realistic synthetic telemarketing data with a known ground truth.

:func:`synthesize` writes reps, leads, calls, experiments, assignments, spend, QA reviews,
surveys, payments and the leads' owner history into the store, plus ``ground_truth.json`` (the true model: coefficients, rep
effects, experiment effects) and ``ground_truth_leads.parquet`` (each lead's true
SQL probability) beside it. The generative model is documented in docs/synth.md.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> truth = synthesize(2000, seed=1, url=f"duckdb://{folder}/s.duckdb", progress=False)
>>> truth["n_leads"], sorted(truth["experiments"])
(2000, ['EXP-LEAD-SCRIPT', 'EXP-REP-SCRIPT'])
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from leadlab import paths, store
from leadlab.errors import ConfigError
from leadlab.i18n import _
from leadlab.synth import model as M
from leadlab.synth.clock import DAY, add_months, from_seconds, sample_creation_times, to_seconds
from leadlab.synth.generate import BLOCK, Context, generate_block
from leadlab.synth import qa as synth_qa
from leadlab.synth import owners as synth_owners
from leadlab.synth import payments as synth_payments, surveys as synth_surveys
from leadlab.synth.reps import make_reps
from leadlab.synth.truth import experiment_effects, lead_frame, lead_model_description, oracle
from leadlab.synth.writer import DuckDBSink, store_has_data

__all__ = ["synthesize", "make_truth_dir", "MIN_LEADS"]

MIN_LEADS = 500


def _duckdb_path(url: str) -> Path:
    if not url.startswith("duckdb://"):
        raise ConfigError(
            _("leadlab synth writes a DuckDB file store; got {url}", url=store.redact_url(url)),
            details=[_("generate into a DuckDB file (e.g. --db duckdb://data/leadlab.duckdb) and load other backends from it")],
        )
    path = store.parse_duckdb_url(url).path  # query options are parsed, never part of the file name
    if path is None:
        raise ConfigError(_("leadlab synth needs a DuckDB file, not an in-memory database (--db duckdb:///path/leadlab.duckdb)"))
    return Path(path)


def make_truth_dir(folder: Path) -> None:
    """Create the ground-truth folder given with ``--truth-dir``; ConfigError when the system refuses."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(_("option --truth-dir: cannot create the folder {folder}: {reason}",
                            folder=str(folder), reason=exc.strerror or type(exc).__name__)) from None


def _check(n_leads: int, seed: int, end: str, months: int, chunk_leads: int) -> _dt.date:
    if not isinstance(n_leads, (int, np.integer)) or n_leads < MIN_LEADS:
        raise ConfigError(_("--leads must be an integer of at least {minimum} (got {value}): smaller operations leave "
                            "teams and experiment arms empty", minimum=str(MIN_LEADS), value=repr(n_leads)))
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(_("--seed must be a non-negative integer (got {value})", value=repr(seed)))
    if not isinstance(months, (int, np.integer)) or not 6 <= months <= 60:
        raise ConfigError(_("--months must be between 6 and 60 (got {value}): the experiments start {n} months before "
                            "the end", value=repr(months), n=str(M.EXPERIMENT_MONTHS)))
    if not isinstance(chunk_leads, (int, np.integer)) or chunk_leads < 1:
        raise ConfigError(_("chunk_leads must be a positive integer (got {value})", value=repr(chunk_leads)))
    try:
        return _dt.date.fromisoformat(str(end))
    except ValueError:
        raise ConfigError(_("--end must be a date like 2026-11-20 (got {value})", value=repr(end))) from None


def synthesize(
    n_leads: int = 30000,
    seed: int = 42,
    *,
    url: str | None = None,
    truth_dir: Path | None = None,
    end: str = "2026-11-20",
    months: int = 14,
    replace: bool = False,
    progress: bool = True,
    chunk_leads: int = 200_000,
) -> dict:
    """Write a synthetic operation of ``n_leads`` leads into the store and return its ground truth.

    Leads are created over ``months`` months ending on ``end`` (inclusive); the
    store holds the activity up to the end of that day. ``truth_dir`` (default:
    the store's folder) receives ``ground_truth.json`` and
    ``ground_truth_leads.parquet``. Deterministic for a seed, whatever
    ``chunk_leads`` (leads are drawn in fixed blocks of 10,000 with their own
    seeds; a chunk is written per ``chunk_leads`` leads).

    Raises ConfigError for bad parameters or when the store already holds data
    and ``replace`` is false.
    """
    end_date = _check(n_leads, seed, end, months, chunk_leads)
    n_leads, seed = int(n_leads), int(seed)
    url = store.resolve_url(url)
    path = _duckdb_path(url)
    truth_dir = Path(truth_dir) if truth_dir is not None else path.parent
    if not replace and store_has_data(path):
        raise ConfigError(
            _("the store already holds data ({url}); pass --replace (replace=True) to overwrite it",
              url=store.redact_url(url)),
            details=[_("nothing was written")],
        )
    t0 = time.perf_counter()
    end_s = to_seconds(end_date + _dt.timedelta(days=1))
    start_date = add_months(end_date, -months) + _dt.timedelta(days=1)
    start_s = to_seconds(start_date)
    exp_start_s = to_seconds(add_months(end_date, -M.EXPERIMENT_MONTHS) + _dt.timedelta(days=1))

    rng = np.random.default_rng([seed, 0])
    floor = make_reps(rng, n_leads, start_s, end_s)
    created = sample_creation_times(rng, n_leads, start_s, end_s)
    arm_key = int(rng.integers(0, 2**63 - 1))
    pii_key = f"{int(rng.integers(0, 2**63 - 1)):016x}"
    lead_width = max(7, len(str(n_leads - 1)))
    rep_width = max(3, len(str(floor.n)))
    rep_assigned_at = np.where(floor.rep_arm >= 0, np.maximum(floor.hired_at, exp_start_s), np.iinfo(np.int64).max)
    ctx = Context(seed=seed, start=start_s, end=end_s, exp_start=exp_start_s, floor=floor, arm_key=arm_key,
                  rep_assigned_at=rep_assigned_at)

    n_days = (end_s - start_s) // DAY
    spend_counts = np.zeros(len(M.CAMPAIGNS) * n_days, dtype=np.int64)
    truth_parts: list[dict[str, np.ndarray]] = []
    n_calls = 0
    blocks_per_chunk = max(1, -(-chunk_leads // BLOCK))
    sink = DuckDBSink(path, lead_width=lead_width, rep_width=rep_width, pii_key=pii_key)
    bar = _progress(n_leads, progress)
    try:
        sink.write_reps(floor)
        sink.write_rep_assignments(floor, exp_start_s)
        n_blocks = -(-n_leads // BLOCK)
        for c0 in range(0, n_blocks, blocks_per_chunk):
            parts = []
            for b in range(c0, min(n_blocks, c0 + blocks_per_chunk)):
                lo, hi = b * BLOCK, min(n_leads, (b + 1) * BLOCK)
                parts.append(generate_block(ctx, b, np.arange(lo, hi, dtype=np.int64), created[lo:hi]))
            leads = {k: np.concatenate([p.leads[k] for p in parts]) for k in parts[0].leads}
            calls = {k: np.concatenate([p.calls[k] for p in parts]) for k in parts[0].calls}
            truth_parts.extend(p.truth for p in parts)
            del parts
            day = (leads["created_at"] - start_s) // DAY
            spend_counts += np.bincount(leads["campaign"] * n_days + day, minlength=len(spend_counts))
            sink.write_block(leads, calls)
            n_calls += len(calls["lead_num"])
            bar.update(len(leads["lead_num"]))
            del leads, calls
        sink.write_frame("experiments", _experiments_frame(exp_start_s))
        sink.write_frame("spend", _spend_frame(np.random.default_rng([seed, 2]), spend_counts, n_days, start_date))
        qa_frame, qa_truth = synth_qa.reviews(sink.con, seed=seed, sql_effect=floor.sql_effect, end=end_date)
        sink.write_frame("qa_reviews", qa_frame)
        bar.set_postfix_str("ground truth", refresh=True)
        lead_truth = lead_frame(truth_parts, lead_width, floor.rep_ids)
        del truth_parts
        truth = _truth_dict(
            seed=seed, n_leads=n_leads, n_calls=n_calls, start=start_date, end=end_date,
            exp_start_s=exp_start_s, floor=floor, lead_truth=lead_truth,
        )
        truth["qa"] = qa_truth
        won = synth_payments.won_deals(sink.con)
        end_ts = pd.Timestamp(end_date) + pd.Timedelta(days=1)
        survey_frame, survey_truth = synth_surveys.surveys(won, np.random.default_rng([seed, 4]), floor.rep_ids, end_ts)
        payment_frame, payment_truth = synth_payments.payments(won, np.random.default_rng([seed, 5]), end_ts)
        sink.write_frame("surveys", survey_frame)
        sink.write_frame("payments", payment_frame)
        truth["customer"] = {"surveys": survey_truth, "payments": payment_truth}
        owner_log, truth["pool"] = synth_owners.synthesize_history(sink.con, np.random.default_rng([seed, 6]), end_ts,
                                                                   lead_truth)
        sink.write_frame("lead_owner_history", owner_log)
        truth_dir.mkdir(parents=True, exist_ok=True)
        tmp_json = truth_dir / f".ground_truth.json.{os.getpid()}.tmp"
        tmp_parquet = truth_dir / f".ground_truth_leads.parquet.{os.getpid()}.tmp"
        bar.set_postfix_str("saving", refresh=True)
        tmp_json.write_text(json.dumps(truth, indent=2, default=_json_default))
        lead_truth.to_parquet(tmp_parquet, index=False)
        sink.commit()
    except BaseException:
        sink.abort()
        for p in truth_dir.glob(f".ground_truth*.{os.getpid()}.tmp"):
            p.unlink(missing_ok=True)
        raise
    finally:
        bar.close()
    os.replace(tmp_json, truth_dir / "ground_truth.json")
    os.replace(tmp_parquet, truth_dir / "ground_truth_leads.parquet")
    truth["seconds"] = round(time.perf_counter() - t0, 2)  # returned only: the files are identical per seed
    truth["paths"] = {
        "store": str(path),
        "ground_truth": str(truth_dir / "ground_truth.json"),
        "ground_truth_leads": str(truth_dir / "ground_truth_leads.parquet"),
    }
    return truth


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="lead", unit_scale=True, desc="synth", file=sys.stderr,
                disable=not enabled or not sys.stderr.isatty())


def _experiments_frame(exp_start_s: int) -> pd.DataFrame:
    started = pd.Timestamp(from_seconds(exp_start_s))
    return pd.DataFrame(
        [
            {
                "experiment_id": M.LEAD_EXP,
                "name": "Lead-level call script test",
                "unit_type": "lead",
                "control_arm": "A",
                "primary_metric": "sql_rate",
                "started_at": started,
                "ended_at": pd.NaT,
                "description": "New opening script (B) vs the current one (A), randomized per new lead "
                "in teams " + " and ".join(M.LEAD_EXP_TEAMS) + ".",
            },
            {
                "experiment_id": M.REP_EXP,
                "name": "Rep-level call script test",
                "unit_type": "rep",
                "control_arm": "A",
                "primary_metric": "sql_rate",
                "started_at": started,
                "ended_at": pd.NaT,
                "description": "Objection-handling script (B) vs the current one (A), randomized per rep "
                "in teams " + " and ".join(M.REP_EXP_TEAMS) + "; applies to leads created since the start.",
            },
        ]
    )


def _spend_frame(rng: np.random.Generator, counts: np.ndarray, n_days: int, start: _dt.date) -> pd.DataFrame:
    counts = counts.reshape(len(M.CAMPAIGNS), n_days)
    cpl = np.array([list(M.SOURCES.values())[s].cost_per_lead for s, _ in M.CAMPAIGNS])
    noise = np.exp(rng.normal(0, 0.12, counts.shape))
    amount = np.round(counts * cpl[:, None] * noise, 2)
    ci, di = np.nonzero(counts > 0)
    return pd.DataFrame(
        {
            "date": pd.to_datetime(start) + pd.to_timedelta(di, unit="D"),
            "source": np.array(M.SOURCE_NAMES, dtype=object)[[M.CAMPAIGNS[c][0] for c in ci]],
            "campaign": np.array(M.CAMPAIGN_NAMES, dtype=object)[ci],
            "amount": amount[ci, di],
        }
    ).sort_values(["date", "source", "campaign"], ignore_index=True)


def _truth_dict(*, seed, n_leads, n_calls, start, end, exp_start_s, floor, lead_truth) -> dict:
    rep_ids = floor.rep_ids
    exp_started = from_seconds(exp_start_s).isoformat()
    lead_units = lead_truth["lead_exp_arm"].notna()
    rep_units = floor.rep_arm >= 0
    return {
        "generator": "leadlab.synth",
        "version": 1,
        "seed": seed,
        "n_leads": n_leads,
        "n_calls": n_calls,
        "n_reps": floor.n,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "window": "leads created from start 00:00 to end 24:00; activity after end is not in the store",
        "lead_model": lead_model_description(lead_truth.attrs["mean_process_logit"]),
        "rep_effects": {r: float(v) for r, v in zip(rep_ids, floor.sql_effect)},
        "rep_skill": {
            r: {
                "team": M.TEAMS[floor.team[i]],
                "sql_logit": float(floor.sql_effect[i]),
                "connect_logit": float(floor.connect_effect[i]),
                "fast_response_logit": float(floor.fast_logit[i]),
                "hired_at": from_seconds(floor.hired_at[i]).date().isoformat(),
                "hourly_cost": float(floor.hourly_cost[i]),
            }
            for i, r in enumerate(rep_ids)
        },
        "experiments": {
            M.LEAD_EXP: {
                "unit_type": "lead",
                "control": "A",
                "arms": list(M.LEAD_EXP_ARMS),
                "teams": list(M.LEAD_EXP_TEAMS),
                "started_at": exp_started,
                "script": {"A": "lead-script-A", "B": "lead-script-B"},
                "arm_effects": {a: {"sql_logit": v[0], "talk_multiplier": v[1]} for a, v in M.LEAD_EXP_ARMS.items()},
                "n_units": int(lead_units.sum()),
                "n_units_per_arm": {k: int(v) for k, v in lead_truth["lead_exp_arm"].value_counts().items()},
                "estimand": "sql_rate: mean over the experiment's leads of (p_B - p_A) * [qualifying call falls inside"
                " the window]; talk_seconds_per_call: sum of expected talk / sum of expected dials under each arm",
                "true_effects": experiment_effects(lead_truth, "lead_exp_arm", per_rep=False),
            },
            M.REP_EXP: {
                "unit_type": "rep",
                "control": "A",
                "arms": list(M.REP_EXP_ARMS),
                "teams": list(M.REP_EXP_TEAMS),
                "started_at": exp_started,
                "script": {"A": "rep-script-A", "B": "rep-script-B"},
                "arm_effects": {a: {"sql_logit": v[0], "talk_multiplier": v[1]} for a, v in M.REP_EXP_ARMS.items()},
                "n_units": int(rep_units.sum()),
                "n_units_per_arm": {a: int((floor.rep_arm == i).sum()) for i, a in enumerate(M.REP_EXP_ARMS)},
                "n_leads": int(lead_truth["rep_exp_arm"].notna().sum()),
                "rep_arms": {rep_ids[i]: ("A", "B")[floor.rep_arm[i]] for i in np.flatnonzero(rep_units)},
                "estimand": "sql_rate: over the leads the reps own that were created at or after the rep's assigned_at"
                " (lead-weighted, i.e. the ratio of sums a per-rep cluster analysis estimates): mean of (p_B - p_A) *"
                " [qualifying call inside the window]; per_rep_unweighted averages the per-rep means instead."
                " talk_seconds_per_call: over every dial the reps make at or after their assigned_at (the script is"
                " used on all of them): sum of expected talk / sum of expected dials under each arm",
                "true_effects": experiment_effects(lead_truth, "rep_exp_arm", per_rep=True, call_col="rep_exp_call_arm"),
            },
        },
        "oracle": oracle(lead_truth),
        "model": M.describe(),
    }


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.ndarray,)):
        return o.tolist()
    raise TypeError(type(o).__name__)
