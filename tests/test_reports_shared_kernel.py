"""`report all` runs its reports in one kernel: the second report starts without the first
one's variables, in the same kernel process; a failed report gets the next one a fresh kernel."""

from __future__ import annotations

import json

from leadlab.reports.runner import execute, plan_run, shared_kernel
from reports_helpers import make_tiny_store, write_notebook

PARAMS = 'period = "2026-10"  # the period'
FIRST = ('import os\nsecret_of_first = 42\nprint("pid", os.getpid())',)
SECOND = ('import os\nprint("pid", os.getpid())\nprint("leak", "secret_of_first" in globals())',)
BOOM = ('raise ValueError("boom")',)


def _stdout(root, name: str, label: str) -> str:
    nb = json.loads((root / "build" / "reports" / name / f"{label}.ipynb").read_text())
    texts = [o.get("text", "") for c in nb["cells"] for o in c.get("outputs", []) if o.get("name") == "stdout"]
    return "".join("".join(t) if isinstance(t, list) else t for t in texts)


def test_reports_share_one_kernel_with_a_clean_namespace(tmp_path, monkeypatch):
    monkeypatch.delenv("LEADLAB_DB", raising=False)
    monkeypatch.setenv("LEADLAB_HOME", str(tmp_path))
    make_tiny_store(tmp_path / "data" / "leadlab.duckdb")
    for name, cells in (("first", FIRST), ("second", SECOND), ("boom", BOOM), ("third", SECOND)):
        write_notebook(tmp_path / "notebooks" / f"{name}.ipynb", PARAMS, *cells)
    with shared_kernel() as pool:
        recs = [execute(plan_run(n, {}, root=tmp_path), root=tmp_path, record=False)
                for n in ("first", "second", "boom", "third")]
        assert pool.km is not None and pool.km.is_alive()  # kept for the next report
    assert [r.status for r in recs] == ["ok", "ok", "failed", "ok"]
    out1, out2, out3 = (_stdout(tmp_path, n, "2026-10") for n in ("first", "second", "third"))
    pid = out1.split("pid ")[1].split()[0]
    assert f"pid {pid}" in out2 and "leak False" in out2  # same process, variables cleared
    assert f"pid {pid}" not in out3 and "leak False" in out3  # after a failure: a fresh kernel
    assert pool.km is None  # shut down at the end


WARMED = ('import sys\nprint("warm", "colorsys" in sys.modules, "_m" in globals(), "importlib" in globals())',)


def test_warm_up_imports_run_before_the_first_report_and_leave_no_names(tmp_path, monkeypatch):
    monkeypatch.delenv("LEADLAB_DB", raising=False)
    monkeypatch.setenv("LEADLAB_HOME", str(tmp_path))
    make_tiny_store(tmp_path / "data" / "leadlab.duckdb")
    write_notebook(tmp_path / "notebooks" / "warmed.ipynb", PARAMS, *WARMED)
    with shared_kernel() as pool:
        assert pool.start(tmp_path, None, "en", warm=["colorsys", "no_such_module_xyz", "os; print(1)"])
        rec = execute(plan_run("warmed", {}, root=tmp_path, lang="en"), root=tmp_path, record=False)
    assert rec.status == "ok", rec.error
    assert "warm True False False" in _stdout(tmp_path, "warmed", "2026-10")


def test_notebook_imports_lists_the_report_notebooks_modules():
    from pathlib import Path

    from leadlab.reports.runner import notebook_imports

    found = notebook_imports(sorted(Path("notebooks").glob("*.ipynb")))
    assert {"matplotlib.pyplot", "leadlab.kpi.report", "leadlab.overview", "IPython.display"} <= set(found)


LANE = ('import os, time\nseen_before = "mark" in globals()\nmark = 1\ntime.sleep(1)\n'
        'print("pid", os.getpid(), "clean", not seen_before)',)


def test_report_all_runs_two_kernels_side_by_side_in_registry_order(tmp_path, monkeypatch):
    import os

    from leadlab.reports import runner

    monkeypatch.delenv("LEADLAB_DB", raising=False)
    monkeypatch.setenv("LEADLAB_HOME", str(tmp_path))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    make_tiny_store(tmp_path / "data" / "leadlab.duckdb")
    names = ("data_overview", "kpi_report", "qa_report", "incentives_report")
    for name in names:
        write_notebook(tmp_path / "notebooks" / f"{name}.ipynb", PARAMS, *LANE)
    seen = []
    outcomes = runner.run_all("2026-10", root=tmp_path, echo=seen.append)
    ran = [o for o in outcomes if o.status != "skipped"]
    assert [o.name for o in ran] == list(names) and all(o.status == "ok" for o in ran)
    assert seen == outcomes  # echoed in the same order
    pids = [_stdout(tmp_path, n, "2026-10").split()[1] for n in names]
    assert len(set(pids)) == 2  # two kernels, each reused
    assert all("clean True" in _stdout(tmp_path, n, "2026-10") for n in names)
    index = json.loads((tmp_path / "reports" / "index.json").read_text())
    runs = index["runs"] if isinstance(index, dict) else index
    assert [r["report"] for r in runs] == list(names)[::-1]  # recorded in registry order (newest first)
