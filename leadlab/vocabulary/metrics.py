"""Every KPI and experiment metric, written once: id, names, definition, formula, unit, direction.

Ids are codes (they appear in targets files, ``--metric`` options and result frames);
names and definitions are English message ids translated in ``vocabulary.po`` with the
terms of the team glossary (拨打量, 接通率, 对话率, 触达率 …).

Distinct concepts have distinct ids: ``call_connect_rate`` (connected calls ÷ dials,
接通率) is not ``lead_reach_rate`` (leads with a connected call ÷ leads, 触达率); the
experiments' per-lead rates carry a ``lead_`` prefix (``lead_conversation_rate`` …)
because the KPI engine's ``conversation_rate``, ``opportunity_rate`` and ``win_rate``
are stage conversions of events.
"""

from __future__ import annotations

from leadlab.i18n import N_
from leadlab.vocabulary.entry import Entry, KpiFormula as K, UnitFormula as U

#: family id → name (an English message id), in report order
FAMILIES: dict[str, str] = {
    "activity": N_("Activity"),
    "quality": N_("Quality and efficiency"),
    "outcomes": N_("Outcomes"),
    "speed": N_("Speed-to-lead"),
    "cost": N_("Cost"),
    "customer": N_("Customer quality"),
}

ENTRIES: tuple[Entry, ...] = (
    # ------------------------------------------------------------------ activity
    Entry("dials", N_("Dials"), N_("Calls started in the period."), "activity", "count", test="poisson",
          kpi=K("dials", additive=True)),
    Entry("talk_hours", N_("Talk time (hours)"), N_("Total talk time of all calls in the period, in hours."),
          "activity", "hours", kpi=K("talk_seconds", scale=1 / 3600, additive=True)),
    Entry("avg_talk_seconds", N_("Average talk time (s)"), N_("Average talk time of a connected call."),
          "activity", "seconds", test="mean", kpi=K("conn_talk_seconds", "connected", sumsq="conn_talk_sq")),
    Entry("call_connect_rate", N_("Connect rate"),
          N_("Share of dials that were answered: calls, not leads (compare the reach rate)."),
          "activity", "rate", test="proportion", kpi=K("connected", "dials")),
    Entry("conversation_rate", N_("Conversation rate"),
          N_("Share of connected calls that became a conversation with the target person."),
          "activity", "rate", test="proportion", kpi=K("conversations", "connected")),
    Entry("conversations_per_dial", N_("Conversations per dial"),
          N_("Share of dials that became a conversation with the target person."),
          "activity", "rate", test="proportion", kpi=K("conversations", "dials")),
    Entry("calls_per_lead", N_("Calls per lead"), N_("Average number of dials per lead dialled in the period."),
          "activity", "ratio", kpi=K("dials", "leads_called")),
    Entry("followups_per_lead", N_("Follow-up attempts per lead"),
          N_("Average number of dials after the first per lead dialled in the period."),
          "activity", "ratio", kpi=K("followups", "leads_called")),
    Entry("aht_seconds", N_("Average handle time (s)"),
          N_("Average talk, hold and wrap-up time of a handled (connected) call."),
          "activity", "seconds", higher_is_better=False, test="mean",
          kpi=K("handle_seconds", "handled", sumsq="handle_sq")),
    Entry("complaints_per_1000", N_("Complaints per 1,000 calls"),
          N_("Calls ending in a complaint, per 1,000 dials."), "activity", "per1000", higher_is_better=False,
          test="proportion", kpi=K("complaints", "dials", scale=1000),
          per_unit=U("complaints", "calls", scale=1000.0, margin=0.25, naive_sq="complaints")),
    Entry("dnc_per_1000", N_("Do-not-call requests per 1,000 calls"),
          N_("Calls ending in a do-not-call request, per 1,000 dials."), "activity", "per1000",
          higher_is_better=False, test="proportion", kpi=K("dnc", "dials", scale=1000),
          per_unit=U("dnc", "calls", scale=1000.0, margin=0.25, naive_sq="dnc")),
    Entry("invalid_number_share", N_("Invalid numbers in the lead pool"),
          N_("Share of the leads dialled in the period with at least one dial ending as an invalid number "
             "(空号/停机): a data-quality measure of the lead sources."), "quality", "rate",
          higher_is_better=False, test="proportion", kpi=K("invalid_number_leads", "leads_called")),
    Entry("lead_reach_rate", N_("Reach rate"),
          N_("Share of leads with at least one connected call: leads, not calls (compare the connect rate)."),
          "activity", "rate", per_unit=U("connected", "n_leads", binary=True, naive_sq="connected")),
    Entry("lead_conversation_rate", N_("Lead conversation rate"),
          N_("Share of leads with at least one conversation with the target person."),
          "activity", "rate", per_unit=U("conversation", "n_leads", binary=True, naive_sq="conversation")),
    Entry("talk_seconds_per_call", N_("Talk time per call (s)"),
          N_("Talk seconds per dial, over all dials (unanswered ones count as zero)."),
          "activity", "seconds", per_unit=U("talk_seconds", "calls", naive_sq="talk_sq")),
    # ------------------------------------------------------------------ quality
    Entry("new_leads", N_("New leads"), N_("Leads created in the period."), "quality", "count", test="poisson",
          kpi=K("new_leads", additive=True)),
    Entry("mql", N_("MQLs"), N_("Leads that became marketing-qualified in the period."), "quality", "count",
          test="poisson", kpi=K("mqls", additive=True)),
    Entry("sql", N_("SQLs"), N_("Leads that became sales-qualified in the period."), "quality", "count",
          test="poisson", kpi=K("sqls", additive=True)),
    Entry("sql_per_conversation", N_("SQLs per conversation"),
          N_("SQLs in the period per conversation in the period."), "quality", "rate",
          kpi=K("sqls", "conversations")),
    Entry("opportunity_rate", N_("SQL → opportunity"),
          N_("Opportunities per SQL, both counted in the period they happened."), "quality", "rate",
          kpi=K("opportunities", "sqls")),
    Entry("win_rate", N_("Opportunity → won"),
          N_("Won deals per opportunity, both counted in the period they happened."), "quality", "rate",
          kpi=K("won", "opportunities")),
    Entry("sql_rate", N_("SQL conversion rate"),
          N_("Share of leads (of a rep, an experiment arm) that became an SQL."), "quality", "rate",
          per_unit=U("sql", "n_leads", binary=True, naive_sq="sql")),
    Entry("lead_opportunity_rate", N_("Lead → opportunity rate"),
          N_("Share of leads that became an opportunity."), "quality", "rate",
          per_unit=U("opportunity", "n_leads", binary=True, naive_sq="opportunity")),
    Entry("sqls_per_call", N_("SQLs per call"), N_("Leads that became SQL per dial."), "quality", "ratio",
          per_unit=U("sql", "calls")),
    # ------------------------------------------------------------------ outcomes
    Entry("opportunities", N_("Opportunities"), N_("Leads that became an opportunity in the period."),
          "outcomes", "count", test="poisson", kpi=K("opportunities", additive=True)),
    Entry("won", N_("Won deals"), N_("Deals won in the period."), "outcomes", "count", test="poisson",
          kpi=K("won", additive=True)),
    Entry("sales_conversion", N_("Sales conversion rate"),
          N_("Won deals per SQL, both counted in the period they happened."), "outcomes", "rate",
          kpi=K("won", "sqls")),
    Entry("revenue", N_("Revenue"), N_("Revenue of the deals won in the period."), "outcomes", "money",
          kpi=K("revenue", additive=True)),
    Entry("avg_deal_size", N_("Average deal size"), N_("Average revenue of a deal won in the period."),
          "outcomes", "money", test="mean", kpi=K("revenue", "won", sumsq="revenue_sq")),
    Entry("lead_conversion_rate", N_("Lead conversion rate"), N_("Share of leads that became a won deal."),
          "outcomes", "rate", per_unit=U("won", "n_leads", binary=True, naive_sq="won")),
    Entry("revenue_per_lead", N_("Revenue per lead"), N_("Revenue of won deals per lead."), "outcomes", "money",
          per_unit=U("revenue", "n_leads", naive_sq="revenue_sq")),
    # ------------------------------------------------------------------ speed
    Entry("called_within_5m", N_("Called within 5 minutes"),
          N_("Share of the period's new leads first called within 5 minutes of creation."), "speed", "rate",
          test="proportion", kpi=K("reached_5m", "sp_leads")),
    Entry("called_within_1h", N_("Called within 1 hour"),
          N_("Share of the period's new leads first called within 1 hour of creation."), "speed", "rate",
          test="proportion", kpi=K("reached_1h", "sp_leads")),
    Entry("called_within_24h", N_("Called within 24 hours"),
          N_("Share of the period's new leads first called within 24 hours of creation."), "speed", "rate",
          test="proportion", kpi=K("reached_24h", "sp_leads")),
    Entry("response_median_min", N_("Median response time (min)"),
          N_("Median minutes from a new lead's creation to its first call (called leads only)."), "speed",
          "minutes", higher_is_better=False, kpi=K("response_median_min")),
    Entry("response_p90_min", N_("90th percentile response time (min)"),
          N_("Minutes from creation to first call that 90% of called new leads stay within."), "speed",
          "minutes", higher_is_better=False, kpi=K("response_p90_min")),
    # ------------------------------------------------------------------ cost
    Entry("marketing_spend", N_("Marketing spend"), N_("Marketing spend of the period."), "cost", "money",
          higher_is_better=False, kpi=K("spend", needs_spend=True, additive=True)),
    Entry("rep_cost", N_("Rep cost"), N_("Cost of the reps' worked hours (ring, talk, hold, wrap-up)."),
          "cost", "money", higher_is_better=False, kpi=K("rep_cost", additive=True)),
    Entry("cost_per_lead", N_("Cost per lead"), N_("Marketing spend per new lead."), "cost", "money",
          higher_is_better=False, kpi=K("spend", "new_leads", needs_spend=True)),
    Entry("cost_per_sql", N_("Cost per SQL"), N_("Marketing spend and rep cost per SQL."), "cost", "money",
          higher_is_better=False, kpi=K("spend", "sqls", num_extra="rep_cost", needs_spend=True)),
    Entry("rep_cost_per_sql", N_("Rep cost per SQL"), N_("Rep cost per SQL."), "cost", "money",
          higher_is_better=False, kpi=K("rep_cost", "sqls")),
    Entry("cac", N_("Customer acquisition cost"), N_("Marketing spend and rep cost per won deal."), "cost",
          "money", higher_is_better=False, kpi=K("spend", "won", num_extra="rep_cost", needs_spend=True)),
    # ------------------------------------------------------------------ customer (leadlab.kpi.customer)
    Entry("csat_mean", N_("CSAT (average score)"),
          N_("Average customer satisfaction score (1-5) of the survey answers of the period."), "customer", "score",
          test="mean", kpi=K("csat_sum", "csat_responses", sumsq="csat_sq")),
    Entry("csat_top2_rate", N_("CSAT satisfied share (4-5)"),
          N_("Share of the period's CSAT answers that are 4 or 5 (top-two box)."), "customer", "rate",
          test="proportion", kpi=K("csat_top2", "csat_responses")),
    Entry("nps", N_("Net Promoter Score (NPS)"),
          N_("Promoters (9-10) minus detractors (0-6), as a share of the period's NPS answers, times 100 "
             "(from -100 to 100)."), "customer", "score", kpi=K("nps_net", "nps_responses", scale=100)),
    Entry("repeat_purchase_rate", N_("Repeat purchase rate"),
          N_("Share of the customers won in the period moved back 180 days that placed a repeat order within 180 "
             "days of their win (so each customer counted had 180 days to buy again)."), "customer", "rate", test="proportion",
          kpi=K("repeat_customers", "cohort_customers")),
    Entry("collection_rate", N_("Collection rate"),
          N_("Amount paid by the data date on the invoices due in the period, over the amount due on them."),
          "customer", "rate", kpi=K("amount_collected", "amount_due")),
    Entry("dso_days", N_("Days sales outstanding (DSO)"),
          N_("Unpaid invoice amounts at the end of the period, over the amount invoiced in the period, times "
             "the days in the period."), "customer", "days", higher_is_better=False,
          kpi=K("receivables_x_days", "invoiced")),
)

#: old ids that still work (same meaning under a new id); each lookup warns
ALIASES: dict[str, str] = {
    "connect_rate": "call_connect_rate",
    "reached_5m": "called_within_5m",
    "reached_1h": "called_within_1h",
    "reached_24h": "called_within_24h",
    "complaints_per_1000_calls": "complaints_per_1000",
    "dnc_per_1000_calls": "dnc_per_1000",
}

#: old experiment metric ids whose meaning moved to a new id (the old id now means something
#: else, or nothing): an experiment asking for them gets an error naming the new id
EXPERIMENT_RENAMES: dict[str, str] = {
    "connect_rate": "lead_reach_rate",
    "conversation_rate": "lead_conversation_rate",
    "opportunity_rate": "lead_opportunity_rate",
    "win_rate": "lead_conversion_rate",
}

#: the rates of the rep scorecard, in order
SCORECARD_RATES = ("call_connect_rate", "conversation_rate", "sql_rate")
