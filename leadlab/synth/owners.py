"""Synthetic owner history (``lead_owner_history``): leads that return to the public pool and who takes them.

Only the log is added; leads and calls stay as generated. The public-pool rules of the shipped
``pool_rules.yml`` (:func:`leadlab.pool.rules.load_rules`) are applied to the generated dials:

* **stale**: a lead in play (not yet SQL, won or lost) with no dial for ``not_followed_up_days`` days
  returns to the pool at last touch (a dial, or the creation) + N days;
* **attempts**: a lead in play dialled ``max_attempts`` times without SQL returns at that dial (unless it
  is closed within :data:`IN_PLAY_MIN_SECONDS`: the rep marks it lost in the same session).

Each return is a row ``owner → (pool)``. Before the lead's next dial (within :data:`PICKUP_MEAN_DAYS`
on average, never after it nor after the lead closes), it is taken from the pool: with probability :data:`REASSIGN_P` by
another rep of the owner's team already hired then (``pool → teammate``, reason ``reassigned``),
else claimed back by its owner (``pool → owner``, reason ``claimed``). A lead still in the pool at
the data end has no pickup row. The synthetic reps never leave (the reps table has no leaving date),
so the ``owner_left`` rule has no event.

The outcome was drawn before any of this, so a reassignment has **no causal effect** on conversion
(a placebo): reassigned and claimed-back leads convert alike up to noise. The truth
(``ground_truth.json`` → ``pool``) holds the rules used, the counts by reason and pickup, the true
effect (0 on the logit scale), the observed and expected (true probabilities) SQL after pickup of both
groups, and the per-month flow the KPI report's pool section must reproduce.

>>> import pandas as pd
>>> leads = pd.DataFrame({"lead_id": ["L1"], "rep_id": ["R1"], "team": ["T"], "created_at": pd.to_datetime(["2026-01-05"]),
...                       "closed_at": pd.to_datetime([pd.NaT])})
>>> calls = pd.DataFrame({"lead_id": ["L1", "L1"], "started_at": pd.to_datetime(["2026-01-05 10:00", "2026-01-20 10:00"])})
>>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "team": ["T", "T"], "hired_at": pd.to_datetime(["2025-01-01"] * 2)})
>>> log = owner_history(leads, calls, reps, np.random.default_rng(0), end=pd.Timestamp("2026-02-01"), stale_days=7,
...                     max_attempts=8)
>>> log[["from_rep_id", "to_rep_id", "reason"]].fillna("-").values.tolist()[0]
['R1', '-', 'stale']
>>> str(log["changed_at"].iloc[0])
'2026-01-12 10:00:00'
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: probability that a lead taken from the pool goes to another rep of the team (else its owner claims it back)
REASSIGN_P = 0.6
#: mean days from the return to the pickup (exponential; capped just before the next dial)
PICKUP_MEAN_DAYS = 1.5
#: an ``attempts`` return needs the lead still in play this long after the dial
IN_PLAY_MIN_SECONDS = 2 * 3600

COLUMNS = ["lead_id", "changed_at", "from_rep_id", "to_rep_id", "reason"]


#: Cells of one events x teammates block when picking who takes a lead from the pool (bounds memory).
PICK_CELLS = 1 << 22


def store_frames(con) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Leads (with their team, SQL time and the moment they leave play), calls (``pos``: the lead's row in
    leads) and reps of a synthetic store (a DuckDB connection)."""
    leads = con.execute(
        "SELECT l.lead_id, l.rep_id, r.team, l.created_at, l.sql_at, "
        "least(l.sql_at, l.won_at, l.lost_at) AS closed_at FROM leads l LEFT JOIN reps r ON l.rep_id = r.rep_id "
        "ORDER BY l.lead_id").df()
    calls = con.execute(
        "WITH l AS (SELECT lead_id, row_number() OVER (ORDER BY lead_id) - 1 AS pos FROM leads) "
        "SELECT l.pos, c.started_at FROM calls c JOIN l USING (lead_id)").df()
    reps = con.execute("SELECT rep_id, team, CAST(hired_at AS TIMESTAMP) AS hired_at FROM reps ORDER BY rep_id").df()
    return leads, calls, reps


