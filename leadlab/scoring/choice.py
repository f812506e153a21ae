"""Training step 2, candidate selection: which model kind a training run uses and the evidence.

With ``model_kind="auto"`` the :class:`~leadlab.scoring.model.LeadScorer` fits every candidate
(logistic regression, gradient boosting) on the older training rows and compares them on a
validation fold (:func:`leadlab.scoring.model.choose_kind`); this module records that choice as
facts for the result and the model card. The sentence is :func:`leadlab.scoring.text.choice`.

>>> class Fitted:  # what a fitted LeadScorer exposes
...     kind_, candidates_ = "logistic", {"logistic": {"roc_auc": 0.71}, "hgb": {"roc_auc": 0.72}}
...     validation_ = {"how": "random", "share": 0.2, "n_fit": 800, "n_validation": 200, "se_difference": 0.02}
>>> c = record(Fitted(), "auto")
>>> c["chosen"], sorted(c["candidates"])
('logistic', ['hgb', 'logistic'])
>>> from leadlab.scoring.text import choice
>>> choice(c)[:60]
'logistic regression, chosen automatically: validation ROC AU'
"""

from __future__ import annotations


def record(scorer, requested: str) -> dict:
    """The choice of a fitted scorer: requested kind, chosen kind, candidates' validation ROC AUC
    and how the validation fold was drawn."""
    return {"requested": requested, "chosen": scorer.kind_, "candidates": scorer.candidates_,
            "validation": scorer.validation_}


__all__ = ["record"]
