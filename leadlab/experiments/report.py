"""What ``notebooks/experiment_report.ipynb`` shows, computed here so tests reach it.

:func:`experiment_report` runs the analysis (and, for a rep-randomized experiment, the
naive per-lead/per-call analysis for comparison) and returns display tables, headings and
sentences in the current language (:mod:`leadlab.i18n`); the notebook only displays them.

>>> # rep = experiment_report("EXP-LEAD-SCRIPT"); rep.result.verdict()
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from leadlab.experiments import texts as T
from leadlab.experiments.analyze import analyze
from leadlab.experiments.results import ExperimentResult
from leadlab.presentation import section_markdown
from leadlab.i18n import N_, _, fmt, pgettext
from leadlab.safehtml import md, safe_style
from leadlab.safehtml import text as html_text

__all__ = ["ExperimentReport", "SECTIONS", "experiment_report", "section", "styled"]


def styled(df: pd.DataFrame, uid: str):
    """A Styler with a fixed uuid (stable for nbval), no index; cells and labels HTML-escaped."""
    return safe_style(df, uid)


#: The report's sections: heading and the explanation under it (Markdown, translated).
SECTIONS: dict[str, tuple[str, str]] = {
    "verdict": (N_("Verdict"), N_(
        "What to do, in one sentence. It is based on the decision metric, the sample-ratio check and the guardrails "
        "below; a failed sample-ratio check always blocks a *ship* verdict.")),
    "checks": (N_("Sample ratio and data checks"), N_(
        "Before reading any effect: did the arms get the share of units they were planned to get, did any unit end up "
        "in two arms, and is the pre-period covariate there? A sample-ratio mismatch means the assignment or the data "
        "pipeline is broken, and no effect below can be trusted until it is explained.")),
    "effects": (N_("Effects with intervals"), N_(
        "Each row compares an arm with the control. *Effect* is the difference (percentage points for rates); *lift* "
        "is the relative change, arm ÷ control − 1, with its own interval (Fieller's, which never goes below −100 %). "
        "p-values are Holm-adjusted: across arms for the decision metric, across arms × metrics for the others "
        "(Benjamini–Hochberg alongside). Guardrails (complaints, do-not-call requests) must not worsen by more than "
        "their margin: *ok* means shown to be safe, *unclear* means not enough data yet, *failed* means significantly "
        "worse. In the figure, colours follow the *status* column (the same decision as the verdict): green "
        "significant improvements, red significant deteriorations, grey undecided.")),
    "bayes": (N_("Bayesian view"), N_(
        "The same data read as betting odds: the chance that the arm is truly better than the control, and how much "
        "we would expect to lose (in the metric's units) if we shipped it and it were in fact worse. A high chance to "
        "beat the control with a tiny expected loss is a safe bet even when the p-value is not below the threshold.")),
    "sequential": (N_("Sequential status"), N_(
        "A usual interval is valid for one look at a pre-planned end date. When a planned end date is recorded, every "
        "look counts: a rep test (all reps enrolled at the start) is judged against a group-sequential boundary "
        "(Lan–DeMets O'Brien–Fleming alpha spending over the planned looks), so early looks need much stronger "
        "evidence; a lead test against the always-valid interval. The table says which look this is, the p-value the "
        "look needs, and the decision — the same decision as the verdict above.")),
    "funnel": (N_("Funnel per arm"), N_(
        "From dial to won deal, per arm: the share of leads reaching each stage, and the conversion from each stage "
        "to the next with the arm's difference from the control. A significant step difference shows where the "
        "scripts diverge.")),
    "segments": (N_("Segments"), N_(
        "The decision metric's effect per lead source, region and team. With many segments some differences appear "
        "by chance, so p-values are adjusted for the number of segments (Benjamini–Hochberg and Holm); treat a single "
        "striking segment as a hypothesis for the next test, not as a finding.")),
    "unit": (N_("Why the analysis unit matters"), N_(
        "The analysis unit must be the unit that was randomized. For a test randomized per rep, this section compares "
        "the correct per-rep analysis with the naive one that treats every lead and call as independent.")),
    "method": (N_("How this report is computed"), N_(
        "- All counting happens in the database in one grouped query per experiment; only per-arm totals reach the "
        "statistics.\n"
        "- Rates per lead use a z-test (Fisher's exact test when a count is below 5); means and ratios use Welch's t "
        "with the delta method; a rep test is analysed per rep with a small-sample t (Bell–McCaffrey degrees of "
        "freedom, one fewer for the CUPED slope).\n"
        "- CUPED adjusts for a pre-period covariate (the lead's prior score, or the rep's SQL rate before the test), "
        "which narrows intervals without biasing them; the variance reduction is shown per metric.\n"
        "- Relative lift = arm ÷ control − 1, Fieller interval on the same reference distribution as the effect "
        "(never below −100 %).\n"
        "- See `docs/experiments.md` for the definitions.")),
}


def section(key: str) -> str:
    """The Markdown of a report section's heading and explanation, in the current language."""
    return section_markdown(SECTIONS, key)