def _returns(leads: pd.DataFrame, calls: pd.DataFrame, end: pd.Timestamp, stale_days: int | None,
             max_attempts: int | None) -> pd.DataFrame:
    """Every rule event: lead row number, return time, reason, and the next dial (or the data end)."""
    lead_pos = calls["pos"].to_numpy(int) if "pos" in calls else pd.Index(leads["lead_id"]).get_indexer(calls["lead_id"])
    t = calls["started_at"].to_numpy("datetime64[s]")
    created = leads["created_at"].to_numpy("datetime64[s]")
    closed = leads["closed_at"].to_numpy("datetime64[s]")
    never = np.datetime64("2200-01-01", "s")
    closed = np.where(np.isnat(closed), never, closed)
    end64 = np.datetime64(pd.Timestamp(end), "s")
    # touches: the creation, then every dial; the next touch of the last one is the data end
    pos = np.concatenate([np.arange(len(leads)), lead_pos])
    times = np.concatenate([created, t])
    order = np.lexsort((times, pos))
    pos, times = pos[order], times[order]
    same = np.r_[pos[1:] == pos[:-1], False]
    nxt = np.where(same, np.r_[times[1:], end64], end64)
    parts = []
    if stale_days is not None:
        at = times + np.timedelta64(int(stale_days) * 86400, "s")
        hit = (at < nxt) & (at < closed[pos]) & (at < end64)
        parts.append(pd.DataFrame({"pos": pos[hit], "at": at[hit], "reason": "stale", "next": nxt[hit]}))
    if max_attempts is not None:
        first = np.r_[True, pos[1:] != pos[:-1]]
        rank = np.arange(len(pos)) - np.maximum.accumulate(np.where(first, np.arange(len(pos)), 0))  # 0 = creation
        # a lead closed within hours of that dial (the rep marks it lost in the same session) never reaches the pool
        hit = (rank == max_attempts) & (times + np.timedelta64(IN_PLAY_MIN_SECONDS, "s") < closed[pos])
        parts.append(pd.DataFrame({"pos": pos[hit], "at": times[hit], "reason": "attempts", "next": nxt[hit]}))
    ev = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["pos", "at", "reason", "next"])
    ev["next"] = np.minimum(ev["next"].to_numpy("datetime64[s]"), closed[ev["pos"].to_numpy(int)])  # or its close
    return ev.sort_values(["pos", "at", "reason"], ignore_index=True)


