"""A saved model described from its card: the tables, figures and sentences of the
scorer_training report. Everything here reads the model's metadata (``ScorerModel.meta``,
the same facts as ``lead_scorer.card.json``); nothing trains, scores or writes.

Strings in the returned tables come from data (column names, the data label): escape them
for the place they land in (``leadlab.safehtml``).

>>> meta = {"metrics": {"roc_auc": 0.81, "lift_top_decile": 4.2, "ece": 0.01}, "ci95": {},
...         "baseline": {"name": "source-only", "roc_auc": 0.66}, "model_kind": "logistic"}
>>> print(verdict(meta))  # doctest: +NORMALIZE_WHITESPACE
Calling the top 10% of leads by score finds 4.2× the average conversion rate (holdout ROC AUC 0.810;
the source-only baseline (ROC AUC 0.660) is the bar to beat). The model is fit for use: it beats a
random order of leads and its baseline. Scores are calibrated (ECE 0.010): a score of 30 means about
30 % convert.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadlab.scoring.monitor import level
from leadlab.scoring.quality import of_meta

METRICS = ("roc_auc", "pr_auc", "brier", "brier_skill", "log_loss", "ece", "ks", "lift_top_decile")

#: The sentences of this module, filled from facts.
TEXT = {
    "lift": "Calling the top 10% of leads by score finds {lift:.1f}× the average conversion rate "
            "(holdout ROC AUC {auc:.3f}; {baseline}).",
    "fit": "The model is {sentence}.",
    "ece_bad": "Scores are not well calibrated (ECE {ece:.3f}): read them as a ranking, not as probabilities.",
    "ece_rough": "Scores are roughly calibrated (ECE {ece:.3f}): a score of 30 means roughly 30 % convert.",
    "ece_good": "Scores are calibrated (ECE {ece:.3f}): a score of 30 means about 30 % convert.",
    "drift": "Between the training and test periods {features} shifted majorly (PSI ≥ 0.25): expect the model "
             "to age quickly and retrain often.",
}


def verdict(meta: dict) -> str:
    """The model in one paragraph: lift, AUC, the baseline's status, fitness, calibration, drift."""
    m = meta["metrics"]
    q = of_meta(meta)
    parts = [TEXT["lift"].format(lift=m["lift_top_decile"], auc=m["roc_auc"], baseline=q.baseline_note),
             TEXT["fit"].format(sentence=q.sentence())]
    ece = m.get("ece")
    if ece is not None:
        key = "ece_bad" if ece > 0.05 else "ece_rough" if ece > 0.02 else "ece_good"
        parts.append(TEXT[key].format(ece=ece))
    drift = drift_table(meta)
    major = drift[drift.level == "major"].feature.head(4).tolist()
    if major:
        parts.append(TEXT["drift"].format(features=", ".join(major)))
    return " ".join(parts)


def metrics_table(meta: dict) -> pd.DataFrame:
    """Holdout metrics of the model with 95 % bootstrap intervals, next to the baseline."""
    m, b, ci = meta["metrics"], meta["baseline"], meta.get("ci95", {})
    rows = []
    for k in METRICS:
        lo, hi = ci.get(k, (np.nan, np.nan))
        rows.append({"measure": k, "model": m.get(k, np.nan), "95% CI low": lo, "95% CI high": hi,
                     f"{b.get('name', 'baseline')} baseline": b.get(k, np.nan)})
    return pd.DataFrame(rows)


def candidates_table(meta: dict) -> pd.DataFrame:
    """The model kinds compared by ``model_kind="auto"``: validation ROC AUC and which one was kept."""
    choice = meta.get("model_choice") or {}
    cands = choice.get("candidates") or {}
    return pd.DataFrame([{"candidate": k, "validation ROC AUC": v["roc_auc"],
                          "chosen": "yes" if k == meta.get("model_kind") else ""} for k, v in cands.items()],
                        columns=["candidate", "validation ROC AUC", "chosen"])


def features_table(meta: dict) -> pd.DataFrame:
    """Every input column: used (with its type) or excluded (with the reason), leakage first."""
    f = meta["features"]
    leak = meta.get("excluded_leakage", {})
    rows = [{"column": c, "status": "excluded: leakage", "why": r} for c, r in leak.items()]
    rows += [{"column": c, "status": "excluded", "why": r} for c, r in meta.get("excluded", {}).items() if c not in leak]
    single = f.get("single_feature_auc", {})
    for kind in ("numeric", "categorical", "boolean", "timestamp"):
        for c in f.get(kind, []):
            why = kind + (" (as hour, weekday, month)" if kind == "timestamp" else "")
            if c in single:
                why += f"; alone it reaches AUC {single[c]:.2f}"
            rows.append({"column": c, "status": "used", "why": why})
    return pd.DataFrame(rows, columns=["column", "status", "why"])


def deciles_table(meta: dict) -> pd.DataFrame:
    """The holdout decile table stored with the model (1 = best scores)."""
    cols = ["decile", "leads", "conversions", "rate", "mean_predicted", "lift", "cum_gain"]
    return pd.DataFrame(meta.get("deciles") or [], columns=cols)[cols]


def drift_table(meta: dict) -> pd.DataFrame:
    """PSI between the training and test rows per model input and for the score, largest first."""
    d = meta.get("drift_train_test") or {}
    out = pd.DataFrame({"feature": list(d), "psi": [float(v) for v in d.values()]})
    out = out.sort_values("psi", ascending=False, kind="stable").reset_index(drop=True)
    out["level"] = [level(v) for v in out.psi]
    return out


