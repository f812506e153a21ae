"""Incentive plans: payouts with the rule behind each amount, and a what-if with a luck-vs-skill
check (see docs/incentives.md).

>>> from leadlab.incentives import load_plan
>>> load_plan().kpi
'sql'
"""

from leadlab.incentives.plan import Plan, demo_plan_path, load_plan, parse_plan_text
from leadlab.incentives.simulate import compute_payouts, simulate_plan

__all__ = ["Plan", "compute_payouts", "demo_plan_path", "load_plan", "parse_plan_text", "simulate_plan"]
