"""Every KPI on the hand-made fixture (tests/test_kpi_fixtures.py) against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_kpi_fixtures import tiny_frames, tiny_store

from leadlab.errors import ConfigError
from leadlab.kpi import KPIS, KpiData, activity, costs, funnel, kpi_table, outcomes, quality
from leadlab.kpi.definitions import catalogue, compute, format_value
from leadlab.kpi.measures import measures
from leadlab.kpi.speed import speed_to_lead

# October 2026 by hand (calls C1-C5, C7, C8; C6 is September):
#   dials 7; connected C1 C2 C4 C5(complaint) C8(dnc) = 5; conversations C1 C2 C4 = 3
#   talk 120+300+0+200+30+0+15 = 665 s (all on connected calls)
#   handle (talk+hold+wrap) of connected: 160+360+260+40+15 = 835 s
#   distinct leads dialled L1 L2 L3 L4 = 4 -> follow-ups 3
#   worked (ring+talk+hold+wrap): R1 170+365+20+268 = 823 s x 36/h = 8.23; R2 45+30+20 = 95 s x 72/h = 1.90
#   leads: created L1 L2 L3 = 3; MQL L1 L2 = 2; SQL L1 L2 = 2; opportunity L1 L4 = 2; won L1 = 1, revenue 1000
#   spend 300 + 150 = 450
OCT = {
    "dials": 7, "call_connect_rate": 5 / 7, "conversation_rate": 3 / 5, "conversations_per_dial": 3 / 7,
    "talk_hours": 665 / 3600, "avg_talk_seconds": 665 / 5, "aht_seconds": 835 / 5,
    "calls_per_lead": 7 / 4, "followups_per_lead": 3 / 4,
    "invalid_number_share": 0 / 4,  # no dial of the fixture ends as invalid_number (tests/test_mapping_examples.py: 2/8)
    "complaints_per_1000": 1000 / 7, "dnc_per_1000": 1000 / 7,
    "new_leads": 3, "mql": 2, "sql": 2, "sql_per_conversation": 2 / 3, "opportunity_rate": 2 / 2, "win_rate": 1 / 2,
    "opportunities": 2, "won": 1, "sales_conversion": 1 / 2, "revenue": 1000.0, "avg_deal_size": 1000.0,
    # speed: L1 first call after 3 min, L2 after 60 min, L3 after 2 days (2880 min)
    "called_within_5m": 1 / 3, "called_within_1h": 2 / 3, "called_within_24h": 2 / 3,
    "response_median_min": 60.0, "response_p90_min": 60 + 0.8 * (2880 - 60),
    "marketing_spend": 450.0, "rep_cost": 8.23 + 1.90, "cost_per_lead": 450 / 3,
    "cost_per_sql": (450 + 10.13) / 2, "rep_cost_per_sql": 10.13 / 2, "cac": 450 + 10.13,
}


@pytest.fixture(scope="module")
def data():
    return KpiData.from_frames(**tiny_frames())


@pytest.fixture(scope="module")
def oct_values(data):
    m = measures(data, [data.period("2026-10")])
    return compute(m).iloc[0]


@pytest.mark.parametrize("kpi", sorted(OCT))
def test_every_kpi_matches_hand_value(oct_values, kpi):
    assert oct_values[kpi] == pytest.approx(OCT[kpi], rel=1e-9), kpi


def test_every_catalogued_kpi_has_a_hand_value():
    # customer KPIs (surveys and payments) have their hand values in tests/test_customer_kpis.py
    assert set(OCT) == {k for k in KPIS if KPIS[k].family != "customer"}
    cat = catalogue()
    assert cat["formula"].str.len().min() >= 4 and set(cat["family"]) <= {"activity", "quality", "outcomes", "speed", "cost",
                                                                          "customer"}


def test_september_by_hand(data):
    # September: one call C6 (connected, conversation, talk 100, wrap 20), leads L4 and L5 created,
    # L4 MQL + SQL in September, spend 200; speed: L4 called after 30 min, L5 never.
    v = compute(measures(data, [data.period("2026-09")])).iloc[0]
    assert v["dials"] == 1 and v["call_connect_rate"] == 1.0 and v["aht_seconds"] == 120
    assert v["new_leads"] == 2 and v["mql"] == 1 and v["sql"] == 1 and v["won"] == 0
    assert v["cost_per_lead"] == 100 and v["called_within_1h"] == 0.5 and v["called_within_5m"] == 0.0
    assert math.isnan(v["avg_deal_size"]) and math.isnan(v["cac"]) and math.isnan(v["win_rate"])


def test_team_filter_and_spend_allocation(data):
    # East = R1: calls C1-C4 (dials 4, connected 3); owned leads L1, L2 (web_form/c1). All October
    # web_form/c1 leads belong to East, so East gets the full 300 of web_form/c1 spend; West gets list/c2's 150.
    east = compute(measures(data.for_team("East"), [data.period("2026-10")])).iloc[0]
    assert east["dials"] == 4 and east["call_connect_rate"] == pytest.approx(3 / 4)
    assert east["new_leads"] == 2 and east["sql"] == 2 and east["marketing_spend"] == 300
    assert east["rep_cost"] == pytest.approx(8.23)
    west = compute(measures(data.for_team("West"), [data.period("2026-10")])).iloc[0]
    assert west["marketing_spend"] == 150 and west["dials"] == 3 and math.isnan(west["cost_per_sql"])
    by = compute(measures(data, [data.period("2026-10")], "team")).set_index("team")
    assert by.loc["East", "marketing_spend"] + by.loc["West", "marketing_spend"] == pytest.approx(450)
    assert by["dials"].sum() == 7


def test_breakdowns_by_source_region_rep(data):
    p = [data.period("2026-10")]
    src = compute(measures(data, p, "source")).set_index("source")
    # list_purchase calls: C5, C7 (L4), C8 -> 3 dials, connected C5, C8
    assert src.loc["list_purchase", "dials"] == 3 and src.loc["list_purchase", "call_connect_rate"] == pytest.approx(2 / 3)
    assert src.loc["web_form", "marketing_spend"] == 300
    reg = compute(measures(data, p, "region")).set_index("region")
    assert reg.loc["North", "new_leads"] == 2 and reg.loc["South", "new_leads"] == 1
    rep = compute(measures(data, p, "rep_id")).set_index("rep_id")
    assert rep.loc["R1", "dials"] == 4 and rep.loc["R2", "rep_cost"] == pytest.approx(1.90)


def test_family_results_have_the_contract(data):
    for fn in (activity, quality, outcomes, costs):
        r = fn(data, "2026-10")
        assert isinstance(r.to_pandas(), pd.DataFrame) and len(r.to_pandas()) == 1
        assert r.heading in r.summary() and "<table" in r._repr_html_()
        assert r.plot() is not None
    by = activity(data, "2026-10", by="team")
    assert list(by.to_pandas()["team"]) == ["East", "West"] and by.plot() is not None


def test_funnel_by_hand(data):
    f = funnel(data, "2026-10").to_pandas().set_index("stage")
    assert list(f["count"]) == [7, 5, 3, 2, 2, 1]
    assert f.loc["connected", "step_conversion"] == pytest.approx(5 / 7)
    assert f.loc["sql", "step_conversion"] == pytest.approx(2 / 3)
    # September: dials 1, connects 1, conversations 1, SQL 1, opportunities 0
    assert f.loc["connected", "previous_step_conversion"] == 1.0
    assert f.loc["conversation", "step_change_pp"] == pytest.approx(3 / 5 - 1)
    # bottleneck = largest relative drop: conversations (0.6 vs 1.0: -40%) beats connects (-28.6%) and SQLs (-33%)
    assert funnel(data, "2026-10").bottleneck == "conversation"


def test_speed_bands_by_hand(data):
    s = speed_to_lead(data, "2026-10")
    f = s.to_pandas().set_index("band")
    assert f.loc["0-5m", "leads"] == 1 and f.loc["5-60m", "leads"] == 1 and f.loc[">24h", "leads"] == 1
    assert f.loc["0-5m", "sql_rate"] == 1.0 and f.loc[">24h", "sql_rate"] == 0.0
    assert math.isnan(f.loc["1-24h", "sql_rate"])
    assert s.stats["median_min"] == 60 and s.stats["never_called"] == 0
    assert "Observational" in s.summary() and s.plot() is not None
    sep = speed_to_lead(data, "2026-09").to_pandas().set_index("band")
    assert sep.loc["not_called", "leads"] == 1  # L5


def test_zero_denominators_are_nan_and_shown_as_na(data):
    v = compute(measures(data, [data.period("2025-10")])).iloc[0]
    rates = [k for k, d in KPIS.items() if d.den is not None]
    assert all(math.isnan(v[k]) for k in rates)
    assert not any(np.isinf(v[k]) for k in KPIS if isinstance(v[k], float))
    assert format_value(v["call_connect_rate"], "rate") == "n/a"
    t = kpi_table(data, "2025-10")
    assert "n/a" in t.summary() and "No activity in October 2025" in t.summary()
    assert not np.isinf(t.to_pandas()[["value", "comparison", "change"]].to_numpy(dtype=float)).any()


def test_missing_spend_marks_cost_kpis_unavailable():
    data = KpiData.from_frames(**tiny_frames(with_spend=False))
    v = compute(measures(data, [data.period("2026-10")])).iloc[0]
    for k in ("marketing_spend", "cost_per_lead", "cost_per_sql", "cac"):
        assert math.isnan(v[k]), k
    assert v["rep_cost"] == pytest.approx(10.13) and v["call_connect_rate"] == pytest.approx(5 / 7)
    t = kpi_table(data, "2026-10")
    assert "Marketing spend is not in the store" in t.summary()
    assert "Marketing spend is not in the store" in costs(data, "2026-10").summary()


def test_store_without_spend_table(tmp_path):
    url = tiny_store(tmp_path, with_spend=False)
    data = KpiData.from_store(url)
    assert not data.has_spend
    assert math.isnan(kpi_table(data, "2026-10").row("cost_per_sql")["value"])


def test_duckdb_and_pandas_paths_agree_on_fixture(tmp_path):
    url = tiny_store(tmp_path)
    store, frames = KpiData.from_store(url), KpiData.from_frames(**tiny_frames())
    a = compute(measures(store, [store.period("2026-10")]))
    b = compute(measures(frames, [frames.period("2026-10")]))
    for k in KPIS:
        x, y = a[k].iloc[0], b[k].iloc[0]
        assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, rel=1e-12), k


def test_unknown_team_and_bad_period_and_dimension(data):
    with pytest.raises(ConfigError, match="valid teams: East, West"):
        activity(data, "2026-10", team="Norht")
    with pytest.raises(ConfigError, match="parameter period: cannot read '2026-13'"):
        activity(data, "2026-13")
    with pytest.raises(ConfigError, match="valid: team, rep_id, source, campaign, region"):
        activity(data, "2026-10", by="country")
    with pytest.raises(ConfigError, match="compare_to"):
        kpi_table(data, "2026-10", compare_to="yesterday")
    with pytest.raises(ConfigError, match="valid KPIs"):
        kpi_table(data, "2026-10", kpis=["sqls"])


def test_last_month_is_relative_to_latest_call(data):
    # latest call 2026-10-06 -> last complete month is September
    assert data.period("last-month").label == "2026-09"


def test_trend_by_day_by_hand(data):
    from leadlab.kpi.trend import sub_periods, trend

    assert [p.label for p in sub_periods(data.period("2026-10"), "week")] == ["2026-W41", "2026-W42", "2026-W43", "2026-W44"]
    t = trend(data, "2026-W40", "day").to_pandas().set_index("period")
    # W40 = 2026-09-28 .. 10-04: C1 on 10-01; C3, C7 on 10-02; C4 on 10-03; C2 on 10-04
    assert t["dials"].tolist() == [0, 0, 0, 1, 2, 1, 1]
    assert t.loc["2026-10-02", "call_connect_rate"] == 0.0 and math.isnan(t.loc["2026-09-28", "call_connect_rate"])
    assert t.loc["2026-10-03", "sql"] == 1  # L1 became an SQL on 10-03
    with pytest.raises(ConfigError, match="longer than the week"):
        trend(data, "2026-W40", "month")
    with pytest.raises(ConfigError, match="valid: day, week, month, quarter"):
        trend(data, "2026-10", "hour")


def test_whole_report_without_spend_and_with_weights():
    from leadlab.kpi.report import kpi_report

    data = KpiData.from_frames(**tiny_frames(with_spend=False))
    rep = kpi_report(data, "2026-10", weights="call_connect_rate:1 sql_rate:2")
    assert rep.has_data and rep.scorecard.frame.attrs["weights"] == {"call_connect_rate": 1.0, "sql_rate": 2.0}
    assert any("spend is not in the store" in s for s in rep.summary.sentences())
    assert math.isnan(rep.table.row("cac")["value"]) and rep.table.row("dials")["value"] == 7
    for part in (rep.funnel, rep.speed, rep.cycle, rep.pool, rep.trend):
        assert part.summary() and part._repr_html_()
    empty = kpi_report(data, "2025-10", team="East")
    assert not empty.has_data and empty.summary.sentences()[0].startswith("No activity in October 2025 for team East")
