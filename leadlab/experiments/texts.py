"""The words of the experiments area, in the current language: metric and stage names (from
:mod:`leadlab.vocabulary`), nouns of units with their plurals, numbers of effects and
intervals (via :mod:`leadlab.i18n.fmt`), the notices a result carries.

Result objects hold facts and codes; everything here turns them into text at render time.

>>> from leadlab.i18n import use_lang
>>> effect(0.0123, True), interval(0.004, 0.02, True), sig_number(2.93e-06), sig_number(-3690.4)
('+1.2 pp', '+0.4 to +2.0', '0.000003', '-3,690')
>>> with use_lang("zh"):
...     effect(0.0123, True), interval(0.004, 0.02, True), metric_name("sql_rate"), units("rep", 3)
('+1.2个百分点', '+0.4 至 +2.0', 'SQL转化率', '名销售')
"""

from __future__ import annotations

import math
from leadlab.i18n import N_, _, fmt, ngettext, pgettext, translate

# --- names -------------------------------------------------------------------------------------

#: Metrics of summary counts / statistics (not in the vocabulary: they are whatever was counted).
_LOCAL_METRICS = {"conversion_rate": N_("conversion rate"), "mean": N_("mean")}


def _entry(metric_id: str):
    """The vocabulary entry of an experiment metric id (old experiment ids mapped to their new
    meaning without a warning), or None."""
    try:
        from leadlab import vocabulary as voc
    except ImportError:  # pragma: no cover - the vocabulary is part of the package
        return None
    mid = voc.EXPERIMENT_RENAMES.get(metric_id, metric_id)
    mid = voc.ALIASES.get(mid, mid)
    return voc.METRICS.get(mid)


def metric_name(metric_id: str, label: str | None = None) -> str:
    """The display name of a metric: the ``label`` the user gave (data, shown as is), else the
    vocabulary's name, else a known local one, else the id."""
    if label:
        return str(label)
    e = _entry(str(metric_id))
    if e is not None:
        return e.name()
    if metric_id in _LOCAL_METRICS:
        return translate(_LOCAL_METRICS[metric_id])
    return str(metric_id)


def stage_name(column: str) -> str:
    """The name of the funnel stage counted in ``column`` of the unit table (``n_leads``, ``sql`` …)."""
    from leadlab.vocabulary import stages

    for s in stages("lead"):
        if s.lead_column == column or s.id == column:
            return s.name()
    return str(column)


def units(code: str, n: float = 2) -> str:
    """The noun of ``n`` units of type ``code`` (``lead``, ``rep``, ``call``, anything else:
    units), with its plural; in Chinese with its measure word (条线索, 名销售)."""
    n = int(n) if n == n else 2
    if code == "lead":
        return ngettext("lead", "leads", n)
    if code == "rep":
        return ngettext("rep", "reps", n)
    if code == "call":
        return ngettext("call", "calls", n)
    return ngettext("unit", "units", n)


def unit_name(code: str) -> str:
    """What the analysis unit is, as a short phrase: ``lead``, ``rep``, ``row``, naive, or a column."""
    names = {"lead": pgettext("analysis unit", "lead"), "rep": pgettext("analysis unit", "rep"),
             "row": pgettext("analysis unit", "row"), "unit": pgettext("analysis unit", "unit"),
             "naive": pgettext("analysis unit", "lead or call (naive)")}
    return names.get(code, str(code))


def grain(code: str, unit: str = "") -> str:
    """The data grain of a result (a code) in words."""
    texts = {
        "per_lead": N_("leads (calls summed per lead)"),
        "per_rep": N_("calls and owned leads summed per rep"),
        "per_row": N_("one row per unit"),
        "counts": N_("summary counts"),
        "stats": N_("summary statistics"),
    }
    if code == "per_unit":
        return _("rows summed per {unit}", unit=unit)
    return translate(texts[code]) if code in texts else str(code)


def covariate_name(code: str | None) -> str:
    """The pre-period covariate of CUPED in words (a code, or the user's column)."""
    if not code:
        return _("not used")
    return {"lead_prior_score": _("the lead's prior score (leads.prior_score)"),
            "rep_pre_sql_rate": _("the rep's SQL rate in the 90 days before the start")}.get(code, str(code))


def method_name(code: str) -> str:
    """A test's name from its code in the comparison table (``z``, ``welch-t``, ``fisher`` …)."""
    names = {"z": _("z-test"), "welch-t": _("Welch t-test"), "fisher": _("Fisher's exact test"),
             "barnard": _("Barnard's exact test"),
             "t (Bell-McCaffrey df)": _("small-sample t-test (Bell–McCaffrey df)"),
             "t (Bell-McCaffrey df, CUPED slope)": _("small-sample t-test (Bell–McCaffrey df, CUPED slope)")}
    return names.get(code, str(code))


def sentences(parts) -> str:
    """Sentences one after the other (separated by a space in English, nothing in Chinese)."""
    out = ""
    for p in parts:
        if p:
            out = _("{first} {second}", first=out, second=p) if out else p
    return out


