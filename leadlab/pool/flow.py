"""The public pool's flow in a period: leads that returned, were picked up again, changed hands, converted.

With the rules of ``pool_rules.yml``, the pool is evaluated at the period's start S and end E
(:func:`leadlab.pool.recycle.pool_state`, two grouped queries):

* **returned**: in the pool at E but not at S (new returns of the period);
* of the leads **in the pool at S**: **picked up** = called again in [S, E); **reassigned** = called in
  [S, E) by a rep other than the owner (ownership changes are derived from who dials: the canonical
  tables keep only the current owner); **converted** = reached SQL in [S, E), and the share of them;
  **converted after reassignment** = reached SQL after the first call by another rep.

With an owner-change log (``lead_owner_history``) the cohort also takes the leads the log returns to the pool
during the period (a row with an empty ``to_rep_id``), so leads that come back and are handed on within the
period count too; a reassignment is a row whose new owner differs from the owner before it (its
``from_rep_id``, else the owner the lead's previous row leaves it with, else ``leads.rep_id``).

>>> import leadlab
>>> f = pool_flow(leadlab.connect(), "2026-10")
>>> sorted(f.stats)[:3]
['conversion', 'converted', 'converted_after_reassignment']
"""

from __future__ import annotations

import ibis
import pandas as pd

from leadlab.i18n import N_, _, fmt
from leadlab.kpi.results import KpiResult
from leadlab.kpi.stats import safe_div
from leadlab.pool.recycle import pool_state
from leadlab.pool.rules import PoolRules, load_rules


def _flagged(state):
    return state.filter(state.stale | state.attempts_hit | state.owner_left | state.unowned)


class PoolFlowResult(KpiResult):
    """``stats``: in_pool_at_start, returned, picked_up, reassigned, converted, conversion (facts)."""

    def __init__(self, stats: dict, period, team=None, rules: PoolRules | None = None):
        super().__init__(N_("Public-pool flow"), pd.DataFrame([stats]), period, team)
        self.stats, self.rules = stats, rules

    def display_frame(self) -> pd.DataFrame:
        s = self.stats
        rows = [(_("Returned to the pool in the period"), fmt.number(s["returned"])),
                (_("In the pool at the start"), fmt.number(s["in_pool_at_start"])),
                *([(_("In the pool at the start or returned in the period"), fmt.number(s["pool_leads"]))]
                  if s.get("reassignment_source") == "history" else []),
                (_("… picked up again (called)"), fmt.number(s["picked_up"])),
                (_("… reassigned (owner changed to another rep)") if s.get("reassignment_source") == "history"
                 else _("… reassigned (called by another rep)"), fmt.number(s["reassigned"])),
                (_("… converted to SQL"), _("{n} ({share})", n=fmt.number(s["converted"]),
                                            share=fmt.percent(s["conversion"]))),
                (_("… converted after reassignment"), fmt.number(s["converted_after_reassignment"]))]
        return pd.DataFrame(rows, columns=[_("Measure"), _("Value")])

    def verdict(self) -> str:
        s = self.stats
        if not s["in_pool_at_start"] and not s["returned"]:
            return _("The public pool was empty: no open lead met a pool rule.")
        if s["pool_leads"] and not s["picked_up"]:
            return _("None of the {n} pool leads was called again: reassign them (see the reassignment suggestions).",
                     n=fmt.number(s["pool_leads"]))
        return ""

    def notes(self) -> list[str]:
        if self.stats.get("reassignment_source") == "history":
            return [_("Pool rules from pool_rules.yml, evaluated at the start and the end of the period; reassignments "
                      "from the lead_owner_history table (an owner change to another rep in the period).")]
        return [_("Pool rules from pool_rules.yml, evaluated at the start and the end of the period; a lead counts as "
                  "reassigned when a rep other than its owner called it.")]


def _history(data, history):
    """The owner-change log as an Ibis table: ``history`` (a DataFrame or Ibis table), else the store's
    ``lead_owner_history`` when it has rows, else None."""
    from leadlab.store import as_table, has_table, table

    if history is not None:
        return as_table(history)
    con = data.leads.get_backend()
    if has_table(con, "lead_owner_history"):
        h = table(con, "lead_owner_history")
        if h.count().to_pyarrow().as_py() > 0:
            return h
    return None


