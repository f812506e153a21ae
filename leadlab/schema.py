"""The canonical tables of leadlab and their rules.

Every engine reads these column names; ingest checks files against them; the
synthetic generator writes them. ``docs/data-model.md`` is generated from this
module (``python -m leadlab.schema > docs/data-model.md``) and a test keeps the
two in step.

>>> from leadlab.schema import TABLES
>>> TABLES["calls"].key
('call_id',)
>>> TABLES["calls"].column("talk_seconds").min_value
0
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import ibis
import ibis.expr.datatypes as dt

from leadlab.i18n import N_, translate

#: Environment variable naming the business time zone; the default when it is unset.
TZ_ENV = "LEADLAB_TZ"
DEFAULT_TZ = "Asia/Shanghai"


def business_timezone() -> str:
    """The IANA name of the business time zone: ``$LEADLAB_TZ`` or ``Asia/Shanghai``.

    Timestamps are stored as wall-clock times of this zone (no offset); ingest converts
    cells with an offset (``+08:00``, ``Z``) into it and takes naive cells as already in it.
    ConfigError for a name the time-zone database does not know.

    >>> DEFAULT_TZ
    'Asia/Shanghai'
    """
    import os
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from leadlab.errors import ConfigError

    name = (os.environ.get(TZ_ENV) or DEFAULT_TZ).strip()
    try:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*", name):
            raise ValueError(name)
        ZoneInfo(name)
    except (ValueError, OSError, ZoneInfoNotFoundError):
        from leadlab.i18n import _

        raise ConfigError(_("${variable}={value} is not a known IANA time zone name "
                            "(e.g. Asia/Shanghai, Europe/Berlin, UTC)", variable=TZ_ENV, value=repr(name[:40]))) from None
    return name


#: Call dispositions, and which of them count as connected / as a conversation.
DISPOSITIONS: dict[str, tuple[bool, bool]] = {
    # disposition: (connected, conversation)
    "no_answer": (False, False),
    "busy": (False, False),
    "voicemail": (False, False),
    "wrong_number": (True, False),
    "not_interested": (True, True),
    "callback": (True, True),
    "qualified": (True, True),
    "do_not_call": (True, False),
    "complaint": (True, False),
    "invalid_number": (False, False),  # 空号 / 停机: the number does not exist or is out of service
    "unreachable": (False, False),  # 关机 / 无法接通: switched off or out of coverage
}
#: How Chinese dialers usually word each disposition (docs only; a mapping file's values: section maps them).
DISPOSITION_WORDS = {
    "no_answer": "未接通 / 无人接听", "busy": "忙线", "voicemail": "语音信箱", "wrong_number": "号码错误（非本人）",
    "not_interested": "已接通-无意向", "callback": "预约回访", "qualified": "已接通-有意向", "do_not_call": "拒绝再联系",
    "complaint": "投诉", "invalid_number": "空号 / 停机", "unreachable": "关机 / 无法接通",
}
CONNECTED_DISPOSITIONS = tuple(d for d, (c, _) in DISPOSITIONS.items() if c)
CONVERSATION_DISPOSITIONS = tuple(d for d, (_, v) in DISPOSITIONS.items() if v)

#: Lifecycle timestamps of a lead, in the order they must happen.
LIFECYCLE = ("created_at", "mql_at", "sql_at", "opportunity_at", "won_at")
#: Stages of a stage history (lead_stages.stage), in order; lost may follow any of them.
STAGES = ("mql", "sql", "opportunity", "won", "lost")

UNIT_TYPES = ("lead", "rep")


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    dtype: str  # an Ibis type name: string, int64, float64, boolean, timestamp, date
    meaning: str
    required: bool = False  # must be present in an ingested file
    nullable: bool = True
    min_value: float | None = None  # inclusive lower bound for numbers
    allowed: tuple[str, ...] | None = None  # allowed values for strings
    pii: bool = False  # pseudonymized at ingest (keyed hash)
    derived: bool = False  # computed at ingest when absent
    max_value: float | None = None  # inclusive upper bound for numbers

    @property
    def ibis_type(self) -> dt.DataType:
        return dt.dtype(self.dtype)

    def description(self) -> str:
        """What the column holds, in the current language (``meaning`` is the English id)."""
        return translate(self.meaning)


@dataclass(frozen=True)
class Table:
    """A canonical table: columns, key, and the rules that span rows."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: dict[str, str] = field(default_factory=dict)  # column -> "table.column"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def label(self) -> str:
        """A short name for people (``Leads`` / ``线索``), in the current language."""
        return table_label(self.name)

    def text(self) -> str:
        """The description (``description`` is the English id), in the current language."""
        return translate(self.description)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def ibis_schema(self) -> ibis.Schema:
        return ibis.schema({c.name: c.ibis_type for c in self.columns})


