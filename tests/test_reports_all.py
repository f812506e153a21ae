"""`report all` planning: order, skipped notebooks, one run per experiment, only declared
parameters, the period resolved once from the store (execution replaced by a recorder)."""

from __future__ import annotations

import pandas as pd
import pytest

from leadlab.reports import runner
from leadlab.reports.publish import RunRecord
from leadlab.store import connect, write_table
from reports_helpers import make_tiny_store, write_notebook


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.delenv("LEADLAB_DB", raising=False)
    url = make_tiny_store(tmp_path / "data" / "leadlab.duckdb")
    con = connect(url)
    write_table(con, "experiments", pd.DataFrame({
        "experiment_id": ["EXP-REP-SCRIPT", "EXP-LEAD-SCRIPT"], "unit_type": ["rep", "lead"], "control_arm": "A"}))
    con.disconnect()
    nbs = tmp_path / "notebooks"
    write_notebook(nbs / "data_overview.ipynb", 'period = "last-month"  # period')
    write_notebook(nbs / "kpi_report.ipynb", 'period = "last-month"\nteam = ""\ncompare_to = "previous"')
    write_notebook(nbs / "experiment_report.ipynb", 'experiment_id = ""\nalpha = 0.05')
    write_notebook(nbs / "scorer_training.ipynb", 'target = "sql"\nholdout_share = 0.25')
    write_notebook(nbs / "adhoc.ipynb", 'period = "last-month"')  # not registered: not run by `all`
    calls: list[runner.PlannedRun] = []

    def fake_run_notebook(run, *, root=None, db=None, timeout=600, record=True, progress=False):
        calls.append(run)
        return run

    def fake_finish(run, *, record=True):
        status = "failed" if run.name == "kpi_report" else "ok"
        return RunRecord(run.name, run.label, run.title, run.parameters, status, "2026-11-22T00:00:00+00:00", 1.0,
                         "0.1.0", html=f"{run.name}/{run.label}.html" if status == "ok" else None,
                         error="ValueError: boom" if status == "failed" else None)

    class FakeExecuted:  # what run_all reads from runner.Executed
        def __init__(self, run):
            self.run = run

    monkeypatch.setattr(runner, "run_notebook", lambda run, **kw: FakeExecuted(fake_run_notebook(run, **kw)))
    monkeypatch.setattr(runner, "finish", lambda done, **kw: fake_finish(done.run, **kw))
    monkeypatch.setattr(runner.SharedKernel, "start", lambda self, *a, **kw: True)  # no kernel: nothing executes
    return tmp_path, calls


def test_report_all_plan(project):
    root, calls = project
    seen = []
    outcomes = runner.run_all("last-month", root=root, echo=seen.append)
    assert seen == outcomes
    assert [(o.name, o.label, o.status) for o in outcomes] == [
        ("data_overview", "2026-10", "ok"),
        ("kpi_report", "2026-10", "failed"),
        ("experiment_report", "EXP-LEAD-SCRIPT", "ok"),
        ("experiment_report", "EXP-REP-SCRIPT", "ok"),
        ("scorer_training", "as-of-2026-11-19", "ok"),
        ("scorer_monitoring", "-", "skipped"),
        ("qa_report", "-", "skipped"),
        ("incentives_report", "-", "skipped"),
    ]
    assert outcomes[1].message == "ValueError: boom"
    assert "does not exist yet" in outcomes[-1].message
    params = {(r.name, r.label): r.parameters for r in calls}
    assert params[("data_overview", "2026-10")] == {"period": "2026-10"}
    assert params[("kpi_report", "2026-10")] == {"period": "2026-10"}  # team/compare_to keep their defaults
    assert params[("experiment_report", "EXP-REP-SCRIPT")] == {"experiment_id": "EXP-REP-SCRIPT"}
    assert params[("scorer_training", "as-of-2026-11-19")] == {}
    assert calls[0].title == "Data overview — October 2026"


def test_report_all_explicit_period_and_no_experiments(project, tmp_path_factory):
    root, calls = project
    outcomes = runner.run_all("2026-W40", root=root, db=make_tiny_store(tmp_path_factory.mktemp("s") / "s.duckdb"))
    assert [o.label for o in outcomes[:2]] == ["2026-W40", "2026-W40"]
    skipped = [o for o in outcomes if o.name == "experiment_report"]
    assert [(o.status, o.message) for o in skipped] == [("skipped", "the store has no experiments")]


def test_a_shared_kernel_run_does_not_change_the_process_working_directory(tmp_path, monkeypatch):
    """papermill's ``cwd`` is a process-wide chdir, which two report lanes (threads) would undo in
    the wrong order: a shared kernel already runs in the project root, so no cwd is passed; a
    run in its own kernel still gets the project root."""
    import os

    import papermill

    seen = []
    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **kw: seen.append(kw.get("cwd")))

    class FakeShared:
        def manager(self, root, db, lang):
            return object()

    run = runner.PlannedRun("flaky", tmp_path / "flaky.ipynb", {}, "-", "Flaky")
    before = os.getcwd()
    token = runner._SHARED.set(FakeShared())
    try:
        runner.run_notebook(run, root=tmp_path, record=False)
    finally:
        runner._SHARED.reset(token)
    runner.run_notebook(run, root=tmp_path, record=False)
    assert seen == [None, str(tmp_path.resolve())] and os.getcwd() == before
