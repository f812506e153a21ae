"""Model files: skops round trip, model card, refusing tampered files and other versions."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.preprocessing import FunctionTransformer

from leadlab.errors import ModelError
from leadlab.scoring import persist
from leadlab.scoring.train import train_scorer


def leads(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    src = rng.choice(["web", "event", "list"], n)
    return pd.DataFrame({
        "created_at": pd.date_range("2026-01-01", periods=n, freq="3h"),
        "source": src, "views": rng.poisson(3, n).astype(float), "webinar": rng.random(n) < 0.3,
        "won": (rng.random(n) < np.where(src == "event", 0.35, 0.1)).astype(int),
    })


@pytest.fixture(scope="module", params=["hgb", "logistic"])
def saved(request, tmp_path_factory):
    res = train_scorer(leads(), target="won", time_col="created_at", model_kind=request.param, n_boot=20)
    model = persist.from_training(res, data_label="test frame")
    path = persist.save_model(model, tmp_path_factory.mktemp("m") / "scorer.skops")
    return model, path


def test_round_trip_gives_identical_scores(saved):
    model, path = saved
    loaded = persist.load_model(path)
    new = leads(500, seed=9)
    pd.testing.assert_frame_equal(model.score(new), loaded.score(new))
    assert loaded.version == model.version and loaded.meta["bands"] == model.meta["bands"]


def test_model_card_json_and_markdown(saved):
    model, path = saved
    cj, cm = persist.card_paths(path)
    card = json.loads(cj.read_text())
    assert card["model_version"] == model.version
    assert card["data"] == "test frame" and card["target"] == "won"
    assert set(card["features"]["numeric"]) == {"views"} and "created_at" in card["features"]["timestamp"]
    assert card["versions"]["scikit-learn"] and card["versions"]["leadlab"] == persist.leadlab_version()
    assert card["train_window"][0] == "2026-01-01"
    assert "roc_auc" in card["metrics"] and "reference" not in card
    md = cm.read_text()
    assert md.startswith(f"# Model card: lead scorer `{model.version}`")
    assert "## Features excluded" in md and "## Holdout metrics" in md and "scikit-learn" in md


def _rewrite_header(src, dst, **changes):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == persist.META_ENTRY:
                data = json.dumps({**json.loads(data), **changes}).encode()
            zout.writestr(item, data)


def test_other_version_refused(saved, tmp_path):
    _, path = saved
    other = tmp_path / "old.skops"
    _rewrite_header(path, other, leadlab_version="0.0.1")
    with pytest.raises(ModelError, match=r"written by leadlab 0\.0\.1, this is leadlab .*retrain"):
        persist.load_model(other)
    fmt = tmp_path / "fmt.skops"
    _rewrite_header(path, fmt, format=99)
    with pytest.raises(ModelError, match="format 99 is not the supported format"):
        persist.load_model(fmt)


def test_tampered_file_with_untrusted_type_refused(saved, tmp_path):
    model, _ = saved
    evil = FunctionTransformer(func=os.system)  # would run a shell command if trusted
    bad = tmp_path / "evil.skops"
    sio.dump({"format": persist.FORMAT, "leadlab_version": persist.leadlab_version(), "scorer": model.scorer,
              "meta": json.dumps(model.meta), "extra": evil}, bad)
    with zipfile.ZipFile(bad, "a") as zf:
        zf.writestr(persist.META_ENTRY, json.dumps({"format": persist.FORMAT, "leadlab_version": persist.leadlab_version()}))
    with pytest.raises(ModelError, match=r"refusing to load.*outside leadlab's trusted list \((posix|nt)\.system\)"):
        persist.load_model(bad)


def test_missing_and_foreign_files(tmp_path):
    with pytest.raises(ModelError, match="no model file at .*train one first"):
        persist.load_model(tmp_path / "none.skops")
    (tmp_path / "x.skops").write_bytes(b"\x80\x04pickle")
    with pytest.raises(ModelError, match="not a leadlab model file"):
        persist.load_model(tmp_path / "x.skops")
    plain = tmp_path / "plain.skops"
    sio.dump({"a": 1}, plain)
    with pytest.raises(ModelError, match="no leadlab.json entry"):
        persist.load_model(plain)


def test_trusted_list_is_explicit():
    assert isinstance(persist.TRUSTED_TYPES, list) and all(isinstance(t, str) for t in persist.TRUSTED_TYPES)
    src = open(persist.__file__).read()
    assert "trusted=True" not in src.replace('never pass `trusted=True`', "")
