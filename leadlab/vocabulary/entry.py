"""One metric of the vocabulary: what it is called, what it means, how it is computed.

An :class:`Entry` holds codes and message ids only; :meth:`Entry.name`,
:meth:`Entry.definition`, :meth:`Entry.formula_text` and :meth:`Entry.format` produce
text in the current language (:mod:`leadlab.i18n`) at the moment they are called.

A metric has up to two formulas, both ``scale × numerator / denominator``:

* :class:`KpiFormula` over the base measures of :mod:`leadlab.kpi.measures` (grouped Ibis
  queries over the canonical tables, per period) — the KPI engine;
* :class:`UnitFormula` over the per-unit columns of :mod:`leadlab.experiments.queries`
  (one row per lead or rep), summed over units — the experiments engine.

>>> e = Entry("demo_rate", "Dials", "Calls started in the period.", "activity", "rate",
...           kpi=KpiFormula("connected", "dials"))
>>> e.formula_text(), e.format(0.2314), e.higher_is_better
('connected calls ÷ dials', '23.1%', True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from leadlab.i18n import _, fmt, translate
from leadlab.vocabulary.measures import KPI_MEASURES, UNIT_MEASURES

UNITS = ("count", "rate", "seconds", "minutes", "hours", "money", "ratio", "per1000", "score", "days")
TESTS = ("proportion", "poisson", "mean", "none")


@dataclass(frozen=True)
class KpiFormula:
    """``scale × (num + num_extra) / den`` over base measures of :mod:`leadlab.kpi.measures`
    (``den`` None = a total). ``sumsq``: the sum of squares of the numerator's values (for
    the mean test); ``needs_spend``: n/a without a spend table; ``additive``: adds up over
    time (pacing projects it linearly)."""

    num: str
    den: str | None = None
    scale: float = 1.0
    num_extra: str | None = None
    sumsq: str | None = None
    needs_spend: bool = False
    additive: bool = False

    @property
    def measures(self) -> tuple[str, ...]:
        return tuple(c for c in (self.num, self.num_extra, self.den, self.sumsq) if c)


@dataclass(frozen=True)
class UnitFormula:
    """``scale × Σ num / Σ den`` over the units of an experiment (columns of the per-unit
    table; ``den`` None = 1 per unit). ``binary``: a 0/1 numerator (a proportion);
    ``margin``: a guardrail's non-inferiority margin (relative); ``naive_sq``: the column of
    the row-grain sum of squares of the numerator (naive per-row analysis)."""

    num: str
    den: str | None = None
    binary: bool = False
    scale: float = 1.0
    margin: float | None = None
    naive_sq: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c in (self.num, self.den) if c)


def _factor(x: float) -> str:
    return fmt.number(x, 0) if float(x).is_integer() else fmt.number(x, 3)


def _formula(num: str, den: str | None, scale: float, extra: str | None) -> str:
    top = _("({first} + {second})", first=num, second=extra) if extra else num
    if scale != 1.0 and scale > 1.0:
        top = _("{factor} × {quantity}", factor=_factor(scale), quantity=top)
    if den is None:
        if scale != 1.0 and scale < 1.0:
            return _("{numerator} ÷ {denominator}", numerator=top, denominator=_factor(1.0 / scale))
        return top
    return _("{numerator} ÷ {denominator}", numerator=top, denominator=den)


def format_value(value: object, unit: str) -> str:
    """A value of ``unit`` for people in the current language; missing or infinite → n/a.

    >>> format_value(0.2314, "rate"), format_value(float("nan"), "money"), format_value(12.345, "seconds")
    ('23.1%', 'n/a', '12.3')
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        return fmt.na()
    if not math.isfinite(v):
        return fmt.na()
    if unit == "rate":
        return fmt.percent(v, 1)
    if unit == "count":
        return fmt.number(v, 0)
    if unit == "money":
        return fmt.money(v)
    if unit == "score":  # CSAT 1-5 with two decimals, NPS -100..100 with one
        return fmt.number(v, 2 if abs(v) < 10 else 1)
    if unit in ("seconds", "minutes", "hours", "ratio", "per1000", "days"):
        return fmt.number(v, 1 if abs(v) < 1000 else 0)
    return fmt.number(v, 2)


@dataclass(frozen=True)
class Entry:
    """One KPI or experiment metric (see the module docstring).

    ``name_id`` / ``definition_id`` are English message ids (marked with ``N_`` where the
    entries are written); ``family`` one of :data:`leadlab.vocabulary.FAMILIES`; ``unit``
    one of :data:`UNITS`; ``test`` the significance test of the KPI table."""

    id: str
    name_id: str
    definition_id: str
    family: str
    unit: str
    higher_is_better: bool = True
    test: str = "none"
    kpi: KpiFormula | None = None
    per_unit: UnitFormula | None = None

    def name(self) -> str:
        """The display name in the current language (接通率 / Connect rate)."""
        return translate(self.name_id)

    def definition(self) -> str:
        """One sentence saying what the metric measures, in the current language."""
        return translate(self.definition_id)

    def formula_text(self) -> str:
        """The formula in words of the current language, from the formula's measures."""
        if self.kpi is not None:
            f = self.kpi
            names = {c: translate(KPI_MEASURES[c]) for c in (f.num, f.den, f.num_extra) if c}
            return _formula(names[f.num], names.get(f.den), f.scale, names.get(f.num_extra))
        if self.per_unit is not None:
            u = self.per_unit
            return _formula(translate(UNIT_MEASURES[u.num]),
                            translate(UNIT_MEASURES[u.den]) if u.den else _("units"), u.scale, None)
        return ""

    def format(self, value: object) -> str:
        """``value`` of this metric for people in the current language (``23.1%``, ``¥1.2万``)."""
        return format_value(value, self.unit)

    @property
    def engines(self) -> tuple[str, ...]:
        """Which engines compute it: ``kpi``, ``experiments``."""
        return tuple(e for e, f in (("kpi", self.kpi), ("experiments", self.per_unit)) if f is not None)
