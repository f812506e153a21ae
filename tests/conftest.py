"""Shared fixtures: small synthetic stores built once per test session.

``small_store`` (5,000 leads) serves most engine tests; ``demo_store`` has the same
size and seed as ``make demo`` for ground-truth checks. Both set nothing global:
tests pass ``store.url`` explicitly (or use ``monkeypatch.setenv("LEADLAB_DB", ...)``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
BANK_ADDITIONAL = SHARED_DATA / "bank-additional-full.csv"


@dataclass
class SynthStore:
    url: str
    path: Path
    folder: Path
    truth: dict

    @property
    def truth_leads_path(self) -> Path:
        return self.folder / "ground_truth_leads.parquet"


def _build(folder: Path, n_leads: int, seed: int) -> SynthStore:
    from leadlab.synth import synthesize

    path = folder / "leadlab.duckdb"
    url = f"duckdb://{path}"
    synthesize(n_leads=n_leads, seed=seed, url=url, truth_dir=folder, progress=False)
    truth = json.loads((folder / "ground_truth.json").read_text())
    return SynthStore(url=url, path=path, folder=folder, truth=truth)


@pytest.fixture(scope="session")
def small_store(tmp_path_factory) -> SynthStore:
    return _build(tmp_path_factory.mktemp("small_store"), n_leads=5000, seed=7)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> SynthStore:
    return _build(tmp_path_factory.mktemp("demo_store"), n_leads=30000, seed=42)


@pytest.fixture
def pii_env(monkeypatch):
    """The ingest tests' pseudonymization key in $LEADLAB_PII_KEY, and no $LEADLAB_DB override."""
    from testkit import PII_KEY

    monkeypatch.setenv("LEADLAB_PII_KEY", PII_KEY)
    monkeypatch.delenv("LEADLAB_DB", raising=False)


@pytest.fixture
def bank_additional() -> Path:
    if not BANK_ADDITIONAL.exists():
        pytest.skip(f"real data not found at {BANK_ADDITIONAL} (shared/data is not beside the project)")
    return BANK_ADDITIONAL
