"""Customer quality KPIs: hand-computed fixture, references (scipy), interval coverage by
simulation at small n, shrinkage, both languages."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from leadlab.i18n import use_lang
from leadlab.kpi.customer import (customer_measures, customer_quality, mean_interval, nps_interval,
                                  rep_customer_scores, shrink_means)
from leadlab.kpi.data import KpiData

T = pd.Timestamp


@pytest.fixture(scope="module")
def data() -> KpiData:
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "team": ["East", "East"], "hourly_cost": [30.0, 30.0]})
    leads = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4"], "created_at": [T("2026-01-01")] * 4, "source": ["web_form"] * 4,
        "rep_id": ["R1", "R2", "R1", "R2"],
        "won_at": [T("2026-04-10 10:00"), T("2026-04-20 15:00"), pd.NaT, T("2026-09-15 09:00")],
        "revenue": [1000.0, 500.0, np.nan, 1000.0]})
    calls = pd.DataFrame({"call_id": ["C1", "C2"], "lead_id": ["L1", "L3"], "rep_id": ["R1", "R1"],
                          "started_at": [T("2026-10-02 10:00"), T("2026-10-30 10:00")], "talk_seconds": [60.0, 30.0],
                          "disposition": ["callback", "complaint"]})
    surveys = pd.DataFrame({
        "survey_id": [f"S{i}" for i in range(1, 7)], "lead_id": ["L1", "L2", "L3", "L4", "L4", "L1"],
        "surveyed_at": [T("2026-10-03"), T("2026-10-04"), T("2026-10-05"), T("2026-10-06"), T("2026-10-07"),
                        T("2026-09-30 23:59")],  # the last one is outside October
        "csat": pd.array([5, 4, 2, 3, None, 1], dtype="Int64"), "nps": pd.array([10, 8, 3, None, 9, 0], dtype="Int64"),
        "channel": ["sms"] * 6, "rep_id": [None, "R2", "R1", "R2", "R2", "R1"]})
    d = pd.to_datetime
    payments = pd.DataFrame({
        "payment_id": ["Q1", "Q2", "Q3", "Q4"], "lead_id": ["L1", "L2", "L4", "L1"],
        "kind": ["deal", None, "deal", "repeat"],
        "issued_at": d(["2026-09-20", "2026-10-05", "2026-10-10", "2026-06-01"]).date,
        "due_date": d(["2026-10-20", "2026-10-31", "2026-11-10", "2026-07-01"]).date,
        "amount_due": [600.0, 400.0, 1000.0, 200.0],
        "paid_date": pd.Series([d("2026-10-25").date(), d("2026-11-03").date(), None, d("2026-07-01").date()]),
        "amount_paid": [650.0, 100.0, np.nan, 200.0]})  # Q1 overpaid: counted up to the amount due
    return KpiData.from_frames(leads=leads, calls=calls, reps=reps, surveys=surveys, payments=payments)


def test_hand_computed_company_kpis(data):
    r = customer_quality(data, "2026-10")
    v = r.frame.set_index("kpi")["value"]
    # CSAT answers 5, 4, 2, 3 -> mean 3.5, satisfied 2 of 4; NPS answers 10, 8, 3, 9 -> (2 - 1) / 4
    assert v["csat_mean"] == pytest.approx(3.5) and v["csat_top2_rate"] == pytest.approx(0.5)
    assert v["nps"] == pytest.approx(25.0)
    # due in October: Q1 600 (paid 650 -> 600 counted), Q2 400 (paid 100) -> 700 / 1000
    assert v["collection_rate"] == pytest.approx(0.7)
    # receivables on 1 Nov: Q2 400 + Q3 1000 (Q1, Q4 paid before); invoiced in October: 400 + 1000; 31 days
    assert v["dso_days"] == pytest.approx(1400 / 1400 * 31)
    # cohort = won in [4 Apr, 5 May): L1, L2; L1 reordered on 1 Jun (within 180 days)
    assert v["repeat_purchase_rate"] == pytest.approx(0.5)
    assert r.complaints_per_1000 == pytest.approx(500.0)  # the existing complaint KPI, reused


def test_per_rep_measures_credit_the_owner_when_the_survey_names_no_rep(data):
    m = customer_measures(data, data.period("2026-10"), by_rep=True).set_index("rep_id")
    assert m.loc["R1", "csat_responses"] == 2 and m.loc["R1", "csat_sum"] == 7  # S1 (owner R1) and S3
    assert m.loc["R2", "nps_responses"] == 2 and m.loc["R2", "nps_net"] == 1  # 8 passive, 9 promoter
    assert m.loc["R1", "amount_due"] == 600 and m.loc["R2", "amount_collected"] == 100


def test_team_filter_and_empty_period(data):
    assert customer_quality(data, "2026-10", team="East").value("nps") == pytest.approx(25.0)
    empty = customer_quality(data, "2025-01")
    assert empty.frame["value"].isna().all() and "No survey answers" in empty.verdict()


def test_nps_interval_reference_numbers():
    # adjusted Wald by hand: (50+1)/103 - (20+1)/103, multinomial variance / 103
    p, d, m = 51 / 103, 21 / 103, 103
    se = math.sqrt((p + d - (p - d) ** 2) / m)
    est, lo, hi = nps_interval(50, 20, 100)
    assert est == pytest.approx(30.0)
    assert lo == pytest.approx(100 * (p - d - st.norm.ppf(0.975) * se))
    assert hi == pytest.approx(100 * (p - d + st.norm.ppf(0.975) * se))
    assert all(math.isnan(x) for x in nps_interval(0, 0, 0))


def test_mean_interval_matches_scipy():
    x = np.array([5, 4, 4, 3, 5, 2, 1, 4.0])
    mean, lo, hi = mean_interval(x.sum(), (x**2).sum(), len(x))
    ref = st.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=st.sem(x))
    assert mean == pytest.approx(x.mean()) and (lo, hi) == pytest.approx(ref)


@pytest.mark.parametrize("n", [5, 10, 30])
def test_nps_interval_coverage_at_small_n(n):
    rng = np.random.default_rng(n)
    z = st.norm.ppf(0.975)
    covs = []
    for pp, pd_ in [(0.05, 0.02), (0.2, 0.5), (0.4, 0.3), (0.6, 0.1), (0.8, 0.1), (0.95, 0.02)]:
        x = rng.multinomial(n, [pp, pd_, 1 - pp - pd_], size=4000)
        m = n + 3
        p, d = (x[:, 0] + 1) / m, (x[:, 1] + 1) / m
        se = np.sqrt((p + d - (p - d) ** 2) / m)
        lo, hi = np.maximum(p - d - z * se, -1), np.minimum(p - d + z * se, 1)
        covs.append(np.mean((lo <= pp - pd_) & (pp - pd_ <= hi)))
        # the vectorised check is the function's formula: spot-check it against the function itself
        e, l1, h1 = nps_interval(x[0, 0], x[0, 1], n)
        assert (l1, h1) == pytest.approx((100 * lo[0], 100 * hi[0]))
    assert min(covs) >= 0.90 and np.mean(covs) >= 0.94, covs


def test_shrink_means_coverage_and_gain_over_raw_means():
    rng = np.random.default_rng(3)
    reps, sims, tau, sigma = 12, 300, 0.3, 1.0
    n = rng.integers(3, 40, reps)
    cover, mse_raw, mse_shrunk = [], 0.0, 0.0
    for _ in range(sims):
        theta = 4.0 + rng.normal(0, tau, reps)
        y = [theta[i] + rng.normal(0, sigma, k) for i, k in enumerate(n)]
        d = shrink_means([v.sum() for v in y], [(v**2).sum() for v in y], n)
        cover.append(((d["low"] <= theta) & (theta <= d["high"])).mean())
        mse_raw += ((d["raw"] - theta) ** 2).mean()
        mse_shrunk += ((d["shrunk"] - theta) ** 2).mean()
    assert np.mean(cover) >= 0.90, np.mean(cover)
    assert mse_shrunk < 0.8 * mse_raw


def test_rep_scores_pull_small_samples_towards_the_mean():
    m = pd.DataFrame({"rep_id": ["A", "B", "C"], "csat_responses": [2.0, 200.0, 200.0],
                      "csat_sum": [10.0, 800.0, 700.0], "csat_sq": [50.0, 3300.0, 2600.0],
                      "csat_top2": [2.0, 150.0, 110.0], "nps_responses": [2.0, 200.0, 200.0],
                      "nps_net": [2.0, 60.0, 10.0], "promoters": [2.0, 90.0, 60.0], "detractors": [0.0, 30.0, 50.0],
                      "amount_due": [0.0, 100.0, 100.0], "amount_collected": [0.0, 90.0, 50.0]})
    f = rep_customer_scores(m).set_index("rep_id")
    assert f.loc["A", "csat_mean_raw"] == 5.0 and f.loc["A", "csat_mean_shrunk"] < 4.8
    assert f.loc["A", "nps_shrunk"] < f.loc["A", "nps_raw"] == 100.0
    assert f.loc["A", "csat_top2_rate_shrunk"] < 1.0 and f.loc["B", "collection_rate"] == pytest.approx(0.9)
    assert (f["nps_low"] <= f["nps_shrunk"]).all() and (f["nps_shrunk"] <= f["nps_high"]).all()


def test_both_languages(data):
    r = customer_quality(data, "2026-10")
    with use_lang("en"):
        en = r.summary() + r.rep_frame().to_string()
    with use_lang("zh"):
        zh = r.summary() + r.rep_frame().to_string() + r.verdict()
    assert "Net Promoter Score" in en and "25.0" in en
    assert "净推荐值" in zh and "回款率" in zh
    assert not re.search(r"\b(the|of|and|answers)\b", zh), zh
