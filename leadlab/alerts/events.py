"""Alert rules → events. Each rule asks the engine that owns the fact (targets, the KPI
table's control chart, the experiment analysis, the scorer monitor) and turns what needs
attention into :class:`Event` records: facts only, words come later (:mod:`.texts`).

An event's :attr:`Event.key` is ``rule | subject | period-or-look``: the same event seen by a
later run has the same key, so it is sent once.

>>> e = Event("behind", "target", "team:East:sql", "2026-Q4", {"status": "behind"})
>>> e.key
'behind|team:East:sql|2026-Q4'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from leadlab.alerts.config import Rule
from leadlab.errors import ConfigError


@dataclass(frozen=True)
class Event:
    rule: str
    kind: str  # target | kpi_signal | srm | guardrail | scorer_drift
    subject: str
    period: str  # a period label, or "look N" for an experiment
    facts: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.rule}|{self.subject}|{self.period}"


def _num(v) -> float:
    v = float(v) if v is not None else math.nan
    return v if math.isfinite(v) else math.nan


def target_events(rule: Rule, data, period: str) -> list[Event]:
    """Targets overlapping ``period`` whose status is one of the rule's ``status`` codes."""
    from leadlab.kpi.targets import targets_report

    res = targets_report(data, period, targets_path=rule.options.get("targets_file"))
    out = []
    for r in res.frame.itertuples(index=False):
        if r.status not in rule.options["status"]:
            continue
        facts = {"scope": r.scope, "name": r.name, "kpi": r.kpi, "period": r.period, "status": r.status,
                 "actual": _num(r.actual), "target": _num(r.target), "projection": _num(r.projection),
                 "attainment": _num(r.attainment), "elapsed": _num(r.elapsed), "final": bool(r.final)}
        who = "company" if r.scope == "company" else f"{r.scope}:{r.name}"
        out.append(Event(rule.id, "target", f"{who}:{r.kpi}", r.period, facts))
    return out


def kpi_events(rule: Rule, data, period: str) -> list[Event]:
    """KPIs of ``period`` whose signal (control limits / significant change) is one the rule asks for."""
    from leadlab.kpi.compare import kpi_table

    team = rule.options.get("team")
    table = kpi_table(data, period, team=team, kpis=rule.options.get("kpis"))
    out = []
    for r in table.frame.itertuples(index=False):
        if r.signal not in rule.options["signals"]:
            continue
        facts = {"kpi": r.kpi, "team": team, "period": table.period.label, "signal": r.signal, "value": _num(r.value),
                 "comparison": _num(r.comparison), "lower": _num(r.lower_limit), "upper": _num(r.upper_limit),
                 "p_value": _num(r.p_value)}
        out.append(Event(rule.id, "kpi_signal", f"{team or 'company'}:{r.kpi}", table.period.label, facts))
    return out


def _experiment_ids(con, wanted: list[str] | None, period) -> list[str]:
    from leadlab.store import table

    exps = table(con, "experiments").order_by("experiment_id").to_pandas()
    if wanted:
        unknown = [w for w in wanted if w not in set(exps.experiment_id.astype(str))]
        if unknown:
            raise ConfigError(f"experiment {unknown[0]!r} is not in the store (table experiments)")
        return list(wanted)
    # running during the period: started before its end and not ended before its start
    started = pd.to_datetime(exps.started_at)
    ended = pd.to_datetime(exps.ended_at)
    live = (started.isna() | (started < period.end)) & (ended.isna() | (ended >= period.start))
    return exps.experiment_id[live].astype(str).tolist()


def experiment_events(rule: Rule, con, period) -> list[Event]:
    """SRM and failed guardrails of the experiments running in ``period`` (or those the rule names),
    one event per experiment, check and look."""
    from leadlab.experiments import analyze

    out = []
    for eid in _experiment_ids(con, rule.options.get("experiments"), period):
        res = analyze(experiment_id=eid, con=con, segments=False, funnel=False)
        look = f"look {res.plan.used}"
        base = {"experiment": eid, "name": res.name, "look": res.plan.used}
        if "srm" in rule.options["checks"] and not res.srm_ok:
            split = ", ".join(f"{a} {int(u):,}" for a, u in zip(res.arms.arm, res.arms.units))
            out.append(Event(rule.id, "srm", f"{eid}:srm", look,
                             {**base, "p_value": _num(res.srm_p_value), "split": split}))
        if "guardrail" in rule.options["checks"]:
            g = res.guardrails()
            for r in g[g.guardrail_status == "failed"].itertuples(index=False):
                out.append(Event(rule.id, "guardrail", f"{eid}:guardrail:{r.metric}:{r.arm}", look,
                                 {**base, "metric": str(r.metric), "arm": str(r.arm)}))
    return out


def drift_events(rule: Rule, con, period: str) -> tuple[list[Event], bool]:
    """(events, skipped): a drift event when the scorer monitor recommends one of the rule's
    actions; ``skipped`` when no model file exists and the rule names none (nothing to monitor)."""
    from leadlab.scoring.monitor import monitor_store
    from leadlab.scoring.persist import default_model_path, load_model

    path = rule.options.get("model")
    if path is None and not default_model_path().exists():
        return [], True
    model = load_model(Path(path) if path else None)
    res = monitor_store(model, con, period=period)
    if res.action not in rule.options["actions"]:
        return [], False
    psi = res.psi.sort_values("psi", ascending=False)
    worst = psi.iloc[0] if len(psi) else None
    facts = {"version": str(res.model_version), "period": res.period, "action": res.action,
             "feature": str(worst.feature) if worst is not None else "score",
             "psi": _num(worst.psi) if worst is not None else math.nan}
    return [Event(rule.id, "scorer_drift", f"model:{res.model_version}", res.period, facts)], False


def facts_json(facts: dict) -> str:
    """Facts as JSON (NaN → null), for the state table and the generic webhook."""
    import json

    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, np.generic):
            return clean(v.item())
        return v

    return json.dumps({k: clean(v) for k, v in facts.items()}, ensure_ascii=False, sort_keys=True)
