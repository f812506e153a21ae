"""Public-pool rules: hand-made fixture, reference computation on the synthetic store, truth, bad input, CLI."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from testkit import run_captured
from scipy import stats as sps

from leadlab.errors import ConfigError
from leadlab.i18n import use_lang
from leadlab.pool.rules import PoolRules, parse_rules

T0 = pd.Timestamp("2026-09-01 09:00")
AS_OF = dt.datetime(2026, 10, 1)  # rules evaluated at 2026-10-01 00:00
RULES = PoolRules(not_followed_up_days=7, max_attempts=3, left_reps=("R3",), inactive_days=None, capacity_per_rep=1)


def _fixture():
    from leadlab.kpi import KpiData

    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3", "R4"], "team": ["T", "T", "T", "U"]})
    leads = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6", "L7"],
        "created_at": [T0] * 7,
        "source": ["web", "web", "web", "ref", "web", "web", "web"],
        "rep_id": ["R1", "R1", "R3", "R2", "R1", "R1", None],
        "sql_at": [pd.NaT, pd.NaT, pd.NaT, pd.NaT, pd.NaT, T0 + pd.Timedelta(days=3), pd.NaT],
        "won_at": [pd.NaT, pd.NaT, pd.NaT, pd.NaT, T0 + pd.Timedelta(days=5), pd.NaT, pd.NaT],
    })
    day = pd.Timedelta(days=1)
    calls = pd.DataFrame({
        # L1: last call 10 days before AS_OF -> stale; L2: 3 dials, recent -> attempts; L3: owner R3 left;
        # L4: called yesterday -> stays; L7: no owner -> unowned (created long ago, never called: also stale)
        "call_id": [f"C{i}" for i in range(7)],
        "lead_id": ["L1", "L2", "L2", "L2", "L3", "L4", "L1"],
        "rep_id": ["R1", "R1", "R1", "R1", "R3", "R2", "R1"],
        "started_at": [T0 + day, T0 + 26 * day, T0 + 27 * day, T0 + 28 * day, T0 + 28 * day, T0 + 29 * day,
                       pd.Timestamp(AS_OF) - 10 * day],
        "talk_seconds": [30.0] * 7,
        "disposition": ["callback"] * 7,
    })
    return KpiData.from_frames(leads=leads, calls=calls, reps=reps)


def test_recycle_reasons_on_a_hand_made_pool():
    from leadlab.pool import recycle

    r = recycle(_fixture(), AS_OF, rules=RULES).frame.set_index("lead_id")
    assert sorted(r.index) == ["L1", "L2", "L3", "L7"]
    assert r.loc["L1", "reason"] == "stale" and r.loc["L1", "idle_days"] == pytest.approx(10)
    assert r.loc["L2", "reason"] == "attempts" and r.loc["L2", "attempts"] == 3
    assert r.loc["L3", "reason"] == "owner_left" and r.loc["L3", "reasons"] == "owner_left"
    assert r.loc["L7", "reason"] == "unowned"
    # rules off: nothing for those reasons
    off = PoolRules(not_followed_up_days=None, max_attempts=None, left_reps=(), inactive_days=None)
    assert recycle(_fixture(), AS_OF, rules=off).frame["lead_id"].tolist() == ["L7"]


def test_reassign_respects_capacity_owner_team_and_departures():
    from leadlab.pool.reassign import reassign

    r = reassign(_fixture(), AS_OF, rules=RULES).frame.set_index("lead_id")
    moved = r["to_rep_id"].dropna()
    assert (moved.value_counts() <= 1).all()  # capacity 1
    assert not (moved == r.loc[moved.index, "rep_id"]).any()  # never back to the owner
    assert "R3" not in set(moved) and "R4" not in set(moved)  # R3 left; R4 is in another team
    assert moved.loc["L1"] == "R2" or moved.loc["L2"] == "R2"  # the only active rep of team T besides R1
    assert r["to_rep_id"].isna().sum() == len(r) - len(moved) > 0  # beyond capacity: stays in the pool


def test_pool_flow_counts_returns_pickups_reassignments_and_conversions():
    from leadlab.kpi import KpiData
    from leadlab.pool.flow import pool_flow

    base = _fixture()
    calls = base.calls.to_pandas()
    leads = base.leads.to_pandas()
    # in October: L1 is called by R2 (another rep) and reaches SQL; L2 is called by its owner
    extra = pd.DataFrame({"call_id": ["C8", "C9"], "lead_id": ["L1", "L2"], "rep_id": ["R2", "R1"],
                          "started_at": [pd.Timestamp("2026-10-05"), pd.Timestamp("2026-10-06")],
                          "talk_seconds": [60.0, 60.0], "disposition": ["qualified", "callback"]})
    leads.loc[leads["lead_id"] == "L1", "sql_at"] = pd.Timestamp("2026-10-05 10:00")
    data = KpiData.from_frames(leads=leads, calls=pd.concat([calls, extra], ignore_index=True),
                               reps=base.reps.to_pandas())
    f = pool_flow(data, "2026-10", rules=RULES).stats
    assert f["in_pool_at_start"] == 4
    assert (f["picked_up"], f["reassigned"], f["converted"], f["converted_after_reassignment"]) == (2, 1, 1, 1)
    assert f["conversion"] == pytest.approx(0.25)


@pytest.fixture(scope="module")
def demo(demo_store):
    from leadlab.kpi import KpiData

    from leadlab.store import connect

    return KpiData.from_store(connect(demo_store.url, read_only=True))


def test_recycle_matches_a_pandas_reference_on_the_synthetic_store(demo, demo_store):
    """The Ibis query against a plain pandas computation of the same rules on the raw tables."""
    import duckdb

    from leadlab.pool import recycle

    rules = PoolRules(not_followed_up_days=5, max_attempts=7, left_reps=("R002",), inactive_days=21)
    end = pd.Timestamp("2026-10-31")
    got = recycle(demo, end.to_pydatetime(), rules=rules).frame
    con = duckdb.connect(str(demo_store.path), read_only=True)
    try:
        leads = con.execute("SELECT lead_id, rep_id, created_at, sql_at, won_at, lost_at FROM leads").df()
        calls = con.execute("SELECT lead_id, rep_id, started_at FROM calls WHERE started_at < ?", [end]).df()
    finally:
        con.close()
    live = leads[(leads.created_at < end) & ~(leads.sql_at < end) & ~(leads.won_at < end) & ~(leads.lost_at < end)]
    per = calls.groupby("lead_id").agg(last=("started_at", "max"), n=("started_at", "size"))
    live = live.join(per, on="lead_id")
    idle = (end - live["last"].fillna(live["created_at"])).dt.total_seconds() / 86400
    rep_last = calls.groupby("rep_id")["started_at"].max()
    quiet = (end - live["rep_id"].map(rep_last)).dt.total_seconds() / 86400 > 21
    want = live[(idle > 5) | (live["n"].fillna(0) >= 7) | live["rep_id"].eq("R002") | quiet | live["rep_id"].isna()]
    assert sorted(got["lead_id"]) == sorted(want["lead_id"]) and len(want) > 20


def test_rep_fit_tracks_the_true_rep_skill(demo, demo_store):
    from leadlab.pool.reassign import rep_fit

    fit, kind = rep_fit(demo, dt.datetime(2026, 11, 21))
    per_rep = fit.groupby("rep_id").apply(lambda g: np.average(g["fit"], weights=g["n"]), include_groups=False)
    truth = pd.Series(demo_store.truth["rep_effects"]).reindex(per_rep.index)
    assert kind == "source" and sps.spearmanr(per_rep, truth).statistic > 0.5


def test_reassign_on_the_synthetic_store_in_both_languages(demo):
    from leadlab.pool.reassign import reassign

    r = reassign(demo, "2026-11-20")
    d = r.frame.dropna(subset=["to_rep_id"])
    assert len(d) > 10 and (d.groupby("to_rep_id").size() <= 25).all() and (d["to_rep_id"] != d["rep_id"]).all()
    teams = demo.rep_table.set_index("rep_id")["team"]
    assert (d["to_rep_id"].map(teams) == d["team"]).all()
    with use_lang("zh"):
        zh = r.summary()
    assert "重新分配" in zh and "Reassignment" not in zh


@pytest.mark.parametrize("raw, words", [
    ({"rules": {"stale_days": 3}}, "unknown key 'stale_days'"),
    ({"rules": {"not_followed_up_days": -1}}, "rules.not_followed_up_days: must be a whole number >= 0 (got -1)"),
    ({"rules": {"max_attempts": 0}}, "rules.max_attempts: must be a whole number >= 1"),
    ({"rules": {"owner_left": {"inactive_days": -5}}}, "rules.owner_left.inactive_days: must be a whole number >= 0"),
    ({"reassign": {"capacity_per_rep": 0}}, "reassign.capacity_per_rep: must be a whole number >= 1"),
    ({"reassign": {"same_team": "yes"}}, "reassign.same_team: must be true or false"),
    ({"colour": 1}, "unknown key 'colour'"),
])
def test_bad_rules(raw, words):
    with pytest.raises(ConfigError) as exc:
        parse_rules(raw)
    assert words in str(exc.value) and "pool_rules.yml" in str(exc.value)


def test_cli_recycle_reassign_and_bad_input(demo_store, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LEADLAB_DB", demo_store.url)
    out = tmp_path / "r.xlsx"
    code, out_, err = _run(["pool", "recycle", "--as-of", "2026-11-20", "--out", str(out)], capsys)
    assert code == 0, err
    assert len(pd.read_excel(out)) > 0
    bad = tmp_path / "bad.csv"
    code, out_, err = _run(["pool", "recycle", "--days", "-3", "--out", str(bad)], capsys)
    assert code == 2 and "--days: must be a whole number >= 0 (got -3)" in (out_ + err) and not bad.exists()
    rules = tmp_path / "rules.yml"
    rules.write_text("rules: {max_tries: 3}\n")
    code, out_, err = _run(["pool", "reassign", "--rules", str(rules), "--out", str(bad)], capsys)
    assert code == 2 and "unknown key 'max_tries'" in (out_ + err) and not bad.exists()
    code, out_, err = _run(["--lang", "zh", "pool", "reassign", "--as-of", "2026-11-20"], capsys)
    assert code == 0 and "重新分配建议" in out_ and "Reassignment" not in out_


_run = run_captured


def test_pool_flow_reads_reassignments_from_the_owner_history_when_given():
    """An owner-change log (lead_owner_history) replaces the dial-derived reassignments: L2 moves to R2 in
    October and reaches SQL after the move; L1's move to its own owner does not count."""
    from leadlab.kpi import KpiData
    from leadlab.pool.flow import pool_flow

    base = _fixture()
    leads = base.leads.to_pandas()
    leads.loc[leads["lead_id"] == "L2", "sql_at"] = pd.Timestamp("2026-10-20")
    late = pd.DataFrame({"call_id": ["C9"], "lead_id": ["L4"], "rep_id": ["R2"], "started_at": [pd.Timestamp("2026-10-30")],
                         "talk_seconds": [60.0], "disposition": ["callback"]})  # the data reach the end of October
    calls = pd.concat([base.calls.to_pandas(), late], ignore_index=True)
    data = KpiData.from_frames(leads=leads, calls=calls, reps=base.reps.to_pandas())
    history = pd.DataFrame({"lead_id": ["L2", "L1", "L3"], "to_rep_id": ["R2", "R1", None], "from_rep_id": ["R1", None, "R3"],
                            "changed_at": pd.to_datetime(["2026-10-10", "2026-10-11", "2026-10-12"])})
    f = pool_flow(data, "2026-10", rules=RULES, history=history)
    s = f.stats
    assert s["reassignment_source"] == "history"
    assert (s["reassigned"], s["converted"], s["converted_after_reassignment"]) == (1, 1, 1)
    with use_lang("zh"):
        assert "lead_owner_history" in " ".join(f.notes()) and "重新分配" in f.summary()
