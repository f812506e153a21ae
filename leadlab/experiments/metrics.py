"""Metric declarations: what each metric is and which per-unit aggregates it needs.

Every metric is ``sum(numerator) / sum(denominator)`` over the analysis units. With a
denominator of 1 per unit it is a plain mean (a proportion when the numerator is 0/1);
otherwise it is a ratio metric whose variance comes from the delta method over units.

>>> STORE_METRICS["sql_rate"].numerator, STORE_METRICS["sqls_per_call"].denominator
('sql', 'calls')
>>> Metric("y").kind()
'mean'
"""

from __future__ import annotations

from dataclasses import dataclass

from leadlab.errors import ConfigError


@dataclass(frozen=True)
class Metric:
    """A metric ``sum(numerator)/sum(denominator)`` over units.

    ``denominator=None`` means 1 per unit (a mean or proportion). ``binary`` marks a 0/1
    numerator (a proportion). ``scale`` multiplies the value (e.g. per 1,000 calls).
    ``margin`` makes it a guardrail: the treatment must be non-inferior within that
    relative margin (e.g. 0.10 = at most 10% worse). ``naive_sq`` names the column holding
    the row-grain sum of squares of the numerator (for the naive per-row analysis).
    """

    name: str
    numerator: str | None = None
    denominator: str | None = None
    binary: bool = False
    label: str | None = None
    higher_is_better: bool = True
    margin: float | None = None
    scale: float = 1.0
    percent: bool = False
    naive_sq: str | None = None

    @property
    def num(self) -> str:
        return self.numerator or self.name

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ")

    @property
    def guardrail(self) -> bool:
        return self.margin is not None

    def kind(self, unit_is_lead: bool = True) -> str:
        """``proportion``, ``mean`` or ``ratio``: a ``n_leads`` denominator is 1 per unit
        when the unit is a lead, so the metric is then a plain proportion or mean."""
        if self.denominator is None or (unit_is_lead and self.denominator == "n_leads"):
            return "proportion" if self.binary else "mean"
        return "ratio"


def _m(name, num, den, **kw) -> Metric:
    return Metric(name, num, den, **kw)


#: The metrics of store experiments (names used by the CLI, the notebook and ground truth).
#: Columns refer to the per-unit table built by :mod:`leadlab.experiments.queries`.
STORE_METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        _m("sql_rate", "sql", "n_leads", binary=True, label="SQL rate", percent=True, naive_sq="sql"),
        _m("connect_rate", "connected", "n_leads", binary=True, label="connect rate (leads reached)", percent=True, naive_sq="connected"),
        _m("conversation_rate", "conversation", "n_leads", binary=True, label="conversation rate", percent=True, naive_sq="conversation"),
        _m("opportunity_rate", "opportunity", "n_leads", binary=True, label="opportunity rate", percent=True, naive_sq="opportunity"),
        _m("win_rate", "won", "n_leads", binary=True, label="win rate", percent=True, naive_sq="won"),
        _m("revenue_per_lead", "revenue", "n_leads", label="revenue per lead", naive_sq="revenue_sq"),
        _m("sqls_per_call", "sql", "calls", label="SQLs per call"),
        _m("talk_seconds_per_call", "talk_seconds", "calls", label="talk seconds per call", naive_sq="talk_sq"),
        _m("complaints_per_1000_calls", "complaints", "calls", label="complaints per 1,000 calls",
           higher_is_better=False, margin=0.25, scale=1000.0, naive_sq="complaints"),
        _m("dnc_per_1000_calls", "dnc", "calls", label="do-not-call requests per 1,000 calls",
           higher_is_better=False, margin=0.25, scale=1000.0, naive_sq="dnc"),
    )
}

#: Defaults analysed when no metric is named: the decision metric first, then guardrails.
DEFAULT_METRICS = ("sql_rate", "connect_rate", "conversation_rate", "opportunity_rate",
                   "revenue_per_lead", "sqls_per_call", "talk_seconds_per_call",
                   "complaints_per_1000_calls", "dnc_per_1000_calls")

#: Funnel stages per lead (column of the unit table, label).
FUNNEL_STAGES = (("n_leads", "leads"), ("dialed", "dialed"), ("connected", "connected"),
                 ("conversation", "conversation"), ("sql", "SQL"), ("opportunity", "opportunity"),
                 ("won", "won"))


def resolve_metrics(names: "str | list[str] | tuple[str, ...] | None", available: dict[str, Metric] | None = None) -> list[Metric]:
    """Metrics by name (comma list or sequence); ConfigError naming the valid ones."""
    available = STORE_METRICS if available is None else available
    if names is None or names == "" or names == []:
        return [available[n] for n in DEFAULT_METRICS if n in available]
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    out = []
    for n in names:
        if isinstance(n, Metric):
            out.append(n)
            continue
        if n not in available:
            raise ConfigError(f"unknown metric {n!r} (parameter metrics); valid metrics: {', '.join(available)}")
        out.append(available[n])
    return out
