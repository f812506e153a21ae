"""A scorer described from its card facts, in the current language: verdict, tables, figures and
the model card Markdown. The facts are a model's metadata (``ScorerModel.meta``, the content of
``lead_scorer.card.json``) or :meth:`TrainingResult.card_facts` — stored once, rendered per
language. Nothing here trains, scores or writes.

Strings in the tables come from data (column names, the data label): the tables go through
:func:`leadlab.presentation.html_table` / :mod:`leadlab.safehtml`, which escape them.

>>> meta = {"metrics": {"roc_auc": 0.81, "lift_top_decile": 4.2, "ece": 0.01}, "ci95": {},
...         "baseline": {"name": "source", "roc_auc": 0.66}, "model_kind": "logistic"}
>>> print(verdict(meta))  # doctest: +NORMALIZE_WHITESPACE
Calling the top 10% of leads by score finds 4.2× the average conversion rate (holdout ROC AUC 0.810;
the source only baseline (ROC AUC 0.660) is the bar to beat). The model is fit for use: it beats a
random order of leads and its baseline. Scores are calibrated (ECE 0.010): a score of 30 means about
30% convert.
>>> from leadlab.i18n import use_lang
>>> with use_lang("zh"):
...     print(verdict(meta)[:12])
按评分拨打前10%的线索
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadlab.i18n import _, fmt, pgettext
from leadlab.presentation import Result
from leadlab.scoring import text
from leadlab.scoring.monitor import level, psi_display
from leadlab.scoring.quality import of_meta

METRICS = text.METRICS


# -- facts as tables ----------------------------------------------------------------------------
def deciles_table(meta: dict) -> pd.DataFrame:
    """The holdout decile table stored with the model (1 = best scores): facts."""
    cols = ["decile", "leads", "conversions", "rate", "mean_predicted", "lift", "cum_gain"]
    return pd.DataFrame(meta.get("deciles") or [], columns=cols)[cols]


def drift_table(meta: dict) -> pd.DataFrame:
    """PSI between the training and test rows per model input and for the score, largest first: facts."""
    d = meta.get("drift_train_test") or {}
    out = pd.DataFrame({"feature": list(d), "psi": [float(v) for v in d.values()]})
    out = out.sort_values("psi", ascending=False, kind="stable").reset_index(drop=True)
    out["level"] = [level(v) for v in out.psi]
    return out


def importance_table(meta: dict) -> pd.DataFrame:
    """Mean absolute contribution (log-odds) of each model input over the test leads: facts."""
    return pd.DataFrame(meta.get("importance_logodds") or [], columns=["feature", "mean_abs_logodds"])


# -- words ----------------------------------------------------------------------------------------
def verdict(meta: dict) -> str:
    """The model in one paragraph: lift, AUC, the baseline's status, fitness, calibration, drift."""
    m = meta["metrics"]
    q = of_meta(meta)
    parts = [_("Calling the top 10% of leads by score finds {lift} the average conversion rate (holdout ROC AUC "
               "{auc}; {baseline}).", lift=text.lift(m["lift_top_decile"]), auc=text.auc(m["roc_auc"]),
               baseline=q.baseline_note),
             _("The model is {fitness}.", fitness=q.sentence())]
    base_auc = (meta.get("baseline") or {}).get("roc_auc", np.nan)
    if q.usable and q.baseline_status == "bar" and m["roc_auc"] - base_auc < 0.01:
        parts.append(_("It is barely better than the simple baseline: use the baseline or look for better data."))
    if m.get("ece") is not None:
        parts.append(text.calibration_sentence(m["ece"]))
    drift = drift_table(meta)
    major = drift[drift.level == "major"].feature.head(4).tolist()
    if major:
        parts.append(text.drift_sentence([_("score") if f == "score" else f for f in major]))
    return text.sentences(parts)


def fitness_paragraph(meta: dict) -> str:
    """Fitness for use, what the baseline is, and what the CLI does with a flagged model."""
    q = of_meta(meta)
    parts = [_("This model is {fitness}. Baseline: {baseline}.", fitness=q.sentence(), baseline=q.baseline_note)]
    if not q.usable:
        parts.append(_("`leadlab score apply` and `leadlab score call-list` refuse it unless `--allow-weak-model` is "
                       "given."))
    return text.sentences(parts)


def choice_sentence(meta: dict) -> str:
    return text.choice(meta.get("model_choice") or {})