def joined(items) -> str:
    """Items as a list in the current language (``A, B`` / ``A、B``)."""
    return _(", ").join(str(i) for i in items)


# --- numbers -------------------------------------------------------------------------------------

def _inf(v: float) -> str:
    return "+∞" if v > 0 else "-∞"


def sig_number(v: float, sig: int = 3, sign: bool = False) -> str:
    """A number for people, never in scientific notation: grouping from 1,000 on, about
    ``sig`` significant digits below (at most 6 decimals; ``<0.000001`` below that)."""
    if fmt.missing(v):
        return fmt.na()
    v = float(v)
    if math.isinf(v):
        return _inf(v)
    a = abs(v)
    if a >= 1000:
        digits = 0
    elif a == 0:
        return "0"
    else:
        digits = min(max(sig - 1 - math.floor(math.log10(a)), 0), 6)
    if round(a, digits) == 0:
        tiny = "<" + fmt.number(0.000001, 6)
        return ("-" if v < 0 else ("+" if sign else "")) + tiny
    text = fmt.number(v, digits)
    return "+" + text if sign and v > 0 else text


def value(v: float, percent: bool, metric_id: str | None = None) -> str:
    """A metric's value: a rate as a percentage, money in ¥, other values with 3 significant digits."""
    if fmt.missing(v):
        return fmt.na()
    if percent:
        return fmt.percent(v, 1)
    e = _entry(metric_id) if metric_id else None
    if e is not None and e.unit == "money":
        return fmt.money(v)
    return sig_number(v)


def _pp_digits(v: float, sig: int) -> int:
    pp = abs(v) * 100
    decimals = 1 if pp >= 0.1 or pp == 0 else min(max(sig - 2 - math.floor(math.log10(pp)), 1), 4)
    return decimals + max(sig - 3, 0)


def effect(v: float, percent: bool, with_unit: bool = True, sig: int = 3) -> str:
    """An absolute effect with its sign: percentage points for rates (``+1.2 pp``), else a number."""
    if fmt.missing(v):
        return fmt.na()
    if math.isinf(v):
        return _inf(v)
    if not percent:
        return sig_number(v, sig, sign=True)
    digits = _pp_digits(v, sig)
    if with_unit:
        return fmt.pp(v, digits)
    text = fmt.number(v * 100, digits)
    return "+" + text if round(v * 100, digits) > 0 else text


def rel(v: float, sig: int = 3) -> str:
    """A relative change with its sign (``+12.3%``)."""
    if fmt.missing(v):
        return fmt.na()
    if math.isinf(v):
        return _inf(v)
    return fmt.signed_percent(v, 1 + max(sig - 3, 0))


def interval(lo: float, hi: float, percent: bool | None = None, *, kind: str = "effect") -> str:
    """``lo to hi`` (``kind`` ``effect``: without the unit; ``rel``: relative) with enough digits
    that two different bounds never print the same."""
    if fmt.missing(lo) and fmt.missing(hi):
        return fmt.na()
    for sig in range(3, 9):
        if kind == "rel":
            a, b = rel(lo, sig), rel(hi, sig)
        else:
            a, b = effect(lo, bool(percent), False, sig), effect(hi, bool(percent), False, sig)
        if a != b or lo == hi or fmt.missing(lo):
            break
    return _("{low} to {high}", low=a, high=b)


def pvalue(p: float) -> str:
    """A p-value (``0.023``, ``<0.001``), never in scientific notation."""
    return fmt.pvalue(p)


def p_text(p: float) -> str:
    """``p = 0.023``, ``p < 0.001`` or ``p > 0.999``."""
    if fmt.missing(p):
        return _("p = {p}", p=fmt.na())
    if p < 0.001:
        return _("p < {p}", p=fmt.number(0.001, 3))
    if p > 0.999:
        return _("p > {p}", p=fmt.number(0.999, 3))
    return _("p = {p}", p=fmt.pvalue(p))


def level(alpha: float) -> str:
    """The confidence level of ``alpha`` (``95%``)."""
    return fmt.percent(1 - alpha, 0)


def alpha_text(alpha: float) -> str:
    """A significance level or threshold as given (``0.05``, ``0.001``)."""
    decimals = f"{float(alpha):.6f}".rstrip("0").split(".")[1]
    return fmt.number(alpha, len(decimals))


# --- notices -------------------------------------------------------------------------------------

class Notice:
    """A caveat of a result: a code and its facts (numbers, arm and metric ids, unit codes).

    >>> Notice("few_reps", n=4, needed=10).text()
    'only 4 reps in the smallest arm: per-rep intervals are wide and approximate; a rep-randomized test needs about 10+ reps per arm'
    """

    __slots__ = ("code", "fields")

    def __init__(self, code: str, **fields) -> None:
        self.code = code
        self.fields = dict(fields)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Notice) and (self.code, self.fields) == (other.code, other.fields)

    def __repr__(self) -> str:
        return f"Notice({self.code!r}, **{self.fields!r})"

    def text(self) -> str:
        """The notice in the current language."""
        return notice_text(self)


