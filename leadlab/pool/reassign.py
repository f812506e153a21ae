"""``leadlab pool reassign``: who should take the leads that return to the pool.

*Rep fit* is a rep's SQL rate on leads like this one: by score grade (A–D) when the scorer has
written ``lead_scores``, else by acquisition source. It is measured on the rep's own leads created
30–180 days before the run (old enough for their SQL outcome) and shrunk towards the segment's
rate with the weight of :data:`PRIOR_LEADS` leads, so a rep with few leads in a segment is not
ranked on luck.

The assignment maximises the total expected SQL of the recycled leads (``scipy.optimize.linear_sum_assignment``
over capacity slots), with each rep taking at most ``capacity_per_rep`` leads, never the previous
owner (``exclude_previous_owner``), inside the owner's team (``same_team``), and only active reps (not
gone by the ``owner_left`` rule). A tiny cost per slot already filled spreads leads evenly among reps
of equal fit. Leads beyond the capacity stay in the pool (``to_rep_id`` empty).

>>> import leadlab
>>> r = reassign(leadlab.connect(), "2026-11-20")
>>> bool(r.frame.groupby("to_rep_id").size().max() <= r.rules.capacity_per_rep)
True
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from leadlab.i18n import N_, _, fmt
from leadlab.kpi.results import KpiResult
from leadlab.pool.recycle import as_of_datetime, pool_state, recycle_frame
from leadlab.pool.rules import PoolRules, load_rules

PRIOR_LEADS = 20.0
#: cost of each further slot of the same rep (in SQL probability): spreads leads among equally fit reps
SLOT_PENALTY = 1e-4
MAX_CELLS = 4_000_000


def _segments(data, end: dt.datetime) -> tuple[object, str]:
    """An Ibis table (lead_id, segment) and what the segment is (grade or source)."""
    from leadlab.store import has_table, table

    con = data.leads.get_backend()
    if has_table(con, "lead_scores"):
        s = table(con, "lead_scores")
        if s.count().to_pyarrow().as_py() > 0:
            return s.select("lead_id", segment=s.grade), "grade"
    return data.leads.select("lead_id", segment=data.leads.source), "source"


def rep_fit(data, end: dt.datetime) -> tuple[pd.DataFrame, str]:
    """Shrunk SQL rate per (rep, segment) on the rep's leads created 30–180 days before ``end``."""
    seg, kind = _segments(data, end)
    lo, hi = end - dt.timedelta(days=180), end - dt.timedelta(days=30)
    leads = data.leads.filter((data.leads.created_at >= lo) & (data.leads.created_at < hi) & data.leads.rep_id.notnull())
    j = leads.join(seg, "lead_id")
    sql = (j.sql_at.notnull() & (j.sql_at < end))  # a boolean: .sum() counts it on every backend
    if j.count().to_pyarrow().as_py() == 0:  # no history yet: every rep fits equally
        return pd.DataFrame(columns=["rep_id", "segment", "n", "sql", "p_segment", "fit"]), kind
    g = j.group_by(["rep_id", "segment"]).agg(n=j.count(), sql=sql.sum()).to_pandas()
    seg_rate = g.groupby("segment")[["sql", "n"]].sum()
    p_seg = (seg_rate["sql"] / seg_rate["n"]).rename("p_segment")
    g = g.join(p_seg, on="segment")
    g["fit"] = (g["sql"] + PRIOR_LEADS * g["p_segment"]) / (g["n"] + PRIOR_LEADS)
    return g, kind


def _lead_segments(data, end, ids: list[str]) -> pd.Series:
    seg, _kind = _segments(data, end)
    s = seg.filter(seg.lead_id.isin(ids)).to_pandas()
    return s.set_index("lead_id")["segment"]


def assign(leads: pd.DataFrame, reps: pd.DataFrame, fit: pd.DataFrame, rules: PoolRules) -> pd.DataFrame:
    """Pure assignment: ``leads`` (lead_id, rep_id, team, segment), ``reps`` (rep_id, team) active reps,
    ``fit`` (rep_id, segment, fit, p_segment). Returns leads with ``to_rep_id`` and ``fit``.

    >>> leads = pd.DataFrame({"lead_id": ["L1", "L2"], "rep_id": ["R1", "R1"], "team": ["T", "T"], "segment": ["A", "B"]})
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "team": ["T", "T", "T"]})
    >>> fit = pd.DataFrame({"rep_id": ["R2", "R3", "R2", "R3"], "segment": ["A", "A", "B", "B"],
    ...                     "fit": [0.30, 0.10, 0.20, 0.25], "p_segment": [0.2, 0.2, 0.2, 0.2]})
    >>> assign(leads, reps, fit, PoolRules(capacity_per_rep=1))[["lead_id", "to_rep_id"]].values.tolist()
    [['L1', 'R2'], ['L2', 'R3']]
    """
    from scipy.optimize import linear_sum_assignment

    out = leads.copy()
    out["to_rep_id"] = pd.Series([None] * len(out), dtype="object")
    out["fit"] = np.nan
    if out.empty or reps.empty:
        return out
    rep_ids = reps["rep_id"].tolist()
    f = fit.pivot_table(index="segment", columns="rep_id", values="fit").reindex(columns=rep_ids)
    p_seg = fit.groupby("segment")["p_segment"].first()
    base = out["segment"].map(p_seg).fillna(p_seg.mean() if len(p_seg) else 0.0).to_numpy()
    m = f.reindex(out["segment"]).to_numpy()  # (leads, reps)
    m = np.where(np.isnan(m), base[:, None], m)
    allowed = np.ones_like(m, dtype=bool)
    if rules.exclude_previous_owner:
        allowed &= out["rep_id"].to_numpy()[:, None] != np.asarray(rep_ids)[None, :]
    if rules.same_team:
        lead_team = out["team"].to_numpy()[:, None]
        allowed &= (lead_team == reps["team"].to_numpy()[None, :]) | pd.isna(lead_team)
    cap = min(rules.capacity_per_rep, len(out))
    slots = np.repeat(np.arange(len(rep_ids)), cap)
    rank = np.tile(np.arange(cap), len(rep_ids))
    if len(out) * len(slots) > MAX_CELLS:  # very large pools: best fit first, greedily
        return _greedy(out, m, allowed, rep_ids, rules.capacity_per_rep)
    gain = m[:, slots] - SLOT_PENALTY * rank[None, :]
    cost = np.where(allowed[:, slots], -gain, 1e6)
    rows, cols = linear_sum_assignment(cost)
    ok = cost[rows, cols] < 1e5
    rows, cols = rows[ok], cols[ok]
    out.iloc[rows, out.columns.get_loc("to_rep_id")] = np.asarray(rep_ids, dtype=object)[slots[cols]]
    out.iloc[rows, out.columns.get_loc("fit")] = m[rows, slots[cols]]
    return out


