"""Lifecycle times across ``leads`` and ``lead_stages``: the second write of an ingest.

* ``leadlab ingest lead_stages FILE`` (a follow-up / stage-history export): exact times.
  Before anything is written, the lifecycle they give (a later stage implies the earlier
  ones at or before its time) is merged into the store's leads and checked (order, not
  before creation); then the history rows and the leads' new lifecycle times are written.
  Exact times win over times inferred from a status.
* ``leadlab ingest leads FILE`` with a ``lifecycle:`` section: each derived time is also
  written to ``lead_stages`` with ``inferred = true`` (for leads without an exact history),
  so the data overview can say how many lifecycle times are exact and how many inferred.

Both tables are upserted by key in ONE transaction (:func:`leadlab.ingest.load.write_together`):
a failure in either leaves both as they were; re-running the same ingest is idempotent.
"""

from __future__ import annotations

from leadlab.i18n import N_
from leadlab.ingest.context import StoreLink, qi
from leadlab.ingest.load import Counts, Pending, diff, pending
from leadlab.ingest.transform import history_sql
from leadlab.ingest.validate import STAGE, Finding, _collect, _fields, _lit
from leadlab.schema import LIFECYCLE, TABLES

MERGE = "_leadlab_leads_merge"
INFERRED = "_leadlab_inferred"
TIMES = ("mql_at", "sql_at", "opportunity_at", "won_at", "lost_at")


def merge_history(link: StoreLink) -> list[Finding]:
    """Lead rows of the store with the lifecycle of the history (``_leadlab_history_all``, made by
    :func:`~leadlab.ingest.validate.check_history`), into ``_leadlab_leads_merge``; findings
    when the merged lifecycle is out of order."""
    db, leads = link.db, TABLES["leads"]
    target = link.expose("leads", leads.names, filter_col="lead_id", keys_sql=f"SELECT DISTINCT lead_id FROM {STAGE}",
                         alias="_leadlab_store_leads_merge")
    hist = history_sql("(SELECT *, false AS inferred FROM _leadlab_history_all)")
    repl = ", ".join(f"coalesce(h.{qi(c)}, l.{qi(c)}) AS {qi(c)}" for c in TIMES)
    db.execute(f"CREATE OR REPLACE TEMP TABLE {MERGE} AS SELECT f._row, l.* REPLACE ({repl}), "
               f"h.won_at IS NOT NULL OR h.lost_at IS NOT NULL AS _ends FROM {qi(target)} l "
               f"JOIN ({hist}) h ON h.lead_id = l.lead_id "
               f"JOIN (SELECT lead_id, min(_row) AS _row FROM {STAGE} GROUP BY lead_id) f ON f.lead_id = l.lead_id")
    link.created.append(MERGE)
    out = []
    for i, col in enumerate((*LIFECYCLE[1:], "lost_at"), start=1):
        earlier = LIFECYCLE[:i] if col != "lost_at" else ("created_at",)
        prev = f"greatest({', '.join(qi(c) for c in earlier)})"
        f = _collect(db, N_("lifecycle out of order"), "entered_at",
                     f"SELECT _row, {_fields(lead='lead_id', column=_lit(col), value=qi(col), earlier_value=prev)} "
                     f"AS what FROM {MERGE} WHERE {qi(col)} < {prev}",
                     N_("with this history lead {lead} would have {column} {value} before {earlier_value}"),
                     N_("lifecycle order: {order}"), hint_fields={"order": " ≤ ".join(LIFECYCLE)})
        out += [f] if f else []
    # won and lost exclude each other: a history that ends a lead the store already ended the other way
    f = _collect(db, N_("stage history goes backwards"), "stage",
                 f"SELECT _row, {_fields(lead='lead_id', won_at='won_at', lost_at='lost_at')} AS what FROM {MERGE} "
                 "WHERE _ends AND won_at IS NOT NULL AND lost_at IS NOT NULL",
                 N_("with this history lead {lead} would be both won ({won_at}) and lost ({lost_at})"),
                 N_("a lost lead is lost last (at or after every stage it reached) and is never also won"))
    return out + ([f] if f else [])