def data_lines(meta: dict) -> list[str]:
    """What the model learnt from and how it was tested, one sentence each."""
    lines = [_("Target {target} on {data}: {n_train} training and {n_test} test rows ({split}, holdout {share}; test "
               "conversion rate {rate}).", target=str(meta["target"]), data=text.source(meta.get("data", "")),
               n_train=fmt.number(meta["n_train"]), n_test=fmt.number(meta["n_test"]),
               split=text.split_label(meta["split"]), share=fmt.percent(meta["holdout_share"], 0),
               rate=fmt.percent(meta["metrics"].get("base_rate")))]
    tw, sw = meta.get("train_window"), meta.get("test_window")
    if tw and sw:
        lines.append(_("Training window {train_start} – {train_end}; test window {test_start} – {test_end}.",
                       train_start=fmt.date(tw[0]), train_end=fmt.date(tw[1]), test_start=fmt.date(sw[0]),
                       test_end=fmt.date(sw[1])))
    return lines


# -- tables for people ----------------------------------------------------------------------------
def metrics_table(meta: dict) -> pd.DataFrame:
    """Holdout metrics of the model with 95 % bootstrap intervals, next to the baseline (for people)."""
    m, b, ci = meta["metrics"], meta.get("baseline") or {}, meta.get("ci95") or {}
    rows = []
    for k in METRICS:
        lo_hi = ci.get(k)
        digits = 2 if k == "lift_top_decile" else 3
        rows.append({
            pgettext("metrics table", "Measure"): text.metric_label(k),
            pgettext("metrics table", "Model"): fmt.number(m.get(k, np.nan), digits),
            pgettext("metrics table", "95% interval"): (_("{low} – {high}", low=fmt.number(lo_hi[0], digits),
                                                          high=fmt.number(lo_hi[1], digits)) if lo_hi else ""),
            pgettext("metrics table", "Baseline"): fmt.number(b.get(k, np.nan), digits),
        })
    return pd.DataFrame(rows)


def metrics_facts(meta: dict) -> pd.DataFrame:
    """Holdout metrics as numbers: metric id, model, ci_low, ci_high, baseline."""
    m, b, ci = meta["metrics"], meta.get("baseline") or {}, meta.get("ci95") or {}
    return pd.DataFrame([{"metric": k, "model": m.get(k, np.nan), "ci_low": (ci.get(k) or (np.nan, np.nan))[0],
                          "ci_high": (ci.get(k) or (np.nan, np.nan))[1], "baseline": b.get(k, np.nan)}
                         for k in METRICS])


def candidates_table(meta: dict) -> pd.DataFrame:
    """The model kinds compared by ``model_kind="auto"``: validation ROC AUC and which one was kept."""
    cands = (meta.get("model_choice") or {}).get("candidates") or {}
    cols = [pgettext("candidates table", "Candidate"), pgettext("candidates table", "Validation ROC AUC"),
            pgettext("candidates table", "Chosen")]
    return pd.DataFrame([[text.kind_label(k), text.auc(v["roc_auc"]),
                          _("yes") if k == meta.get("model_kind") else ""] for k, v in cands.items()], columns=cols)


def features_table(meta: dict) -> pd.DataFrame:
    """Every input column: used (with its type) or excluded (with the reason), leakage first."""
    f = meta["features"]
    leak = meta.get("excluded_leakage") or {}
    col, status, why = (pgettext("features table", "Column"), pgettext("features table", "Status"),
                        pgettext("features table", "Why"))
    rows = [{col: c, status: _("excluded: leakage"), why: text.reason(r)} for c, r in leak.items()]
    rows += [{col: c, status: _("excluded"), why: text.reason(r)} for c, r in (meta.get("excluded") or {}).items()
             if c not in leak]
    single = f.get("single_feature_auc", {})
    for kind in ("numeric", "categorical", "boolean", "timestamp"):
        for c in f.get(kind, []):
            reason = text.feature_kind_label(kind)
            if c in single:
                reason = _("{kind}; alone it reaches AUC {auc}", kind=reason, auc=fmt.number(single[c], 2))
            rows.append({col: c, status: _("used"), why: reason})
    return pd.DataFrame(rows, columns=[col, status, why])


