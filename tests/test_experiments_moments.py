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
    plain = _plain(t, ms, ["arm"], "x", None, frozenset()).set_index("arm").sort_index()
    masked = _masked(t, ms, ["arm"], "x", None).set_index("arm").sort_index()
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
