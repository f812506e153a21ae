"""Every notebook in notebooks/ runs through the report runner against the small synthetic
store with its CI parameters (from the registry), and renders to a real page.

New notebooks are picked up automatically; registered ones run in registry order (so
scorer_training writes the model that scorer_monitoring reads), unregistered ones after,
with their defaults.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from leadlab.reports.params import declared_parameters
from leadlab.reports.registry import get_spec
from leadlab.reports.runner import available_notebooks, run_report

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
