"""Target cascade: a company (or team) target entered once and split down to teams and reps,
plus a roll-up check of hand-entered targets.

A target entry of ``targets.yml`` may carry a ``split``::

    - {scope: company, kpi: sql, period: 2026-12, value: 300,
       split: {method: history, to: rep, basis: 2026-11, overrides: {West: 40}}}

``method`` gives each child (team, then rep) its share of the *volume*:

* ``history``: the child's share of the KPI in the ``basis`` period (default: the previous
  period) — for a rate KPI, its share of the rate's denominator (dials for the connect rate);
* ``headcount``: reps on staff in the period (hired before it ends);
* ``capacity``: working days (Monday–Friday) × reps, counting a rep hired during the period
  from the hire date;
* ``equal``: the same share for each child;
* ``manual``: every child is named in ``overrides``.

Sum KPIs (counts, money) are split in proportion to the shares (after the ``overrides``; counts
by largest remainder, so whole numbers add up exactly). Rate KPIs are inherited: every child
gets the parent's rate, except overridden children; the others then share one rate chosen so
that the volume-weighted rate of all children equals the parent's
(``Σ shareᵢ·rateᵢ = parent``, the only consistent choice when rates pool by volume). A median
(response time) is inherited and cannot be overridden.

>>> allocate_sum(100, {"A": 1.0, "B": 1.0, "C": 1.0}, {}, whole=True)
{'A': 34.0, 'B': 33.0, 'C': 33.0}
>>> allocate_rate(0.30, {"A": 0.5, "B": 0.25, "C": 0.25}, {"A": 0.36})
{'A': 0.36, 'B': 0.24, 'C': 0.24}
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from leadlab.errors import ConfigError
from leadlab.i18n import N_, _, fmt, translate
from leadlab.periods import Period, parse_period

METHODS = ("history", "headcount", "capacity", "equal", "manual")
LEVELS = ("team", "rep")
SPLIT_KEYS = ("method", "to", "basis", "overrides")
#: relative tolerance of the roll-up check (a gap of 0.1 % is rounding, not a mistake)
TOLERANCE = 1e-3

#: roll-up status codes
ROLLUP_STATUS = {"adds up": N_("adds up"), "does not add up": N_("does not add up"),
                 "inconsistent": N_("inconsistent"), "incomplete": N_("incomplete"),
                 "exceeds": N_("exceeds the level above"), "no volume": N_("no volume to weigh by")}
METHOD_NAMES = {"history": N_("historical share"), "headcount": N_("headcount"),
                "capacity": N_("capacity (working days × reps)"), "equal": N_("equal shares"),
                "manual": N_("manual")}


@dataclass(frozen=True)
class Split:
    """How a target is broken down: ``method``, down ``to`` team or rep, ``basis`` period
    (history), ``overrides`` (child name → value, fixed)."""

    method: str
    to: str
    basis: Period | None = None
    overrides: tuple[tuple[str, float], ...] = ()

    @property
    def fixed(self) -> dict[str, float]:
        return dict(self.overrides)


def kind_of(kpi: str) -> str:
    """``sum`` (counts, money: children add up), ``rate`` (pooled by volume) or ``median``."""
    from leadlab.kpi.definitions import KPIS

    k = KPIS[kpi]
    if k.additive:
        return "sum"
    return "rate" if k.den else "median"


def parse_split(raw, where: str, scope: str, kpi: str) -> Split:
    """Check a ``split`` value (a method name or a mapping); ConfigError naming the entry."""
    if scope == "rep":
        raise ConfigError(_("{where}: a rep target cannot be split (split is for company and team targets)",
                            where=where))
    if isinstance(raw, str):
        raw = {"method": raw}
    if not isinstance(raw, dict):
        raise ConfigError(_("{where}: split must be a method name or a mapping with keys {keys}",
                            where=where, keys=", ".join(SPLIT_KEYS)))
    unknown = [str(k) for k in raw if k not in SPLIT_KEYS]
    if unknown:
        raise ConfigError(_("{where}: unknown split key {key}; valid keys: {keys}", where=where, key=repr(unknown[0]),
                            keys=", ".join(SPLIT_KEYS)))
    method = str(raw.get("method", "")).strip().lower()
    if method not in METHODS:
        raise ConfigError(_("{where}: unknown split method {method}; valid methods: {methods}", where=where,
                            method=repr(raw.get("method")), methods=", ".join(METHODS)))
    to = str(raw.get("to", "rep")).strip().lower()
    if to not in LEVELS or (scope == "team" and to != "rep"):
        valid = "rep" if scope == "team" else ", ".join(LEVELS)
        raise ConfigError(_("{where}: split to {to} is not possible from scope {scope}; valid: {valid}", where=where,
                            to=repr(raw.get("to")), scope=scope, valid=valid))
    basis = None
    if raw.get("basis") is not None:
        try:
            basis = parse_period(str(raw["basis"]))
        except ConfigError as exc:
            raise ConfigError(_("{where}: split basis: {problem}", where=where,
                                problem=exc.message.replace("parameter period: ", ""))) from None
    overrides = raw.get("overrides") or {}
    if not isinstance(overrides, dict):
        raise ConfigError(_("{where}: split overrides must be a mapping of team or rep to value, e.g. {{East: 80}}",
                            where=where))
    fixed = []
    for name, v in overrides.items():
        try:
            value = float(v)
        except (TypeError, ValueError):
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise ConfigError(_("{where}: split override of {name} must be a number >= 0, got {value}", where=where,
                                name=str(name), value=repr(v)))
        fixed.append((str(name).strip(), value))
    if fixed and kind_of(kpi) == "median":
        raise ConfigError(_("{where}: {kpi} is a median: it cannot be split with overrides (teams and reps inherit it)",
                            where=where, kpi=kpi))
    if method == "manual" and not fixed:
        raise ConfigError(_("{where}: split method manual needs overrides naming every child", where=where))
    return Split(method, to, basis, tuple(fixed))


# ----------------------------------------------------------------------------- pure allocation
def allocate_sum(value: float, weights: dict[str, float], fixed: dict[str, float], *, whole: bool = False,
                 where: str = "") -> dict[str, float]:
    """Split ``value`` over the children of ``weights``: ``fixed`` ones keep their value, the rest
    share what is left in proportion to their weight (``whole``: integers by largest remainder).

    >>> allocate_sum(10, {"A": 3.0, "B": 1.0}, {"B": 4})
    {'A': 6.0, 'B': 4.0}
    """
    rest = value - sum(fixed.values())
    free = [c for c in weights if c not in fixed]
    scale = max(abs(value), 1.0)
    if rest < -TOLERANCE * scale or (not free and abs(rest) > TOLERANCE * scale):
        raise ConfigError(_("{where}: the split does not add up: overrides total {fixed} against a target of {value}",
                            where=where, fixed=fmt.number(sum(fixed.values()), 2), value=fmt.number(value, 2)))
    out = {c: float(v) for c, v in fixed.items()}
    if free:
        w = np.array([max(weights[c], 0.0) for c in free])
        if w.sum() <= 0:
            raise ConfigError(_("{where}: nothing to split by: every remaining child has a zero share", where=where))
        raw = max(rest, 0.0) * w / w.sum()
        if whole and float(rest).is_integer():
            base = np.floor(raw + 1e-9)
            short = int(round(rest - base.sum()))
            order = np.argsort(-(raw - base), kind="stable")
            base[order[:short]] += 1
            raw = base
        out.update({c: float(v) for c, v in zip(free, raw)})
    return {c: out[c] for c in weights}


def allocate_rate(value: float, shares: dict[str, float], fixed: dict[str, float], *, where: str = "") -> dict[str, float]:
    """Rates for the children: ``fixed`` ones as given, the others one common rate chosen so that
    the share-weighted rate equals ``value`` (without overrides: every child inherits ``value``)."""
    total = sum(shares.values())
    s = {c: (v / total if total > 0 else 1.0 / len(shares)) for c, v in shares.items()}
    free = [c for c in s if c not in fixed]
    fixed_part = sum(s[c] * fixed[c] for c in fixed if c in s)
    free_share = sum(s[c] for c in free)
    if not free:
        implied = fixed_part
        if abs(implied - value) > TOLERANCE * max(abs(value), 1e-12):
            raise ConfigError(_("{where}: the split does not add up: the volume-weighted rate of the overrides is "
                                "{implied}, the target is {value}", where=where, implied=fmt.number(implied, 4),
                                value=fmt.number(value, 4)))
        return {c: float(fixed[c]) for c in s}
    common = (value - fixed_part) / free_share if free_share > 0 else value
    if common < 0:
        raise ConfigError(_("{where}: the split does not add up: with these overrides the other children would need "
                            "a negative rate", where=where))
    return {c: float(fixed[c]) if c in fixed else float(common) for c in s}


# ----------------------------------------------------------------------------- data: shares
def working_days(start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Monday–Friday days in ``[start, end)``.

    >>> working_days(pd.Timestamp("2026-12-01"), pd.Timestamp("2027-01-01"))
    23
    """
    if end <= start:
        return 0
    return int(np.busday_count(start.date(), end.date()))


