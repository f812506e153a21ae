"""Batch scoring into the store's ``lead_scores`` table, and the capacity-aware call list.

:func:`apply_scores` streams the leads table in chunks (DuckDB ``to_arrow_reader`` /
Ibis ``to_pyarrow_batches``), scores each chunk and appends it to a staging table; only when
every chunk succeeded does the staging table replace ``lead_scores`` (one transaction on
DuckDB), so a failure leaves the previous scores intact. Memory is bounded by the chunk size.

:func:`call_list` ranks each rep's open leads by score in the backend and keeps the top
``capacity`` per rep: the list for the next working day.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from leadlab.errors import ConfigError, DataError, ModelError, StoreError
from leadlab.i18n import _, fmt, ngettext, pgettext
from leadlab.presentation import Result
from leadlab.scoring import text
from leadlab.scoring.grades import priority
from leadlab.scoring.quality import check_usable
from leadlab.schema import LEAD_SCORES, business_timezone
from leadlab.store import has_table, table as store_table

OUTPUT = "lead_scores"
#: Decimals of the score in the call list (people read it; the ranking uses the full score).
SCORE_DECIMALS = 1

def call_list_headers() -> dict[str, str]:
    """Columns of the call list (facts) → their headers for people (a rep reads them), current language."""
    return {
        "rep_id": pgettext("call list", "Rep"), "rank": pgettext("call list", "Rank"),
        "lead_id": pgettext("call list", "Lead ID"), "score": pgettext("call list", "Score"),
        "grade": pgettext("call list", "Grade"), "priority": pgettext("call list", "Priority"),
        "source": pgettext("call list", "Lead source"), "created_at": pgettext("call list", "Created"),
        "attempts": pgettext("call list", "Call attempts"), "last_call": pgettext("call list", "Last call"),
    }


def no_scores_error(state: str) -> str:
    """``state``: ``missing`` or ``empty``."""
    if state == "missing":
        return _("no lead scores in the store (table lead_scores is missing): run `leadlab score apply` first, then "
                 "`leadlab score call-list`")
    return _("no lead scores in the store (table lead_scores is empty): run `leadlab score apply` first, then "
             "`leadlab score call-list`")


def needs_model_error(found: str, problem: str) -> str:
    return _("the call list uses only scores of a model fit for use, and lead_scores come from model {found}: {problem}",
             found=found, problem=problem)


def stale_error(found: str, expected: str) -> str:
    return _("lead_scores were written by model {found}, but the model file holds {expected}: run `leadlab score "
             "apply` again (or pass --model with the file of {found})", found=found, expected=expected)


def call_list_display(lst: pd.DataFrame) -> pd.DataFrame:
    """The call list for people: headers in the current language, scores with one decimal, times
    as the business time zone's wall clock. The facts (``call_list``) keep their column ids."""
    out = lst.copy()
    for col in ("created_at", "last_call"):
        if col in out:
            out[col] = [fmt.datetime(v) if not fmt.missing(v) else "" for v in out[col]]
    if "score" in out:
        out["score"] = [fmt.number(v, SCORE_DECIMALS) for v in out["score"]]
    return out.rename(columns=call_list_headers())


@dataclass
class ApplyResult(Result):
    """What ``leadlab score apply`` did."""

    model_version: str
    rows: int
    chunks: int
    seconds: float
    grades: dict[str, int] = field(default_factory=dict)
    unseen: dict[str, int] = field(default_factory=dict)
    table: str = OUTPUT

    def title(self) -> str:
        return ngettext("Scored {n} lead in {chunks} chunks ({seconds}) with model {version} → table {table}",
                        "Scored {n} leads in {chunks} chunks ({seconds}) with model {version} → table {table}",
                        self.rows, n=fmt.number(self.rows), chunks=fmt.number(self.chunks),
                        seconds=fmt.seconds(self.seconds) if self.seconds >= 1 else _("under a second"),
                        version=self.model_version, table=self.table)

    def to_pandas(self) -> pd.DataFrame:
        return pd.DataFrame({"grade": list(self.grades), "leads": list(self.grades.values())})

    def display_frame(self) -> pd.DataFrame:
        g = sorted(self.grades.items())
        return pd.DataFrame({pgettext("grades table", "Grade"): [k for k, _v in g],
                             pgettext("grades table", "Leads"): [fmt.number(v) for _k, v in g]})

    def notes(self) -> list[str]:
        if not self.unseen:
            return []
        return [_("Categories never seen in training (scored as '(other)'): {items}", items=text.listing(
            ngettext("{column} {n} row", "{column} {n} rows", n, column=c, n=fmt.number(n))
            for c, n in self.unseen.items()))]


def _constant(value: str, n: int) -> pa.Array:
    """A string column holding ``value`` n times, built without Python objects per row."""
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value])).cast(pa.string())


