"""Incentive plans in YAML: tiers of payout rates on attainment, accelerators, a cap, a
minimum-quality gate and team pooling — checked when read.

A plan (see ``data/examples/incentive_plan.yml``)::

    name: SQL bonus
    kpi: sql                 # the attainment KPI (any KPI of `leadlab kpi list`)
    target: 8                # per rep and period; or "targets": the rep targets of targets.yml (cascade)
    target_incentive: 3000   # what a rep earns at exactly 100 % attainment
    tiers:                   # marginal rates on attainment, from 0 without gaps or overlaps
      - {from: 0.0, to: 0.6, rate: 0}
      - {from: 0.6, to: 1.0, rate: 2.5}
      - {from: 1.0, rate: 4.0}            # accelerator above 100 % (the last tier may stay open)
    cap: 2.0                 # at most 2 × the target incentive
    gate:                    # minimum quality: a rep who fails any rule earns nothing
      - {kpi: complaints_per_1000, max: 8}
    team_pool: 0.2           # this share of each payout is pooled per team and shared equally

The payout multiple at attainment ``a`` is ``Σ rate_t × (part of [from_t, to_t) below a)``
(each tier pays its rate for the attainment inside it, like tax brackets), capped at ``cap``.

>>> p = parse_plan_text("kpi: sql\\ntarget: 8\\ntarget_incentive: 3000\\ntiers:\\n"
...     "  - {from: 0, to: 0.6, rate: 0}\\n  - {from: 0.6, to: 1.0, rate: 2.5}\\n  - {from: 1.0, rate: 4}\\ncap: 2")
>>> [round(float(p.multiple(a)), 3) for a in (0.5, 0.8, 1.0, 1.25, 2.0)]
[0.0, 0.5, 1.0, 2.0, 2.0]
>>> [int(b) for b in p.band([0.5, 0.8, 1.1, 1.5])]
[0, 1, 2, 3]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

from leadlab.errors import ConfigError
from leadlab.i18n import _

KEYS = ("name", "kpi", "target", "target_incentive", "tiers", "cap", "gate", "team_pool")
TIER_KEYS = ("from", "to", "rate")
GATE_KEYS = ("kpi", "max", "min")


@dataclass(frozen=True)
class Tier:
    start: float
    end: float  # inf for an open last tier
    rate: float


@dataclass(frozen=True)
class Gate:
    kpi: str
    limit: float
    kind: str  # "max" or "min"

    def passes(self, value: float) -> bool:
        """A rep with no value (no calls: nothing to measure) passes."""
        if not np.isfinite(value):
            return True
        return value <= self.limit if self.kind == "max" else value >= self.limit


@dataclass(frozen=True)
class Plan:
    """A checked incentive plan (see the module docstring)."""

    kpi: str
    target: float | None  # None: rep targets from the targets file
    target_incentive: float
    tiers: tuple[Tier, ...]
    cap: float = math.inf
    gate: tuple[Gate, ...] = ()
    team_pool: float = 0.0
    name: str = ""
    source: str = "plan.yml"

    def multiple(self, attainment):
        """Payout as a multiple of the target incentive (marginal tiers, then the cap)."""
        a = np.asarray(attainment, float)
        total = np.zeros_like(a)
        for t in self.tiers:
            total = total + t.rate * np.clip(np.minimum(a, t.end) - t.start, 0, None)
        return np.minimum(total, self.cap)

    def band(self, attainment):
        """The payout band: the tier index holding ``attainment``, or ``len(tiers)`` once the cap binds."""
        a = np.asarray(attainment, float)
        starts = np.array([t.start for t in self.tiers])
        idx = np.clip(np.searchsorted(starts, a, side="right") - 1, 0, len(self.tiers) - 1)
        uncapped = np.zeros_like(a)
        for t in self.tiers:
            uncapped = uncapped + t.rate * np.clip(np.minimum(a, t.end) - t.start, 0, None)
        return np.where(uncapped >= self.cap - 1e-9, len(self.tiers), idx)


def demo_plan_path() -> Path:
    """The packaged example plan (same as ``data/examples/incentive_plan.yml``)."""
    return Path(str(resources.files("leadlab") / "examples" / "incentive_plan.yml"))


def _number(raw, where: str, key: str, *, low: float = 0.0, positive: bool = False) -> float:
    try:
        v = float(raw)
    except (TypeError, ValueError):
        v = math.nan
    if not math.isfinite(v) or v < low or (positive and v <= 0):
        rule = _("a number > 0") if positive else _("a number >= {low}", low=str(low).rstrip("0").rstrip("."))
        raise ConfigError(_("{where}: {key} must be {rule}, got {value}", where=where, key=key, rule=rule,
                            value=repr(raw)))
    return v


def _line(node) -> str:
    return str(node.start_mark.line + 1)


def _node_of(mapping_node, key: str):
    for k, v in mapping_node.value:
        if getattr(k, "value", None) == key:
            return v
    return None


def parse_plan_text(text: str, source: str = "plan.yml") -> Plan:
    """Parse and check a plan; ConfigError naming the file, entry, line and rule broken."""
    from leadlab.kpi.definitions import KPIS
    from leadlab.vocabulary import ALIASES

    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ConfigError(_("{file}: not valid YAML: {problem}", file=source, problem=str(exc).splitlines()[0])) from None
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(_("{file}: expected a mapping with keys {keys}", file=source, keys=", ".join(KEYS)))
    raw = yaml.safe_load(yaml.serialize(root))
    unknown = [str(k) for k in raw if k not in KEYS]
    if unknown:
        raise ConfigError(_("{file}: unknown key {key}; valid keys: {keys}", file=source, key=repr(unknown[0]),
                            keys=", ".join(KEYS)))

    def kpi_of(value, where: str) -> str:
        k = str(value or "").strip()
        k = ALIASES.get(k, k)
        if k not in KPIS:
            raise ConfigError(_("{where}: unknown KPI {kpi}; valid KPIs: {valid}", where=where, kpi=repr(value),
                                valid=", ".join(KPIS)))
        return k

    kpi = kpi_of(raw.get("kpi"), _("{file}, key kpi", file=source))
    tgt = raw.get("target")
    target = None if str(tgt).strip().lower() == "targets" else _number(tgt, source, "target", positive=True)
    incentive = _number(raw.get("target_incentive"), source, "target_incentive", positive=True)
    cap = math.inf if raw.get("cap") is None else _number(raw["cap"], source, "cap", positive=True)
    pool = _number(raw.get("team_pool", 0), source, "team_pool")
    if pool > 1:
        raise ConfigError(_("{file}: team_pool is a share between 0 and 1, got {value}", file=source,
                            value=repr(raw["team_pool"])))
    tier_nodes = _node_of(root, "tiers")
    if not isinstance(tier_nodes, yaml.SequenceNode) or not tier_nodes.value:
        raise ConfigError(_("{file}: tiers must be a list of {{from, to, rate}} entries", file=source))
    tiers: list[Tier] = []
    for i, node in enumerate(tier_nodes.value, start=1):
        where = _("{file}, tier {n} (line {line})", file=source, n=str(i), line=_line(node))
        entry = yaml.safe_load(yaml.serialize(node))
        if not isinstance(entry, dict):
            raise ConfigError(_("{where}: expected a mapping with keys {keys}", where=where, keys=", ".join(TIER_KEYS)))
        bad = [str(k) for k in entry if k not in TIER_KEYS]
        if bad:
            raise ConfigError(_("{where}: unknown key {key}; valid keys: {keys}", where=where, key=repr(bad[0]),
                                keys=", ".join(TIER_KEYS)))
        start = _number(entry.get("from"), where, "from")
        last = i == len(tier_nodes.value)
        if entry.get("to") is None and not last:
            raise ConfigError(_("{where}: only the last tier may leave out to (open-ended)", where=where))
        end = math.inf if entry.get("to") is None else _number(entry["to"], where, "to")
        rate = _number(entry.get("rate"), where, "rate")
        if end <= start:
            raise ConfigError(_("{where}: to ({end}) must be above from ({start})", where=where, end=repr(entry["to"]),
                                start=repr(entry["from"])))
        prev = tiers[-1].end if tiers else 0.0
        if start < prev:
            raise ConfigError(_("{where}: overlaps the tier before (it starts at {start}, the tier before ends at {prev})",
                                where=where, start=repr(entry["from"]), prev=f"{prev:g}"))
        if start > prev:
            raise ConfigError(_("{where}: leaves a gap (it starts at {start}, the tier before ends at {prev}); tiers "
                                "must start at 0 and follow each other", where=where, start=repr(entry["from"]),
                                prev=f"{prev:g}"))
        tiers.append(Tier(start, end, rate))
    plan = Plan(kpi, target, incentive, tuple(tiers), cap, (), pool, str(raw.get("name") or ""), source)
    for i, t in enumerate(plan.tiers[1:], start=2):
        pre_cap = sum(u.rate * max(0.0, min(t.start, u.end) - u.start) for u in plan.tiers)
        if math.isfinite(cap) and pre_cap >= cap:
            raise ConfigError(_("{file}: cap {cap} is below tier {n}: at its start ({start} attainment) the payout is "
                                "already {reached} × the target incentive, so the tier could never pay",
                                file=source, cap=f"{cap:g}", n=str(i), start=f"{t.start:g}", reached=f"{pre_cap:g}"))
    gates = []
    gate_nodes = _node_of(root, "gate")
    if gate_nodes is not None and not isinstance(gate_nodes, yaml.SequenceNode):
        raise ConfigError(_("{file}: gate must be a list of {{kpi, max}} or {{kpi, min}} entries", file=source))
    for i, node in enumerate(gate_nodes.value if gate_nodes is not None else [], start=1):
        where = _("{file}, gate {n} (line {line})", file=source, n=str(i), line=_line(node))
        entry = yaml.safe_load(yaml.serialize(node))
        if not isinstance(entry, dict) or [k for k in entry if k not in GATE_KEYS] or \
                ("max" in entry) == ("min" in entry):
            raise ConfigError(_("{where}: a gate rule is {{kpi: ..., max: ...}} or {{kpi: ..., min: ...}}", where=where))
        kind = "max" if "max" in entry else "min"
        gates.append(Gate(kpi_of(entry.get("kpi"), where), _number(entry[kind], where, kind), kind))
    return Plan(kpi, target, incentive, tuple(tiers), cap, tuple(gates), pool, plan.name, source)


def load_plan(path: str | Path | None = None) -> Plan:
    """Read a plan file (default: ``data/incentive_plan.yml`` when present, else the packaged example)."""
    from leadlab.paths import data_dir

    if path is None:
        own = data_dir() / "incentive_plan.yml"
        path = own if own.exists() else demo_plan_path()
    p = Path(path)
    if not p.is_file():
        raise ConfigError(_("plan file {path} does not exist", path=str(p)))
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(_("plan file {path}: not UTF-8 text (byte {byte}); save it as UTF-8", path=str(p),
                            byte=str(exc.start))) from None
    return parse_plan_text(text, source=str(p) if p != demo_plan_path() else "incentive_plan.yml")
