"""The data overview: what is in the store, is it sound, and what happened in a period.

Everything is computed as Ibis aggregations in the store; only counts and dates reach
Python. :func:`overview` returns an :class:`Overview` result with ``summary()``,
``to_pandas()``, ``_repr_html_``, ``plot()`` and ``verdict()``.

It also holds the two helpers every period report needs: :func:`store_as_of` (the
latest activity in the store: max ``calls.started_at``, falling back to today) and
:func:`resolve_period` (``"last-month"`` → the latest complete month relative to it).

>>> import pandas as pd, ibis
>>> con = ibis.duckdb.connect()
>>> from leadlab.store import write_table
>>> write_table(con, "leads", pd.DataFrame({"lead_id": ["L1", "L2"], "source": ["web", "web"],
...     "created_at": pd.to_datetime(["2026-10-03", "2026-10-09"]), "phone": ["p1", "p1"]}))
>>> write_table(con, "calls", pd.DataFrame({"call_id": ["C1"], "lead_id": ["L1"], "rep_id": ["R001"],
...     "started_at": pd.to_datetime(["2026-11-04 10:00"]), "talk_seconds": [0.0], "disposition": ["qualified"]}))
>>> resolve_period("last-month", con).label
'2026-10'
>>> ov = overview(con, "2026-10")
>>> ov.funnel["count"].tolist()[:3]
[2, 1, 1]
>>> print(ov.verdict())  # doctest: +ELLIPSIS
Data for 2026-10: 2 leads created, 0 calls made. 1 problem(s) need fixing ... table reps is missing ...
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import ibis
import pandas as pd

from leadlab.periods import Period, parse_period
from leadlab.schema import CONNECTED_DISPOSITIONS, CONVERSATION_DISPOSITIONS, TABLES
from leadlab.store import has_table

#: The timestamp/date column that places each table's rows in time.
DATE_COLUMNS: dict[str, str] = {
    "leads": "created_at",
    "calls": "started_at",
    "reps": "hired_at",
    "assignments": "assigned_at",
    "experiments": "started_at",
    "spend": "date",
    "lead_scores": "scored_at",
}
#: Tables without which no report makes sense (missing → problem); the others → note.
CORE_TABLES = ("leads", "calls", "reps")
#: Columns whose empty value carries meaning (not reached yet / not applicable): never "missing".
MEANINGFUL_NULLS = {
    "leads": {"mql_at", "sql_at", "opportunity_at", "won_at", "lost_at", "revenue"},
    "experiments": {"ended_at"},
    "calls": {"script"},  # only calls inside a script experiment carry one
}
FUNNEL_STAGES = ("leads", "called", "connected", "conversation", "SQL", "opportunity", "won")
SEVERITY_ORDER = {"problem": 0, "warning": 1, "note": 2, "ok": 3}
#: Share above which an empty optional column or never-called leads become a warning.
WARN_SHARE = 0.05


# ---------------------------------------------------------------- periods
def store_as_of(con: ibis.BaseBackend) -> pd.Timestamp:
    """The latest activity in the store: ``max(calls.started_at)``, else the latest lead's
    ``created_at``, else now (UTC, naive)."""
    for name, col in (("calls", "started_at"), ("leads", "created_at")):
        if has_table(con, name):
            value = con.table(name)[col].max().execute()
            if value is not None and not pd.isna(value):
                return pd.Timestamp(value)
    return pd.Timestamp.now(tz="UTC").tz_localize(None)


def resolve_period(period: "str | Period", con: ibis.BaseBackend | None = None, *, as_of=None) -> Period:
    """``period`` as a :class:`~leadlab.periods.Period`; ``last-*`` is the latest complete
    period relative to ``as_of`` (default: :func:`store_as_of` of ``con``, else today)."""
    if isinstance(period, Period):
        return period
    if as_of is None and str(period).strip().lower().startswith(("last-", "yesterday")):
        as_of = store_as_of(con) if con is not None else None
    return parse_period(period, as_of=as_of)


# ---------------------------------------------------------------- result
@dataclass
class Overview:
    """What :func:`overview` found. DataFrames are small aggregates:

    - ``tables``: table, present, rows, rows_in_period, date_column, first, last
    - ``findings``: severity (problem/warning/note/ok), check, table, count, share, message
    - ``missing``: table, column, missing, rows, share (optional columns only)
    - ``funnel``: stage, count, share_of_leads, step_rate (leads created in the period)
    - ``calls_per_day``: date, calls, connected, conversations (a window ending with the period)
    """

    period: Period
    as_of: pd.Timestamp
    tables: pd.DataFrame
    findings: pd.DataFrame
    missing: pd.DataFrame
    funnel: pd.DataFrame
    calls_per_day: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    # -- facts
    @property
    def leads_in_period(self) -> int:
        return int(self.funnel["count"].iloc[0]) if len(self.funnel) else 0

    @property
    def calls_in_period(self) -> int:
        row = self.tables.loc[self.tables["table"] == "calls", "rows_in_period"]
        return int(row.iloc[0]) if len(row) and not pd.isna(row.iloc[0]) else 0

    @property
    def period_span(self) -> str:
        """The period's first and last day, e.g. '1 Oct 2026 to 31 Oct 2026'."""
        last = self.period.end - pd.Timedelta(days=1)
        return f"{self.period.start.day} {self.period.start:%b %Y} to {last.day} {last:%b %Y}"

    @property
    def has_data(self) -> bool:
        """True when the period holds at least one lead or call."""
        return self.leads_in_period > 0 or self.calls_in_period > 0

    @property
    def data_range(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """First and last activity in the store (leads created, calls made)."""
        t = self.tables[self.tables["table"].isin(["leads", "calls"]) & self.tables["present"]]
        firsts, lasts = t["first"].dropna(), t["last"].dropna()
        return (firsts.min() if len(firsts) else None, lasts.max() if len(lasts) else None)

    def call_volume(self) -> dict[str, float | None]:
        """Average calls per working day (days with at least one call) in the period and in
        the previous period of the same kind, and the relative change (None when the previous
        period is not fully inside the window or had no calls)."""
        cpd = self.calls_per_day
        prev_p = self.period.previous()

        def per_day(p: Period) -> tuple[float | None, int]:
            part = cpd[(cpd.date >= p.start) & (cpd.date < p.end)]
            active = part[part.calls > 0]
            return (float(active.calls.mean()) if len(active) else None), len(part)

        now, _ = per_day(self.period)
        before, n_prev = per_day(prev_p)
        if n_prev != round(prev_p.days):
            before = None
        change = (now / before - 1) if (now is not None and before) else None
        return {"per_day": now or 0.0, "previous_per_day": before, "change": change, "previous_label": prev_p.label}

    def call_volume_sentence(self) -> str:
        """E.g. 'In 2026-10 reps made 480 calls per working day, 6% more than in 2026-09 (452).'"""
        v = self.call_volume()
        if not v["per_day"]:
            return f"No calls were made in {self.period.label}."
        text = f"In {self.period.label} reps made {v['per_day']:,.0f} calls per working day (days with any call)"
        if v["change"] is not None and abs(v["change"]) < 0.005:
            text += f", about the same as in {v['previous_label']} ({v['previous_per_day']:,.0f} a day)"
        elif v["change"] is not None:
            word = "more" if v["change"] >= 0 else "fewer"
            text += f", {abs(v['change']):.0%} {word} than in {v['previous_label']} ({v['previous_per_day']:,.0f} a day)"
        return text + "."

    def counts(self) -> dict[str, int]:
        """Findings per severity."""
        c = self.findings["severity"].value_counts()
        return {s: int(c.get(s, 0)) for s in SEVERITY_ORDER}

    # -- words
    def no_data_message(self) -> str:
        """The sentence shown when the period is empty (empty string when it is not)."""
        if self.has_data:
            return ""
        first, last = self.data_range
        span = f" The store holds activity from {first:%Y-%m-%d} to {last:%Y-%m-%d}." if first is not None else " The store holds no leads or calls at all."
        return f"No leads were created and no calls were made in {self.period.label}.{span} Pick a period inside that range."

    def quality_sentence(self) -> str:
        """What the data-quality checks say, in one or two sentences."""
        c = self.counts()
        if c["problem"]:
            return (f"{c['problem']} problem(s) need fixing before the numbers in other reports can be trusted: "
                    + "; ".join(self.findings.loc[self.findings.severity == "problem", "message"].head(3)) + ".")
        if c["warning"]:
            return (f"No blocking problems; {c['warning']} warning(s) worth a look: "
                    + "; ".join(self.findings.loc[self.findings.severity == "warning", "message"].head(3)) + ".")
        return f"All {c['ok'] + c['note']} data-quality checks passed; the numbers can be trusted."

    def verdict(self) -> str:
        """One plain-language paragraph a manager can act on."""
        head = f"Data for {self.period.label}: {self.leads_in_period:,} leads created, {self.calls_in_period:,} calls made."
        if not self.has_data:
            head += " " + self.no_data_message()
        return f"{head} {self.quality_sentence()}"

    def summary(self) -> str:
        """A text summary for a terminal."""
        lines = [f"Data overview {self.period.label} (store activity up to {self.as_of:%Y-%m-%d %H:%M})", ""]
        t = self.tables.copy()
        for col in ("first", "last"):
            t[col] = t[col].map(lambda v: "" if v is None or pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}")
        lines.append(t.to_string(index=False))
        lines += ["", "Findings:"]
        for f in self.findings.itertuples():
            lines.append(f"  [{f.severity}] {f.message}")
        lines += ["", "Funnel (leads created in the period):"]
        for f in self.funnel.itertuples():
            lines.append(f"  {f.stage:<13} {f.count:>9,}  {f.share_of_leads:7.1%}")
        lines += ["", self.verdict()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_pandas(self, part: str = "tables") -> pd.DataFrame:
        """One of the result tables: tables, findings, missing, funnel, calls_per_day."""
        parts = {"tables": self.tables, "findings": self.findings, "missing": self.missing,
                 "funnel": self.funnel, "calls_per_day": self.calls_per_day}
        if part not in parts:
            from leadlab.errors import ConfigError

            raise ConfigError(f"parameter part: unknown {part!r}; valid: {', '.join(parts)}")
        return parts[part].copy()

    # -- html
    def tables_html(self) -> str:
        """Row counts and date ranges per table, as an HTML table."""
        rows = []
        for r in self.tables.itertuples():
            if not r.present:
                rows.append([r.table, badge("missing", "problem" if r.table in CORE_TABLES else "note"), "", "", ""])
                continue
            rng = "" if r.first is None or pd.isna(r.first) else f"{pd.Timestamp(r.first):%Y-%m-%d} → {pd.Timestamp(r.last):%Y-%m-%d}"
            inp = "" if pd.isna(r.rows_in_period) else f"{int(r.rows_in_period):,}"
            rows.append([r.table, f"{int(r.rows):,}", inp, rng, r.date_column or ""])
        return html_table(["table", "rows", f"rows in {self.period.label}", "date range", "dated by"], rows,
                          align=["left", "right", "right", "left", "left"])

    def findings_html(self) -> str:
        """Data-quality findings with severity badges, problems first."""
        rows = [[badge(f.severity, f.severity), html.escape(f.check), html.escape(f.message)]
                for f in self.findings.itertuples()]
        return html_table(["status", "check", "finding"], rows, escape=False)

    def funnel_html(self) -> str:
        rows = [[f.stage, f"{f.count:,}", f"{f.share_of_leads:.1%}", "" if pd.isna(f.step_rate) else f"{f.step_rate:.1%}"]
                for f in self.funnel.itertuples()]
        return html_table(["stage", "leads", "share of leads", "from previous stage"], rows,
                          align=["left", "right", "right", "right"])

    def _repr_html_(self) -> str:
        msg = self.no_data_message()
        return (f"<div class='leadlab-overview'><p><b>{html.escape(self.verdict())}</b></p>"
                + (f"<p>{html.escape(msg)}</p>" if msg else "")
                + "<h4>Tables</h4>" + self.tables_html()
                + "<h4>Data quality</h4>" + self.findings_html()
                + "<h4>Funnel</h4>" + self.funnel_html() + "</div>")

    # -- figures
    def plot(self, kind: str = "funnel", ax=None):
        """``kind="funnel"`` (leads created in the period through to won) or
        ``"calls_per_day"`` (calls and connected calls per day, the period shaded)."""
        from leadlab import plots

        if kind == "funnel":
            ax = plots.funnel_chart(self.funnel, ax=ax, title=f"Funnel of leads created in {self.period.label}")
            ax.set_xlabel("leads")
            return ax
        if kind == "calls_per_day":
            df = self.calls_per_day.melt(id_vars="date", value_vars=["calls", "connected"], var_name="series", value_name="per day")
            return plots.time_series(df, x="date", y="per day", hue="series", ax=ax, ylabel="calls per day",
                                     title="Calls per day (the report period is shaded)", rolling=7,
                                     rolling_label="7-day average",
                                     shade=(self.period.start, self.period.end))
        from leadlab.errors import ConfigError

        raise ConfigError(f"parameter kind: unknown plot {kind!r}; valid: funnel, calls_per_day")


# ---------------------------------------------------------------- html helpers
_BADGE = {"problem": "#D55E00", "warning": "#E69F00", "note": "#56B4E9", "ok": "#009E73", "failed": "#D55E00", "missing": "#D55E00"}


def badge(text: str, kind: str) -> str:
    """A small coloured label (inline styles, so it survives any HTML export)."""
    color = _BADGE.get(kind, "#7F7F7F")
    return (f"<span style='background:{color};color:white;border-radius:3px;padding:1px 6px;"
            f"font-size:0.85em;font-weight:600'>{html.escape(text)}</span>")


def html_table(header: list[str], rows: list[list], *, align: list[str] | None = None, escape: bool = True) -> str:
    """A plain, deterministic HTML table (no random ids, so notebook outputs are stable)."""
    align = align or ["left"] * len(header)
    head = "".join(f"<th style='text-align:{a}'>{html.escape(h)}</th>" for h, a in zip(header, align))
    body = []
    for row in rows:
        cells = "".join(
            f"<td style='text-align:{a}'>{html.escape(str(v)) if escape and not str(v).startswith('<span') else v}</td>"
            for v, a in zip(row, align)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table class='leadlab-table'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# ---------------------------------------------------------------- engine
def _scalar(expr) -> object:
    value = expr.execute()
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _in_period(col, period: Period):
    return (col >= period.start.to_pydatetime()) & (col < period.end.to_pydatetime())


def _table_facts(con: ibis.BaseBackend, period: Period) -> pd.DataFrame:
    rows = []
    for name in TABLES:
        date_col = DATE_COLUMNS.get(name)
        if not has_table(con, name):
            rows.append({"table": name, "present": False, "rows": 0, "rows_in_period": None,
                         "date_column": date_col, "first": None, "last": None})
            continue
        t = con.table(name)
        if date_col and date_col in t.columns:
            col = t[date_col]
            ts = col.cast("timestamp") if t.schema()[date_col].is_date() else col
            agg = t.aggregate(rows=t.count(), first=col.min(), last=col.max(),
                              in_period=_in_period(ts, period).cast("int64").sum()).execute().iloc[0]
            rows.append({"table": name, "present": True, "rows": int(agg["rows"]),
                         "rows_in_period": int(agg["in_period"]) if not pd.isna(agg["in_period"]) else 0,
                         "date_column": date_col,
                         "first": None if pd.isna(agg["first"]) else pd.Timestamp(agg["first"]),
                         "last": None if pd.isna(agg["last"]) else pd.Timestamp(agg["last"])})
        else:
            rows.append({"table": name, "present": True, "rows": int(t.count().execute()), "rows_in_period": None,
                         "date_column": None, "first": None, "last": None})
    df = pd.DataFrame(rows)
    df["rows_in_period"] = df["rows_in_period"].astype("Int64")
    return df


def _missing(con: ibis.BaseBackend) -> pd.DataFrame:
    out = []
    for name, spec in TABLES.items():
        if not has_table(con, name):
            continue
        t = con.table(name)
        cols = [c.name for c in spec.columns
                if not c.required and not c.derived and c.name in t.columns
                and c.name not in MEANINGFUL_NULLS.get(name, set())]
        if not cols:
            continue
        agg = t.aggregate(__rows=t.count(), **{c: t[c].isnull().cast("int64").sum() for c in cols}).execute().iloc[0]
        n = int(agg["__rows"])
        for c in cols:
            miss = int(agg[c]) if not pd.isna(agg[c]) else 0
            out.append({"table": name, "column": c, "missing": miss, "rows": n, "share": miss / n if n else 0.0})
    return pd.DataFrame(out, columns=["table", "column", "missing", "rows", "share"])


def _finding(severity: str, check: str, table: str, count: int, share: float | None, message: str) -> dict:
    return {"severity": severity, "check": check, "table": table, "count": int(count),
            "share": share, "message": message}


def _findings(con: ibis.BaseBackend, tables: pd.DataFrame, missing: pd.DataFrame) -> list[dict]:
    f: list[dict] = []
    present = set(tables.loc[tables.present, "table"])
    for name in TABLES:
        if name not in present:
            sev = "problem" if name in CORE_TABLES else "note"
            why = "reports that need it cannot run" if name in CORE_TABLES else "the parts of reports that use it stay empty"
            f.append(_finding(sev, "table missing", name, 1, None, f"table {name} is missing from the store; {why}"))
    for r in tables[tables.present & (tables.rows == 0)].itertuples():
        sev = "problem" if r.table in CORE_TABLES else "note"
        f.append(_finding(sev, "table empty", r.table, 0, None, f"table {r.table} exists but holds no rows"))
    # duplicate keys
    for name in ("leads", "calls", "reps"):
        if name in present:
            t = con.table(name)
            key = TABLES[name].key[0]
            dup = int(t.count().execute()) - int(t[key].nunique().execute())
            f.append(_finding("problem" if dup else "ok", "duplicate keys", name, dup, None,
                              f"{dup:,} duplicate {key} value(s) in {name}" if dup else f"every {key} in {name} is unique"))
    if "leads" in present:
        leads = con.table("leads")
        n_leads = int(leads.count().execute())
        if "calls" in present:
            calls = con.table("calls")
            called = calls.select("lead_id").distinct()
            never = int(leads.anti_join(called, "lead_id").count().execute())
            share = never / n_leads if n_leads else 0.0
            sev = "warning" if share > WARN_SHARE else ("note" if never else "ok")
            f.append(_finding(sev, "leads never called", "leads", never, share,
                              f"{never:,} leads ({share:.1%}) were never called" if never else "every lead was called at least once"))
            orphans = int(calls.anti_join(leads.select("lead_id"), "lead_id").count().execute())
            f.append(_finding("problem" if orphans else "ok", "calls of unknown leads", "calls", orphans, None,
                              f"{orphans:,} calls refer to a lead_id that is not in leads" if orphans else "every call belongs to a known lead"))
            j = calls.select("lead_id", "started_at").join(leads.select("lead_id", "created_at"), "lead_id")
            early = int(j.filter(j.started_at < j.created_at).count().execute())
            f.append(_finding("problem" if early else "ok", "calls before lead creation", "calls", early, None,
                              f"{early:,} calls started before their lead was created" if early else "no call started before its lead was created"))
        # lifecycle order
        order = [c for c in ("created_at", "mql_at", "sql_at", "opportunity_at", "won_at") if c in leads.columns]
        conds = [leads[b] < leads[a] for i, a in enumerate(order) for b in order[i + 1:]]
        if "lost_at" in leads.columns:
            conds.append(leads.lost_at < leads.created_at)
        if conds:
            bad = ibis.or_(*conds).fill_null(False)
            n_bad = int(leads.filter(bad).count().execute())
            f.append(_finding("problem" if n_bad else "ok", "lifecycle order", "leads", n_bad, None,
                              f"{n_bad:,} leads have lifecycle dates out of order (e.g. SQL before creation)" if n_bad
                              else "lifecycle dates are in order (created ≤ MQL ≤ SQL ≤ opportunity ≤ won)"))
        # duplicates by phone token
        if "phone" in leads.columns:
            g = leads.filter(leads.phone.notnull()).group_by("phone").aggregate(n=lambda t: t.count())
            g = g.filter(g.n > 1)
            agg = g.aggregate(tokens=g.count(), leads=g.n.sum()).execute().iloc[0]
            tokens = int(agg["tokens"])
            dup_leads = 0 if pd.isna(agg["leads"]) else int(agg["leads"])
            share = dup_leads / n_leads if n_leads else 0.0
            sev = "warning" if share > WARN_SHARE else ("note" if tokens else "ok")
            f.append(_finding(sev, "duplicate phones", "leads", dup_leads, share,
                              f"{dup_leads:,} leads ({share:.1%}) share a phone with another lead ({tokens:,} phone number(s)); "
                              "they may be the same person entered twice" if tokens else "no two leads share a phone number"))
    if "calls" in present:
        calls = con.table("calls")
        agg = calls.aggregate(
            connected=calls.disposition.isin(CONNECTED_DISPOSITIONS).cast("int64").sum(),
            zero=(calls.disposition.isin(CONNECTED_DISPOSITIONS) & (calls.talk_seconds.fill_null(0) <= 0)).cast("int64").sum(),
            unknown=(~calls.disposition.isin(list(CONNECTED_DISPOSITIONS) + [d for d in
                     ("no_answer", "busy", "voicemail")])).cast("int64").sum(),
        ).execute().iloc[0]
        conn = int(agg["connected"] or 0)
        zero = int(agg["zero"] or 0)
        share = zero / conn if conn else 0.0
        sev = "warning" if share > 0.01 else ("note" if zero else "ok")
        f.append(_finding(sev, "zero talk time on connected calls", "calls", zero, share,
                          f"{zero:,} connected calls ({share:.1%} of connected) have zero talk time; check the dialer export"
                          if zero else "every connected call has talk time"))
    # missing optional fields: one line per table for never-filled and for partly-filled columns
    for name, part in missing.groupby("table", sort=False):
        never = part[part.share >= 1.0]
        partly = part[(part.share > WARN_SHARE) & (part.share < 1.0)].sort_values("share", ascending=False)
        if len(never):
            f.append(_finding("note", "optional columns not provided", name, len(never), None,
                              f"{name}: {len(never)} optional column(s) are never filled ({', '.join(never.column)}); "
                              "report parts that use them stay empty"))
        if len(partly):
            cols = ", ".join(f"{r.column} {r.share:.0%}" for r in partly.itertuples())
            f.append(_finding("warning", "optional columns partly empty", name, len(partly), float(partly.share.max()),
                              f"{name}: {len(partly)} optional column(s) are partly empty ({cols})"))
    if len(missing) and not ((missing.share > WARN_SHARE) & (missing.share < 1.0)).any():
        f.append(_finding("ok", "optional columns partly empty", "all", 0, 0.0,
                          f"every provided optional column is at least {1 - WARN_SHARE:.0%} filled"))
    return f


def _funnel(con: ibis.BaseBackend, period: Period) -> pd.DataFrame:
    counts = dict.fromkeys(FUNNEL_STAGES, 0)
    if has_table(con, "leads"):
        leads = con.table("leads")
        leads = leads.filter(_in_period(leads.created_at, period))
        metrics = {"leads": leads.count()}
        for stage, col in (("SQL", "sql_at"), ("opportunity", "opportunity_at"), ("won", "won_at")):
            if col in leads.columns:
                metrics[stage] = leads[col].notnull().cast("int64").sum()
        if has_table(con, "calls"):
            calls = con.table("calls")
            per_lead = calls.group_by("lead_id").aggregate(
                connected=calls.disposition.isin(CONNECTED_DISPOSITIONS).max(),
                conversation=calls.disposition.isin(CONVERSATION_DISPOSITIONS).max(),
            )
            j = leads.select("lead_id").join(per_lead, "lead_id")
            c = j.aggregate(called=j.count(), connected=j.connected.cast("int64").sum(),
                            conversation=j.conversation.cast("int64").sum()).execute().iloc[0]
            for k in ("called", "connected", "conversation"):
                counts[k] = 0 if pd.isna(c[k]) else int(c[k])
        agg = leads.aggregate(**metrics).execute().iloc[0]
        for k in metrics:
            counts[k] = 0 if pd.isna(agg[k]) else int(agg[k])
    df = pd.DataFrame({"stage": list(counts), "count": list(counts.values())})
    first = df["count"].iloc[0]
    df["share_of_leads"] = df["count"] / first if first else 0.0
    prev = df["count"].shift(1)
    df["step_rate"] = (df["count"] / prev.where(prev > 0)).astype(float)
    return df


def _calls_per_day(con: ibis.BaseBackend, period: Period, context_days: int) -> pd.DataFrame:
    start = min(period.start, (period.end - pd.Timedelta(days=context_days)).replace(day=1))
    days = pd.date_range(start, period.end - pd.Timedelta(days=1), freq="D")
    out = pd.DataFrame({"date": days})
    if has_table(con, "calls"):
        calls = con.table("calls")
        w = calls.filter((calls.started_at >= start.to_pydatetime()) & (calls.started_at < period.end.to_pydatetime()))
        g = w.group_by(date=w.started_at.date()).aggregate(
            calls=w.count(),
            connected=w.disposition.isin(CONNECTED_DISPOSITIONS).cast("int64").sum(),
            conversations=w.disposition.isin(CONVERSATION_DISPOSITIONS).cast("int64").sum(),
        ).execute()
        g["date"] = pd.to_datetime(g["date"])
        out = out.merge(g, on="date", how="left")
    for c in ("calls", "connected", "conversations"):
        out[c] = out[c].fillna(0).astype("int64") if c in out else 0
    return out


def overview(con: ibis.BaseBackend | None = None, period: "str | Period" = "last-month", *,
             context_days: int = 90) -> Overview:
    """The data overview of the store ``con`` (default: :func:`leadlab.connect`) for ``period``.

    Table facts and data-quality findings cover the whole store; the funnel covers leads
    created in the period; calls per day cover ``context_days`` ending with the period.
    """
    if con is None:
        from leadlab.store import connect

        con = connect()
    as_of = store_as_of(con)
    p = resolve_period(period, con, as_of=as_of)
    tables = _table_facts(con, p)
    missing = _missing(con)
    findings = pd.DataFrame(_findings(con, tables, missing),
                            columns=["severity", "check", "table", "count", "share", "message"])
    findings = findings.sort_values("severity", key=lambda s: s.map(SEVERITY_ORDER), kind="stable").reset_index(drop=True)
    return Overview(period=p, as_of=as_of, tables=tables, findings=findings, missing=missing,
                    funnel=_funnel(con, p), calls_per_day=_calls_per_day(con, p, context_days))


__all__ = ["Overview", "badge", "html_table", "overview", "resolve_period", "store_as_of"]
