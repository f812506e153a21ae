"""Training step 3, fitting: the scorer's parameters, the fit on the training rows (evaluated on
the holdout) and the refit of the chosen kind on every row (the model put to use).

>>> import numpy as np, pandas as pd
>>> from leadlab.scoring.prepare import prepare
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"src": rng.choice(["a", "b"], 600), "y": rng.random(600) < 0.3})
>>> prep = prepare(df, target="y", time_col=None, split="random", holdout_share=0.2, include=None,
...                exclude=(), maturity_days=30, seed=0)
>>> params = scorer_params(prep, model_kind="logistic", min_per_class=40, calibration="sigmoid", seed=0)
>>> fit_holdout(prep, params).kind_
'logistic'
"""

from __future__ import annotations

from leadlab.scoring.model import LeadScorer
from leadlab.scoring.prepare import Prepared


def scorer_params(prep: Prepared, *, model_kind: str, min_per_class: int, calibration: str, seed: int,
                  extra: dict | None = None) -> dict:
    """:class:`LeadScorer` parameters for the prepared data (the validation fold follows the split)."""
    plan = prep.plan
    params = dict(model_kind=model_kind, validation="random" if prep.split == "random" else "time",
                  time_col=prep.time_col, numeric=plan.numeric, categorical=plan.categorical, boolean=plan.boolean,
                  timestamp=plan.timestamp, min_per_class=min_per_class, calibration=calibration, random_state=seed)
    params.update(extra or {})
    return params


def fit_holdout(prep: Prepared, params: dict) -> LeadScorer:
    """The scorer fit on the training rows only (its holdout numbers are the evidence)."""
    cols = prep.columns
    return LeadScorer(**params).fit(prep.frame.iloc[prep.train][cols], prep.y[prep.train])


def refit_all(prep: Prepared, params: dict, kind: str) -> LeadScorer:
    """The chosen kind refit on every row: the model saved and used."""
    return LeadScorer(**{**params, "model_kind": kind}).fit(prep.frame[prep.columns], prep.y)


__all__ = ["fit_holdout", "refit_all", "scorer_params"]
