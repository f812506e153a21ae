"""Batch scoring into the store's ``lead_scores`` table (the call list is in
:mod:`leadlab.scoring.call_list`).

:func:`apply_scores` streams the leads table in chunks, scores each chunk and appends it to a staging table; only when
every chunk succeeded does the staging table replace ``lead_scores`` (one transaction on
DuckDB and PostgreSQL: :func:`leadlab.store.publish`), so a failure leaves the previous scores
intact. On DuckDB each chunk is appended in a background thread while the next one is read and
scored (at most two chunks in flight); memory is bounded by the chunk size. The backend-specific
reading and bulk writing are :func:`leadlab.store.read_batches` and :func:`leadlab.store.append_arrow`.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from leadlab.errors import ConfigError, DataError
from leadlab.i18n import _, fmt, ngettext, pgettext
from leadlab.presentation import Result
from leadlab.scoring import text
from leadlab.scoring.grades import priority
from leadlab.scoring.quality import check_usable
from leadlab.schema import LEAD_SCORES, business_timezone
from leadlab.store import append_arrow, appends_beside_reads, create_empty, publish, read_batches, table as store_table

OUTPUT = "lead_scores"
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
    codes = scorer.features_.arrow_codes(batch)  # one dictionary encoding per text column, used twice
    cols = scorer.features_.transform_arrow(batch, codes)
    score = 100.0 * scorer.proba_from_columns(cols)
    unseen = scorer.features_.unseen_counts_arrow(batch, codes)
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
    try:
        create_empty(con, staging, LEAD_SCORES.ibis_schema)
        # chunk k is appended in the background while chunk k+1 is read and scored (at most two in flight)
        beside = appends_beside_reads(con)
        with ThreadPoolExecutor(1, thread_name_prefix="leadlab-append") as writer:
            pending: Future | None = None
            for batch in read_batches(con, expr, chunk_rows):
                if batch.num_rows == 0:
                    continue
                result, g, u = _score_batch(model, batch, scored_at)
                if pending is not None:
                    pending.result()  # raises the append's error, if any
                pending = writer.submit(append_arrow, con, staging, result, LEAD_SCORES.ibis_schema)
                if not beside:
                    pending.result()
                _merge(grades, g)
                _merge(unseen, u)
                n += batch.num_rows
                chunks += 1
                bar.update(batch.num_rows)
            if pending is not None:
                pending.result()
        replace_all = not only_open and source_table == "leads"
        publish(con, {staging: OUTPUT}, merge_key=None if replace_all else "lead_id")
    except BaseException:
        try:
            con.drop_table(staging, force=True)
        except Exception:  # pragma: no cover - best effort cleanup
            pass
        raise
    finally:
        bar.close()
    return ApplyResult(model.version, n, chunks, time.perf_counter() - t0, grades, unseen)
