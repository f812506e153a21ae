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

from leadlab.experiments.sequential import LookPlan

#: Columns of the comparison table, in order.
EFFECT_COLUMNS = [
    "metric", "label", "arm", "control", "kind", "analysis_unit", "naive", "units", "control_units",
    "control_value", "value", "effect", "ci_low", "ci_high", "rel_effect", "rel_ci_low", "rel_ci_high",
    "p_value", "rel_p_value", "p_adj", "p_holm", "p_bh", "significant", "chance_to_beat", "expected_loss",
    "cred_low", "cred_high", "seq_ci_low", "seq_ci_high", "seq_cs_low", "seq_cs_high", "p_always_valid", "p_seq",
    "level", "cuped", "variance_reduction", "guardrail",
    "margin", "noninferior", "ni_p_value", "guardrail_status", "higher_is_better", "percent", "method", "nan_units", "notes",
]


def fmt_num(v: float, sig: int = 3, sign: bool = False) -> str:
    """A number for people: never scientific notation. Thousands separators from 1,000 on,
    about ``sig`` significant digits below (at most 6 decimals; smaller magnitudes read
    ``<0.000001``).

    >>> fmt_num(2.93e-06), fmt_num(-3690.4), fmt_num(0.00332, sign=True), fmt_num(1.2e-9)
    ('0.000003', '-3,690', '+0.00332', '<0.000001')
    """
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    v = float(v)
    if math.isinf(v):
        return "+inf" if v > 0 else "-inf"
    plus = "+" if sign else ""
    a = abs(v)
    if a >= 1000:
        return f"{v:{plus},.0f}"
    if a == 0:
        return "0"
    decimals = min(max(sig - 1 - math.floor(math.log10(a)), 0), 6)
    text = f"{v:{plus},.{decimals}f}"
    if float(text.replace(",", "")) == 0:
        return ("-" if v < 0 else plus) + "<0.000001" if sign or v < 0 else "<0.000001"
    return text


def fmt_value(v: float, percent: bool) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if percent:
        return f"{v:.1%}"
    return fmt_num(v)


