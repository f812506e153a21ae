"""The scorer reports read, never write: scorer_training describes the saved model (its choice,
candidates, fitness) and leaves the model file untouched; without a model both reports say so
clearly, show where the store stands, and create no model."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from leadlab.cli import main
from leadlab.reports.runner import run_report
from leadlab.scoring.text import kind_label


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())} if folder.exists() else {}


def page_text(root: Path, rec) -> str:
    body = (root / "reports" / rec.html).read_text().split("<body", 1)[1]
    body = re.sub(r"<style.*?</style>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def make_project(small_store, root: Path) -> tuple[Path, str]:
    """A project folder with the repository's notebooks and a private copy of the small store."""
    (root / "data").mkdir(parents=True)
    (root / "notebooks").symlink_to(Path(__file__).resolve().parents[1] / "notebooks", target_is_directory=True)
    shutil.copy(small_store.path, root / "data" / "leadlab.duckdb")
    return root, f"duckdb://{root / 'data' / 'leadlab.duckdb'}"


@pytest.fixture(scope="module")
def trained(small_store, tmp_path_factory):
    """A project whose default model was saved by `leadlab score train`, with its files' hashes."""
    root, db = make_project(small_store, tmp_path_factory.mktemp("trained") / "project")
    models = root / "data" / "models"
    main(["score", "train", "--db", db, "--quiet", "--out", str(models / "lead_scorer.skops")])
    card = json.loads((models / "lead_scorer.card.json").read_text())
    return root, db, models, digest(models), card


@pytest.fixture
def env(monkeypatch):
    monkeypatch.delenv("LEADLAB_DB", raising=False)
    return monkeypatch


@pytest.mark.slow
def test_training_report_describes_the_saved_model_and_writes_nothing(trained, env):
    root, db, models, before, card = trained
    assert set(before) == {"lead_scorer.skops", "lead_scorer.card.json", "lead_scorer.card.md", "lead_scorer.card.zh.md"}
    rec = run_report("scorer_training", {}, root=root, db=db, timeout=600, raise_on_error=False)
    assert rec.ok, rec.error
    assert digest(models) == before  # read, never written
    text = page_text(root, rec)
    assert card["model_version"] in text
    assert "chosen automatically" in text and "validation ROC AUC" in text
    for kind, v in card["model_choice"]["candidates"].items():
        assert f"{kind_label(kind)} {v['roc_auc']:.3f}" in text
    assert "fit for use" in text and f"{card['metrics']['roc_auc']:.3f}" in text


@pytest.mark.slow
def test_monitoring_report_reads_the_model_score_train_saved(trained, env):
    """It used to get its model from the training report's side effect."""
    root, db, models, before, card = trained
    rec = run_report("scorer_monitoring", {"period": "2026-10"}, root=root, db=db, timeout=600, raise_on_error=False)
    assert rec.ok, rec.error
    text = page_text(root, rec)
    assert f"Model {card['model_version']} checked against the" in text and "No monitoring possible" not in text
    assert digest(models) == before


@pytest.mark.slow
def test_training_report_without_a_model_says_so_and_creates_none(small_store, tmp_path, env):
    """(tests/test_notebooks.py runs both scorer reports without a model as well.)"""
    root, db = make_project(small_store, tmp_path / "project")
    rec = run_report("scorer_training", {}, root=root, db=db, timeout=600, raise_on_error=False)
    assert rec.ok, rec.error
    text = page_text(root, rec)
    assert f"no model file at {root.resolve() / 'data' / 'models' / 'lead_scorer.skops'}" in text
    assert "leadlab score train" in text
    assert "not done" in text  # the readiness table
    assert not (root / "data" / "models").exists()


@pytest.mark.slow
def test_training_report_in_chinese(trained, env):
    """`-p lang=zh`: headings, verdict and tables in Chinese, the same numbers, the model untouched."""
    root, db, models, before, card = trained
    rec = run_report("scorer_training", {"lang": "zh"}, root=root, db=db, timeout=600, raise_on_error=False)
    assert rec.ok, rec.error
    text = page_text(root, rec)
    for term in ("线索评分模型训练", "模型是如何选出的", "核心指标", "前10%线索提升度", "十分位表", "自动选出", "已保存的模型"):
        assert term in text, term
    assert f"{card['metrics']['roc_auc']:.3f}" in text and card["model_version"] in text
    for english in ("How the model was chosen", "Headline numbers", "Calling the top 10%", "chosen automatically"):
        assert english not in text
    assert digest(models) == before
