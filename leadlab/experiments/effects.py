"""Per-metric estimation from typed moments: each (metric, treatment arm) comparison — the
frequentist effect (z, exact, Welch, delta method, small-sample t, CUPED), the Bayesian view,
the always-valid interval, the guardrail test — and the funnel's step conversions.

Notes on a comparison are codes (``exact_test``, ``cuped_small_counts``, ``cuped_few_units``,
``zero_everywhere``), rendered in words by :mod:`leadlab.experiments.texts`.

>>> from leadlab.experiments.moments import ArmData, ArmTable
>>> from leadlab.experiments.metrics import Metric
>>> from leadlab.experiments.stats import ArmMoments
>>> tab = ArmTable((ArmData("A", 1000, {"y": ArmMoments.from_counts(1000, 80)}),
...                 ArmData("B", 1000, {"y": ArmMoments.from_counts(1000, 95)})))
>>> e = effects_table(tab, [Metric("y", binary=True)], control="A", unit_is_lead=True, unit_label="unit",
...                   alpha=0.05, alternative="two-sided")
>>> round(float(e.effect.iloc[0]), 3), round(float(e.p_value.iloc[0]), 4)
(0.015, 0.2351)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from leadlab.errors import DataError
from leadlab.experiments import stats as S
from leadlab.experiments.decision import decide
from leadlab.experiments.metrics import FUNNEL_STAGES, Metric
from leadlab.experiments.moments import ArmTable
from leadlab.experiments.multitest import step_family
from leadlab.experiments.sequential import LookPlan
from leadlab.i18n import _

#: Fewer units than this in the two arms together: no CUPED (theta would be overfitted).
MIN_CUPED_UNITS = 16

#: Columns of the comparison table, in order.
EFFECT_COLUMNS = [
    "metric", "label", "arm", "control", "kind", "analysis_unit", "naive", "units", "control_units",
    "control_value", "value", "effect", "ci_low", "ci_high", "rel_effect", "rel_ci_low", "rel_ci_high",
    "p_value", "rel_p_value", "p_adj", "p_holm", "p_bh", "significant", "chance_to_beat", "expected_loss",
    "cred_low", "cred_high", "seq_ci_low", "seq_ci_high", "seq_cs_low", "seq_cs_high", "p_always_valid", "p_seq",
    "level", "cuped", "variance_reduction", "guardrail",
    "margin", "noninferior", "ni_p_value", "guardrail_status", "higher_is_better", "percent", "method", "nan_units", "notes",
]


def _frequentist(cm: S.ArmMoments, tm: S.ArmMoments, *, kind: str, cuped: bool, clustered: bool, alpha: float,
                 alternative: str) -> tuple[S.Effect, bool, list[str]]:
    """(effect, CUPED used, note codes)."""
    notes: list[str] = []
    if cuped and kind == "proportion" and min(cm.sy, cm.n - cm.sy, tm.sy, tm.n - tm.sy) < S.SMALL_CELL:
        notes.append("cuped_small_counts")
        cuped = False
    if cuped and (cm.sxx > 0 or tm.sxx > 0) and cm.n + tm.n < MIN_CUPED_UNITS:
        notes.append("cuped_few_units")
        cuped = False
    if cuped and (cm.sxx > 0 or tm.sxx > 0):
        return S.unit_effect(cm, tm, cuped=True, small_sample=clustered, alpha=alpha, alternative=alternative), True, notes
    if kind == "proportion":
        eff = S.two_proportions(cm.n, cm.sy, tm.n, tm.sy, alpha=alpha, alternative=alternative)
    elif clustered:
        eff = S.unit_effect(cm, tm, small_sample=True, alpha=alpha, alternative=alternative)
    else:
        eff = S.compare(S.ratio_estimate(cm), S.ratio_estimate(tm), alpha=alpha, alternative=alternative,
                        welch_df=True)
    return eff, False, notes


def effect_row(metric: Metric, arm: str, control: str, cm: S.ArmMoments, tm: S.ArmMoments, *, kind: str,
               unit_label: str, naive: bool, alpha: float, alternative: str, cuped: bool, prior, seed: int,
               seq_tuning: float = 5000.0, clustered: bool = False) -> dict:
    """One comparison of ``tm`` (treatment arm) with ``cm`` (control) as a row of facts."""
    eff, used_cuped, notes = _frequentist(cm, tm, kind=kind, cuped=cuped, clustered=clustered, alpha=alpha,
                                          alternative=alternative)
    notes += eff.notes
    hib = metric.higher_is_better
    if kind == "proportion" and not used_cuped and (prior is None or isinstance(prior, tuple)):
        b = S.beta_binomial(cm.n, cm.sy, tm.n, tm.sy, prior=prior or (1.0, 1.0), alpha=alpha, seed=seed,
                            higher_is_better=hib)
    else:
        prior_sd = prior.get(metric.name) if isinstance(prior, dict) else None
        b = S.normal_posterior(eff.effect, eff.se, prior_sd=prior_sd, alpha=alpha, higher_is_better=hib)
    n_all = cm.n + tm.n
    slo, shi = S.confidence_sequence(eff.effect, eff.se, n_all, alpha=alpha, tuning=seq_tuning)
    p_av = S.always_valid_p(eff.effect, eff.se, n_all, alpha=alpha, tuning=seq_tuning)
    zero = cm.sy == 0 and tm.sy == 0
    if zero:
        notes.append("zero_everywhere")
    ni, ni_p, status = math.nan, math.nan, ""
    if metric.guardrail:
        ni, ni_p = S.non_inferiority(eff, metric.margin, alpha=alpha, higher_is_better=hib)
        harmful = (eff.ci_low > 0) if not hib else (eff.ci_high < 0)
        if zero:
            status, ni = "ok", True
        else:
            status = "failed" if harmful else ("ok" if ni else "unclear")
    return dict(
        metric=metric.name, label=metric.label or "", arm=arm, control=control, kind=kind, analysis_unit=unit_label,
        naive=naive, units=tm.n, control_units=cm.n, control_value=eff.control_value, value=eff.value,
        effect=eff.effect, ci_low=eff.ci_low, ci_high=eff.ci_high, rel_effect=eff.rel_effect,
        rel_ci_low=eff.rel_ci_low, rel_ci_high=eff.rel_ci_high, p_value=eff.p_value, rel_p_value=eff.rel_p_value,
        chance_to_beat=b.chance_to_beat, expected_loss=b.expected_loss, cred_low=b.cred_low, cred_high=b.cred_high,
        seq_cs_low=slo, seq_cs_high=shi, p_always_valid=p_av, cuped=used_cuped,
        variance_reduction=eff.variance_reduction if used_cuped else math.nan, guardrail=metric.guardrail,
        margin=metric.margin if metric.guardrail else math.nan, noninferior=bool(ni) if metric.guardrail else True,
        ni_p_value=ni_p, guardrail_status=status, higher_is_better=hib, percent=metric.percent, method=eff.method,
        se=eff.se, df=eff.df, notes="; ".join(notes),
    )


def effects_table(arms: ArmTable, metrics: list[Metric], *, control: str, unit_is_lead: bool, unit_label: str,
                  alpha: float, alternative: str, covariate: bool = False, naive: bool = False,
                  primary: str | None = None, prior=None, seed: int = 0, cuped_metrics: set[str] | None = None,
                  seq_tuning: float = 5000.0, clustered: bool = False, plan: LookPlan | None = None) -> pd.DataFrame:
    """Every (metric, treatment arm) comparison, decided by
    :func:`leadlab.experiments.decision.decide` (Holm, the look's level). ``covariate``: the
    moments carry a pre-period covariate (CUPED, for ``cuped_metrics`` or all); ``clustered``:
    units are clusters (reps), small-sample t; ``plan``: the look plan (default: one look)."""
    rows = []
    ctrl = arms.get(control)
    for m in metrics:
        for a in arms.arms:
            if a.arm == control:
                continue
            if naive:
                cm, tm = ctrl.naive(m.name, m.scale), a.naive(m.name, m.scale)
                if cm is None or tm is None:
                    continue
                kind = "proportion" if m.binary else "mean"
            else:
                cm, tm = ctrl.metric(m.name, m.scale), a.metric(m.name, m.scale)
                kind = m.kind(unit_is_lead)
            if cm.n == 0 or tm.n == 0:
                zero = control if cm.n == 0 else a.arm
                raise DataError(_("arm {arm} has zero units with a value of metric {metric}; cannot compare",
                                  arm=repr(zero), metric=repr(m.name)))
            r = effect_row(m, a.arm, control, cm, tm, kind=kind, unit_label=unit_label, naive=naive, alpha=alpha,
                           alternative=alternative, prior=prior, seed=seed, seq_tuning=seq_tuning,
                           cuped=covariate and not naive and (cuped_metrics is None or m.name in cuped_metrics),
                           clustered=clustered and not naive)
            r["nan_units"] = a.left_out.get(m.name, 0) + ctrl.left_out.get(m.name, 0)
            rows.append(r)
    if not rows:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    df = decide(pd.DataFrame(rows), alpha=alpha, plan=plan or LookPlan(None, 1), primary=primary or metrics[0].name)
    return df[EFFECT_COLUMNS + ["p_decision", "se", "df"]]


def funnel(arms: ArmTable, control: str, *, unit_is_lead: bool, alpha: float) -> pd.DataFrame:
    """Per arm and stage (``stage`` = the stage id of :data:`FUNNEL_STAGES`): count, share of
    leads, step conversion and its effect vs control (Holm across steps)."""
    rows = []
    ctrl = arms.get(control)
    for a in arms.arms:
        leads = a.moments["n_leads"].sy
        for i, (col, stage) in enumerate(FUNNEL_STAGES):
            count = a.moments[col].sy
            d = dict(arm=a.arm, stage=stage, count=count, rate=count / leads if leads else math.nan)
            if i == 0:
                d.update(step_rate=1.0)
            else:
                tm = a.metric(f"step_{col}")
                d["step_rate"] = tm.sy / tm.sd if tm.sd else math.nan
                cm = ctrl.metric(f"step_{col}")
                if a.arm != control and cm.sd > 0 and tm.sd > 0:
                    e = (S.compare(S.ratio_estimate(cm), S.ratio_estimate(tm), alpha=alpha, welch_df=False)
                         if unit_is_lead else S.unit_effect(cm, tm, small_sample=True, alpha=alpha))
                    d.update(step_effect=e.effect, step_ci_low=e.ci_low, step_ci_high=e.ci_high, step_p=e.p_value)
            rows.append(d)
    f = pd.DataFrame(rows)
    for c in ("step_effect", "step_ci_low", "step_ci_high", "step_p"):
        if c not in f:
            f[c] = np.nan
    return step_family(f, alpha)
