"""The docstring examples of leadlab.scoring run and give the documented results."""

from __future__ import annotations

import doctest
import importlib
import sys

import pytest

MODULES = ["leadlab.scoring", "leadlab.scoring.apply", "leadlab.scoring.card", "leadlab.scoring.data",
           "leadlab.scoring.evaluate", "leadlab.scoring.explain", "leadlab.scoring.features", "leadlab.scoring.grades",
           "leadlab.scoring.model", "leadlab.scoring.monitor", "leadlab.scoring.persist", "leadlab.scoring.quality",
           "leadlab.scoring.train", "leadlab.scoring.text", "leadlab.scoring.prepare", "leadlab.scoring.choice",
           "leadlab.scoring.fitting", "leadlab.scoring.holdout", "leadlab.scoring.result", "leadlab.scoring.pages"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name, tmp_path, monkeypatch):
    monkeypatch.setenv("LEADLAB_HOME", str(tmp_path))  # persist.model_file resolves against the project root
    importlib.import_module(name)
    res = doctest.testmod(sys.modules[name], optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0