def staff(data, period: Period) -> pd.DataFrame:
    """Reps on staff in ``period`` (hired before it ends): rep_id, team, working days."""
    reps = data.reps.select("rep_id", "team", "hired_at").to_pandas()
    hired = pd.to_datetime(reps["hired_at"])
    on = hired.isna() | (hired < period.end)
    reps = reps[on].copy()
    starts = [max(period.start, h.normalize()) if pd.notna(h) else period.start for h in pd.to_datetime(reps["hired_at"])]
    reps["days"] = [working_days(s, period.end) for s in starts]
    reps["rep_id"], reps["team"] = reps["rep_id"].astype(str), reps["team"].astype(str)
    return reps[["rep_id", "team", "days"]].sort_values("rep_id").reset_index(drop=True)


def _history(data, kpi: str, basis: Period, dim: str) -> pd.Series:
    """The volume of ``kpi`` per ``dim`` in ``basis`` (the KPI for a sum KPI, its denominator for a rate)."""
    from leadlab.kpi.definitions import KPIS, compute
    from leadlab.kpi.measures import measures, sources_for

    k = KPIS[kpi]
    col = k.den if k.den else k.num
    needed = [c for c in (k.num, k.den, k.num_extra) if c]
    m = measures(data.company(), [basis], dim, sources=sources_for(needed))
    if k.additive:
        m = compute(m, [kpi])
        col = kpi
    return m.set_index(dim)[col].astype(float).fillna(0.0)


