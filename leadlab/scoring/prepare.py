"""Training step 1, data preparation: check the parameters, load the rows and the target, settle
the time column, plan the features and split the rows into training and test (time-ordered or
stratified random). Notes are facts with a ``code`` (words: :func:`leadlab.scoring.text.note`).

>>> import numpy as np, pandas as pd
>>> df = pd.DataFrame({"x": np.arange(100) % 7, "y": np.arange(100) % 3 == 0})
>>> prep = prepare(df, target="y", time_col="created_at", split="time", holdout_share=0.2,
...                include=None, exclude=(), maturity_days=30, seed=0)
>>> len(prep.train), len(prep.test), prep.time_col, [n["code"] for n in prep.notes]
(80, 20, None, ['no_time_col', 'row_order'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from leadlab.errors import ConfigError, DataError
from leadlab.i18n import _
from leadlab.scoring import text
from leadlab.scoring.data import TargetInfo, load_store_leads, prepare_target, read_csv
from leadlab.scoring.features import FeaturePlan, leakage_guard, plan_features

SPLITS = ("time", "random")


@dataclass
class Prepared:
    """The rows, the target and the split a scorer is trained and tested on."""

    frame: pd.DataFrame
    y: np.ndarray
    target: TargetInfo
    plan: FeaturePlan
    time_col: str | None
    split: str
    holdout_share: float
    train: np.ndarray
    test: np.ndarray
    outcome_time: pd.Series | None = None
    notes: list[dict] = field(default_factory=list)

    @property
    def source(self) -> str:
        return text.source(self.frame.attrs.get("source", "data"))

    @property
    def columns(self) -> list[str]:
        """The model's input columns: the features plus the time column (for the time validation fold)."""
        tc = self.time_col
        return self.plan.features + ([tc] if tc and tc not in self.plan.features else [])


def check_parameters(split: str, holdout_share: float, leakage_auc: float) -> None:
    """ConfigError for a split, holdout share or leakage threshold out of range."""
    if split not in SPLITS:
        raise ConfigError(_("split={split}: choose time or random", split=repr(split)))
    if not 0.05 <= holdout_share <= 0.5:
        raise ConfigError(_("holdout_share={value}: must be between 0.05 and 0.5", value=str(holdout_share)))
    if not 0.5 < leakage_auc <= 1.0:
        raise ConfigError(_("leakage_auc={value}: must be above 0.5 and at most 1", value=str(leakage_auc)))


def load(data, target: str, con, maturity_days: int) -> tuple[pd.DataFrame, np.ndarray, TargetInfo]:
    """Features, 0/1 target and target facts from ``"store"``/None, a CSV path or a DataFrame."""
    if data is None or (isinstance(data, str) and data == "store"):
        return load_store_leads(con, target=target, maturity_days=maturity_days)
    if isinstance(data, (str, Path)):
        frame = read_csv(data)
    elif isinstance(data, pd.DataFrame):
        frame = data.copy()
        frame.attrs.setdefault("source", "data frame")
    else:
        raise ConfigError(_("data: expected 'store', a CSV path or a DataFrame, got {kind}", kind=type(data).__name__))
    return prepare_target(frame, target)


def settle_time_column(frame: pd.DataFrame, time_col: str | None, *, from_store: bool, split: str,
                       notes: list[dict]) -> str | None:
    """The time column to order rows by (None: row order), parsed to timestamps; appends notes."""
    source = text.source(frame.attrs.get("source", "data"))
    if time_col is not None and time_col not in frame.columns:
        if from_store:
            raise ConfigError(_("time_col={time_col} (--time-col): {source} has no such column; columns are {columns}",
                                time_col=repr(time_col), source=source, columns=text.listing(map(str, frame.columns))))
        notes.append({"code": "no_time_col", "time_col": str(time_col)})
        time_col = None
    if time_col is not None and not pd.api.types.is_datetime64_any_dtype(frame[time_col]):
        try:
            frame[time_col] = pd.to_datetime(frame[time_col])
        except (ValueError, TypeError):
            raise DataError(_("{source}, column {column}: the time column must hold dates/timestamps",
                              source=source, column=str(time_col))) from None
    if time_col is None and split == "time":
        notes.append({"code": "row_order"})
    return time_col


def split_rows(frame: pd.DataFrame, y: np.ndarray, *, split: str, holdout_share: float, time_col: str | None,
               seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted training and test row numbers: the most recent ``holdout_share`` (by ``time_col`` or
    row order) with ``split="time"``, a stratified random share with ``split="random"``."""
    idx = np.arange(len(y))
    if split == "time":
        order = np.argsort(frame[time_col].to_numpy(), kind="stable") if time_col else idx
        n_test = int(round(len(idx) * holdout_share))
        return np.sort(order[:-n_test]), np.sort(order[-n_test:])
    tr, te = train_test_split(idx, test_size=holdout_share, random_state=seed, stratify=y)
    return np.sort(tr), np.sort(te)


def prepare(data, *, target: str, time_col: str | None, split: str, holdout_share: float, include, exclude,
            maturity_days: int, seed: int, leakage_auc: float = 0.80, con=None) -> Prepared:
    """Load, settle the time column, plan the features (the outcome column marked as leakage), split,
    and run the leakage guard on the training rows (:func:`~leadlab.scoring.features.leakage_guard`)."""
    frame, y, info = load(data, target, con, maturity_days)
    notes: list[dict] = []
    from_store = not (isinstance(data, pd.DataFrame) or data not in (None, "store"))
    time_col = settle_time_column(frame, time_col, from_store=from_store, split=split, notes=notes)
    outcome_time = frame.pop(info.outcome_time_col) if info.outcome_time_col in frame else None
    plan = plan_features(frame, time_col=time_col, include=include, exclude=exclude)
    if outcome_time is not None:
        plan.excluded[info.outcome_time_col] = {"code": "outcome"}
        plan.leakage[info.outcome_time_col] = plan.excluded[info.outcome_time_col]
    tr, te = split_rows(frame, y, split=split, holdout_share=holdout_share, time_col=time_col, seed=seed)
    if y[te].min() == y[te].max():
        raise DataError(_("{source}: the test rows hold a single outcome class; use a larger holdout_share or --split "
                          "random", source=text.source(frame.attrs.get("source", "data"))))
    leakage_guard(frame.iloc[tr], y[tr], plan, auc_threshold=leakage_auc,
                  outcome_time=outcome_time.iloc[tr] if outcome_time is not None else None, seed=seed)
    return Prepared(frame, y, info, plan, time_col, split, holdout_share, tr, te, outcome_time, notes)


__all__ = ["Prepared", "SPLITS", "check_parameters", "load", "prepare", "settle_time_column", "split_rows"]
