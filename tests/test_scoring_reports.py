"""The scorer reports read, never write: scorer_training describes the saved model (its choice,
candidates, fitness) and leaves the model file untouched; without a model both reports say so
clearly, show where the store stands, and create no model."""

from __future__ import annotations

import hashlib
import re
import shutil

import pytest

from leadlab.cli import main
from leadlab.reports.runner import run_report


def digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())} if folder.exists() else {}


def page_text(root, rec) -> str:
    body = (root / "reports" / rec.html).read_text().split("<body", 1)[1]
    body = re.sub(r"<style.*?</style>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


@pytest.fixture
def project(small_store, tmp_path, monkeypatch):
    """A project folder with the repository's notebooks and a private copy of the small store."""
    from pathlib import Path

    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "notebooks").symlink_to(Path(__file__).resolve().parents[1] / "notebooks", target_is_directory=True)
    shutil.copy(small_store.path, root / "data" / "leadlab.duckdb")
    monkeypatch.delenv("LEADLAB_DB", raising=False)
    monkeypatch.setenv("LEADLAB_HOME", str(root))
    return root, f"duckdb://{root / 'data' / 'leadlab.duckdb'}"


@pytest.mark.slow
def test_training_report_describes_the_saved_model_and_writes_nothing(project):
    root, db = project
    models = root / "data" / "models"
    main(["score", "train", "--db", db, "--quiet"])  # returns normally on success (raises SystemExit on error)
    before = digest(models)
    assert set(before) == {"lead_scorer.skops", "lead_scorer.card.json", "lead_scorer.card.md"}
    rec = run_report("scorer_training", {}, root=root, db=db, timeout=600, raise_on_error=False)
    assert rec.ok, rec.error
    assert digest(models) == before  # read, never written
    text = page_text(root, rec)
    import json

    card = json.loads((models / "lead_scorer.card.json").read_text())
    assert card["model_version"] in text
    assert "chosen automatically" in text and "validation ROC AUC" in text
    for kind, v in card["model_choice"]["candidates"].items():
        assert f"{kind} {v['roc_auc']:.3f}" in text
    assert "fit for use" in text and f"{card['metrics']['roc_auc']:.3f}" in text


@pytest.mark.slow
@pytest.mark.parametrize("name,params", [("scorer_training", {}), ("scorer_monitoring", {"period": "2026-10"})])
def test_reports_without_a_model_say_so_and_create_none(project, name, params):
    root, db = project
    rec = run_report(name, params, root=root, db=db, timeout=600, raise_on_error=False)
    assert rec.ok, rec.error
    text = page_text(root, rec)
    assert "no model file at" in text and "leadlab score train" in text
    assert "not done" in text  # the readiness table
    assert not (root / "data" / "models").exists()