def owner_history(leads: pd.DataFrame, calls: pd.DataFrame, reps: pd.DataFrame, rng: np.random.Generator, *,
                  end: pd.Timestamp, stale_days: int | None, max_attempts: int | None) -> pd.DataFrame:
    """The owner-change log (:data:`COLUMNS`) of ``leads`` (lead_id, rep_id, team, created_at, closed_at) given
    their ``calls`` (lead_id or pos = row in ``leads``, started_at) and ``reps`` (rep_id, team, hired_at), up to ``end`` (exclusive)."""
    ev = _returns(leads, calls, end, stale_days, max_attempts)
    n = len(ev)
    at = ev["at"].to_numpy("datetime64[s]")
    pos = ev["pos"].to_numpy(int)
    nxt = ev["next"].to_numpy("datetime64[s]")
    later = np.r_[pos[1:] == pos[:-1], False]  # the lead's next return comes first: taken before it
    nxt = np.where(later, np.minimum(nxt, np.r_[at[1:], at[:1]]), nxt)
    end64 = np.datetime64(pd.Timestamp(end), "s")
    wait = (rng.exponential(PICKUP_MEAN_DAYS, n) * 86400).astype("timedelta64[s]")
    before_next = nxt - (rng.integers(60, 1800, n)).astype("timedelta64[s]")
    pickup = np.minimum(at + wait, np.where(nxt < end64, before_next, end64))
    picked = (pickup > at) & (pickup < end64)
    wants_other = rng.random(n) < REASSIGN_P
    u = rng.random(n)
    rep_ids = reps["rep_id"].to_numpy(object)
    teams = pd.Index(pd.unique(reps["team"].to_numpy(object)))
    rep_team = teams.get_indexer(reps["team"].to_numpy(object))
    team = teams.get_indexer(leads["team"].to_numpy(object))[pos]  # -1: no team, no teammate
    hired = reps["hired_at"].to_numpy("datetime64[s]")
    owner = pd.Index(rep_ids).get_indexer(leads["rep_id"].to_numpy(object))  # per lead (-1: none), updated below
    first = np.r_[True, pos[1:] != pos[:-1]]
    rank = np.arange(n) - np.maximum.accumulate(np.where(first, np.arange(n), 0))
    from_rep = np.empty(n, dtype=int)
    to_rep = np.full(n, -1)
    for k in range(int(rank.max()) + 1 if n else 0):  # the owner chain is sequential per lead: one pass per rank
        idx = np.flatnonzero(rank == k)  # one event per lead: independent of each other
        from_rep[idx] = owner[pos[idx]]
        to_rep[idx] = from_rep[idx]  # kept unless a teammate is wanted and allowed
        for t in np.unique(team[idx][team[idx] >= 0]):
            # only the team's reps can be picked: an events x teammates matrix, in blocks of rows
            # (an events x all-reps matrix took 14 GB at 2 M leads)
            cols = np.flatnonzero(rep_team == t)
            of_team = idx[team[idx] == t]
            block = max(1, PICK_CELLS // max(len(cols), 1))
            for s in range(0, len(of_team), block):
                i = of_team[s:s + block]
                ok = (cols[None, :] != from_rep[i, None]) & (hired[cols][None, :] <= pickup[i, None])
                count = ok.sum(axis=1)
                pick = np.minimum((u[i] * count).astype(int), np.maximum(count - 1, 0))  # the pick-th allowed teammate
                mate = cols[np.argmax(np.cumsum(ok, axis=1) > pick[:, None], axis=1)]
                to_rep[i] = np.where(wants_other[i] & (count > 0), mate, from_rep[i])
        owner[pos[idx[picked[idx]]]] = to_rep[idx[picked[idx]]]
    lead_ids = leads["lead_id"].to_numpy(object)[pos]
    rid = np.append(rep_ids, None)  # index -1 = no rep
    back = pd.DataFrame({"lead_id": lead_ids, "changed_at": at, "from_rep_id": rid[from_rep], "to_rep_id": None,
                         "reason": ev["reason"].to_numpy(object)})
    taken = pd.DataFrame({"lead_id": lead_ids[picked], "changed_at": pickup[picked], "from_rep_id": None,
                          "to_rep_id": rid[to_rep[picked]],
                          "reason": np.where(to_rep[picked] == from_rep[picked], "claimed", "reassigned").astype(object)})
    log = pd.concat([back, taken], ignore_index=True)[COLUMNS]
    log["changed_at"] = pd.to_datetime(log["changed_at"])
    return log.sort_values(["lead_id", "changed_at"], ignore_index=True)


def by_month(log: pd.DataFrame, sql_at: pd.Series) -> dict[str, dict[str, int]]:
    """Per calendar month: leads returned, reassigned (to another rep) and claimed back, and leads reassigned in
    the month that reached SQL after their first reassignment of the month, before its end."""
    month = log["changed_at"].to_numpy("datetime64[M]")
    lead = pd.factorize(log["lead_id"])[0].astype(np.int64)
    months, m = np.unique(month, return_inverse=True)
    reason = log["reason"].to_numpy(object)
    key = m * (lead.max(initial=0) + 1) + lead  # one (month, lead) pair

    def leads_per_month(mask: np.ndarray) -> np.ndarray:
        pairs = np.unique(key[mask])
        return np.bincount(pairs // (lead.max(initial=0) + 1), minlength=len(months))

    re_idx = np.flatnonzero(reason == "reassigned")
    _u, first = np.unique(key[re_idx], return_index=True)  # the lead's first reassignment of the month
    i = re_idx[first]
    sql = log["lead_id"].iloc[i].map(sql_at).to_numpy("datetime64[s]")
    at = log["changed_at"].to_numpy("datetime64[s]")[i]
    end = (month[i] + np.timedelta64(1, "M")).astype("datetime64[s]")
    after = ~np.isnat(sql) & (sql >= at) & (sql < end)
    counts = {"returned_leads": leads_per_month(log["to_rep_id"].isna().to_numpy()),
              "reassigned_leads": np.bincount(m[i], minlength=len(months)),
              "claimed_leads": leads_per_month(reason == "claimed"),
              "sql_after_reassignment": np.bincount(m[i], weights=after, minlength=len(months))}
    return {str(mo): {k: int(v[j]) for k, v in counts.items()} for j, mo in enumerate(months)}


def truth(log: pd.DataFrame, p_sql: pd.Series, sql_at: pd.Series, *, stale_days, max_attempts) -> dict:
    """Ground truth of the log: counts, the placebo effect, SQL after the first pickup by group, the monthly flow.
    ``p_sql`` and ``sql_at`` are indexed by lead_id."""
    returns = log[log["to_rep_id"].isna()]
    pickups = log[log["to_rep_id"].notna()]
    first = pickups.drop_duplicates("lead_id")  # a lead's first pickup decides its group
    sql = pd.to_datetime(first["lead_id"].map(sql_at))
    after = (sql.notna() & (sql >= first["changed_at"])).to_numpy()
    p = first["lead_id"].map(p_sql).astype(float).to_numpy()
    groups = {}
    for name in ("reassigned", "claimed"):
        m = (first["reason"] == name).to_numpy()
        groups[name] = {"leads": int(m.sum()), "sql_after_pickup": int(after[m].sum()),
                        "mean_true_p_sql": float(p[m].mean()) if m.any() else None}
    return {
        "rules": {"not_followed_up_days": stale_days, "max_attempts": max_attempts, "owner_left": None},
        "reassign_p": REASSIGN_P,
        "pickup_mean_days": PICKUP_MEAN_DAYS,
        "true_reassignment_effect_logit": 0.0,
        "note": "outcomes were drawn before the pool events: reassignment has no causal effect (placebo), so "
                "reassigned and claimed-back leads convert alike up to noise; reps never leave, so owner_left has no event",
        "n_rows": int(len(log)),
        "returns": {str(k): int(v) for k, v in returns["reason"].value_counts().sort_index().items()},
        "returned_leads": int(returns["lead_id"].nunique()),
        "pickups": {str(k): int(v) for k, v in pickups["reason"].value_counts().sort_index().items()},
        "first_pickup": groups,
        "by_month": by_month(log, sql_at),
    }


def synthesize_history(con, rng: np.random.Generator, end: pd.Timestamp, lead_truth: pd.DataFrame
                       ) -> tuple[pd.DataFrame, dict]:
    """The log of a synthetic store (a DuckDB connection) under the shipped pool rules, and its truth."""
    from leadlab.pool.rules import PoolRules

    rules = PoolRules()  # its defaults, which the shipped pool_rules.yml repeats (the rules.py doctest checks it)
    leads, calls, reps = store_frames(con)
    log = owner_history(leads, calls, reps, rng, end=end, stale_days=rules.not_followed_up_days,
                        max_attempts=rules.max_attempts)
    has_sql = leads["sql_at"].notna()
    sql_at = pd.Series(leads["sql_at"][has_sql].to_numpy(), index=leads["lead_id"][has_sql].to_numpy(object))
    p_sql = pd.Series(lead_truth["p_sql"].to_numpy(), index=lead_truth["lead_id"].to_numpy(object))
    return log, truth(log, p_sql, sql_at, stale_days=rules.not_followed_up_days, max_attempts=rules.max_attempts)