def deciles_display(meta: dict) -> pd.DataFrame:
    """The decile table for people (1 = best scores)."""
    d = deciles_table(meta)
    return pd.DataFrame({
        pgettext("deciles table", "Decile"): [fmt.number(v) for v in d.decile],
        pgettext("deciles table", "Leads"): [fmt.number(v) for v in d.leads],
        pgettext("deciles table", "Conversions"): [fmt.number(v) for v in d.conversions],
        pgettext("deciles table", "Conversion rate"): [fmt.percent(v) for v in d.rate],
        pgettext("deciles table", "Mean predicted"): [fmt.percent(v) for v in d.mean_predicted],
        pgettext("deciles table", "Lift"): [text.lift(v, 2) for v in d.lift],
        pgettext("deciles table", "Cumulative gain"): [fmt.percent(v, 0) for v in d.cum_gain],
    })


def drift_display(meta: dict) -> pd.DataFrame:
    return psi_display(drift_table(meta))


# -- figures --------------------------------------------------------------------------------------
def plot_holdout(meta: dict, axes=None):
    """Calibration, cumulative gains and decile lift on the holdout, from the stored curves."""
    import matplotlib.pyplot as plt

    from leadlab.plots import COLORS

    if axes is None:
        _fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    ax1, ax2, ax3 = axes
    cal = pd.DataFrame(meta.get("calibration_curve") or [], columns=["mean_predicted", "observed_rate", "leads"])
    if len(cal):
        lim = max(cal.mean_predicted.max(), cal.observed_rate.max()) * 1.05
        ax1.plot([0, lim], [0, lim], color=COLORS["neutral"], ls="--", lw=1)
        ax1.plot(cal.mean_predicted, cal.observed_rate, "o-", color=COLORS["primary"])
    ax1.set(xlabel=_("predicted conversion rate"), ylabel=_("observed conversion rate"),
            title=_("Calibration (test leads)"))
    g = meta.get("gains") or {}
    if g:
        ax2.plot(g["share_called"], g["share_conversions"], color=COLORS["primary"], label=_("model"))
    ax2.plot([0, 1], [0, 1], color=COLORS["neutral"], ls="--", lw=1, label=_("random order"))
    ax2.set(xlabel=_("share of leads called (best first)"), ylabel=_("share of conversions found"),
            title=_("Cumulative gains"))
    ax2.legend(loc="lower right")
    d = deciles_table(meta)
    ax3.bar(d.decile, d.lift, color=COLORS["primary"])
    ax3.axhline(1, color=COLORS["neutral"], ls="--", lw=1)
    ax3.set(xlabel=_("score decile (1 = best)"), ylabel=_("lift over average"), title=_("Lift by decile"))
    return axes


def plot_importance(meta: dict, ax=None):
    """Inputs by mean absolute push on the score (log-odds)."""
    import matplotlib.pyplot as plt

    from leadlab.plots import COLORS
    from leadlab.safehtml import plot_text

    imp = importance_table(meta)
    if ax is None:
        _fig, ax = plt.subplots(figsize=(9, max(3, 0.3 * len(imp))))
    ax.barh([plot_text(f) for f in imp.feature[::-1]], imp.mean_abs_logodds[::-1], color=COLORS["primary"])
    ax.set(xlabel=_("mean absolute contribution (log-odds)"), title=_("Inputs by influence on the score"))
    return ax


def plot_drift(meta: dict, ax=None, top: int = 15):
    """PSI between the training and test rows per model input and for the score."""
    import matplotlib.pyplot as plt

    from leadlab.safehtml import plot_text
    from leadlab.scoring.monitor import psi_bars

    d = drift_table(meta).head(top).iloc[::-1]
    d = d.assign(feature=[plot_text(_("score") if f == "score" else f) for f in d.feature])
    if ax is None:
        _fig, ax = plt.subplots(figsize=(9, max(3, 0.32 * len(d))))
    return psi_bars(ax, d, xlabel=_("PSI, training rows vs test rows"),
                    title=_("Drift between the training and test periods"))


# -- the model card ------------------------------------------------------------------------------
def _md_table(df: pd.DataFrame, escape: tuple[int, ...] = ()) -> list[str]:
    """A Markdown table; the cells of the columns at positions ``escape`` come from data and are escaped
    (headers, labels and formatted numbers come from the catalog and Babel; ``|`` is escaped everywhere)."""
    from leadlab.safehtml import md

    def cell(i: int, v: object) -> str:
        return md(v) if i in escape else str(v).replace("|", "\\|")

    head = "| " + " | ".join(cell(-1, c) for c in df.columns) + " |"
    rows = ["| " + " | ".join(cell(i, v) for i, v in enumerate(r)) + " |" for r in df.itertuples(index=False, name=None)]
    return [head, "|" + "---|" * len(df.columns)] + rows


