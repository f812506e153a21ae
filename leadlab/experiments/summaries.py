"""Plain summaries per arm — counts (``from_counts``) or means (``from_stats``) — analysed
with the same estimation and decision rule as a store experiment.

>>> r = from_counts([("A", 1000, 80), ("B", 1000, 95)])
>>> float(round(r.effects.effect.iloc[0], 3))
0.015
"""

from __future__ import annotations

from leadlab.experiments import stats as S
from leadlab.experiments import validation as V
from leadlab.experiments.effects import effects_table
from leadlab.experiments.metrics import Metric
from leadlab.experiments.moments import ArmData, ArmTable, arms_frame
from leadlab.experiments.results import ExperimentResult, Notice


def from_counts(arms, *, control: str | None = None, alpha: float = 0.05, alternative: str = "two-sided",
                weights: dict[str, float] | None = None, metric_name: str = "conversion_rate",
                prior=(1.0, 1.0), seed: int = 0, srm_threshold: float = 0.001) -> ExperimentResult:
    """Analyse a proportion from per-arm ``(name, units, successes)``; the first arm is the
    control unless ``control`` names another.

    >>> r = from_counts([("A", 1000, 80), ("B", 1000, 95)], alpha=0.05)
    >>> float(round(r.effects.p_value.iloc[0], 4)), r.decision
    (0.2351, 'inconclusive')
    """
    parsed = V.parse_counts(arms)
    control = V.check_arms([p[0] for p in parsed], control, "from-counts")
    tab = ArmTable(tuple(ArmData(n, u, {metric_name: S.ArmMoments.from_counts(u, s)}) for n, u, s in parsed))
    tab = tab.ordered(control)
    metric = Metric(metric_name, binary=True, percent=True)
    eff = effects_table(tab, [metric], control=control, unit_is_lead=True, unit_label="unit", alpha=alpha,
                        alternative=alternative, prior=prior, seed=seed)
    arms_df = arms_frame({n: u for n, u, _ in parsed}, weights)
    notices = [Notice("no_successes")] if all(s == 0 for _, _, s in parsed) else []
    return ExperimentResult("from-counts", "unit", "unit", "counts", control, metric_name, alpha, arms_df, eff,
                            S.srm_test(arms_df.units, arms_df.planned_share), srm_threshold=srm_threshold,
                            notices=notices)


def from_stats(arms, *, control: str | None = None, alpha: float = 0.05, alternative: str = "two-sided",
               weights: dict[str, float] | None = None, metric_name: str = "mean", percent: bool = False,
               srm_threshold: float = 0.001) -> ExperimentResult:
    """Analyse a mean metric from per-arm ``(name, units, mean, sd)`` summary statistics
    (Welch's t, delta-method lift, normal Bayesian view).

    >>> r = from_stats([("A", 500, 120.0, 80.0), ("B", 500, 131.0, 85.0)])
    >>> round(float(r.effects.effect.iloc[0]), 1), r.effects.kind.iloc[0]
    (11.0, 'mean')
    """
    parsed = V.parse_stats(arms)
    control = V.check_arms([p[0] for p in parsed], control, "from-stats")
    tab = ArmTable(tuple(ArmData(name, n, {metric_name: S.ArmMoments.from_mean(n, mean, sd ** 2)})
                         for name, n, mean, sd in parsed)).ordered(control)
    eff = effects_table(tab, [Metric(metric_name, percent=percent)], control=control, unit_is_lead=True,
                        unit_label="unit", alpha=alpha, alternative=alternative)
    arms_df = arms_frame({p[0]: p[1] for p in parsed}, weights)
    return ExperimentResult("from-stats", "unit", "unit", "stats", control, metric_name, alpha, arms_df,
                            eff, S.srm_test(arms_df.units, arms_df.planned_share), srm_threshold=srm_threshold)
