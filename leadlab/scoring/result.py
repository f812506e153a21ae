"""Training step 6, result assembly: the trained scorer with its holdout evidence as a
:class:`~leadlab.presentation.Result` (facts; words in the current language at render time),
and the reference profiles that monitoring compares new leads with.

The rendering is shared with saved models: :meth:`TrainingResult.card_facts` returns the same
facts a model card holds, and :mod:`leadlab.scoring.card` renders both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from leadlab.i18n import _, fmt
from leadlab.presentation import Result
from leadlab.scoring import card, text
from leadlab.scoring.data import TargetInfo
from leadlab.scoring.features import FeaturePlan
from leadlab.scoring.model import LeadScorer
from leadlab.scoring.monitor import profile_column, profile_frame
from leadlab.scoring.quality import Quality


@dataclass
class TrainingResult(Result):
    """A trained scorer with its holdout evidence. ``scorer`` is the model to use (refit on all
    rows when ``refit``); the metrics come from ``holdout_scorer`` on the test rows."""

    scorer: LeadScorer
    holdout_scorer: LeadScorer
    plan: FeaturePlan
    target: TargetInfo
    model_kind: str
    split: str
    holdout_share: float
    time_col: str | None
    n_train: int
    n_test: int
    metrics: dict[str, float]
    ci: dict[str, tuple[float, float]]
    baseline_name: str
    baseline: dict[str, float]
    deciles: pd.DataFrame
    calibration: pd.DataFrame
    gains: pd.DataFrame
    drift: pd.DataFrame
    y_test: np.ndarray
    p_test: np.ndarray
    test_index: np.ndarray
    train_window: tuple[str, str] | None
    test_window: tuple[str, str] | None
    reference: dict = field(default_factory=dict)
    bands: dict[str, float] = field(default_factory=dict)
    priority_cuts: list[float] = field(default_factory=list)
    unseen_in_test: dict[str, int] = field(default_factory=dict)
    split_notes: list[dict] = field(default_factory=list)
    test_frame: pd.DataFrame | None = None
    model_choice: dict = field(default_factory=dict)
    quality: Quality | None = None

    # -- facts ---------------------------------------------------------------
    @property
    def all_notes(self) -> list[dict]:
        """Notes on the data and the split (facts with a ``code``)."""
        return self.target.notes + self.split_notes

    def card_facts(self) -> dict:
        """The facts a model card holds about this run (rendered by :mod:`leadlab.scoring.card`)."""
        return {
            "model_kind": self.model_kind, "data": self.target.source, "target": self.target.name,
            "split": self.split, "holdout_share": self.holdout_share, "n_train": self.n_train, "n_test": self.n_test,
            "train_window": self.train_window, "test_window": self.test_window,
            "features": self.plan.to_dict(), "excluded": self.plan.excluded, "excluded_leakage": self.plan.leakage,
            "metrics": self.metrics, "ci95": {k: list(v) for k, v in self.ci.items()},
            "baseline": {"name": self.baseline_name, **self.baseline},
            "drift_train_test": {r.feature: r.psi for r in self.drift.itertuples()},
            "notes": self.all_notes, "model_choice": self.model_choice,
            "deciles": self.deciles.to_dict(orient="records"),
            "calibration_curve": self.calibration.to_dict(orient="records"),
            "gains": self.gains.to_dict(orient="list"),
        }

    def to_dict(self) -> dict:
        """The JSON object of ``leadlab score evaluate --json`` (facts and codes only)."""
        out = {k: round(v, 6) for k, v in self.metrics.items()}
        out.update({
            "n_train": self.n_train, "n_test": self.n_test, "model_kind": self.model_kind,
            "split": self.split, "holdout_share": self.holdout_share, "time_col": self.time_col,
            "excluded_leakage": sorted(self.plan.leakage),
            "leakage_reasons": self.plan.leakage,
            "excluded": self.plan.excluded,
            "features": self.plan.features,
            "ci95": {k: [round(a, 6), round(b, 6)] for k, (a, b) in self.ci.items()},
            "baseline": {"name": self.baseline_name, **{k: round(v, 6) for k, v in self.baseline.items()}},
            "drift_psi": {r.feature: round(r.psi, 4) for r in self.drift.itertuples()},
            "missing_target_excluded": self.target.n_missing_target,
            "immature_excluded": self.target.n_immature,
            "unseen_categories_in_test": self.unseen_in_test,
            "train_window": self.train_window, "test_window": self.test_window,
            "notes": self.all_notes,
            "model_choice": self.model_choice,
            "quality": self.quality.to_dict() if self.quality else None,
        })
        return out

    def to_pandas(self) -> pd.DataFrame:
        """Headline metrics of the model and the baseline with 95 % intervals (numbers)."""
        return card.metrics_facts(self.card_facts())

    # -- words (current language) -----------------------------------------------
    def title(self) -> str:
        return _("Lead scorer ({kind}), {split}, holdout {share}", kind=text.kind_label(self.model_kind),
                 split=text.split_label(self.split), share=fmt.percent(self.holdout_share, 0))

    def display_frame(self) -> pd.DataFrame:
        return card.metrics_table(self.card_facts())

    def choice_sentence(self) -> str:
        """How the model kind was chosen, in one sentence."""
        return text.choice(self.model_choice)

    def verdict(self) -> str:
        return card.verdict(self.card_facts())

    def notes(self) -> list[str]:
        facts = self.card_facts()
        out = card.data_lines(facts) + [text.note(n) for n in self.all_notes]
        if self.model_choice:
            out.append(_("Model choice: {sentence}", sentence=self.choice_sentence()))
        if self.quality is not None:
            if self.quality.usable:
                out.append(_("Fitness: {sentence}", sentence=self.quality.sentence()))
            else:
                out.append(_("WARNING: {sentence}", sentence=self.quality.sentence()))
            out.append(_("Baseline: {note}", note=self.quality.baseline_note))
        out.append(_("Features ({n}): {columns}", n=fmt.number(len(self.plan.features)),
                     columns=text.listing(self.plan.features)))
        out += [_("LEAKAGE excluded {column}: {reason}", column=c, reason=text.reason(r))
                for c, r in self.plan.leakage.items()]
        other = {c: r for c, r in self.plan.excluded.items() if c not in self.plan.leakage}
        if other:
            out.append(_("Also excluded: {columns}", columns=_("; ").join(
                _("{column} — {reason}", column=c, reason=text.reason(r)) for c, r in other.items())))
        out.append(_("Drift train → test (PSI): {items}", items=text.listing(
            f"{_('score') if r.feature == 'score' else r.feature} {text.psi(r.psi)}{'!' if r.level == 'major' else ''}"
            for r in self.drift.head(8).itertuples())))
        return out

    def features_table(self) -> pd.DataFrame:
        """Every input column: used (with its type) or excluded (with the reason), leakage first."""
        return card.features_table(self.card_facts())

    def importance(self) -> pd.DataFrame:
        """Mean absolute contribution (log-odds) of each model input over the test leads."""
        from leadlab.scoring.explain import contributions

        sample = self.test_frame.iloc[:2000]
        c = contributions(self.holdout_scorer, sample).abs().mean().sort_values(ascending=False)
        return c.rename("mean_abs_logodds").rename_axis("feature").reset_index()

    def example_reasons(self, n: int = 5, top: int = 3) -> pd.DataFrame:
        """The ``n`` best-scored test leads with their score and top reasons up and down."""
        from leadlab.scoring.explain import reasons

        order = np.argsort(-self.p_test, kind="stable")[:n]
        rows = self.test_frame.iloc[order]
        r = reasons(self.holdout_scorer, rows, top=top)
        r.insert(0, "score", np.round(100 * self.p_test[order], 1))
        r.insert(1, "converted", self.y_test[order])
        if "lead_id" in rows:
            r.insert(0, "lead_id", rows["lead_id"].to_numpy())
        return r.reset_index(drop=True)

    def plot_drift(self, ax=None, top: int = 15):
        """PSI between training and test rows per model input and for the score."""
        return card.plot_drift(self.card_facts(), ax, top)

    def plot(self, axes=None):
        """Calibration curve, cumulative gains and decile lift side by side."""
        return card.plot_holdout(self.card_facts(), axes)


def reference_profiles(scorer: LeadScorer, frame: pd.DataFrame, y: np.ndarray, columns: list[str],
                       drift_columns: tuple[list[str], list[str]]) -> tuple[dict, np.ndarray]:
    """What monitoring compares new leads with (input and score profiles, base rate, categories),
    and the scores 0–100 of every row."""
    scores = 100 * scorer.predict_proba(frame[columns])[:, 1]
    cat_out, num_out = drift_columns
    return {
        "features": profile_frame(scorer.features_.transform(frame[columns]), cat_out, num_out),
        "score": profile_column(scores),
        "base_rate": float(np.mean(y)),
        "categories": scorer.features_.categories_,
    }, scores


def window(times: pd.Series | None) -> tuple[str, str] | None:
    """First and last day of ``times`` (ISO dates), or None."""
    if times is None or len(times) == 0:
        return None
    return (f"{times.min():%Y-%m-%d}", f"{times.max():%Y-%m-%d}")


__all__ = ["TrainingResult", "reference_profiles", "window"]