@dataclass
class ExperimentReport:
    """The report's result; for rep experiments also the naive analysis and the correct one
    without CUPED (so the comparison isolates the choice of analysis unit)."""

    result: ExperimentResult
    naive: ExperimentResult | None
    plain: ExperimentResult | None = None

    @property
    def title(self) -> str:
        return self.result.title()

    @property
    def subtitle(self) -> str:
        """Markdown: the design in one sentence (data escaped)."""
        r = self.result
        arms = T.joined(_("{arm} ({n} {units})", arm=md(a), n=fmt.number(u), units=T.units(r.unit_type, u))
                        for a, u in zip(r.arms.arm, r.arms.units))
        return _("Randomized per **{unit}**, analysed per **{analysis_unit}** (data: {grain}). Arms: {arms}; control "
                 "**{control}**; decision metric **{metric}**; significance level {alpha}.",
                 unit=md(T.unit_name(r.unit_type)), analysis_unit=md(T.unit_name(r.analysis_unit)),
                 grain=md(T.grain(r.data_grain, r.unit_type)), arms=arms, control=md(r.control),
                 metric=md(T.metric_name(r.primary_metric)), alpha=T.alpha_text(r.alpha))

    def heading(self) -> str:
        """Markdown: the report's title and subtitle."""
        return f"# {md(self.title)}\n\n{self.subtitle}"

    def verdict_html(self) -> str:
        r = self.result
        color = {"ship": "#009E73", "keep_control": "#0072B2", "hold": "#D55E00", "invalid": "#D55E00",
                 "continue": "#56B4E9"}.get(r.decision, "#E69F00")
        label = _("Verdict:")
        return (f"<div style='border-left:6px solid {color};padding:10px 14px;background:#f7f7f7;font-size:1.15em'>"
                f"<b>{html_text(label)}</b> {html_text(r.verdict())}</div>")

    def stop_sentence(self) -> str:
        """Markdown: can the test stop now (the sequential status)."""
        return _("**Can we stop the test?** {status}.", status=md(self.result.sequential_status))

    def checks(self) -> pd.DataFrame:
        r = self.result
        split = T.joined(_("{arm}: {share}", arm=a, share=fmt.percent(s, 1)) for a, s in zip(r.arms.arm, r.arms.share))
        rows = [
            (_("Sample ratio (chi-square)"), _("passed") if r.srm_ok else _("FAILED"),
             _("{p}; a ship verdict needs p ≥ {threshold}. Split: {split}", p=T.p_text(r.srm_p_value),
               threshold=T.alpha_text(r.srm_threshold), split=split)),
            (_("Units in more than one arm"),
             fmt.number(r.contaminated_units) if r.contaminated_units else _("none"),
             _("excluded from the analysis") if r.contaminated_units else _("no contamination")),
            (_("Duplicated assignment rows"), fmt.number(r.duplicate_rows),
             _("counted once") if r.duplicate_rows else _("none")),
            (_("Looks (sequential monitoring)"), r.look_text(), r.sequential_status),
            (_("Pre-period covariate (CUPED)"), T.covariate_name(r.covariate),
             _("{n} {units} without it", n=fmt.number(r.covariate_missing), units=T.units(r.unit_type, r.covariate_missing))
             if r.covariate_missing else _("available for all")),
        ]
        rows += [(_("Note"), "!", w) for w in r.warnings]
        return pd.DataFrame(rows, columns=[pgettext("experiments column", "check"), pgettext("experiments column", "result"), pgettext("experiments column", "detail")])

    def effects(self) -> pd.DataFrame:
        r = self.result
        e = r.effects
        out = r.display_frame()
        out[pgettext("experiments column", "metric")] = [_("{metric} (guardrail)", metric=T.metric_name(m, lb)) if g else T.metric_name(m, lb)
                               for m, lb, g in zip(e.metric, e.label, e.guardrail)]
        out[pgettext("experiments column", "p (BH)")] = [T.pvalue(p) for p in e.p_bh]
        out[pgettext("experiments column", "CUPED")] = [(_("no gain") if v < 0.005 else _("-{share} variance", share=fmt.percent(v, 0)))
                              if c else _("no") for c, v in zip(e.cuped, e.variance_reduction)]
        return out

    def bayes(self) -> pd.DataFrame:
        e = self.result.effects
        return pd.DataFrame({
            pgettext("experiments column", "metric"): [T.metric_name(m, lb) for m, lb in zip(e.metric, e.label)],
            pgettext("experiments column", "arm"): e.arm,
            pgettext("experiments column", "chance to beat control"): [fmt.percent(v, 1) for v in e.chance_to_beat],
            pgettext("experiments column", "expected loss if shipped"): [T.effect(abs(v), p) for v, p in zip(e.expected_loss, e.percent)],
            pgettext("experiments column", "credible interval"): [T.interval(lo, hi, p) for lo, hi, p in zip(e.cred_low, e.cred_high, e.percent)],
        })

    def sequential(self) -> pd.DataFrame:
        """Per metric: the look, the interval that goes with it and whether it decides — from
        the result's ``significant`` column (the one decision rule)."""
        r = self.result
        e = r.effects[~r.effects.guardrail]
        out = {
            pgettext("experiments column", "metric"): [T.metric_name(m, lb) for m, lb in zip(e.metric, e.label)], pgettext("experiments column", "arm"): e.arm,
            pgettext("experiments column", "effect"): [T.effect(v, p) for v, p in zip(e.effect, e.percent)],
            pgettext("experiments column", "fixed-horizon CI"): [T.interval(lo, hi, p) for lo, hi, p in zip(e.ci_low, e.ci_high, e.percent)],
        }
        seq_name = {"group": pgettext("experiments column", "repeated CI (group-sequential)"), "always-valid": pgettext("experiments column", "always-valid CI")}.get(r.plan.mode)
        if seq_name:
            out[seq_name] = [T.interval(lo, hi, p) for lo, hi, p in zip(e.seq_ci_low, e.seq_ci_high, e.percent)]
        out[pgettext("experiments column", "look")] = r.look_text()
        out[pgettext("experiments column", "p at this look")] = [T.pvalue(p) for p in e.p_adj]
        lvl = T.sig_number if r.plan.mode == "group" else T.alpha_text
        out[pgettext("experiments column", "needed")] = [_("p < {level}", level=lvl(v)) for v in e.level]
        if r.plan.final:
            out[pgettext("experiments column", "decision")] = [_("significant") if s else _("not significant") for s in e.significant]
        else:
            out[pgettext("experiments column", "decision")] = [_("may stop") if s else _("keep running") for s in e.significant]
        return pd.DataFrame(out)

    def funnel_table(self) -> pd.DataFrame:
        from leadlab.experiments.metrics import FUNNEL_STAGES

        f = self.result.funnel
        if f is None:
            return pd.DataFrame()
        names = {label: T.stage_name(col) for col, label in FUNNEL_STAGES}
        order = list(f.stage.unique())
        wide = f.pivot(index="stage", columns="arm", values="step_rate").reindex(order)
        out = pd.DataFrame({pgettext("experiments column", "stage"): [names.get(s, s) for s in order]})
        for a in wide.columns:
            out[_("{arm}: step conversion", arm=a)] = [fmt.percent(v, 1) for v in wide[a]]
        t = f[f.arm != self.result.control].set_index("stage")
        for a in t.arm.unique():
            ta = t[t.arm == a].reindex(order)
            out[_("{arm} vs {control}", arm=a, control=self.result.control)] = [
                "" if pd.isna(v) else _("{effect} ({interval})", effect=T.effect(v, True),
                                        interval=T.interval(lo, hi, True))
                for v, lo, hi in zip(ta.step_effect, ta.step_ci_low, ta.step_ci_high)]
            out[_("{arm} diverges", arm=a)] = [_("yes") if d is True else "" for d in ta.diverges]
        return out

    def funnel_sentence(self) -> str:
        from leadlab.experiments.metrics import FUNNEL_STAGES

        f = self.result.funnel
        if f is None:
            return ""
        d = f[f.diverges.fillna(False).astype(bool)]
        if d.empty:
            return _("No funnel step differs significantly between the arms (Holm-adjusted across steps): the arms "
                     "convert alike at every stage shown.")
        names = {label: T.stage_name(col) for col, label in FUNNEL_STAGES}
        parts = T.joined(_("{arm} at *{stage}* ({effect} step conversion)", arm=md(r.arm),
                           stage=md(names.get(r.stage, r.stage)), effect=T.effect(r.step_effect, True))
                         for r in d.itertuples())
        return _("The arms diverge at: {parts}.", parts=parts)

    def segments_table(self) -> pd.DataFrame:
        r = self.result
        s = r.segments
        if s is None or s.empty:
            return pd.DataFrame()
        pct = bool(r.primary().percent.any())
        return pd.DataFrame({
            pgettext("experiments column", "dimension"): [r.dimension_name(d) for d in s.dimension], pgettext("experiments column", "segment"): s.segment,
            pgettext("experiments column", "arm"): s.arm,
            pgettext("experiments column", "units"): [_("{control} / {arm}", control=fmt.number(c), arm=fmt.number(u))
                            for c, u in zip(s.control_units, s.units)],
            pgettext("experiments column", "control"): [T.value(v, pct) for v in s.control_value],
            pgettext("experiments column", "arm value"): [T.value(v, pct) for v in s.value],
            pgettext("experiments column", "effect"): [T.effect(v, pct) for v in s.effect],
            pgettext("experiments column", "CI"): [T.interval(lo, hi, pct) for lo, hi in zip(s.ci_low, s.ci_high)],
            pgettext("experiments column", "p (BH)"): [T.pvalue(p) for p in s.p_bh], pgettext("experiments column", "p (Holm)"): [T.pvalue(p) for p in s.p_holm],
        })

    def segments_empty_sentence(self) -> str:
        return _("Too few units per segment and arm to estimate segment effects.")

    def unit_sentence(self) -> str:
        """Markdown: why the analysis unit matters for this test (the naive comparison for a rep test)."""
        if self.naive is None:
            r = self.result
            return _("This test was randomized per **{unit}**, and each {unit} is analysed as one independent unit, "
                     "so the intervals above need no correction for clustering.", unit=md(T.unit_name(r.unit_type)))
        return self.naive_sentence()

    def _pair(self, metric: str):
        r, n = (self.plain or self.result), self.naive
        a = r.effects[r.effects.metric == metric]
        b = n.effects[n.effects.metric == metric] if n is not None else a.iloc[:0]
        return (None, None) if a.empty or b.empty else (a.iloc[0], b.iloc[0])

    def _estimate(self, x) -> str:
        return _("{effect} ({interval}), {p}", effect=T.effect(x.effect, x.percent),
                 interval=T.interval(x.ci_low, x.ci_high, x.percent), p=T.p_text(x.p_value))

    def naive_comparison(self) -> pd.DataFrame | None:
        if self.naive is None:
            return None
        r = self.plain or self.result
        rows = []
        for m in r.effects.metric.unique():
            a, b = self._pair(m)
            if a is None:
                continue
            rows.append({
                pgettext("experiments column", "metric"): T.metric_name(a.metric, a.label), pgettext("experiments column", "arm"): a.arm,
                _("per {unit} (correct)", unit=T.unit_name(r.analysis_unit)): self._estimate(a),
                pgettext("experiments column", "naive per lead/call"): self._estimate(b),
                pgettext("experiments column", "naive interval is narrower by"): fmt.percent(1 - (b.ci_high - b.ci_low) / (a.ci_high - a.ci_low), 0),
            })
        return pd.DataFrame(rows)

    def plot_naive(self, ax=None):
        """Forest plot: the correct per-rep interval next to the naive one, per metric."""
        from leadlab import plots

        rows = []
        r = self.plain or self.result
        for m in r.effects[~r.effects.guardrail].metric.unique():
            a, b = self._pair(m)
            if a is None:
                continue
            name = T.metric_name(a.metric, a.label)
            rows.append({"label": _("{metric} · per rep (correct)", metric=name), "est": a.rel_effect,
                         "lo": a.rel_ci_low, "hi": a.rel_ci_high})
            rows.append({"label": _("{metric} · naive per lead/call", metric=name), "est": b.rel_effect,
                         "lo": b.rel_ci_low, "hi": b.rel_ci_high})
        return plots.forest_plot(pd.DataFrame(rows), "label", "est", "lo", "hi", percent=True, ax=ax,
                                 title=_("Same data, two analyses: lift with {level} intervals",
                                         level=T.level(self.result.alpha)),
                                 xlabel=_("relative lift vs {control}", control=self.result.control))

    def naive_sentence(self) -> str:
        if self.naive is None:
            return ""
        r, n = (self.plain or self.result), self.naive
        a, b = self._pair(r.primary_metric)
        if a is None:
            return ""
        reps = int(r.arms.units.sum())
        leads = int(n.effects.units.iloc[0] + n.effects.control_units.iloc[0])
        return _(
            "Scripts were assigned to whole reps: only **{reps} reps** were randomized, even though they handled "
            "**{leads} leads**. Reps differ a lot in how well they qualify leads, so the leads of one rep are not "
            "independent pieces of evidence: who happened to land in arm {arm} matters as much as the script. The "
            "naive analysis pretends every lead is an independent coin flip and reports the {metric} change as "
            "{naive}; the correct per-rep analysis of the same numbers (without the CUPED adjustment, to compare like "
            "with like) gives {correct}. Deciding on the naive numbers would mean trusting a difference that a "
            "different draw of reps could easily erase.",
            reps=fmt.number(reps), leads=fmt.number(leads), arm=md(a.arm), metric=md(T.metric_name(a.metric, a.label)),
            naive=self._estimate(b), correct=self._estimate(a))


def experiment_report(experiment_id: str = "", metrics: str = "", alpha: float = 0.05, as_of: str = "",
                      con=None) -> ExperimentReport:
    """Analyse ``experiment_id`` (the first experiment of the store when empty) for the report."""
    kw = dict(metrics=metrics or None, alpha=alpha, as_of=as_of or None, con=con)
    res = analyze(experiment_id=experiment_id or None, **kw)
    if res.unit_type != "rep":
        return ExperimentReport(res, None)
    naive = analyze(experiment_id=res.experiment_id, analysis_unit="naive", segments=False, funnel=False, **kw)
    plain = analyze(experiment_id=res.experiment_id, cuped=False, segments=False, funnel=False, **kw)
    return ExperimentReport(res, naive, plain)
