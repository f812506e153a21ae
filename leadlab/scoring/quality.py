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

>>> q = assess({"roc_auc": 0.49, "lift_top_decile": 0.9}, {"roc_auc": 0.31}, "source-only")
>>> q.usable, q.baseline_status
(False, 'worse than random')
>>> assess({"roc_auc": 0.8, "lift_top_decile": 4.2}, {"roc_auc": 0.7}, "source-only").usable
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from leadlab.errors import ModelError

#: The ROC AUC and top-decile lift of a random order of leads.
RANDOM_AUC = 0.5
RANDOM_LIFT = 1.0

#: Every sentence this module writes, filled from facts.
TEXT = {
    "auc": "holdout ROC AUC {auc:.3f} is not above {bar:.1f} (a random order of leads)",
    "auc_ci": "the 95% interval of its holdout ROC AUC ({low:.3f}–{high:.3f}) includes {bar:.1f}: not shown to "
              "beat a random order",
    "lift": "the best-scored 10% of test leads convert at {lift:.2f}× the average rate (not above 1: no better "
            "than calling at random)",
    "baseline": "holdout ROC AUC {auc:.3f} does not beat the {name} baseline ({base:.3f})",
    "base_bar": "the {name} baseline (ROC AUC {base:.3f}) is the bar to beat",
    "base_worse": "the {name} baseline ranks worse than random on the test rows (ROC AUC {base:.3f} < 0.5: the "
                  "pattern it learnt reversed between training and test), so it is no bar to beat; the model is "
                  "compared with a random order instead",
    "base_random": "the {name} baseline ranks no better than random (ROC AUC {base:.3f})",
    "ok": "fit for use: it beats a random order of leads{and_base}",
    "weak": "NOT fit for use: {problems}",
    "refuse": "model {version} is not fit for use: {problems}; retrain it (`leadlab score train`, more data or "
              "other features) or pass --allow-weak-model to {action} anyway",
}


@dataclass
class Quality:
    """Whether a scorer is fit for use, the problems found and what its baseline is."""

    usable: bool
    problems: list[str] = field(default_factory=list)
    baseline_status: str = "bar"  # "bar", "worse than random" or "random"
    baseline_note: str = ""

    def sentence(self) -> str:
        if self.usable:
            return TEXT["ok"].format(and_base=" and its baseline" if self.baseline_status == "bar" else "")
        return TEXT["weak"].format(problems="; ".join(self.problems))

    def to_dict(self) -> dict:
        return asdict(self)


def assess(metrics: dict, baseline: dict, baseline_name: str, ci: dict | None = None) -> Quality:
    """The fitness of a scorer from its holdout ``metrics``, their 95 % intervals ``ci`` (optional;
    ``{"roc_auc": (low, high)}``) and its ``baseline``'s metrics."""
    auc, lift = float(metrics["roc_auc"]), float(metrics["lift_top_decile"])
    base = float(baseline.get("roc_auc", float("nan")))
    problems = []
    if not auc > RANDOM_AUC:
        problems.append(TEXT["auc"].format(auc=auc, bar=RANDOM_AUC))
    elif ci and ci.get("roc_auc") is not None and not float(ci["roc_auc"][0]) > RANDOM_AUC:
        low, high = map(float, ci["roc_auc"])
        problems.append(TEXT["auc_ci"].format(low=low, high=high, bar=RANDOM_AUC))
    if not lift > RANDOM_LIFT:
        problems.append(TEXT["lift"].format(lift=lift))
    if base > RANDOM_AUC:
        status, note = "bar", TEXT["base_bar"].format(name=baseline_name, base=base)
        if not auc > base:
            problems.append(TEXT["baseline"].format(auc=auc, name=baseline_name, base=base))
    elif base < RANDOM_AUC:
        status, note = "worse than random", TEXT["base_worse"].format(name=baseline_name, base=base)
    else:
        status, note = "random", TEXT["base_random"].format(name=baseline_name, base=base)
    return Quality(usable=not problems, problems=problems, baseline_status=status, baseline_note=note)


def of_meta(meta: dict) -> Quality:
    """The fitness of a saved model, recomputed from its card's holdout metrics and baseline."""
    base = dict(meta.get("baseline", {}))
    return assess(meta["metrics"], base, str(base.get("name", "baseline")), meta.get("ci95"))


def check_usable(meta: dict, *, allow_weak: bool = False, action: str = "use it") -> Quality:
    """Raise :class:`ModelError` (one line) when the model of ``meta`` is not fit for use and
    ``allow_weak`` is false; return its :class:`Quality` otherwise."""
    q = of_meta(meta)
    if not q.usable and not allow_weak:
        raise ModelError(TEXT["refuse"].format(version=meta.get("model_version", "?"),
                                               problems="; ".join(q.problems), action=action))
    return q


__all__ = ["Quality", "RANDOM_AUC", "RANDOM_LIFT", "assess", "check_usable", "of_meta"]