def importance_table(meta: dict) -> pd.DataFrame:
    """Mean absolute contribution (log-odds) of each model input over the test leads."""
    return pd.DataFrame(meta.get("importance_logodds") or [], columns=["feature", "mean_abs_logodds"])


def plot_holdout(meta: dict, axes=None):
    """Calibration, cumulative gains and decile lift on the holdout, from the stored curves."""
    import matplotlib.pyplot as plt

    from leadlab.plots import COLORS

    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(13, 4))
    ax1, ax2, ax3 = axes
    cal = pd.DataFrame(meta.get("calibration_curve") or [], columns=["mean_predicted", "observed_rate", "leads"])
    if len(cal):
        lim = max(cal.mean_predicted.max(), cal.observed_rate.max()) * 1.05
        ax1.plot([0, lim], [0, lim], color=COLORS["neutral"], ls="--", lw=1)
        ax1.plot(cal.mean_predicted, cal.observed_rate, "o-", color=COLORS["primary"])
    ax1.set(xlabel="predicted conversion rate", ylabel="observed rate", title="Calibration (test leads)")
    g = meta.get("gains") or {}
    if g:
        ax2.plot(g["share_called"], g["share_conversions"], color=COLORS["primary"], label="model")
    ax2.plot([0, 1], [0, 1], color=COLORS["neutral"], ls="--", lw=1, label="random order")
    ax2.set(xlabel="share of leads called (best first)", ylabel="share of conversions found", title="Cumulative gains")
    ax2.legend(loc="lower right")
    d = deciles_table(meta)
    ax3.bar(d.decile, d.lift, color=COLORS["primary"])
    ax3.axhline(1, color=COLORS["neutral"], ls="--", lw=1)
    ax3.set(xlabel="score decile (1 = best)", ylabel="lift over average", title="Lift by decile")
    return axes


def plot_importance(meta: dict, ax=None):
    """Inputs by mean absolute push on the score (log-odds)."""
    import matplotlib.pyplot as plt

    from leadlab.plots import COLORS
    from leadlab.safehtml import plot_text

    imp = importance_table(meta)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, max(3, 0.3 * len(imp))))
    ax.barh([plot_text(f) for f in imp.feature[::-1]], imp.mean_abs_logodds[::-1], color=COLORS["primary"])
    ax.set(xlabel="mean absolute contribution (log-odds)", title="Inputs by influence on the score")
    return ax


def plot_drift(meta: dict, ax=None, top: int = 15):
    """PSI between the training and test rows per model input and for the score."""
    import matplotlib.pyplot as plt

    from leadlab.safehtml import plot_text
    from leadlab.scoring.monitor import psi_bars

    d = drift_table(meta).head(top).iloc[::-1].assign(feature=lambda t: [plot_text(f) for f in t.feature])
    if ax is None:
        _, ax = plt.subplots(figsize=(9, max(3, 0.32 * len(d))))
    return psi_bars(ax, d, xlabel="PSI, training rows vs test rows", title="Drift between the training and test periods")


def training_data(con, maturity_days: int = 30) -> pd.DataFrame:
    """What ``leadlab score train`` would learn from in the store: per target, the mature leads,
    how many reached it and the rate (read-only; for the page shown before any model is saved)."""
    from leadlab.scoring.data import STORE_TARGETS, load_store_leads

    frame, _, info = load_store_leads(con, target="sql", maturity_days=maturity_days)
    rows = []
    for target, col in STORE_TARGETS.items():
        if col in frame.columns:
            pos = int(frame[col].notna().sum())
            rows.append({"target": target, "mature leads": len(frame), "reached it": pos,
                         "rate": pos / len(frame) if len(frame) else np.nan})
    out = pd.DataFrame(rows, columns=["target", "mature leads", "reached it", "rate"])
    out.attrs["as_of"], out.attrs["immature"] = info.as_of, info.n_immature
    return out


def readiness(con, model_path) -> pd.DataFrame:
    """The steps from data to a call list and where this store stands on each (read-only):
    a saved model, lead scores from it, and whether the model is fit for use."""
    from leadlab.errors import LeadlabError
    from leadlab.scoring.persist import load_model
    from leadlab.store import has_table

    rows = []
    try:
        model = load_model(model_path)
        rows.append({"step": "train and save a model", "command": "leadlab score train",
                     "status": f"done: {model.version}"})
    except LeadlabError as exc:
        model = None
        rows.append({"step": "train and save a model", "command": "leadlab score train",
                     "status": "not done: " + str(exc).splitlines()[0][:160]})
    n = 0
    versions: list[str] = []
    if has_table(con, "lead_scores"):
        t = con.table("lead_scores")
        n = int(t.count().to_pyarrow().as_py())
        versions = sorted(v for v in t.select("model_version").distinct().to_pyarrow()["model_version"].to_pylist() if v)
    status = (f"done: {n:,} leads scored by {', '.join(versions)}" if n else "not done: no lead scores in the store")
    rows.append({"step": "score the leads", "command": "leadlab score apply", "status": status})
    if model is not None:
        q = of_meta(model.meta)
        rows.append({"step": "check the model is fit for use", "command": "(automatic)",
                     "status": "fit for use" if q.usable else "flagged: " + "; ".join(q.problems)})
    return pd.DataFrame(rows, columns=["step", "command", "status"])


__all__ = ["candidates_table", "deciles_table", "drift_table", "features_table", "importance_table", "metrics_table",
           "plot_drift", "plot_holdout", "plot_importance", "readiness", "training_data", "verdict"]