def _c(name: str, dtype: str, meaning: str, **kw) -> Column:
    return Column(name, dtype, meaning, **kw)


LEADS = Table(
    "leads",
    N_("One row per lead (a prospect a rep may call), with its lifecycle."),
    (
        _c("lead_id", "string", N_("Unique lead key from the CRM."), required=True, nullable=False),
        _c("created_at", "timestamp", N_("When the lead entered the CRM."), required=True, nullable=False),
        _c("source", "string", N_("Acquisition source (web_form, paid_search, referral, list_purchase, event, ...)."), required=True, nullable=False),
        _c("campaign", "string", N_("Marketing campaign that produced the lead.")),
        _c("region", "string", N_("Sales region of the lead.")),
        _c("rep_id", "string", N_("Owner rep (reps.rep_id).")),
        _c("company_size", "int64", N_("Employees at the lead's company."), min_value=0),
        _c("industry", "string", N_("Industry of the lead's company.")),
        _c("job_title", "string", N_("Seniority of the contact (e.g. c_level, manager, staff).")),
        _c("page_views", "int64", N_("Web pages viewed before creation."), min_value=0),
        _c("downloads", "int64", N_("Content downloads before creation."), min_value=0),
        _c("webinar_attended", "boolean", N_("Attended a webinar before creation.")),
        _c("email_opens", "int64", N_("Marketing e-mails opened before creation."), min_value=0),
        _c("prior_score", "float64", N_("Score from an earlier system, known at creation (a pre-period covariate)."), min_value=0),
        _c("mql_at", "timestamp", N_("Became a marketing-qualified lead.")),
        _c("sql_at", "timestamp", N_("Became a sales-qualified lead.")),
        _c("opportunity_at", "timestamp", N_("Became an opportunity.")),
        _c("won_at", "timestamp", N_("Deal won.")),
        _c("lost_at", "timestamp", N_("Closed as lost (not before created_at).")),
        _c("revenue", "float64", N_("Revenue of the won deal."), min_value=0),
        _c("phone", "string", N_("Contact phone, pseudonymized (keyed hash) at ingest."), pii=True),
        _c("email", "string", N_("Contact e-mail, pseudonymized (keyed hash) at ingest."), pii=True),
        _c("contact_name", "string", N_("Contact name, pseudonymized (keyed hash) at ingest."), pii=True),
    ),
    key=("lead_id",),
    references={"rep_id": "reps.rep_id"},
)

CALLS = Table(
    "calls",
    N_("One row per dial attempt."),
    (
        _c("call_id", "string", N_("Unique call key from the dialer."), required=True, nullable=False),
        _c("lead_id", "string", N_("The lead dialled (leads.lead_id)."), required=True, nullable=False),
        _c("rep_id", "string", N_("The rep who dialled (reps.rep_id)."), required=True, nullable=False),
        _c("started_at", "timestamp", N_("When the dial started; not before the lead's created_at."), required=True, nullable=False),
        _c("ring_seconds", "float64", N_("Seconds ringing."), min_value=0),
        _c("talk_seconds", "float64", N_("Seconds talking."), required=True, min_value=0),
        _c("hold_seconds", "float64", N_("Seconds on hold."), min_value=0),
        _c("wrap_seconds", "float64", N_("After-call work seconds."), min_value=0),
        _c("disposition", "string", N_("Outcome of the dial."), required=True, nullable=False, allowed=tuple(DISPOSITIONS)),
        _c("connected", "boolean", N_("A person answered; derived from disposition."), derived=True),
        _c("conversation", "boolean", N_("A real conversation took place; derived from disposition."), derived=True),
        _c("script", "string", N_("Call script used.")),
    ),
    key=("call_id",),
    references={"lead_id": "leads.lead_id", "rep_id": "reps.rep_id"},
)

REPS = Table(
    "reps",
    N_("One row per sales rep."),
    (
        _c("rep_id", "string", N_("Unique rep key."), required=True, nullable=False),
        _c("rep_name", "string", N_("Rep's name, pseudonymized (keyed hash) at ingest."), pii=True),
        _c("team", "string", N_("Team the rep belongs to."), required=True, nullable=False),
        _c("hired_at", "date", N_("Hire date.")),
        _c("hourly_cost", "float64", N_("Fully loaded cost per worked hour."), min_value=0),
    ),
    key=("rep_id",),
)