def fmt_effect(v: float, percent: bool, unit: bool = True, sig: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if math.isinf(v):
        return "+inf" if v > 0 else "-inf"
    if percent:
        pp = v * 100
        decimals = 1 if abs(pp) >= 0.1 or pp == 0 else min(max(sig - 2 - math.floor(math.log10(abs(pp))), 1), 4)
        return f"{pp:+.{decimals + max(sig - 3, 0)}f}" + (" pp" if unit else "")
    return fmt_num(v, sig, sign=True)


def fmt_rel(v: float, sig: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if math.isinf(v):
        return "+inf" if v > 0 else "-inf"
    return f"{v:+.{1 + max(sig - 3, 0)}%}"


def fmt_interval(lo: float, hi: float, fmt=fmt_effect, *args, sep: str = " to ") -> str:
    """``lo to hi`` with enough digits that two different bounds never print the same."""
    for sig in range(3, 9):
        a, b = fmt(lo, *args, sig=sig), fmt(hi, *args, sig=sig)
        if a != b or lo == hi or (isinstance(lo, float) and math.isnan(lo)):
            break
    return f"{a}{sep}{b}"


def fmt_p(p: float) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "n/a"
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


#: Colour of each tone in HTML tables (the forest plot uses leadlab.plots.COLORS by the same tone).
HTML_COLORS = {"good": "#009E73", "bad": "#D55E00", "neutral": "#333", "unclear": "#E69F00"}


def decision_tone(r) -> str:
    """``good``, ``bad``, ``neutral`` or ``unclear`` for one comparison row: from the decision
    (``significant``) and the metric's direction; guardrails from their status. The one place
    the table, the HTML and the forest plot take their colours from."""
    if r.guardrail:
        return {"ok": "good", "failed": "bad"}.get(r.guardrail_status, "unclear")
    if not r.significant:
        return "neutral"
    return "good" if (r.effect > 0) == r.higher_is_better else "bad"


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
    plan: LookPlan = field(default_factory=lambda: LookPlan(None, 1))
    design: dict | None = None

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
        """``ship``, ``keep_control``, ``continue`` (an interim look without a decision),
        ``inconclusive``, ``hold`` (guardrail) or ``invalid`` (SRM). Read from the
        ``significant`` column, set by :func:`leadlab.experiments.decision.decide`."""
        return self._decide()[0]

    def _decide(self) -> tuple[str, str]:
        prim = self.primary()
        if prim.empty:
            return "inconclusive", ""
        if not self.srm_ok:
            return "invalid", ""
        sig = prim.significant.astype(bool)
        better = prim[sig & ((prim.effect > 0) == prim.higher_is_better)]
        if not better.empty:
            best = better.sort_values("effect", ascending=not better.higher_is_better.iloc[0]).iloc[0]
            bad = self.guardrails()
            bad = bad[(bad.arm == best.arm) & (bad.guardrail_status == "failed")]
            if not bad.empty:
                return "hold", best.arm
            return "ship", best.arm
        if sig.all():
            return "keep_control", ""
        if not self.plan.final:
            return "continue", ""
        return "inconclusive", ""

    # --- the look ----------------------------------------------------------------------------
    def look_text(self) -> str:
        """Where this analysis stands in the monitoring plan, in words."""
        p = self.plan
        if p.planned is None:
            return "one look (no planned end date recorded)"
        every = {"day": "a look every day", "week": "a look every week"}.get(p.every, "equally spaced looks")
        end = f" until {p.planned_end}" if p.planned_end else ""
        return f"look {p.used} of {p.planned} planned, {every}{end}"

    def _boundary_text(self) -> str:
        p = self.plan
        if p.mode == "group":
            lvl = float(self.effects.level.iloc[0]) if len(self.effects) else p.level(self.alpha)
            return (f"the Lan-DeMets O'Brien-Fleming boundary at this look is p < {fmt_p(lvl)} "
                    f"(overall alpha {self.alpha:g} across the {p.planned} looks)")
        if p.mode == "always-valid":
            return f"the always-valid {1 - self.alpha:.0%} interval accounts for any number of looks"
        return ""

    @property
    def sequential_status(self) -> str:
        """What the look means for stopping; consistent with :attr:`decision`."""
        prim = self.primary()
        if prim.empty:
            return "no sequential result (no primary metric)"
        d = self.decision
        p = self.plan
        if p.mode == "fixed":
            return ("single analysis: no planned end date is recorded, so this is read as the final look and the "
                    "verdict applies (record the planned end date, experiments.ended_at or --planned-end, to monitor "
                    "the test while it runs with valid repeated looks)")
        if d in ("ship", "hold", "keep_control"):
            how = "before the planned end " if not p.final else ""
            return f"may stop {how}at {self.look_text()}: {self._boundary_text()}, and the {self.primary_metric} result crosses it"
        if d == "invalid":
            return f"{self.look_text()}: fix the sample-ratio mismatch before reading any look"
        if d == "continue":
            return (f"keep running, at {self.look_text()}: {self._boundary_text()}, and the {self.primary_metric} "
                    "result does not cross it yet")
        return f"final analysis, at {self.look_text()}: {self._boundary_text()}; the verdict applies"

    # --- words ---------------------------------------------------------------------------
    def _ci(self, r) -> str:
        """The interval that goes with the decision: the fixed-horizon CI for one look, the
        repeated (group-sequential) or always-valid interval at a monitored look."""
        lvl = f"{1 - self.alpha:.0%}"
        if self.plan.mode != "fixed" and not (math.isnan(r.seq_ci_low) and math.isnan(r.seq_ci_high)):
            name = "repeated" if self.plan.mode == "group" else "always-valid"
            return f"{name} {lvl} CI {fmt_interval(r.seq_ci_low, r.seq_ci_high, fmt_effect, r.percent, False)}"
        return f"{lvl} CI {fmt_interval(r.ci_low, r.ci_high, fmt_effect, r.percent, False)}"

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
        early = f" The test may stop early, at {self.look_text()}." if not self.plan.final else ""
        if decision in ("ship", "hold"):
            r = prim[prim.arm == arm].iloc[0]
            verb = "raises" if r.effect > 0 else "lowers"
            text = (f"{arm} {verb} the {r.label} from {fmt_value(r.control_value, r.percent)} to "
                    f"{fmt_value(r.value, r.percent)} ({fmt_effect(r.effect, r.percent)}, {self._ci(r)}).")
            if decision == "ship":
                g = self.guardrails()
                g = g[(g.arm == arm) & (g.guardrail_status == "unclear")]
                caution = ""
                if not g.empty:
                    caution = (" Keep an eye on " + ", ".join(g.label) + ": the data cannot yet rule out a worsening "
                               "beyond the allowed margin.")
                return text + f" Ship {arm}." + caution + early + warn
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
                    f"({fmt_effect(r.effect, r.percent)}, {self._ci(r)}). Keep {self.control}." + early + warn)
        r = prim.iloc[0]
        facts = (f"{r.arm} vs {self.control} on the {r.label} is {fmt_effect(r.effect, r.percent)} "
                 f"({fmt_value(r.control_value, r.percent)} → {fmt_value(r.value, r.percent)}, {self._ci(r)})")
        if decision == "continue":
            return (f"Keep running: {facts}, not significant at {self.look_text()}; {self._boundary_text()}. "
                    "Decide at a later look or at the planned end." + warn)
        # inconclusive at the final look
        target = abs(r.control_value) * self.mde_relative
        large = abs(r.effect) > target
        if large:
            target = abs(r.effect)
        need = self.more_needed(r, target)
        size = "an effect of this size" if large else f"{fmt_effect(target, r.percent)}"
        how = ("(the same calculation as `leadlab ab design" + (" --unit rep`)" if need and need[0] in ("days", "unreachable") else "`)"))
        if need is None:
            return f"Inconclusive: {facts}." + warn
        kind, n = need
        if kind == "unreachable":
            return (f"Inconclusive: {facts}. {size[0].upper() + size[1:]} is out of reach with the {int(n)} reps in this "
                    f"test: differences between reps cap the power below {self.power_target:.0%} however long it runs "
                    f"{how}. Add reps, randomize per lead, or decide on other grounds." + warn)
        if n <= 0:
            return (f"No clear difference: {facts}; the test already had enough "
                    f"{'time' if kind == 'days' else self.unit_noun + 's'} to detect {size} "
                    f"with {self.power_target:.0%} power. Keep {self.control} unless {r.arm} is cheaper." + warn)
        more = f"about {n:,.0f} more days at the current volume" if kind == "days" else \
            f"about {n:,.0f} more {self.unit_noun}s per arm"
        lead = "large but not yet significant; " if large else ""
        return (f"Inconclusive: {facts}, {lead}{more} would give {self.power_target:.0%} power to detect {size} "
                f"{how}." + warn)

    def more_needed(self, r, target: float | None = None) -> tuple[str, float] | None:
        """What the design functions (those of ``leadlab ab design``) say it would take to
        detect ``target`` (default: ``mde_relative`` of the control value) with
        ``power_target``: ``("units", more per arm)``, ``("days", more days)`` for a rep test
        with its reps fixed, ``("unreachable", reps)`` when clustering caps the power, or None
        when the inputs are unknown."""
        from leadlab.errors import LeadlabError
        from leadlab.experiments import design as D

        target = abs(r.control_value) * self.mde_relative if target is None else target
        if not (r.control_units > 1 and r.units > 1) or not target > 0 or not r.se > 0:
            return None
        prop = bool(r.percent) and 0 < r.control_value < 1
        ctx = self.design or {}
        try:
            if ctx.get("unit_type") == "rep" and prop and ctx.get("daily_leads", 0) > 0 and ctx.get("icc", -1) >= 0:
                reps = int(ctx["units"])
                total = D.cluster_days_needed(r.control_value, target, daily_units=ctx["daily_leads"], clusters=reps,
                                              icc=ctx["icc"], alpha=self.alpha, power_target=self.power_target)
                if total is None:
                    return "unreachable", float(reps)
                return "days", float(math.ceil(total - ctx["days"]))
            sd = None if prop and self.unit_type != "rep" else r.se / math.sqrt(1 / r.control_units + 1 / r.units)
            n = D.sample_size(r.control_value, target, sd=sd, alpha=self.alpha, power_target=self.power_target)
        except LeadlabError:
            return None
        return "units", float(math.ceil(n - min(r.control_units, r.units)))

    def more_units_needed(self, r, target: float | None = None) -> float | None:
        """Extra units per arm (None when not a question of units): see :meth:`more_needed`."""
        need = self.more_needed(r, target)
        return need[1] if need and need[0] == "units" else None

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
            ci = "[" + fmt_interval(r.ci_low, r.ci_high, fmt_effect, r.percent, sep=", ") + "]"
            tag = " *" if r.significant else ""
            if r.guardrail:
                tag = {"ok": " guardrail ok", "failed": " GUARDRAIL FAILED"}.get(r.guardrail_status, " guardrail unclear")
            lines.append(f"{r.label[:33]:<34}{r.arm:<6}{fmt_value(r.control_value, r.percent):>10}"
                         f"{fmt_value(r.value, r.percent):>11}{fmt_effect(r.effect, r.percent):>11}{ci:>26}"
                         f"{fmt_rel(r.rel_effect):>9}{fmt_p(r.p_adj if not r.guardrail else r.ni_p_value):>9}"
                         f"{r.chance_to_beat:>10.1%}{tag}")
        kind = "always-valid p, " if self.plan.mode == "always-valid" else ""
        lines.append(f"  p = {kind}Holm-adjusted ({self.primary_metric}: across arms; other metrics: across arms x metrics;")
        level = (f"p < {fmt_p(float(self.effects.level.iloc[0]))} at this look" if self.plan.mode == "group"
                 and len(self.effects) else f"p < {self.alpha:g}")
        lines.append(f"  guardrails: non-inferiority p); * significant ({level});")
        lines.append("  lift = arm/control - 1 (Fieller CI); P(better) = Bayesian chance to beat control.")
        methods = sorted(set(self.effects.method))
        if methods:
            lines.append("  tests: " + "; ".join(methods) + ".")
        if self.effects.cuped.any():
            vr = self.effects[self.effects.cuped].variance_reduction
            lines.append(f"  CUPED on {self.covariate}: variance reduced by {vr.min():.0%} to {vr.max():.0%}.")
        lines += ["", f"Looks: {self.look_text()}.", "Sequential: " + self.sequential_status]
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
            "looks": {"planned": self.plan.planned, "used": self.plan.used, "every": self.plan.every,
                      "mode": self.plan.mode, "planned_end": self.plan.planned_end, "final": self.plan.final},
            "contaminated_units": self.contaminated_units, "duplicate_rows": self.duplicate_rows,
            "warnings": list(self.warnings),
            "arms": [{k: clean(v) for k, v in r.items()} for r in self.arms.to_dict("records")],
            "effects": [{k: clean(v) for k, v in r.items()} for r in self.effects.to_dict("records")],
        }

    def _repr_html_(self) -> str:
        e = self.effects
        rows = []
        for r in e.itertuples():
            color = HTML_COLORS[decision_tone(r)]
            rows.append(
                f"<tr><td>{html.escape(r.label)}</td><td>{html.escape(r.arm)}</td>"
                f"<td>{fmt_value(r.control_value, r.percent)}</td><td>{fmt_value(r.value, r.percent)}</td>"
                f"<td style='color:{color}'><b>{fmt_effect(r.effect, r.percent)}</b></td>"
                f"<td>{fmt_interval(r.ci_low, r.ci_high, fmt_effect, r.percent)}</td>"
                f"<td>{fmt_rel(r.rel_effect)} ({fmt_interval(r.rel_ci_low, r.rel_ci_high, fmt_rel)})</td>"
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
            f"<p>Looks: {html.escape(self.look_text())}. Sequential: {html.escape(self.sequential_status)}</p></div>"
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
            # infinite bounds (a control not clearly above zero) are drawn to the edge of the other rows
            finite = d[["rel_ci_low", "rel_ci_high"]].replace([np.inf, -np.inf], np.nan)
            edge = float(np.nanmax(np.abs(finite.to_numpy(float)))) if finite.notna().any().any() else 1.0
            d = d.assign(rel_ci_low=d.rel_ci_low.clip(lower=-edge), rel_ci_high=d.rel_ci_high.clip(upper=edge))
            ax = plots.forest_plot(d, "label", "rel_effect", "rel_ci_low", "rel_ci_high", percent=True, ax=ax,
                                   title=title, xlabel=f"relative change vs {self.control}", color_by_sign=False)
            tones = [decision_tone(r) for r in d.itertuples()]
            colors = {"good": plots.COLORS["good"], "bad": plots.COLORS["bad"], "neutral": plots.COLORS["neutral"],
                      "unclear": plots.COLORS["highlight"]}
            for i, tone in enumerate(tones):  # each row is drawn as an interval line and a point
                for line in ax.lines[2 * i: 2 * i + 2]:
                    line.set_color(colors[tone])
            return ax
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
