"""SMART targets from a YAML file, with progress, a pacing projection to the end of
the period and a status: on track / at risk / behind.

File format (a YAML list; ``name`` is not needed for ``scope: company``)::

    - {scope: team, name: East, kpi: sql, period: 2026-Q4, value: 200}
    - {scope: company, kpi: call_connect_rate, period: 2026-10, value: 0.25}
    - {scope: rep, name: R007, kpi: dials, period: 2026-W46, value: 300}

Pacing: additive KPIs (counts, revenue, spend) are projected linearly
(``actual / share of the period elapsed``); rates and averages are projected at
their current value. Status compares the projection with the target: ≥ 100% on
track, ≥ 90% at risk, below that behind (for lower-is-better KPIs such as cost per
SQL the ratio is target / projection).

>>> t = parse_targets_text("- {scope: team, name: East, kpi: sql, period: 2026-Q4, value: 200}")
>>> t[0].scope, t[0].name, t[0].kpi, t[0].period.label, t[0].value
('team', 'East', 'sql', '2026-Q4', 200.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from leadlab.errors import ConfigError
from leadlab.kpi.cascade import Split, expand, parse_split, rollup, rollup_sentence
from leadlab.kpi.data import KpiData
from leadlab.i18n import N_, _, fmt, ngettext
from leadlab.kpi import labels
from leadlab.kpi.definitions import KPIS, compute
from leadlab.kpi.measures import measures
from leadlab.kpi.results import KpiResult
from leadlab.vocabulary import ALIASES
from leadlab.paths import data_dir
from leadlab.periods import RELATIVE, Period, parse_period

SCOPES = ("company", "team", "rep")
KEYS = ("scope", "name", "kpi", "period", "value", "split")
ON_TRACK, AT_RISK = 1.0, 0.9


@dataclass(frozen=True)
class Target:
    scope: str
    name: str | None
    kpi: str
    period: Period
    value: float
    where: str = ""  # "targets.yml, entry 3 (line 7)"
    origin: str = "entered"  # or "derived" (from a split, :mod:`leadlab.kpi.cascade`)
    split: Split | None = None

    @property
    def who(self) -> str:
        return "company" if self.scope == "company" else f"{self.scope} {self.name}"


def demo_targets_path() -> Path:
    """The packaged demo targets (``leadlab/examples/targets_demo.yml``)."""
    return Path(str(resources.files("leadlab") / "examples" / "targets_demo.yml"))


def default_targets_path() -> Path:
    """``data/targets.yml`` when present, else the packaged demo targets."""
    p = data_dir() / "targets.yml"
    return p if p.exists() else demo_targets_path()


def parse_targets_text(text: str, source: str = "targets.yml") -> list[Target]:
    """Parse and check targets YAML (syntax, keys, KPI names, periods, values).
    Team and rep names are checked against the data by :func:`check_names`."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ConfigError(_("{file}: not valid YAML: {problem}", file=source,
                            problem=str(exc).splitlines()[0])) from None
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode):
        raise ConfigError(_("{file}: expected a list of targets (lines starting with '- '), e.g. - {{scope: team, "
                            "name: East, kpi: sql, period: 2026-Q4, value: 200}}", file=source))
    out = []
    for i, node in enumerate(root.value, start=1):
        where = _("{file}, entry {n} (line {line})", file=source, n=str(i), line=str(node.start_mark.line + 1))
        entry = yaml.safe_load(yaml.serialize(node))
        if not isinstance(entry, dict):
            raise ConfigError(_("{where}: expected a mapping with keys {keys}", where=where, keys=", ".join(KEYS)))
        unknown = [k for k in entry if k not in KEYS]
        if unknown:
            raise ConfigError(_("{where}: unknown key {key}; valid keys: {keys}", where=where, key=repr(unknown[0]),
                                keys=", ".join(KEYS)))
        scope = str(entry.get("scope", "company")).strip().lower()
        if scope not in SCOPES:
            raise ConfigError(_("{where}: unknown scope {scope}; valid scopes: {valid}", where=where,
                                scope=repr(entry.get("scope")), valid=", ".join(SCOPES)))
        name = entry.get("name")
        if scope != "company" and (name is None or str(name).strip() == ""):
            raise ConfigError(_("{where}: scope {scope} needs a name (the {scope})", where=where, scope=scope))
        kpi = str(entry.get("kpi", "")).strip()
        kpi = ALIASES.get(kpi, kpi)  # an old KPI id (connect_rate, reached_5m …) names the same KPI
        if kpi not in KPIS:
            raise ConfigError(_("{where}: unknown KPI {kpi}; valid KPIs: {valid}", where=where, kpi=repr(kpi),
                                valid=", ".join(KPIS)))
        if "period" not in entry:
            raise ConfigError(_("{where}: missing period (e.g. 2026-10, 2026-Q4, 2026-W46)", where=where))
        ptxt = str(entry["period"]).strip()
        if ptxt.lower() in RELATIVE:
            raise ConfigError(_("{where}: period {period} is relative; a target needs a fixed period such as 2026-Q4",
                                where=where, period=repr(ptxt)))
        try:
            period = parse_period(ptxt)
        except ConfigError as exc:
            raise ConfigError(_("{where}: {problem}", where=where,
                                problem=exc.message.replace("parameter period: ", ""))) from None
        raw = entry.get("value")
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ConfigError(_("{where}: value must be a number, got {value}", where=where, value=repr(raw))) from None
        if not math.isfinite(value) or value < 0:
            raise ConfigError(_("{where}: value must be a number >= 0 (a target cannot be negative), got {value}",
                                where=where, value=repr(raw)))
        split = parse_split(entry["split"], where, scope, kpi) if entry.get("split") is not None else None
        out.append(Target(scope, None if scope == "company" else str(name).strip(), kpi, period, value, where,
                          split=split))
    return out


