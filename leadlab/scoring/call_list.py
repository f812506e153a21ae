"""The capacity-aware call list: for each rep, the best-scored open leads they own.

:func:`call_list` ranks each rep's open leads by score in the backend and keeps the top
``capacity`` per rep: the list for the next working day. :func:`call_list_display` is the
same list for people (headers in the current language, rounded scores, local times).
"""

from __future__ import annotations

import ibis
import pandas as pd

from leadlab.errors import ConfigError, ModelError, StoreError
from leadlab.i18n import _, fmt, pgettext
from leadlab.scoring.quality import check_usable
from leadlab.store import has_table, table as store_table

#: The store table the scores come from (written by :func:`leadlab.scoring.apply.apply_scores`).
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
