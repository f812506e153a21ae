"""The data overview: what is in the store, is it sound, and what happened in a period.

Everything is computed as Ibis aggregations in the store; only counts and dates reach
Python. :func:`overview` returns an :class:`Overview` result (a
:class:`leadlab.presentation.Result`) holding facts only — counts, shares, check codes,
column names; every sentence, header and chart label is written at render time in the
current language (:mod:`leadlab.i18n`).

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
Data for October 2026: 2 leads created, 0 calls made. 1 problem needs fixing ... table reps is missing ...
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import pandas as pd

from leadlab import safehtml
from leadlab.i18n import N_, _, fmt, ngettext, pgettext
from leadlab.periods import Period, parse_period
from leadlab.presentation import Result, _width, html_table, in_period, section_markdown, warning_box
from leadlab.schema import CONNECTED_DISPOSITIONS, CONVERSATION_DISPOSITIONS, TABLES, table_label
from leadlab.store import has_table
from leadlab.vocabulary import FUNNEL
from leadlab.vocabulary import stage_name as _stage_name

#: The timestamp/date column that places each table's rows in time.
DATE_COLUMNS: dict[str, str] = {
    "leads": "created_at",
    "calls": "started_at",
    "reps": "hired_at",
    "assignments": "assigned_at",
    "experiments": "started_at",
    "spend": "date",
    "lead_scores": "scored_at",
    "surveys": "surveyed_at",
    "payments": "due_date",
    "qa_reviews": "reviewed_at",
    "lead_owner_history": "changed_at",
    "lead_stages": "entered_at",
}
#: Tables without which no report makes sense (missing → problem); the others → note.
CORE_TABLES = ("leads", "calls", "reps")
#: Columns whose empty value carries meaning (not reached yet / not applicable): never "missing".
MEANINGFUL_NULLS = {
    "leads": {"mql_at", "sql_at", "opportunity_at", "won_at", "lost_at", "revenue"},
    "experiments": {"ended_at"},
    "calls": {"script"},  # only calls inside a script experiment carry one
    "surveys": {"csat", "nps"},  # a survey asks for CSAT, NPS or both
    "payments": {"paid_date", "amount_paid"},  # empty while unpaid
    "lead_owner_history": {"from_rep_id", "to_rep_id"},  # empty = from / back to the pool
}
#: The one funnel (:data:`leadlab.vocabulary.FUNNEL`): stage ids in order, counted per lead of the period.
FUNNEL_STAGES = FUNNEL
SEVERITY_ORDER = {"problem": 0, "warning": 1, "note": 2, "ok": 3}
#: Share above which an empty optional column or never-called leads become a warning.
WARN_SHARE = 0.05
#: The columns of :attr:`Overview.findings_facts` (``columns``/``column_shares``: tuples).
FINDING_COLUMNS = ["severity", "check", "table", "count", "share", "tokens", "columns", "column_shares"]
#: Report sections (the data_overview notebook's headings and explanations): see :func:`section`.
SECTIONS = ("summary", "store", "quality", "funnel", "calls_per_day", "how_to_read")


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


# ---------------------------------------------------------------- words (current language)
def severity_name(severity: str) -> str:
    """``problem`` / ``warning`` / ``note`` / ``ok`` in the current language."""
    names = {"problem": pgettext("data check severity", "problem"),
             "warning": pgettext("data check severity", "warning"),
             "note": pgettext("data check severity", "note"),
             "ok": pgettext("data check severity", "ok")}
    return names.get(severity, severity)


def check_name(check: str) -> str:
    """A data-quality check code (``"duplicate keys"``) as a short name in the current language."""
    names = {
        "table missing": pgettext("data check", "table missing"),
        "table empty": pgettext("data check", "table empty"),
        "duplicate keys": pgettext("data check", "duplicate keys"),
        "leads never called": pgettext("data check", "leads never called"),
        "calls of unknown leads": pgettext("data check", "calls of unknown leads"),
        "calls before lead creation": pgettext("data check", "calls before lead creation"),
        "lifecycle order": pgettext("data check", "lifecycle order"),
        "inferred lifecycle times": pgettext("data check", "inferred lifecycle times"),
        "duplicate phones": pgettext("data check", "duplicate phones"),
        "zero talk time on connected calls": pgettext("data check", "zero talk time on connected calls"),
        "optional columns not provided": pgettext("data check", "optional columns not provided"),
        "optional columns partly empty": pgettext("data check", "optional columns partly empty"),
    }
    return names.get(check, check)


def stage_name(stage: str) -> str:
    """A funnel stage id of :data:`FUNNEL_STAGES` in the current language (the vocabulary's name)."""
    return _stage_name(stage) if stage in FUNNEL else stage


def _join(items, sep: str = "list") -> str:
    """Items joined with the language's list separator (``, `` / ``、``) or clause separator (``; `` / ``；``)."""
    glue = pgettext("list separator", ", ") if sep == "list" else pgettext("clause separator", "; ")
    return glue.join(str(i) for i in items)


def finding_message(f) -> str:
    """One finding (a row of :attr:`Overview.findings_facts`) as a sentence in the current language."""
    n, table, check, ok = int(f.count), f.table, f.check, f.severity == "ok"
    count = fmt.number(n)
    share = fmt.percent(f.share) if f.share is not None and not pd.isna(f.share) else fmt.na()
    cols = tuple(f.columns or ())
    if check == "table missing":
        if f.severity == "problem":
            return _("table {table} is missing from the store; reports that need it cannot run", table=table)
        return _("table {table} is missing from the store; the parts of reports that use it stay empty", table=table)
    if check == "table empty":
        return _("table {table} exists but holds no rows", table=table)
    if check == "duplicate keys":
        key = cols[0] if cols else "?"
        if ok:
            return _("every {key} in {table} is unique", key=key, table=table)
        return ngettext("{n} duplicate {key} value in {table}", "{n} duplicate {key} values in {table}", n,
                        n=count, key=key, table=table)
    if check == "leads never called":
        if ok:
            return _("every lead was called at least once")
        return ngettext("{n} lead ({share}) was never called", "{n} leads ({share}) were never called", n,
                        n=count, share=share)
    if check == "calls of unknown leads":
        if ok:
            return _("every call belongs to a known lead")
        return ngettext("{n} call refers to a lead_id that is not in leads",
                        "{n} calls refer to a lead_id that is not in leads", n, n=count)
    if check == "calls before lead creation":
        if ok:
            return _("no call started before its lead was created")
        return ngettext("{n} call started before its lead was created",
                        "{n} calls started before their lead was created", n, n=count)
    if check == "lifecycle order":
        if ok:
            return _("lifecycle dates are in order (created ≤ MQL ≤ SQL ≤ opportunity ≤ won)")
        return ngettext("{n} lead has lifecycle dates out of order (e.g. SQL before creation)",
                        "{n} leads have lifecycle dates out of order (e.g. SQL before creation)", n, n=count)
    if check == "inferred lifecycle times":  # tokens: all lifecycle times of leads
        total = int(f.tokens or 0)
        if ok:
            return ngettext("the {total} lifecycle time is exact", "all {total} lifecycle times are exact", total,
                            total=fmt.number(total))
        return ngettext("{n} of {total} lifecycle times is inferred from a lead status (the stage was reached at or "
                        "before it); the others are exact",
                        "{n} of {total} lifecycle times are inferred from a lead status (the stage was reached at or "
                        "before them); the others are exact", n, n=count, total=fmt.number(total))
    if check == "duplicate phones":
        if ok:
            return _("no two leads share a phone number")
        tokens = int(f.tokens or 0)
        phones = ngettext("{n} phone number", "{n} phone numbers", tokens, n=fmt.number(tokens))
        return ngettext("{n} lead ({share}) shares a phone with another lead ({phones}); "
                        "they may be the same person entered twice",
                        "{n} leads ({share}) share a phone with another lead ({phones}); "
                        "they may be the same person entered twice", n, n=count, share=share, phones=phones)
    if check == "zero talk time on connected calls":
        if ok:
            return _("every connected call has talk time")
        return ngettext("{n} connected call ({share} of connected) has zero talk time; check the dialer export",
                        "{n} connected calls ({share} of connected) have zero talk time; check the dialer export",
                        n, n=count, share=share)
    if check == "optional columns not provided":
        return ngettext("{table}: {n} optional column is never filled ({columns}); report parts that use it stay empty",
                        "{table}: {n} optional columns are never filled ({columns}); report parts that use them stay empty",
                        n, table=table, n=count, columns=_join(cols))
    if check == "optional columns partly empty":
        if ok:
            return _("every provided optional column is at least {share} filled", share=fmt.percent(1 - WARN_SHARE, 0))
        parts = [_("{column} {share}", column=c, share=fmt.percent(s, 0)) for c, s in zip(cols, f.column_shares)]
        return ngettext("{table}: {n} optional column is partly empty ({columns})",
                        "{table}: {n} optional columns are partly empty ({columns})", n,
                        table=table, n=count, columns=_join(parts))
    return check


#: the report's sections: heading and explanation, message ids (rendered by :func:`section`)
SECTION_TEXTS: dict[str, tuple[str, str]] = {
    "summary": (N_("In one paragraph"), ""),
    "store": (N_("What is in the store"),
              N_("Rows per table and the dates they cover. Rows in the period count the rows dated inside "
                "the report period (leads by creation, calls by start time, spend by day). A missing table "
                "means that part of the operation was never loaded.")),
    "quality": (N_("Data quality"),
                N_("Each line is one automatic check over the whole store. Problem: numbers in other reports "
                  "are wrong until it is fixed. Warning: worth a look, numbers are usable. Note: for "
                  "information. OK: the check passed.")),
    "funnel": (N_("Funnel of the period's leads"),
               N_("How far the leads created in the period got: called at least once, reached a person "
                 "(connected), had a real conversation, became sales-qualified (SQL), an opportunity, and a "
                 "won deal. Leads created near the end of the period are still being worked, so their later "
                 "stages fill in over the following weeks.")),
    "calls_per_day": (N_("Calls per day"),
                      N_("All dial attempts per day and those where a person answered, for the report period "
                        "(shaded) and the weeks before it. Thin lines are single days (the dips are weekends "
                        "and holidays), thick lines the 7-day average. A sudden drop on working days points "
                        "to a dialer export that is missing days.")),
    "how_to_read": (N_("How to read this report"),
                    N_("The overview is regenerated every month by leadlab report all. Fix problem lines at the "
                      "source (the CRM or dialer export) and reload with leadlab ingest; the other reports "
                      "(KPIs, experiments, lead scoring) use the same store.")),
}


def section(name: str, ov: "Overview | None" = None) -> str:
    """The heading (``## …``) and explanation of a report section, as escaped Markdown in the
    current language; ``name`` is one of :data:`SECTIONS` (``"title"`` needs ``ov``).

    >>> print(section("quality").splitlines()[0])
    ## Data quality
    """
    if name == "title":
        if ov is None:
            raise ValueError("section('title') needs the overview")
        head = f"# {safehtml.md(ov.title())}"
        intro = _("What is in the leadlab store, whether it can be trusted, and what happened in {period} "
                  "({span}). The store holds activity up to {as_of}; times are {tz}.",
                  period=fmt.period_label(ov.period.label), span=ov.period_span,
                  as_of=fmt.datetime(ov.as_of), tz=fmt.tz_label(ov.as_of))
        return f"{head}\n\n{safehtml.md(intro)}"
    if name not in SECTION_TEXTS:
        from leadlab.errors import ConfigError

        raise ConfigError(_("parameter {name}: unknown section {value}; valid: {valid}",
                            name="section", value=repr(name), valid=", ".join(("title",) + SECTIONS)))
    return section_markdown(SECTION_TEXTS, name)


# ---------------------------------------------------------------- result
_BADGE = {"problem": "#D55E00", "warning": "#E69F00", "note": "#56B4E9", "ok": "#009E73"}


@dataclass(repr=False)
class Overview(Result):
    """What :func:`overview` found. DataFrames are small aggregates (facts, no sentences):

    - ``tables``: table, present, rows, rows_in_period, date_column, first, last
    - ``findings_facts``: severity (problem/warning/note/ok), check (code), table, count, share,
      tokens, columns, column_shares; :attr:`findings` adds ``message`` in the current language
    - ``missing``: table, column, missing, rows, share (optional columns only)
    - ``funnel``: stage, count, share_of_leads, step_rate (leads created in the period)
    - ``calls_per_day``: date, calls, connected, conversations (a window ending with the period)
    """

    period: Period
    as_of: pd.Timestamp
    tables: pd.DataFrame
    findings_facts: pd.DataFrame
    missing: pd.DataFrame
    funnel: pd.DataFrame
    calls_per_day: pd.DataFrame

    def __repr__(self) -> str:
        return f"Overview(period={self.period.label!r}, as_of={self.as_of!s}, findings={len(self.findings_facts)})"

    # -- facts
    @property
    def findings(self) -> pd.DataFrame:
        """The findings with a ``message`` column written in the current language."""
        f = self.findings_facts.copy()
        f["message"] = [finding_message(r) for r in f.itertuples()]
        return f

    @property
    def leads_in_period(self) -> int:
        return int(self.funnel["count"].iloc[0]) if len(self.funnel) else 0

    @property
    def calls_in_period(self) -> int:
        row = self.tables.loc[self.tables["table"] == "calls", "rows_in_period"]
        return int(row.iloc[0]) if len(row) and not pd.isna(row.iloc[0]) else 0

    @property
    def period_span(self) -> str:
        """The period's first and last day, e.g. 'Oct 1, 2026 to Oct 31, 2026' / '2026年10月1日至2026年10月31日'."""
        last = self.period.end - pd.Timedelta(days=1)
        return _("{first} to {last}", first=fmt.date(self.period.start), last=fmt.date(last))

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
            part = cpd[in_period(cpd.date, p)]
            active = part[part.calls > 0]
            return (float(active.calls.mean()) if len(active) else None), len(part)

        now, _n = per_day(self.period)
        before, n_prev = per_day(prev_p)
        if n_prev != round(prev_p.days):
            before = None
        change = (now / before - 1) if (now is not None and before) else None
        return {"per_day": now or 0.0, "previous_per_day": before, "change": change, "previous_label": prev_p.label}

    def counts(self) -> dict[str, int]:
        """Findings per severity."""
        c = self.findings_facts["severity"].value_counts()
        return {s: int(c.get(s, 0)) for s in SEVERITY_ORDER}

    # -- words (rendered now, in the current language)
    def title(self) -> str:
        return _("Data overview — {period}", period=fmt.period_label(self.period.label))

    def call_volume_sentence(self) -> str:
        """E.g. 'In October 2026 reps made 480 calls per working day …, 6% more than in September 2026 (452 a day).'"""
        v = self.call_volume()
        period = fmt.period_label(self.period.label)
        if not v["per_day"]:
            return _("No calls were made in {period}.", period=period)
        fields = {"period": period, "per_day": fmt.number(v["per_day"]),
                  "previous": fmt.period_label(v["previous_label"]),
                  "previous_per_day": fmt.number(v["previous_per_day"]),
                  "change": fmt.percent(abs(v["change"] or 0.0), 0)}
        if v["change"] is None:
            return _("In {period} reps made {per_day} calls per working day (days with any call).", **fields)
        if abs(v["change"]) < 0.005:
            return _("In {period} reps made {per_day} calls per working day (days with any call), about the same "
                     "as in {previous} ({previous_per_day} a day).", **fields)
        if v["change"] > 0:
            return _("In {period} reps made {per_day} calls per working day (days with any call), {change} more "
                     "than in {previous} ({previous_per_day} a day).", **fields)
        return _("In {period} reps made {per_day} calls per working day (days with any call), {change} fewer "
                 "than in {previous} ({previous_per_day} a day).", **fields)

    def no_data_message(self) -> str:
        """The sentence shown when the period is empty (empty string when it is not)."""
        if self.has_data:
            return ""
        first, last = self.data_range
        period = fmt.period_label(self.period.label)
        if first is None:
            return _("No leads were created and no calls were made in {period}. The store holds no leads or "
                     "calls at all.", period=period)
        return _("No leads were created and no calls were made in {period}. The store holds activity from "
                 "{first} to {last}. Pick a period inside that range.",
                 period=period, first=fmt.date(first), last=fmt.date(last))

    def no_funnel_message(self) -> str:
        """Said instead of the funnel when no lead was created in the period."""
        return _("No leads were created in {period}, so there is no funnel to show.",
                 period=fmt.period_label(self.period.label))

    def quality_sentence(self) -> str:
        """What the data-quality checks say, in one or two sentences."""
        c = self.counts()
        f = self.findings
        if c["problem"]:
            top = _join(f.loc[f.severity == "problem", "message"].head(3), sep="clause")
            return ngettext("{n} problem needs fixing before the numbers in other reports can be trusted: {list}.",
                            "{n} problems need fixing before the numbers in other reports can be trusted: {list}.",
                            c["problem"], n=fmt.number(c["problem"]), list=top)
        if c["warning"]:
            top = _join(f.loc[f.severity == "warning", "message"].head(3), sep="clause")
            return ngettext("No blocking problems; {n} warning worth a look: {list}.",
                            "No blocking problems; {n} warnings worth a look: {list}.",
                            c["warning"], n=fmt.number(c["warning"]), list=top)
        n = c["ok"] + c["note"]
        return ngettext("The {n} data-quality check passed; the numbers can be trusted.",
                        "All {n} data-quality checks passed; the numbers can be trusted.", n, n=fmt.number(n))

    def verdict(self) -> str:
        """One plain-language paragraph a manager can act on."""
        leads = ngettext("{n} lead created", "{n} leads created", self.leads_in_period,
                         n=fmt.number(self.leads_in_period))
        calls = ngettext("{n} call made", "{n} calls made", self.calls_in_period, n=fmt.number(self.calls_in_period))
        head = _("Data for {period}: {leads}, {calls}.", period=fmt.period_label(self.period.label),
                 leads=leads, calls=calls)
        parts = [head] + ([self.no_data_message()] if not self.has_data else []) + [self.quality_sentence()]
        text = parts[0]
        for part in parts[1:]:
            text = _("{sentence} {next_sentence}", sentence=text, next_sentence=part)  # zh: no space
        return text

    def notes(self) -> list[str]:
        return [self.no_data_message()] if not self.has_data else []

    # -- tables for people
    def tables_frame(self) -> pd.DataFrame:
        """Rows and date ranges per table, headers and cells in the current language."""
        rows = []
        for r in self.tables.itertuples():
            status = severity_name("problem" if r.table in CORE_TABLES else "note")
            if not r.present:
                rows.append([r.table, table_label(r.table), _("missing ({status})", status=status), "", "", ""])
                continue
            rng = "" if r.first is None or pd.isna(r.first) else _(
                "{first} → {last}", first=fmt.date(r.first), last=fmt.date(r.last))
            inp = "" if pd.isna(r.rows_in_period) else fmt.number(int(r.rows_in_period))
            rows.append([r.table, table_label(r.table), fmt.number(int(r.rows)), inp, rng, r.date_column or ""])
        header = [pgettext("overview column", "table"), pgettext("overview column", "contents"),
                  pgettext("overview column", "rows"),
                  _("rows in {period}", period=fmt.period_label(self.period.label)),
                  pgettext("overview column", "date range"), pgettext("overview column", "dated by")]
        return pd.DataFrame(rows, columns=header)

    def findings_frame(self) -> pd.DataFrame:
        """The findings: status, check and finding, problems first."""
        f = self.findings
        return pd.DataFrame({pgettext("overview column", "status"): [severity_name(s) for s in f.severity],
                             pgettext("overview column", "check"): [check_name(c) for c in f.check],
                             pgettext("overview column", "finding"): f.message.tolist()})

    def funnel_frame(self) -> pd.DataFrame:
        """The funnel of the period's leads: stage, leads, share of leads, step rate."""
        fn = self.funnel
        return pd.DataFrame({
            pgettext("overview column", "stage"): [stage_name(s) for s in fn.stage],
            pgettext("overview column", "leads"): [fmt.number(c) for c in fn["count"]],
            pgettext("overview column", "share of leads"): [fmt.percent(s) for s in fn.share_of_leads],
            pgettext("overview column", "from previous stage"): ["" if pd.isna(s) else fmt.percent(s)
                                                                 for s in fn.step_rate],
        })

    def display_frame(self) -> pd.DataFrame:
        return self.findings_frame()

    def tables_html(self) -> str:
        """Row counts and date ranges per table, as an HTML table."""
        df = self.tables_frame()
        right = {c: "right" for c in df.columns[2:4]}
        return html_table(df, align={c: right.get(c, "left") for c in df.columns})

    def findings_html(self) -> str:
        """Data-quality findings with coloured severity labels, problems first (every cell escaped)."""
        df = self.findings_frame()
        out = html_table(df, align={c: "left" for c in df.columns})
        for sev, color in _BADGE.items():  # the first cell of a row is ours (a severity word), never data
            cell = f"<tr><td style='text-align:left'>{safehtml.text(severity_name(sev))}</td>"
            out = out.replace(cell, f"<tr><td style='text-align:left'><span style='background:{color};color:white;"
                                    "border-radius:3px;padding:1px 6px;font-size:0.85em;font-weight:600'>"
                                    f"{safehtml.text(severity_name(sev))}</span></td>")
        return out

    def funnel_html(self) -> str:
        df = self.funnel_frame()
        return html_table(df, align={c: ("left" if i == 0 else "right") for i, c in enumerate(df.columns)})

    def summary(self) -> str:
        """A text summary for a terminal, in the current language."""
        lines = [self.title(), "=" * _width(self.title()),
                 _("Store activity up to {as_of}; times are {tz}.", as_of=fmt.datetime(self.as_of), tz=fmt.tz_label(self.as_of)),
                 "", self.tables_frame().to_string(index=False), "", _("Findings:")]
        for f in self.findings.itertuples():
            lines.append(f"  [{severity_name(f.severity)}] {f.message}")
        lines += ["", _("Funnel (leads created in the period):"), self.funnel_frame().to_string(index=False),
                  "", self.verdict()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        msg = self.no_data_message()
        heads = [safehtml.text(h) for h in (_("Tables"), _("Data quality"), _("Funnel"))]
        return (f"<div class='leadlab-overview'><p><b>{safehtml.text(self.verdict())}</b></p>"
                + (f"<p>{safehtml.text(msg)}</p>" if msg else "")
                + f"<h4>{heads[0]}</h4>" + self.tables_html()
                + f"<h4>{heads[1]}</h4>" + self.findings_html()
                + f"<h4>{heads[2]}</h4>" + self.funnel_html() + "</div>")

    def no_data_html(self) -> str:
        """The highlighted "no data for this period" box (escaped HTML; empty when there is data)."""
        if self.has_data:
            return ""
        return warning_box(_("No data for this period."), self.no_data_message())

    def to_pandas(self, part: str = "tables") -> pd.DataFrame:
        """One of the result tables: tables, findings, missing, funnel, calls_per_day."""
        parts = {"tables": self.tables, "findings": self.findings, "missing": self.missing,
                 "funnel": self.funnel, "calls_per_day": self.calls_per_day}
        if part not in parts:
            from leadlab.errors import ConfigError

            raise ConfigError(_("parameter {name}: unknown {value}; valid: {valid}",
                                name="part", value=repr(part), valid=", ".join(parts)))
        return parts[part].copy()

    # -- figures
    def plot(self, kind: str = "funnel", ax=None):
        """``kind="funnel"`` (leads created in the period through to won) or
        ``"calls_per_day"`` (calls and connected calls per day, the period shaded)."""
        from leadlab import plots

        period = fmt.period_label(self.period.label)
        if kind == "funnel":
            df = self.funnel.assign(stage=[stage_name(s) for s in self.funnel.stage])
            ax = plots.funnel_chart(df, ax=ax, title=_("Funnel of leads created in {period}", period=period))
            ax.set_xlabel(pgettext("axis", "leads"))
            return ax
        if kind == "calls_per_day":
            names = {"calls": pgettext("chart series", "calls"), "connected": pgettext("chart series", "connected")}
            df = self.calls_per_day.melt(id_vars="date", value_vars=["calls", "connected"], var_name="series",
                                         value_name="per_day")
            df["series"] = df["series"].map(names)
            return plots.time_series(df, x="date", y="per_day", hue="series", ax=ax, ylabel=_("calls per day"),
                                     title=_("Calls per day (the report period is shaded)"), rolling=7,
                                     rolling_label=_("7-day average"),
                                     shade=(self.period.start, self.period.end))
        from leadlab.errors import ConfigError

        raise ConfigError(_("parameter {name}: unknown plot {value}; valid: {valid}",
                            name="kind", value=repr(kind), valid="funnel, calls_per_day"))


# ---------------------------------------------------------------- engine
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
                              in_period=in_period(ts, period).sum()).execute().iloc[0]
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
        agg = t.aggregate(__rows=t.count(), **{c: t[c].isnull().sum() for c in cols}).execute().iloc[0]
        n = int(agg["__rows"])
        for c in cols:
            miss = int(agg[c]) if not pd.isna(agg[c]) else 0
            out.append({"table": name, "column": c, "missing": miss, "rows": n, "share": miss / n if n else 0.0})
    return pd.DataFrame(out, columns=["table", "column", "missing", "rows", "share"])


def _finding(severity: str, check: str, table: str, count: int, share: float | None = None, *,
             tokens: int | None = None, columns: tuple = (), column_shares: tuple = ()) -> dict:
    return {"severity": severity, "check": check, "table": table, "count": int(count), "share": share,
            "tokens": tokens, "columns": tuple(columns), "column_shares": tuple(column_shares)}


def _findings(con: ibis.BaseBackend, tables: pd.DataFrame, missing: pd.DataFrame) -> list[dict]:
    f: list[dict] = []
    present = set(tables.loc[tables.present, "table"])
    for name in TABLES:
        if name not in present:
            f.append(_finding("problem" if name in CORE_TABLES else "note", "table missing", name, 1))
    for r in tables[tables.present & (tables.rows == 0)].itertuples():
        f.append(_finding("problem" if r.table in CORE_TABLES else "note", "table empty", r.table, 0))
    # duplicate keys
    for name in ("leads", "calls", "reps"):
        if name in present:
            t = con.table(name)
            key = TABLES[name].key[0]
            dup = int(t.count().execute()) - int(t[key].nunique().execute())
            f.append(_finding("problem" if dup else "ok", "duplicate keys", name, dup, columns=(key,)))
    if "leads" in present:
        leads = con.table("leads")
        n_leads = int(leads.count().execute())
        if "calls" in present:
            calls = con.table("calls")
            called = calls.select("lead_id").distinct()
            never = int(leads.anti_join(called, "lead_id").count().execute())
            share = never / n_leads if n_leads else 0.0
            sev = "warning" if share > WARN_SHARE else ("note" if never else "ok")
            f.append(_finding(sev, "leads never called", "leads", never, share))
            orphans = int(calls.anti_join(leads.select("lead_id"), "lead_id").count().execute())
            f.append(_finding("problem" if orphans else "ok", "calls of unknown leads", "calls", orphans))
            j = calls.select("lead_id", "started_at").join(leads.select("lead_id", "created_at"), "lead_id")
            early = int(j.filter(j.started_at < j.created_at).count().execute())
            f.append(_finding("problem" if early else "ok", "calls before lead creation", "calls", early))
        # lifecycle order
        order = [c for c in ("created_at", "mql_at", "sql_at", "opportunity_at", "won_at") if c in leads.columns]
        conds = [leads[b] < leads[a] for i, a in enumerate(order) for b in order[i + 1:]]
        if "lost_at" in leads.columns:
            conds.append(leads.lost_at < leads.created_at)
        if conds:
            bad = ibis.or_(*conds).fill_null(False)
            n_bad = int(leads.filter(bad).count().execute())
            f.append(_finding("problem" if n_bad else "ok", "lifecycle order", "leads", n_bad))
        # lifecycle times inferred from a status (ingest with a lifecycle: section) vs exact
        if "lead_stages" in present and int(con.table("lead_stages").count().execute()):
            times = [c for c in ("mql_at", "sql_at", "opportunity_at", "won_at", "lost_at") if c in leads.columns]
            counts = leads.aggregate(**{c: leads[c].count() for c in times}).execute().iloc[0]
            total = int(sum(int(v or 0) for v in counts))
            st = con.table("lead_stages")
            inferred = int(st.filter(st.inferred.fill_null(False)).count().execute())
            f.append(_finding("note" if inferred else "ok", "inferred lifecycle times", "leads", inferred,
                              inferred / total if total else 0.0, tokens=total))
        # duplicates by phone token
        if "phone" in leads.columns:
            g = leads.filter(leads.phone.notnull()).group_by("phone").aggregate(n=lambda t: t.count())
            g = g.filter(g.n > 1)
            agg = g.aggregate(tokens=g.count(), leads=g.n.sum()).execute().iloc[0]
            tokens = int(agg["tokens"])
            dup_leads = 0 if pd.isna(agg["leads"]) else int(agg["leads"])
            share = dup_leads / n_leads if n_leads else 0.0
            sev = "warning" if share > WARN_SHARE else ("note" if tokens else "ok")
            f.append(_finding(sev, "duplicate phones", "leads", dup_leads, share, tokens=tokens))
    if "calls" in present:
        calls = con.table("calls")
        agg = calls.aggregate(
            connected=calls.disposition.isin(CONNECTED_DISPOSITIONS).sum(),
            zero=(calls.disposition.isin(CONNECTED_DISPOSITIONS) & (calls.talk_seconds.fill_null(0) <= 0)).sum(),
        ).execute().iloc[0]
        conn = int(agg["connected"] or 0)
        zero = int(agg["zero"] or 0)
        share = zero / conn if conn else 0.0
        sev = "warning" if share > 0.01 else ("note" if zero else "ok")
        f.append(_finding(sev, "zero talk time on connected calls", "calls", zero, share))
    # missing optional fields: one line per table for never-filled and for partly-filled columns
    for name, part in missing.groupby("table", sort=False):
        never = part[part.share >= 1.0]
        partly = part[(part.share > WARN_SHARE) & (part.share < 1.0)].sort_values("share", ascending=False)
        if len(never):
            f.append(_finding("note", "optional columns not provided", name, len(never), columns=tuple(never.column)))
        if len(partly):
            f.append(_finding("warning", "optional columns partly empty", name, len(partly), float(partly.share.max()),
                              columns=tuple(partly.column), column_shares=tuple(float(s) for s in partly.share)))
    if len(missing) and not ((missing.share > WARN_SHARE) & (missing.share < 1.0)).any():
        f.append(_finding("ok", "optional columns partly empty", "all", 0, 0.0))
    return f


def _funnel(con: ibis.BaseBackend, period: Period) -> pd.DataFrame:
    counts = dict.fromkeys(FUNNEL_STAGES, 0)
    if has_table(con, "leads"):
        leads = con.table("leads")
        leads = leads.filter(in_period(leads.created_at, period))
        metrics = {"leads": leads.count()}
        for stage, col in (("sql", "sql_at"), ("opportunity", "opportunity_at"), ("won", "won_at")):
            if col in leads.columns:
                metrics[stage] = leads[col].notnull().sum()
        if has_table(con, "calls"):
            calls = con.table("calls")
            per_lead = calls.group_by("lead_id").aggregate(
                connected=calls.disposition.isin(CONNECTED_DISPOSITIONS).max(),
                conversation=calls.disposition.isin(CONVERSATION_DISPOSITIONS).max(),
            )
            j = leads.select("lead_id").join(per_lead, "lead_id")
            c = j.aggregate(dialed=j.count(), connected=j.connected.sum(),
                            conversation=j.conversation.sum()).execute().iloc[0]
            for k in ("dialed", "connected", "conversation"):
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
            connected=w.disposition.isin(CONNECTED_DISPOSITIONS).sum(),
            conversations=w.disposition.isin(CONVERSATION_DISPOSITIONS).sum(),
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
    findings = pd.DataFrame(_findings(con, tables, missing), columns=FINDING_COLUMNS)
    findings = findings.sort_values("severity", key=lambda s: s.map(SEVERITY_ORDER), kind="stable").reset_index(drop=True)
    return Overview(period=p, as_of=as_of, tables=tables, findings_facts=findings, missing=missing,
                    funnel=_funnel(con, p), calls_per_day=_calls_per_day(con, p, context_days))


__all__ = ["Overview", "check_name", "finding_message", "overview", "resolve_period", "section", "severity_name",
           "stage_name", "store_as_of"]