def load_targets(path: str | Path | None = None) -> list[Target]:
    """Read a targets file (default: :func:`default_targets_path`)."""
    p = Path(path) if path else default_targets_path()
    if not p.exists():
        raise ConfigError(_("targets file {path} does not exist", path=str(p)))
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(_("targets file {path}: not UTF-8 text (byte {byte}); save it as UTF-8", path=str(p),
                            byte=str(exc.start))) from None
    return parse_targets_text(text, source=str(p))


def check_names(targets: list[Target], data: KpiData) -> None:
    """ConfigError when a target names a team or rep the data does not have."""
    teams, reps = set(data.teams), set(data.rep_table["rep_id"].astype(str))
    for t in targets:
        if t.scope == "team" and t.name not in teams:
            raise ConfigError(_("{where}: unknown team {team}; valid teams: {valid}", where=t.where, team=repr(t.name),
                                valid=", ".join(sorted(teams))))
        if t.scope == "rep" and t.name not in reps:
            shown = sorted(reps)
            raise ConfigError(_("{where}: unknown rep {rep}; valid reps: {valid}", where=t.where, rep=repr(t.name),
                                valid=", ".join(shown[:60]) + (" ..." if len(shown) > 60 else "")))


def status_of(kpi: str, projection: float, target: float) -> tuple[str, float]:
    """(status, attainment ratio) of a projection against a target."""
    k = KPIS[kpi]
    if not np.isfinite(projection):
        return "no data", math.nan
    if k.better == "down":
        ratio = math.inf if projection == 0 else target / projection
    else:
        ratio = math.inf if target == 0 else projection / target
    status = "on track" if ratio >= ON_TRACK else "at risk" if ratio >= AT_RISK else "behind"
    return status, ratio


#: colours of the status column (by code)
STATUS_STYLE = {"on track": "color:#009E73;font-weight:bold", "at risk": "color:#E69F00;font-weight:bold",
                "behind": "color:#D55E00;font-weight:bold"}


