"""The words of the scorer reports (``notebooks/scorer_training.ipynb`` and
``notebooks/scorer_monitoring.ipynb``) in the current language, so the notebooks hold no prose.

Headings and explanations are trusted text from the message catalog and may use Markdown;
every value from data (names, labels, versions, error messages) is escaped before it is filled
in (:func:`leadlab.safehtml.md` / :func:`leadlab.safehtml.text`). Nothing here trains or writes.

>>> section("choice").splitlines()[0]
'## How the model was chosen'
>>> from leadlab.i18n import use_lang
>>> with use_lang("zh"):
...     section("choice").splitlines()[0]
'## 模型是如何选出的'
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadlab.presentation import section_markdown
from leadlab.i18n import N_, _, fmt, pgettext
from leadlab.safehtml import md, md_code, text as html_text
from leadlab.scoring import text
from leadlab.scoring.quality import of_meta

#: Section headings and explanations of both scorer reports (Markdown, no data).
SECTIONS: dict[str, tuple[str, str]] = {
    "paragraph": (N_("In one paragraph"), ""),
    "choice": (N_("How the model was chosen"), N_(
        "Two kinds of model compete on every training run: logistic regression (simple, exact reasons per lead, fast "
        "to score) and gradient boosting (finds interactions and thresholds by itself). Both learn from the older part "
        "of the training rows and are compared on the most recent part (a random part with `--split random`) by ROC "
        "AUC; the simpler model is kept unless boosting is better by more than the noise of that comparison. The "
        "winner is then refit on the whole training window and tested on the holdout below.")),
    "headline": (N_("Headline numbers"), N_(
        "How well the scores separate converting from non-converting leads on the held-out recent leads, with 95% "
        "bootstrap intervals, next to a simple baseline. **ROC AUC**: chance that a random converting lead scores above "
        "a random non-converting one (0.5 = coin flip). **Lift, top 10% of leads**: how many times the average "
        "conversion rate the best-scored 10% of leads convert at. **ECE**: average gap between predicted and observed "
        "conversion rates (lower is better; below 0.02 means scores can be read as probabilities).")),
    "honest": (N_("Are the scores honest and useful?"), N_(
        "Left: predicted vs observed conversion rate per tenth of the test leads; points on the dashed line mean the "
        "scores can be taken at face value. Middle: the share of all conversions found when calling leads from the "
        "best score down; the further above the diagonal, the more calls are saved. Right: conversion rate of each "
        "score decile relative to the average.")),
    "deciles": (N_("Decile table"), N_(
        "The test leads split into ten equal groups by score (1 = best). *Conversion rate* is the observed rate, "
        "*mean predicted* what the scores promised, *cumulative gain* the share of all conversions found by calling "
        "down to that group.")),
    "features": (N_("What the model may use — and what it refuses"), N_(
        "Columns known only after the outcome (lifecycle dates, revenue, or anything that alone predicts the outcome "
        "suspiciously well) would make the scores look great in testing and useless in practice; they are excluded "
        "automatically. Identifiers and personal data are never features.")),
    "drivers": (N_("What drives the scores"), N_(
        "Average size of each input's push on the score (in log-odds) over the test leads. Large bars are the factors "
        "reps will see most often as reasons.")),
    "train_drift": (N_("Did the data change between training and test?"), N_(
        "Population stability index (PSI) of each input and of the score between the training and test periods: "
        "below 0.1 stable, 0.1–0.25 a moderate shift (orange line), above 0.25 a major shift (red line). A model "
        "tested on shifted data performs worse; large shifts here explain a weak test result instead of hiding it.")),
    "saved": (N_("The saved model"), ""),
    "drift": (N_("Drift per input and for the score"), N_(
        "Population stability index (PSI) between the model's training window and the leads of the period: below 0.1 "
        "stable, 0.1–0.25 a moderate shift (orange line), 0.25 and above a major shift (red line) that usually calls "
        "for retraining. Right: how the period's scores spread over the score bands of the training leads; bars of "
        "equal height mean the lead mix is unchanged.")),
    "calibration": (N_("Do the scores still mean what they say?"), N_(
        "Predicted vs observed conversion rate for the most recent leads old enough to have an outcome. A large, "
        "significant gap means the scores no longer read as probabilities even when the ranking still works.")),
    "new_categories": (N_("New categories"), N_(
        "Values the model never saw in training (a new campaign, source or rep) are scored as \"other\"; many of them "
        "are a reason to retrain.")),
    "model": (N_("The model"), ""),
}


def section(key: str) -> str:
    """A section heading (``##``) and its explanation, as Markdown in the current language."""
    return section_markdown(SECTIONS, key)


def _box(title: str, problem: str, hint: str = "") -> str:
    """A warning box (HTML; every text escaped)."""
    from leadlab.presentation import warning_box

    return warning_box(title, problem, hint)


# -- scorer_training ---------------------------------------------------------------------------
def training_title(version: str | None) -> str:
    if version is None:
        return "# " + _("Lead scorer training — no model saved yet")
    return "# " + _("Lead scorer training — {version}", version=md(version))


def training_intro(meta: dict) -> str:
    return _("The saved lead scorer: a model that ranks leads by their chance to reach **{target}**, trained with "
             "`leadlab score train` on {data}. It learnt from {n_train} older rows, was tested on the {n_test} most "
             "recent ones ({split}) and was then refit on all {n_refit}. Scores run from 0 to 100 and are calibrated: "
             "a score of 30 means that about 30 in 100 such leads convert. This page only reads the model file and "
             "its card; it trains and saves nothing.", target=md(meta["target"]), data=md(text.source(meta["data"])),
             n_train=fmt.number(meta["n_train"]), n_test=fmt.number(meta["n_test"]),
             split=md(text.split_label(meta["split"])), n_refit=fmt.number(meta["n_refit"]))


def no_model_box(problem: str) -> str:
    return _box(_("No saved model to describe."), problem)


def no_model_text() -> str:
    return _("This report describes the lead scorer that is saved in the project: how it was chosen, how well it "
             "ranked recent leads it had never seen, what it may use and what drives it. It never trains a model "
             "itself, so running the reports cannot replace the model that `leadlab score apply` uses. To train and "
             "save one, run `leadlab score train` (it compares logistic regression with gradient boosting and keeps "
             "the better one), then `leadlab score apply` to score the leads, then run this report again. The tables "
             "below show where this store stands and what a training run would learn from.")


def notes_markdown(meta: dict) -> list[str]:
    return ["*" + _("Note: {note}", note=md(text.note(n))) + "*" for n in meta.get("notes", [])]


def fitness_markdown(meta: dict) -> str:
    q = of_meta(meta)
    parts = [md(_("This model is {fitness}. Baseline: {baseline}.", fitness=q.sentence(), baseline=q.baseline_note))]
    if not q.usable:
        parts.append(_("`leadlab score apply` and `leadlab score call-list` refuse it unless `--allow-weak-model` is "
                       "given."))
    return "**" + _("Fitness for use:") + "** " + text.sentences(parts)


def saved_model_markdown(meta: dict, file_name: str) -> str:
    bands = meta["bands"]
    return _("File {file} (version {version}, {kind}, trained {date}) with its model card beside it (`.card.md`, "
             "`.card.zh.md` and `.card.json`). Grades: **A** score ≥ {a}, **B** ≥ {b}, **C** ≥ {c}, **D** below. "
             "`leadlab score apply` writes scores, grades and priorities for every lead; the monitoring report checks "
             "the model against new leads; `leadlab score train` replaces it.", file=md_code(file_name),
             version=md_code(meta["model_version"]), kind=md(text.kind_label(meta["model_kind"])),
             date=fmt.date(meta["trained_at"]), a=fmt.number(bands["A"]), b=fmt.number(bands["B"]),
             c=fmt.number(bands["C"]))


def training_data(con, maturity_days: int = 30) -> pd.DataFrame:
    """What ``leadlab score train`` would learn from in the store, per target: the mature leads, how
    many reached it and the rate (facts; read-only). ``attrs``: ``as_of`` and ``immature``."""
    from leadlab.scoring.data import STORE_TARGETS, load_store_leads

    frame, _y, info = load_store_leads(con, target="sql", maturity_days=maturity_days)
    rows = []
    for target, col in STORE_TARGETS.items():
        if col in frame.columns:
            pos = int(frame[col].notna().sum())
            rows.append({"target": target, "mature_leads": len(frame), "reached": pos,
                         "rate": pos / len(frame) if len(frame) else np.nan})
    out = pd.DataFrame(rows, columns=["target", "mature_leads", "reached", "rate"])
    out.attrs["as_of"], out.attrs["immature"], out.attrs["maturity_days"] = info.as_of, info.n_immature, maturity_days
    return out


def training_data_display(data: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        pgettext("training data table", "Target"): data.target,
        pgettext("training data table", "Mature leads"): [fmt.number(v) for v in data.mature_leads],
        pgettext("training data table", "Reached it"): [fmt.number(v) for v in data.reached],
        pgettext("training data table", "Rate"): [fmt.percent(v) for v in data.rate],
    })