def card_markdown(meta: dict) -> str:
    """The model card as Markdown in the current language (every data-derived string escaped)."""
    from leadlab.safehtml import md, md_code

    lines = [_("# Model card: lead scorer {version}", version=md_code(meta["model_version"])), ""]
    facts = [
        _("Model: {kind} (calibrated), trained {when} with leadlab {version}", kind=text.kind_label(meta["model_kind"]),
          when=fmt.datetime(meta["trained_at"]), version=meta["versions"]["leadlab"]),
        *[md(line) for line in data_lines(meta)],
    ]
    if meta.get("outcome_time_col"):
        facts.append(_("Target reached when {column} is set", column=md_code(meta["outcome_time_col"])))
    if meta.get("maturity_days") is not None and meta.get("as_of"):
        facts.append(_("Maturity: leads younger than {days} days at {as_of} were left out",
                       days=fmt.number(meta["maturity_days"]), as_of=fmt.date(meta["as_of"])))
    facts.append(_("The model in the file was refit on all {n} rows after evaluation", n=fmt.number(meta["n_refit"])))
    facts += [_("Note: {note}", note=md(text.note(n))) for n in meta.get("notes", [])]
    lines += [f"- {f}" for f in facts]
    f = meta["features"]
    lines += ["", _("## Features used"), ""]
    for kind in ("numeric", "categorical", "boolean", "timestamp"):
        if f[kind]:
            lines.append("- " + _("{kind}: {columns}", kind=text.feature_kind_label(kind),
                                  columns=text.listing(md_code(c) for c in f[kind])))
    lines += ["", _("## Features excluded"), ""] + _md_table(features_table(meta).iloc[:len(meta.get("excluded") or {})], escape=(0, 2))
    lines += ["", _("## Holdout metrics"), ""] + _md_table(metrics_table(meta))
    lines += ["", _("Baseline: {name}.", name=md(text.baseline_label((meta.get("baseline") or {}).get("name", ""))))]
    lines += ["", _("## Model choice"), "", md(choice_sentence(meta)) + _(".")]
    cands = candidates_table(meta)
    if len(cands):
        lines += [""] + _md_table(cands)
    lines += ["", _("## Fitness for use"), "", md(fitness_paragraph(meta))]
    bands = meta["bands"]
    lines += ["", _("## Grades"), "",
              _("A: score ≥ {a}; B: ≥ {b}; C: ≥ {c}; D: below. Priority quartile cut points (training scores): "
                "{cuts}.", a=fmt.number(bands["A"], 1), b=fmt.number(bands["B"], 1), c=fmt.number(bands["C"], 1),
                cuts=text.listing(fmt.number(v, 1) for v in meta["priority_cuts"]))]
    lines += ["", _("## Library versions"), "",
              text.listing(f"{k} {v}" for k, v in meta["versions"].items()), ""]  # installed packages, not data
    return "\n".join(lines)


class ModelCard(Result):
    """A saved model's card as a result: title, metrics table, verdict, notes, holdout figures."""

    def __init__(self, meta: dict):
        self.meta = meta

    def title(self) -> str:
        return _("Lead scorer {version}", version=self.meta["model_version"])

    def to_pandas(self) -> pd.DataFrame:
        return metrics_facts(self.meta)

    def display_frame(self) -> pd.DataFrame:
        return metrics_table(self.meta)

    def verdict(self) -> str:
        return verdict(self.meta)

    def notes(self) -> list[str]:
        return data_lines(self.meta) + [text.note(n) for n in self.meta.get("notes", [])] + [
            _("Model choice: {sentence}", sentence=choice_sentence(self.meta))]

    def _plot(self, ax):
        return plot_holdout(self.meta, ax)

    def markdown(self) -> str:
        return card_markdown(self.meta)


__all__ = ["METRICS", "ModelCard", "candidates_table", "card_markdown", "choice_sentence", "data_lines",
           "deciles_display", "deciles_table", "drift_display", "drift_table", "features_table", "fitness_paragraph",
           "importance_table", "metrics_facts", "metrics_table", "plot_drift", "plot_holdout", "plot_importance",
           "verdict"]