def who_text(scope: str, name: str | None) -> str:
    """Whose target: ``company`` / ``team East`` / ``rep R007`` in the current language."""
    if scope == "company":
        return _("company")
    if scope == "team":
        return labels.team_text(name)
    return _("rep {rep}", rep=name)


class TargetsResult(KpiResult):
    """One row per target: actual, progress, projection, status code; :meth:`alerts` lists
    the problems. Facts: ``source`` (a path, None for the demo targets), ``as_of``, ``skipped``."""

    def __init__(self, frame, period, team, *, source: str | None, as_of, skipped: int = 0,
                 checks: pd.DataFrame | None = None, derivations: list | None = None):
        super().__init__(N_("Targets and pacing"), frame, period, team)
        self.source, self.as_of, self.skipped = source, as_of, skipped
        #: the roll-up check (:func:`leadlab.kpi.cascade.rollup`) and the splits behind derived targets
        self.checks = checks if checks is not None else rollup([], None)
        self.derivations = list(derivations or [])

    def explain(self) -> str:
        """How each derived target was computed, and the roll-up check, in the current language."""
        from leadlab.kpi.cascade import explain_lines

        return "\n".join(explain_lines(self.derivations, self.checks))

    def display_frame(self) -> pd.DataFrame:
        rows = []
        for r in self.frame.itertuples(index=False):
            rows.append({_("Who"): who_text(r.scope, r.name), _("KPI"): labels.kpi_name(r.kpi),
                         _("Period"): labels.period_text(r.period), _("Target"): labels.kpi_value(r.kpi, r.target),
                         _("Actual"): labels.kpi_value(r.kpi, r.actual), _("Elapsed"): fmt.percent(r.elapsed, 0),
                         _("Projected"): labels.kpi_value(r.kpi, r.projection),
                         _("Attainment"): fmt.percent(r.attainment, 0) if np.isfinite(r.attainment) else fmt.na(),
                         _("Status"): labels.status_text(r.status),
                         _("Set by"): _("split") if r.origin == "derived" else _("entered")})
        return pd.DataFrame(rows)

    def alerts(self) -> list[str]:
        """One sentence per target at risk or behind."""
        out = [_alert(r) for r in self.frame.itertuples(index=False) if r.status in ("at risk", "behind")]
        bad = self.checks[self.checks["status"].isin(["does not add up", "exceeds", "inconsistent"])]
        return out + [rollup_sentence(r) for r in bad.itertuples(index=False)]

    def verdict(self) -> str:
        f = self.frame
        if f.empty:
            return ""
        st = f["status"].value_counts()
        return _("Targets: {on_track} of {n} on track, {at_risk} at risk, {behind} behind.",
                 on_track=fmt.number(st.get("on track", 0)), n=fmt.number(len(f)),
                 at_risk=fmt.number(st.get("at risk", 0)), behind=fmt.number(st.get("behind", 0)))

    def notes(self) -> list[str]:
        src = _("the packaged demo targets") if self.source is None else self.source
        out = [_("Targets from {source}; as of {as_of}.", source=src, as_of=labels.as_of_text(self.as_of)),
               _("Projection: counts and sums are extrapolated linearly to the end of the period, rates at their "
                 "current value. On track: at least 100% of target; at risk: at least 90%; behind: below 90% "
                 "(for lower-is-better KPIs the ratio is target / projection).")]
        derived = int((self.frame["origin"] == "derived").sum()) if "origin" in self.frame else 0
        if derived:
            out.append(ngettext("{n} target was derived from a higher-level target by its split; "
                                "`leadlab kpi targets --explain` shows how.",
                                "{n} targets were derived from higher-level targets by their split; "
                                "`leadlab kpi targets --explain` shows how.", derived, n=fmt.number(derived)))
        if self.skipped:
            out.append(ngettext("{n} demo target names a team or rep this store does not have and was skipped; "
                                "put your own targets in data/targets.yml.",
                                "{n} demo targets name teams or reps this store does not have and were skipped; "
                                "put your own targets in data/targets.yml.", self.skipped, n=fmt.number(self.skipped)))
        if self.frame.empty:
            if self.team:
                out.insert(0, _("No targets set for {period} and team {team}.", period=labels.period_text(self.period),
                                team=self.team))
            else:
                out.insert(0, _("No targets set for {period}.", period=labels.period_text(self.period)))
        return out

    def _repr_html_(self) -> str:
        disp = self.display_frame()
        if disp.empty:
            return super()._repr_html_()
        from leadlab.presentation import coloured_status_table
        from leadlab.safehtml import text

        table = coloured_status_table(disp, self.frame["status"].tolist(), STATUS_STYLE, "kpi-targets", column=_("Status"))
        notes = "".join(f"<p class='leadlab-note'>{text(n)}</p>" for n in self.notes())
        alerts = "".join(f"<li>{text(a)}</li>" for a in self.alerts())
        verdict = f"<p><b>{text(self.verdict())}</b></p>"
        heading = text(_("Alerts"))
        block = f"<p><b>{heading}</b></p><ul>{alerts}</ul>" if alerts else ""
        return f"<div class='leadlab-result'><h4>{text(self.title())}</h4>{verdict}{table}{block}{notes}</div>"

    def summary(self) -> str:
        alerts = self.alerts()
        tail = [_("Alerts:"), *(f"  - {a}" for a in alerts)] if alerts else [_("Alerts: none")]
        return "\n".join([super().summary(), *tail])

    def _plot(self, ax):
        import matplotlib.pyplot as plt
        from matplotlib.ticker import PercentFormatter

        from leadlab.plots import COLORS

        f = self.frame
        if ax is None:
            _fig, ax = plt.subplots(figsize=(9, 0.5 * max(len(f), 1) + 1.2))
        colors = {"on track": COLORS["good"], "at risk": COLORS["highlight"], "behind": COLORS["bad"]}
        y = np.arange(len(f))
        prog = np.clip(f["progress"].fillna(0).to_numpy(), 0, 2) if len(f) else []
        proj = np.clip(f["attainment"].replace([np.inf], 2).fillna(0).to_numpy(), 0, 2) if len(f) else []
        ax.barh(y, proj, color=[colors.get(s, COLORS["neutral"]) for s in f["status"]], alpha=0.35, label=_("projected"))
        ax.barh(y, prog, color=[colors.get(s, COLORS["neutral"]) for s in f["status"]], label=_("so far"))
        ax.axvline(1.0, color="#333333", linestyle="--", linewidth=1)
        ax.set_yticks(y, [f"{who_text(s, n)} · {labels.kpi_name(k)} · {labels.period_text(p)}"
                          for s, n, k, p in zip(f["scope"], f["name"], f["kpi"], f["period"])])
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel(_("share of target (solid: so far, light: projected to the end of the period)"))
        ax.set_title(_("Targets and pacing"))
        return ax


