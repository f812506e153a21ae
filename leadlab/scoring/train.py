"""Train and evaluate a lead scorer, one step per module:

1. :mod:`.prepare` — check parameters, load rows and target, time column, features, split, leakage guard;
2. :mod:`.choice` — which model kind (``auto`` compares candidates on a validation fold);
3. :mod:`.fitting` — fit on the training rows; refit the chosen kind on every row;
4. :mod:`.holdout` — metrics with intervals, baseline, curves, drift on the test rows;
5. :mod:`.quality` — the fitness gate;
6. :mod:`.result` — the :class:`TrainingResult` and the monitoring reference.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> n = 3000
>>> df = pd.DataFrame({"source": rng.choice(["web", "event", "list"], n), "views": rng.poisson(3, n),
...                    "created_at": pd.date_range("2026-01-01", periods=n, freq="h")})
>>> df["y"] = (rng.random(n) < np.where(df.source == "event", 0.4, 0.1)).astype(int)
>>> res = train_scorer(df, target="y", time_col="created_at", n_boot=20)
>>> res.n_test, res.split, res.model_choice["requested"], sorted(res.model_choice["candidates"])
(600, 'time', 'auto', ['hgb', 'logistic'])
>>> res.quality.usable
True
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from leadlab.scoring import choice, fitting
from leadlab.scoring.grades import bands_from_scores, check_bands, quartile_cuts
from leadlab.scoring.holdout import drift_columns, evaluate_holdout
from leadlab.scoring.prepare import SPLITS, check_parameters, prepare
from leadlab.scoring.quality import assess
from leadlab.scoring.result import TrainingResult, reference_profiles, window
from leadlab.scoring.text import choice as choice_sentence


def train_scorer(
    data=None,
    *,
    target: str = "sql",
    time_col: str | None = "created_at",
    split: str = "time",
    holdout_share: float = 0.2,
    model_kind: str = "auto",
    include: list[str] | None = None,
    exclude: list[str] | tuple[str, ...] = (),
    leakage_auc: float = 0.80,
    maturity_days: int = 30,
    min_per_class: int = 40,
    calibration: str = "sigmoid",
    bands: dict[str, float] | None = None,
    refit: bool = True,
    n_boot: int = 200,
    seed: int = 0,
    con=None,
    scorer_params: dict | None = None,
) -> TrainingResult:
    """Train a scorer and evaluate it on a holdout.

    ``data``: ``"store"``/None (the store's leads; ``target`` sql/mql/opportunity/won), a CSV
    path (``,`` or ``;``) or a DataFrame with a binary ``target`` column. ``split="time"``
    tests on the most recent ``holdout_share`` of rows by ``time_col`` — or by row order when
    ``time_col`` is None or absent (files ordered by date, like the bank data);
    ``split="random"`` uses a stratified random holdout. Features flagged by the leakage
    guard (``leakage_auc``) are excluded and listed. ``model_kind="auto"`` compares logistic
    regression and gradient boosting on a validation fold inside the training rows (time-ordered,
    or stratified random with ``split="random"``) and keeps the winner (:class:`LeadScorer`). With
    ``refit`` the returned ``scorer`` (of the chosen kind) is refit on every row after evaluation.
    ``quality`` says whether the model beats a random order and its baseline (:mod:`.quality`).
    """
    check_parameters(split, holdout_share, leakage_auc)
    prep = prepare(data, target=target, time_col=time_col, split=split, holdout_share=holdout_share,
                   include=include, exclude=exclude, maturity_days=maturity_days, seed=seed,
                   leakage_auc=leakage_auc, con=con)
    params = fitting.scorer_params(prep, model_kind=model_kind, min_per_class=min_per_class,
                                   calibration=calibration, seed=seed, extra=scorer_params)
    holdout = fitting.fit_holdout(prep, params)
    picked = choice.record(holdout, params["model_kind"])
    # The model put to use and its monitoring reference need no holdout evidence: with a logistic
    # model (one core) they are built beside the evaluation; boosting uses every core itself (OpenMP).
    def put_to_use():
        final = fitting.refit_all(prep, params, picked["chosen"], holdout) if refit else holdout
        return (final, *reference_profiles(final, prep.frame, prep.y, prep.columns, drift_columns(holdout)))

    with ThreadPoolExecutor(max_workers=1) as pool:
        beside = pool.submit(put_to_use) if picked["chosen"] == "logistic" else None
        ev = evaluate_holdout(prep, holdout, n_boot=n_boot, seed=seed)
        final, reference, scores = beside.result() if beside else put_to_use()
    quality = assess(ev.metrics, ev.baseline, ev.baseline_name, ev.ci)
    times = prep.frame[prep.time_col] if prep.time_col else None
    f_te = prep.frame.iloc[prep.test]
    return TrainingResult(
        scorer=final, holdout_scorer=holdout, plan=prep.plan, target=prep.target, model_kind=picked["chosen"],
        split=split, holdout_share=holdout_share, time_col=prep.time_col, n_train=len(prep.train),
        n_test=len(prep.test), metrics=ev.metrics, ci=ev.ci, baseline_name=ev.baseline_name, baseline=ev.baseline,
        deciles=ev.deciles, calibration=ev.calibration, gains=ev.gains, drift=ev.drift,
        y_test=prep.y[prep.test], p_test=ev.p_test, test_index=prep.test,
        train_window=window(times.iloc[prep.train]) if times is not None else None,
        test_window=window(times.iloc[prep.test]) if times is not None else None,
        reference=reference, bands=check_bands(bands) if bands else bands_from_scores(scores),
        priority_cuts=quartile_cuts(scores), unseen_in_test=ev.unseen, split_notes=prep.notes,
        test_frame=f_te[prep.columns + (["lead_id"] if "lead_id" in f_te.columns else [])],
        model_choice=picked, quality=quality,
    )


__all__ = ["SPLITS", "TrainingResult", "choice_sentence", "train_scorer"]
