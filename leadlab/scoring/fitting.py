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

import numpy as np

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


def refit_all(prep: Prepared, params: dict, kind: str, holdout: LeadScorer | None = None) -> LeadScorer:
    """The chosen kind refit on every row: the model saved and used.

    Its calibration map needs a model fit on older rows and scored on newer ones. When those rows are
    the holdout split itself (the time split with the calibration share equal to the holdout share,
    or the same seeded stratified split) and ``holdout`` is the chosen kind refit on every training
    row, that model already exists: ``holdout`` scored on the test rows gives the map, and the model
    is fit once on every row instead of twice (once on the training rows, once on all)."""
    scorer = LeadScorer(**{**params, "model_kind": kind})
    X = prep.frame[prep.columns]
    if holdout is not None and _same_model_on_train(holdout, kind, prep):
        fit_rows, cal_rows = scorer.calibration_rows(X, prep.y)
        if np.array_equal(fit_rows, prep.train) and np.array_equal(cal_rows, prep.test):
            raw = holdout.raw_proba(X.iloc[prep.test])
            return scorer.fit(X, prep.y, calibration_from=(raw, prep.y[prep.test]))
    return scorer.fit(X, prep.y)


def _same_model_on_train(holdout: LeadScorer, kind: str, prep: Prepared) -> bool:
    """``holdout`` is the calibrated ``kind`` whose model was fit on every training row."""
    return (holdout.kind_ == kind and holdout.calibration_used_ != "none" and holdout.refit_full
            and holdout.n_fit_ + holdout.n_calibration_ == len(prep.train) and holdout.n_calibration_ > 0)


__all__ = ["fit_holdout", "refit_all", "scorer_params"]
