"""The pandas DataFrame path of analyze_table: projection, zero-copy batched Arrow
conversion and registration give exactly the result of the same rows in DuckDB."""

from __future__ import annotations

import importlib

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from leadlab.errors import ConfigError
from leadlab.experiments import analyze_table
from leadlab.experiments.metrics import Metric
from leadlab.experiments.results import Notice

AR = importlib.import_module("leadlab.experiments.arrow")

NUMERIC = ["effect", "ci_low", "ci_high", "rel_effect", "p_value", "se", "units", "control_units",
           "variance_reduction"]


def _calls(n: int = 300_000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lead = np.arange(n) // 4
    rep = lead % 60
    rep_arm = np.where(rng.random(60) < 0.5, "A", "B")
    conn = rng.random(n) < 0.3
    df = pd.DataFrame({
        "call_id": np.arange(n), "lead_id": lead, "rep_id": rep, "rep_arm": rep_arm[rep],
        "connected": conn.astype(np.int8), "talk": np.where(conn, rng.gamma(2.0, 40.0, n), 0.0),
        "sql": (conn & (rng.random(n) < 0.1)).astype(np.int8), "prior": rng.gamma(3.0, 10.0, n // 4)[lead],
        "note": "unused text",  # a column the analysis does not read
        "when": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(n) % 1000, "s"),
    })
    # a few missing values: a NaN talk time and a missing (pandas NA) covariate
    df.loc[[5, 17], "talk"] = np.nan
    df["prior"] = df["prior"].astype("Float64")
    df.loc[[40, 41], "prior"] = pd.NA
    return df


METRICS = ["connected", "talk", Metric("sqls_per_rep", "sql"), Metric("sql_per_connect", "sql", "connected")]


def test_dataframe_and_duckdb_table_give_the_same_result():
    """The frame is larger than one Arrow batch, has unused, NaN and NA columns."""
    df = _calls()
    assert len(df) > AR.ARROW_BATCH_ROWS
    r_df = analyze_table(df, arm="rep_arm", unit="rep_id", metrics=METRICS, covariate="prior")
    con = ibis.duckdb.connect()
    con.create_table("calls", df)
    r_db = analyze_table(con.table("calls"), arm="rep_arm", unit="rep_id", metrics=METRICS, covariate="prior")
    a = r_df.effects.set_index("metric")[NUMERIC]
    b = r_db.effects.set_index("metric")[NUMERIC]
    pd.testing.assert_frame_equal(a, b, rtol=1e-9)
    assert r_df.warnings == r_db.warnings
    # the NaN talk rows (NULL after conversion) are counted, not dropped silently
    assert [n.code for n in r_df.notices] == ["null_values"] and r_df.notices[0].fields["n"] == 2


def test_projection_keeps_only_the_columns_read():
    df = _calls(1000)
    p = AR.project(df, "rep_arm", "rep_id", METRICS, "prior")
    assert list(p.columns) == ["rep_arm", "rep_id", "prior", "connected", "talk", "sql"]
    assert np.shares_memory(p["talk"].to_numpy(), df["talk"].to_numpy())  # no copy
    assert AR.project(df, "rep_arm", "rep_id", "connected, talk", None).columns.tolist() == [
        "rep_arm", "rep_id", "connected", "talk"]


def test_a_missing_column_still_lists_every_available_column():
    df = _calls(1000)
    assert AR.project(df, "rep_arm", "rep_id", ["nope"], None) is df
    with pytest.raises(ConfigError, match="'nope' not found.*call_id.*note.*when"):
        analyze_table(df, arm="rep_arm", unit="rep_id", metrics=["nope"])


def test_arrow_conversion_is_zero_copy_and_batched():
    df = _calls()
    t = AR.frame_to_arrow(AR.project(df, "rep_arm", "rep_id", METRICS, "prior"))
    assert t.num_rows == len(df)
    assert max(len(b) for b in t.to_batches()) <= AR.ARROW_BATCH_ROWS
    assert t.column("rep_id").num_chunks > 1
    # NaN-free numbers are wrapped without a copy; NaN floats become NULL (as pyarrow's
    # pandas conversion does); the nullable Float64's NA is NULL
    assert AR.column_to_arrow(df["rep_id"]).buffers()[1].address == df["rep_id"].to_numpy().ctypes.data
    assert AR.column_to_arrow(df["talk"]).null_count == 2
    assert AR.column_to_arrow(df["prior"]).null_count == 2
    assert pa.types.is_string(AR.column_to_arrow(df["rep_arm"]).type) or pa.types.is_large_string(
        AR.column_to_arrow(df["rep_arm"]).type)


def test_contamination_from_min_max_arm():
    df = pd.DataFrame({"unit": [1, 1, 2, 2, 3, 4, 5, 6], "arm": ["A", "B", "A", "A", "B", "A", "B", "B"],
                       "y": [1, 0, 1, 1, 0, 1, 0, 1]})
    r = analyze_table(df, arm="arm", unit="unit", metrics=["y"])
    assert r.contaminated_units == 1
    assert int(r.arms.units.sum()) == 5


@pytest.mark.parametrize("hashed", [True, False], ids=["duckdb-hash", "string-min-max"])
def test_contamination_ignores_null_arms_on_duckdb_and_in_the_string_path(hashed, monkeypatch):
    """A unit with some NULL-arm rows keeps its one arm (its rows all count there); a unit in two
    arms is contaminated: the same on DuckDB (arm hashes) and where strings are compared."""
    from leadlab.experiments.queries import MIXED, unit_aggregate
    from leadlab.store import as_table, distinct_code

    df = pd.DataFrame({"unit": [1, 1, 1, 2, 2, 3, 3, 4], "arm": ["A", None, "A", "B", "A", None, None, "B"],
                       "y": [1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0]})
    t = as_table(df)
    assert distinct_code(t.arm) is not None  # the in-memory backend is DuckDB: the hash path
    if not hashed:  # as on PostgreSQL and Spark
        monkeypatch.setattr("leadlab.experiments.queries.distinct_code", lambda col: None)
    g = unit_aggregate(t, "arm", "unit", ["y"], {}).order_by("_unit").to_pandas()
    assert g[MIXED].tolist() == [0, 1, 0, 0] and g.arm.fillna("(none)").tolist()[::2] == ["A", "(none)"]
    assert g.y.tolist() == [2.0, 1.0, 2.0, 0.0]
    r = analyze_table(df, arm="arm", unit="unit", metrics=["y"])
    assert r.contaminated_units == 1 and r.arms.set_index("arm").units.to_dict() == {"A": 1, "B": 1}
    assert Notice("missing_arm") in r.notices  # the unit whose rows all lack an arm (was an arm "nan")
    unbound = ibis.table({"unit": "int64", "arm": "string"}, name="t")
    assert distinct_code(unbound.arm) is None  # other backends (and unbound tables) compare the strings


def test_arm_codes_renumber_slices_that_met_the_arms_in_another_order(monkeypatch):
    """The arm strings are encoded in slices side by side; a slice whose labels came in another
    order is renumbered to the shared labels, NULL stays NULL."""
    import os

    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    arms = ["B", None, "A", "B", "C", "A", None, "D", "A"]
    t = pa.Table.from_batches(pa.table({"arm": arms}).to_batches(max_chunksize=3))
    coded, labels = AR.arm_codes(t, "arm")
    assert labels == ["B", "A", "C", "D"]
    assert coded.column("arm").num_chunks == 3 and pa.types.is_int32(coded.schema.field("arm").type)
    assert [None if c is None else labels[c] for c in coded.column("arm").to_pylist()] == arms
    assert AR.arm_codes(pa.table({"arm": [1, 2]}), "arm")[1] is None  # not a string column: as it is
    cat = pd.Series(["B", None, "A", "B"], dtype=pd.CategoricalDtype(["A", "B", "unused"]))
    coded, labels = AR.arm_codes(AR.frame_to_arrow(pd.DataFrame({"arm": cat})), "arm")
    assert labels == ["A", "B", "unused"] and coded.column("arm").to_pylist() == [1, None, 0, 1]


@pytest.mark.parametrize("dtype", [object, "str", "category"])
def test_dataframe_arm_codes_give_the_table_result(dtype):
    """Three arms met in another order in each Arrow batch, units in two arms and rows without an
    arm: the DataFrame (arms as codes) and the same rows as a DuckDB table (arm hashes) agree."""
    n = 2 * AR.ARROW_BATCH_ROWS + 10
    rng = np.random.default_rng(8)
    unit = rng.integers(0, 5000, n)
    unit[0], unit[AR.ARROW_BATCH_ROWS] = 0, 2  # the first batch meets treat first, the second hold
    arm = np.array(["treat", "ctrl", "hold"], dtype=object)[unit % 3]
    arm[:40] = "ctrl"  # units of the other arms seen in ctrl too
    arm[60:70] = None
    df = pd.DataFrame({"unit": unit, "arm": pd.array(arm, dtype=dtype), "y": rng.random(n)})
    r_df = analyze_table(df, arm="arm", unit="unit", metrics=["y"], control="ctrl")
    con = ibis.duckdb.connect()
    con.create_table("calls", df)
    r_db = analyze_table(con.table("calls"), arm="arm", unit="unit", metrics=["y"], control="ctrl")
    assert r_df.contaminated_units == r_db.contaminated_units > 20
    pd.testing.assert_frame_equal(r_df.arms, r_db.arms)
    assert r_df.arms.arm.tolist() == ["ctrl", "hold", "treat"]
    pd.testing.assert_frame_equal(r_df.effects.set_index("arm")[["effect", "p_value", "units"]],
                                  r_db.effects.set_index("arm")[["effect", "p_value", "units"]], rtol=1e-12)
    assert r_df.notices == r_db.notices
