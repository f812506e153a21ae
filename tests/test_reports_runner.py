"""End-to-end report runs in a temporary project (real kernels; tiny notebooks and store).

Kernel starts are the cost here (a few seconds each), so each test that runs a kernel
checks several things about its run.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from leadlab.cli import main
from leadlab.errors import ReportError
from leadlab.reports.publish import load_index
from leadlab.reports.runner import run_report
from reports_helpers import make_tiny_store, write_notebook

ROOT = Path(__file__).resolve().parents[1]
SECRET = "Hunter2-s3cret-Pa55"
DB_SECRET = "tok-9f8e7d6c5b"  # part of the store path: must not be echoed either

FLAKY = ('period = "last-month"  # the period\nfail = False  # raise an error on purpose',
         'import os\nimport leadlab\ncon = leadlab.connect(read_only=True)\nn = con.table("calls").count().execute()',
         'from leadlab.errors import DataError\nif fail or os.path.exists("FAIL"):\n    raise DataError("the CRM export is empty")',
         'print(f"report for {period}: {n} calls in the store")')


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with its own notebooks/ and a tiny store in data/."""
    monkeypatch.delenv("LEADLAB_DB", raising=False)
    monkeypatch.setenv("LEADLAB_HOME", str(tmp_path))
    make_tiny_store(tmp_path / "data" / "leadlab.duckdb")
    write_notebook(tmp_path / "notebooks" / "flaky.ipynb", *FLAKY)
    return tmp_path


def _cli(argv, capsys) -> tuple[int, str, str]:
    code = 0
    try:
        main(argv)
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


def test_failed_run_keeps_last_good_report_and_shows_in_index(project):
    good = run_report("flaky", root=project)  # period last-month: resolved from the store's latest call
    assert good.ok and good.label == "2026-10" and good.parameters == {"period": "2026-10"}
    page = project / "reports" / "flaky" / "2026-10.html"
    before = page.read_bytes()
    html = before.decode()
    assert "report for 2026-10: " in html and "<title>Flaky — October 2026</title>" in html
    assert "import leadlab" not in html and "injected-parameters" not in html
    executed = json.loads((project / good.notebook).read_text())
    assert executed["metadata"]["papermill"]["parameters"] == {"period": "2026-10"}  # build copy keeps it

    (project / "FAIL").write_text("")  # the same run (same parameters, same page) fails this time
    with pytest.raises(ReportError) as err:
        run_report("flaky", {"period": "2026-10"}, root=project)
    assert "DataError: the CRM export is empty" in err.value.message
    assert page.read_bytes() == before  # the last good report stays
    assert sorted(p.name for p in page.parent.iterdir()) == ["2026-10.html"]  # no temp or partial file
    runs = load_index(project / "reports")
    assert [r["status"] for r in runs] == ["failed", "ok"]
    assert runs[0]["error"].startswith("DataError: the CRM export is empty") and runs[0]["html"] is None
    assert runs[0]["parameters"] == {"period": "2026-10"}
    index = (project / "reports" / "index.html").read_text()
    assert "the CRM export is empty" in index and "href='flaky/2026-10.html'" in index and "still shown" in index
    failed_nb = json.loads((project / runs[0]["notebook"]).read_text())
    assert any(o.get("output_type") == "error" for c in failed_nb["cells"] for o in c.get("outputs", []))


def test_cell_timeout_fails_the_run(project):
    write_notebook(project / "notebooks" / "slow.ipynb", 'period = "2026-10"', "import time\ntime.sleep(60)")
    t0 = time.perf_counter()
    rec = run_report("slow", root=project, timeout=3, raise_on_error=False)
    assert time.perf_counter() - t0 < 45
    assert rec.status == "failed" and "timeout" in rec.error.lower()
    assert not (project / "reports" / "slow").exists()