def shares(data, kpi: str, method: str, children: list[str], level: str, period: Period,
           basis: Period) -> dict[str, float]:
    """Each child's weight under ``method`` (not normalised); ``level`` team or rep. A manual split
    of a rate KPI weighs the children by their history (the weights of its consistency check)."""
    if method == "equal" or (method == "manual" and kind_of(kpi) != "rate"):
        return {c: 1.0 for c in children}
    st = staff(data, period)
    if method == "headcount":
        counts = st.groupby("team").size() if level == "team" else pd.Series(1.0, index=st["rep_id"])
        return {c: float(counts.get(c, 0.0)) for c in children}
    if method == "capacity":
        days = st.groupby("team")["days"].sum() if level == "team" else st.set_index("rep_id")["days"]
        return {c: float(days.get(c, 0.0)) for c in children}
    hist = _history(data, kpi, basis, "team" if level == "team" else "rep_id")
    return {c: float(hist.get(c, 0.0)) for c in children}


# ----------------------------------------------------------------------------- cascade
@dataclass
class Derivation:
    """One split: the parent target, its method, and each child's share and value."""

    parent: object  # a Target
    split: Split
    basis: Period
    rows: list[dict] = field(default_factory=list)  # child, level, team, share, value, overridden


def _whole(kpi: str) -> bool:
    from leadlab.kpi.definitions import KPIS

    return KPIS[kpi].unit == "count"


def _children(data, scope: str, name: str | None, level: str, period: Period) -> list[str]:
    st = staff(data, period)
    if level == "team":
        return sorted(st["team"].unique().tolist())
    if scope == "team":
        return st.loc[st["team"] == name, "rep_id"].tolist()
    return st["rep_id"].tolist()


