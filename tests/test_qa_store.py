"""QA on a store: sampling, ingest rules of qa_reviews, CLI, both languages, and the synthetic ground truth."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from testkit import run_captured
from scipy import stats as sps

from leadlab.errors import DataError
from leadlab.i18n import use_lang

PERIOD = "2026-10"


@pytest.fixture(scope="module")
def demo(demo_store):
    from leadlab.kpi import KpiData

    from leadlab.store import connect

    return KpiData.from_store(connect(demo_store.url, read_only=True))


@pytest.fixture(scope="module")
def analysis(demo):
    from leadlab.qa import qa_analysis

    return qa_analysis(demo, PERIOD)


def test_sample_is_reproducible_stratified_and_leans_as_configured(demo):
    from leadlab.qa import sample_calls

    a = sample_calls(demo, PERIOD, per_rep=6, seed=3).frame
    b = sample_calls(demo, PERIOD, per_rep=6, seed=3).frame
    c = sample_calls(demo, PERIOD, per_rep=6, seed=4).frame
    assert a["call_id"].tolist() == b["call_id"].tolist() and a["call_id"].tolist() != c["call_id"].tolist()
    per_rep = a.groupby("rep_id").agg(n=("call_id", "size"), pool=("reviewable_calls", "first"))
    assert (per_rep["n"] == per_rep["pool"].clip(upper=6)).all()
    assert a["started_at"].between(pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-01")).all()
    assert (a["talk_seconds"] >= 30).all()
    # Σ 1/π over a rep's sample is close to its number of reviewable calls (HT estimate of the stratum size)
    ht = a.assign(w=1 / a["inclusion_probability"]).groupby("rep_id")["w"].sum()
    assert np.median(ht / per_rep["pool"]) == pytest.approx(1, abs=0.25)
    # over-sampling: converted calls are a larger share of the sample than of the reviewable calls
    from leadlab.qa.form import load_form
    from leadlab.qa.sample import reviewable_calls

    pool, _ = reviewable_calls(demo, PERIOD, None, load_form())
    assert a["converted"].mean() > 1.5 * pool["converted"].mean()


def test_rep_quality_recovers_the_truth(demo_store, demo):
    """Per rep and month, the true expected QA score over all reviewable calls (ground_truth.json) lies
    in the 95 % interval about 95 % of the time (3 months × 40 reps); shrinkage lowers the error."""
    from leadlab.qa import qa_analysis

    truth = demo_store.truth["qa"]
    rows = []
    for month in truth["months"]:
        f = qa_analysis(demo, month).reps.frame
        rows.append(f.assign(truth=f["rep_id"].map(truth["rep_quality"][month])))
    f = pd.concat(rows)
    cover_raw = ((f["low"] <= f["truth"]) & (f["truth"] <= f["high"])).mean()
    cover_shrunk = ((f["shrunk_low"] <= f["truth"]) & (f["truth"] <= f["shrunk_high"])).mean()
    rmse = lambda c: float(np.sqrt(((f[c] - f["truth"]) ** 2).mean()))  # noqa: E731
    assert 0.85 <= cover_raw <= 1.0 and 0.85 <= cover_shrunk <= 1.0, (cover_raw, cover_shrunk)
    assert rmse("shrunk") < rmse("score")
    assert sps.spearmanr(f["shrunk"], f["truth"]).statistic > 0.7


def test_reviewer_calibration_recovers_the_true_offsets(demo_store, analysis):
    truth = demo_store.truth["qa"]["reviewer_offset"]
    c = analysis.calibration.frame.set_index("reviewer")
    t = pd.Series(truth).reindex(c.index)
    assert ((c["low"] <= t) & (t <= c["high"])).sum() >= 3
    assert np.sign(c["offset"]).tolist() == np.sign(t).tolist() or abs(t).min() < 0.02
    assert "QA01" in analysis.calibration.verdict() and "QA03" in analysis.calibration.verdict()


def test_agreement_is_measured_on_double_reviews(analysis):
    a = analysis.agreement.frame
    assert (a["calls"] > 40).all()
    assert a["fleiss"].between(-1, 1).all() and (a["fleiss_low"] < a["fleiss"]).all()
    assert (a["cohen"] > 0).all()


def test_results_in_both_languages(analysis):
    en = analysis.reps.summary() + analysis.agreement.summary() + analysis.calibration.summary()
    with use_lang("zh"):
        zh = analysis.reps.summary() + analysis.agreement.summary() + analysis.calibration.summary()
        html = analysis.agreement._repr_html_()
    assert "Reviewer agreement" in en and "Reviewer agreement" not in zh
    assert "质检" in zh and "需求挖掘" in zh and "需求挖掘" in html and "最弱评分项" in zh


def _copy(demo_store, tmp_path):
    p = tmp_path / "s.duckdb"
    shutil.copy(demo_store.path, p)
    return f"duckdb://{p}"


def _reviews_csv(tmp_path, rows):
    p = tmp_path / "reviews.csv"
    pd.DataFrame(rows, columns=["review_id", "call_id", "reviewer", "item", "score"]).to_csv(p, index=False)
    return p


def _a_call(url):
    import duckdb

    con = duckdb.connect(url.removeprefix("duckdb://"), read_only=True)
    try:
        return con.execute("SELECT min(call_id) FROM calls").fetchone()[0]
    finally:
        con.close()


def test_ingest_refuses_an_item_not_in_the_form_and_a_score_off_scale(demo_store, tmp_path):
    from leadlab.ingest import ingest_file

    url = _copy(demo_store, tmp_path)
    call = _a_call(url)
    before = _count(url)
    f = _reviews_csv(tmp_path, [("V1", call, "QA09", "opening", 4), ("V1", call, "QA09", "tone", 3),
                                ("V1", call, "QA09", "compliance", 3)])
    with pytest.raises(DataError) as exc:
        ingest_file("qa_reviews", f, url=url, pii_key=b"k")
    msg = str(exc.value)
    assert "reviews.csv, row 2 (line 3), column item: 'tone' is not an item of the QA form" in msg
    assert any("row 3 (line 4): score 3.0 of item compliance is outside its scale 0.0-1.0" in d for d in exc.value.details)
    assert _count(url) == before
    ok = _reviews_csv(tmp_path, [("V1", call, "QA09", "opening", 4), ("V2", call, "QA08", "opening", 5)])
    assert ingest_file("qa_reviews", ok, url=url, pii_key=b"k").inserted == 2


def _count(url):
    import duckdb

    con = duckdb.connect(url.removeprefix("duckdb://"), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM qa_reviews").fetchone()[0]
    finally:
        con.close()


def test_cli_sample_report_and_bad_input(demo_store, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LEADLAB_DB", demo_store.url)
    out = tmp_path / "s.xlsx"
    code, out_, err = _run(["qa", "sample", "--period", PERIOD, "--per-rep", "4", "--seed", "9", "--out", str(out)], capsys)
    assert code == 0, err
    assert len(pd.read_excel(out)) == 4 * 40
    bad = tmp_path / "bad.csv"
    code, out_, err = _run(["qa", "sample", "--period", PERIOD, "--per-rep", "0", "--out", str(bad)], capsys)
    assert code == 2 and "--per-rep must be a whole number of at least 1 (got 0)" in (out_ + err) and not bad.exists()
    form = tmp_path / "qa.yml"
    form.write_text("items: [{id: a, min: 1, max: 5}]\nsampling: {weights: {loud: 2}}\n")
    code, out_, err = _run(["qa", "sample", "--per-rep", "3", "--form", str(form), "--out", str(bad)], capsys)
    assert code == 2 and "unknown key 'loud'" in (out_ + err) and not bad.exists()
    code, out_, err = _run(["--lang", "zh", "qa", "report", "--period", PERIOD], capsys)
    assert code == 0 and "评审" in (out_ + err)


_run = run_captured


def test_hostile_reviewer_and_form_texts_are_escaped_and_cli_ingest_refuses(demo_store, tmp_path, capsys):
    """A reviewer id and form item names carrying markup or formulas end up escaped in HTML; a score off
    the scale through `leadlab ingest` is one error line, exit 2, nothing written."""
    import duckdb

    from leadlab.ingest import ingest_file
    from leadlab.kpi import KpiData
    from leadlab.qa import qa_analysis
    from leadlab.qa.form import parse_form
    from leadlab.store import connect

    url = _copy(demo_store, tmp_path)
    con = duckdb.connect(url.removeprefix("duckdb://"))
    try:
        calls = [r[0] for r in con.execute(
            "SELECT call_id FROM calls WHERE connected AND started_at >= '2026-10-01' AND started_at < '2026-11-01' "
            "ORDER BY call_id LIMIT 6").fetchall()]
        con.execute("DELETE FROM qa_reviews")
    finally:
        con.close()
    bad_rev = "<img src=x onerror=alert(1)>"
    rows = [(f"H{i}{k}", c, rev, "opening", s) for i, c in enumerate(calls)
            for k, (rev, s) in enumerate([(bad_rev, 4), ("=HYPERLINK(1)", 3)])]
    f = _reviews_csv(tmp_path, rows)
    assert ingest_file("qa_reviews", f, url=url, pii_key=b"k").inserted == len(rows)
    form = parse_form({"items": [{"id": "opening", "en": "<script>x</script>", "zh": "<b>开场</b>", "min": 1, "max": 5}]})
    r = qa_analysis(KpiData.from_store(connect(url, read_only=True)), PERIOD, form=form)
    html = r.calibration._repr_html_() + r.agreement._repr_html_() + r.reps._repr_html_()
    assert "<img" not in html and "<script>" not in html and "&lt;img" in html
    before = _count(url)
    bad = _reviews_csv(tmp_path, [("Z1", calls[0], "QA01", "opening", 9)])
    code, out, err = _run(["ingest", "qa_reviews", str(bad), "--db", url], capsys)
    assert code == 2 and "Traceback" not in err
    assert "reviews.csv, row 1 (line 2), column score: score 9.0 of item opening is outside its scale 1.0-5.0" in err
    assert _count(url) == before