def _score_batch(model, batch: pa.RecordBatch, scored_at: pd.Timestamp) -> tuple[pa.Table, dict, dict]:
    """Score one Arrow batch without pandas: Arrow columns -> encoded float arrays
    (:meth:`FeatureFrame.transform_arrow`) -> calibrated probabilities
    (:meth:`LeadScorer.proba_from_columns`; the logistic model as plain array arithmetic) ->
    grade and priority codes -> an Arrow table for the staging insert."""
    scorer = model.scorer
    cols = scorer.features_.transform_arrow(batch)
    score = 100.0 * scorer.proba_from_columns(cols)
    unseen = scorer.features_.unseen_counts_arrow(batch)
    letters = np.array(["A", "B", "C", "D"])
    bands = model.meta["bands"]
    codes = np.full(len(score), 3, dtype=np.int32)
    for i, g in ((2, "C"), (1, "B"), (0, "A")):  # same rule as grades.grade
        codes[score >= bands[g]] = i
    n = len(score)
    result = pa.table({
        "lead_id": batch.column(batch.schema.get_field_index("lead_id")).cast(pa.string()),
        "score": pa.array(score, pa.float64()),
        "grade": pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(letters)).cast(pa.string()),
        "priority": pa.array(priority(score, model.meta["priority_cuts"]), pa.int64()),
        "model_version": _constant(model.version, n),
        "scored_at": pa.array(np.full(n, scored_at.to_datetime64()), pa.timestamp("us")),
    })
    counts = np.bincount(codes, minlength=4)
    return result, {g: int(c) for g, c in zip(letters, counts) if c}, unseen


def _merge(a: dict, b: dict) -> None:
    for k, v in b.items():
        a[k] = a.get(k, 0) + v


def apply_scores(model, con, *, source_table: str = "leads", chunk_rows: int = 200_000,
                 only_open: bool = False, progress: bool = False, allow_weak: bool = False) -> ApplyResult:
    """Score every lead of ``source_table`` (or only open ones: not SQL, not won, not lost)
    with ``model`` and replace ``lead_scores`` with the result. A model that does not beat a
    random order or its baseline (:mod:`leadlab.scoring.quality`) is refused (ModelError) unless
    ``allow_weak``."""
    import time

    if chunk_rows < 1:
        raise ConfigError(_("chunk_rows={value}: must be at least 1", value=str(chunk_rows)))
    check_usable(model.meta, allow_weak=allow_weak, action="apply")
    t0 = time.perf_counter()
    leads = store_table(con, source_table)
    missing = [c for c in model.features if c not in leads.columns]
    if missing:
        raise DataError(text.missing_columns(_("store table {table}", table=source_table), missing, model.version))
    if "lead_id" not in leads.columns:
        raise DataError(_("store table {table}: no lead_id column", table=source_table))
    cols = ["lead_id"] + [c for c in model.input_columns if c in leads.columns]
    expr = leads
    if only_open:
        for c in ("sql_at", "won_at", "lost_at"):
            if c in leads.columns:
                expr = expr.filter(expr[c].isnull())
    expr = expr.select(*cols)
    total = int(expr.count().to_pyarrow().as_py())
    scored_at = pd.Timestamp.now(tz=business_timezone()).tz_localize(None).floor("s")  # business local time, like every stored timestamp
    staging = f"_lead_scores_staging_{os.getpid()}"
    grades: dict[str, int] = {}
    unseen: dict[str, int] = {}
    n = chunks = 0
    from tqdm import tqdm

    bar = tqdm(total=total, unit="lead", disable=not progress, desc="scoring")
    is_duckdb = con.name == "duckdb"
    try:
        con.create_table(staging, schema=LEAD_SCORES.ibis_schema, overwrite=True)
        if is_duckdb:
            reader_cur = con.con.cursor()
            writer_cur = con.con.cursor()
            reader = reader_cur.execute(ibis.to_sql(expr, dialect="duckdb")).to_arrow_reader(chunk_rows)
        else:
            reader = expr.to_pyarrow_batches(chunk_size=chunk_rows)
        for batch in reader:
            if batch.num_rows == 0:
                continue
            result, g, u = _score_batch(model, batch, scored_at)
            if is_duckdb:
                writer_cur.register("_leadlab_chunk", result)
                writer_cur.execute(f'INSERT INTO "{staging}" SELECT * FROM _leadlab_chunk')
                writer_cur.unregister("_leadlab_chunk")
            else:
                con.insert(staging, result)
            _merge(grades, g)
            _merge(unseen, u)
            n += batch.num_rows
            chunks += 1
            bar.update(batch.num_rows)
        _publish(con, staging, replace_all=not only_open and source_table == "leads")
    except BaseException:
        try:
            con.drop_table(staging, force=True)
        except Exception:  # pragma: no cover - best effort cleanup
            pass
        raise
    finally:
        bar.close()
    return ApplyResult(model.version, n, chunks, time.perf_counter() - t0, grades, unseen)


