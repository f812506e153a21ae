"""The grouped query computes the moments the metrics declare, each shared sum once, and the
fast (no NULL/NaN) form gives the same numbers as the masked form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadlab.errors import ConfigError
from leadlab.experiments import Metric, analyze_table
from leadlab.experiments.queries import _masked, _plain, moments, specs
from leadlab.store import as_table


def _frame(n: int = 400, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    calls = rng.integers(1, 6, n)
    return pd.DataFrame({"arm": rng.choice(["A", "B"], n), "calls": calls,
                         "conn": rng.binomial(calls, 0.4), "talk": rng.gamma(2.0, 30.0, n),
                         "sql": rng.integers(0, 2, n), "x": rng.normal(10, 3, n)})


METRICS = [Metric("sql"), Metric("conn_rate", "conn", "calls"), Metric("talk_per_call", "talk", "calls"),
           Metric("sql_per_conn", "sql", "conn")]


def test_plain_and_masked_forms_agree_and_only_declared_moments_are_computed():
    t = as_table(_frame())
    ms = specs(t, METRICS, "x", cuped={"sql"})
    plain = pd.DataFrame(_plain(t, ms, ["arm"], "x", None, frozenset())).set_index("arm").sort_index()
    masked = pd.DataFrame(_masked(t, ms, ["arm"], "x", None)).set_index("arm").sort_index()
    assert sorted(plain.columns) == sorted(masked.columns)
    pd.testing.assert_frame_equal(plain[masked.columns], masked, check_dtype=False, rtol=1e-12)
    # CUPED moments only for the metric it adjusts; a mean has no denominator moments
    assert {"sql__sx", "sql__sxx", "sql__sxy"} <= set(plain.columns)
    assert not [c for c in plain.columns if c.startswith(("conn_rate__sx", "talk_per_call__sx", "sql_per_conn__sx"))]
    assert "sql__sd" not in plain.columns and "conn_rate__sdd" in plain.columns
    assert plain.loc["A", "conn_rate__sy"] == plain.loc["A", "sql_per_conn__sd"]  # one sum, read twice


def test_a_nan_value_takes_the_masked_form_and_leaves_the_unit_out():
    df = _frame()
    df.loc[3, "talk"] = np.nan
    out = moments(as_table(df), METRICS, by=["arm"], covariate="x").set_index("arm")
    arm = df.loc[3, "arm"]
    assert out.loc[arm, "talk_per_call__nan"] == 1 and out.loc[arm, "conn_rate__nan"] == 0
    ok = df[(df.arm == arm) & df.talk.notna()]
    assert out.loc[arm, "talk_per_call__sy"] == pytest.approx(ok.talk.sum())
    assert out.loc[arm, "talk_per_call__sd"] == ok.calls.sum()


def test_cuped_names_the_adjusted_metrics():
    df = _frame(2000)
    r = analyze_table(df, metrics=METRICS, covariate="x", cuped=["sql"])
    assert r.effects.set_index("metric").cuped.to_dict() == {
        "sql": True, "conn_rate": False, "talk_per_call": False, "sql_per_conn": False}
    every = analyze_table(df, metrics=METRICS, covariate="x").effects.set_index("metric")
    same = r.effects.set_index("metric").loc["sql", ["effect", "ci_low", "ci_high", "p_value"]]
    assert np.allclose(same.astype(float), every.loc["sql", ["effect", "ci_low", "ci_high", "p_value"]].astype(float))
    with pytest.raises(ConfigError, match="parameter cuped"):
        analyze_table(df, metrics=METRICS, covariate="x", cuped=["nope"])


def test_a_unit_in_two_arms_is_reported_from_the_one_grouped_query(monkeypatch):
    # row-grain table: unit 3 shows up in both arms; its rows must be left out and the unit counted
    rng = np.random.default_rng(11)
    df = pd.DataFrame({"unit": np.repeat(np.arange(40), 3), "y": rng.integers(0, 2, 120).astype(float)})
    df["arm"] = np.where(df.unit % 2 == 0, "A", "B")
    df.loc[df.index[df.unit == 3][0], "arm"] = "A"
    from ibis.expr.types.relations import Table
    queries = []
    real = Table.to_pyarrow
    monkeypatch.setattr(Table, "to_pyarrow", lambda self, *a, **k: queries.append(self) or real(self, *a, **k))
    r = analyze_table(df, arm="arm", unit="unit", metrics=["y"])
    assert len(queries) == 1  # the check rides on the per-unit aggregation: no second query over the rows
    assert r.contaminated_units == 1
    clean = df[df.unit != 3].groupby("unit").agg(arm=("arm", "first"), y=("y", "sum"))
    assert r.arms.set_index("arm").units.to_dict() == clean.arm.value_counts().to_dict()
    rows = df[df.unit != 3]  # a column's metric per unit is a ratio: its sum over the arm's rows
    means = rows.groupby("arm").y.sum() / rows.groupby("arm").size()
    assert r.effects.effect.iloc[0] == pytest.approx(means["B"] - means["A"], rel=1e-12)
