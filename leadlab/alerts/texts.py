"""The words of an alert, built from its facts in the message language (gettext en/zh).

Names that come from data (teams, reps, experiments, metrics, model versions) are hostile:
:func:`chat_safe` puts them on one line and replaces every character a chat app or e-mail
client could read as Markdown, HTML, a link or an @-mention by its full-width look-alike,
so a team called ``[click](http://x) <at user_id="all">`` shows as text and pings no one.

>>> print(chat_safe("East *VIP* [x](http://e.vil)" + chr(10) + "@all"))
East ＊VIP＊ ［x］（http：//e.vil） ＠all
>>> from leadlab.i18n import use_lang
>>> e = {"kind": "srm", "facts": {"experiment": "EXP-1", "name": "", "p_value": 0.0001, "look": 2}}
>>> with use_lang("zh"):
...     print(title(e["kind"], e["facts"]))
实验 EXP-1：分流比例异常（SRM）
"""

from __future__ import annotations

import unicodedata

from leadlab.i18n import _, fmt

#: characters that mean something to Markdown, HTML or chat apps -> full-width look-alikes
_FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in "\\`*_[](){}<>#+!|~@:&\"'$="}
MAX_NAME = 80


def chat_safe(value: object, limit: int = MAX_NAME) -> str:
    """A data value as inert one-line text for Markdown/chat/e-mail (see the module doc)."""
    out = []
    for ch in str(value):
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(" ")
        else:
            out.append(_FULLWIDTH.get(ch, ch))
    text = " ".join("".join(out).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _who(f: dict) -> str:
    if f["scope"] == "company":
        return _("Company")
    if f["scope"] == "team":
        return _("team {team}", team=chat_safe(f["name"]))
    return _("rep {rep}", rep=chat_safe(f["name"]))


def _experiment(f: dict) -> str:
    name = f.get("name") or ""
    if name:
        return _("experiment {id} ({name})", id=chat_safe(f["experiment"]), name=chat_safe(name))
    return _("experiment {id}", id=chat_safe(f["experiment"]))


def title(kind: str, f: dict) -> str:
    """The one-line title of an alert (a chat message's first line, an e-mail's subject)."""
    from leadlab.kpi import labels

    if kind == "target":
        return _("{who}: {kpi} target for {period} {status}", who=_who(f), kpi=labels.kpi_name(f["kpi"]),
                 period=labels.period_text(f["period"]), status=labels.status_text(f["status"]))
    if kind == "kpi_signal":
        return _("{kpi} outside its control limits", kpi=labels.kpi_name(f["kpi"])) \
            if f["signal"] == "outside normal variation" else \
            _("{kpi} changed significantly", kpi=labels.kpi_name(f["kpi"]))
    if kind == "srm":
        return _("Experiment {id}: sample ratio mismatch (SRM)", id=chat_safe(f["experiment"]))
    if kind == "guardrail":
        return _("Experiment {id}: guardrail failed", id=chat_safe(f["experiment"]))
    if kind == "scorer_drift":
        return _("Lead scorer {version}: retrain recommended", version=chat_safe(f["version"])) \
            if f["action"] == "retrain" else _("Lead scorer {version}: drift to watch", version=chat_safe(f["version"]))
    raise ValueError(f"unknown alert kind {kind!r}")


def body(kind: str, f: dict) -> str:
    """What happened and what it means, one or two plain sentences."""
    from leadlab.kpi import labels

    if kind == "target":
        kw = dict(who=_who(f), kpi=labels.kpi_name(f["kpi"]), period=labels.period_text(f["period"]),
                  actual=labels.kpi_value(f["kpi"], f["actual"]), target=labels.kpi_value(f["kpi"], f["target"]),
                  attainment=fmt.percent(f["attainment"], 0))
        if f["final"]:
            return _("{who}: {kpi} for {period} ended at {actual} against a target of {target} ({attainment}).", **kw)
        return _("{who}: {kpi} for {period} is at {actual} with {elapsed} of the period gone; projected {projection} "
                 "against a target of {target} ({attainment}).", elapsed=fmt.percent(f["elapsed"], 0),
                 projection=labels.kpi_value(f["kpi"], f["projection"]), **kw)
    if kind == "kpi_signal":
        scope = _("team {team}", team=chat_safe(f["team"])) if f.get("team") else _("whole company")
        kw = dict(kpi=labels.kpi_name(f["kpi"]), scope=scope, period=labels.period_text(f["period"]),
                  value=labels.kpi_value(f["kpi"], f["value"]), comparison=labels.kpi_value(f["kpi"], f["comparison"]))
        if f["signal"] == "outside normal variation":
            return _("{kpi} ({scope}) was {value} in {period}, outside the normal range {lower} – {upper} set by the "
                     "preceding periods (previous period: {comparison}).", lower=labels.kpi_value(f["kpi"], f["lower"]),
                     upper=labels.kpi_value(f["kpi"], f["upper"]), **kw)
        return _("{kpi} ({scope}) was {value} in {period} against {comparison} in the comparison period; the change "
                 "is statistically significant ({p}).", p=_p(f["p_value"]), **kw)
    if kind == "srm":
        return _("{experiment}, look {look}: the arms' sizes differ from the planned split ({p}; split {split}). "
                 "Results are not trustworthy until the assignment is fixed.", experiment=_experiment(f),
                 look=fmt.number(f["look"]), p=_p(f["p_value"]), split=chat_safe(f.get("split", ""), 200))
    if kind == "guardrail":
        return _("{experiment}, look {look}: arm {arm} made guardrail {metric} significantly worse. Hold it and look "
                 "into it before shipping.", experiment=_experiment(f), look=fmt.number(f["look"]),
                 arm=chat_safe(f["arm"]), metric=chat_safe(f["metric"]))
    if kind == "scorer_drift":
        return _("Lead scorer {version}, leads created in {period}: largest drift in {feature} (PSI {psi}; 0.25 "
                 "is a major shift).", version=chat_safe(f["version"]), period=labels.period_text(f["period"]),
                 feature=_("score") if f["feature"] == "score" else chat_safe(f["feature"]),
                 psi=fmt.number(f["psi"], 2))
    raise ValueError(f"unknown alert kind {kind!r}")


def _p(p: float) -> str:
    from leadlab.experiments.texts import p_text

    return p_text(p)


def footer() -> str:
    """The last line of every message: where it comes from."""
    return _("Sent by leadlab alerts; each alert is sent once.")
