"""The names of the quantities formulas are built from, in words people read.

Two kinds, because two engines compute them:

* :data:`KPI_MEASURES` — the base measures of :mod:`leadlab.kpi.measures` (one grouped Ibis
  query per canonical table and period; calls by ``started_at``, lead lifecycle events in
  the period they happened, speed-to-lead for the leads created in the period);
* :data:`UNIT_MEASURES` — the per-unit columns of :mod:`leadlab.experiments.queries`
  (``lead_units`` / ``rep_units``: one row per lead or rep of an experiment).

The same word may name different things in the two (``connected`` is a count of calls in
the KPI engine and a 0/1 "lead reached" per lead in experiments), so the names say which.

>>> KPI_MEASURES["connected"], UNIT_MEASURES["connected"]
('connected calls', 'leads reached')
"""

from __future__ import annotations

from leadlab.i18n import N_

#: base measures of :mod:`leadlab.kpi.measures` → name (an English message id)
KPI_MEASURES: dict[str, str] = {
    "dials": N_("dials"),
    "connected": N_("connected calls"),
    "conversations": N_("conversations"),
    "talk_seconds": N_("talk seconds"),
    "conn_talk_seconds": N_("talk seconds of connected calls"),
    "conn_talk_sq": N_("sum of squared talk seconds of connected calls"),
    "handled": N_("handled calls"),
    "handle_seconds": N_("handle seconds (talk + hold + wrap-up)"),
    "handle_sq": N_("sum of squared handle seconds"),
    "leads_called": N_("distinct leads dialled"),
    "followups": N_("follow-up dials"),
    "invalid_number_leads": N_("leads dialled whose number was invalid (空号/停机)"),
    "complaints": N_("complaint dispositions"),
    "dnc": N_("do-not-call requests"),
    "worked_seconds": N_("worked seconds (ring + talk + hold + wrap-up)"),
    "rep_cost": N_("rep cost"),
    "new_leads": N_("new leads"),
    "mqls": N_("MQLs"),
    "sqls": N_("SQLs"),
    "opportunities": N_("opportunities"),
    "won": N_("won deals"),
    "revenue": N_("revenue of won deals"),
    "revenue_sq": N_("sum of squared deal revenue"),
    "sp_leads": N_("new leads"),
    "sp_called": N_("new leads called"),
    "reached_5m": N_("new leads first called within 5 minutes"),
    "reached_1h": N_("new leads first called within 1 hour"),
    "reached_24h": N_("new leads first called within 24 hours"),
    "response_median_min": N_("median minutes from creation to first call"),
    "response_p90_min": N_("90th percentile of minutes from creation to first call"),
    "spend": N_("marketing spend"),
    # customer quality (leadlab.kpi.customer: surveys by surveyed_at, invoices by due date / issue date)
    "csat_responses": N_("CSAT answers"),
    "csat_sum": N_("sum of CSAT scores"),
    "csat_sq": N_("sum of squared CSAT scores"),
    "csat_top2": N_("CSAT answers of 4 or 5"),
    "nps_responses": N_("NPS answers"),
    "nps_net": N_("(promoters − detractors)"),
    "amount_due": N_("amount due on invoices due in the period"),
    "amount_collected": N_("amount of it paid by the data date"),
    "receivables_x_days": N_("receivables at the end of the period × days in the period"),
    "invoiced": N_("amount invoiced in the period"),
    "cohort_customers": N_("customers won in the cohort window"),
    "repeat_customers": N_("of them, customers with a repeat order within 180 days"),
}

#: per-unit columns of :mod:`leadlab.experiments.queries` → name (an English message id)
UNIT_MEASURES: dict[str, str] = {
    "n_leads": N_("leads"),
    "dialed": N_("leads dialled"),
    "connected": N_("leads reached"),
    "conversation": N_("leads with a conversation"),
    "sql": N_("leads that became SQL"),
    "opportunity": N_("leads that became an opportunity"),
    "won": N_("leads won"),
    "revenue": N_("revenue"),
    "calls": N_("dials"),
    "connected_calls": N_("connected calls"),
    "talk_seconds": N_("talk seconds"),
    "complaints": N_("complaint dispositions"),
    "dnc": N_("do-not-call requests"),
}