def _overlaps(a: Period, b: Period) -> bool:
    return a.start < b.end and b.start < a.end


def evaluate_targets(data, targets: list[Target], as_of=None) -> pd.DataFrame:
    """Actual, pacing projection and status for each target (grouped queries per period)."""
    data = KpiData.coerce(data)
    check_names(targets, data)
    as_of = pd.Timestamp(as_of) if as_of is not None else data.as_of
    rows = []
    by_period: dict[str, list[Target]] = {}
    for t in targets:
        by_period.setdefault(t.period.label + t.period.kind, []).append(t)
    base = data.company()
    for group in by_period.values():
        per = group[0].period
        vals = {}
        for scope, dim in (("company", None), ("team", "team"), ("rep", "rep_id")):
            if any(t.scope == scope for t in group):
                from leadlab.kpi.measures import sources_for

                needed = [c for t in group for c in (KPIS[t.kpi].num, KPIS[t.kpi].den, KPIS[t.kpi].num_extra) if c]
                m = measures(base, [per], dim, sources=sources_for(needed))
                vals[scope] = compute(m, sorted({t.kpi for t in group})).set_index(["period", *([dim] if dim else [])])
        elapsed = per.elapsed_share(as_of + pd.Timedelta(seconds=1)) if as_of is not None else 0.0
        for t in group:
            frame = vals[t.scope]
            key = per.label if t.scope == "company" else (per.label, t.name)
            actual = float(frame.loc[key, t.kpi]) if key in frame.index else (0.0 if KPIS[t.kpi].additive else math.nan)
            k = KPIS[t.kpi]
            if elapsed <= 0:
                projection, status, ratio = math.nan, "not started", math.nan
            else:
                projection = actual / elapsed if k.additive else actual
                status, ratio = status_of(t.kpi, projection, t.value)
            progress = actual / t.value if (k.additive and t.value > 0 and np.isfinite(actual)) else math.nan
            if not k.additive:
                progress = ratio
            rows.append({"scope": t.scope, "name": t.name, "who": t.who, "origin": t.origin, "kpi": t.kpi, "period": per.label, "target": t.value,
                         "actual": actual, "elapsed": elapsed, "expected_to_date": t.value * elapsed if k.additive else t.value,
                         "progress": progress, "projection": projection, "attainment": ratio, "status": status,
                         "final": elapsed >= 1.0})
    return pd.DataFrame(rows, columns=["scope", "name", "who", "origin", "kpi", "period", "target", "actual", "elapsed",
                                       "expected_to_date", "progress", "projection", "attainment", "status", "final"])


