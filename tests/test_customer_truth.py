"""Customer quality against the synthetic ground truth (``small_store``: 5,000 leads, seed 7;
truth in ``store.truth["customer"]``), the collection rate re-drawn from its generator, and
targets on customer KPIs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadlab.kpi.customer import collection_interval, customer_measures, customer_quality
from leadlab.kpi.data import KpiData
from leadlab.kpi.targets import parse_targets_text, targets_report
from leadlab.synth.payments import payments

MATURED = ("2026-Q1", "2026-Q2", "2026-Q3")  # the data end on 2026-11-20: every invoice due by 30 Sep had 50+ days


@pytest.fixture(scope="module")
def data(small_store) -> KpiData:
    return KpiData.from_store(small_store.url)


@pytest.fixture(scope="module")
def won(data) -> pd.DataFrame:
    """The won deals, as :func:`leadlab.synth.payments.won_deals` reads them while generating."""
    t = data.leads
    return (t.filter(t.won_at.notnull()).select("lead_id", "rep_id", "won_at", "revenue").order_by("lead_id")
            .to_pandas())


def _reference(frame: pd.DataFrame, start: str, end: str) -> tuple[float, float, float]:
    """Collection rate and interval of invoices due in [start, end), computed in pandas (the reference)."""
    due = pd.to_datetime(frame["due_date"])
    f = frame[(due >= start) & (due < end)]
    coll = np.where(f["paid_date"].notna(), np.minimum(f["amount_paid"].fillna(0.0), f["amount_due"]), 0.0)
    c = pd.DataFrame({"lead": f["lead_id"], "d": f["amount_due"], "p": coll}).groupby("lead").sum()
    c = c[c["d"] > 0]
    return collection_interval(len(c), c["d"].sum(), c["p"].sum(), (c["d"] ** 2).sum(), (c["p"] ** 2).sum(),
                               (c["p"] * c["d"]).sum())


def test_store_query_matches_the_pandas_reference(data):
    frame = data.payments.to_pandas()
    got = customer_quality(data, "2026-Q2").frame.set_index("kpi").loc["collection_rate", ["value", "low", "high"]]
    assert tuple(got) == pytest.approx(_reference(frame, "2026-04-01", "2026-07-01"))


def test_collection_rate_of_matured_quarters_covers_the_truth(data, small_store):
    truth = small_store.truth["customer"]["payments"]["expected_collection_rate"]
    assert truth == pytest.approx(0.885)
    for q in MATURED:
        r = customer_quality(data, q)
        assert r.collection_matured or q == "2026-Q3"
        f = r.frame.set_index("kpi").loc["collection_rate"]
        assert f["n"] >= 15 and f["low"] <= truth <= f["high"], (q, f.to_dict())
    # pooled over the three quarters: closer, and still inside
    m = pd.concat([customer_measures(data, data.period(q)) for q in MATURED]).sum()
    rate, lo, hi = collection_interval(m["collection_customers"], m["amount_due"], m["amount_collected"],
                                       m["amount_due_sq"], m["amount_collected_sq"], m["amount_cross"])
    assert lo <= truth <= hi and abs(rate - truth) < 0.12 and hi - lo < 0.3


def test_collection_rate_redrawn_from_the_generator_is_unbiased_and_covered(won):
    """The 2026-Q1 investigation as a test: the same won deals, 150 fresh payment draws.
    A matured quarter's rate is unbiased for the true 0.885 (mean within 0.015) and the
    customer-level interval covers it in >= 90 % of draws; a period the data end inside is not."""
    end = pd.Timestamp("2026-11-21")
    rates, cover, open_rates = [], [], []
    for s in range(150):
        frame, truth = payments(won, np.random.default_rng([7, 5, s]), end)
        rate, lo, hi = _reference(frame, "2026-04-01", "2026-10-01")
        rates.append(rate)
        cover.append(lo <= truth["expected_collection_rate"] <= hi)
        open_rates.append(_reference(frame, "2026-10-01", "2027-01-01")[0])
    assert abs(np.mean(rates) - 0.885) < 0.015, np.mean(rates)
    assert np.mean(cover) >= 0.90, np.mean(cover)
    assert np.mean(open_rates) < 0.7  # censored: invoices not yet due or not yet paid by the data date


def test_repeat_purchase_rate_covers_the_truth(data, small_store):
    truth = small_store.truth["customer"]["payments"]["repeat_within_180_days"]
    f = customer_quality(data, "2026").frame.set_index("kpi").loc["repeat_purchase_rate"]
    assert f["n"] >= 30 and f["low"] <= truth <= f["high"]


def test_per_rep_csat_and_collection_intervals_cover_the_truth(data, small_store):
    per_rep = small_store.truth["customer"]["surveys"]["per_rep"]
    reps = customer_quality(data, "2026").reps
    c = reps.dropna(subset=["csat_mean_shrunk"])
    true = c["rep_id"].map(lambda r: per_rep[r]["csat_mean"])
    assert len(c) >= 10
    assert ((c["csat_mean_low"] <= true) & (true <= c["csat_mean_high"])).mean() >= 0.8
    # shrinkage: closer to the truth than the raw means on average
    assert ((c["csat_mean_shrunk"] - true) ** 2).mean() < ((c["csat_mean_raw"] - true) ** 2).mean()
    # collection: no rep effect in the generator, every rep's true rate is 0.885
    k = reps.dropna(subset=["collection_rate_shrunk"])
    assert len(k) >= 10
    assert ((k["collection_rate_low"] <= 0.885) & (0.885 <= k["collection_rate_high"])).mean() >= 0.8
    assert ((k["collection_rate_shrunk"] - 0.885) ** 2).mean() < ((k["collection_rate_raw"] - 0.885) ** 2).mean()


def test_targets_on_customer_kpis_use_the_same_numbers(data):
    rep = data.rep_table["rep_id"].iloc[0]
    targets = parse_targets_text(f"""
