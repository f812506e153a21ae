"""A test plan (what ``leadlab ab design`` prints): sample size or days needed, and power or
minimum detectable effect by duration — facts computed here, words at render time.

>>> p = plan_test(baseline=0.08, effect=0.01, daily=400)
>>> p.n_per_arm, p.days
(12205, 62)
>>> print(p.summary().splitlines()[0])
baseline 8.00%
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from leadlab.errors import ConfigError, LeadlabError
from leadlab.experiments import design as D
from leadlab.experiments import texts as T
from leadlab.i18n import _, fmt, pgettext
from leadlab.presentation import Result

#: Durations (days) of the power / MDE table.
DURATIONS = (7, 14, 28, 56, 84, 182)


@dataclass
class TestPlan(Result):
    """The facts of a design: inputs (and where they came from), the answer, the table by duration."""

    __test__ = False  # not a pytest test class

    baseline: float
    effect: float
    relative: float | None
    sd: float | None
    alpha: float
    power_target: float
    arms: int
    daily: float
    unit: str = "lead"
    history: D.History | None = None
    reps: int | None = None
    icc: float | None = None
    cv: float = 0.0
    n_per_arm: int | None = None
    days: int | None = None  # None for a rep test that cannot reach the power
    by_duration: list[dict] = field(default_factory=list)

    @property
    def percent(self) -> bool:
        return self.sd is None

    def _effect(self, v: float) -> str:
        if self.percent:
            return fmt.pp(v, 2)
        return T.sig_number(v, 4, sign=True)

    def title(self) -> str:
        return _("Test design")

    def to_pandas(self) -> pd.DataFrame:
        return pd.DataFrame(self.by_duration)

    def display_frame(self) -> pd.DataFrame:
        rows = []
        for r in self.by_duration:
            row = {pgettext("experiments column", "days"): fmt.number(r["days"]),
                   pgettext("experiments column", "leads per arm"): fmt.number(r["per_arm"])}
            if self.unit == "rep":
                row[pgettext("experiments column", "design effect")] = fmt.number(r["design_effect"], 2)
                row[pgettext("experiments column", "power")] = fmt.percent(r["power"], 0)
            else:
                row[pgettext("experiments column", "minimum detectable effect")] = (
                    self._effect(r["mde"]) if not math.isnan(r["mde"]) else _("not detectable"))
            rows.append(row)
        return pd.DataFrame(rows)

    def lines(self) -> list[str]:
        """The plan as lines of text, in the current language."""
        h = self.history
        out = [_("baseline {rate}", rate=fmt.percent(self.baseline, 2)) if self.percent else
               _("baseline mean {mean}, sd {sd}", mean=T.sig_number(self.baseline, 4), sd=T.sig_number(self.sd, 4))]
        if h:
            out.append("  " + _("(from the store: last {days} days, {daily} leads/day, {reps} reps, ICC of SQL within "
                                "reps {icc})", days=fmt.number(h.days), daily=fmt.number(h.daily_leads),
                                reps=fmt.number(h.reps), icc=fmt.number(h.icc, 4)))
        if self.relative is not None:
            out.append(_("effect to detect: {effect} ({relative} relative)", effect=self._effect(self.effect),
                         relative=fmt.signed_percent(self.relative, 0)))
        else:
            out.append(_("effect to detect: {effect}", effect=self._effect(self.effect)))
        out.append(_("alpha {alpha} (two-sided), power {power}, {arms} arms", alpha=T.alpha_text(self.alpha),
                     power=fmt.percent(self.power_target, 0), arms=fmt.number(self.arms)))
        daily = fmt.number(self.daily)
        if self.unit == "rep":
            out.append(_("randomized per rep: {reps} reps, ICC {icc} (design effect grows with leads per rep)",
                         reps=fmt.number(self.reps), icc=fmt.number(self.icc, 4)))
            if self.days is None:
                out.append(_("days needed: not reachable with {reps} reps: clustering caps the power below {power}; "
                             "add reps, randomize per lead, or aim for a larger effect", reps=fmt.number(self.reps),
                             power=fmt.percent(self.power_target, 0)))
            else:
                per_arm = self.daily * self.days / self.arms
                out.append(_("days needed at {daily} leads/day: {days} ({per_arm} leads per arm, design effect "
                             "{deff})", daily=daily, days=fmt.number(self.days), per_arm=fmt.number(per_arm),
                             deff=fmt.number(D.design_effect(self.daily * self.days / self.reps, self.icc, self.cv), 2)))
            out.append(_("power by duration:"))
        else:
            out.append(_("leads needed per arm: {n}", n=fmt.number(self.n_per_arm)))
            out.append(_("days needed at {daily} leads/day: {days}", daily=daily, days=fmt.number(self.days)))
            out.append(_("minimum detectable effect by duration:"))
        return out

    def summary(self) -> str:
        return "\n".join(self.lines() + ["  " + line for line in self.display_frame().to_string(index=False).splitlines()])


def plan_test(*, baseline: float | None = None, effect: float | None = None, relative: bool = False,
              sd: float | None = None, alpha: float = 0.05, power_target: float = 0.8, arms: int = 2,
              daily: float | None = None, unit: str = "lead", icc: float | None = None, reps: int | None = None,
              url: str | None = None) -> TestPlan:
    """Plan a test; inputs not given are estimated from the last 90 days of the store at ``url``
    (baseline SQL rate, daily lead volume, ICC of SQL within reps). Parameters as ``ab design``."""
    hist = None
    if (baseline is None and sd is None) or daily is None or (unit == "rep" and (icc is None or reps is None)):
        from leadlab.store import connect

        try:
            hist = D.history(connect(url, read_only=True))
        except LeadlabError as exc:
            raise ConfigError(_("cannot estimate missing design inputs from the store ({reason}); give --baseline, "
                                "--daily and --icc", reason=exc.message)) from None
    if baseline is None and sd is None:
        baseline = hist.baseline
    base = baseline if baseline is not None else 0.0
    if daily is None:
        daily = hist.daily_leads
    if effect is None:
        effect, relative = 0.10, True
    abs_effect = effect * base if relative else effect
    if abs_effect == 0:
        raise ConfigError(_("--mde must be non-zero (and --baseline non-zero with --relative)"))
    check_alpha(alpha)
    if reps is not None and reps < 2 * arms:
        raise ConfigError(_("--reps must be at least {min} for {arms} arms, got {reps}", min=2 * arms, arms=arms,
                            reps=reps))
    plan = TestPlan(base, abs_effect, effect if relative else None, sd, alpha, power_target, arms, daily, unit, hist)
    if unit == "rep":
        plan.icc = icc if icc is not None else hist.icc
        plan.reps = reps if reps is not None else (hist.reps if hist else None)
        if plan.reps is None:
            raise ConfigError(_("--unit rep needs the number of reps: run it against a store with reps"))
        plan.cv = hist.cv_leads_per_rep if hist else 0.0
        plan.days = D.cluster_days_needed(base, abs_effect, daily_units=daily, clusters=plan.reps, icc=plan.icc,
                                          sd=sd, alpha=alpha, power_target=power_target, arms=arms, cv=plan.cv)
        for d in DURATIONS:
            plan.by_duration.append({
                "days": d, "per_arm": daily * d / arms,
                "design_effect": D.design_effect(daily * d / plan.reps, plan.icc, plan.cv),
                "power": D.cluster_power(base, abs_effect, d, daily_units=daily, clusters=plan.reps, icc=plan.icc,
                                         sd=sd, alpha=alpha, arms=arms, cv=plan.cv)})
        return plan
    plan.n_per_arm = D.sample_size(base, abs_effect, sd=sd, alpha=alpha, power_target=power_target)
    plan.days = D.days_needed(plan.n_per_arm, daily, arms=arms)
    for d in DURATIONS:
        per_arm = daily * d / arms
        plan.by_duration.append({"days": d, "per_arm": per_arm,
                                 "mde": D.mde(base, per_arm, sd=sd, alpha=alpha, power_target=power_target)})
    return plan


def check_alpha(alpha: float, option: str = "--alpha") -> None:
    """ConfigError unless 0 < alpha < 1."""
    if not 0 < alpha < 1:
        raise ConfigError(_("{option} must be between 0 and 1, got {value}", option=option, value=alpha))


def design_context(con, unit_type: str, tab: ArmTable, started, now, ms: list[Metric]) -> dict:
    """What the design functions need to say how many more units (leads) or days (reps) the
    test would need: the experiment's units, its daily lead volume and, for rep tests, the ICC
    of SQL within reps from the store (as ``leadlab ab design --unit rep``)."""
    from leadlab.errors import LeadlabError
    from leadlab.experiments import design as D

    days = max((pd.Timestamp(now) - pd.Timestamp(started)) / pd.Timedelta(days=1), 1.0) if (
        started is not None and now is not None and not pd.isna(started)) else math.nan
    first = next((m.name for m in ms if m.denominator == "n_leads"), None)
    if first is not None:
        leads = sum(a.moments[first].sd for a in tab.arms)
    elif all("n_leads" in a.moments for a in tab.arms):
        leads = sum(a.moments["n_leads"].sy for a in tab.arms)
    else:
        leads = math.nan
    ctx = {"unit_type": unit_type, "units": tab.total("units"), "days": days,
           "daily_leads": leads / days if days == days else math.nan, "icc": math.nan}
    if unit_type == "rep":
        try:
            ctx["icc"] = D.history(con, as_of=now).icc
        except LeadlabError:
            pass
    return ctx
