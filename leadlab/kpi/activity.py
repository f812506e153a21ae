"""Activity KPIs: dials, talk time, connect and conversation rates, calls and
follow-ups per lead, average handle time, complaints and do-not-call requests.

>>> import leadlab
>>> from leadlab.kpi.activity import activity
>>> activity(leadlab.connect(read_only=True), "2026-10", by="team").to_pandas()[["team", "dials"]]
    team  dials
0   East  242.0
1  North  152.0
2  South  172.0
3   West  145.0
"""

from __future__ import annotations

from leadlab.kpi.family import FamilyResult, family_result


def activity(data, period, team: str | None = None, by=None) -> FamilyResult:
    """Activity KPIs of ``period`` (optionally one ``team``, broken down ``by`` a
    dimension: team, rep_id, source, campaign, region)."""
    return family_result(data, period, team, by, "activity", "Activity", "call_connect_rate")