def expand(targets: list, data) -> tuple[list, list[Derivation]]:
    """The targets with every split replaced by the parent plus its derived children, and the
    derivations (for ``--explain``). ConfigError when a derived target is also entered by hand, an
    override names no child, or a split does not add up."""
    from leadlab.kpi.targets import Target

    entered = {(t.scope, t.name, t.kpi, t.period.label, t.period.kind): t for t in targets}
    out, derivations = [], []
    for t in targets:
        out.append(t)
        split = getattr(t, "split", None)
        if split is None:
            continue
        kind = kind_of(t.kpi)
        basis = split.basis or t.period.previous()
        d = Derivation(t, split, basis)
        levels = ["team", "rep"] if (t.scope == "company" and split.to == "rep") else [split.to]
        parents = [(t.scope, t.name, t.value)]
        fixed = split.fixed
        known = set()
        for level in levels:
            nxt = []
            for pscope, pname, pvalue in parents:
                kids = _children(data, pscope, pname, level, t.period)
                known.update(kids)
                if not kids:
                    continue
                w = shares(data, t.kpi, split.method, kids, level, t.period, basis)
                mine = {c: v for c, v in fixed.items() if c in kids}
                where = _("{where}, split of {who}", where=t.where, who=pname or _("company"))
                if split.method == "manual" and level == levels[-1] and set(mine) != set(kids):
                    missing = sorted(set(kids) - set(mine))
                    raise ConfigError(_("{where}: split method manual needs a value for every child; missing: {missing}",
                                        where=where, missing=", ".join(missing[:20])))
                if kind == "sum":
                    vals = allocate_sum(pvalue, w, mine, whole=_whole(t.kpi), where=where)
                elif kind == "rate":
                    vals = allocate_rate(pvalue, w, mine, where=where)
                else:
                    vals = {c: pvalue for c in kids}
                total = sum(w.values())
                for c in kids:
                    cscope = level
                    key = (cscope, c, t.kpi, t.period.label, t.period.kind)
                    if key in entered:
                        raise ConfigError(_("{where}: {who} {kpi} {period} is entered by hand and also derived from the "
                                            "split of {source}; put its value in the split's overrides instead",
                                            where=entered[key].where, who=f"{cscope} {c}", kpi=t.kpi,
                                            period=t.period.label, source=t.where))
                    child = Target(cscope, c, t.kpi, t.period, vals[c],
                                   where=_("derived from {where}", where=t.where), origin="derived")
                    out.append(child)
                    d.rows.append({"parent": pname or "company", "level": level, "child": c,
                                   "share": w[c] / total if total > 0 else math.nan, "value": vals[c],
                                   "overridden": c in mine})
                    nxt.append((cscope, c, vals[c]))
            parents = nxt
        unknown = sorted(set(fixed) - known)
        if unknown:
            raise ConfigError(_("{where}: split override {name} is not a team or rep of this split; valid: {valid}",
                                where=t.where, name=repr(unknown[0]), valid=", ".join(sorted(known)[:40])))
        derivations.append(d)
    return out, derivations


# ----------------------------------------------------------------------------- roll-up check
def rollup(targets: list, data) -> pd.DataFrame:
    """Check each parent target against its children's targets (company → teams, team → reps):
    sum KPIs must add up; rate KPIs must equal the children's volume-weighted rate (weights: the
    denominator's volume in the previous period). One row per parent with children."""
    rows = []
    groups: dict[tuple, list] = {}
    for t in targets:
        groups.setdefault((t.kpi, t.period.label, t.period.kind), []).append(t)
    cols = ["parent", "level", "kpi", "period", "target", "children", "expected", "combined", "gap", "status"]
    for (kpi, _label, _kind), group in groups.items():
        per = group[0].period
        by = {(t.scope, t.name): t for t in group}
        parents = [t for t in group if t.scope in ("company", "team")]
        if not parents:
            continue
        st = staff(data, per)
        kind = kind_of(kpi)
        for p in parents:
            if p.scope == "company":
                level, kids = "team", sorted(st["team"].unique().tolist())
            else:
                level, kids = "rep", st.loc[st["team"] == p.name, "rep_id"].tolist()
            have = [c for c in kids if (level, c) in by]
            if not have or kind == "median":
                continue
            vals = {c: by[(level, c)].value for c in have}
            gap = math.nan
            if kind == "sum":
                combined = sum(vals.values())
                gap = combined - p.value
                tol = TOLERANCE * max(abs(p.value), 1.0)
                if len(have) < len(kids):
                    status = "exceeds" if gap > tol else "incomplete"
                else:
                    status = "adds up" if abs(gap) <= tol else "does not add up"
            else:
                if len(have) < len(kids):
                    combined, status = math.nan, "incomplete"
                else:
                    w = shares(data, kpi, "history", have, level, per, per.previous())
                    tot = sum(w.values())
                    if tot <= 0:
                        combined, status = math.nan, "no volume"
                    else:
                        combined = sum(w[c] * vals[c] for c in have) / tot
                        gap = combined - p.value
                        ok = abs(gap) <= TOLERANCE * max(abs(p.value), 1e-12)
                        status = "adds up" if ok else "inconsistent"
            rows.append({"parent": p.who, "level": level, "kpi": kpi, "period": per.label, "target": p.value,
                         "children": len(have), "expected": len(kids), "combined": combined, "gap": gap,
                         "status": status})
    return pd.DataFrame(rows, columns=cols)