ASSIGNMENTS = Table(
    "assignments",
    N_("Which arm of an experiment each unit (lead or rep) was assigned to."),
    (
        _c("experiment_id", "string", N_("Experiment key."), required=True, nullable=False),
        _c("unit_type", "string", N_("Randomization unit: lead or rep."), required=True, nullable=False, allowed=UNIT_TYPES),
        _c("unit_id", "string", N_("leads.lead_id or reps.rep_id, by unit_type."), required=True, nullable=False),
        _c("arm", "string", N_("Arm name (e.g. A, B)."), required=True, nullable=False),
        _c("assigned_at", "timestamp", N_("When the unit entered the experiment."), required=True, nullable=False),
    ),
    key=("experiment_id", "unit_id"),
)

EXPERIMENTS = Table(
    "experiments",
    N_("Optional description of each experiment."),
    (
        _c("experiment_id", "string", N_("Experiment key."), required=True, nullable=False),
        _c("name", "string", N_("Human-readable name.")),
        _c("unit_type", "string", N_("Randomization unit: lead or rep."), required=True, nullable=False, allowed=UNIT_TYPES),
        _c("control_arm", "string", N_("Name of the control arm."), required=True, nullable=False),
        _c("primary_metric", "string", N_("Decision metric (e.g. sql_rate).")),
        _c("started_at", "timestamp", N_("Start of the experiment.")),
        _c("ended_at", "timestamp", N_("End of the experiment (empty while running).")),
        _c("description", "string", N_("What is tested.")),
    ),
    key=("experiment_id",),
)

SPEND = Table(
    "spend",
    N_("Marketing spend per day, source and campaign."),
    (
        _c("date", "date", N_("Day of the spend."), required=True, nullable=False),
        _c("source", "string", N_("Acquisition source, as in leads.source."), required=True, nullable=False),
        _c("campaign", "string", N_("Campaign, as in leads.campaign."), required=True, nullable=False),
        _c("amount", "float64", N_("Amount spent."), required=True, nullable=False, min_value=0),
    ),
    key=("date", "source", "campaign"),
)

LEAD_SCORES = Table(
    "lead_scores",
    N_("Scores written back by `leadlab score apply` (one row per lead, latest model)."),
    (
        _c("lead_id", "string", N_("The lead scored (leads.lead_id)."), required=True, nullable=False),
        _c("score", "float64", N_("Score 0-100 (calibrated probability x 100)."), required=True, nullable=False, min_value=0),
        _c("grade", "string", N_("Grade A-D from the configured score bands."), required=True, nullable=False),
        _c("priority", "int64", N_("Priority quartile, 1 = call first."), min_value=1),
        _c("model_version", "string", N_("Version id of the model that scored the lead."), required=True, nullable=False),
        _c("scored_at", "timestamp", N_("When the score was written."), required=True, nullable=False),
    ),
    key=("lead_id",),
)

SURVEYS = Table(
    "surveys",
    N_("One row per customer survey answer (CSAT 1-5 and/or NPS 0-10) about a lead or customer."),
    (
        _c("survey_id", "string", N_("Unique survey answer key."), required=True, nullable=False),
        _c("lead_id", "string", N_("The lead or customer surveyed (leads.lead_id)."), required=True, nullable=False),
        _c("surveyed_at", "timestamp", N_("When the survey was answered; not before the lead's created_at."),
           required=True, nullable=False),
        _c("csat", "int64", N_("Customer satisfaction score, 1 (very dissatisfied) to 5 (very satisfied)."),
           min_value=1, max_value=5),
        _c("nps", "int64", N_("Likelihood to recommend, 0 to 10 (9-10 promoter, 0-6 detractor)."),
           min_value=0, max_value=10),
        _c("channel", "string", N_("How the survey was sent (sms, wechat, email, phone, ...).")),
        _c("rep_id", "string", N_("Rep the answer is credited to (reps.rep_id); empty = the lead's owner.")),
    ),
    key=("survey_id",),
    references={"lead_id": "leads.lead_id", "rep_id": "reps.rep_id"},
)

#: kinds of invoice in the payments table: the won deal itself, or a later repeat order of the customer
INVOICE_KINDS = ("deal", "repeat")

