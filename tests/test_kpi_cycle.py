"""Sales cycle with competing risks (issue 8, item 6): Aalen–Johansen cumulative incidence of
winning and losing, against lifelines and by seeded simulation with lost deals.

lifelines (0.30.3) requires pandas < 3, so it cannot be a dev dependency of this project; its
``AalenJohansenFitter(calculate_variance=True)`` output on the fixed data below was computed once
in a separate virtualenv (pandas 2.3.3) by this script and pasted here::

    rng = np.random.default_rng(8); t = np.round(rng.gamma(2.0, 20.0, 30), 2)
    e = rng.choice([0, 1, 2], size=30, p=[0.2, 0.4, 0.4])
    aj = AalenJohansenFitter(calculate_variance=True).fit(t, e, event_of_interest=k)
    aj.cumulative_density_.iloc[1:, 0], aj.variance_.iloc[1:]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from leadlab.kpi.cycle import aalen_johansen, cycle_stats, naive_figures, sales_cycle

DAYS = [9.09, 2.18, 14.22, 64.65, 57.34, 60.83, 19.15, 32.24, 16.06, 43.59, 6.39, 30.37, 29.48, 4.99, 15.67, 31.26,
    21.66, 91.86, 1.6, 74.35, 7.56, 33.34, 61.3, 14.59, 11.79, 11.58, 123.71, 52.85, 58.02, 34.76]
CAUSE = [1, 1, 1, 0, 2, 1, 1, 2, 2, 2, 1, 1, 0, 0, 1, 0, 1, 2, 2, 1, 1, 2, 2, 2, 1, 1, 0, 1, 2, 1]
LL_CIF_WON = [0.0, 0.03333333333333333, 0.03333333333333333, 0.06790123456790123, 0.10246913580246914, 0.137037037037037,
    0.1716049382716049, 0.20617283950617277, 0.24074074074074067, 0.24074074074074067, 0.2753086419753086,
    0.2753086419753086, 0.30987654320987645, 0.34444444444444433, 0.34444444444444433, 0.3813168724279834,
    0.3813168724279834, 0.3813168724279834, 0.3813168724279834, 0.4210256410256409, 0.4210256410256409,
    0.46073440962329837, 0.46073440962329837, 0.46073440962329837, 0.5004431782209559, 0.5004431782209559,
    0.5004431782209559, 0.5533882030178324, 0.5533882030178324, 0.5533882030178324]
LL_VAR_WON = [0.0, 0.0010740740740740739, 0.0010740740740740739, 0.002150784376816993, 0.0031446708101181492,
    0.004055733373977542, 0.004883972068395172, 0.0056293868933710405, 0.006291977848905145,
    0.006291977848905145, 0.006871744934997486, 0.006871744934997486, 0.007368688151648064,
    0.00778280749885688, 0.00778280749885688, 0.008212553089932214, 0.008212553089932214,
    0.008212553089932214, 0.008212553089932215, 0.008661262114205188, 0.00866126211420519,
    0.00897021345135813, 0.00897021345135813, 0.00897021345135813, 0.009139407101391037, 0.00913940710139103,
    0.00913940710139103, 0.00961479372992741, 0.009614793729927466, 0.009614793729927466]
LL_CIF_LOST = [0.03333333333333333, 0.03333333333333333, 0.03333333333333333, 0.03333333333333333, 0.03333333333333333,
    0.03333333333333333, 0.03333333333333333, 0.03333333333333333, 0.03333333333333333, 0.06790123456790123,
    0.06790123456790123, 0.10246913580246911, 0.10246913580246911, 0.10246913580246911, 0.10246913580246911,
    0.10246913580246911, 0.10246913580246911, 0.14217790440012656, 0.18188667299778402, 0.18188667299778402,
    0.2215954415954415, 0.2215954415954415, 0.26130421019309896, 0.3010129787907564, 0.3010129787907564,
    0.3407217473884139, 0.3407217473884139, 0.3407217473884139, 0.3936667721852905, 0.3936667721852905]
LL_VAR_LOST = [0.001074074074074074, 0.001074074074074074, 0.001074074074074074, 0.001074074074074074, 0.001074074074074074,
    0.001074074074074074, 0.001074074074074074, 0.001074074074074074, 0.001074074074074074,
    0.0021507843768169936, 0.0021507843768169936, 0.0031446708101181492, 0.0031446708101181492,
    0.0031446708101181492, 0.0031446708101181492, 0.0031446708101181492, 0.0031446708101181492,
    0.004373054031285594, 0.005461679565333006, 0.005461679565333006, 0.00641054741226038,
    0.00641054741226038, 0.007219657572067719, 0.007889010044755023, 0.007889010044755024,
    0.008418604830322291, 0.008418604830322291, 0.008418604830322298, 0.009374526306237849,
    0.009374526306237849]


def test_equals_lifelines_aalen_johansen_to_1e_8():
    t = aalen_johansen(np.array(DAYS), np.array(CAUSE))
    assert len(t) == len(DAYS)
    np.testing.assert_allclose(t["cif_won"], LL_CIF_WON, rtol=0, atol=1e-8)
    np.testing.assert_allclose(t["cif_lost"], LL_CIF_LOST, rtol=0, atol=1e-8)
    np.testing.assert_allclose(t["var_won"], LL_VAR_WON, rtol=0, atol=1e-8)
    np.testing.assert_allclose(t["var_lost"], LL_VAR_LOST, rtol=0, atol=1e-8)


def test_tied_days_and_aggregated_rows_by_hand():
    """Whole days tie often; both causes on one day share its risk set. 6 deals: day 2 won + lost,
    day 4 open, day 5 won ×2, day 9 lost. At risk 6 → S = 4/6; day 4: 4 at risk, censored;
    day 5: 3 at risk, 2 won → CIF_won = 1/6 + (4/6)(2/3) = 11/18; day 9: 1 at risk, lost → CIF_lost = 1/6 + (4/6)(1/3)."""
    t = aalen_johansen([2, 2, 4, 5, 9], [1, 2, 0, 1, 2], [1, 1, 1, 2, 1])
    assert t["cif_won"].tolist() == pytest.approx([1 / 6, 1 / 6, 11 / 18, 11 / 18])
    assert t["cif_lost"].tolist() == pytest.approx([1 / 6, 1 / 6, 1 / 6, 1 / 6 + 4 / 6 / 3])
    # every opportunity is won, lost or still open: the three shares add up to 1 at every day
    assert (t["cif_won"] + t["cif_lost"] + t["surv"]).tolist() == pytest.approx([1.0] * 4)
    # the same rows one by one give the same curve
    rows = aalen_johansen([2, 2, 4, 5, 5, 9], [1, 2, 0, 1, 1, 2])
    assert rows["cif_won"].tolist() == pytest.approx(t["cif_won"].tolist())
    assert cycle_stats(t)["median"] == 5 and cycle_stats(t)["p_won"] == pytest.approx(11 / 18)


def _cohort(rng, n=1200, p_win=0.38, lookback=365):
    age = rng.uniform(0, lookback, n)
    win = rng.random(n) < p_win
    t = np.where(win, rng.gamma(2.5, 20.0, n), rng.gamma(2.0, 40.0, n))
    cause = np.where(t <= age, np.where(win, 1, 2), 0)
    keys, counts = np.unique(np.stack([np.floor(np.minimum(t, age)), cause], axis=1), axis=0, return_counts=True)
    return keys[:, 0], keys[:, 1].astype(int), counts.astype(float)


def test_median_days_to_win_within_5_percent_of_truth_with_lost_deals():
    """A year of 1,200 opportunities (38% won after Gamma(2.5, 20) days, true median 43.5; the rest
    lost after Gamma(2, 40) days; open when the outcome is after the cohort end), 200 runs: the
    cumulative-incidence median among won deals is within 5% of the truth on average, while the
    Kaplan–Meier median with lost deals dropped overstates it by more than 10%."""
    rng = np.random.default_rng(6)
    truth = sps.gamma(2.5, scale=20.0).median()
    cif, km = [], []
    for _ in range(200):
        days, cause, n = _cohort(rng)
        cif.append(cycle_stats(aalen_johansen(days, cause, n))["median"])
        km.append(naive_figures(pd.DataFrame({"days": days, "cause": cause, "n": n}))["km_median_lost_dropped"])
    assert abs(np.mean(cif) - truth) <= 0.05 * truth
    assert np.mean(km) > 1.10 * truth


def test_sales_cycle_on_the_store_shows_both_curves(small_store):
    from leadlab.kpi import KpiData

    res = sales_cycle(KpiData.from_store(small_store.url), "2026-10")
    f, s = res.frame, res.stats
    assert s["n"] == s["events"] + s["lost"] + s["censored"] and s["lost"] > 0
    assert f["cif_won"].is_monotonic_increasing and f["cif_lost"].is_monotonic_increasing
    assert ((f["cif_won"] + f["cif_lost"] + f["surv"]) - 1).abs().max() < 1e-9
    assert (f["cif_won_low"] <= f["cif_won"] + 1e-12).all() and (f["cif_won"] <= f["cif_won_high"] + 1e-12).all()
    assert s["median"] >= s["naive_median_won"] and s["km_median_lost_dropped"] >= s["median"]
    text = res.summary()
    assert "Median days to win, among won deals" in text and "e+" not in text and "e-0" not in text
    assert any("competing risks" in n for n in res.notes()) and any("overstates" in n for n in res.notes())
    ax = res.plot()
    assert {t.get_text() for t in ax.get_legend().get_texts()} >= {"won by day t", "lost by day t"}
