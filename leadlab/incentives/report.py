"""The incentives report page (``notebooks/incentives_report.ipynb``): the payouts of the period
and the plan's what-if with the luck check, as Result objects and Markdown.

>>> page = incentives_page(store_url, "2026-10", periods=2, draws=200)
>>> page.payouts.period.label, len(page.simulation.frame)
('2026-10', 2)
"""

from __future__ import annotations

from dataclasses import dataclass

from leadlab.i18n import N_, _
from leadlab.incentives.plan import Plan, load_plan
from leadlab.incentives.results import PayoutResult, SimulationResult

SECTION_TEXTS: dict[str, tuple[str, str]] = {
    "payouts": (N_("Payouts of the period"),
                N_("What each rep earns under the plan, and the rule that produced the amount: attainment of the "
                   "target, the tier it falls in, the cap, the quality gate (complaints and do-not-call requests) and "
                   "the team pool.")),
    "whatif": (N_("Is the plan paying for skill or for luck?"),
               N_("The plan replayed on recent periods: what it costs, how unequal the payouts are, and how much of "
                  "the difference between reps is skill (true rates and volume) rather than chance. Each rep's true "
                  "rate comes from the scorecard's posterior; replaying the period many times shows how often a rep "
                  "would have landed in another tier. A plan whose tiers mostly reflect chance rewards luck: widen the "
                  "tiers, lengthen the period or pay on a rate the rep controls.")),
}


@dataclass
class IncentivesPage:
    plan: Plan
    payouts: PayoutResult
    simulation: SimulationResult

    def header_markdown(self) -> str:
        from leadlab import safehtml
        from leadlab.kpi import labels

        title = _("Incentives — {period}", period=labels.period_text(self.payouts.period))
        return f"# {safehtml.md(title)}\n\n{safehtml.md(self.payouts.notes()[0])}"

    @staticmethod
    def section(key: str) -> str:
        from leadlab.presentation import section_markdown

        return section_markdown(SECTION_TEXTS, key)


def incentives_page(data, period="last-month", plan_path=None, targets_path=None, periods: int = 6,
                    draws: int = 1000, seed: int = 0) -> IncentivesPage:
    """Payouts of ``period`` and the what-if on the ``periods`` periods ending with it."""
    from leadlab.incentives.simulate import compute_payouts, simulate_plan
    from leadlab.kpi import KpiData

    data = KpiData.coerce(data)
    plan = load_plan(plan_path or None)
    return IncentivesPage(plan, compute_payouts(data, plan, period, targets_path=targets_path or None),
                          simulate_plan(data, plan, period, periods=periods, targets_path=targets_path or None,
                                        draws=draws, seed=seed))
