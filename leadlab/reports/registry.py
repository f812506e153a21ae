"""Which notebooks ``leadlab report all`` runs, in which order, with which parameters.

Each :class:`ReportSpec` names a notebook of ``notebooks/``, its page title, which
parameter names the published file (``period`` → ``reports/kpi_report/2026-10.html``),
how ``report all`` fills its parameters, and the fixed parameters the CI test uses.
Notebooks missing from ``notebooks/`` are skipped with a note; notebooks in
``notebooks/`` that are not registered still run with ``leadlab report NAME``.

>>> [s.name for s in REGISTRY]
['data_overview', 'kpi_report', 'experiment_report', 'scorer_training', 'scorer_monitoring', 'qa_report', 'incentives_report']
>>> get_spec("kpi_report").title
'KPI report'
>>> get_spec("my_adhoc_notebook").title
'My adhoc notebook'

Titles, descriptions and parameter names are English message ids, shown translated
(:func:`leadlab.i18n.translate`):

>>> from leadlab.i18n import translate, use_lang
>>> with use_lang("zh"):
...     translate(get_spec("kpi_report").title), parameter_name("team"), parameter_name("my_param")
('关键指标报告', '团队', 'my param')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leadlab.i18n import N_, translate

#: The period the CI tests use: a complete month inside every synthetic store (data ends 2026-11-20).
CI_PERIOD = "2026-10"
#: The experiment the CI test uses for experiment_report.
CI_EXPERIMENT = "EXP-LEAD-SCRIPT"


@dataclass(frozen=True)
class ReportSpec:
    """How one notebook is run as a report.

    - ``label_param``: the parameter whose value names the published file (``None``: the
      run label is ``as-of-<date of latest store activity>``).
    - ``all_mode``: how ``report all`` runs it: ``"period"`` (once, with the period),
      ``"per_experiment"`` (once per ``experiments.experiment_id``), ``"defaults"`` (once,
      notebook defaults).
    - ``ci_parameters``: parameters for ``tests/test_notebooks.py`` and the CI nbval run.
    """

    name: str
    title: str
    description: str = ""
    label_param: str | None = "period"
    all_mode: str = "period"
    ci_parameters: dict[str, Any] = field(default_factory=dict)


REGISTRY: tuple[ReportSpec, ...] = (
    ReportSpec(
        "data_overview", N_("Data overview"),
        N_("What is in the store, whether it is sound, and the funnel and call volume of the period."),
        ci_parameters={"period": CI_PERIOD},
    ),
    ReportSpec(
        "kpi_report", N_("KPI report"),
        N_("Funnel KPIs against targets, pacing, team and rep scorecards for the period."),
        ci_parameters={"period": CI_PERIOD},
    ),
    ReportSpec(
        "experiment_report", N_("Experiment report"),
        N_("Result of one call-script A/B test: effect per metric with confidence intervals and a verdict."),
        label_param="experiment_id", all_mode="per_experiment",
        ci_parameters={"experiment_id": CI_EXPERIMENT},
    ),
    ReportSpec(
        "scorer_training", N_("Lead scorer training"),
        N_("Training and validation of the lead-quality scorer: discrimination, calibration, lift."),
        label_param=None, all_mode="defaults",
    ),
    ReportSpec(
        "scorer_monitoring", N_("Lead scorer monitoring"),
        N_("How the deployed lead scorer performs and drifts in the period."),
        ci_parameters={"period": CI_PERIOD},
    ),
    ReportSpec(
        "qa_report", N_("Call-quality review"),
        N_("QA scores per rep with intervals, reviewer agreement and reviewer calibration for the calls of the period."),
        ci_parameters={"period": CI_PERIOD},
    ),
    ReportSpec(
        "incentives_report", N_("Incentives"),
        N_("Payouts of the incentive plan with the rule behind each amount, and how much of the payouts is luck."),
        ci_parameters={"period": CI_PERIOD, "periods": 2},
    ),
)
_BY_NAME = {s.name: s for s in REGISTRY}

#: Parameters that name a file, and the folder (relative to the project root) the file must
#: stay in; relative values are read from the project root, as the kernel does.
PATH_PARAMETERS: dict[str, str] = {"model_path": "data/models", "targets_path": "data", "data_source": "data",
                                   "form_path": "data", "plan_path": "data"}
#: Values of a path parameter that are keywords, not files.
PATH_KEYWORDS: dict[str, frozenset[str]] = {"data_source": frozenset({"store"})}


#: How the report header and the index name the notebooks' parameters (others: name with spaces).
PARAMETER_NAMES: dict[str, str] = {
    "period": N_("period"),
    "team": N_("team"),
    "compare_to": N_("compare to"),
    "targets_path": N_("targets file"),
    "weights": N_("scorecard weights"),
    "experiment_id": N_("experiment"),
    "metrics": N_("metrics"),
    "alpha": N_("significance level"),
    "as_of": N_("as of"),
    "model_path": N_("model file"),
    "lang": N_("language"),
    "form_path": N_("QA form file"),
    "plan_path": N_("incentive plan file"),
    "periods": N_("periods"),
}


def parameter_name(name: str) -> str:
    """A parameter's name for readers, in the current language."""
    return translate(PARAMETER_NAMES[name]) if name in PARAMETER_NAMES else name.replace("_", " ")


def get_spec(name: str) -> ReportSpec:
    """The registered spec of ``name``; an unregistered notebook gets a default spec
    (title from its name, labelled by ``period`` when it has one)."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    return ReportSpec(name, name.replace("_", " ").strip().capitalize(), all_mode="none")


def is_registered(name: str) -> bool:
    return name in _BY_NAME


__all__ = ["CI_EXPERIMENT", "CI_PERIOD", "PARAMETER_NAMES", "PATH_KEYWORDS", "PATH_PARAMETERS", "REGISTRY", "ReportSpec",
           "get_spec", "is_registered", "parameter_name"]