def _alert(r) -> str:
    """The alert sentence of one target row."""
    k = r.kpi
    if r.final:
        return _("{who}: {kpi} {period} ended at {actual} against a target of {target} ({attainment}, {status}).",
                 who=who_text(r.scope, r.name), kpi=labels.kpi_name(k), period=labels.period_text(r.period),
                 actual=labels.kpi_value(k, r.actual), target=labels.kpi_value(k, r.target),
                 attainment=fmt.percent(r.attainment, 0), status=labels.status_text(r.status))
    return _("{who}: {kpi} {period} at {actual} with {elapsed} of the period gone; projected {projection} against "
             "a target of {target} ({attainment}, {status}).",
             who=who_text(r.scope, r.name), kpi=labels.kpi_name(k), period=labels.period_text(r.period),
             actual=labels.kpi_value(k, r.actual), elapsed=fmt.percent(r.elapsed, 0),
             projection=labels.kpi_value(k, r.projection), target=labels.kpi_value(k, r.target),
             attainment=fmt.percent(r.attainment, 0), status=labels.status_text(r.status))


def targets_report(data, period, targets_path: str | Path | None = None, team: str | None = None,
                   targets: list[Target] | None = None) -> TargetsResult:
    """Targets whose period overlaps ``period`` (for ``team``: the team's and its reps'
    targets), evaluated as of the latest data."""
    data = KpiData.coerce(data)
    scoped = data.for_team(team)
    per = data.period(period)
    path = Path(targets_path) if targets_path else default_targets_path()
    all_targets = targets if targets is not None else load_targets(path)
    skipped = 0
    if targets is None and path == demo_targets_path():
        # the packaged demo targets fit the synthetic demo store; on other data skip what does not apply
        teams, reps = set(data.teams), set(data.rep_table["rep_id"].astype(str))
        keep = [t for t in all_targets if t.scope == "company" or (t.scope == "team" and t.name in teams)
                or (t.scope == "rep" and t.name in reps)]
        skipped = len(all_targets) - len(keep)
        all_targets = keep
    check_names(all_targets, data)
    chosen = [t for t in all_targets if _overlaps(t.period, per)]
    chosen, derivations = expand(chosen, data)
    if team:
        reps = set(scoped.rep_ids)
        chosen = [t for t in chosen if (t.scope == "team" and t.name == team) or (t.scope == "rep" and t.name in reps)]
    frame = evaluate_targets(data, chosen)
    return TargetsResult(frame, per, scoped.team, source=None if path == demo_targets_path() else str(path),
                         as_of=data.as_of, skipped=skipped, checks=rollup(chosen, data), derivations=derivations)