def test_report_all_no_credential_reaches_outputs(tmp_path, monkeypatch, capsys):
    """`report all` with a password in the environment and a store path holding a token:
    neither the executed notebooks, the HTML nor index.json contain them; a failing report
    makes the command exit non-zero while the others are published."""
    monkeypatch.setenv("LEADLAB_HOME", str(tmp_path))
    monkeypatch.setenv("PGPASSWORD", SECRET)
    db = f"duckdb://{make_tiny_store(tmp_path / DB_SECRET / 'leadlab.duckdb').split('://', 1)[1]}"
    monkeypatch.setenv("LEADLAB_DB", db)
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "data_overview.ipynb", tmp_path / "notebooks")
    write_notebook(tmp_path / "notebooks" / "kpi_report.ipynb",
                   'period = "last-month"  # period\nteam = ""  # a team',
                   'import os\nprint("connecting with", os.environ["PGPASSWORD"])',
                   'raise RuntimeError("login failed for password " + os.environ["PGPASSWORD"])')
    code, out, err = _cli(["report", "all", "--period", "last-month"], capsys)
    assert code == 1
    assert "data_overview" in out and "2026-10" in out and "reports/data_overview/2026-10.html" in out
    assert "FAIL  kpi_report" in out and "error: 1 report failed: kpi_report (2026-10)" in err
    assert "skip  experiment_report" in out and "does not exist yet" in out
    assert f"index: {tmp_path / 'reports' / 'index.html'}" in out
    runs = {r["report"]: r for r in load_index(tmp_path / "reports")}
    assert runs["data_overview"]["status"] == "ok" and runs["kpi_report"]["status"] == "failed"
    assert runs["kpi_report"]["parameters"] == {"period": "2026-10"}  # only declared parameters are passed
    # not a leadlab error: its text may quote data, so only its type and cell reach the index
    assert runs["kpi_report"]["error"].startswith("RuntimeError in cell ")
    page = (tmp_path / "reports" / "data_overview" / "2026-10.html").read_text()
    assert "<title>Data overview — October 2026</title>" in page and "Funnel" in page
    outputs = [p for p in (tmp_path / "reports").rglob("*") if p.is_file()]
    outputs += [p for p in (tmp_path / "build").rglob("*") if p.is_file()]
    assert len(outputs) >= 5
    for p in outputs:
        text = p.read_text(errors="ignore")
        assert SECRET not in text, p
        assert DB_SECRET not in text, p
    assert SECRET not in out + err


def test_bad_parameters_fail_before_anything_runs(project, capsys):
    code, _, err = _cli(["report", "flaky", "-p", "perod=2026-10"], capsys)
    assert code == 2 and "error: report flaky has no parameter 'perod'; valid parameters:" in err
    assert 'period = "last-month"  (str)  # the period' in err
    code, _, err = _cli(["report", "flaky", "-p", "fail=sometimes"], capsys)
    assert code == 2 and "parameter fail: 'sometimes' is not true or false" in err
    code, _, err = _cli(["report", "flaky", "-p", "api_token=abc"], capsys)
    assert code == 2 and "looks like a credential" in err
    code, _, err = _cli(["report", "flaky", "--period", "Octobre"], capsys)
    assert code == 2 and "cannot read 'Octobre'" in err
    code, _, err = _cli(["report", "nope"], capsys)
    assert code == 2 and "no report notebook 'nope'" in err and "available: flaky" in err
    code, _, err = _cli(["report", "../notebooks/flaky"], capsys)
    assert code == 2 and "NAME is not a report name" in err and "Traceback" not in err
    assert not (project / "build").exists() and not (project / "reports").exists()


def test_help_and_list_show_the_notebooks(project, capsys):
    write_notebook(project / "notebooks" / "data_overview.ipynb", 'period = "last-month"  # month to report')
    code, out, _ = _cli(["report", "--help"], capsys)
    assert code == 0
    assert "data_overview" in out and "Data overview" in out and "flaky" in out
    assert "leadlab report all --period last-month" in out and "--timeout" in out
    code, out, _ = _cli(["report", "list"], capsys)
    assert code == 0
    assert "data_overview: Data overview" in out and "-p period=...  str, default \"last-month\"  — month to report" in out
    assert "flaky: Flaky  (not in `report all`)" in out and "-p fail=...  bool, default False" in out
