"""The capacity-aware call list: for each rep, the best-scored open leads they own, with what
the rep needs to act on each.

:func:`call_list` ranks each rep's open leads by score in the backend and keeps the top
``capacity`` per rep: the list for the next working day. Each row carries the lead ID (the
CRM's own key, kept as it is at ingest: the way back to the CRM), the contact's name *token*
(``contact_name``, a keyed hash written at ingest: never the raw name), the source, the calls so
far (``attempts``, ``last_call``, ``last_disposition``), a ``next_step`` code decided from those
facts (:data:`NEXT_STEPS`), and the score (0-100, one decimal), grade and priority.

:func:`call_list_display` is the same list for people: headers, next steps and call results in
the current language. ``for_file=True`` keeps numbers and date-times typed (a spreadsheet sorts
them); otherwise every value is formatted text for the terminal.

>>> lst = pd.DataFrame({"rank": [1], "lead_id": ["L9"], "attempts": [0], "next_step": ["first_call"],
...                     "last_disposition": [None], "score": [57.25]})
>>> from leadlab.i18n import use_lang
>>> with use_lang("zh"):
...     row = call_list_display(lst, for_file=True).iloc[0]
>>> row["下一步"], row["最近通话结果"], float(row["评分"])
('首次拨打', None, 57.2)
"""

from __future__ import annotations

import ibis
import pandas as pd

from leadlab.errors import ConfigError, ModelError, StoreError
from leadlab.i18n import _, fmt, pgettext
from leadlab.schema import DISPOSITIONS
from leadlab.scoring.quality import check_usable
from leadlab.store import has_table, table as store_table

#: The store table the scores come from (written by :func:`leadlab.scoring.apply.apply_scores`).
OUTPUT = "lead_scores"
#: Decimals of the score in the call list: the score is a probability x 100, so one decimal is a
#: probability to three decimals (the ranking uses the full score).
SCORE_DECIMALS = 1
#: Dispositions that take a lead off the list for good (no one may call it again, or the number is wrong).
EXCLUDED = tuple(d for d in ("do_not_call", "wrong_number", "complaint", "invalid_number") if d in DISPOSITIONS)
#: Next-step codes, in the order the rules are tried (the first that holds wins):
#: no call yet; the last call booked a callback; the last call was a conversation; the last call
#: reached someone without a conversation; the last call reached no one.
NEXT_STEPS = ("first_call", "call_back", "follow_up", "call_again", "retry")


def call_list_headers() -> dict[str, str]:
    """Columns of the call list (facts) → their headers for people (a rep reads them), current language."""
    return {
        "rep_id": pgettext("call list", "Rep"), "rank": pgettext("call list", "Rank"),
        "lead_id": pgettext("call list", "Lead ID"), "score": pgettext("call list", "Score"),
        "grade": pgettext("call list", "Grade"), "priority": pgettext("call list", "Priority"),
        "source": pgettext("call list", "Lead source"), "created_at": pgettext("call list", "Created"),
        "attempts": pgettext("call list", "Call attempts"), "last_call": pgettext("call list", "Last call"),
        "contact_name": pgettext("call list", "Contact (name token)"),
        "last_disposition": pgettext("call list", "Last call result"),
        "next_step": pgettext("call list", "Next step"),
    }


def next_step_labels() -> dict[str, str]:
    """Next-step code → a short instruction for the rep, current language."""
    return {
        "first_call": pgettext("next step", "First call"),
        "call_back": pgettext("next step", "Call back as agreed"),
        "follow_up": pgettext("next step", "Follow up the conversation"),
        "call_again": pgettext("next step", "Call again: reached, no conversation yet"),
        "retry": pgettext("next step", "Retry: not reached last time"),
    }


