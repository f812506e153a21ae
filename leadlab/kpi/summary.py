"""The executive summary: a few short sentences a sales manager reads first.

:func:`executive_summary` gathers the facts (totals, the SQL target, the connect rate's
change, the moves that are not noise, target statuses, the funnel bottleneck, the lead
pool, speed-to-lead); :class:`ExecutiveSummary` writes them in the current language at
render time — in Chinese as a Chinese sales manager would say it, not word for word.

>>> from leadlab.i18n import use_lang
>>> describe_change("call_connect_rate", 0.231, 0.255, "previous", "month", "significant change")
'Connect rate 23.1%, down 2.4 pp from the previous month (significant)'
>>> with use_lang("zh"):
...     describe_change("call_connect_rate", 0.231, 0.255, "previous", "month", "significant change")
'接通率 23.1%，比上月下降 2.4个百分点（显著）'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from leadlab import safehtml
from leadlab.i18n import _, fmt, pgettext
from leadlab.kpi import labels
from leadlab.kpi.definitions import KPIS
from leadlab.presentation import Result


def reference_text(compare_to: str, kind: str) -> str:
    """The comparison period as a manager names it: ``the previous month`` / ``上月``."""
    if compare_to == "previous":
        return {"day": _("the previous day"), "week": _("the previous week"), "month": _("the previous month"),
                "quarter": _("the previous quarter"), "year": _("the previous year")}[kind]
    return {"day": _("the same day last year"), "week": _("the same week last year"),
            "month": _("the same month last year"), "quarter": _("the same quarter last year"),
            "year": _("the previous year")}[kind]


def _unsigned_pp(x: float) -> str:
    return fmt.pp(abs(x)).lstrip("+")


def describe_change(kpi: str, value: float, ref: float, compare_to: str, kind: str, signal: str) -> str:
    """One KPI's value and its change against the comparison period, with the signal:
    ``Connect rate 23.1%, down 2.4 pp from the previous month (significant)``."""
    name, shown = labels.kpi_name(kpi), labels.kpi_value(kpi, value)
    reference = reference_text(compare_to, kind)
    unit = KPIS[kpi].unit
    if not (np.isfinite(value) and np.isfinite(ref)):
        clause = _("{kpi} {value}", kpi=name, value=shown)
    else:
        diff = value - ref
        if diff == 0:
            clause = _("{kpi} {value}, unchanged from {reference}", kpi=name, value=shown, reference=reference)
        elif unit != "rate" and ref == 0:
            clause = _("{kpi} {value}, from {ref_value} in {reference}", kpi=name, value=shown,
                       ref_value=labels.kpi_value(kpi, ref), reference=reference)
        else:
            change = _unsigned_pp(diff) if unit == "rate" else fmt.percent(abs(diff) / abs(ref))
            if diff > 0:
                clause = _("{kpi} {value}, up {change} from {reference}", kpi=name, value=shown, change=change,
                           reference=reference)
            else:
                clause = _("{kpi} {value}, down {change} from {reference}", kpi=name, value=shown, change=change,
                           reference=reference)
    if signal == "outside normal variation":
        return _("{clause} (outside normal variation)", clause=clause)
    if signal == "significant change":
        return _("{clause} (significant)", clause=clause)
    return clause


@dataclass
class ExecutiveSummary(Result):
    """The facts of the executive summary; :meth:`sentences` writes them in the current language."""

    facts: dict = field(default_factory=dict)

    def title(self) -> str:
        return _("Executive summary")

    def sentences(self) -> list[str]:
        return _sentences(self.facts)

    @property
    def text(self) -> str:
        return " ".join(self.sentences())

    def to_pandas(self) -> pd.DataFrame:
        return pd.DataFrame({"sentence": self.sentences()})

    def display_frame(self):
        return None

    def summary(self) -> str:
        return "\n".join([self.title(), *(f"- {s}" for s in self.sentences())])

    def to_markdown(self) -> str:
        return "\n".join(f"- {safehtml.md(s)}" for s in self.sentences())

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{safehtml.text(s)}</li>" for s in self.sentences())
        return f"<ul class='leadlab-summary' style='font-size:110%;line-height:1.6'>{items}</ul>"


def _sentences(f: dict) -> list[str]:
    period = labels.period_text(f["period"])
    team = f.get("team")
    if not f.get("has_data", True):
        if team:
            return [_("No activity in {period} for team {team}: the store has no calls or new leads in this period, "
                      "so every rate below is n/a.", period=period, team=team)]
        return [_("No activity in {period}: the store has no calls or new leads in this period, so every rate "
                  "below is n/a.", period=period)]
    compare_to, kind = f["compare_to"], f["kind"]
    reference = reference_text(compare_to, kind)
    t = f["totals"]
    totals = dict(dials=labels.kpi_value("dials", t["dials"]), sqls=labels.kpi_value("sql", t["sql"]),
                  won=labels.kpi_value("won", t["won"]), revenue=labels.kpi_value("revenue", t["revenue"]))
    if team:
        out = [_("{period}, team {team}: dials {dials}, SQLs {sqls}, won deals {won}, revenue {revenue}.",
                 period=period, team=team, **totals)]
    else:
        out = [_("{period}: dials {dials}, SQLs {sqls}, won deals {won}, revenue {revenue}.", period=period, **totals)]
    if (sql := f.get("sql_target")) is not None:
        out.append(_("SQLs: {actual} against a target of {target} (projected attainment {attainment}, {status}).",
                     actual=labels.kpi_value("sql", sql["actual"]), target=labels.kpi_value("sql", sql["target"]),
                     attainment=fmt.percent(sql["attainment"], 0), status=labels.status_text(sql["status"])))
    if (c := f.get("connect")) is not None:
        change = describe_change("call_connect_rate", c["value"], c["comparison"], compare_to, kind, c["signal"])
        if (tg := f.get("connect_target")) is not None:
            out.append(_("{change}; target {target} ({status}).", change=change,
                         target=labels.kpi_value("call_connect_rate", tg["target"]), status=labels.status_text(tg["status"])))
        else:
            out.append(_("{change}.", change=change))
    moves = f.get("moves", [])
    if moves:
        sep = pgettext("list separator", "; ")
        texts = sep.join(describe_change(m["kpi"], m["value"], m["comparison"], compare_to, kind, m["signal"])
                         for m in moves)
        out.append(_("Moves that are not noise: {moves}.", moves=texts))
    else:
        out.append(_("No other KPI moved beyond normal variation against {reference}.", reference=reference))
    if (st := f.get("targets")) is not None:
        out.append(_("Targets: {on_track} of {n} on track, {at_risk} at risk, {behind} behind.",
                     on_track=fmt.number(st["on track"]), n=fmt.number(st["n"]), at_risk=fmt.number(st["at risk"]),
                     behind=fmt.number(st["behind"])))
    if (b := f.get("bottleneck")) is not None:
        out.append(_("Bottleneck: {from_stage} → {to_stage} converted {conversion} against {previous} in {reference}, "
                     "the largest drop of any funnel step.",
                     from_stage=labels.stage_name(b["from"]), to_stage=labels.stage_name(b["to"]),
                     conversion=fmt.percent(b["conversion"]), previous=fmt.percent(b["previous"]),
                     reference=reference_text("previous", kind)))
    if (p := f.get("pool")) is not None:
        out.append(_("Lead pool: {open} open leads, {never} never contacted, {stale} untouched for more than {days} days.",
                     open=fmt.number(p["open"]), never=fmt.number(p["never_contacted"]), stale=fmt.number(p["stale"]),
                     days=fmt.number(p["stale_days"])))
    if (s := f.get("speed")) is not None:
        out.append(_("Speed-to-lead: {share} of new leads were called within 5 minutes (median response {median}).",
                     share=fmt.percent(s["within_5m"], 0), median=labels.minutes(s["median_min"])))
    if not f.get("has_spend", True):
        out.append(_("Marketing spend is not in the store, so cost per lead, cost per SQL and customer acquisition "
                     "cost are unavailable."))
    return out


def _target_row(targets, kpi: str, period_label: str, team: str | None):
    if targets is None or not len(targets.frame):
        return None
    tf = targets.frame
    scope = ((tf["scope"] == "team") & (tf["name"] == team)) if team else (tf["scope"] == "company")
    rows = tf[(tf["kpi"] == kpi) & (tf["period"] == period_label) & scope]
    return rows.iloc[0] if len(rows) else None


def executive_summary(table, targets=None, pool=None, speed=None, max_moves: int = 3) -> ExecutiveSummary:
    """The facts of the summary from a :class:`~leadlab.kpi.compare.KpiTable` and optional
    targets, pool-health and speed-to-lead results."""
    per = table.period
    f = table.frame.set_index("kpi")
    facts: dict = {"period": per.label, "kind": per.kind, "team": table.team, "compare_to": table.compare_to,
                   "has_data": bool(table.frame.attrs.get("has_data", True)),
                   "has_spend": bool(table.frame.attrs.get("has_spend", True))}
    if not facts["has_data"]:
        return ExecutiveSummary(facts)

    def val(k):
        return float(f.loc[k, "value"]) if k in f.index else math.nan

    facts["totals"] = {k: val(k) for k in ("dials", "sql", "won", "revenue")}
    row = _target_row(targets, "sql", per.label, table.team)
    if row is not None:
        facts["sql_target"] = {k: row[k] for k in ("actual", "target", "attainment", "status")}
    if "call_connect_rate" in f.index:
        r = f.loc["call_connect_rate"]
        facts["connect"] = {"value": float(r["value"]), "comparison": float(r["comparison"]), "signal": r["signal"]}
        row = _target_row(targets, "call_connect_rate", per.label, table.team)
        if row is not None:
            facts["connect_target"] = {"target": float(row["target"]), "status": row["status"]}
    moves = table.frame[table.frame["signal"].isin(["outside normal variation", "significant change"])
                        & (table.frame["kpi"] != "call_connect_rate")].copy()
    if len(moves):
        moves["order"] = moves["signal"].map({"outside normal variation": 0, "significant change": 1})
        moves = moves.sort_values(["order", "p_value"]).head(max_moves)
        facts["moves"] = [{"kpi": r.kpi, "value": float(r.value), "comparison": float(r.comparison), "signal": r.signal}
                          for r in moves.itertuples()]
    if targets is not None and len(targets.frame):
        st = targets.frame["status"].value_counts()
        facts["targets"] = {"n": len(targets.frame), **{s: int(st.get(s, 0)) for s in ("on track", "at risk", "behind")}}
    if pool is not None:
        if pool.bottleneck:
            facts["bottleneck"] = dict(pool.bottleneck)
        facts["pool"] = {k: pool.stats[k] for k in ("open", "never_contacted", "stale", "stale_days")}
    if speed is not None and speed.stats["leads"] > 0:
        facts["speed"] = {k: speed.stats[k] for k in ("within_5m", "median_min")}
    return ExecutiveSummary(facts)