def training_data_caption(data: pd.DataFrame) -> str:
    return _("Leads old enough to have an outcome (created at least {days} days before {as_of}; {n} younger leads are "
             "left out):", days=fmt.number(data.attrs["maturity_days"]), as_of=fmt.date(data.attrs["as_of"]),
             n=fmt.number(data.attrs["immature"]))


def store_not_ready(problem: str) -> str:
    return "*" + md(_("The store cannot be used for training yet: {problem}.", problem=problem)) + "*"


def readiness(con, model_path) -> pd.DataFrame:
    """The steps from data to a call list and where this store stands on each (read-only, for people):
    a saved model, lead scores from it, and whether the model is fit for use."""
    from leadlab.errors import LeadlabError
    from leadlab.scoring.persist import load_model
    from leadlab.store import has_table

    step, command, status = (pgettext("readiness table", "Step"), pgettext("readiness table", "Command"),
                             pgettext("readiness table", "Status"))
    rows = []
    try:
        model = load_model(model_path)
        rows.append({step: _("train and save a model"), command: "leadlab score train",
                     status: _("done: {what}", what=model.version)})
    except LeadlabError as exc:
        model = None
        rows.append({step: _("train and save a model"), command: "leadlab score train",
                     status: _("not done: {why}", why=str(exc).splitlines()[0][:160])})
    n = 0
    versions: list[str] = []
    if has_table(con, "lead_scores"):
        t = con.table("lead_scores")
        n = int(t.count().to_pyarrow().as_py())
        versions = sorted(v for v in t.select("model_version").distinct().to_pyarrow()["model_version"].to_pylist() if v)
    rows.append({step: _("score the leads"), command: "leadlab score apply",
                 status: (_("done: {n} leads scored by {versions}", n=fmt.number(n), versions=text.listing(versions))
                          if n else _("not done: no lead scores in the store"))})
    if model is not None:
        q = of_meta(model.meta)
        rows.append({step: _("check the model is fit for use"), command: _("(automatic)"),
                     status: _("fit for use") if q.usable else _("flagged: {problems}", problems=text.problems(q.problems))})
    return pd.DataFrame(rows, columns=[step, command, status])