def rollup_sentence(r) -> str:
    """One sentence on a roll-up problem (or success)."""
    from leadlab.kpi import labels
    from leadlab.kpi.targets import who_text

    scope, _sp, name = str(r.parent).partition(" ")
    who = who_text(scope, name or None)
    kpi, per = labels.kpi_name(r.kpi), labels.period_text(r.period)
    if r.status == "does not add up":
        return _("{who}: {kpi} {period}: the {n} lower-level targets add up to {combined}, not {target} (gap {gap}).",
                 who=who, kpi=kpi, period=per, n=fmt.number(r.children), combined=labels.kpi_value(r.kpi, r.combined),
                 target=labels.kpi_value(r.kpi, r.target), gap=labels.kpi_value(r.kpi, r.gap))
    if r.status == "exceeds":
        return _("{who}: {kpi} {period}: {n} of {expected} lower-level targets already add up to {combined}, more "
                 "than {target}.", who=who, kpi=kpi, period=per, n=fmt.number(r.children),
                 expected=fmt.number(r.expected), combined=labels.kpi_value(r.kpi, r.combined),
                 target=labels.kpi_value(r.kpi, r.target))
    if r.status == "inconsistent":
        return _("{who}: {kpi} {period}: the lower-level targets imply {combined} (weighted by last period's volume), "
                 "not {target}.", who=who, kpi=kpi, period=per, combined=labels.kpi_value(r.kpi, r.combined),
                 target=labels.kpi_value(r.kpi, r.target))
    if r.status == "incomplete":
        return _("{who}: {kpi} {period}: only {n} of {expected} lower-level targets are set.", who=who, kpi=kpi,
                 period=per, n=fmt.number(r.children), expected=fmt.number(r.expected))
    if r.status == "no volume":
        return _("{who}: {kpi} {period}: no volume last period to weigh the lower-level rates by.", who=who, kpi=kpi,
                 period=per)
    return _("{who}: {kpi} {period}: the {n} lower-level targets are consistent with it.", who=who, kpi=kpi, period=per,
             n=fmt.number(r.children))


def explain_lines(derivations: list[Derivation], checks: pd.DataFrame) -> list[str]:
    """The derivation of every split target and the roll-up check, as lines in the current language."""
    from leadlab.kpi import labels
    from leadlab.kpi.targets import who_text

    lines = []
    for d in derivations:
        t, kind = d.parent, kind_of(d.parent.kpi)
        fields = dict(who=who_text(t.scope, t.name), kpi=labels.kpi_name(t.kpi), period=labels.period_text(t.period.label),
                      value=labels.kpi_value(t.kpi, t.value), method=translate(METHOD_NAMES[d.split.method]))
        if d.split.method == "history":
            lines.append(_("{who}: {kpi} {period} = {value}, split by {method} (shares of {basis})",
                           basis=labels.period_text(d.basis.label), **fields))
        else:
            lines.append(_("{who}: {kpi} {period} = {value}, split by {method}", **fields))
        if kind == "rate":
            lines.append("  " + _("rate KPI: children inherit the rate; overrides are balanced so that the "
                                  "volume-weighted rate stays at the target (volume shares below)"))
        elif kind == "median":
            lines.append("  " + _("median: every child inherits the target"))
        for r in d.rows:
            who = who_text(r["level"], r["child"])
            share = fmt.percent(r["share"]) if np.isfinite(r["share"]) else fmt.na()
            if r["overridden"]:
                lines.append("  " + _("{who}: {value} (override; share {share})", who=who,
                                      value=labels.kpi_value(t.kpi, r["value"]), share=share))
            else:
                lines.append("  " + _("{who}: {value} (share {share})", who=who,
                                      value=labels.kpi_value(t.kpi, r["value"]), share=share))
    lines.append(_("Roll-up check:"))
    if checks.empty:
        lines.append("  " + _("no target has lower-level targets to check"))
    for r in checks.itertuples(index=False):
        lines.append("  " + _("{status}: {sentence}", status=translate(ROLLUP_STATUS[r.status]),
                              sentence=rollup_sentence(r)))
    return lines
