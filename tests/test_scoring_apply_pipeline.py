"""``score apply`` appends each chunk in a background thread while the next one is scored: the
table is the same as appending inline, and a failed append leaves the previous scores intact."""

from __future__ import annotations

import pandas as pd
import pytest
from testkit import private_copy

import leadlab.scoring.apply as ap
from leadlab.scoring import persist
from leadlab.scoring.train import train_scorer
from leadlab.store import connect


@pytest.fixture(scope="module")
def scored(small_store, tmp_path_factory):
    url, _db, _folder = private_copy(small_store, tmp_path_factory, "scoring_pipeline")
    con = connect(url)
    model = persist.from_training(train_scorer("store", con=con, model_kind="hgb", n_boot=5,
                                               scorer_params={"max_iter": 30, "n_threads": 1}))
    yield con, model
    con.disconnect()


def _table(con) -> pd.DataFrame:
    return con.table("lead_scores").to_pandas().sort_values("lead_id").reset_index(drop=True)


def test_background_appends_equal_inline_appends(scored, monkeypatch):
    con, model = scored
    res = ap.apply_scores(model, con, chunk_rows=900, allow_weak=True)
    background = _table(con)
    monkeypatch.setattr(ap, "appends_beside_reads", lambda con: False)  # every append waited for
    res_inline = ap.apply_scores(model, con, chunk_rows=900, allow_weak=True)
    inline = _table(con)
    assert res.chunks == res_inline.chunks > 2 and res.grades == res_inline.grades
    assert len(background) == res.rows == background.lead_id.nunique()
    pd.testing.assert_frame_equal(background.drop(columns="scored_at"), inline.drop(columns="scored_at"))


@pytest.mark.parametrize("fail_at", [1, 3])
def test_failed_background_append_keeps_previous_scores(scored, monkeypatch, fail_at):
    con, model = scored
    ap.apply_scores(model, con, chunk_rows=5000, allow_weak=True)
    before = _table(con)
    real, calls = ap.append_arrow, []

    def failing(*a, **k):
        calls.append(1)
        if len(calls) == fail_at:
            raise OSError("disk full")
        return real(*a, **k)

    monkeypatch.setattr(ap, "append_arrow", failing)
    with pytest.raises(OSError, match="disk full"):
        ap.apply_scores(model, con, chunk_rows=600, allow_weak=True)
    pd.testing.assert_frame_equal(before, _table(con))
    assert not [t for t in con.list_tables() if t.startswith("_lead_scores_staging")]
