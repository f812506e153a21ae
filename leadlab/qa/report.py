"""What the ``qa_report`` notebook shows: section texts, the header, and the analysis (empty when no reviews).

>>> from leadlab.i18n import use_lang
>>> with use_lang("zh"):
...     section("agreement").splitlines()[0]
'## 评审一致性'
"""

from __future__ import annotations

from leadlab.errors import StoreError
from leadlab.i18n import N_, _, fmt
from leadlab.presentation import section_markdown, warning_box

SECTION_TEXTS = {
    "reps": (N_("Call quality per rep"),
             N_("Each rep's QA score on the reviewed calls, weighted back to all of the rep's reviewable calls, with its "
                "interval; the shrunk score is the fairer one when a rep has few reviews.")),
    "agreement": (N_("Reviewer agreement"),
                  N_("Do two reviewers scoring the same call give the same score? Measured per form item on the calls "
                     "reviewed twice.")),
    "calibration": (N_("Reviewer calibration"),
                    N_("Who scores systematically higher or lower than the other reviewers on the same calls.")),
}


def section(key: str) -> str:
    """A section's heading and explanation as Markdown, in the current language."""
    return section_markdown(SECTION_TEXTS, key)


def header_markdown(con, period: str, team: str = "") -> str:
    """The report's title and first line: the period (resolved against the store's latest
    activity, so ``last-month`` is the store's last month) and the scope, as escaped Markdown."""
    from leadlab import safehtml
    from leadlab.kpi.data import KpiData

    label = fmt.period_label(KpiData.coerce(con).period(period).label)
    title = _("Call-quality review — {period}", period=label)
    scope = safehtml.md(team) if team else _("all teams")
    return f"# {safehtml.md(title)}\n\n" + _("**Period:** {period} · **Scope:** {scope}", period=label, scope=scope)


def qa_page(con, period: str, team: str = "", form: str = ""):
    """The analysis for the notebook, or ``None`` when the store holds no reviews for the period."""
    from leadlab.qa.analyze import qa_analysis

    try:
        r = qa_analysis(con, period, team=team or None, form=form or None)
    except StoreError:
        return None
    return r if len(r.reps.frame) else None


def no_reviews_banner() -> str:
    """The HTML banner shown when there are no reviews for the period."""
    return warning_box(_("No call-quality reviews for this period."),
                       _("Draw calls with `leadlab qa sample`, review them, and load the scores with "
                         "`leadlab ingest qa_reviews FILE`."))


__all__ = ["SECTION_TEXTS", "header_markdown", "no_reviews_banner", "qa_page", "section"]