def _publish(con, staging: str, *, replace_all: bool) -> None:
    """Move the staging rows into lead_scores in one step."""
    if con.name == "duckdb":
        cur = con.con.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            if replace_all or not has_table(con, OUTPUT):
                cur.execute(f"DROP TABLE IF EXISTS {OUTPUT}")
                cur.execute(f'ALTER TABLE "{staging}" RENAME TO {OUTPUT}')
            else:
                cur.execute(f'DELETE FROM {OUTPUT} WHERE lead_id IN (SELECT lead_id FROM "{staging}")')
                cur.execute(f'INSERT INTO {OUTPUT} SELECT * FROM "{staging}"')
                cur.execute(f'DROP TABLE "{staging}"')
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return
    new = con.table(staging)
    if not replace_all and has_table(con, OUTPUT):
        old = con.table(OUTPUT)
        new = old.anti_join(new, "lead_id").union(new)
    con.create_table(OUTPUT, new.to_pyarrow(), overwrite=True)
    con.drop_table(staging, force=True)


def check_scores(con, model=None, *, allow_weak: bool = False) -> list[str]:
    """Refuse a call list without lead scores (StoreError: run ``score apply`` first); with
    ``model``, refuse scores written by another model version and a model not fit for use
    (ModelError, unless ``allow_weak``). Returns the model versions found in lead_scores."""
    if not has_table(con, OUTPUT):
        raise StoreError(no_scores_error("missing"))
    scores = con.table(OUTPUT)
    if int(scores.count().to_pyarrow().as_py()) == 0:
        raise StoreError(no_scores_error("empty"))
    found = scores.select("model_version").distinct().to_pyarrow()["model_version"].to_pylist()
    versions = sorted(v for v in found if v is not None)
    if model is None:
        return versions
    stale = [v for v in versions if v != model.version]
    if stale:
        raise ModelError(stale_error(stale[0], model.version))
    check_usable(model.meta, allow_weak=allow_weak, action="call_list")
    return versions


def call_list(con, *, capacity: int | dict[str, int] = 40, as_of: pd.Timestamp | None = None,
              exclude_dispositions: tuple[str, ...] = ("do_not_call", "wrong_number", "complaint"),
              max_attempts: int | None = 8, model=None, allow_weak: bool = False) -> pd.DataFrame:
    """Tomorrow's call list: for each rep, the best-scored open leads they own, up to their
    daily ``capacity`` (one number for everyone, or ``{rep_id: n}``; reps missing from the
    mapping get no list). Open = not SQL, won or lost; leads marked do-not-call, wrong number
    or complaint, and leads already dialled ``max_attempts`` times, are left out.
    Ranking runs in the backend (a window over rep_id); the score is then rounded to
    :data:`SCORE_DECIMALS` decimals for people. Without ``lead_scores`` a StoreError says to run
    ``score apply`` first; ``model`` / ``allow_weak``: see :func:`check_scores`."""
    if isinstance(capacity, int):
        if capacity < 1:
            raise ConfigError(_("capacity={value}: must be at least 1 call per rep per day", value=str(capacity)))
    elif not capacity or any(int(v) < 0 for v in capacity.values()):
        raise ConfigError(_("capacity: give a non-negative number of calls per rep"))
    check_scores(con, model, allow_weak=allow_weak)
    scores = store_table(con, OUTPUT)
    leads = store_table(con, "leads")
    open_leads = leads.filter(leads.sql_at.isnull() & leads.won_at.isnull() & leads.lost_at.isnull()
                              & leads.rep_id.notnull())
    if as_of is not None:
        open_leads = open_leads.filter(open_leads.created_at <= as_of)
    base = open_leads.select("lead_id", "rep_id", "created_at", "source").join(scores, "lead_id")
    if has_table(con, "calls"):
        calls = con.table("calls")
        stats = calls.group_by("lead_id").aggregate(
            attempts=calls.count(),
            blocked=(calls.disposition.isin(list(exclude_dispositions))).cast("int64").sum(),
            last_call=calls.started_at.max(),
        )
        base = base.left_join(stats, "lead_id").drop("lead_id_right")
        base = base.filter(base.blocked.fill_null(0) == 0)
        if max_attempts is not None:
            base = base.filter(base.attempts.fill_null(0) < max_attempts)
    w = ibis.window(group_by=base.rep_id, order_by=[ibis.desc(base.score), base.lead_id])
    ranked = base.mutate(rank=ibis.row_number().over(w) + 1)
    if isinstance(capacity, int):
        ranked = ranked.filter(ranked["rank"] <= capacity)
    else:
        cap = ibis.memtable(pd.DataFrame({"rep_id": list(capacity), "capacity": [int(v) for v in capacity.values()]}))
        ranked = ranked.join(cap, "rep_id").filter(lambda t: t["rank"] <= t.capacity).drop("capacity")
    cols = ["rep_id", "rank", "lead_id", "score", "grade", "priority", "source", "created_at"]
    if "attempts" in ranked.columns:
        cols += ["attempts", "last_call"]
    out = ranked.select(*cols).order_by(["rep_id", "rank"]).to_pandas()
    if "attempts" in out:
        out["attempts"] = out["attempts"].fillna(0).astype("int64")
    out["score"] = out["score"].astype("float64").round(SCORE_DECIMALS)
    return out
