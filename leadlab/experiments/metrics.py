"""Metric declarations: what each metric is and which per-unit aggregates it needs.

Every metric is ``sum(numerator) / sum(denominator)`` over the analysis units. With a
denominator of 1 per unit it is a plain mean (a proportion when the numerator is 0/1);
otherwise it is a ratio metric whose variance comes from the delta method over units.

The store's metrics (:data:`STORE_METRICS`) are the entries of the one metric vocabulary
(:mod:`leadlab.vocabulary`) that have a per-unit formula: their names, direction,
guardrail margin and formula come from there.

>>> STORE_METRICS["sql_rate"].numerator, STORE_METRICS["sqls_per_call"].denominator
('sql', 'calls')
>>> STORE_METRICS["lead_reach_rate"].title
'Reach rate'
>>> Metric("y").kind()
'mean'
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from leadlab.errors import ConfigError
from leadlab.i18n import _
from leadlab.vocabulary import ALIASES, EXPERIMENT_RENAMES, METRICS, Entry, stages
from leadlab.vocabulary import metrics as _vocabulary_metrics


@dataclass(frozen=True)
class Metric:
    """A metric ``sum(numerator)/sum(denominator)`` over units.

    ``denominator=None`` means 1 per unit (a mean or proportion). ``binary`` marks a 0/1
    numerator (a proportion). ``scale`` multiplies the value (e.g. per 1,000 calls).
    ``margin`` makes it a guardrail: the treatment must be non-inferior within that
    relative margin (e.g. 0.10 = at most 10% worse). ``naive_sq`` names the column holding
    the row-grain sum of squares of the numerator (for the naive per-row analysis).
    ``label``: a display name for a metric the vocabulary does not know.
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
        """The display name in the current language (the vocabulary's name of a store metric)."""
        if self.name in METRICS:
            return METRICS[self.name].name()
        return self.label or self.name.replace("_", " ")

    @property
    def guardrail(self) -> bool:
        return self.margin is not None

    def moments(self, cuped: bool = False) -> tuple[str, ...]:
        """The per-arm aggregates this metric's analysis needs, as tea-tasting's metrics declare
        theirs: ``n, sy, syy`` (units, sum, sum of squares of the numerator); a ratio adds its
        denominator's ``sd, sdd, syd``; CUPED adds the covariate's ``sx, sxx, sxy`` (and
        ``sxd`` for a ratio); ``nsq`` the row-grain sum of squares for the naive analysis.
        The grouped query computes the union over the metrics (see
        :func:`leadlab.experiments.queries.moments`) and nothing else.

        >>> Metric("y").moments(), Metric("r", "y", "d").moments(cuped=True)
        (('n', 'sy', 'syy'), ('n', 'sy', 'syy', 'sd', 'sdd', 'syd', 'sx', 'sxx', 'sxy', 'sxd'))
        """
        out = ("n", "sy", "syy") + (("sd", "sdd", "syd") if self.denominator is not None else ())
        if cuped:
            out += ("sx", "sxx", "sxy") + (("sxd",) if self.denominator is not None else ())
        return out + (("nsq",) if self.naive_sq is not None else ())

    def kind(self, unit_is_lead: bool = True) -> str:
        """``proportion``, ``mean`` or ``ratio``: a ``n_leads`` denominator is 1 per unit
        when the unit is a lead, so the metric is then a plain proportion or mean."""
        if self.denominator is None or (unit_is_lead and self.denominator == "n_leads"):
            return "proportion" if self.binary else "mean"
        return "ratio"


def from_entry(entry: Entry) -> Metric:
    """The :class:`Metric` of a vocabulary entry with a per-unit formula."""
    u = entry.per_unit
    if u is None:
        raise ConfigError(f"metric {entry.id!r} is not an experiment metric (it has no per-unit formula); "
                          f"experiment metrics: {', '.join(STORE_METRICS)}")
    return Metric(entry.id, u.num, u.den, binary=u.binary, higher_is_better=entry.higher_is_better,
                  margin=u.margin, scale=u.scale, percent=entry.unit == "rate", naive_sq=u.naive_sq)


