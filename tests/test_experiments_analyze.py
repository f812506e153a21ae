"""The engine on synthetic stores (ground truth), on DataFrames and Ibis tables, and the
result objects."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from leadlab.experiments import analyze, analyze_table, from_counts  # noqa: E402
from leadlab.experiments.metrics import Metric  # noqa: E402

LEAD, REP = "EXP-LEAD-SCRIPT", "EXP-REP-SCRIPT"


@pytest.fixture(scope="module")
def small_results(small_store):
    return {e: analyze(experiment_id=e, url=small_store.url) for e in (LEAD, REP)}


def test_store_experiments_are_analysed_per_randomization_unit(small_results):
    lead, rep = small_results[LEAD], small_results[REP]
    assert (lead.unit_type, lead.analysis_unit, lead.naive) == ("lead", "lead", False)
    assert (rep.unit_type, rep.analysis_unit, rep.naive) == ("rep", "rep", False)
    assert rep.data_grain == "per_rep"
    assert rep.arms.units.sum() < 100  # reps, not leads or calls
    assert set(lead.effects.metric) >= {"sql_rate", "talk_seconds_per_call", "complaints_per_1000"}
    assert lead.effects.loc[lead.effects.metric == "sql_rate", "kind"].iloc[0] == "proportion"
    assert rep.effects.loc[rep.effects.metric == "sql_rate", "kind"].iloc[0] == "ratio"
    assert lead.srm_ok and rep.srm_ok


def test_result_object_interfaces(small_results):
    r = small_results[LEAD]
    text = r.summary()
    assert r.verdict() in text and "Sample ratio check" in text and "Sequential" in text
    df = r.to_pandas()
    assert {"effect", "ci_low", "ci_high", "rel_effect", "rel_ci_low", "p_value", "p_holm", "p_bh",
            "chance_to_beat", "expected_loss", "seq_ci_low", "variance_reduction"} <= set(df.columns)
    assert (df.seq_cs_low <= df.ci_low + 1e-12).all()  # always-valid intervals are wider
    assert r.plan.mode == "fixed" and df.seq_ci_low.isna().all()  # no planned end: one look, no sequential interval
    html = r._repr_html_()
    assert "<table" in html and "Verdict" in html
    json.dumps(r.to_dict())
    for kind in ("effects", "funnel", "segments"):
        assert r.plot(kind) is not None
    assert not r.funnel.empty and set(r.funnel.stage) >= {"dialed", "connected", "sql", "won"}
    seg = r.segments
    assert set(seg.dimension) >= {"source", "region"}
    assert (seg.p_holm >= seg.p_value - 1e-12).all() and (seg.p_bh >= seg.p_value - 1e-12).all()
    main = df[~df.guardrail]
    assert (main.p_holm >= main.p_value - 1e-12).all()


def test_naive_analysis_only_on_request_and_marked(small_store):
    naive = analyze(experiment_id=REP, url=small_store.url, analysis_unit="call", segments=False)
    assert naive.naive and "naive" in naive.analysis_unit
    assert "NAIVE" in naive.summary() and "NAIVE" in naive.verdict() and "Naive" in naive._repr_html_()
    assert naive.effects.naive.all()


def _cover(row, truth):
    return row.ci_low <= truth["absolute"] <= row.ci_high and row.rel_ci_low <= truth["relative"] <= row.rel_ci_high


@pytest.mark.slow
def test_intervals_cover_the_true_effects(demo_store):
    truth = demo_store.truth["experiments"]
    widths = {}
    for exp in (LEAD, REP):
        r = analyze(experiment_id=exp, url=demo_store.url, segments=False)
        for metric in ("sql_rate", "talk_seconds_per_call"):
            for arm, t in truth[exp]["true_effects"][metric].items():
                row = r.effects[(r.effects.metric == metric) & (r.effects.arm == arm)].iloc[0]
                assert _cover(row, t), (exp, metric, row[["ci_low", "ci_high"]].tolist(), t)
        if exp == REP:
            row = r.effects[r.effects.metric == "sql_rate"].iloc[0]
            naive = analyze(experiment_id=exp, url=demo_store.url, analysis_unit="lead", segments=False)
            nrow = naive.effects[naive.effects.metric == "sql_rate"].iloc[0]
            widths = {"rep": row.ci_high - row.ci_low, "naive": nrow.ci_high - nrow.ci_low}
    # per-rep intervals are far wider than the (overconfident) naive per-lead ones
    assert widths["rep"] > 1.5 * widths["naive"]


def test_cuped_reports_variance_reduction(small_store):
    r = analyze(experiment_id=LEAD, url=small_store.url, metrics="sql_rate", segments=False, funnel=False)
    row = r.effects.iloc[0]
    assert row.cuped and 0 <= row.variance_reduction < 1
    plain = analyze(experiment_id=LEAD, url=small_store.url, metrics="sql_rate", cuped=False, segments=False, funnel=False)
    assert not plain.effects.iloc[0].cuped
    assert row.ci_high - row.ci_low <= plain.effects.iloc[0].ci_high - plain.effects.iloc[0].ci_low + 1e-12


def test_as_of_limits_the_data(small_store):
    full = analyze(experiment_id=LEAD, url=small_store.url, metrics="sql_rate", segments=False, funnel=False)
    early = analyze(experiment_id=LEAD, url=small_store.url, metrics="sql_rate", as_of="2026-09-01",
                    segments=False, funnel=False)
    assert early.effects.units.iloc[0] <= full.effects.units.iloc[0]
    assert early.effects.control_value.iloc[0] <= full.effects.control_value.iloc[0]


def _units_frame(seed: int = 1, n: int = 4000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = np.where(rng.random(n) < 0.5, "A", "B")
    x = rng.gamma(3, 10, n)
    sql = (rng.random(n) < 0.05 + 0.002 * x + 0.02 * (arm == "B")).astype(int)
    calls = rng.poisson(4, n) + 1
    talk = rng.gamma(calls * 2.0, 25.0)
    return pd.DataFrame({"arm": arm, "sql": sql, "calls": calls, "talk": talk, "x": x,
                         "rep": rng.integers(0, 40, n).astype(str)})


def test_dataframe_ibis_and_store_table_inputs_agree(tmp_path):
    import ibis

    df = _units_frame()
    ms = ["sql", Metric("talk_per_call", "talk", "calls")]
    r_df = analyze_table(df, metrics=ms, covariate="x")
    con = ibis.duckdb.connect(str(tmp_path / "t.duckdb"))
    con.create_table("units", ibis.memtable(df))
    r_ibis = analyze_table(con.table("units"), metrics=ms, covariate="x")
    r_name = analyze_table("units", metrics=ms, covariate="x", con=con)
    cols = ["effect", "ci_low", "ci_high", "rel_effect", "p_value"]
    np.testing.assert_allclose(r_df.effects[cols].to_numpy(float), r_ibis.effects[cols].to_numpy(float), rtol=1e-9)
    np.testing.assert_allclose(r_df.effects[cols].to_numpy(float), r_name.effects[cols].to_numpy(float), rtol=1e-9)
    assert r_df.effects.kind.tolist() == ["proportion", "ratio"]
    # the same numbers by hand
    a, b = df[df.arm == "A"], df[df.arm == "B"]
    assert r_df.effects.value.iloc[1] != 0
    plain = analyze_table(df, metrics=ms)
    assert plain.effects.effect.iloc[0] == pytest.approx(b.sql.mean() - a.sql.mean(), rel=1e-12)
    assert plain.effects.effect.iloc[1] == pytest.approx(b.talk.sum() / b.calls.sum() - a.talk.sum() / a.calls.sum(), rel=1e-12)


def test_row_grain_table_grouped_per_unit_in_the_backend():
    df = _units_frame(seed=2)
    df["arm"] = np.where(df.rep.astype(int) < 20, "A", "B")  # randomized per rep
    r = analyze_table(df, metrics=["sql"], unit="rep")
    assert r.analysis_unit == "rep" and r.arms.units.sum() == df.rep.nunique()
    per = df.groupby("rep").agg(s=("sql", "sum"), n=("sql", "size"), arm=("arm", "first"))
    a, b = per[per.arm == "A"], per[per.arm == "B"]
    assert r.effects.effect.iloc[0] == pytest.approx(b.s.sum() / b.n.sum() - a.s.sum() / a.n.sum(), rel=1e-12)
    assert r.effects.kind.iloc[0] == "ratio"


def test_from_counts_multi_arm_holm_and_verdict():
    r = from_counts([("A", 10000, 790), ("B", 10000, 910), ("C", 10000, 800)])
    assert list(r.effects.arm) == ["B", "C"]
    assert (r.effects.p_holm >= r.effects.p_value).all()
    assert r.decision == "ship"
    assert r.verdict() == "B raises the conversion rate from 7.9% to 9.1% (+1.2 pp, 95% CI +0.4 to +2.0). Ship B."
    inc = from_counts([("A", 2000, 160), ("B", 2000, 170)])
    from leadlab.experiments import design as D

    need = D.sample_size(0.08, 0.008) - 2000  # the same function as `leadlab ab design`
    assert inc.verdict().startswith("Inconclusive:") and f"about {need:,} more units per arm would give 80% power" in inc.verdict()
    big = from_counts([("A", 40, 1), ("B", 40, 7)])  # large effect, small sample, exact test
    assert "large but not yet significant" in big.verdict() and big.effects.method.iloc[0] == "fisher"
    worse = from_counts([("A", 10000, 910), ("B", 10000, 790)])
    assert worse.decision == "keep_control" and worse.verdict().endswith("Keep A.")


def test_srm_blocks_ship():
    r = from_counts([("A", 10000, 790), ("B", 9000, 900)])
    assert r.srm_p_value < 0.001 and not r.srm_ok
    assert r.decision == "invalid" and "sample-ratio mismatch" in r.verdict()


def test_guardrail_failure_holds_the_ship():
    rng = np.random.default_rng(9)
    n = 20000
    arm = np.where(rng.random(n) < 0.5, "A", "B")
    sql = (rng.random(n) < np.where(arm == "B", 0.12, 0.09)).astype(int)
    complaints = (rng.random(n) < np.where(arm == "B", 0.02, 0.01)).astype(int)
    df = pd.DataFrame({"arm": arm, "sql": sql, "complaints": complaints})
    ms = [Metric("sql", binary=True, percent=True, label="SQL rate"),
          Metric("complaints", binary=True, percent=True, higher_is_better=False, margin=0.1)]
    r = analyze_table(df, metrics=ms)
    g = r.effects[r.effects.metric == "complaints"].iloc[0]
    assert g.guardrail and g.guardrail_status == "failed"
    assert r.decision == "hold" and "guardrail" in r.verdict()


def test_from_stats_matches_scipy_welch():
    from scipy import stats

    from leadlab.experiments import from_stats

    r = from_stats([("A", 500, 120.0, 80.0), ("B", 450, 131.0, 85.0)])
    ref = stats.ttest_ind_from_stats(131.0, 85.0, 450, 120.0, 80.0, 500, equal_var=False)
    row = r.effects.iloc[0]
    assert row.effect == pytest.approx(11.0, rel=1e-12)
    assert row.p_value == pytest.approx(ref.pvalue, rel=1e-8)
    assert row.rel_effect == pytest.approx(131 / 120 - 1, rel=1e-12)
    with pytest.raises(Exception, match="sd must be >= 0"):
        from_stats([("A", 500, 120.0, -1.0), ("B", 450, 131.0, 85.0)])