PAYMENTS = Table(
    "payments",
    N_("One row per invoice (instalment) of a won deal: amount due, when, and what was paid."),
    (
        _c("payment_id", "string", N_("Unique invoice key."), required=True, nullable=False),
        _c("lead_id", "string", N_("The won deal (leads.lead_id); the deal must be won before it is invoiced."),
           required=True, nullable=False),
        _c("kind", "string", N_("deal (an instalment of the won deal) or repeat (a repeat order of the customer); "
                                "empty = deal."), allowed=INVOICE_KINDS),
        _c("issued_at", "date", N_("Invoice date (the sale date for DSO); not before the deal was won."),
           required=True, nullable=False),
        _c("due_date", "date", N_("Date the amount is due; not before issued_at."), required=True, nullable=False),
        _c("amount_due", "float64", N_("Amount due."), required=True, nullable=False, min_value=0),
        _c("paid_date", "date", N_("Date the amount was paid (empty while unpaid); not before issued_at.")),
        _c("amount_paid", "float64", N_("Amount paid (empty or 0 while unpaid)."), min_value=0),
    ),
    key=("payment_id",),
    references={"lead_id": "leads.lead_id"},
)

QA_REVIEWS = Table(
    "qa_reviews",
    N_("One row per score a reviewer gave one call on one item of the QA scoring form (qa.yml); a call may be "
       "reviewed twice (two review ids) to check reviewer agreement."),
    (
        _c("review_id", "string", N_("Review key (one review = one reviewer scoring one call)."), required=True, nullable=False),
        _c("call_id", "string", N_("The call reviewed (calls.call_id)."), required=True, nullable=False),
        _c("reviewer", "string", N_("Reviewer id (e.g. QA01)."), required=True, nullable=False),
        _c("item", "string", N_("Form item id; must be an item of the QA form (qa.yml)."), required=True, nullable=False),
        _c("score", "float64", N_("Score on the item's scale (min-max in qa.yml)."), required=True, nullable=False),
        _c("reviewed_at", "timestamp", N_("When the review was made.")),
        _c("inclusion_probability", "float64", N_("Probability the call was drawn for review (from `leadlab qa "
           "sample`); empty = reviewed calls are taken as a simple random sample."), min_value=0, max_value=1),
    ),
    key=("review_id", "item"),
    references={"call_id": "calls.call_id"},
)

LEAD_STAGES = Table(
    "lead_stages",
    N_("When each lead entered each lifecycle stage: exact times from a stage-history export, or times "
       "inferred (at or before) from a lead status."),
    (
        _c("lead_id", "string", N_("The lead (leads.lead_id)."), required=True, nullable=False),
        _c("stage", "string", N_("Stage entered."), required=True, nullable=False, allowed=STAGES),
        _c("entered_at", "timestamp", N_("When the lead entered the stage."), required=True, nullable=False),
        _c("from_stage", "string", N_("Stage before (as exported; informational).")),
        _c("rep_id", "string", N_("Rep who recorded the change (reps.rep_id).")),
        _c("inferred", "boolean", N_("True when the time is only known to be at or before entered_at (derived from "
                                     "a lead status); false for an exact time from a stage history."), derived=True),
    ),
    key=("lead_id", "stage"),
    references={"lead_id": "leads.lead_id", "rep_id": "reps.rep_id"},
)

LEAD_OWNER_HISTORY = Table(
    "lead_owner_history",
    N_("Optional: one row per change of a lead's owner (a CRM's assignment log), e.g. a return to the public pool "
       "(to_rep_id empty) or a reassignment; the pool section counts reassignments from it when present."),
    (
        _c("lead_id", "string", N_("The lead (leads.lead_id)."), required=True, nullable=False),
        _c("changed_at", "timestamp", N_("When the owner changed."), required=True, nullable=False),
        _c("from_rep_id", "string", N_("Owner before the change (reps.rep_id); empty = from the pool.")),
        _c("to_rep_id", "string", N_("Owner after the change (reps.rep_id); empty = returned to the pool.")),
        _c("reason", "string", N_("Why (e.g. stale, attempts, owner_left, manual).")),
    ),
    key=("lead_id", "changed_at"),
    references={"lead_id": "leads.lead_id", "from_rep_id": "reps.rep_id", "to_rep_id": "reps.rep_id"},
)

TABLES: dict[str, Table] = {
    t.name: t for t in (LEADS, CALLS, REPS, ASSIGNMENTS, EXPERIMENTS, SPEND, LEAD_SCORES, SURVEYS, PAYMENTS, QA_REVIEWS, LEAD_OWNER_HISTORY, LEAD_STAGES)
}