def _greedy(out, m, allowed, rep_ids, capacity):
    left = np.full(len(rep_ids), capacity)
    score = np.where(allowed, m, -np.inf)
    for i in np.argsort(-np.nanmax(score, axis=1), kind="stable"):
        s = np.where(left > 0, score[i], -np.inf)
        j = int(np.argmax(s))
        if np.isfinite(s[j]):
            out.iat[i, out.columns.get_loc("to_rep_id")] = rep_ids[j]
            out.iat[i, out.columns.get_loc("fit")] = m[i, j]
            left[j] -= 1
    return out


class ReassignResult(KpiResult):
    """``frame``: one row per recycled lead with the suggested new owner and the expected SQL rate."""

    def __init__(self, frame: pd.DataFrame, as_of: dt.datetime, rules: PoolRules, kind: str, team=None):
        super().__init__(N_("Reassignment suggestions"), frame, None, team)
        self.as_of, self.rules, self.kind = as_of, rules, kind

    def title(self) -> str:
        return _("Reassignment suggestions · as of {date}", date=fmt.datetime(self.as_of))

    def display_frame(self) -> pd.DataFrame:
        d = self.frame[self.frame["to_rep_id"].notna()]
        g = d.groupby("to_rep_id").agg(leads=("lead_id", "size"), fit=("fit", "mean")).reset_index()
        return pd.DataFrame({_("Rep"): g["to_rep_id"].tolist(), _("Leads to take"): [fmt.number(v) for v in g["leads"]],
                             _("Expected SQL rate on them"): [fmt.percent(v) for v in g["fit"]]})

    def verdict(self) -> str:
        d = self.frame
        if d.empty:
            return _("No lead to reassign.")
        placed = int(d["to_rep_id"].notna().sum())
        text = _("{placed} of {n} leads get a new owner; the new owners' SQL rate on similar leads averages {rate}.",
                 placed=fmt.number(placed), n=fmt.number(len(d)), rate=fmt.percent(float(d["fit"].mean())))
        if placed < len(d):
            text += " " + _("{n} stay in the pool: no active rep in the team has capacity left.",
                            n=fmt.number(len(d) - placed))
        return text

    def notes(self) -> list[str]:
        seg = _("score grade") if self.kind == "grade" else _("lead source")
        return [_("Rep fit = the rep's SQL rate on leads of the same {segment} (own leads created 30–180 days before, "
                  "shrunk towards the segment's rate); at most {cap} leads per rep; never back to the previous owner.",
                  segment=seg, cap=fmt.number(self.rules.capacity_per_rep))]


def reassign(data, as_of, *, rules: PoolRules | str | None = None, team: str | None = None) -> ReassignResult:
    """Suggest new owners for the leads that the rules send back to the pool as of ``as_of``."""
    from leadlab.kpi.data import KpiData

    rules = rules if isinstance(rules, PoolRules) else load_rules(rules)
    data = KpiData.coerce(data).for_team(team)
    end = as_of_datetime(as_of)
    rec = recycle_frame(data, end, rules)
    reps = data.rep_table[["rep_id", "team"]]
    owners = pool_state(data, end, rules)
    gone = set(owners.filter(owners.owner_left).rep_id.to_pandas().dropna())
    active = _active_reps(data, end, rules)
    reps = reps[reps["rep_id"].isin(active) & ~reps["rep_id"].isin(gone | set(rules.left_reps))]
    fit, kind = rep_fit(data, end)
    leads = rec[["lead_id", "rep_id", "reason"]].merge(data.rep_table[["rep_id", "team"]], on="rep_id", how="left")
    leads["segment"] = leads["lead_id"].map(_lead_segments(data, end, leads["lead_id"].tolist()))
    return ReassignResult(assign(leads, reps, fit, rules), end, rules, kind, team)


def _active_reps(data, end: dt.datetime, rules: PoolRules) -> set[str]:
    days = rules.inactive_days if rules.inactive_days is not None else 10_000
    c = data.calls
    c = c.filter((c.started_at < end) & (c.started_at >= end - dt.timedelta(days=days)))
    return set(c.select("rep_id").distinct().to_pandas()["rep_id"])
