"""What ``notebooks/experiment_report.ipynb`` shows, computed here so tests reach it.

:func:`experiment_report` runs the analysis (and, for a rep-randomized experiment, the
naive per-lead/per-call analysis for comparison) and returns small display tables with
the sentences a manager reads.

>>> # rep = experiment_report("EXP-LEAD-SCRIPT"); rep.result.verdict()
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from leadlab.experiments.analyze import analyze
from leadlab.experiments.results import ExperimentResult, fmt_effect, fmt_interval, fmt_p, fmt_rel, fmt_value
from leadlab.safehtml import md, safe_style


def p_text(p: float) -> str:
    """``p < 0.0001`` or ``p = 0.0123``."""
    t = fmt_p(p)
    return f"p < {t[1:]}" if t.startswith("<") else f"p = {t}"


def _styled(df: pd.DataFrame, uid: str):
    """A Styler with a fixed uuid (stable for nbval), no index; cells and labels HTML-escaped."""
    return safe_style(df, uid)


@dataclass
class ExperimentReport:
    """The report's result; for rep experiments also the naive analysis and the correct one
    without CUPED (so the comparison isolates the choice of analysis unit)."""

    result: ExperimentResult
    naive: ExperimentResult | None
    plain: ExperimentResult | None = None

    @property
    def title(self) -> str:
        r = self.result
        return f"Experiment {r.experiment_id}" + (f": {r.name}" if r.name else "")

    @property
    def subtitle(self) -> str:
        r = self.result
        arms = ", ".join(f"{md(a)} ({int(u):,} {md(r.unit_noun)}s)" for a, u in zip(r.arms.arm, r.arms.units))
        return (f"Randomized per **{md(r.unit_type)}**, analysed per **{md(r.analysis_unit)}** (data: {md(r.data_grain)}). "
                f"Arms: {arms}; control **{md(r.control)}**; decision metric **{md(r.primary_metric)}**; "
                f"significance level {r.alpha:g}.")

    def verdict_html(self) -> str:
        r = self.result
        color = {"ship": "#009E73", "keep_control": "#0072B2", "hold": "#D55E00", "invalid": "#D55E00",
                 "continue": "#56B4E9"}.get(
            r.decision, "#E69F00")
        return (f"<div style='border-left:6px solid {color};padding:10px 14px;background:#f7f7f7;font-size:1.15em'>"
                f"<b>Verdict.</b> {html.escape(r.verdict())}</div>")

    def checks(self) -> pd.DataFrame:
        r = self.result
        rows = [
            ("Sample ratio (chi-square)", "passed" if r.srm_ok else "FAILED",
             f"p = {fmt_p(r.srm_p_value)}; a ship verdict needs p ≥ {r.srm_threshold:g}. Split: "
             + ", ".join(f"{a} {s:.1%}" for a, s in zip(r.arms.arm, r.arms.share))),
            (f"{r.unit_noun.capitalize()}s in more than one arm", "none" if not r.contaminated_units else
             f"{r.contaminated_units}", "excluded from the analysis" if r.contaminated_units else "no contamination"),
            ("Duplicated assignment rows", str(r.duplicate_rows), "counted once" if r.duplicate_rows else "none"),
            ("Looks (sequential monitoring)", r.look_text(), r.sequential_status),
            ("Pre-period covariate (CUPED)", r.covariate or "not used",
             f"{r.covariate_missing} {r.unit_noun}(s) without it" if r.covariate_missing else "available for all"),
        ]
        for w in r.warnings:
            rows.append(("Note", "!", w))
        return pd.DataFrame(rows, columns=["check", "result", "detail"])

    def effects(self) -> pd.DataFrame:
        e = self.result.effects
        return pd.DataFrame({
            "metric": e.label + e.guardrail.map({True: " (guardrail)", False: ""}),
            "arm": e.arm,
            self.result.control: [fmt_value(v, p) for v, p in zip(e.control_value, e.percent)],
            "arm value": [fmt_value(v, p) for v, p in zip(e.value, e.percent)],
            "effect": [fmt_effect(v, p) for v, p in zip(e.effect, e.percent)],
            f"{1 - self.result.alpha:.0%} CI": [fmt_interval(lo, hi, fmt_effect, p)
                                               for lo, hi, p in zip(e.ci_low, e.ci_high, e.percent)],
            "lift": [f"{fmt_rel(v)} ({fmt_interval(lo, hi, fmt_rel)})" for v, lo, hi in zip(e.rel_effect, e.rel_ci_low, e.rel_ci_high)],
            "p (Holm)": [fmt_p(ni if g else p) for p, ni, g in zip(e.p_adj, e.ni_p_value, e.guardrail)],
            "p (BH)": [fmt_p(p) for p in e.p_bh],
            "status": [(s if g else ("significant" if sig else "not significant"))
                       for s, g, sig in zip(e.guardrail_status, e.guardrail, e.significant)],
            "CUPED": [("no gain" if v < 0.005 else f"-{v:.0%} variance") if c else "no"
                      for c, v in zip(e.cuped, e.variance_reduction)],
        })

    def bayes(self) -> pd.DataFrame:
        e = self.result.effects
        return pd.DataFrame({
            "metric": e.label, "arm": e.arm,
            "chance to beat control": [f"{v:.1%}" for v in e.chance_to_beat],
            "expected loss if shipped": [fmt_effect(v, p).lstrip("+") for v, p in zip(e.expected_loss, e.percent)],
            "credible interval": [fmt_interval(lo, hi, fmt_effect, p) for lo, hi, p in zip(e.cred_low, e.cred_high, e.percent)],
        })

    def sequential(self) -> pd.DataFrame:
        """Per metric: the look, the interval that goes with it and whether it decides — from
        the result's ``significant`` column (the one decision rule)."""
        r = self.result
        e = r.effects[~r.effects.guardrail]
        mode = r.plan.mode
        seq_name = {"group": "repeated CI (group-sequential)", "always-valid": "always-valid CI"}.get(mode)
        out = {
            "metric": e.label, "arm": e.arm, "effect": [fmt_effect(v, p) for v, p in zip(e.effect, e.percent)],
            "fixed-horizon CI": [fmt_interval(lo, hi, fmt_effect, p) for lo, hi, p in zip(e.ci_low, e.ci_high, e.percent)],
        }
        if seq_name:
            out[seq_name] = [fmt_interval(lo, hi, fmt_effect, p) for lo, hi, p in zip(e.seq_ci_low, e.seq_ci_high, e.percent)]
        out["look"] = r.look_text()
        out["p at this look"] = [fmt_p(p) for p in e.p_adj]
        out["needed"] = [f"p < {fmt_p(v)}" for v in e.level]
        decided = "may stop" if not r.plan.final else "significant"
        out["decision"] = [decided if s else ("keep running" if not r.plan.final else "not significant")
                           for s in e.significant]
        return pd.DataFrame(out)

    def funnel_table(self) -> pd.DataFrame:
        f = self.result.funnel
        if f is None:
            return pd.DataFrame()
        wide = f.pivot(index="stage", columns="arm", values="step_rate").reindex(f.stage.unique())
        out = pd.DataFrame({"stage": wide.index})
        for a in wide.columns:
            out[f"{a}: step conversion"] = [f"{v:.1%}" for v in wide[a]]
        t = f[f.arm != self.result.control].set_index("stage")
        for a in t.arm.unique():
            ta = t[t.arm == a].reindex(out.stage)
            out[f"{a} vs {self.result.control}"] = [
                "" if pd.isna(v) else f"{fmt_effect(v, True)} ({fmt_effect(lo, True, False)} to {fmt_effect(hi, True, False)})"
                for v, lo, hi in zip(ta.step_effect, ta.step_ci_low, ta.step_ci_high)]
            out[f"{a} diverges"] = ["yes" if d is True else "" for d in ta.diverges]
        return out

    def funnel_sentence(self) -> str:
        f = self.result.funnel
        if f is None:
            return ""
        d = f[f.diverges.fillna(False).astype(bool)]
        if d.empty:
            return ("No funnel step differs significantly between the arms (Holm-adjusted across steps): "
                    "the arms convert alike at every stage shown.")
        parts = [f"{md(r.arm)} at *{md(r.stage)}* ({fmt_effect(r.step_effect, True)} step conversion)" for r in d.itertuples()]
        return "The arms diverge at: " + "; ".join(parts) + "."

    def segments_table(self) -> pd.DataFrame:
        s = self.result.segments
        if s is None or s.empty:
            return pd.DataFrame()
        pct = bool(self.result.primary().percent.any())
        return pd.DataFrame({
            "dimension": s.dimension, "segment": s.segment, "arm": s.arm,
            "units": [f"{int(c):,} / {int(u):,}" for c, u in zip(s.control_units, s.units)],
            "control": [fmt_value(v, pct) for v in s.control_value], "arm value": [fmt_value(v, pct) for v in s.value],
            "effect": [fmt_effect(v, pct) for v in s.effect],
            "CI": [f"{fmt_effect(lo, pct)} to {fmt_effect(hi, pct)}" for lo, hi in zip(s.ci_low, s.ci_high)],
            "p (BH)": [fmt_p(p) for p in s.p_bh], "p (Holm)": [fmt_p(p) for p in s.p_holm],
        })

    def naive_comparison(self) -> pd.DataFrame | None:
        if self.naive is None:
            return None
        r, n = (self.plain or self.result), self.naive
        rows = []
        for m in r.effects.metric.unique():
            a = r.effects[r.effects.metric == m]
            b = n.effects[n.effects.metric == m]
            if a.empty or b.empty:
                continue
            a, b = a.iloc[0], b.iloc[0]
            rows.append({
                "metric": a.label, "arm": a.arm,
                f"per {r.analysis_unit} (correct)": f"{fmt_effect(a.effect, a.percent)} ({fmt_effect(a.ci_low, a.percent)} to {fmt_effect(a.ci_high, a.percent)}), {p_text(a.p_value)}",
                "naive per lead/call": f"{fmt_effect(b.effect, b.percent)} ({fmt_effect(b.ci_low, b.percent)} to {fmt_effect(b.ci_high, b.percent)}), {p_text(b.p_value)}",
                "naive interval is narrower by": f"{1 - (b.ci_high - b.ci_low) / (a.ci_high - a.ci_low):.0%}",
            })
        return pd.DataFrame(rows)

    def plot_naive(self, ax=None):
        """Forest plot: the correct per-rep interval next to the naive one, per metric."""
        from leadlab import plots

        rows = []
        for m in (self.plain or self.result).effects[~self.result.effects.guardrail].metric.unique():
            a = (self.plain or self.result).effects[(self.plain or self.result).effects.metric == m]
            b = self.naive.effects[self.naive.effects.metric == m] if self.naive is not None else a.iloc[:0]
            if a.empty or b.empty:
                continue
            a, b = a.iloc[0], b.iloc[0]
            rows.append({"label": f"{a.label} · per rep (correct)", "est": a.rel_effect, "lo": a.rel_ci_low, "hi": a.rel_ci_high})
            rows.append({"label": f"{a.label} · naive per lead/call", "est": b.rel_effect, "lo": b.rel_ci_low, "hi": b.rel_ci_high})
        d = pd.DataFrame(rows)
        return plots.forest_plot(d, "label", "est", "lo", "hi", percent=True, ax=ax,
                                 title="Same data, two analyses: lift with 95% intervals",
                                 xlabel=f"relative lift vs {self.result.control}")

    def naive_sentence(self) -> str:
        if self.naive is None:
            return ""
        r, n = (self.plain or self.result), self.naive
        a = r.primary().iloc[0]
        b = n.effects[n.effects.metric == r.primary_metric]
        if b.empty:
            return ""
        b = b.iloc[0]
        reps = int(r.arms.units.sum())
        leads = int(n.effects.units.iloc[0] + n.effects.control_units.iloc[0])
        return (
            f"Scripts were assigned to whole reps: only **{reps} reps** were randomized, even though they handled "
            f"**{leads:,} leads**. Reps differ a lot in how well they qualify leads, so the leads of one rep are not "
            f"independent pieces of evidence: who happened to land in arm {md(a.arm)} matters as much as the script. "
            f"The naive analysis pretends every lead is an independent coin flip and reports the {md(a.label)} change as "
            f"{fmt_effect(b.effect, b.percent)} (CI {fmt_effect(b.ci_low, b.percent)} to {fmt_effect(b.ci_high, b.percent)}), "
            f"{p_text(b.p_value)}; the correct per-rep analysis of the same "
            f"numbers (without the CUPED adjustment, to compare like with like) gives "
            f"{fmt_effect(a.effect, a.percent)} (CI {fmt_effect(a.ci_low, a.percent)} to {fmt_effect(a.ci_high, a.percent)}), "
            f"{p_text(a.p_value)}. Deciding on the naive numbers would mean trusting a difference that a different "
            "draw of reps could easily erase."
        )


def experiment_report(experiment_id: str = "", metrics: str = "", alpha: float = 0.05, as_of: str = "",
                      con=None) -> ExperimentReport:
    """Analyse ``experiment_id`` (the first experiment of the store when empty) for the report."""
    res = analyze(experiment_id=experiment_id or None, metrics=metrics or None, alpha=alpha, as_of=as_of or None,
                  con=con)
    naive = None
    if res.unit_type == "rep":
        naive = analyze(experiment_id=res.experiment_id, metrics=metrics or None, alpha=alpha, as_of=as_of or None,
                        con=con, analysis_unit="naive", segments=False, funnel=False)
        plain = analyze(experiment_id=res.experiment_id, metrics=metrics or None, alpha=alpha, as_of=as_of or None,
                        con=con, cuped=False, segments=False, funnel=False)
        return ExperimentReport(res, naive, plain)
    return ExperimentReport(res, None)


styled = _styled
