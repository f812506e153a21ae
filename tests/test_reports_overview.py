"""The data-overview engine and the shared plots, on small hand-made stores."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import ibis  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from leadlab import plots  # noqa: E402
from leadlab.errors import ConfigError  # noqa: E402
from leadlab.overview import overview, resolve_period, store_as_of  # noqa: E402
from leadlab.schema import CONNECTED_DISPOSITIONS, CONVERSATION_DISPOSITIONS  # noqa: E402
from leadlab.store import connect  # noqa: E402
from reports_helpers import make_tiny_store  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    url = make_tiny_store(tmp_path_factory.mktemp("ov") / "leadlab.duckdb")
    con = connect(url, read_only=True)
    yield con
    con.disconnect()


def _frames(con):
    return con.table("leads").execute(), con.table("calls").execute()


def test_period_resolution_uses_latest_call(tiny):
    leads, calls = _frames(tiny)
    assert store_as_of(tiny) == calls.started_at.max()
    assert calls.started_at.max().month == 11
    assert resolve_period("last-month", tiny).label == "2026-10"
    assert resolve_period("last-week", tiny).label == (calls.started_at.max() - pd.Timedelta(days=7)).strftime("%G-W%V")
    assert resolve_period("2026-09", tiny).label == "2026-09"


def test_period_resolution_falls_back_to_today_without_activity():
    con = ibis.duckdb.connect()
    today = pd.Timestamp.now(tz="UTC").tz_localize(None)
    assert abs(store_as_of(con) - today) < pd.Timedelta(minutes=5)
    assert resolve_period("last-month", con).end == today.normalize().replace(day=1)


def test_funnel_matches_a_direct_computation(tiny):
    leads, calls = _frames(tiny)
    ov = overview(tiny, "2026-10")
    inp = leads[(leads.created_at >= "2026-10-01") & (leads.created_at < "2026-11-01")]
    c = calls[calls.lead_id.isin(inp.lead_id)]
    expected = [
        len(inp),
        c.lead_id.nunique(),
        c[c.disposition.isin(CONNECTED_DISPOSITIONS)].lead_id.nunique(),
        c[c.disposition.isin(CONVERSATION_DISPOSITIONS)].lead_id.nunique(),
        int(inp.sql_at.notna().sum()),
        0,
        0,
    ]
    assert ov.funnel["count"].tolist() == expected
    assert ov.funnel["share_of_leads"].iloc[4] == pytest.approx(expected[4] / expected[0])
    assert ov.funnel["step_rate"].iloc[2] == pytest.approx(expected[2] / expected[1])


def test_table_facts(tiny):
    leads, calls = _frames(tiny)
    ov = overview(tiny, "2026-10")
    t = ov.tables.set_index("table")
    assert t.loc["leads", "rows"] == len(leads) and t.loc["calls", "rows"] == len(calls)
    in_oct = ((calls.started_at >= "2026-10-01") & (calls.started_at < "2026-11-01")).sum()
    assert t.loc["calls", "rows_in_period"] == in_oct == ov.calls_in_period
    assert t.loc["leads", "first"] == leads.created_at.min()
    assert not t.loc["spend", "present"]


def test_findings_detect_the_planted_defects(tiny):
    ov = overview(tiny, "2026-10")
    f = ov.findings.set_index("check")
    assert f.loc["leads never called", "count"] == 5
    assert f.loc["duplicate phones", "count"] == 2
    assert f.loc["zero talk time on connected calls", "count"] == 3
    assert f.loc["calls of unknown leads", "severity"] == "ok"
    assert f.loc["lifecycle order", "severity"] == "ok"
    missing = ov.findings[ov.findings.check == "table missing"]
    assert set(missing.table) == {"assignments", "experiments", "spend", "lead_scores", "lead_stages", "surveys",
                                  "payments", "qa_reviews", "lead_owner_history"}
    assert (missing.severity == "note").all()
    # problems come first
    order = ov.findings.severity.map({"problem": 0, "warning": 1, "note": 2, "ok": 3}).tolist()
    assert order == sorted(order)


def test_findings_problems_on_a_broken_store(tmp_path):
    url = make_tiny_store(tmp_path / "b.duckdb", with_reps=False)
    con = connect(url)
    con.raw_sql("INSERT INTO calls (call_id, lead_id, rep_id, started_at, talk_seconds, disposition) "
                "VALUES ('X1', 'L-nope', 'R001', TIMESTAMP '2026-10-02 10:00', 10, 'qualified')")
    con.raw_sql("UPDATE leads SET sql_at = created_at - INTERVAL 1 DAY WHERE lead_id = 'L00010'")
    con.raw_sql("UPDATE calls SET started_at = TIMESTAMP '2020-01-01' WHERE call_id = (SELECT min(call_id) FROM calls WHERE lead_id = 'L00020')")
    ov = overview(con, "2026-10")
    con.disconnect()
    f = ov.findings.set_index("check")
    assert f.loc["calls of unknown leads", "count"] == 1
    assert f.loc["lifecycle order", "count"] == 1
    assert f.loc["calls before lead creation", "count"] == 1
    problems = ov.findings[ov.findings.severity == "problem"]
    assert "reps" in set(problems.table)  # core table missing is a problem
    assert "4 problems need fixing" in ov.verdict()


def test_partly_empty_optional_column_is_a_warning(tmp_path):
    from leadlab.store import write_table

    con = ibis.duckdb.connect()
    write_table(con, "leads", pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(10)], "source": "web",
        "created_at": pd.Timestamp("2026-10-05"), "region": ["N"] * 6 + [None] * 4}))
    ov = overview(con, "2026-10")
    w = ov.findings[ov.findings.check == "optional columns partly empty"]
    assert w.severity.tolist() == ["warning"] and "region 40%" in w.message.iloc[0]
    m = ov.missing.set_index("column")
    assert m.loc["region", "share"] == pytest.approx(0.4)
    assert "sql_at" not in m.index  # empty lifecycle dates mean "not reached", not missing


def test_empty_period_is_said_clearly(tiny):
    ov = overview(tiny, "2025-01")
    assert not ov.has_data and ov.leads_in_period == 0
    msg = ov.no_data_message()
    assert "No leads were created and no calls were made in January 2025" in msg
    assert "Sep 1, 2026" in msg and "Nov 19, 2026" in msg
    assert msg in ov.verdict()
    assert ov.calls_per_day.calls.sum() == 0
    assert "No leads were created" in ov._repr_html_()


def test_calls_per_day_and_volume(tiny):
    _, calls = _frames(tiny)
    ov = overview(tiny, "2026-10")
    cpd = ov.calls_per_day
    assert cpd.date.max() == pd.Timestamp("2026-10-31") and cpd.date.is_monotonic_increasing
    assert cpd.date.diff().dropna().eq(pd.Timedelta(days=1)).all()  # no gaps: empty days are 0
    oct_ = cpd[cpd.date >= "2026-10-01"]
    assert oct_.calls.sum() == ov.calls_in_period
    v = ov.call_volume()
    oct_calls = calls[(calls.started_at >= "2026-10-01") & (calls.started_at < "2026-11-01")]
    assert v["per_day"] == pytest.approx(len(oct_calls) / oct_calls.started_at.dt.date.nunique())  # per working day
    sep = calls[(calls.started_at >= "2026-09-01") & (calls.started_at < "2026-10-01")]
    assert v["previous_per_day"] == pytest.approx(len(sep) / sep.started_at.dt.date.nunique())
    assert v["change"] == pytest.approx(v["per_day"] / v["previous_per_day"] - 1)
    assert "September 2026" in ov.call_volume_sentence()


def test_result_object_interface(tiny):
    ov = overview(tiny, "2026-10")
    text = ov.summary()
    assert "Data overview — October 2026" in text and "Funnel" in text
    assert list(ov.to_pandas("funnel").stage) == ["leads", "dialed", "connected", "conversation", "sql", "opportunity", "won"]
    with pytest.raises(ConfigError, match="valid: tables, findings"):
        ov.to_pandas("nope")
    html = ov._repr_html_()
    assert "<table" in html and "Data quality" in html
    assert ov._repr_html_() == html  # deterministic (stable for nbval)
    ax = ov.plot("funnel")
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "Leads"
    ax = ov.plot("calls_per_day")
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"calls, 7-day average", "connected, 7-day average"}
    with pytest.raises(ConfigError, match="unknown plot"):
        ov.plot("pie")
    plt.close("all")


@pytest.fixture
def leadlab_style():
    """The leadlab style for one test only (apply_style changes matplotlib's global rcParams)."""
    with matplotlib.rc_context():
        plots.apply_style()
        yield
    plt.close("all")


def test_plot_helpers_are_generic(leadlab_style):
    first = plt.rcParams["axes.prop_cycle"].by_key()["color"][0]
    assert matplotlib.colors.to_hex(first) == plots.PALETTE[0].lower()
    ax = plots.funnel_chart(pd.DataFrame({"step": ["a", "b", "c"], "n": [100, 50, 0]}), stage="step", count="n")
    labels = [t.get_text() for t in ax.texts]
    assert labels[1].startswith("50") and "50.0% of a" in labels[1]
    d = pd.DataFrame({"date": pd.date_range("2026-01-01", periods=20).tolist() * 2,
                      "value": range(40), "arm": ["A"] * 20 + ["B"] * 20})
    ax = plots.time_series(d, hue="arm", percent=False, rolling=7)
    assert len(ax.lines) == 4
    f = pd.DataFrame({"label": ["lift", "null", "harm"], "estimate": [0.1, 0.0, -0.1],
                      "lower": [0.05, -0.02, -0.2], "upper": [0.15, 0.03, -0.01]})
    ax = plots.forest_plot(f, percent=True, title="Effects")
    colors = [ln.get_color() for ln in ax.lines if len(ln.get_xdata()) == 2][:3]  # then the reference line
    assert colors == [plots.COLORS["good"], plots.COLORS["neutral"], plots.COLORS["bad"]]
    ax = plots.bar_chart(pd.DataFrame({"team": ["N", "S"], "rate": [0.1, 0.2]}), "team", "rate", percent=True)
    assert [t.get_text() for t in ax.texts] == ["10.0%", "20.0%"]
    with pytest.raises(ValueError, match="missing column"):
        plots.funnel_chart(pd.DataFrame({"x": [1]}))
    plt.close("all")
