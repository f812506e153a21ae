"""Every sentence and label of the scorer, rendered from facts in the current language.

Results, model cards and errors of :mod:`leadlab.scoring` hold facts: numbers and small
dicts with a ``code`` (an exclusion reason, a note, a fitness problem, a monitoring reason,
how a validation fold was drawn). This module is the one place that turns them into words,
through :mod:`leadlab.i18n` (message catalog ``scoring.po``) and :mod:`leadlab.i18n.fmt`.

>>> from leadlab.i18n import use_lang
>>> r = {"code": "single_auc", "auc": 0.823, "threshold": 0.8}
>>> reason(r)
'suspiciously predictive on its own (single-feature AUC 0.823 ≥ threshold 0.80); probably known only after the outcome'
>>> with use_lang("zh"):
...     metric_label("lift_top_decile"), level_label("major")
('前10%线索提升度', '重大偏移')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from leadlab.i18n import N_, _, fmt, ngettext, translate

#: Holdout metrics in display order (ids of ``evaluate.metrics``).
METRICS = ("roc_auc", "pr_auc", "brier", "brier_skill", "log_loss", "ece", "ks", "lift_top_decile")

_METRIC_LABELS = {
    "roc_auc": N_("ROC AUC"),
    "pr_auc": N_("PR AUC"),
    "brier": N_("Brier score"),
    "brier_skill": N_("Brier skill score"),
    "log_loss": N_("Log loss"),
    "ece": N_("Calibration error (ECE)"),
    "ks": N_("KS statistic"),
    "lift_top_decile": N_("Lift, top 10% of leads"),
    "base_rate": N_("Base rate"),
}
_KINDS = {"logistic": N_("logistic regression"), "hgb": N_("gradient boosting")}
_SPLITS = {"time": N_("time split"), "random": N_("random split")}
_LEVELS = {"stable": N_("stable"), "moderate": N_("moderate shift"), "major": N_("major shift"), "n/a": N_("n/a")}
_ACTIONS = {"retrain": N_("retrain"), "watch": N_("watch"), "no action": N_("no action")}
_FEATURE_KINDS = {"numeric": N_("number"), "categorical": N_("category"), "boolean": N_("yes/no"),
                  "timestamp": N_("time (as hour, weekday, month)")}


def _pick(table: Mapping[str, str], code: object) -> str:
    """The translated label of ``code`` in ``table`` (an unknown code is shown as it is: data)."""
    return translate(table[code]) if code in table else str(code)


def metric_label(key: str) -> str:
    """The display name of a holdout metric id (``roc_auc`` → ``ROC AUC``)."""
    return _pick(_METRIC_LABELS, key)


def kind_label(kind: str) -> str:
    """``logistic`` → logistic regression / 逻辑回归; ``hgb`` → gradient boosting / 梯度提升."""
    return _pick(_KINDS, kind)


def split_label(split: str) -> str:
    return _pick(_SPLITS, split)


def level_label(level: str) -> str:
    """A PSI or calibration drift level (stable / moderate / major)."""
    return _pick(_LEVELS, level)


def action_label(action: str) -> str:
    return _pick(_ACTIONS, action)


def feature_kind_label(kind: str) -> str:
    return _pick(_FEATURE_KINDS, kind)


def baseline_label(feature: str) -> str:
    """The simple baseline that uses one column: ``source only`` / ``仅用 source``."""
    return _("{feature} only", feature=str(feature))


def auc(x: float) -> str:
    return fmt.number(x, 3)


def lift(x: float, digits: int = 1) -> str:
    return _("{lift}×", lift=fmt.number(x, digits))


def psi(x: float, digits: int = 2) -> str:
    return fmt.number(x, digits)


def sentences(parts: Iterable[str]) -> str:
    """Sentences joined into a paragraph: a space after Latin punctuation, none after the full-width
    punctuation that ends a Chinese sentence (a rule of the script, not of a language's grammar).

    >>> sentences(["好。", "再见。"]), sentences(["Fine.", "Bye."])
    ('好。再见。', 'Fine. Bye.')
    """
    return re.sub(r"(?<=[。！？；）])\s+", "", " ".join(p for p in parts if p))


def listing(items: Iterable[object]) -> str:
    """Items joined as a list in the current language (``a, b`` / ``a、b``)."""
    return _(", ").join(str(i) for i in items)


# -- why a column is not a feature (features.plan_features / leakage_guard) --------------------
def reason(r: Mapping | str) -> str:
    """Why a column was excluded, from its reason facts (``{"code": ..., ...}``)."""
    if isinstance(r, str):  # a reason written by an older model card
        return r
    code = r.get("code")
    if code == "not_included":
        return _("not in the include list")
    if code == "user":
        return _("excluded by the user")
    if code == "pii":
        return _("personal data (identifier, never a feature)")
    if code == "post_outcome":
        return _("known only after the outcome (lifecycle or deal column)")
    if code == "empty":
        return _("entirely empty")
    if code == "identifier":
        return _("identifier (a distinct value on most rows)")
    if code == "identifier_text":
        return _("identifier-like text (a distinct value on most rows)")
    if code == "constant":
        return _("constant (one value on every row)")
    if code == "after_time":
        return _("recorded after {time_col} on {share} of its rows (not known when the lead is scored)",
                 time_col=str(r["time_col"]), share=fmt.percent(r["share"], 0))
    if code == "outcome":
        return _("defines the target (the outcome itself)")
    if code == "after_outcome":
        return _("recorded at or after the outcome time on most converted leads")
    if code == "single_auc":
        return _("suspiciously predictive on its own (single-feature AUC {auc} ≥ threshold {threshold}); probably "
                 "known only after the outcome", auc=auc(r["auc"]), threshold=fmt.number(r["threshold"], 2))
    return str(code)


def reasons_lines(reasons: Mapping[str, object]) -> list[str]:
    """``column: reason`` lines (error details)."""
    return [f"{c}: {reason(r)}" for c, r in reasons.items()]


# -- notes on the data and the split ----------------------------------------------------------
def note(n: Mapping | str) -> str:
    """A note on the training data (rows left out, how the split was made)."""
    if isinstance(n, str):
        return n
    code = n.get("code")
    if code == "missing_target":
        return ngettext("{n} row without a value in {target} was excluded",
                        "{n} rows without a value in {target} were excluded", n["n"],
                        n=fmt.number(n["n"]), target=str(n["target"]))
    if code == "immature":
        return ngettext("{n} lead created after {cutoff} (less than {days} days before {as_of}) was left out: it has "
                        "not had time to reach {outcome}",
                        "{n} leads created after {cutoff} (less than {days} days before {as_of}) were left out: they "
                        "have not had time to reach {outcome}", n["n"],
                        n=fmt.number(n["n"]), cutoff=fmt.date(n["cutoff"]), days=fmt.number(n["maturity_days"]),
                        as_of=fmt.date(n["as_of"]), outcome=str(n["outcome"]))
    if code == "no_time_col":
        return _("no column {time_col}: the time split uses row order (oldest rows first)", time_col=str(n["time_col"]))
    if code == "row_order":
        return _("time split by row order (the last rows are the test set)")
    return str(code)


# -- model choice ------------------------------------------------------------------------------
def validation(v: Mapping) -> str:
    """Which training rows the candidates were compared on."""
    how, share = v.get("how"), fmt.percent(v.get("share", 0.2), 0)
    if how == "time":
        return _("the most recent {share} of the training rows by {time_col}", share=share, time_col=str(v["time_col"]))
    if how == "row_order":
        return _("the last {share} of the training rows (row order)", share=share)
    if how == "random":
        return _("a stratified random {share} of the training rows", share=share)
    if how == "random_single_class":
        return _("a stratified random {share} of the training rows (the most recent rows hold a single outcome)",
                 share=share)
    if how == "too_few":
        return _("too few rows of each outcome to compare candidates; {kind} used",
                 kind=kind_label(v.get("fallback", "logistic")))
    return str(how) if how else _("no comparison possible")


def choice(choice: Mapping | None) -> str:
    """One sentence on how the model kind was chosen (a result's or a card's ``model_choice``)."""
    if not choice:
        return _("not recorded")
    chosen = kind_label(choice["chosen"])
    if choice.get("requested") != "auto":
        return _("{kind} (set by the user; no comparison)", kind=chosen)
    cands, val = choice.get("candidates") or {}, choice.get("validation") or {}
    if not cands:
        return _("{kind}: {how}", kind=chosen, how=validation(val))
    scores = listing(_("{kind} {auc}", kind=kind_label(k), auc=auc(v["roc_auc"])) for k, v in cands.items())
    best = max(cands, key=lambda k: cands[k]["roc_auc"])
    se = val.get("se_difference")
    if choice["chosen"] != best:
        why = _("{best} scored higher, but by less than one standard error of the difference ({se}), so the "
                "simpler {kind} was kept", best=kind_label(best), se=auc(se), kind=chosen)
    elif se:
        why = _("it beat the simpler model by more than one standard error of the difference ({se})", se=auc(se))
    else:
        why = _("it had the higher score")
    if val.get("fit_sample_of"):
        return _("{kind}, chosen automatically: validation ROC AUC {scores} on {how} ({n_val} rows; candidates fit on a "
                 "random sample of {n_fit} of the other {n_pool} rows); {why}; the winner was then refit on the whole "
                 "training window", kind=chosen, scores=scores, how=validation(val),
                 n_val=fmt.number(val["n_validation"]), n_fit=fmt.number(val["n_fit"]),
                 n_pool=fmt.number(val["fit_sample_of"]), why=why)
    return _("{kind}, chosen automatically: validation ROC AUC {scores} on {how} ({n_val} rows; candidates fit on the "
             "other {n_fit} rows); {why}; the winner was then refit on the whole training window",
             kind=chosen, scores=scores, how=validation(val), n_val=fmt.number(val["n_validation"]),
             n_fit=fmt.number(val["n_fit"]), why=why)


# -- fitness for use (quality) ------------------------------------------------------------------
def problem(p: Mapping | str) -> str:
    """One reason a scorer is not fit for use."""
    if isinstance(p, str):
        return p
    code = p.get("code")
    if code == "auc":
        return _("holdout ROC AUC {auc} is not above {bar} (a random order of leads)",
                 auc=auc(p["auc"]), bar=fmt.number(p["bar"], 1))
    if code == "auc_ci":
        return _("the 95% interval of its holdout ROC AUC ({low}–{high}) includes {bar}: not shown to beat a random "
                 "order", low=auc(p["low"]), high=auc(p["high"]), bar=fmt.number(p["bar"], 1))
    if code == "lift":
        return _("the best-scored 10% of test leads convert at {lift} the average rate (not above 1: no better than "
                 "calling at random)", lift=lift(p["lift"], 2))
    if code == "baseline":
        return _("holdout ROC AUC {auc} does not beat the {name} baseline ({base})",
                 auc=auc(p["auc"]), name=baseline_label(p["name"]), base=auc(p["base"]))
    return str(code)


def problems(items: Iterable[Mapping | str]) -> str:
    return _("; ").join(problem(p) for p in items)


def baseline_note(status: str, name: str, base: float) -> str:
    """What the baseline is: the bar to beat, worse than random, or no better than random."""
    label, base_text = baseline_label(name), auc(base)
    if status == "bar":
        return _("the {name} baseline (ROC AUC {base}) is the bar to beat", name=label, base=base_text)
    if status == "worse than random":
        return _("the {name} baseline ranks worse than random on the test rows (ROC AUC {base} < 0.5: the pattern it "
                 "learnt reversed between training and test), so it is no bar to beat; the model is compared with a "
                 "random order instead", name=label, base=base_text)
    return _("the {name} baseline ranks no better than random (ROC AUC {base})", name=label, base=base_text)


def fitness(usable: bool, baseline_status: str, items: Iterable[Mapping | str] = ()) -> str:
    """``fit for use: …`` or ``NOT fit for use: …``."""
    if usable:
        if baseline_status == "bar":
            return _("fit for use: it beats a random order of leads and its baseline")
        return _("fit for use: it beats a random order of leads")
    return _("NOT fit for use: {problems}", problems=problems(items))


def refusal(version: str, items: Iterable[Mapping | str], action: str) -> str:
    """The one-line error of ``score apply`` / ``score call-list`` for a model not fit for use."""
    if action == "apply":
        return _("model {version} is not fit for use: {problems}; retrain it (`leadlab score train`, more data or "
                 "other features) or pass --allow-weak-model to score leads with it anyway",
                 version=version, problems=problems(items))
    if action == "call_list":
        return _("model {version} is not fit for use: {problems}; retrain it (`leadlab score train`, more data or "
                 "other features) or pass --allow-weak-model to build a call list from its scores anyway",
                 version=version, problems=problems(items))
    return _("model {version} is not fit for use: {problems}; retrain it (`leadlab score train`, more data or other "
             "features) or pass --allow-weak-model to use it anyway", version=version, problems=problems(items))


# -- the verdict on a trained model ------------------------------------------------------------
def calibration_sentence(ece: float) -> str:
    e = auc(ece)
    if ece > 0.05:
        return _("Scores are not well calibrated (ECE {ece}): read them as a ranking, not as probabilities.", ece=e)
    if ece > 0.02:
        return _("Scores are roughly calibrated (ECE {ece}): a score of 30 means roughly 30% convert; more data "
                 "would sharpen this.", ece=e)
    return _("Scores are calibrated (ECE {ece}): a score of 30 means about 30% convert.", ece=e)


def drift_sentence(features: list[str]) -> str:
    return _("Between the training and test periods {features} shifted majorly (PSI ≥ 0.25): expect the model to age "
             "quickly and retrain often.", features=listing(features))


# -- monitoring --------------------------------------------------------------------------------
def monitor_reason(r: Mapping | str) -> str:
    """One reason behind a retrain / watch / no-action recommendation."""
    if isinstance(r, str):
        return r
    code = r.get("code")
    if code == "major":
        if r["feature"] == "score":
            return _("the score shifted majorly (PSI {psi} ≥ {bar})", psi=psi(r["psi"]), bar=psi(r["bar"]))
        return _("{feature} shifted majorly (PSI {psi} ≥ {bar})", feature=str(r["feature"]), psi=psi(r["psi"]),
                 bar=psi(r["bar"]))
    if code == "moderate":
        if r["feature"] == "score":
            return _("the score shifted ({level}, PSI {psi})", level=level_label(r["level"]), psi=psi(r["psi"]))
        return _("{feature} shifted ({level}, PSI {psi})", feature=str(r["feature"]), level=level_label(r["level"]),
                 psi=psi(r["psi"]))
    if code == "calibration_major":
        return _("calibration drifted: observed {observed} vs predicted {predicted} ({window})",
                 observed=fmt.percent(r["observed"]), predicted=fmt.percent(r["predicted"]),
                 window=fmt.period_label(r["window"]))
    if code == "calibration_moderate":
        return _("calibration moved: observed {observed} vs predicted {predicted}",
                 observed=fmt.percent(r["observed"]), predicted=fmt.percent(r["predicted"]))
    if code == "stable":
        return _("every PSI below {bar} (largest {worst}) and calibration holds", bar=psi(r["bar"]),
                 worst=psi(r["worst"], 3))
    return str(code)


def recommendation(action: str) -> str:
    if action == "retrain":
        return _("Retrain the scorer now.")
    if action == "watch":
        return _("Keep using the scorer, but watch it.")
    return _("The scorer is stable: no action needed.")


def calibration_note(n: Mapping | str | None) -> str:
    if not n:
        return ""
    if isinstance(n, str):
        return n
    return _("{period} is too recent for outcomes (maturity {days} days before {as_of}); calibration is checked on "
             "{window} instead", period=fmt.period_label(n["period"]), days=fmt.number(n["maturity_days"]),
             as_of=fmt.date(n["as_of"]), window=fmt.period_label(n["window"]))


__all__ = ["METRICS", "action_label", "auc", "baseline_label", "baseline_note", "calibration_note",
           "calibration_sentence", "choice", "drift_sentence", "feature_kind_label", "fitness", "kind_label",
           "level_label", "lift", "listing", "metric_label", "monitor_reason", "note", "problem", "problems", "psi",
           "reason", "reasons_lines", "recommendation", "refusal", "sentences", "split_label", "validation"]


def missing_columns(source: str, missing: list[str], version: str | None = None) -> str:
    """The error for scoring data without some of the model's feature columns."""
    cols = listing(repr(c) for c in missing)
    if version is None:
        return ngettext("{source}: missing feature column {columns} that the model was trained on",
                        "{source}: missing feature columns {columns} that the model was trained on", len(missing),
                        source=str(source), columns=cols)
    return ngettext("{source}: missing feature column {columns} that model {version} was trained on",
                    "{source}: missing feature columns {columns} that model {version} was trained on", len(missing),
                    source=str(source), columns=cols, version=version)


def source(label: str) -> str:
    """A data source label (a file path is shown as it is; the store's leads table is translated)."""
    return translate(_SOURCES[label]) if label in _SOURCES else str(label)


_SOURCES = {"store table leads": N_("store table leads"), "data": N_("data"), "data frame": N_("data frame"),
            "scoring data": N_("scoring data")}


# -- the `leadlab score` command (its messages live here, in the scoring catalog) ----------------
def cli_target_required() -> str:
    return _("--target COL is required with --data FILE")


def cli_saved(version: str, path: str) -> str:
    return _("saved model {version} to {path}", version=version, path=path)


def cli_card(markdown: str, others: str) -> str:
    return _("model card: {markdown} (and {others})", markdown=markdown, others=others)


def cli_flagged() -> str:
    return _("this model is flagged: `score apply` and `score call-list` refuse it without --allow-weak-model")


def cli_store(url: str) -> str:
    return _("store: {url}", url=url)


def cli_capacity_columns(file: str, columns: list[str]) -> str:
    return _("{file}: needs columns rep_id and capacity; found {columns}", file=file, columns=listing(columns))


def cli_capacity_row(file: str, row: int) -> str:
    return _("{file}, row {row}, column capacity: must be a whole number of calls, 0 or more", file=file, row=str(row))


def _calls(n: int) -> str:
    return ngettext("{n} call", "{n} calls", n, n=fmt.number(n))


def _reps(n: int) -> str:
    return ngettext("{n} rep", "{n} reps", n, n=fmt.number(n))


def cli_wrote(calls: int, reps: int, file: str) -> str:
    return _("wrote {calls} for {reps} to {file}", calls=_calls(calls), reps=_reps(reps), file=file)


def cli_nothing_to_call(max_attempts: int) -> str:
    return _("no open leads to call: every scored lead is converted, lost, blocked or dialled {n} times already",
             n=fmt.number(max_attempts))


def cli_more(calls: int, reps: int) -> str:
    return _("... {calls} for {reps} (use --out FILE for the full list)", calls=_calls(calls), reps=_reps(reps))
