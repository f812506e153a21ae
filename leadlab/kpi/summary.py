"""The executive summary: a few plain sentences generated from the numbers.

>>> from leadlab.kpi.summary import describe_change
>>> describe_change("connect_rate", 0.231, 0.255, "September", "outside normal variation")
'connect rate 23.1%, down 2.4 pp from September — outside normal variation'
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np

from leadlab.kpi.definitions import KPIS, format_value
from leadlab.periods import Period

_SIGNAL_TEXT = {"outside normal variation": "outside normal variation",
                "significant change": "a significant change",
                "normal variation": "within normal variation", "no test": ""}


def period_name(p: Period) -> str:
    """"October 2026" for a month, the label otherwise."""
    return p.start.strftime("%B %Y") if p.kind == "month" else p.label


def _short_name(ref: Period, cur: Period) -> str:
    if ref.kind == "month" and ref.start.year == cur.start.year:
        return ref.start.strftime("%B")
    return period_name(ref)


def describe_change(kpi: str, value: float, ref: float, ref_name: str, signal: str) -> str:
    """"connect rate 23.1%, down 2.4 pp from September — outside normal variation"."""
    k = KPIS[kpi]
    name = k.label[0].lower() + k.label[1:] if not k.label.isupper() and not k.label[:3].isupper() else k.label
    text = f"{name} {format_value(value, k.unit)}"
    if np.isfinite(value) and np.isfinite(ref):
        diff = value - ref
        if diff == 0:
            text += f", unchanged from {ref_name}"
        elif k.unit == "rate":
            text += f", {'up' if diff > 0 else 'down'} {abs(diff) * 100:.1f} pp from {ref_name}"
        elif ref != 0:
            text += f", {'up' if diff > 0 else 'down'} {abs(diff) / abs(ref):.1%} from {ref_name}"
        else:
            text += f", from {format_value(ref, k.unit)} in {ref_name}"
    sig = _SIGNAL_TEXT.get(signal, "")
    if sig:
        text += f" — {sig}"
    return text


@dataclass
class ExecutiveSummary:
    """Sentences of the executive summary; ``text`` / ``_repr_html_`` / ``summary()``."""

    sentences: list[str] = field(default_factory=list)
    title: str = "Executive summary"

    @property
    def text(self) -> str:
        return " ".join(self.sentences)

    def summary(self) -> str:
        return f"{self.title}\n" + "\n".join(f"- {s}" for s in self.sentences)

    def to_markdown(self) -> str:
        return "\n".join(f"- {s}" for s in self.sentences)

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(s)}</li>" for s in self.sentences)
        return f"<ul style='font-size:110%;line-height:1.6'>{items}</ul>"

    def to_pandas(self):
        import pandas as pd

        return pd.DataFrame({"sentence": self.sentences})


def executive_summary(table, targets=None, pool=None, speed=None, max_moves: int = 3) -> ExecutiveSummary:
    """Sentences from a :class:`~leadlab.kpi.compare.KpiTable` and optional targets,
    pool-health and speed-to-lead results."""
    per = table.period
    ref_p = table.comparison_period
    ref_name = _short_name(ref_p, per)
    f = table.frame.set_index("kpi")
    who = f" for team {table.team}" if table.team else ""
    s: list[str] = []
    if not table.frame.attrs.get("has_data", True):
        s.append(f"No activity in {period_name(per)}{who}: the store has no calls or new leads in this period, "
                 "so every rate below is n/a.")
        return ExecutiveSummary(s)

    def val(k):
        return float(f.loc[k, "value"]) if k in f.index else float("nan")

    s.append(f"{period_name(per)}{who}: {format_value(val('dials'), 'count')} dials, {format_value(val('sql'), 'count')} SQLs, "
             f"{format_value(val('won'), 'count')} won deals worth {format_value(val('revenue'), 'money')}.")
    # headline: SQL against target + connect rate
    parts = []
    if targets is not None and len(targets.frame):
        tf = targets.frame
        scope_rows = tf[(tf["kpi"] == "sql") & (tf["period"] == per.label)
                        & ((tf["scope"] == "team") & (tf["name"] == table.team) if table.team else (tf["scope"] == "company"))]
        if len(scope_rows):
            r = scope_rows.iloc[0]
            parts.append(f"SQLs {format_value(r['actual'], 'count')} against a target of {format_value(r['target'], 'count')} "
                         f"({r['attainment']:.0%}, {r['status']})")
    if "connect_rate" in f.index:
        r = f.loc["connect_rate"]
        parts.append(describe_change("connect_rate", r["value"], r["comparison"], ref_name, r["signal"]))
    if parts:
        s.append("; ".join(parts) + ".")
    moves = table.frame[table.frame["signal"].isin(["outside normal variation", "significant change"])
                        & (table.frame["kpi"] != "connect_rate")].copy()
    if len(moves):
        moves["order"] = moves["signal"].map({"outside normal variation": 0, "significant change": 1})
        moves = moves.sort_values(["order", "p_value"]).head(max_moves)
        texts = [describe_change(r.kpi, r.value, r.comparison, ref_name, r.signal) for r in moves.itertuples()]
        s.append("Moves that are not noise: " + "; ".join(texts) + ".")
    else:
        s.append(f"No other KPI moved beyond normal variation against {ref_name}.")
    if targets is not None and len(targets.frame):
        st = targets.frame["status"].value_counts()
        n = len(targets.frame)
        s.append(f"Targets: {st.get('on track', 0)} of {n} on track, {st.get('at risk', 0)} at risk, {st.get('behind', 0)} behind.")
    if pool is not None:
        if pool.bottleneck:
            b = pool.bottleneck
            s.append(f"Bottleneck: {b['from']} → {b['to']} converted {b['conversion']:.1%} against {b['previous']:.1%} "
                     f"in {ref_name if table.frame.attrs.get('compare_label') == per.previous().label else period_name(per.previous())}, "
                     "the largest drop of any funnel step.")
        st = pool.stats
        s.append(f"Lead pool: {st['open']:,.0f} open leads, {st['never_contacted']:,.0f} never contacted, "
                 f"{st['stale']:,.0f} untouched for more than {st['stale_days']} days.")
    if speed is not None and speed.stats["leads"] > 0:
        st = speed.stats
        from leadlab.kpi.speed import _minutes

        s.append(f"Speed-to-lead: {st['within_5m']:.0%} of new leads were called within 5 minutes "
                 f"(median response {_minutes(st['median_min'])}).")
    if not table.frame.attrs.get("has_spend", True):
        s.append("Marketing spend is not in the store, so cost per lead, cost per SQL and CAC are unavailable.")
    return ExecutiveSummary(s)