#: Short names of the tables for people (the table ids stay the ones typed on the command line).
TABLE_LABELS: dict[str, str] = {
    "leads": N_("Leads"),
    "calls": N_("Calls (dial attempts)"),
    "reps": N_("Sales reps"),
    "assignments": N_("Experiment assignments"),
    "experiments": N_("Experiments"),
    "spend": N_("Marketing spend"),
    "lead_scores": N_("Lead scores"),
    "lead_stages": N_("Lead stage history"),
    "surveys": N_("Customer surveys"),
    "payments": N_("Payments (invoices of won deals)"),
    "qa_reviews": N_("Call-quality reviews"),
    "lead_owner_history": N_("Lead owner changes"),
}


def table_label(name: str) -> str:
    """The short name of table ``name`` in the current language (the id itself when unknown).

    >>> from leadlab.i18n import use_lang
    >>> with use_lang("zh"):
    ...     table_label("calls"), TABLES["calls"].column("talk_seconds").description()
    ('通话（拨打记录）', '通话时长（秒）。')
    """
    return translate(TABLE_LABELS[name]) if name in TABLE_LABELS else name


#: Order in which tables must be loaded so references resolve.
LOAD_ORDER = ("reps", "leads", "lead_stages", "calls", "experiments", "assignments", "spend", "surveys", "payments", "qa_reviews", "lead_owner_history")


def get_table(name: str) -> Table:
    """The canonical table ``name``; a ConfigError listing valid names otherwise."""
    from leadlab.errors import ConfigError

    try:
        return TABLES[name]
    except KeyError:
        from leadlab.i18n import _

        raise ConfigError(_("unknown table {name}; valid tables: {valid}", name=repr(name),
                            valid=", ".join(TABLES))) from None


def to_markdown() -> str:
    """The data model as Markdown (the content of docs/data-model.md)."""
    lines = [
        "# leadlab data model",
        "",
        "Generated from `leadlab/schema.py` (`python -m leadlab.schema > docs/data-model.md`).",
        "Types are Ibis types. *Required* columns must be present in an ingested file;",
        "*PII* columns are replaced by a keyed hash at ingest; *derived* columns are computed when absent.",
        "",
        "Cross-table rules checked at ingest: every call's lead and rep exist; no call before its lead",
        "was created; lifecycle timestamps in order (created_at ≤ mql_at ≤ sql_at ≤ opportunity_at ≤ won_at,",
        "and lost_at ≥ created_at); unique keys; non-negative durations and amounts; each unit in one arm",
        "per experiment. Surveys: CSAT 1–5, NPS 0–10, at least one of them per row. Payments: the deal is",
        "won, no invoice, due or paid date before the day it was won, due and paid dates not before issued_at,",
        "amount paid only with a paid date.",
        "",
        f"Timestamps are wall-clock times of the business time zone (`${TZ_ENV}`, default `{DEFAULT_TZ}`),",
        "stored without an offset: ingest converts a cell with an offset (`+08:00`, `Z`) into that zone",
        "and takes a cell without one as already in it.",
        "",
        "Dispositions: " + ", ".join(
            f"`{d}`" + (" (connected" + (", conversation)" if v else ")") if c else "")
            for d, (c, v) in DISPOSITIONS.items()
        ) + ".",
        "",
        "| disposition | connected | conversation | typical dialer wording |",
        "|---|---|---|---|",
        *(f"| `{d}` | {'yes' if c else 'no'} | {'yes' if v else 'no'} | {DISPOSITION_WORDS.get(d, '')} |"
          for d, (c, v) in DISPOSITIONS.items()),
        "",
        "Connect rate counts connected dials; a non-existent number (`invalid_number`, 空号/停机) and a phone",
        "that is off or out of coverage (`unreachable`, 关机/无法接通) are not connected; mapping them to",
        "`wrong_number` (a person answered) would inflate the connect rate.",
        "",
    ]
    for t in TABLES.values():
        lines += [f"## `{t.name}`", "", t.description, "", f"Key: {', '.join(t.key)}."]
        if t.references:
            lines += ["References: " + ", ".join(f"{c} → {r}" for c, r in t.references.items()) + "."]
        lines += ["", "| column | type | required | meaning |", "|---|---|---|---|"]
        for c in t.columns:
            flags = "required" if c.required else "optional"
            if c.pii:
                flags += ", PII"
            if c.derived:
                flags += ", derived"
            rule = ""
            if c.min_value is not None:
                rule += f" ≥ {c.min_value:g}."
            if c.max_value is not None:
                rule += f" ≤ {c.max_value:g}."
            if c.allowed:
                rule += " One of: " + ", ".join(c.allowed) + "."
            lines.append(f"| `{c.name}` | {c.dtype} | {flags} | {c.meaning}{rule} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(to_markdown())