#: The metrics of store experiments (names used by the CLI, the notebook and ground truth).
#: Columns refer to the per-unit table built by :mod:`leadlab.experiments.queries`.
STORE_METRICS: dict[str, Metric] = {}
_ORDER = ("sql_rate", "lead_reach_rate", "lead_conversation_rate", "lead_opportunity_rate", "lead_conversion_rate",
          "revenue_per_lead", "sqls_per_call", "talk_seconds_per_call", "complaints_per_1000", "dnc_per_1000")
_ENTRIES = {e.id: e for e in _vocabulary_metrics(engine="experiments")}
STORE_METRICS.update({i: from_entry(_ENTRIES[i]) for i in sorted(_ENTRIES, key=lambda i: (_ORDER + (i,)).index(i))})

#: Defaults analysed when no metric is named: the decision metric first, then guardrails.
DEFAULT_METRICS = ("sql_rate", "lead_reach_rate", "lead_conversation_rate", "lead_opportunity_rate",
                   "revenue_per_lead", "sqls_per_call", "talk_seconds_per_call",
                   "complaints_per_1000", "dnc_per_1000")

#: Funnel stages per lead (column of the unit table, stage id of :data:`leadlab.vocabulary.FUNNEL`).
FUNNEL_STAGES: tuple[tuple[str, str], ...] = tuple((s.lead_column, s.id) for s in stages("lead"))


def store_metric(name: str, available: dict[str, Metric] | None = None) -> Metric:
    """The store metric ``name``; an old id still works when its meaning did not change (with a
    DeprecationWarning); ConfigError naming the new id of a renamed one, or the valid metrics."""
    available = STORE_METRICS if available is None else available
    if name in available:
        return available[name]
    if available is STORE_METRICS and name in EXPERIMENT_RENAMES:
        new = EXPERIMENT_RENAMES[name]
        kpi = name if name in METRICS else ALIASES.get(name)
        raise ConfigError(f"metric {name!r} (parameter metrics) was renamed: for {METRICS[new].formula_text()} use "
                          f"{new!r}" + (f"; {kpi!r} is the KPI {METRICS[kpi].formula_text()}" if kpi else ""))
    if ALIASES.get(name) in available:
        warnings.warn(f"metric {name!r} is deprecated; use {ALIASES[name]!r}", DeprecationWarning, stacklevel=3)
        return available[ALIASES[name]]
    raise ConfigError(f"unknown metric {name!r} (parameter metrics); valid metrics: {', '.join(available)}")


def resolve_metrics(names: "str | list[str] | tuple[str, ...] | None", available: dict[str, Metric] | None = None) -> list[Metric]:
    """Metrics by name (comma list or sequence); ConfigError naming the valid ones."""
    available = STORE_METRICS if available is None else available
    if names is None or names == "" or names == []:
        return [available[n] for n in DEFAULT_METRICS if n in available]
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    return [n if isinstance(n, Metric) else store_metric(n, available) for n in names]


def cuped_names(names: "str | list[str] | tuple[str, ...] | None", metrics: list[Metric]) -> set[str] | None:
    """The metrics CUPED adjusts (parameter ``cuped``: comma list or sequence of metric names;
    None = every metric); ConfigError naming a name that is not one of the analysed metrics.

    >>> sorted(cuped_names("y", [Metric("y"), Metric("z")])), cuped_names(None, [Metric("y")])
    (['y'], None)
    """
    if names is None:
        return None
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    known = [m.name for m in metrics]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(_("metric {metric} (parameter cuped) is not analysed; analysed metrics: {known}",
                            metric=repr(unknown[0]), known=", ".join(known)))
    return set(names)
