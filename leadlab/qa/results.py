"""Result objects of the QA analysis: facts in, tables, verdicts and figures in en or zh out.

>>> import pandas as pd
>>> from leadlab.i18n import use_lang
>>> from leadlab.periods import parse_period
>>> f = pd.DataFrame({"rep_id": ["R1"], "calls": [8], "score": [0.7], "se": [0.05], "low": [0.58], "high": [0.82],
...                   "kish": [0.2], "shrunk": [0.68], "shrunk_low": [0.6], "shrunk_high": [0.76]})
>>> with use_lang("zh"):
...     RepQualityResult(f, parse_period("2026-10")).display_frame().columns.tolist()[:3]
['销售代表', '抽检通话', '质检得分']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadlab.i18n import N_, _, fmt, get_lang, ngettext
from leadlab.kpi.results import KpiResult


def _names(items) -> str:
    """A list of names: ``A, B`` / ``A、B``."""
    return ("、" if get_lang() == "zh" else ", ").join(str(i) for i in items)


def _interval(lo: float, hi: float, percent: bool = True) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return fmt.na()
    f = fmt.percent if percent else (lambda v: fmt.number(v, 2))
    return _("{low} to {high}", low=f(lo), high=f(hi))


class RepQualityResult(KpiResult):
    """Per rep: reviewed calls, QA score (design-weighted) with interval, and the shrunk score."""

    def __init__(self, frame: pd.DataFrame, period, team=None, *, level: float = 0.95, form=None):
        super().__init__(N_("Call quality per rep"), frame, period, team)
        self.level, self.form = level, form

    def _item_name(self, item) -> str:
        if not isinstance(item, str):
            return "–"
        try:
            return self.form.item(item).name() if self.form is not None else item
        except Exception:
            return item

    def display_frame(self) -> pd.DataFrame:
        d = self.frame
        return pd.DataFrame({
            _("Rep"): d["rep_id"].astype(str).tolist(),
            _("Reviewed calls"): [fmt.number(v) for v in d["calls"]],
            _("QA score"): [fmt.percent(v) for v in d["score"]],
            _("{level} interval", level=fmt.percent(self.level, 0)): [_interval(a, b) for a, b in zip(d["low"], d["high"])],
            _("QA score, shrunk"): [fmt.percent(v) for v in d["shrunk"]],
            _("Shrunk interval"): [_interval(a, b) for a, b in zip(d["shrunk_low"], d["shrunk_high"])],
            _("Weakest item (vs team)"): [self._item_name(i) for i in d.get("weakest_item", [None] * len(d))],
        })

    def flagged(self) -> tuple[list[str], list[str]]:
        """Reps whose shrunk interval lies wholly below / above the team mean."""
        d = self.frame
        if d.empty or "team_mean" not in d:
            return [], []
        mu = d["team_mean"].iloc[0]
        return d.loc[d["shrunk_high"] < mu, "rep_id"].tolist(), d.loc[d["shrunk_low"] > mu, "rep_id"].tolist()

    def verdict(self) -> str:
        if self.frame.empty:
            return _("No reviewed calls in this period.")
        low, high = self.flagged()
        mu = fmt.percent(self.frame["team_mean"].iloc[0])
        if not low and not high:
            return _("No rep's call quality is clearly different from the team's {mean}: the differences are within "
                     "what the small samples allow.", mean=mu)
        parts = []
        if low:
            parts.append(ngettext("{reps} scores clearly below the team's {mean}: coach on the weakest item, using the reviewed calls.",
                                  "{reps} score clearly below the team's {mean}: coach each on the weakest item, using their reviewed calls.",
                                  len(low), reps=_names(low), mean=mu))
        if high:
            parts.append(ngettext("{reps} scores clearly above the team: use the calls as examples.",
                                  "{reps} score clearly above the team: use their calls as examples.",
                                  len(high), reps=_names(high)))
        return " ".join(parts)

    def notes(self) -> list[str]:
        return [_("QA score = mean of the form items, each put on 0–100% of its scale; each reviewed call is weighted by "
                  "1/(its inclusion probability), so the score describes all of the rep's reviewable calls, and corrected "
                  "for its reviewer's offset (see reviewer calibration). The shrunk "
                  "score pulls small samples towards the team mean (empirical Bayes); trust it over the raw score when a "
                  "rep has few reviewed calls.")]

    def _plot(self, ax):
        from leadlab import plots

        d = self.frame.sort_values("shrunk")
        f = pd.DataFrame({"label": d["rep_id"], "estimate": d["shrunk"], "lower": d["shrunk_low"], "upper": d["shrunk_high"]})
        mu = float(self.frame["team_mean"].iloc[0]) if len(self.frame) else None
        return plots.forest_plot(f, ref=mu, ax=ax, percent=True, title=_("QA score per rep (shrunk, with interval)"),
                                 xlabel=_("QA score"))


class AgreementResult(KpiResult):
    """Per form item: double-reviewed calls, Fleiss' κ and weighted Cohen's κ with intervals."""

    def __init__(self, frame: pd.DataFrame, period, team=None, *, form=None):
        super().__init__(N_("Reviewer agreement"), frame, period, team)
        self.form = form

    def _item_name(self, item: str) -> str:
        try:
            return self.form.item(item).name() if self.form is not None else item
        except Exception:
            return item

    def display_frame(self) -> pd.DataFrame:
        d = self.frame
        k = lambda v: fmt.number(v, 2)  # noqa: E731
        return pd.DataFrame({
            _("Form item"): [self._item_name(i) for i in d["item"]],
            _("Calls reviewed twice"): [fmt.number(v) for v in d["calls"]],
            _("Fleiss' κ"): [k(v) for v in d["fleiss"]],
            _("Fleiss' κ interval"): [_interval(a, b, False) for a, b in zip(d["fleiss_low"], d["fleiss_high"])],
            _("Cohen's κ (weighted)"): [k(v) for v in d["cohen"]],
            _("Cohen's κ interval"): [_interval(a, b, False) for a, b in zip(d["cohen_low"], d["cohen_high"])],
        })

    def verdict(self) -> str:
        d = self.frame.dropna(subset=["fleiss"])
        if d.empty:
            return _("No call was reviewed twice: agreement cannot be measured; review about one call in five twice.")
        weak = d[d["fleiss"] < 0.4]
        if weak.empty:
            return _("Reviewers agree at least moderately on every item (Fleiss' κ ≥ 0.4).")
        return _("Reviewers agree poorly on: {items}. Calibrate on these items (score the same calls together).",
                 items=_names(self._item_name(i) for i in weak["item"]))

    def notes(self) -> list[str]:
        return [_("κ = 1: reviewers always agree; 0: no better than chance. Fleiss' κ allows different reviewers on each "
                  "call (interval: bootstrap over calls); Cohen's κ compares the first two reviews with quadratic weights "
                  "(near misses count partly). Below 0.4 is usually read as poor agreement.")]


class CalibrationResult(KpiResult):
    """Per reviewer: reviews, calls shared with other reviewers, offset with interval."""

    def __init__(self, frame: pd.DataFrame, period, team=None):
        super().__init__(N_("Reviewer calibration"), frame, period, team)

    def display_frame(self) -> pd.DataFrame:
        d = self.frame
        return pd.DataFrame({
            _("Reviewer"): d["reviewer"].astype(str).tolist(),
            _("Reviews"): [fmt.number(v) for v in d["reviews"]],
            _("Calls shared with other reviewers"): [fmt.number(v) for v in d["shared_calls"]],
            _("Offset"): [fmt.pp(v) for v in d["offset"]],
            _("Offset interval"): [_("{low} to {high}", low=fmt.pp(a), high=fmt.pp(b))
                                   if np.isfinite(a) and np.isfinite(b) else fmt.na() for a, b in zip(d["low"], d["high"])],
        })

    def verdict(self) -> str:
        d = self.frame
        hi = d.loc[d["low"] > 0, "reviewer"].tolist()
        lo = d.loc[d["high"] < 0, "reviewer"].tolist()
        if not hi and not lo:
            return _("No reviewer scores systematically higher or lower than the others.")
        parts = []
        if hi:
            parts.append(_("Scores systematically high: {reviewers}.", reviewers=_names(hi)))
        if lo:
            parts.append(_("Scores systematically low: {reviewers}.", reviewers=_names(lo)))
        return " ".join(parts) + " " + _("Hold a calibration session before their scores feed bonuses.")

    def notes(self) -> list[str]:
        return [_("Offset = how many points of QA score a reviewer gives above (+) or below (−) the other reviewers on the "
                  "same calls (calls reviewed by two or more; offsets sum to zero; interval cluster-robust by call).")]

    def _plot(self, ax):
        from leadlab import plots

        d = self.frame
        f = pd.DataFrame({"label": d["reviewer"], "estimate": d["offset"], "lower": d["low"], "upper": d["high"]})
        return plots.forest_plot(f, ref=0.0, ax=ax, percent=True, title=_("Reviewer offset (interval)"),
                                 xlabel=_("Offset"))
