"""The input bundle of the KPI engine: the canonical tables as Ibis expressions.

The same engine code runs on a store (DuckDB file or any Ibis backend) and on
pandas DataFrames (registered in an in-memory DuckDB, never grouped in pandas).

>>> import pandas as pd
>>> reps = pd.DataFrame({"rep_id": ["R1"], "team": ["East"], "hourly_cost": [30.0]})
>>> leads = pd.DataFrame({"lead_id": ["L1"], "created_at": pd.to_datetime(["2026-10-01"]),
...                       "source": ["web_form"], "rep_id": ["R1"]})
>>> calls = pd.DataFrame({"call_id": ["C1"], "lead_id": ["L1"], "rep_id": ["R1"],
...                       "started_at": pd.to_datetime(["2026-10-01 00:03"]),
...                       "talk_seconds": [60.0], "disposition": ["callback"]})
>>> data = KpiData.from_frames(leads=leads, calls=calls, reps=reps)
>>> data.teams, data.has_spend, str(data.as_of)
(['East'], False, '2026-10-01 00:03:00')
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import ibis
import pandas as pd

from leadlab.errors import ConfigError, DataError
from leadlab.periods import Period, parse_period
from leadlab.schema import CONNECTED_DISPOSITIONS, CONVERSATION_DISPOSITIONS, TABLES
from leadlab.store import as_table, connect, has_table, table


def business_now() -> pd.Timestamp:
    """Now as a wall-clock time of the business time zone (naive, like stored timestamps)."""
    from leadlab.schema import business_timezone

    return pd.Timestamp.now(tz=business_timezone()).tz_localize(None)


def _complete(t: ibis.Table, name: str) -> ibis.Table:
    """Add missing optional canonical columns as typed NULLs (and derive connected /
    conversation from the disposition when absent), so hand-made frames work."""
    spec = TABLES[name]
    cols = set(t.columns)
    missing_required = [c for c in spec.required if c not in cols and not spec.column(c).derived]
    if name == "calls":
        missing_required = [c for c in missing_required if c != "talk_seconds"]
    if missing_required:
        raise DataError(f"table {name}: missing required column(s) {', '.join(missing_required)}",
                        [f"columns present: {', '.join(t.columns)}"])
    extra = {}
    for c in spec.columns:
        if c.name in cols:
            continue
        if name == "calls" and c.name == "connected":
            extra[c.name] = t.disposition.isin(CONNECTED_DISPOSITIONS)
        elif name == "calls" and c.name == "conversation":
            extra[c.name] = t.disposition.isin(CONVERSATION_DISPOSITIONS)
        else:
            extra[c.name] = ibis.null().cast(c.ibis_type)
    if name == "calls":  # NULL connected / conversation flags: derive them from the disposition
        flags = [c for c in ("connected", "conversation") if c in cols]
        nulls = t.aggregate(**{c: t[c].isnull().any() for c in flags}).to_pandas().iloc[0] if flags else {}
        for col, allowed in (("connected", CONNECTED_DISPOSITIONS), ("conversation", CONVERSATION_DISPOSITIONS)):
            if col in cols and pd.notna(nulls[col]) and bool(nulls[col]):
                extra[col] = t[col].cast("boolean").fill_null(t.disposition.isin(allowed))
    if extra:
        t = t.mutate(**extra)
    schema = t.schema()
    # cast only real type mismatches (a cast on a timestamp column hides it from DuckDB's zone-map pruning)
    casts = {c.name: c.ibis_type for c in spec.columns
             if c.name in t.columns and type(schema[c.name]) is not type(c.ibis_type)}
    if casts:
        t = t.cast(casts)
    return t


@dataclass
class KpiData:
    """The tables the KPI engine reads (``spend`` is optional) plus an optional team filter.

    Build it with :meth:`from_store` or :meth:`from_frames`; ``for_team("East")``
    returns a copy restricted to one team (calls by the dialling rep, leads by the
    owner rep; spend is allocated by the team's share of new leads per source and campaign).
    """

    leads: ibis.Table
    calls: ibis.Table
    reps: ibis.Table
    spend: ibis.Table | None = None
    team: str | None = None
    _as_of: pd.Timestamp | None = field(default=None, repr=False)
    #: aggregates already computed (per source, team, breakdown and period): KpiData is a snapshot
    _cache: dict = field(default_factory=dict, repr=False, compare=False)
    #: customer surveys and invoices (optional; :mod:`leadlab.kpi.customer`)
    surveys: ibis.Table | None = None
    payments: ibis.Table | None = None

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_store(cls, con: ibis.BaseBackend | str | None = None) -> "KpiData":
        """Read leads, calls, reps (and spend when the store has it) from a store
        (a backend, a URL, or None for ``$LEADLAB_DB`` / the default file)."""
        if con is None or isinstance(con, str):
            con = connect(con, read_only=False)
        spend = table(con, "spend") if has_table(con, "spend") else None
        if spend is not None and spend.count().to_pyarrow().as_py() == 0:
            spend = None
        return cls(
            leads=_complete(table(con, "leads"), "leads"),
            calls=_complete(table(con, "calls"), "calls"),
            reps=_complete(table(con, "reps"), "reps"),
            spend=_complete(spend, "spend") if spend is not None else None,
            **{t: _complete(table(con, t), t) for t in ("surveys", "payments") if has_table(con, t)},
        )

    @classmethod
    def from_frames(cls, *, leads, calls, reps, spend=None, surveys=None, payments=None) -> "KpiData":
        """From pandas DataFrames (or Ibis tables); ``spend=None`` marks cost KPIs unavailable."""
        return cls(
            leads=_complete(as_table(leads), "leads"),
            calls=_complete(as_table(calls), "calls"),
            reps=_complete(as_table(reps), "reps"),
            spend=_complete(as_table(spend), "spend") if spend is not None else None,
            surveys=_complete(as_table(surveys), "surveys") if surveys is not None else None,
            payments=_complete(as_table(payments), "payments") if payments is not None else None,
        )

    @classmethod
    def coerce(cls, data) -> "KpiData":
        """``data`` as KpiData: KpiData as is; a backend or URL → :meth:`from_store`."""
        if isinstance(data, KpiData):
            return data
        return cls.from_store(data)

    # ------------------------------------------------------------------ facts
    @property
    def has_spend(self) -> bool:
        return self.spend is not None

    @cached_property
    def rep_table(self) -> pd.DataFrame:
        """The reps dimension (small): rep_id, team, hourly_cost."""
        return self.reps.select("rep_id", "team", "hourly_cost").to_pandas()

    @property
    def teams(self) -> list[str]:
        return sorted(self.rep_table["team"].dropna().astype(str).unique().tolist())

    @property
    def rep_ids(self) -> list[str]:
        reps = self.rep_table
        if self.team:
            reps = reps[reps["team"] == self.team]
        return sorted(reps["rep_id"].astype(str).tolist())

    @property
    def as_of(self) -> pd.Timestamp | None:
        """The KPI engine's one "as of": the latest activity in the store, max(calls.started_at),
        else max(leads.created_at) — a wall-clock time of the business time zone
        (:func:`leadlab.schema.business_timezone`, like every stored timestamp). Relative
        periods, target pacing, the pool snapshot and "SQL status as of" all use it."""
        if self._as_of is None:
            v = self.calls.started_at.max().to_pyarrow().as_py()
            if v is None:
                v = self.leads.created_at.max().to_pyarrow().as_py()
            self._as_of = pd.Timestamp(v) if v is not None else None
        return self._as_of

    @cached_property
    def data_end(self) -> pd.Timestamp | None:
        """Latest timestamp of any call or lead event (the censoring date for open leads)."""
        l = self.leads
        row = l.aggregate(a=l.created_at.max(), b=l.mql_at.max(), c=l.sql_at.max(), d=l.opportunity_at.max(),
                          e=l.won_at.max(), f=l.lost_at.max()).to_pandas().iloc[0]
        vals = [pd.Timestamp(v) for v in row.tolist() if pd.notna(v)]
        if self.as_of is not None:
            vals.append(self.as_of)
        return max(vals) if vals else None

    def period(self, text: str | Period) -> Period:
        """Parse a period; ``last-*`` is relative to the latest activity (:attr:`as_of`), or to
        the current time in the business time zone when the store has no activity."""
        return parse_period(text, as_of=self.as_of if self.as_of is not None else business_now())

    def for_team(self, team: str | None) -> "KpiData":
        """A copy restricted to ``team``; None or "" keeps the current scope (see
        :meth:`company` to drop a team filter). ConfigError listing the valid teams
        when unknown."""
        if not team:
            return self
        if team not in self.teams:
            raise ConfigError(f"parameter team: unknown team {team!r}; valid teams: {', '.join(self.teams) or '(none)'}")
        new = replace(self, team=team)
        new.__dict__["rep_table"] = self.rep_table
        return new

    def company(self) -> "KpiData":
        """A copy without team filter."""
        if not self.team:
            return self
        new = replace(self, team=None)
        new.__dict__["rep_table"] = self.rep_table
        return new

    # ------------------------------------------------------------------ filtered views
    def team_calls(self) -> ibis.Table:
        if not self.team:
            return self.calls
        return self.calls.filter(self.calls.rep_id.isin(self.rep_ids))

    def team_leads(self) -> ibis.Table:
        if not self.team:
            return self.leads
        return self.leads.filter(self.leads.rep_id.isin(self.rep_ids))
