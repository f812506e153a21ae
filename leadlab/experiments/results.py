"""The result of an experiment analysis: facts and codes, rendered in the current language
through :class:`leadlab.presentation.Result` (text, HTML, DataFrame, figures, verdict).

>>> from leadlab.experiments import from_counts
>>> r = from_counts([("A", 10000, 790), ("B", 10000, 910)])
>>> r.decision, r.verdict_code
('ship', 'ship')
>>> r.verdict()
'B raises the conversion rate from 7.9% to 9.1% (+1.2 pp, 95% CI +0.4 to +2.0). Ship B.'
>>> from leadlab.i18n import use_lang
>>> with use_lang("zh"):
...     print(r.verdict())
B 话术显著提升了转化率：从 7.9% 升至 9.1%（+1.2个百分点，95% 置信区间 +0.4 至 +2.0），建议全面推广 B。
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from leadlab import safehtml
from leadlab.experiments import texts as T
from leadlab.experiments.effects import EFFECT_COLUMNS
from leadlab.experiments.sequential import LookPlan
from leadlab.experiments.texts import Notice
from leadlab.i18n import N_, _, fmt, ngettext, pgettext, translate
from leadlab.presentation import Result, html_table

__all__ = ["EFFECT_COLUMNS", "ExperimentResult", "Notice", "decision_tone"]

#: Segment dimensions in words.
DIMENSIONS = {"source": N_("lead source"), "region": N_("region"), "team": N_("team")}


def decision_tone(r) -> str:
    """``good``, ``bad``, ``neutral`` or ``unclear`` for one comparison row: from the decision
    (``significant``) and the metric's direction; guardrails from their status. The one place
    the table and the forest plot take their colours and status words from."""
    if r.guardrail:
        return {"ok": "good", "failed": "bad"}.get(r.guardrail_status, "unclear")
    if not r.significant:
        return "neutral"
    return "good" if (r.effect > 0) == r.higher_is_better else "bad"


def _status(r) -> str:
    """The status word of one comparison row."""
    if r.guardrail:
        return {"ok": _("guardrail ok"), "failed": _("GUARDRAIL FAILED")}.get(r.guardrail_status,
                                                                             _("guardrail unclear"))
    return _("significant") if r.significant else _("not significant")


@dataclass
class ExperimentResult(Result):
    """The analysis of one experiment (facts and codes; words come at render time).

    ``effects`` has one row per (metric, treatment arm) (columns :data:`EFFECT_COLUMNS`);
    ``arms`` the units per arm and the planned shares; ``funnel`` the per-arm funnel with the
    step-conversion comparisons; ``segments`` the primary metric's effect per segment;
    ``notices`` the caveats (codes with their facts). ``unit_type``: ``lead``, ``rep``,
    ``row``, ``unit`` or the unit column of a table; ``analysis_unit`` the same or ``naive``;
    ``data_grain``: ``per_lead``, ``per_rep``, ``per_row``, ``per_unit``, ``counts``, ``stats``.
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
    notices: list[Notice] = field(default_factory=list)
    name: str = ""
    mde_relative: float = 0.10
    power_target: float = 0.8
    plan: LookPlan = field(default_factory=lambda: LookPlan(None, 1))
    design: dict | None = None

    # --- facts -------------------------------------------------------------------------
    @property
    def srm_ok(self) -> bool:
        return not (self.srm_p_value < self.srm_threshold)

    @property
    def warnings(self) -> list[str]:
        """The notices in the current language, one sentence each."""
        return [n.text() for n in self.notices]

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

    def _inconclusive(self) -> tuple[str, dict]:
        """The finer code of an inconclusive final look and its facts: ``need_units``,
        ``need_days``, ``unreachable``, ``no_difference`` or ``inconclusive``."""
        r = self.primary().iloc[0]
        target = abs(r.control_value) * self.mde_relative
        large = bool(abs(r.effect) > target)
        if large:
            target = abs(r.effect)
        need = self.more_needed(r, target)
        facts = {"row": r, "large": large, "target": target}
        if need is None:
            return "inconclusive", facts
        kind, n = need
        facts.update(kind=kind, n=n)
        if kind == "unreachable":
            return "unreachable", facts
        if n <= 0:
            return "no_difference", facts
        return ("need_days" if kind == "days" else "need_units"), facts

    @property
    def verdict_code(self) -> str:
        """:attr:`decision`, with an inconclusive final look told apart: ``need_units``,
        ``need_days``, ``unreachable`` (clustering caps the power), ``no_difference`` (the test
        had the power and found nothing) or ``inconclusive``; ``no_primary`` when the primary
        metric was not analysed."""
        if self.primary().empty:
            return "no_primary"
        d = self.decision
        return self._inconclusive()[0] if d == "inconclusive" else d

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

    # --- the look ----------------------------------------------------------------------------
    def look_text(self) -> str:
        """Where this analysis stands in the monitoring plan, in words."""
        p = self.plan
        if p.planned is None:
            return _("one look (no planned end date recorded)")
        used, planned = fmt.number(p.used), fmt.number(p.planned)
        if p.planned_end and p.every == "day":
            return _("look {used} of {planned} planned, a look every day until {end}", used=used, planned=planned,
                     end=fmt.date(p.planned_end))
        if p.planned_end and p.every == "week":
            return _("look {used} of {planned} planned, a look every week until {end}", used=used, planned=planned,
                     end=fmt.date(p.planned_end))
        return _("look {used} of {planned} planned, equally spaced looks", used=used, planned=planned)

    def _boundary_text(self) -> str:
        p = self.plan
        if p.mode == "group":
            lvl = float(self.effects.level.iloc[0]) if len(self.effects) else p.level(self.alpha)
            return _("the Lan-DeMets O'Brien-Fleming boundary at this look is p < {level} (overall alpha {alpha} "
                     "across the {planned} looks)", level=T.sig_number(lvl), alpha=T.alpha_text(self.alpha),
                     planned=fmt.number(p.planned))
        if p.mode == "always-valid":
            return _("the always-valid {level} interval accounts for any number of looks", level=T.level(self.alpha))
        return ""

    @property
    def sequential_status(self) -> str:
        """What the look means for stopping; consistent with :attr:`decision`."""
        prim = self.primary()
        if prim.empty:
            return _("no sequential result (no primary metric)")
        d = self.decision
        p = self.plan
        metric = T.metric_name(self.primary_metric)
        if p.mode == "fixed":
            return _("single analysis: no planned end date is recorded, so this is read as the final look and the "
                     "verdict applies (record the planned end date, experiments.ended_at or --planned-end, to monitor "
                     "the test while it runs with valid repeated looks)")
        if d in ("ship", "hold", "keep_control"):
            if not p.final:
                return _("may stop before the planned end at {look}: {boundary}, and the {metric} result crosses it",
                         look=self.look_text(), boundary=self._boundary_text(), metric=metric)
            return _("may stop at {look}: {boundary}, and the {metric} result crosses it", look=self.look_text(),
                     boundary=self._boundary_text(), metric=metric)
        if d == "invalid":
            return _("{look}: fix the sample-ratio mismatch before reading any look", look=self.look_text())
        if d == "continue":
            return _("keep running, at {look}: {boundary}, and the {metric} result does not cross it yet",
                     look=self.look_text(), boundary=self._boundary_text(), metric=metric)
        return _("final analysis, at {look}: {boundary}; the verdict applies", look=self.look_text(),
                 boundary=self._boundary_text())

    # --- words ---------------------------------------------------------------------------
    def _ci(self, r) -> str:
        """The interval that goes with the decision: the fixed-horizon CI for one look, the
        repeated (group-sequential) or always-valid interval at a monitored look."""
        lvl = T.level(self.alpha)
        if self.plan.mode != "fixed" and not (math.isnan(r.seq_ci_low) and math.isnan(r.seq_ci_high)):
            iv = T.interval(r.seq_ci_low, r.seq_ci_high, r.percent)
            if self.plan.mode == "group":
                return _("repeated {level} CI {interval}", level=lvl, interval=iv)
            return _("always-valid {level} CI {interval}", level=lvl, interval=iv)
        return _("{level} CI {interval}", level=lvl, interval=T.interval(r.ci_low, r.ci_high, r.percent))

    def _values(self, r) -> dict:
        return dict(metric=T.metric_name(r.metric, r.label), control_value=T.value(r.control_value, r.percent, r.metric),
                    value=T.value(r.value, r.percent, r.metric), effect=T.effect(r.effect, r.percent), ci=self._ci(r))

    def _moved(self, r, arm: str) -> str:
        if r.effect > 0:
            return _("{arm} raises the {metric} from {control_value} to {value} ({effect}, {ci}).", arm=arm,
                     **self._values(r))
        return _("{arm} lowers the {metric} from {control_value} to {value} ({effect}, {ci}).", arm=arm,
                 **self._values(r))

    def verdict(self) -> str:
        """One plain-language paragraph a manager can act on, in the current language."""
        parts = self._verdict_parts()
        if self.naive:
            parts.append(_("(NAIVE analysis: treats every lead and call as independent although the test was "
                           "randomized per {unit}; do not decide on it)", unit=T.unit_name(self.unit_type)))
        return T.sentences(parts)

    def _verdict_parts(self) -> list[str]:
        code = self.verdict_code
        if code == "no_primary":
            return [_("No primary metric was analysed.")]
        if code == "invalid":
            counts = T.joined(_("{arm}: {n} {units}", arm=a, n=fmt.number(u), units=T.units(self.unit_type, u))
                              for a, u in zip(self.arms.arm, self.arms.units))
            return [_("Do not trust these numbers yet: the arms received {counts}, which does not match the planned "
                      "split (sample-ratio mismatch, {p}). Find out why assignment failed before deciding.",
                      counts=counts, p=T.p_text(self.srm_p_value))]
        prim = self.primary()
        early = _("The test may stop early, at {look}.", look=self.look_text()) if not self.plan.final else ""
        if code in ("ship", "hold"):
            arm = self._decide()[1]
            r = prim[prim.arm == arm].iloc[0]
            g = self.guardrails()
            g = g[g.arm == arm]
            if code == "ship":
                unclear = g[g.guardrail_status == "unclear"]
                caution = (_("Keep an eye on {metrics}: the data cannot yet rule out a worsening beyond the allowed "
                             "margin.", metrics=T.joined(T.metric_name(m, lb) for m, lb in zip(unclear.metric, unclear.label)))
                           if not unclear.empty else "")
                return [self._moved(r, arm), _("Ship {arm}.", arm=arm), caution, early]
            bad = g[g.guardrail_status == "failed"]
            names = T.joined(_("{metric} ({control_value} → {value})", metric=T.metric_name(x.metric, x.label),
                               control_value=T.value(x.control_value, x.percent, x.metric),
                               value=T.value(x.value, x.percent, x.metric)) for x in bad.itertuples())
            return [self._moved(r, arm), _("But a guardrail got significantly worse: {guardrails}. Hold {arm} and "
                                           "look into it before shipping.", guardrails=names, arm=arm)]
        if code == "keep_control":
            r = prim.sort_values("effect").iloc[0]
            return [self._moved(r, T.joined(prim.arm)), _("Keep {control}.", control=self.control), early]
        r = prim.iloc[0]
        facts = _("{arm} vs {control} on the {metric} is {effect} ({control_value} → {value}, {ci})", arm=r.arm,
                  control=self.control, **self._values(r))
        if code == "continue":
            return [_("Keep running: {facts}, not significant at {look}; {boundary}. Decide at a later look or at the "
                      "planned end.", facts=facts, look=self.look_text(), boundary=self._boundary_text())]
        if code == "inconclusive":
            return [_("Inconclusive: {facts}.", facts=facts)]
        _code, f = self._inconclusive()
        size = _("an effect of this size") if f["large"] else _("an effect of {effect}", effect=T.effect(f["target"], r.percent))
        power = fmt.percent(self.power_target, 0)
        rep_design = f["kind"] in ("days", "unreachable")
        how = (_("(the same calculation as `leadlab ab design --unit rep`)") if rep_design
               else _("(the same calculation as `leadlab ab design`)"))
        n = f["n"]
        if code == "unreachable":
            return [_("Inconclusive: {facts}. With the {reps} reps in this test, {size} is out of reach: differences "
                      "between reps cap the power below {power} however long it runs {how}. Add reps, randomize per "
                      "lead, or decide on other grounds.", facts=facts, reps=fmt.number(n), size=size, power=power,
                      how=how)]
        if code == "no_difference":
            if f["kind"] == "days":
                return [_("No clear difference: {facts}; the test already ran long enough to detect {size} with "
                          "{power} power. Keep {control} unless {arm} is cheaper.", facts=facts, size=size, power=power,
                          control=self.control, arm=r.arm)]
            had = min(r.control_units, r.units)
            return [_("No clear difference: {facts}; the {n} {units} per arm were already enough to detect {size} with "
                      "{power} power. Keep {control} unless {arm} is cheaper.", facts=facts, n=fmt.number(had),
                      units=T.units(self.unit_type, had), size=size, power=power, control=self.control, arm=r.arm)]
        kw = dict(facts=facts, n=fmt.number(n), size=size, power=power, how=how)
        if code == "need_days":
            if f["large"]:
                return [ngettext("Inconclusive: {facts}, large but not yet significant; about {n} more day at the "
                                 "current volume would give {power} power to detect {size} {how}.",
                                 "Inconclusive: {facts}, large but not yet significant; about {n} more days at the "
                                 "current volume would give {power} power to detect {size} {how}.", int(n), **kw)]
            return [ngettext("Inconclusive: {facts}, about {n} more day at the current volume would give {power} "
                             "power to detect {size} {how}.",
                             "Inconclusive: {facts}, about {n} more days at the current volume would give {power} "
                             "power to detect {size} {how}.", int(n), **kw)]
        kw["units"] = T.units(self.unit_type, n)
        if f["large"]:
            return [_("Inconclusive: {facts}, large but not yet significant; about {n} more {units} per arm would give "
                      "{power} power to detect {size} {how}.", **kw)]
        return [_("Inconclusive: {facts}, about {n} more {units} per arm would give {power} power to detect {size} "
                  "{how}.", **kw)]

    # --- tables ----------------------------------------------------------------------------
    def title(self) -> str:
        if self.name:
            return _("Experiment {id}: {name}", id=self.experiment_id, name=self.name)
        return _("Experiment {id}", id=self.experiment_id)

    def to_pandas(self) -> pd.DataFrame:
        """The comparison table (one row per metric and treatment arm; raw numbers)."""
        return self.effects.copy()

    def display_frame(self) -> pd.DataFrame:
        """The comparison table for people: localized headers, formatted cells; ``*`` marks the
        significant effects (the decision rule)."""
        e = self.effects
        rows = []
        for r in e.itertuples():
            p = r.ni_p_value if r.guardrail else r.p_adj
            rows.append({
                pgettext("experiments column", "metric"): T.metric_name(r.metric, r.label),
                pgettext("experiments column", "arm"): r.arm,
                pgettext("experiments column", "control"): T.value(r.control_value, r.percent, r.metric),
                pgettext("experiments column", "arm value"): T.value(r.value, r.percent, r.metric),
                pgettext("experiments column", "effect"): T.effect(r.effect, r.percent) + (" *" if r.significant else ""),
                _("{level} CI", level=T.level(self.alpha)): T.interval(r.ci_low, r.ci_high, r.percent),
                pgettext("experiments column", "lift (CI)"): self._lift(r),
                pgettext("experiments column", "p"): T.pvalue(p),
                pgettext("experiments column", "P(better)"): fmt.percent(r.chance_to_beat, 1),
                pgettext("experiments column", "status"): _status(r),
            })
        return pd.DataFrame(rows)

    @staticmethod
    def _lift(r) -> str:
        if fmt.missing(r.rel_effect):
            return fmt.na()
        return _("{lift} ({interval})", lift=T.rel(r.rel_effect), interval=T.interval(r.rel_ci_low, r.rel_ci_high,
                                                                                     kind="rel"))

    def notes(self) -> list[str]:
        return self.warnings

    def _design_line(self) -> str:
        kw = dict(unit=T.unit_name(self.unit_type), analysis_unit=T.unit_name(self.analysis_unit),
                  grain=T.grain(self.data_grain, self.unit_type), control=self.control,
                  alpha=T.alpha_text(self.alpha))
        if self.naive:
            return _("randomized per {unit}; analysed per {analysis_unit} [NAIVE: not the randomization unit]; data "
                     "grain: {grain}; control: {control}; alpha = {alpha}", **kw)
        return _("randomized per {unit}; analysed per {analysis_unit}; data grain: {grain}; control: {control}; "
                 "alpha = {alpha}", **kw)

    def _srm_line(self) -> str:
        kw = dict(p=T.p_text(self.srm_p_value), threshold=T.alpha_text(self.srm_threshold))
        if self.srm_ok:
            return _("Sample ratio check: OK (chi-square {p}, threshold {threshold})", **kw)
        return _("Sample ratio check: FAILED (chi-square {p}, threshold {threshold})", **kw)

    def _arm_lines(self) -> list[str]:
        return [_("{arm}: {n} {units} ({share}, planned {planned})", arm=a.arm, n=fmt.number(a.units),
                  units=T.units(self.unit_type, a.units), share=fmt.percent(a.share, 1),
                  planned=fmt.percent(a.planned_share, 1)) for a in self.arms.itertuples()]

    def method_notes(self) -> list[str]:
        """How to read the table: the p-values, the stars, the lift, the tests, CUPED."""
        lines = []
        if self.plan.mode == "always-valid":
            lines.append(_("p = always-valid p, Holm-adjusted ({metric}: across arms; other metrics: across arms × "
                           "metrics; guardrails: non-inferiority p).", metric=T.metric_name(self.primary_metric)))
        else:
            lines.append(_("p = Holm-adjusted ({metric}: across arms; other metrics: across arms × metrics; "
                           "guardrails: non-inferiority p).", metric=T.metric_name(self.primary_metric)))
        if self.plan.mode == "group" and len(self.effects):
            lines.append(_("* significant (p < {level} at this look).", level=T.sig_number(float(self.effects.level.iloc[0]))))
        else:
            lines.append(_("* significant (p < {alpha}).", alpha=T.alpha_text(self.alpha)))
        lines.append(_("lift = arm ÷ control − 1 (Fieller CI); P(better) = Bayesian chance to beat the control."))
        methods = sorted(set(self.effects.method))
        if methods:
            lines.append(_("tests: {methods}.", methods=T.joined(T.method_name(m) for m in methods)))
        if self.effects.cuped.any():
            vr = self.effects[self.effects.cuped].variance_reduction
            lines.append(_("CUPED on {covariate}: variance reduced by {low} to {high}.",
                           covariate=T.covariate_name(self.covariate), low=fmt.percent(vr.min(), 0),
                           high=fmt.percent(vr.max(), 0)))
        return lines

    def summary(self) -> str:
        """The result as plain text for a terminal, in the current language."""
        lines = [self.title(), "  " + self._design_line(), "", _("Verdict: {verdict}", verdict=self.verdict()), "",
                 self._srm_line()]
        lines += ["  " + a for a in self._arm_lines()]
        lines += [f"  ! {w}" for w in self.warnings]
        lines.append("")
        disp = self.display_frame()
        if len(disp):
            lines.append(disp.to_string(index=False))
        lines += ["  " + n for n in self.method_notes()]
        lines += ["", _("Looks: {looks}.", looks=self.look_text()),
                  _("Sequential: {status}", status=self.sequential_status)]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        t = safehtml.text
        srm = self._srm_line()
        verdict_label = _("Verdict:")
        parts = [f"<div class='leadlab-result'><h4>{t(self.title())}</h4>"]
        if self.naive:
            label = _("Naive analysis")
            why = _("analysed per {analysis_unit} although the test was randomized per {unit}.",
                    analysis_unit=T.unit_name(self.analysis_unit), unit=T.unit_name(self.unit_type))
            parts.append(f"<p style='color:#D55E00'><b>{t(label)}</b>: {t(why)}</p>")
        parts.append(f"<p><b>{t(verdict_label)}</b> {t(self.verdict())}</p>")
        parts.append(f"<p>{t(self._design_line())}. {t(srm)}.</p>")
        if self.warnings:
            parts.append("<ul>" + "".join(f"<li>{t(w)}</li>" for w in self.warnings) + "</ul>")
        disp = self.display_frame()
        if len(disp):
            parts.append(html_table(disp))
        parts += [f"<p class='leadlab-note'>{t(n)}</p>" for n in self.method_notes()]
        looks = _("Looks: {looks}.", looks=self.look_text())
        status = _("Sequential: {status}", status=self.sequential_status)
        parts.append(f"<p>{t(looks)} {t(status)}</p></div>")
        return "".join(parts)

    def to_dict(self) -> dict:
        """JSON-ready dict (effects as fractions; verdict and status in the current language)."""
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
            "srm_ok": self.srm_ok, "decision": self.decision, "verdict_code": self.verdict_code,
            "verdict": self.verdict(), "sequential_status": self.sequential_status,
            "looks": {"planned": self.plan.planned, "used": self.plan.used, "every": self.plan.every,
                      "mode": self.plan.mode, "planned_end": self.plan.planned_end, "final": self.plan.final},
            "contaminated_units": self.contaminated_units, "duplicate_rows": self.duplicate_rows,
            "notices": [{"code": n.code, **{k: clean(v) for k, v in n.fields.items()}} for n in self.notices],
            "warnings": self.warnings,
            "arms": [{k: clean(v) for k, v in r.items()} for r in self.arms.to_dict("records")],
            "effects": [{k: clean(v) for k, v in r.items()} for r in self.effects.to_dict("records")],
        }

    # --- figures ----------------------------------------------------------------------------
    def plot(self, kind: str = "effects", ax=None):
        """``kind="effects"``: forest plot of the relative lift per metric and arm with its
        interval (``"guardrails"``: the same for guardrail metrics); ``"funnel"``: the funnel
        per arm; ``"segments"``: the primary metric per segment. Labels in the current language."""
        if kind in ("effects", "guardrails"):
            return self._plot_effects(kind == "guardrails", ax)
        if kind == "funnel":
            return self._plot_funnel(ax)
        if kind == "segments":
            return self._plot_segments(ax)
        raise ValueError(f"kind must be effects, guardrails, funnel or segments, got {kind!r}")

    def _plot(self, ax):
        return self._plot_effects(False, ax)

    def _plot_effects(self, guardrails: bool, ax):
        from leadlab import plots

        d = self.effects[self.effects.guardrail == guardrails]
        if d.empty:
            raise ValueError(f"this result has no {'guardrail' if guardrails else 'non-guardrail'} metrics")
        d = d.assign(label=[_("{metric} · {arm}", metric=T.metric_name(m, lb), arm=a)
                            for m, lb, a in zip(d.metric, d.label, d.arm)])
        title = (_("Guardrails: change vs {control} (lower is better)", control=self.control) if guardrails
                 else _("Lift vs {control} with {level} intervals", control=self.control, level=T.level(self.alpha)))
        # infinite bounds (a control not clearly above zero) are drawn to the edge of the other rows
        finite = d[["rel_ci_low", "rel_ci_high"]].replace([np.inf, -np.inf], np.nan)
        edge = float(np.nanmax(np.abs(finite.to_numpy(float)))) if finite.notna().any().any() else 1.0
        d = d.assign(rel_ci_low=d.rel_ci_low.clip(lower=-edge), rel_ci_high=d.rel_ci_high.clip(upper=edge))
        ax = plots.forest_plot(d, "label", "rel_effect", "rel_ci_low", "rel_ci_high", percent=True, ax=ax,
                               title=title, xlabel=_("relative change vs {control}", control=self.control),
                               color_by_sign=False)
        colors = {"good": plots.COLORS["good"], "bad": plots.COLORS["bad"], "neutral": plots.COLORS["neutral"],
                  "unclear": plots.COLORS["highlight"]}
        for i, r in enumerate(d.itertuples()):  # each row is drawn as an interval line and a point
            for line in ax.lines[2 * i: 2 * i + 2]:
                line.set_color(colors[decision_tone(r)])
        return ax

    def _plot_funnel(self, ax):
        if self.funnel is None:
            raise ValueError("this result has no funnel")
        import matplotlib.pyplot as plt
        import seaborn as sns
        from matplotlib.ticker import PercentFormatter

        from leadlab.experiments.metrics import FUNNEL_STAGES

        names = {label: T.stage_name(col) for col, label in FUNNEL_STAGES}
        f = self.funnel.assign(stage_name=self.funnel.stage.map(names))
        if ax is None:
            _fig, ax = plt.subplots(figsize=(9, 4.2))
        sns.barplot(data=f, x="stage_name", y="rate", hue="arm", ax=ax)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylabel(_("share of the arm's leads"))
        ax.set_xlabel("")
        ax.set_title(_("Funnel per arm"))
        legend = ax.get_legend()
        if legend is not None:
            legend.set_title(pgettext("experiments column", "arm"))
        return ax

    def _plot_segments(self, ax):
        from leadlab import plots

        if self.segments is None or self.segments.empty:
            raise ValueError("this result has no segments")
        s = self.segments
        s = s.assign(lab=[_("{dimension} = {segment} · {arm}", dimension=self.dimension_name(d), segment=seg, arm=a)
                          for d, seg, a in zip(s.dimension, s.segment, s.arm)])
        prim = self.primary()
        return plots.forest_plot(s, "lab", "effect", "ci_low", "ci_high", percent=bool(prim.percent.any()), ax=ax,
                                 title=_("Effect on the {metric} by segment", metric=T.metric_name(self.primary_metric)),
                                 xlabel=_("absolute effect vs {control}", control=self.control))

    @staticmethod
    def dimension_name(dim: str) -> str:
        """A segment dimension in words (``source`` → lead source)."""
        return translate(DIMENSIONS[dim]) if dim in DIMENSIONS else str(dim)