def merged_leads(link: StoreLink) -> tuple[Counts, Pending | None]:
    """``_leadlab_leads_merge`` compared with the store's leads: counts and the rows to write."""
    leads = TABLES["leads"]
    cols = ", ".join(qi(c) for c in leads.names)
    link.db.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT _row, {cols} FROM {MERGE}")
    counts = diff(link, leads, "_leadlab_store_leads_merge")
    return counts, pending(link, leads, counts)


def keep_earlier(link: StoreLink, target: str, derived: list[str]) -> None:
    """Staged leads with a status-derived lifecycle: for a stage the lead had already reached in the
    store (``target``), keep the earlier of the stored and the new *at or before* time (a status
    that moved forward from 已转MQL to 已转SQL does not move the lead's MQL time to the later date)."""
    sets = ", ".join(f"{qi(c)} = CASE WHEN {STAGE}.{qi(c)} IS NOT NULL THEN least({STAGE}.{qi(c)}, s.{qi(c)}) END"
                     for c in derived)
    if sets:
        link.db.execute(f"UPDATE {STAGE} SET {sets} FROM {qi(target)} s WHERE s.lead_id = {STAGE}.lead_id")


def capture_inferred(link: StoreLink, derived: list[str]) -> None:
    """From the staged leads: each derived lifecycle time as an inferred ``lead_stages`` row (leads
    with an exact history in the store keep theirs), into ``_leadlab_inferred``."""
    db = link.db
    parts = [f"SELECT lead_id, {_lit(c[:-3])} AS stage, {qi(c)} AS entered_at FROM {STAGE} WHERE {qi(c)} IS NOT NULL"
             for c in derived]
    exact = ("AND NOT EXISTS (SELECT 1 FROM _leadlab_history h WHERE h.lead_id = s.lead_id)"
             if "_leadlab_history" in link.created else "")
    db.execute(f"CREATE OR REPLACE TEMP TABLE {INFERRED} AS SELECT row_number() OVER () AS _row, s.lead_id, s.stage, "
               f"s.entered_at, CAST(NULL AS VARCHAR) AS from_stage, CAST(NULL AS VARCHAR) AS rep_id, true AS inferred "
               f"FROM ({' UNION ALL '.join(parts)}) s WHERE true {exact}")
    link.created.append(INFERRED)


def capture_implied(link: StoreLink) -> None:
    """After a history: the merged leads' lifecycle times that no exact row gives (an earlier stage
    implied by a later one, or a status-derived time) as inferred rows, into ``_leadlab_inferred``."""
    parts = [f"SELECT lead_id, {_lit(c[:-3])} AS stage, {qi(c)} AS entered_at FROM {MERGE} WHERE {qi(c)} IS NOT NULL"
             for c in TIMES]
    link.db.execute(
        f"CREATE OR REPLACE TEMP TABLE {INFERRED} AS SELECT row_number() OVER () AS _row, s.lead_id, s.stage, "
        f"s.entered_at, CAST(NULL AS VARCHAR) AS from_stage, CAST(NULL AS VARCHAR) AS rep_id, true AS inferred "
        f"FROM ({' UNION ALL '.join(parts)}) s WHERE NOT EXISTS (SELECT 1 FROM _leadlab_history_all h "
        "WHERE h.lead_id = s.lead_id AND h.stage = s.stage)")
    link.created.append(INFERRED)


def inferred_stages(link: StoreLink) -> tuple[Counts, Pending | None]:
    """``_leadlab_inferred`` compared with the store's lead_stages: counts and the rows to write."""
    spec = TABLES["lead_stages"]
    cols = ", ".join(qi(c) for c in spec.names)
    link.db.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT _row, {cols} FROM {INFERRED}")
    target = link.expose("lead_stages", spec.names, filter_col="lead_id",
                         keys_sql=f"SELECT DISTINCT lead_id FROM {STAGE}", alias="_leadlab_store_lead_stages_inf")
    counts = diff(link, spec, target)
    return counts, pending(link, spec, counts)