def _owner_before(log, leads):
    """``log`` with ``owner_before``: its ``from_rep_id``, else the owner the lead's previous row left it with
    (``to_rep_id``, or for a return its ``from_rep_id``), else the lead's ``rep_id``."""
    w = ibis.window(group_by=log.lead_id, order_by=log.changed_at)
    log = log.mutate(_prev=log.to_rep_id.fill_null(log.from_rep_id).lag().over(w))
    owner = leads.select(lead_id="lead_id", _lead_owner="rep_id")
    log = log.left_join(owner, "lead_id").drop("lead_id_right")
    return log.mutate(owner_before=log.from_rep_id.fill_null(log._prev).fill_null(log._lead_owner)).drop(
        "_prev", "_lead_owner")


def pool_flow(data, period, *, team: str | None = None, rules: PoolRules | str | None = None,
              history=None) -> PoolFlowResult:
    """The pool's flow in ``period`` (see the module docstring). Reassignments come from ``history`` (owner
    changes: lead_id, changed_at, to_rep_id) or the store's ``lead_owner_history`` when present, else from
    who dialled."""
    from leadlab.kpi.family import resolve

    rules = rules if isinstance(rules, PoolRules) else load_rules(rules)
    data, per = resolve(data, period, team)
    start, end = per.start.to_pydatetime(), per.end.to_pydatetime()
    if data.as_of is not None and data.as_of < per.end:
        end = (data.as_of + pd.Timedelta(seconds=1)).to_pydatetime()
    # read by three queries below: evaluated once (a temporary table), not once per query
    at_start = _flagged(pool_state(data, start, rules)).select("lead_id", owner="rep_id").cache()
    at_end = _flagged(pool_state(data, end, rules)).select("lead_id")
    returned = at_end.filter(~at_end.lead_id.isin(at_start.lead_id)).count().to_pyarrow().as_py()
    calls = data.calls.filter((data.calls.started_at >= start) & (data.calls.started_at < end))
    c = calls.join(at_start, "lead_id")
    per_lead = c.group_by("lead_id").agg(called=c.count())
    log = _history(data, history)
    n_start = at_start.count().to_pyarrow().as_py()
    if log is None:  # derived: a call by a rep other than the owner
        other = c.rep_id != c.owner
        moves = c.group_by("lead_id").agg(other=other.sum(), first_other=c.started_at.min(where=other))
    else:
        if "from_rep_id" not in log.columns:
            log = log.mutate(from_rep_id=ibis.null("string"))
        log = _owner_before(log, data.leads)
        in_period = log.filter((log.changed_at >= start) & (log.changed_at < end))
        back = in_period.filter(in_period.to_rep_id.isnull() & ~in_period.lead_id.isin(at_start.lead_id))
        first = ibis.window(group_by=back.lead_id, order_by=[back.changed_at, back.owner_before])
        back = back.mutate(_n=ibis.row_number().over(first))  # the first return of the period (every backend has row_number)
        back = back.filter(back._n == 0).select("lead_id", owner="owner_before")
        at_start = at_start.union(back.filter(back.lead_id.isin(data.leads.lead_id)))
        returned = back.count().to_pyarrow().as_py()
        c = calls.join(at_start, "lead_id")
        per_lead = c.group_by("lead_id").agg(called=c.count())
        h = in_period.filter(in_period.to_rep_id.notnull() & in_period.lead_id.isin(at_start.lead_id))
        moved = h.to_rep_id != h.owner_before
        moves = h.group_by("lead_id").agg(other=moved.sum(), first_other=h.changed_at.min(where=moved))
    per_lead = per_lead.outer_join(moves, "lead_id")
    per_lead = per_lead.mutate(lead_id=per_lead.lead_id.fill_null(per_lead.lead_id_right)).drop("lead_id_right")
    leads = data.leads.select("lead_id", "sql_at")
    j = at_start.left_join(per_lead, "lead_id").drop("lead_id_right").left_join(leads, "lead_id").drop("lead_id_right")
    conv = (j.sql_at.notnull() & (j.sql_at >= start) & (j.sql_at < end))
    conv_moved = j.first_other.notnull() & j.sql_at.notnull() & (j.sql_at >= j.first_other) & (j.sql_at < end)
    a = j.aggregate(n=j.count(), picked=j.called.notnull().sum(), moved=(j.other.fill_null(0) > 0).sum(),
                    conv=conv.sum(), conv_moved=conv_moved.sum()).to_pandas().iloc[0]
    n = float(a["n"] or 0)
    stats = {"in_pool_at_start": float(n_start or 0), "pool_leads": n, "returned": float(returned or 0), "picked_up": float(a["picked"] or 0),
             "reassigned": float(a["moved"] or 0), "converted": float(a["conv"] or 0),
             "converted_after_reassignment": float(a["conv_moved"] or 0),
             "reassignment_source": "calls" if log is None else "history"}
    stats["conversion"] = safe_div(stats["converted"], n)
    return PoolFlowResult(stats, per, data.team, rules)
