"""Is a scorer fit for use? The gate between training and the call floor.

A scorer whose holdout ROC AUC is at most 0.5 or whose best-scored tenth of leads converts no
better than average (top-decile lift ≤ 1) orders leads no better than chance, and so does, as
far as the holdout can tell, one whose 95 % bootstrap interval of the ROC AUC reaches down to 0.5
(a scorer trained on noise lands there: its point AUC is 0.5 ± chance); one that does not
beat its simple baseline (when that baseline itself beats random) adds nothing. Such a model is
flagged when it is trained and refused by ``score apply`` and ``score call-list`` unless the user
overrides explicitly. A baseline whose AUC is below 0.5 ranks worse than random on the test rows
(its training-period pattern reversed): it is reported as such and is no bar to beat.

The checks read only the stored holdout metrics, so they apply to any saved model card.

>>> q = assess({"roc_auc": 0.49, "lift_top_decile": 0.9}, {"roc_auc": 0.31}, "source")
>>> q.usable, q.baseline_status, [p["code"] for p in q.problems]
(False, 'worse than random', ['auc', 'lift'])
>>> q.sentence()
'NOT fit for use: holdout ROC AUC 0.490 is not above 0.5 (a random order of leads); the best-scored 10% of test leads convert at 0.90× the average rate (not above 1: no better than calling at random)'
>>> assess({"roc_auc": 0.8, "lift_top_decile": 4.2}, {"roc_auc": 0.7}, "source").usable
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from leadlab.errors import ModelError
from leadlab.scoring import text

#: The ROC AUC and top-decile lift of a random order of leads.
RANDOM_AUC = 0.5
RANDOM_LIFT = 1.0

@dataclass
class Quality:
    """Whether a scorer is fit for use: the problems found (facts with a ``code``), what its
    baseline is (``baseline_status``: ``bar``, ``worse than random`` or ``random``) and the
    baseline's column and ROC AUC. Sentences come from :mod:`leadlab.scoring.text`."""

    usable: bool
    problems: list[dict] = field(default_factory=list)
    baseline_status: str = "bar"
    baseline_name: str = ""
    baseline_auc: float = float("nan")

    @property
    def baseline_note(self) -> str:
        """What the baseline is, in the current language."""
        return text.baseline_note(self.baseline_status, self.baseline_name, self.baseline_auc)

    def problem_texts(self) -> list[str]:
        return [text.problem(p) for p in self.problems]

    def sentence(self) -> str:
        """``fit for use: …`` / ``NOT fit for use: …`` in the current language."""
        return text.fitness(self.usable, self.baseline_status, self.problems)

    def to_dict(self) -> dict:
        return asdict(self)


def assess(metrics: dict, baseline: dict, baseline_name: str, ci: dict | None = None) -> Quality:
    """The fitness of a scorer from its holdout ``metrics``, their 95 % intervals ``ci`` (optional;
    ``{"roc_auc": (low, high)}``) and its ``baseline``'s metrics (``baseline_name``: the column the
    baseline uses)."""
    auc, lift = float(metrics["roc_auc"]), float(metrics["lift_top_decile"])
    base = float(baseline.get("roc_auc", float("nan")))
    problems: list[dict] = []
    if not auc > RANDOM_AUC:
        problems.append({"code": "auc", "auc": auc, "bar": RANDOM_AUC})
    elif ci and ci.get("roc_auc") is not None and not float(ci["roc_auc"][0]) > RANDOM_AUC:
        low, high = map(float, ci["roc_auc"])
        problems.append({"code": "auc_ci", "low": low, "high": high, "bar": RANDOM_AUC})
    if not lift > RANDOM_LIFT:
        problems.append({"code": "lift", "lift": lift})
    if base > RANDOM_AUC:
        status = "bar"
        if not auc > base:
            problems.append({"code": "baseline", "auc": auc, "name": baseline_name, "base": base})
    elif base < RANDOM_AUC:
        status = "worse than random"
    else:
        status = "random"
    return Quality(usable=not problems, problems=problems, baseline_status=status, baseline_name=baseline_name,
                   baseline_auc=base)


def of_meta(meta: dict) -> Quality:
    """The fitness of a saved model, recomputed from its card's holdout metrics and baseline."""
    base = dict(meta.get("baseline", {}))
    return assess(meta["metrics"], base, str(base.get("name", "baseline")), meta.get("ci95"))


def check_usable(meta: dict, *, allow_weak: bool = False, action: str = "use") -> Quality:
    """Raise :class:`ModelError` (one line) when the model of ``meta`` is not fit for use and
    ``allow_weak`` is false; return its :class:`Quality` otherwise. ``action``: ``apply``,
    ``call_list`` or ``use`` (what the message says the override allows)."""
    q = of_meta(meta)
    if not q.usable and not allow_weak:
        raise ModelError(text.refusal(meta.get("model_version", "?"), q.problems, action))
    return q


__all__ = ["Quality", "RANDOM_AUC", "RANDOM_LIFT", "assess", "check_usable", "of_meta"]
