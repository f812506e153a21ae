"""``leadlab pool recycle``: the open leads that the public-pool rules send back to the pool (公海).

As of a moment D, a lead is *in play* when it was created by D and has neither reached SQL, been
won nor been lost by D (the telemarketing pool; SQL leads belong to the sales stage). It returns to
the pool when any rule on (``pool_rules.yml``) holds:

* ``stale``: no call on it (or its creation) in the last ``not_followed_up_days`` days;
* ``attempts``: dialled ``max_attempts`` times or more without reaching SQL;
* ``owner_left``: its owner is listed as gone, or made no dial in ``inactive_days`` days;
* ``unowned``: it has no owner.

One Ibis query per call (per-lead last touch and attempts, per-rep last dial); only the recycled
leads come back.

>>> import leadlab
>>> r = recycle(leadlab.connect(), "2026-11-20")
>>> set(r.frame["reason"]) <= {"stale", "attempts", "owner_left", "unowned"}
True
"""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd

from leadlab.errors import ConfigError
from leadlab.i18n import N_, _, fmt, translate
from leadlab.kpi.results import KpiResult
from leadlab.pool.rules import PoolRules, load_rules

#: reason codes, in the order a lead's main reason is chosen
REASONS = ("owner_left", "unowned", "attempts", "stale")
REASON_NAMES = {"stale": N_("not followed up"), "attempts": N_("too many attempts"), "owner_left": N_("owner left"),
                "unowned": N_("no owner")}


def reason_name(code: str) -> str:
    """A reason code in words, in the current language."""
    return translate(REASON_NAMES[code]) if code in REASON_NAMES else code


def as_of_datetime(as_of) -> dt.datetime:
    """``as_of`` (a date, datetime or ``YYYY-MM-DD[ HH:MM]`` text) as the end of that moment: a bare date means
    the end of that day."""
    if isinstance(as_of, dt.datetime):
        return as_of
    if isinstance(as_of, dt.date):
        return dt.datetime.combine(as_of, dt.time()) + dt.timedelta(days=1)
    text = str(as_of).strip()
    try:
        if len(text) == 10:
            return dt.datetime.fromisoformat(text) + dt.timedelta(days=1)
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(_("--as-of: cannot read {value} as a date; use YYYY-MM-DD (e.g. 2026-11-20)",
                            value=repr(text[:40]))) from None


def pool_state(data, end: dt.datetime, rules: PoolRules) -> ibis.Table:
    """Every lead in play at ``end`` with its last touch, attempts, idle days and rule flags (an Ibis expression)."""
    leads = data.team_leads()
    leads = leads.filter(leads.created_at < end)

    def before(col):
        return col.isnull() | (col >= end)

    leads = leads.filter(before(leads.sql_at) & before(leads.won_at) & before(leads.lost_at))
    calls = data.calls.filter(data.calls.started_at < end)
    mine = calls.filter(calls.lead_id.isin(leads.lead_id))
    per_lead = mine.group_by("lead_id").agg(last_call=mine.started_at.max(), attempts=mine.count())
    per_rep = calls.group_by("rep_id").agg(rep_last_dial=calls.started_at.max())
    j = leads.left_join(per_lead, leads.lead_id == per_lead.lead_id).drop("lead_id_right")
    j = j.left_join(per_rep, j.rep_id == per_rep.rep_id).drop("rep_id_right")
    end_s = ibis.literal(end.timestamp())
    touch = j.last_call.fill_null(j.created_at)
    idle = (end_s - touch.epoch_seconds()) / 86400.0
    attempts = j.attempts.fill_null(0)
    false = ibis.literal(False)
    stale = idle > rules.not_followed_up_days if rules.not_followed_up_days is not None else false
    many = attempts >= rules.max_attempts if rules.max_attempts is not None else false
    gone = j.rep_id.isin(list(rules.left_reps)) if rules.left_reps else false
    if rules.inactive_days is not None:
        quiet = j.rep_last_dial.isnull() | ((end_s - j.rep_last_dial.epoch_seconds()) / 86400.0 > rules.inactive_days)
        gone = gone | (j.rep_id.notnull() & quiet)
    return j.mutate(last_touch=touch, idle_days=idle, attempts=attempts, stale=stale.fill_null(False),
                    attempts_hit=many.fill_null(False), owner_left=gone.fill_null(False), unowned=j.rep_id.isnull())


def recycle_frame(data, end: dt.datetime, rules: PoolRules) -> pd.DataFrame:
    """The recycled leads: id, owner, creation, last touch, idle days, attempts, main reason and all reasons."""
    s = pool_state(data, end, rules)
    s = s.filter(s.stale | s.attempts_hit | s.owner_left | s.unowned)
    df = s.select("lead_id", "rep_id", "source", "region", "created_at", "last_touch", "idle_days", "attempts", "stale",
                  "attempts_hit", "owner_left", "unowned").order_by("lead_id").to_pandas()
    flags = {"stale": "stale", "attempts": "attempts_hit", "owner_left": "owner_left", "unowned": "unowned"}
    df["reason"] = pd.Series(pd.NA, index=df.index, dtype="object")
    for code in reversed(REASONS):
        df.loc[df[flags[code]].astype(bool), "reason"] = code
    df["reasons"] = [",".join(c for c in REASONS if row[flags[c]]) for _, row in df[list(flags.values())].iterrows()]
    return df


class RecycleResult(KpiResult):
    """``frame``: the recycled leads; counts by reason in :meth:`counts`."""

    def __init__(self, frame: pd.DataFrame, as_of: dt.datetime, rules: PoolRules, team=None):
        super().__init__(N_("Leads returning to the public pool"), frame, None, team)
        self.as_of, self.rules = as_of, rules

    def title(self) -> str:
        return _("Leads returning to the public pool · as of {date}", date=fmt.datetime(self.as_of))

    def counts(self) -> pd.DataFrame:
        c = self.frame["reason"].value_counts().reindex(list(REASONS)).fillna(0).astype(int)
        return pd.DataFrame({"reason": c.index, "leads": c.to_numpy()})

    def display_frame(self) -> pd.DataFrame:
        c = self.counts()
        return pd.DataFrame({_("Reason"): [reason_name(r) for r in c["reason"]],
                             _("Leads"): [fmt.number(v) for v in c["leads"]]})

    def verdict(self) -> str:
        n = len(self.frame)
        if not n:
            return _("No lead meets a pool rule: every open lead is being worked.")
        return _("{n} open leads go back to the public pool; reassign them with `leadlab pool reassign`.",
                 n=fmt.number(n))

    def notes(self) -> list[str]:
        r = self.rules
        off = _("off")
        return [_("Rules: not followed up in {days} days; {attempts} or more dials without SQL; owner gone (listed, or no "
                  "dial in {inactive} days). Only open leads not yet SQL count.",
                  days=fmt.number(r.not_followed_up_days) if r.not_followed_up_days is not None else off,
                  attempts=fmt.number(r.max_attempts) if r.max_attempts is not None else off,
                  inactive=fmt.number(r.inactive_days) if r.inactive_days is not None else off)]


def recycle(data, as_of, *, rules: PoolRules | str | None = None, team: str | None = None) -> RecycleResult:
    """The leads the rules send back to the pool as of ``as_of`` (a bare date = the end of that day)."""
    from leadlab.kpi.data import KpiData

    rules = rules if isinstance(rules, PoolRules) else load_rules(rules)
    data = KpiData.coerce(data).for_team(team)
    end = as_of_datetime(as_of)
    return RecycleResult(recycle_frame(data, end, rules), end, rules, team)
