"""Result objects of an experiment analysis: text, HTML, DataFrame, plots, verdict.

>>> from leadlab.experiments import from_counts
>>> r = from_counts([("A", 10000, 790), ("B", 10000, 910)])
>>> r.verdict().startswith("B raises the conversion rate from 7.9% to 9.1%")
True
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Columns of the comparison table, in order.
EFFECT_COLUMNS = [
    "metric", "label", "arm", "control", "kind", "analysis_unit", "naive", "units", "control_units",
    "control_value", "value", "effect", "ci_low", "ci_high", "rel_effect", "rel_ci_low", "rel_ci_high",
    "p_value", "rel_p_value", "p_adj", "p_holm", "p_bh", "significant", "chance_to_beat", "expected_loss",
    "cred_low", "cred_high", "seq_ci_low", "seq_ci_high", "cuped", "variance_reduction", "guardrail",
    "margin", "noninferior", "ni_p_value", "guardrail_status", "higher_is_better", "percent", "method", "nan_units", "notes",
]


def fmt_value(v: float, percent: bool) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if percent:
        return f"{v:.1%}"
    return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def fmt_effect(v: float, percent: bool, unit: bool = True) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if math.isinf(v):
        return "+inf" if v > 0 else "-inf"
    if percent:
        return f"{v * 100:+.1f}" + (" pp" if unit else "")
    return f"{v:+,.3g}"


def fmt_rel(v: float) -> str:
    if v is None or (isinstance(v, float) and (math.isnan(v) or math.isinf(v))):
        return "n/a"
    return f"{v:+.1%}"


def fmt_p(p: float) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "n/a"
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


@dataclass
class ExperimentResult:
    """The analysis of one experiment.

    ``effects`` has one row per (metric, treatment arm) (columns :data:`EFFECT_COLUMNS`);
    ``arms`` the units per arm and the planned shares; ``funnel`` the per-arm funnel with the
    step-conversion comparisons; ``segments`` the primary metric's effect per segment.
    """

    experiment_id: str
    unit_type: str
    analysis_unit: str
    data_grain: str
    control: str
    primary_metric: str
    alpha: float
    arms: pd.DataFrame
    effects: pd.DataFrame
    srm_p_value: float
    srm_threshold: float = 0.001
    naive: bool = False
    contaminated_units: int = 0
    duplicate_rows: int = 0
    unknown_units: int = 0
    covariate: str | None = None
    covariate_missing: int = 0
    funnel: pd.DataFrame | None = None
    segments: pd.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)
    name: str = ""
    unit_noun: str = "unit"
    mde_relative: float = 0.10
    power_target: float = 0.8

    # --- facts -------------------------------------------------------------------------
    @property
    def srm_ok(self) -> bool:
        return not (self.srm_p_value < self.srm_threshold)

    def primary(self) -> pd.DataFrame:
        return self.effects[self.effects.metric == self.primary_metric]

    def guardrails(self) -> pd.DataFrame:
        return self.effects[self.effects.guardrail]

    @property
    def decision(self) -> str:
        """``ship``, ``keep_control``, ``inconclusive``, ``hold`` (guardrail) or ``invalid`` (SRM)."""
        return self._decide()[0]

    def _decide(self) -> tuple[str, str]:
        prim = self.primary()
        if prim.empty:
            return "inconclusive", ""
        if not self.srm_ok:
            return "invalid", ""
        better = prim[(prim.significant) & ((prim.effect > 0) == prim.higher_is_better)]
        if not better.empty:
            best = better.sort_values("effect", ascending=not better.higher_is_better.iloc[0]).iloc[0]
            bad = self.guardrails()
            bad = bad[(bad.arm == best.arm) & (bad.guardrail_status == "failed")]
            if not bad.empty:
                return "hold", best.arm
            return "ship", best.arm
        worse = prim[prim.significant]
        if len(worse) == len(prim):
            return "keep_control", ""
        return "inconclusive", ""

    @property
    def sequential_status(self) -> str:
        """Whether the always-valid interval of the primary metric allows stopping."""
        prim = self.primary()
        if prim.empty or prim.seq_ci_low.isna().all():
            return "no sequential result (no primary metric)"
        done = prim[(prim.seq_ci_low > 0) | (prim.seq_ci_high < 0)]
        if not done.empty:
            arms = ", ".join(done.arm)
            return (f"may stop: the always-valid {1 - self.alpha:.0%} interval of {self.primary_metric} "
                    f"for {arms} excludes zero, so the result holds however often it was looked at")
        return ("keep running if this is an early look: the always-valid interval still includes zero "
                "(checking daily is fine; it accounts for repeated looks). At the planned end date the verdict applies")

    # --- words ---------------------------------------------------------------------------
    def verdict(self) -> str:
        """One plain-language paragraph a manager can act on."""
        prim = self.primary()
        warn = ""
        if self.naive:
            warn = (f" (NAIVE analysis: treats every lead and call as independent although whole {self.unit_type}s "
                    "were randomized; do not decide on it)")
        if prim.empty:
            return "No primary metric was analysed." + warn
        if not self.srm_ok:
            counts = ", ".join(f"{a} {int(u):,}" for a, u in zip(self.arms.arm, self.arms.units))
            return (f"Do not trust these numbers yet: the arms received {counts} {self.unit_noun}s, which does not "
                    f"match the planned split (sample-ratio mismatch, p = {fmt_p(self.srm_p_value)}). "
                    "Find out why assignment failed before deciding." + warn)
        decision, arm = self._decide()
        lvl = f"{1 - self.alpha:.0%}"
        if decision in ("ship", "hold"):
            r = prim[prim.arm == arm].iloc[0]
            verb = "raises" if r.effect > 0 else "lowers"
            text = (f"{arm} {verb} the {r.label} from {fmt_value(r.control_value, r.percent)} to "
                    f"{fmt_value(r.value, r.percent)} ({fmt_effect(r.effect, r.percent)}, {lvl} CI "
                    f"{fmt_effect(r.ci_low, r.percent, False)} to {fmt_effect(r.ci_high, r.percent, False)}).")
            if decision == "ship":
                g = self.guardrails()
                g = g[(g.arm == arm) & (g.guardrail_status == "unclear")]
                caution = ""
                if not g.empty:
                    caution = (" Keep an eye on " + ", ".join(g.label) + ": the data cannot yet rule out a worsening "
                               "beyond the allowed margin.")
                return text + f" Ship {arm}." + caution + warn
            g = self.guardrails()
            g = g[(g.arm == arm) & (g.guardrail_status == "failed")]
            names = ", ".join(f"{x.label} ({fmt_value(x.control_value, x.percent)} → {fmt_value(x.value, x.percent)})"
                              for x in g.itertuples())
            return (text + f" But a guardrail got significantly worse: {names}. Hold {arm} and look into it "
                    "before shipping." + warn)
        if decision == "keep_control":
            r = prim.sort_values("effect").iloc[0]
            return (f"{', '.join(prim.arm)} {'lowers' if r.effect < 0 else 'raises'} the {r.label} from "
                    f"{fmt_value(r.control_value, r.percent)} to {fmt_value(r.value, r.percent)} "
                    f"({fmt_effect(r.effect, r.percent)}, {lvl} CI {fmt_effect(r.ci_low, r.percent, False)} to "
                    f"{fmt_effect(r.ci_high, r.percent, False)}). Keep {self.control}." + warn)
        # inconclusive
        r = prim.iloc[0]
        target = abs(r.control_value) * self.mde_relative
        if abs(r.effect) > target:  # a large but uncertain effect: what would confirm it
            target = abs(r.effect)
            need = self.more_units_needed(r, target)
            if need is not None:
                return (f"Inconclusive: {r.arm} vs {self.control} on the {r.label} is {fmt_effect(r.effect, r.percent)} "
                        f"({lvl} CI {fmt_effect(r.ci_low, r.percent, False)} to {fmt_effect(r.ci_high, r.percent, False)}), "
                        f"large but not yet significant; about {max(need, 0):,.0f} more {self.unit_noun}s per arm would "
                        f"confirm an effect of this size." + warn)
        need = self.more_units_needed(r, target)
        if need is None:
            return (f"Inconclusive: the {r.label} is {fmt_value(r.control_value, r.percent)} for {self.control} and "
                    f"{fmt_value(r.value, r.percent)} for {r.arm} ({fmt_effect(r.effect, r.percent)}, {lvl} CI "
                    f"{fmt_effect(r.ci_low, r.percent, False)} to {fmt_effect(r.ci_high, r.percent)})." + warn)
        if need <= 0:
            return (f"No clear difference: the {r.label} is {fmt_value(r.control_value, r.percent)} for {self.control} "
                    f"and {fmt_value(r.value, r.percent)} for {r.arm} ({lvl} CI {fmt_effect(r.ci_low, r.percent, False)} to "
                    f"{fmt_effect(r.ci_high, r.percent)}); the test already had enough {self.unit_noun}s to detect "
                    f"{fmt_effect(target, r.percent)}. Keep {self.control} unless {r.arm} is cheaper." + warn)
        return (f"Inconclusive: {r.arm} vs {self.control} on the {r.label} is {fmt_effect(r.effect, r.percent)} "
                f"({lvl} CI {fmt_effect(r.ci_low, r.percent, False)} to {fmt_effect(r.ci_high, r.percent)}); about "
                f"{need:,.0f} more {self.unit_noun}s per arm are needed to detect {fmt_effect(target, r.percent)}."
                + warn)

    def more_units_needed(self, r, target: float | None = None) -> float | None:
        """Extra units per arm to detect ``target`` (default ``mde_relative`` of the control
        value) with ``power_target`` at the current per-unit variance (None when unknown)."""
        from scipy import stats

        if not (r.control_units > 1 and r.units > 1) or not np.isfinite(r.ci_high - r.ci_low):
            return None
        se = (r.ci_high - r.ci_low) / (2 * stats.norm.ppf(1 - self.alpha / 2))
        unit_var = se * se / (1 / r.control_units + 1 / r.units)  # per-unit variance per arm
        target = abs(r.control_value) * self.mde_relative if target is None else target
        if not target > 0 or not unit_var > 0:
            return None
        z = stats.norm.ppf(1 - self.alpha / 2) + stats.norm.ppf(self.power_target)
        n = 2 * unit_var * z * z / target ** 2
        return float(math.ceil(n - min(r.control_units, r.units)))

    def summary(self) -> str:
        """The result as plain text for a terminal."""
        lines = [f"Experiment {self.experiment_id}" + (f" ({self.name})" if self.name else ""),
                 f"  randomized per {self.unit_type}; analysed per {self.analysis_unit}"
                 + (" [NAIVE: not the randomization unit]" if self.naive else "")
                 + f"; data grain: {self.data_grain}; control: {self.control}; alpha = {self.alpha:g}",
                 "", "Verdict: " + self.verdict(), ""]
        srm = "OK" if self.srm_ok else "FAILED"
        lines.append(f"Sample ratio check: {srm} (chi-square p = {fmt_p(self.srm_p_value)}, threshold {self.srm_threshold:g})")
        for a in self.arms.itertuples():
            lines.append(f"  {a.arm:<10} {int(a.units):>10,} {self.unit_noun}s  ({a.share:.1%}, planned {a.planned_share:.1%})")
        lines += [f"  ! {w}" for w in self.warnings]
        lines.append("")
        header = f"{'metric':<34}{'arm':<6}{'control':>10}{'arm value':>11}{'effect':>11}{'CI':>26}{'lift':>9}{'p':>9}{'P(better)':>10}"
        lines.append(header)
        for r in self.effects.itertuples():
            ci = f"[{fmt_effect(r.ci_low, r.percent)}, {fmt_effect(r.ci_high, r.percent)}]"
            tag = " *" if r.significant else ""
            if r.guardrail:
                tag = {"ok": " guardrail ok", "failed": " GUARDRAIL FAILED"}.get(r.guardrail_status, " guardrail unclear")
            lines.append(f"{r.label[:33]:<34}{r.arm:<6}{fmt_value(r.control_value, r.percent):>10}"
                         f"{fmt_value(r.value, r.percent):>11}{fmt_effect(r.effect, r.percent):>11}{ci:>26}"
                         f"{fmt_rel(r.rel_effect):>9}{fmt_p(r.p_adj if not r.guardrail else r.ni_p_value):>9}"
                         f"{r.chance_to_beat:>10.1%}{tag}")
        lines.append(f"  p = Holm-adjusted ({self.primary_metric}: across arms; other metrics: across arms x metrics;")
        lines.append("  guardrails: non-inferiority p); * significant;")
        lines.append("  lift = arm/control - 1 (delta-method CI); P(better) = Bayesian chance to beat control.")
        if self.effects.cuped.any():
            vr = self.effects[self.effects.cuped].variance_reduction
            lines.append(f"  CUPED on {self.covariate}: variance reduced by {vr.min():.0%} to {vr.max():.0%}.")
        lines += ["", "Sequential: " + self.sequential_status]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_pandas(self) -> pd.DataFrame:
        """The comparison table (one row per metric and treatment arm)."""
        return self.effects.copy()

    def to_dict(self) -> dict:
        """JSON-ready dict (effects as fractions)."""
        def clean(v):
            if isinstance(v, (np.floating, float)):
                return None if math.isnan(v) or math.isinf(v) else float(v)
            if isinstance(v, np.integer):
                return int(v)
            if isinstance(v, np.bool_):
                return bool(v)
            if isinstance(v, list):
                return [clean(x) for x in v]
            return v

        return {
            "experiment_id": self.experiment_id, "unit_type": self.unit_type, "analysis_unit": self.analysis_unit,
            "naive": self.naive, "data_grain": self.data_grain, "control": self.control,
            "primary_metric": self.primary_metric, "alpha": self.alpha, "srm_p_value": clean(self.srm_p_value),
            "srm_ok": self.srm_ok, "decision": self.decision, "verdict": self.verdict(),
            "sequential_status": self.sequential_status,
            "contaminated_units": self.contaminated_units, "duplicate_rows": self.duplicate_rows,
            "warnings": list(self.warnings),
            "arms": [{k: clean(v) for k, v in r.items()} for r in self.arms.to_dict("records")],
            "effects": [{k: clean(v) for k, v in r.items()} for r in self.effects.to_dict("records")],
        }

    def _repr_html_(self) -> str:
        e = self.effects
        rows = []
        for r in e.itertuples():
            color = "#009E73" if r.significant and (r.effect > 0) == r.higher_is_better else (
                "#D55E00" if r.significant else "#333")
            if r.guardrail:
                color = {"ok": "#009E73", "failed": "#D55E00"}.get(r.guardrail_status, "#E69F00")
            rows.append(
                f"<tr><td>{html.escape(r.label)}</td><td>{html.escape(r.arm)}</td>"
                f"<td>{fmt_value(r.control_value, r.percent)}</td><td>{fmt_value(r.value, r.percent)}</td>"
                f"<td style='color:{color}'><b>{fmt_effect(r.effect, r.percent)}</b></td>"
                f"<td>{fmt_effect(r.ci_low, r.percent)} to {fmt_effect(r.ci_high, r.percent)}</td>"
                f"<td>{fmt_rel(r.rel_effect)} ({fmt_rel(r.rel_ci_low)} to {fmt_rel(r.rel_ci_high)})</td>"
                f"<td>{fmt_p(r.ni_p_value if r.guardrail else r.p_adj)}</td><td>{r.chance_to_beat:.1%}</td></tr>")
        srm = ("<span style='color:#009E73'>passed</span>" if self.srm_ok
               else "<span style='color:#D55E00'><b>FAILED</b></span>")
        warn = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
        naive = ("<p style='color:#D55E00'><b>Naive analysis</b>: analysed per "
                 f"{html.escape(self.analysis_unit)} although {html.escape(self.unit_type)}s were randomized.</p>"
                 if self.naive else "")
        return (
            f"<div><h4>Experiment {html.escape(self.experiment_id)}</h4>{naive}"
            f"<p><b>Verdict:</b> {html.escape(self.verdict())}</p>"
            f"<p>Randomized per {html.escape(self.unit_type)}, analysed per {html.escape(self.analysis_unit)} "
            f"(data grain: {html.escape(self.data_grain)}). Sample ratio check {srm} "
            f"(p = {fmt_p(self.srm_p_value)}).</p>"
            + (f"<ul>{warn}</ul>" if warn else "")
            + "<table><thead><tr><th>metric</th><th>arm</th><th>control</th><th>arm value</th><th>effect</th>"
            f"<th>{1 - self.alpha:.0%} CI</th><th>lift (CI)</th><th>p (Holm)</th><th>P(better)</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>"
            f"<p>Sequential: {html.escape(self.sequential_status)}</p></div>"
        )

    # --- figures ----------------------------------------------------------------------------
    def plot(self, kind: str = "effects", ax=None):
        """``kind="effects"``: forest plot of the relative lift per metric and arm with its
        interval (``"guardrails"``: the same for guardrail metrics); ``"funnel"``: the funnel per arm; ``"segments"``: the primary metric per segment."""
        from leadlab import plots

        if kind in ("effects", "guardrails"):
            g = kind == "guardrails"
            d = self.effects[self.effects.guardrail == g]
            if d.empty:
                raise ValueError(f"this result has no {'guardrail' if g else 'non-guardrail'} metrics")
            d = d.assign(label=d.label + " · " + d.arm)
            title = (f"Guardrails: change vs {self.control} (lower is better)" if g
                     else f"Lift vs {self.control} with {1 - self.alpha:.0%} intervals")
            return plots.forest_plot(d, "label", "rel_effect", "rel_ci_low", "rel_ci_high", percent=True, ax=ax,
                                     title=title, xlabel=f"relative change vs {self.control}", color_by_sign=not g)
        if kind == "funnel":
            if self.funnel is None:
                raise ValueError("this result has no funnel")
            import matplotlib.pyplot as plt
            import seaborn as sns
            from matplotlib.ticker import PercentFormatter

            f = self.funnel
            if ax is None:
                _, ax = plt.subplots(figsize=(9, 4.2))
            sns.barplot(data=f, x="stage", y="rate", hue="arm", ax=ax)
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            ax.set_ylabel(f"share of {self.unit_noun}s' leads")
            ax.set_xlabel("")
            ax.set_title("Funnel per arm")
            return ax
        if kind == "segments":
            if self.segments is None or self.segments.empty:
                raise ValueError("this result has no segments")
            s = self.segments.assign(lab=lambda x: x.dimension + "=" + x.segment.astype(str) + " · " + x.arm)
            label = self.primary().label.iloc[0] if not self.primary().empty else self.primary_metric
            return plots.forest_plot(s, "lab", "effect", "ci_low", "ci_high", percent=bool(self.primary().percent.any()),
                                     ax=ax, title=f"Effect on the {label} by segment", xlabel=f"absolute effect vs {self.control}")
        raise ValueError(f"kind must be effects, guardrails, funnel or segments, got {kind!r}")