- {{scope: company, kpi: collection_rate, period: 2026-Q2, value: 0.95}}
- {{scope: team, name: {data.teams[0]}, kpi: csat_mean, period: 2026-Q2, value: 3.0}}
- {{scope: rep, name: {rep}, kpi: nps, period: 2026-Q2, value: 10}}
""")
    frame = targets_report(data, "2026-Q2", targets=targets).frame.set_index("kpi")
    company = customer_quality(data, "2026-Q2")
    assert frame.loc["collection_rate", "actual"] == pytest.approx(company.value("collection_rate"))
    team = customer_quality(data, "2026-Q2", team=data.teams[0])
    assert frame.loc["csat_mean", "actual"] == pytest.approx(team.value("csat_mean"))
    nps = company.reps.set_index("rep_id")["nps_raw"].get(rep, np.nan)
    assert frame.loc["nps", "actual"] == pytest.approx(nps, nan_ok=True)
    expected = "on track" if company.value("collection_rate") >= 0.95 else "behind"
    assert frame.loc["collection_rate", "status"] == expected


def test_cli_customer_in_both_languages_and_bad_input(small_store, tmp_path, tmp_path_factory, capsys):
    from testkit import private_copy, run_cli

    url, _, _ = private_copy(small_store, tmp_path_factory, "customer_cli")  # the module's store is open read-write
    db = ["--db", url]
    assert run_cli(["kpi", "customer", "--period", "2026-Q2", *db]) == 0
    out = capsys.readouterr().out
    assert "Collection rate" in out and "Net Promoter Score" in out
    xlsx = tmp_path / "reps.xlsx"
    assert run_cli(["--lang", "zh", "kpi", "customer", "--period", "2026-Q2", "--by", "rep", "--out", str(xlsx), *db]) == 0
    out = capsys.readouterr().out
    assert "回款率" in out and "收缩后" not in out and xlsx.exists()
    sheet = pd.read_excel(xlsx)
    assert "回款率（收缩后）" in sheet.columns and len(sheet) >= 10
    assert sheet["回款率（收缩后）"].dropna().between(0, 1).all()
    assert run_cli(["kpi", "customer", "--period", "2026-Q2", "--by", "team", *db]) == 0
    assert "East" in capsys.readouterr().out
    # user mistakes: one line, exit 2, nothing written
    bad = tmp_path / "out.pdf"
    for args, needle in ((["--out", str(bad)], "--out"), (["--team", "Nope"], "unknown team 'Nope'"),
                         (["--by", "team", "--team", "East"], "--by team"), (["--period", "2026-13"], "period")):
        assert run_cli(["kpi", "customer", "--period", "2026-Q2", *args, *db]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error:") and needle in err and "Traceback" not in err
    assert not bad.exists()
    assert run_cli(["--lang", "zh", "kpi", "customer", "--by", "team", "--team", "East", *db]) == 2
    assert capsys.readouterr().err.startswith("错误：")


def test_per_rep_intervals_stay_on_the_scores_scale(data):
    """A rep with one or two answers gets a wide normal interval: it is clipped to the scale
    (NPS −100…100, CSAT 1…5), never past it."""
    reps = customer_quality(data, "2026-Q3").reps
    nps = reps[["nps_low", "nps_high", "nps_shrunk"]].stack().dropna()
    csat = reps[["csat_mean_low", "csat_mean_high", "csat_mean_shrunk"]].stack().dropna()
    assert len(nps) and nps.between(-100, 100).all()
    assert len(csat) and csat.between(1, 5).all()
