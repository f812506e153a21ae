"""Count KPIs with overdispersed daily counts (issue 8, item 5): the dispersion of the trailing
periods' daily counts (weekday-adjusted) feeds the period comparison and the u'-chart limits."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats as sps

from leadlab.kpi import stats

WEEKDAY = np.array([1.1, 1.0, 1.05, 0.9, 0.95])


def _months(rng, level: float, phi: float, months: int = 7):
    out = []
    for _ in range(months):
        days = int(rng.integers(21, 24))
        wd = (np.arange(days) + int(rng.integers(0, 5))) % 5
        mean = level * WEEKDAY[wd]
        out.append((rng.negative_binomial(mean / (phi - 1), 1 / phi).astype(float), wd))
    return out


def test_dispersion_equals_statsmodels_quasi_poisson_glm():
    """Fixed seeded numbers: 3 months of daily counts over all seven days (weekends quiet, one
    weekday with no activity at all), Pearson X²/df of the Poisson GLM with month and weekday."""
    rng = np.random.default_rng(31)
    days = pd.date_range("2026-07-01", "2026-09-30", freq="D")
    wd = days.day_of_week.to_numpy()
    lam = np.array([40, 38, 0, 35, 30, 6, 4])[wd] * np.where(days.month == 8, 1.2, 1.0)
    y = np.where(lam > 0, rng.negative_binomial(np.maximum(lam, 1e-9) / 1.0, 0.5), 0).astype(float)
    d = stats.poisson_dispersion(y, days.month.to_numpy(), wd)
    f = pd.DataFrame({"y": y, "g": days.month, "wd": wd})
    f = f[f["wd"] != 2]  # a weekday without any activity is a structural zero, not data
    ref = smf.glm("y ~ C(g) + C(wd)", f, family=sm.families.Poisson()).fit(scale="X2")
    assert d.phi == pytest.approx(ref.scale, rel=1e-8) and d.df == ref.df_resid
    assert d.phi > 1.5 and d.weekday[2] == 0 and d.weekday[d.weekday > 0].mean() == pytest.approx(1.0)


def test_quasi_poisson_test_equals_statsmodels_glm_with_fixed_scale():
    c1, t1, c2, t2, phi, df = 2610.0, 21.4, 2388.0, 22.3, 2.7, 118.0
    p = stats.quasi_poisson_test(c1, t1, c2, t2, phi, df)
    f = pd.DataFrame({"y": [c1, c2], "cur": [1.0, 0.0], "t": [t1, t2]})
    with warnings.catch_warnings():  # a saturated two-row model: statsmodels warns about perfect prediction
        warnings.simplefilter("ignore")
        ref = sm.GLM(f["y"], sm.add_constant(f[["cur"]]), family=sm.families.Poisson(),
                     offset=np.log(f["t"])).fit(scale=phi, tol=1e-14, maxiter=200)
    z = ref.tvalues["cur"]
    assert p == pytest.approx(2 * sps.t.sf(abs(z), df), rel=1e-10)
    # no overdispersion: the exact conditional Poisson test, as before
    assert stats.quasi_poisson_test(249, 22, 201, 22, 0.8, 100) == stats.poisson_rate_test(249, 22, 201, 22)
    assert math.isnan(stats.quasi_poisson_test(0, 22, 0, 21, 2.0, 100))


@pytest.mark.parametrize("phi", [1.5, 3.0])
def test_false_positive_rate_on_stationary_overdispersed_months(phi):
    """Stationary months (negative binomial, variance phi × mean): the exact Poisson test per business
    day flags 10–28% of month pairs (benchmarks/kpi_audit.py); the quasi-Poisson test ≤ 0.06, and the
    u'-chart with the same dispersion raises few false alarms."""
    rng = np.random.default_rng(int(phi * 10))
    runs, old, new, chart = 1500, 0, 0, 0
    for _ in range(runs):
        m = _months(rng, 100.0, phi)
        cur, ref, hist = m[0], m[1], m[1:]
        old += stats.poisson_rate_test(cur[0].sum(), len(cur[0]), ref[0].sum(), len(ref[0])) < 0.05
        y = np.concatenate([h[0] for h in hist])
        grp = np.concatenate([np.full(len(h[0]), i) for i, h in enumerate(hist)])
        disp = stats.poisson_dispersion(y, grp, np.concatenate([h[1] for h in hist]))
        expo = [float(disp.weekday[h[1]].sum()) for h in m]
        new += stats.quasi_poisson_test(cur[0].sum(), expo[0], ref[0].sum(), expo[1], disp.used, disp.df) < 0.05
        _, lo, hi = stats.u_chart_limits([h[0].sum() for h in hist], expo[1:], expo[0], phi=disp.used)
        chart += not lo <= cur[0].sum() <= hi
    assert old / runs > 0.09
    assert new / runs <= 0.06
    assert chart / runs <= 0.01


def test_u_chart_limits_widen_with_the_dispersion():
    c, lo, hi = stats.u_chart_limits([100, 110, 90], [10, 10, 10], 10, laney=False, phi=4.0)
    assert (c, lo, hi) == pytest.approx((100.0, 40.0, 160.0))
    assert stats.u_chart_limits([100, 110, 90], [10, 10, 10], 10, laney=False, phi=0.5) == pytest.approx((100, 70, 130))


def test_kpi_table_reports_the_dispersion_of_count_kpis(small_store):
    from leadlab.kpi import KpiData, kpi_table

    t = kpi_table(KpiData.from_store(small_store.url), "2026-10")
    f = t.frame.set_index("kpi")
    counts = [k for k in ("dials", "new_leads", "sql", "won") if k in f.index]
    assert f.loc[counts, "dispersion"].notna().all() and (f.loc[counts, "dispersion"] > 0).all()
    assert f.loc[["call_connect_rate"], "dispersion"].isna().all()
    assert "quasi-Poisson" in t.notes()[0] and "weekday-adjusted" in t.notes()[0]
    # the daily counts behind the dispersion add up to the period's KPI values
    from leadlab.kpi.compare import daily_counts

    per = t.period
    daily = daily_counts(KpiData.from_store(small_store.url), per.start, per.end)
    assert len(daily) == 31
    for kpi, col in (("dials", "dials"), ("new_leads", "new_leads"), ("sql", "sqls"), ("won", "won")):
        assert daily[col].sum() == f.loc[kpi, "value"], kpi