# -- scorer_monitoring -------------------------------------------------------------------------
def monitoring_title() -> str:
    return "# " + _("Lead scorer monitoring")


def no_monitoring_box(problem: str) -> str:
    hint = "" if "leadlab score train" in problem else _("Train and save a model first: `leadlab score train`.")
    return _box(_("No monitoring possible."), problem, hint)


def no_monitoring_text() -> str:
    return _("This report compares the saved lead scorer with the leads of a recent period: whether the mix of leads "
             "moved away from what the model was trained on, whether its scores still match the conversions that "
             "happened, and whether it is time to retrain. It needs a saved model (`leadlab score train`); scores for "
             "the call list come from `leadlab score apply`. Where this store stands:")


def nothing_to_check() -> str:
    return _("Nothing to check yet (see above).")


def monitor_paragraph(mon) -> str:
    reasons = md(_("; ").join(text.monitor_reason(r) for r in mon.reasons)) + md(_("."))
    return text.sentences([md(mon.headline()), f"**{md(text.recommendation(mon.action))}**", reasons])


def calibration_markdown(mon) -> str:
    c = mon.calibration
    if c is None or not c.leads:
        return _("No leads mature enough to check calibration yet.")
    note = f"*{md(text.calibration_note(c.note))}*" if c.note else ""
    return text.sentences([md(mon.calibration_sentence()), note])


def unseen_markdown(mon) -> str:
    if not mon.unseen:
        return _("No new categories in this period.")
    return "\n".join(f"- {md(line)}" for line in mon.unseen_lines())


def model_paragraph(model) -> str:
    m = model.meta
    return md(_("Version {version}, {kind}, trained {date} on {data} (test ROC AUC {auc}, lift in the top 10% of leads "
                "{lift}). The model card beside the model file lists its features, exclusions and library versions. "
                "This model is {fitness}.", version=model.version, kind=text.kind_label(m["model_kind"]),
                date=fmt.date(m["trained_at"]), data=text.source(m["data"]), auc=text.auc(m["metrics"]["roc_auc"]),
                lift=text.lift(m["metrics"]["lift_top_decile"]), fitness=of_meta(m).sentence()))


__all__ = ["SECTIONS", "calibration_markdown", "fitness_markdown", "model_paragraph", "monitor_paragraph",
           "monitoring_title", "no_model_box", "no_model_text", "no_monitoring_box", "no_monitoring_text",
           "notes_markdown", "nothing_to_check", "readiness", "saved_model_markdown", "section", "store_not_ready",
           "training_data", "training_data_caption", "training_data_display", "training_intro", "training_title",
           "unseen_markdown"]