def disposition_labels() -> dict[str, str]:
    """Disposition code → its name for people (the glossary's 通话结果), current language; a code
    not listed shows as it is."""
    return {
        "no_answer": pgettext("disposition", "No answer"), "busy": pgettext("disposition", "Busy"),
        "voicemail": pgettext("disposition", "Voicemail"), "wrong_number": pgettext("disposition", "Wrong number"),
        "not_interested": pgettext("disposition", "Not interested"),
        "callback": pgettext("disposition", "Callback scheduled"), "qualified": pgettext("disposition", "Qualified"),
        "do_not_call": pgettext("disposition", "Do not call"), "complaint": pgettext("disposition", "Complaint"),
        "invalid_number": pgettext("disposition", "Invalid number"),
        "unreachable": pgettext("disposition", "Unreachable"),
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


def call_list_display(lst: pd.DataFrame, *, for_file: bool = False) -> pd.DataFrame:
    """The call list for people: headers, next steps and call results in the current language,
    scores with :data:`SCORE_DECIMALS` decimals, times as the business time zone's wall clock.
    ``for_file``: numbers stay numbers and times stay date-times (to the minute), for a
    spreadsheet; otherwise every value is text for the terminal. The facts (:func:`call_list`)
    keep their column ids and codes."""
    out = lst.copy()
    if "next_step" in out:
        steps = next_step_labels()
        out["next_step"] = [steps.get(v, v) for v in out["next_step"]]
    if "last_disposition" in out:
        names = disposition_labels()
        out["last_disposition"] = [None if fmt.missing(v) else names.get(v, v) for v in out["last_disposition"]]
    for col in ("created_at", "last_call"):
        if col in out:
            if for_file:
                out[col] = pd.to_datetime(out[col]).dt.floor("min")
            else:
                out[col] = [fmt.datetime(v) if not fmt.missing(v) else "" for v in out[col]]
    if "score" in out:
        score = out["score"].astype("float64").round(SCORE_DECIMALS)
        out["score"] = score if for_file else [fmt.number(v, SCORE_DECIMALS) for v in score]
    if not for_file:
        out = out.astype(object).where(out.notna(), "")
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


def _next_step(attempts, last_disposition) -> ibis.Value:
    """The :data:`NEXT_STEPS` code of each lead, from its calls so far (an Ibis expression)."""
    connected = [d for d, (c, _v) in DISPOSITIONS.items() if c]
    conversation = [d for d, (_c, v) in DISPOSITIONS.items() if v and d != "callback"]
    return (ibis.cases((attempts.fill_null(0) == 0, "first_call"),
                       (last_disposition == "callback", "call_back"),
                       (last_disposition.isin(conversation), "follow_up"),
                       (last_disposition.isin(connected), "call_again"),
                       else_="retry"))


def call_list(con, *, capacity: int | dict[str, int] = 40, as_of: pd.Timestamp | None = None,
              exclude_dispositions: tuple[str, ...] = EXCLUDED,
              max_attempts: int | None = 8, model=None, allow_weak: bool = False) -> pd.DataFrame:
    """Tomorrow's call list: for each rep, the best-scored open leads they own, up to their
    daily ``capacity`` (one number for everyone, or ``{rep_id: n}``; reps missing from the
    mapping get no list). Open = not SQL, won or lost; leads with a call marked do-not-call,
    wrong or invalid number, or complaint (:data:`EXCLUDED`), and leads already dialled
    ``max_attempts`` times, are left out.
    Ranking runs in the backend (a window over rep_id); the score is then rounded to
    :data:`SCORE_DECIMALS` decimals for people. Columns: rep_id, rank, lead_id, contact_name
    (the name token, when the store has it), source, created_at, attempts, last_call,
    last_disposition, next_step, score, grade, priority. Without ``lead_scores`` a StoreError
    says to run ``score apply`` first; ``model`` / ``allow_weak``: see :func:`check_scores`."""
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
    lead_cols = ["lead_id", "rep_id", "created_at", "source"] + [c for c in ("contact_name",) if c in leads.columns]
    base = open_leads.select(*lead_cols).join(scores, "lead_id")
    if has_table(con, "calls"):
        calls = con.table("calls")
        if as_of is not None:
            calls = calls.filter(calls.started_at <= as_of)
        stats = calls.group_by("lead_id").aggregate(
            attempts=calls.count(),
            blocked=(calls.disposition.isin(list(exclude_dispositions)) if exclude_dispositions
                     else calls.disposition.isnull() & calls.disposition.notnull()).sum(),
            last_call=calls.started_at.max(),
            last_disposition=calls.disposition.argmax(calls.started_at),
        )
        base = base.left_join(stats, "lead_id").drop("lead_id_right")
        base = base.filter(base.blocked.fill_null(0) == 0)
        if max_attempts is not None:
            base = base.filter(base.attempts.fill_null(0) < max_attempts)
    else:
        base = base.mutate(attempts=ibis.literal(0, "int64"), last_call=ibis.null("timestamp"),
                           last_disposition=ibis.null("string"))
    base = base.mutate(next_step=_next_step(base.attempts, base.last_disposition))
    w = ibis.window(group_by=base.rep_id, order_by=[ibis.desc(base.score), base.lead_id])
    ranked = base.mutate(rank=ibis.row_number().over(w) + 1)
    if isinstance(capacity, int):
        ranked = ranked.filter(ranked["rank"] <= capacity)
    else:
        cap = ibis.memtable(pd.DataFrame({"rep_id": list(capacity), "capacity": [int(v) for v in capacity.values()]}))
        ranked = ranked.join(cap, "rep_id").filter(lambda t: t["rank"] <= t.capacity).drop("capacity")
    cols = ["rep_id", "rank", "lead_id", *lead_cols[4:], "source", "created_at", "attempts", "last_call",
            "last_disposition", "next_step", "score", "grade", "priority"]
    out = ranked.select(*cols).order_by(["rep_id", "rank"]).to_pandas()
    out["attempts"] = out["attempts"].fillna(0).astype("int64")
    out["score"] = out["score"].astype("float64").round(SCORE_DECIMALS)
    return out
