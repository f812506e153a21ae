"""The one funnel: stage ids in order, their names, and the measure behind each stage.

Two grains count the same stages:

* ``lead`` — a cohort of leads (the data overview: leads created in the period;
  experiments: the leads of an arm): how many of them reached each stage. Column names
  are those of the experiments' per-unit table (:mod:`leadlab.experiments.queries`).
* ``event`` — the KPI engine: events of each stage in the period (dials, connected calls
  and conversations are calls; SQLs, opportunities and won deals are leads reaching the
  stage in the period). Column names are base measures of :mod:`leadlab.kpi.measures`.
  The event funnel has no ``leads`` stage.

Each step's conversion in the event grain is a KPI of the vocabulary (``step_metric``):
dialled → connected is the connect rate (接通率), connected → conversation the conversation
rate (对话率) …

>>> FUNNEL
('leads', 'dialed', 'connected', 'conversation', 'sql', 'opportunity', 'won')
>>> [s.id for s in stages("event")][:2], STAGES["connected"].step_metric
(['dialed', 'connected'], 'call_connect_rate')
"""

from __future__ import annotations

from dataclasses import dataclass

from leadlab.errors import ConfigError
from leadlab.i18n import N_, translate


@dataclass(frozen=True)
class Stage:
    """One funnel stage: ``lead_column`` (lead grain), ``event_measure`` (event grain; None =
    not a stage of that grain), ``step_metric`` (the event-grain KPI of the step into it)."""

    id: str
    name_id: str
    lead_column: str
    event_measure: str | None
    step_metric: str | None = None

    def name(self) -> str:
        """The stage name in the current language (拨打, 接通, 对话 …)."""
        return translate(self.name_id)


_STAGES = (
    Stage("leads", N_("Leads"), "n_leads", None),
    Stage("dialed", N_("Dialled"), "dialed", "dials"),
    Stage("connected", N_("Connected"), "connected", "connected", "call_connect_rate"),
    Stage("conversation", N_("Conversation"), "conversation", "conversations", "conversation_rate"),
    Stage("sql", N_("SQL"), "sql", "sqls", "sql_per_conversation"),
    Stage("opportunity", N_("Opportunity"), "opportunity", "opportunities", "opportunity_rate"),
    Stage("won", N_("Won"), "won", "won", "win_rate"),
)

#: what the counts of each grain are (a note shown under a funnel)
GRAIN_NOTES: dict[str, str] = {
    "event": N_("Dialled, connected and conversation count calls; SQL, opportunity and won count leads reaching "
                "the stage in the period; step conversion = this stage ÷ the previous stage."),
    "lead": N_("Each stage counts the leads of the cohort that reached it; step conversion = this stage ÷ the "
               "previous stage."),
}
#: the columns of a funnel table → header (an English message id)
COLUMNS: dict[str, str] = {
    "stage": N_("Stage"),
    "count": N_("Count"),
    "step_conversion": N_("Step conversion"),
    "of_first": N_("Share of the first stage"),
    "previous_count": N_("Previous count"),
    "previous_step_conversion": N_("Previous step conversion"),
    "step_change_pp": N_("Change of step conversion"),
    "share_of_leads": N_("Share of leads"),
    "step_rate": N_("From the previous stage"),
}

#: stage ids, in order
FUNNEL: tuple[str, ...] = tuple(s.id for s in _STAGES)
#: stage id → :class:`Stage`
STAGES: dict[str, Stage] = {s.id: s for s in _STAGES}
GRAINS = ("lead", "event")


def stages(grain: str = "lead") -> list[Stage]:
    """The stages counted in ``grain`` (``lead`` or ``event``), in funnel order."""
    if grain not in GRAINS:
        raise ConfigError(f"funnel grain {grain!r} is unknown; valid: {', '.join(GRAINS)}")
    return [s for s in _STAGES if grain == "lead" or s.event_measure is not None]


def stage_name(stage_id: str) -> str:
    """The name of stage ``stage_id`` in the current language; ConfigError listing the stages."""
    if stage_id not in STAGES:
        raise ConfigError(f"unknown funnel stage {stage_id!r}; valid stages: {', '.join(FUNNEL)}")
    return STAGES[stage_id].name()
