"""Train and evaluate a lead scorer: load → leakage guard → time-ordered holdout →
calibrated model → metrics with intervals, baseline, drift → refit for use.

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

import html
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from leadlab.errors import ConfigError, DataError
from leadlab.scoring import evaluate as ev
from leadlab.scoring.data import TargetInfo, load_store_leads, prepare_target, read_csv
from leadlab.scoring.features import FeaturePlan, leakage_guard, plan_features
from leadlab.scoring.grades import bands_from_scores, check_bands, quartile_cuts
from leadlab.scoring.model import LeadScorer
from leadlab.scoring.monitor import profile_column, profile_frame, psi_table
from leadlab.scoring.quality import Quality, assess

SPLITS = ("time", "random")


@dataclass
class TrainingResult:
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
    notes: list[str] = field(default_factory=list)
    test_frame: pd.DataFrame | None = None
    model_choice: dict = field(default_factory=dict)
    quality: Quality | None = None

    # -- outputs -------------------------------------------------------------
    def to_dict(self) -> dict:
        """The JSON object of ``leadlab score evaluate --json``."""
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
            "notes": self.notes,
            "model_choice": self.model_choice,
            "quality": self.quality.to_dict() if self.quality else None,
        })
        return out

    def to_pandas(self) -> pd.DataFrame:
        """Headline metrics of the model and the baseline with 95 % intervals."""
        rows = []
        for k in ("roc_auc", "pr_auc", "brier", "brier_skill", "log_loss", "ece", "ks", "lift_top_decile"):
            lo, hi = self.ci.get(k, (np.nan, np.nan))
            rows.append({"metric": k, "model": self.metrics[k], "ci_low": lo, "ci_high": hi,
                         "baseline": self.baseline.get(k, np.nan)})
        return pd.DataFrame(rows)

    def choice_sentence(self) -> str:
        """How the model kind was chosen, in one sentence."""
        return choice_sentence(self.model_choice)

    def verdict(self) -> str:
        m, b = self.metrics, self.baseline
        gain = m["roc_auc"] - b["roc_auc"]
        top = m["lift_top_decile"]
        q = self.quality
        text = (f"Calling the top 10% of leads by score finds {top:.1f}× the average conversion rate "
                f"(ROC AUC {m['roc_auc']:.3f}; {q.baseline_note if q else self.baseline_name}). ")
        if q is not None and not q.usable:
            text += f"This model is {q.sentence()}. "
        elif gain < 0.01 and (q is None or q.baseline_status == "bar"):
            text += "The model is barely better than the simple baseline: use the baseline or look for better data. "
        if m["ece"] > 0.05:
            text += f"Scores are not well calibrated (ECE {m['ece']:.3f}): read them as a ranking, not as probabilities. "
        elif m["ece"] > 0.02:
            text += (f"Scores are roughly calibrated (ECE {m['ece']:.3f}): a score of 30 means roughly 30 % convert; "
                     "more data would sharpen this. ")
        else:
            text += f"Scores are calibrated (ECE {m['ece']:.3f}): a score of 30 means about 30 % convert. "
        major = self.drift[(self.drift.level == "major")]
        if len(major):
            text += (f"Between the training and test periods {', '.join(major.feature.head(4))} shifted majorly "
                     "(PSI ≥ 0.25), so expect the model to age quickly and retrain often.")
        return text.strip()

    def summary(self) -> str:
        lines = [
            f"Lead scorer ({self.model_kind}), {self.split} split, holdout {self.holdout_share:.0%}",
            f"  target {self.target.name}: {self.n_train:,} training and {self.n_test:,} test rows "
            f"(test base rate {self.metrics['base_rate']:.1%})",
        ]
        if self.train_window:
            lines.append(f"  training window {self.train_window[0]} – {self.train_window[1]}; "
                         f"test window {self.test_window[0]} – {self.test_window[1]}")
        for note in self.target.notes + self.notes:
            lines.append(f"  note: {note}")
        if self.model_choice:
            lines.append(f"  model choice: {self.choice_sentence()}")
        if self.quality is not None:
            lines.append(f"  {'fitness' if self.quality.usable else 'WARNING'}: {self.quality.sentence()}")
        lines.append(f"  features ({len(self.plan.features)}): {', '.join(self.plan.features)}")
        for c, r in self.plan.leakage.items():
            lines.append(f"  LEAKAGE excluded {c}: {r}")
        other = {c: r for c, r in self.plan.excluded.items() if c not in self.plan.leakage}
        if other:
            lines.append("  also excluded: " + "; ".join(f"{c} — {r}" for c, r in other.items()))
        lines.append("")
        lines.append(f"  {'metric':<16}{'model':>9}  {'95% CI':<19}{'baseline':>9}")
        for r in self.to_pandas().itertuples():
            ci = f"[{r.ci_low:.3f}, {r.ci_high:.3f}]" if np.isfinite(r.ci_low) else ""
            lines.append(f"  {r.metric:<16}{r.model:>9.3f}  {ci:<19}{r.baseline:>9.3f}")
        lines.append(f"  (baseline: {self.baseline_name}"
                     + (f"; {self.quality.baseline_note})" if self.quality else ")"))
        lines.append("")
        lines.append("  drift train → test (PSI): " + ", ".join(
            f"{r.feature} {r.psi:.2f}{'!' if r.level == 'major' else ''}" for r in self.drift.head(8).itertuples()))
        lines.append("")
        lines.append("  " + self.verdict())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        from leadlab.safehtml import safe_style

        table = safe_style(self.to_pandas(), "scoring_metrics", precision=3).to_html()
        return f"<h4>Lead scorer ({html.escape(self.model_kind)}, {html.escape(str(self.split))} split)</h4>{table}<p>{html.escape(self.verdict())}</p>"

    def features_table(self) -> pd.DataFrame:
        """Every input column: used (with its type) or excluded (with the reason), leakage first."""
        rows = [{"column": c, "status": "excluded: leakage", "why": r} for c, r in self.plan.leakage.items()]
        rows += [{"column": c, "status": "excluded", "why": r} for c, r in self.plan.excluded.items()
                 if c not in self.plan.leakage]
        for kind in ("numeric", "categorical", "boolean", "timestamp"):
            for c in getattr(self.plan, kind):
                why = f"{kind}" + (" (as hour, weekday, month)" if kind == "timestamp" else "")
                auc = self.plan.single_auc.get(c)
                if auc is not None:
                    why += f"; alone it reaches AUC {auc:.2f}"
                rows.append({"column": c, "status": "used", "why": why})
        return pd.DataFrame(rows)

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
        import matplotlib.pyplot as plt

        from leadlab.scoring.monitor import psi_bars

        d = self.drift.head(top).iloc[::-1]
        if ax is None:
            _, ax = plt.subplots(figsize=(9, max(3, 0.32 * len(d))))
        return psi_bars(ax, d, xlabel="PSI, training rows vs test rows",
                        title="Drift between the training and test periods")

    def plot(self, axes=None):
        """Calibration curve, cumulative gains and decile lift side by side."""
        import matplotlib.pyplot as plt

        from leadlab.plots import COLORS

        if axes is None:
            fig, axes = plt.subplots(1, 3, figsize=(13, 4))
        ax1, ax2, ax3 = axes
        cal = self.calibration
        lim = max(cal.mean_predicted.max(), cal.observed_rate.max()) * 1.05
        ax1.plot([0, lim], [0, lim], color=COLORS["neutral"], ls="--", lw=1)
        ax1.plot(cal.mean_predicted, cal.observed_rate, "o-", color=COLORS["primary"])
        ax1.set(xlabel="predicted conversion rate", ylabel="observed rate", title="Calibration (test leads)")
        g = self.gains
        ax2.plot(g.share_called, g.share_conversions, color=COLORS["primary"], label="model")
        ax2.plot([0, 1], [0, 1], color=COLORS["neutral"], ls="--", lw=1, label="random order")
        ax2.set(xlabel="share of leads called (best first)", ylabel="share of conversions found", title="Cumulative gains")
        ax2.legend(loc="lower right")
        d = self.deciles
        ax3.bar(d.decile, d.lift, color=COLORS["primary"])
        ax3.axhline(1, color=COLORS["neutral"], ls="--", lw=1)
        ax3.set(xlabel="score decile (1 = best)", ylabel="lift over average", title="Lift by decile")
        return axes


def _load(data, target: str, con, maturity_days: int):
    if data is None or (isinstance(data, str) and data == "store"):
        return load_store_leads(con, target=target, maturity_days=maturity_days)
    if isinstance(data, (str, Path)):
        frame = read_csv(data)
    elif isinstance(data, pd.DataFrame):
        frame = data.copy()
        frame.attrs.setdefault("source", "data frame")
    else:
        raise ConfigError(f"data: expected 'store', a CSV path or a DataFrame, got {type(data).__name__}")
    return prepare_target(frame, target)


def _baseline(frame_tr: pd.DataFrame, y_tr, frame_te: pd.DataFrame, plan: FeaturePlan) -> tuple[str, np.ndarray]:
    """Source-only model (per-category training rate) when a ``source`` column exists; else the
    best single feature by training AUC, as per-category or per-decile rates."""
    prior = float(np.mean(y_tr))
    if "source" in plan.categorical:
        col = "source"
    else:
        cands = {c: a for c, a in plan.single_auc.items() if c in plan.features}
        col = max(cands, key=cands.get) if cands else plan.features[0]
    if col in plan.categorical or col in plan.boolean:
        key_tr = frame_tr[col].astype("string").fillna("(missing)")
        key_te = frame_te[col].astype("string").fillna("(missing)")
    else:
        v_tr = pd.to_numeric(frame_tr[col], errors="coerce") if col not in plan.timestamp else frame_tr[col].astype("int64")
        v_te = pd.to_numeric(frame_te[col], errors="coerce") if col not in plan.timestamp else frame_te[col].astype("int64")
        edges = np.unique(np.nanquantile(v_tr, np.linspace(0.1, 0.9, 9)))
        key_tr = pd.Series(np.searchsorted(edges, v_tr), index=frame_tr.index).astype("string")
        key_te = pd.Series(np.searchsorted(edges, v_te), index=frame_te.index).astype("string")
    stats = pd.DataFrame({"k": key_tr.to_numpy(), "y": np.asarray(y_tr)}).groupby("k")["y"].agg(["sum", "count"])
    rate = (stats["sum"] + 10 * prior) / (stats["count"] + 10)
    p = key_te.map(rate).astype("float64").fillna(prior).to_numpy()
    return f"{col}-only", p


def _window(times: pd.Series | None) -> tuple[str, str] | None:
    if times is None or len(times) == 0:
        return None
    return (f"{times.min():%Y-%m-%d}", f"{times.max():%Y-%m-%d}")


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
    if split not in SPLITS:
        raise ConfigError(f"split={split!r}: choose time or random")
    if not 0.05 <= holdout_share <= 0.5:
        raise ConfigError(f"holdout_share={holdout_share}: must be between 0.05 and 0.5")
    if not 0.5 < leakage_auc <= 1.0:
        raise ConfigError(f"leakage_auc={leakage_auc}: must be above 0.5 and at most 1")
    frame, y, info = _load(data, target, con, maturity_days)
    notes: list[str] = []
    source = frame.attrs.get("source", "data")
    if time_col is not None and time_col not in frame.columns:
        if isinstance(data, pd.DataFrame) or (data not in (None, "store")):
            notes.append(f"no column {time_col!r}: the time split uses row order (oldest rows first)")
            time_col = None
        else:
            raise ConfigError(f"time_col={time_col!r} (--time-col): {source} has no such column; columns are "
                              f"{', '.join(map(str, frame.columns))}")
    if time_col is not None and not pd.api.types.is_datetime64_any_dtype(frame[time_col]):
        try:
            frame[time_col] = pd.to_datetime(frame[time_col])
        except (ValueError, TypeError):
            raise DataError(f"{source}, column {time_col}: the time column must hold dates/timestamps") from None
    if time_col is None and split == "time":
        notes.append("time split by row order (the last rows are the test set)")
    outcome_time = frame.pop(info.outcome_time_col) if info.outcome_time_col in frame else None
    plan = plan_features(frame, time_col=time_col, include=include, exclude=exclude)
    if outcome_time is not None:
        plan.excluded[info.outcome_time_col] = "defines the target (the outcome itself)"
        plan.leakage[info.outcome_time_col] = plan.excluded[info.outcome_time_col]
    # split
    idx = np.arange(len(y))
    if split == "time":
        order = np.argsort(frame[time_col].to_numpy(), kind="stable") if time_col else idx
        n_test = int(round(len(idx) * holdout_share))
        tr, te = np.sort(order[:-n_test]), np.sort(order[-n_test:])
    else:
        tr, te = train_test_split(idx, test_size=holdout_share, random_state=seed, stratify=y)
        tr, te = np.sort(tr), np.sort(te)
    f_tr, f_te, y_tr, y_te = frame.iloc[tr], frame.iloc[te], y[tr], y[te]
    if y_te.min() == y_te.max():
        raise DataError(f"{source}: the test rows hold a single outcome class; use a larger holdout_share or --split random")
    leakage_guard(f_tr, y_tr, plan, auc_threshold=leakage_auc,
                  outcome_time=outcome_time.iloc[tr] if outcome_time is not None else None, seed=seed)
    params = dict(model_kind=model_kind, validation="random" if split == "random" else "time", time_col=time_col, numeric=plan.numeric, categorical=plan.categorical,
                  boolean=plan.boolean, timestamp=plan.timestamp, min_per_class=min_per_class,
                  calibration=calibration, random_state=seed)
    params.update(scorer_params or {})
    cols = plan.features + ([time_col] if time_col and time_col not in plan.features else [])
    holdout = LeadScorer(**params).fit(f_tr[cols], y_tr)
    p_te = holdout.predict_proba(f_te[cols])[:, 1]
    p_tr = holdout.predict_proba(f_tr[cols])[:, 1]
    m = ev.metrics(y_te, p_te, base_rate=float(y_tr.mean()))
    ci = ev.bootstrap_ci(y_te, p_te, n_boot=n_boot, seed=seed)
    bname, p_base = _baseline(f_tr, y_tr, f_te, plan)
    base = ev.metrics(y_te, p_base, base_rate=float(y_tr.mean()))
    # drift train -> test on the model's inputs (timestamp parts included) and the score
    ft = holdout.features_
    X_tr, X_te = ft.transform(f_tr[cols]), ft.transform(f_te[cols])
    # the calendar month always differs between two periods: not a drift signal
    calendar = {f"{c}_month" for c in ft.timestamp_}
    cat_out = [c for c in ft.feature_names_out_ if c in ft.categorical_out_ and c not in calendar]
    num_out = [c for c in ft.feature_names_out_ if c not in ft.categorical_out_ and c not in calendar]
    profiles = profile_frame(X_tr, cat_out, num_out)
    drift = psi_table(profiles, X_te, 100 * p_te, profile_column(100 * p_tr))
    unseen = ft.unseen_counts(f_te[cols])
    chosen = holdout.kind_
    choice = {"requested": params["model_kind"], "chosen": chosen, "candidates": holdout.candidates_,
              "validation": holdout.validation_}
    final = LeadScorer(**{**params, "model_kind": chosen}).fit(frame[cols], y) if refit else holdout
    p_all = 100 * final.predict_proba(frame[cols])[:, 1]
    X_all = final.features_.transform(frame[cols])
    reference = {
        "features": profile_frame(X_all, cat_out, num_out),
        "score": profile_column(p_all),
        "base_rate": float(y.mean()),
        "categories": final.features_.categories_,
    }
    times = frame[time_col] if time_col else None
    return TrainingResult(
        scorer=final, holdout_scorer=holdout, plan=plan, target=info, model_kind=chosen, split=split,
        holdout_share=holdout_share, time_col=time_col, n_train=len(tr), n_test=len(te), metrics=m, ci=ci,
        baseline_name=bname, baseline=base, deciles=ev.decile_table(y_te, p_te),
        calibration=ev.calibration_curve(y_te, p_te), gains=ev.gains_curve(y_te, p_te), drift=drift,
        y_test=y_te, p_test=p_te, test_index=te,
        train_window=_window(times.iloc[tr]) if times is not None else None,
        test_window=_window(times.iloc[te]) if times is not None else None,
        reference=reference,
        bands=check_bands(bands) if bands else bands_from_scores(p_all),
        priority_cuts=quartile_cuts(p_all), unseen_in_test=unseen, notes=notes,
        test_frame=f_te[cols + (["lead_id"] if "lead_id" in f_te.columns else [])],
        model_choice=choice, quality=assess(m, base, bname, ci),
    )


def choice_sentence(choice: dict) -> str:
    """One sentence on how the model kind was chosen (from a result's or a card's ``model_choice``)."""
    if not choice:
        return "not recorded"
    if choice.get("requested") != "auto":
        return f"{choice['chosen']} (set by the user; no comparison)"
    cands, val = choice.get("candidates") or {}, choice.get("validation") or {}
    if not cands:
        return f"{choice['chosen']}: {val.get('how', 'no comparison possible')}"
    scores = ", ".join(f"{k} {v['roc_auc']:.3f}" for k, v in cands.items())
    best = max(cands, key=lambda k: cands[k]["roc_auc"])
    where = (f"on {val['how']} ({val['n_validation']:,} rows; candidates fit on the other {val['n_fit']:,} rows)")
    if choice["chosen"] != best:
        why = (f"{best} scored higher, but by less than one standard error of the difference "
               f"({val['se_difference']:.3f}), so the simpler {choice['chosen']} model was kept")
    elif val.get("se_difference"):
        why = f"it beat the simpler model by more than one standard error of the difference ({val['se_difference']:.3f})"
    else:
        why = "it had the higher score"
    return (f"{choice['chosen']}, chosen automatically: validation ROC AUC {scores} {where}; {why}; "
            "the winner was then refit on the whole training window")
