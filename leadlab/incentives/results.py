"""Result objects of the incentives engine: facts in, text/tables in the current language out.

>>> import pandas as pd
>>> from leadlab.incentives.plan import parse_plan_text
>>> from leadlab.incentives.payouts import payout_frame
>>> from leadlab.periods import parse_period
>>> plan = parse_plan_text("kpi: sql\\ntarget: 10\\ntarget_incentive: 1000\\ntiers:\\n  - {from: 0, rate: 1}")
>>> f = payout_frame(plan, pd.DataFrame({"rep_id": ["A"], "team": ["T"], "actual": [5.0], "target": [10.0]}))
>>> print(PayoutResult(f, parse_period("2026-10"), None, plan=plan).verdict())
Total payout CN¥500 to 1 of 1 reps; 0 failed the quality gate.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from leadlab.i18n import N_, _, fmt, pgettext
from leadlab.kpi import labels
from leadlab.kpi.results import KpiResult


def _interval(share: float, low: float, high: float) -> str:
    return _("{share} [{low}, {high}]", share=fmt.percent(share, 0), low=fmt.percent(low, 0), high=fmt.percent(high, 0))


def plan_sentence(plan) -> str:
    """The plan in one sentence."""
    target = fmt.number(plan.target, 2 if plan.target % 1 else 0) if plan.target is not None else _("the rep targets")
    cap = fmt.number(plan.cap, 2) if math.isfinite(plan.cap) else _("none")
    return _("Plan {name}: {kpi} against {target} per rep; {incentive} at 100% attainment; {tiers} tiers; cap {cap} × "
             "the target incentive; {gates} quality rules; team pool {pool}.", name=plan.name or plan.source,
             kpi=labels.kpi_name(plan.kpi), target=target, incentive=fmt.money(plan.target_incentive),
             tiers=fmt.number(len(plan.tiers)), cap=cap, gates=fmt.number(len(plan.gate)), pool=fmt.percent(plan.team_pool, 0))


class PayoutResult(KpiResult):
    """One row per rep: actual, target, attainment, band, multiple, gate, pool share, payout."""

    def __init__(self, frame, period, team, *, plan):
        super().__init__(N_("Incentive payouts"), frame, period, team)
        self.plan = plan

    def rules(self) -> list[str]:
        from leadlab.incentives.payouts import rule_text

        return [rule_text(self.plan, r) for r in self.frame.itertuples(index=False)]

    def display_frame(self) -> pd.DataFrame:
        k = self.plan.kpi
        return pd.DataFrame({_("Rep"): self.frame["rep_id"].astype(str), _("Team"): self.frame["team"].astype(str),
                             labels.kpi_name(k): [labels.kpi_value(k, v) for v in self.frame["actual"]],
                             _("Target"): [labels.kpi_value(k, v) for v in self.frame["target"]],
                             pgettext("payout table", "Attainment"): [fmt.percent(v, 0) for v in self.frame["attainment"]],
                             _("Payout"): [fmt.money(v) for v in self.frame["payout"]], _("Rule"): self.rules()})

    def export_frame(self) -> pd.DataFrame:
        """For CSV/XLSX: numbers stay numbers, headers and rules in the current language."""
        f = self.frame
        return pd.DataFrame({_("Rep"): f["rep_id"].astype(str), _("Team"): f["team"].astype(str),
                             labels.kpi_name(self.plan.kpi): f["actual"].astype(float),
                             _("Target"): f["target"].astype(float), pgettext("payout table", "Attainment"): f["attainment"].astype(float),
                             _("Tier"): (f["band"] + 1).astype(int), _("Payout"): f["payout"].round(2),
                             _("Rule"): self.rules()})

    def verdict(self) -> str:
        f = self.frame
        if f.empty:
            return ""
        return _("Total payout {total} to {paid} of {n} reps; {gated} failed the quality gate.",
                 total=fmt.money(f["payout"].sum()), paid=fmt.number(int((f["payout"] > 0).sum())),
                 n=fmt.number(len(f)), gated=fmt.number(int((~f["gate_ok"]).sum())))

    def notes(self) -> list[str]:
        return [plan_sentence(self.plan),
                _("Order of the rules: attainment → tier rates (each tier pays its rate for the attainment inside it) → "
                  "cap → quality gate (a rep who fails a rule earns nothing) → team pool (shared equally by the team's "
                  "reps who passed the gate)."),
                _("Paid: reps on staff with a target and at least one call or new lead in the period.")]


class SimulationResult(KpiResult):
    """One row per period: cost, payout spread, skill share with its interval, share of tiers
    that are chance. ``reps``: one row per rep and period (payout, luck amount, P(tier by chance))."""

    def __init__(self, frame, period, team, *, plan, reps: pd.DataFrame, draws: int, seed: int):
        super().__init__(N_("Incentive plan what-if"), frame, period, team)
        self.plan, self.reps, self.draws, self.seed = plan, reps, draws, seed

    def display_frame(self) -> pd.DataFrame:
        f = self.frame
        return pd.DataFrame({
            _("Period"): [labels.period_text(p) for p in f["period"]],
            _("Reps paid"): [_("{paid} of {n}", paid=fmt.number(a), n=fmt.number(b)) for a, b in zip(f["paid"], f["reps"])],
            _("Total cost"): [fmt.money(v) for v in f["total"]],
            _("Mean payout"): [fmt.money(v) for v in f["mean"]],
            _("Middle 80% of payouts"): [_("{low} to {high}", low=fmt.money(a), high=fmt.money(b))
                                         for a, b in zip(f["p10"], f["p90"])],
            _("Skill share [90% interval]"): [_interval(a, b, c) for a, b, c in
                                              zip(f["skill_share"], f["skill_low"], f["skill_high"])],
            _("Tiers by chance"): [fmt.percent(v, 0) for v in f["chance_tier_share"]]})

    def rep_frame(self) -> pd.DataFrame:
        """Per rep over the periods: payout, luck amount, mean P(tier by chance)."""
        r = self.reps
        if r.empty:
            return pd.DataFrame(columns=["rep_id", "team", "payout", "luck", "p_tier_chance", "p_gate_chance"])
        g = r.groupby(["rep_id", "team"], as_index=False).agg(payout=("payout", "sum"), luck=("luck", "sum"),
                                                             p_tier_chance=("p_tier_chance", "mean"),
                                                             p_gate_chance=("p_gate_chance", "mean"))
        return g.sort_values("payout", ascending=False).reset_index(drop=True)

    def rep_display(self) -> pd.DataFrame:
        g = self.rep_frame()
        out = pd.DataFrame({_("Rep"): g["rep_id"].astype(str), _("Team"): g["team"].astype(str),
                            _("Payout"): [fmt.money(v) for v in g["payout"]],
                            _("Of which luck"): [("+" if v > 0 else "") + fmt.money(v) for v in g["luck"]],
                            _("P(tier by chance)"): [fmt.percent(v, 0) for v in g["p_tier_chance"]]})
        if g["p_gate_chance"].notna().any():
            out[_("P(gate by chance)")] = [fmt.percent(v, 0) for v in g["p_gate_chance"]]
        return out

    def verdict(self) -> str:
        f = self.frame
        if f.empty:
            return ""
        skill = float(np.nanmean(f["skill_share"]))
        chance = float((self.reps["p_tier_chance"] > 0.5).mean()) if len(self.reps) else math.nan
        return _("Over {n} periods the plan would cost {total} ({mean} a period). Skill and volume explain {skill} of "
                 "the differences in payouts and chance {luck}; for {chance} of reps and periods the payout tier is "
                 "more likely than not a matter of chance.", n=fmt.number(len(f)), total=fmt.money(f["total"].sum()),
                 mean=fmt.money(f["total"].mean()), skill=fmt.percent(skill, 0), luck=fmt.percent(1 - skill, 0),
                 chance=fmt.percent(chance, 0))

    def notes(self) -> list[str]:
        return [plan_sentence(self.plan),
                _("Luck check: each rep's true rate is drawn from the scorecard's hierarchical beta-binomial posterior "
                  "({draws} seeded draws, seed {seed}); the period is replayed with the rep's volume held fixed. Skill "
                  "share = the part of the spread of payouts between reps explained by true rates and volume; the rest "
                  "is binomial chance. P(tier by chance) = the probability that a replay puts the rep in another payout "
                  "tier. Of which luck = payout under the plan's tiers minus the payout expected at the rep's estimated "
                  "skill (quality gate and team pool left out).", draws=fmt.number(self.draws), seed=str(self.seed)),
                _("P(gate by chance) = the probability that a replay of the period flips the rep's quality gate "
                  "(complaints and do-not-call requests are rare: one more or one fewer can decide it)."),
                _("The luck check counts the plan KPI the scorecard's way (SQLs: leads created in the period that "
                  "reached SQL), so its observed payouts can differ a little from the computed ones.")]

    def _plot(self, ax):
        import matplotlib.pyplot as plt
        from matplotlib.ticker import PercentFormatter

        from leadlab.plots import COLORS

        f = self.frame
        if ax is None:
            _fig, ax = plt.subplots(figsize=(9, 3.6))
        x = np.arange(len(f))
        skill = f["skill_share"].to_numpy(float)
        ax.bar(x, skill, color=COLORS["good"], label=_("skill and volume"))
        ax.bar(x, 1 - skill, bottom=skill, color=COLORS["neutral"], alpha=0.45, label=_("chance"))
        err = np.vstack([skill - f["skill_low"].to_numpy(float), f["skill_high"].to_numpy(float) - skill])
        ax.errorbar(x, skill, yerr=np.clip(err, 0, None), fmt="none", ecolor="#333333", capsize=3)
        ax.set_xticks(x, [labels.period_text(p) for p in f["period"]])
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylim(0, 1)
        ax.set_ylabel(_("share of the spread of payouts"))
        ax.set_title(_("What the payout differences reflect (90% interval)"))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)
        return ax

    def summary(self) -> str:
        text = super().summary()
        reps = self.rep_display()
        if len(reps):
            text += "\n\n" + _("By rep") + "\n" + reps.to_string(index=False)
        return text

    def _repr_html_(self) -> str:
        from leadlab.presentation import html_table
        from leadlab.safehtml import text

        reps = self.rep_display()
        extra = f"<p><b>{text(_('By rep'))}</b></p>{html_table(reps)}" if len(reps) else ""
        return super()._repr_html_() + extra
