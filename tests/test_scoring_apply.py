"""Batch-scoring fast path: Arrow batches scored without pandas give the same scores as the
scikit-learn pipeline on a pandas frame (logistic unrolled into arrays, boosting on the encoded matrix)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from leadlab.scoring.model import LeadScorer


def _data(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "source": pd.array(rng.choice(["web", "event", "list", "partner"], n), dtype="str"),
        "tier": rng.integers(1, 4, n),  # an integer category column (pandas fallback for its text)
        "views": rng.poisson(np.exp(rng.normal(1, 0.8, n))).astype("float64"),
        "size": np.exp(rng.normal(3, 1.5, n)).round(),
        "score0": rng.normal(50, 10, n),
        "webinar": rng.random(n) < 0.3,
        "opted": pd.array(rng.choice(["true", "false"], n), dtype="str"),  # text booleans
        "created_at": pd.Timestamp("2026-01-05") + pd.to_timedelta(rng.integers(0, 90 * 86400, n), unit="s"),
    })
    df["tier"] = df["tier"].astype("str")
    logit = (-2 + 0.8 * np.log1p(df.views) + np.where(df.source == "event", 1.0, 0.0) + 0.3 * df.webinar
             + 0.01 * (df.score0 - 50))
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return df, y


def _scoring_batch(df: pd.DataFrame) -> pd.DataFrame:
    """Nulls everywhere, an unseen category and a NaN number."""
    out = df.copy()
    out.loc[0, "source"] = None
    out.loc[1, "source"] = "brand-new-source"
    out.loc[2, "views"] = np.nan
    out.loc[3, "created_at"] = pd.NaT
    out.loc[4, "opted"] = None
    out["webinar"] = out["webinar"].astype("boolean")
    out.loc[5, "webinar"] = pd.NA
    return out


@pytest.mark.parametrize("kind,calibration", [("logistic", "sigmoid"), ("logistic", "isotonic"), ("hgb", "sigmoid")])
def test_arrow_fast_path_matches_pipeline(kind, calibration):
    df, y = _data(3000, 11)
    df.loc[df.sample(frac=0.05, random_state=1).index, "size"] = np.nan  # missing values seen in training
    params = {"max_iter": 60} if kind == "hgb" else {}
    s = LeadScorer(model_kind=kind, time_col="created_at", calibration=calibration, **params).fit(df, y)
    new = _scoring_batch(_data(500, 12)[0])
    batch = pa.RecordBatch.from_pandas(new, preserve_index=False)
    cols = s.features_.transform_arrow(batch)
    ref = s.features_.transform(new)
    np.testing.assert_array_equal(np.column_stack(list(cols.values())), ref.to_numpy())
    np.testing.assert_allclose(s.proba_from_columns(cols), s.predict_proba(new)[:, 1], rtol=1e-9, atol=1e-12)
    assert s.features_.unseen_counts_arrow(batch) == s.features_.unseen_counts(new) == {"source": 1}
    codes = s.features_.arrow_codes(batch)  # shared by both (score apply encodes each text column once)
    assert s.features_.unseen_counts_arrow(batch, codes) == {"source": 1}
    np.testing.assert_array_equal(np.column_stack(list(s.features_.transform_arrow(batch, codes).values())), ref.to_numpy())
    if kind == "logistic":
        assert s.linear_terms() is not None
    else:
        assert s.linear_terms() is None
        raw = s._hgb_binned_raw(cols, 1)  # the binned fast path is taken
        assert raw is not None
        np.testing.assert_allclose(1 / (1 + np.exp(-raw)), s.model_.predict_proba(ref)[:, 1], rtol=1e-12)


def test_arrow_fast_path_names_a_missing_column():
    from leadlab.errors import DataError

    df, y = _data(1000, 3)
    s = LeadScorer(model_kind="logistic").fit(df, y)
    batch = pa.RecordBatch.from_pandas(df.drop(columns=["views"]), preserve_index=False)
    with pytest.raises(DataError, match="'views'"):
        s.features_.transform_arrow(batch)


#: Scores of the seeded scorers below on the seeded batch, measured before the binned fast path
#: (leadlab.scoring.boosting) replaced scikit-learn's float matrix + encoder + binner: any speed-up
#: must leave them unchanged. (sum, first six, sum weighted by row number)
PINNED = {
    "logistic": (174.00997488785885, [0.396271643058249, 0.17959859485689184, 0.3501087469814971,
                                      0.35281522371736507, 0.2444681384559429, 0.25605941469969346], 43104.57098818187),
    "hgb": (176.76218910648163, [0.27654499966344803, 0.20943115740900475, 0.27118069965681113,
                                 0.29793514021025136, 0.271477074884913, 0.2893110149897655], 43806.21676736958),
}


@pytest.fixture(scope="module")
def pinned_scorers():
    df, y = _data(3000, 11)
    new = _scoring_batch(_data(500, 12)[0])
    params = {"logistic": {}, "hgb": {"max_iter": 60, "max_leaf_nodes": 15}}
    fitted = {k: LeadScorer(model_kind=k, time_col="created_at", n_threads=1, **p).fit(df, y) for k, p in params.items()}
    return fitted, new, pa.RecordBatch.from_pandas(new, preserve_index=False)


@pytest.mark.parametrize("kind", ["logistic", "hgb"])
def test_batch_scores_unchanged(pinned_scorers, kind):
    fitted, new, batch = pinned_scorers
    s = fitted[kind]
    p = s.proba_from_columns(s.features_.transform_arrow(batch))
    total, head, weighted = PINNED[kind]
    np.testing.assert_allclose([p.sum(), *p[:6], p @ np.arange(len(p))], [total, *head, weighted], rtol=1e-12, atol=0)
    np.testing.assert_allclose(p, s.predict_proba(new)[:, 1], rtol=1e-12, atol=0)  # the pandas/scikit-learn path


def test_binned_booster_bins_as_scikit_learn(pinned_scorers):
    """Every column a tree splits on gets scikit-learn's bin (category lookup tables, numbers via the
    thresholds, NaN / unseen / missing included); the log-odds equal ``decision_function``."""
    from leadlab.scoring.boosting import BinnedBooster, booster_for

    fitted, new, batch = pinned_scorers
    s = fitted["hgb"]
    m = s.model_
    cols = s.features_.transform_arrow(batch)
    cols["source"][:3] = np.nan  # a code-less row: missing
    b = booster_for(m, s.features_.category_counts())
    assert booster_for(m, s.features_.category_counts()) is b  # built once per fitted model
    assert isinstance(b, BinnedBooster) and b.used and set(b.tables) & set(b.used)
    ours = b.bins(cols, threads=1)
    frame = pd.DataFrame(cols)
    ref = m._bin_mapper.transform(np.asarray(m._preprocess_X(frame, reset=False), dtype=np.float64))
    used = [b.position[c] for c in b.used]
    np.testing.assert_array_equal(ours[:, used], ref[:, used])
    np.testing.assert_allclose(b.raw(cols, threads=2), m.decision_function(frame), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="source"):
        b.bins({**cols, "source": np.full(len(frame), 99.0)})  # a code the model never had: refused, not guessed