def missing_notices(arms, ms) -> list[Notice]:
    """A notice per metric with units left out for a missing value (``arms``: an ArmTable)."""
    out = []
    for m in ms:
        per = {a.arm: a.left_out.get(m.name, 0) for a in arms.arms}
        if sum(per.values()) > 0:
            out.append(Notice("metric_missing", n=sum(per.values()), metric=m.name, label=m.label, per_arm=per))
    return out


def zero_notices(eff) -> list[Notice]:
    """A notice per metric that is zero in every arm (from the comparison table's note codes)."""
    seen = [(m, lb) for m, lb, notes in zip(eff.metric, eff.label, eff.notes)
            if "zero_everywhere" in str(notes).split("; ")]
    return [Notice("zero_everywhere", metric=m, label=lb or None) for m, lb in dict.fromkeys(seen)]


def _per(d: dict) -> str:
    return joined(_("{name}: {n}", name=k, n=fmt.number(v)) for k, v in d.items())


def notice_text(n: Notice) -> str:
    f = n.fields
    count = int(f.get("n", 0))
    num = fmt.number(count)
    unit = f.get("unit", "unit")
    c = n.code
    if c == "contaminated":
        return ngettext("{n} {units} is assigned to more than one arm (contamination); it is excluded from the analysis",
                        "{n} {units} are assigned to more than one arm (contamination); they are excluded from the "
                        "analysis", count, n=num, units=units(unit, count))
    if c == "duplicate_rows":
        return ngettext("{n} duplicated assignment row (same {unit}, same arm) was counted once",
                        "{n} duplicated assignment rows (same {unit}, same arm) were counted once", count, n=num,
                        unit=units(unit, 1))
    if c == "unknown_units":
        return ngettext("{n} assigned {units} is not in the store; it counts as a unit with no activity",
                        "{n} assigned {units} are not in the store; they count as units with no activity", count,
                        n=num, units=units(unit, count))
    if c == "covariate_missing":
        return ngettext("{n} {units} has no pre-period covariate ({covariate}); CUPED uses 0 for it",
                        "{n} {units} have no pre-period covariate ({covariate}); CUPED uses 0 for them", count,
                        n=num, units=units(unit, count), covariate=covariate_name(f.get("covariate")))
    if c == "naive":
        return _("NAIVE analysis: each lead (lead metrics) and each call (call metrics) is treated as independent "
                 "although the test was randomized per {unit}; intervals are too narrow", unit=unit_name(unit))
    if c == "metric_missing":
        return ngettext("{n} unit with a missing (NULL/NaN) {metric} was left out of that metric ({per_arm})",
                        "{n} units with a missing (NULL/NaN) {metric} were left out of that metric ({per_arm})",
                        count, n=num, metric=metric_name(f["metric"], f.get("label")), per_arm=_per(f["per_arm"]))
    if c == "few_reps":
        return _("only {n} reps in the smallest arm: per-rep intervals are wide and approximate; a rep-randomized "
                 "test needs about {needed}+ reps per arm", n=num, needed=fmt.number(f["needed"]))
    if c == "null_values":
        return ngettext("{n} missing (NULL) value in {columns} was left out of the sums per {unit} ({per_column})",
                        "{n} missing (NULL) values in {columns} were left out of the sums per {unit} ({per_column})",
                        count, n=num, columns=joined(f["per_column"]), unit=f.get("unit"),
                        per_column=_per(f["per_column"]))
    if c == "contaminated_rows":
        return ngettext("{n} unit appears in more than one arm (contamination); it is excluded",
                        "{n} units appear in more than one arm (contamination); they are excluded", count, n=num)
    if c == "missing_arm":
        return _("units with a missing arm were left out")
    if c == "no_successes":
        return _("no successes in any arm: the data cannot tell the arms apart")
    if c == "zero_everywhere":
        return _("{metric}: zero in every arm (no successes): no evidence either way",
                 metric=metric_name(f["metric"], f.get("label")))
    return c


def note_text(code: str) -> str:
    """A note on one comparison (a code of :mod:`leadlab.experiments.effects`) in words."""
    return {"exact_test": _("small counts: exact p-value, Agresti-Caffo interval"),
            "cuped_small_counts": _("CUPED skipped: small counts call for an exact test"),
            "cuped_few_units": _("CUPED skipped: too few units to estimate the adjustment"),
            "zero_everywhere": _("zero in every arm: no evidence either way")}.get(code, code)


def assigned_text(counts: dict[str, int], output: str | None) -> str:
    """What ``leadlab ab assign`` reports on stderr."""
    total = sum(counts.values())
    per_arm = joined(_("{name}: {n}", name=a, n=fmt.number(n)) for a, n in counts.items())
    parts = [ngettext("assigned {n} unit ({per_arm})", "assigned {n} units ({per_arm})", total, n=fmt.number(total),
                      per_arm=per_arm)]
    if output:
        parts.append(_("wrote {path}", path=output))
    return _("; ").join(parts)
