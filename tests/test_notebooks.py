"""Every notebook in notebooks/ runs through the report runner against the small synthetic
store with its CI parameters (from the registry), and renders to a real page.

This is the one place ``make test`` executes the repository's notebooks (nbval ran them a
second time until issue 10): the runner path checks more than nbval did — parameters,
rendering without code, publishing, the index — and uses the session's small store.

New notebooks are picked up automatically; registered ones run in registry order (so
scorer_training writes the model that scorer_monitoring reads), unregistered ones after,
with their defaults. One report is also rendered in Chinese and published beside the
English page.

They run as ``report all`` runs them: in one shared kernel per language (started once, its
namespace reset between reports; a failed report gets a fresh kernel), which saves a kernel
start and its imports (about 4 CPU-s) per report. The fresh kernel of ``leadlab report NAME``
runs kpi_report in tests/test_kpi_synthetic.py, the scorer reports in test_scoring_reports.py
and small notebooks in test_reports_runner.py; the first report here gets a fresh kernel too.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from leadlab.reports.params import declared_parameters
from leadlab.reports.registry import get_spec
from leadlab.reports.runner import available_notebooks, run_report, shared_kernel

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = available_notebooks(ROOT)


@pytest.fixture(scope="module")
def ci_project(small_store, tmp_path_factory):
    """A project folder whose notebooks/ is the repository's, with a private copy of the
    small store (a kernel needs the DuckDB file to itself) and its ground truth in data/."""
    root = tmp_path_factory.mktemp("ci_project")
    (root / "notebooks").symlink_to(ROOT / "notebooks", target_is_directory=True)
    data = root / "data"
    data.mkdir()
    for f in small_store.folder.iterdir():
        if f.is_file():
            shutil.copy(f, data / f.name)
    return root, f"duckdb://{data / small_store.path.name}"


@pytest.fixture(scope="module", autouse=True)
def one_kernel_per_language():
    """Every run_report of this module in a shared kernel (see the module docstring)."""
    with shared_kernel():
        yield


def ci_parameters(name: str) -> dict:
    declared = declared_parameters(ROOT / "notebooks" / f"{name}.ipynb")
    return {k: v for k, v in get_spec(name).ci_parameters.items() if k in declared}


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_renders(name, ci_project, monkeypatch):
    root, db = ci_project
    monkeypatch.delenv("LEADLAB_DB", raising=False)
    rec = run_report(name, ci_parameters(name), root=root, db=db, timeout=600, raise_on_error=False)
    assert rec.ok, f"{name} failed: {rec.error} (executed notebook: {root / rec.notebook})"
    page = (root / "reports" / rec.html).read_text()
    body = page.split("<body", 1)[1]
    assert f"<title>{rec.title}</title>" in page
    assert "jp-InputArea-editor" not in body and "highlight hl-ipython3" not in body  # no code shown
    assert "injected-parameters" not in page and "Traceback" not in body
    text = re.sub(r"<[^>]+>", " ", body)
    assert len(text.split()) > 80, "the page says too little for a manager"
    assert "<h1" in body or "<h2" in body, "every report needs headings"
    assert "data:image/png;base64" in body or "<table" in body, "a report shows at least one figure or table"
    assert '<html lang="en">' in page and rec.lang == "en"


def _cjk_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum("\u4e00" <= c <= "\u9fff" for c in letters) / max(len(letters), 1)


@pytest.mark.slow
def test_kpi_report_in_chinese_is_published_beside_the_english_one(ci_project, monkeypatch):
    """kpi_report with lang=zh: a Chinese page (title, header, KPI names, time zone) named
    2026-10.zh.html, and the index lists both languages."""
    from leadlab.reports.publish import load_index

    root, db = ci_project
    monkeypatch.delenv("LEADLAB_DB", raising=False)
    monkeypatch.delenv("LEADLAB_LANG", raising=False)
    english = root / "reports" / "kpi_report" / "2026-10.html"
    if not english.exists():  # this test run alone: publish the English page first
        assert run_report("kpi_report", ci_parameters("kpi_report"), root=root, db=db, raise_on_error=False).ok
    rec = run_report("kpi_report", {**ci_parameters("kpi_report"), "lang": "zh"}, root=root, db=db, timeout=600,
                     raise_on_error=False)
    assert rec.ok, f"kpi_report in Chinese failed: {rec.error} (executed notebook: {root / rec.notebook})"
    assert rec.html == "kpi_report/2026-10.zh.html" and rec.lang == "zh" and rec.parameters["lang"] == "zh"
    page = (root / "reports" / rec.html).read_text()
    body = re.sub(r"<[^>]+>", " ", page.split("<body", 1)[1])
    assert '<html lang="zh-CN">' in page
    assert "<title>关键指标报告 — 2026年10月</title>" in page
    assert "期间" in body and "生成时间" in body and "时区" in body and "Asia/Shanghai" in body
    assert "接通率" in body and "拨打量" in body, "KPI names in Chinese"
    assert _cjk_share(body) > 0.3, "the page reads as Chinese, not English with a few Chinese words"
    assert "Executive summary" not in body and "Funnel" not in body
    assert english.exists(), "the English page stays beside the Chinese one"
    runs = {(r["label"], r.get("lang")) for r in load_index(root / "reports") if r["report"] == "kpi_report"}
    assert {("2026-10", "en"), ("2026-10.zh", "zh")} <= runs
    index = (root / "reports" / "index.html").read_text()
    assert "href='kpi_report/2026-10.html'" in index and "href='kpi_report/2026-10.zh.html'" in index
    assert "English" in index and "中文" in index
