"""Safe model files: skops (never pickle/joblib), an explicit trusted-type list, version
checks and a model card (JSON + Markdown) beside the model.

A model file ``lead_scorer.skops`` is a skops zip holding the fitted :class:`LeadScorer`
and the model's metadata, plus a ``leadlab.json`` entry read *before* anything is loaded:
a file written by another leadlab version (or another file format) is refused, and so is
a file whose objects include any type outside :data:`TRUSTED_TYPES`.

>>> from leadlab.scoring.persist import TRUSTED_TYPES
>>> "leadlab.scoring.model.LeadScorer" in TRUSTED_TYPES
True
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from leadlab.errors import DataError, ModelError
from leadlab.paths import models_dir
from leadlab.scoring.grades import grade, priority

FORMAT = 1
META_ENTRY = "leadlab.json"

#: The only non-default types a leadlab model file may contain (skops trusts plain
#: numpy/sklearn containers by itself). Anything else makes :func:`load_model` refuse the file.
TRUSTED_TYPES: list[str] = [
    "leadlab.scoring.model.LeadScorer",
    "leadlab.scoring.features.FeatureFrame",
    "leadlab.scoring.model.signed_log1p",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.utils.validation.check_array",
    "functools.partial",
    "numpy.dtype",
]


def leadlab_version() -> str:
    from leadlab import __version__

    return __version__


def default_model_path() -> Path:
    return models_dir() / "lead_scorer.skops"


def model_file(name: str | Path | None, *, parameter: str = "model_path") -> Path:
    """The model file a report parameter names, confined to ``data/models/``: empty means the
    default model; a relative value is read from the project root (as the report runner checks
    it); anything resolving outside ``data/models/`` (``..``, an absolute path elsewhere, a symlink
    out) is refused with a :class:`~leadlab.errors.ConfigError`.

    >>> model_file("").name
    'lead_scorer.skops'
    >>> model_file("data/leadlab.duckdb")
    Traceback (most recent call last):
    ...
    leadlab.errors.ConfigError: model_path: must name a model file inside data/models/ (e.g. data/models/lead_scorer.skops)
    """
    from leadlab.errors import ConfigError
    from leadlab.paths import project_root

    if name is None or str(name).strip() == "":
        return default_model_path()
    folder = models_dir().resolve()
    path = (project_root() / str(name)).resolve()
    if not path.is_relative_to(folder) or path == folder:
        raise ConfigError(f"{parameter}: must name a model file inside data/models/ (e.g. data/models/lead_scorer.skops)")
    return path


def _versions() -> dict[str, str]:
    import duckdb
    import sklearn
    import skops

    return {"python": platform.python_version(), "leadlab": leadlab_version(), "scikit-learn": sklearn.__version__,
            "skops": skops.__version__, "numpy": np.__version__, "pandas": pd.__version__, "duckdb": duckdb.__version__}


@dataclass
class ScorerModel:
    """A fitted scorer plus what it needs in use: version id, grade bands, priority cuts,
    reference profiles for monitoring, and the model card."""

    scorer: object
    meta: dict = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.meta["model_version"]

    @property
    def features(self) -> list[str]:
        return list(self.scorer.features_.input_columns_)

    @property
    def input_columns(self) -> list[str]:
        cols = self.features
        tc = self.meta.get("time_col")
        return cols + ([tc] if tc and tc not in cols else [])

    def check_columns(self, frame: pd.DataFrame, source: str = "scoring data") -> None:
        missing = [c for c in self.features if c not in frame.columns]
        if missing:
            raise DataError(
                f"{source}: missing feature column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(map(repr, missing))} that model {self.version} was trained on"
            )

    def score(self, frame: pd.DataFrame, source: str = "scoring data") -> pd.DataFrame:
        """Scores 0–100, grades and priorities for ``frame`` (same index)."""
        self.check_columns(frame, source)
        cols = [c for c in self.input_columns if c in frame.columns]
        s = self.scorer.score_0_100(frame[cols])
        return pd.DataFrame({"score": s, "grade": grade(s, self.meta["bands"]),
                             "priority": priority(s, self.meta["priority_cuts"])}, index=frame.index)

    def unseen_counts(self, frame: pd.DataFrame) -> dict[str, int]:
        return self.scorer.features_.unseen_counts(frame)

    def card_markdown(self) -> str:
        return card_markdown(self.meta)


def from_training(result, *, data_label: str = "") -> ScorerModel:
    """Wrap a :class:`~leadlab.scoring.train.TrainingResult` for saving and use."""
    trained_at = datetime.now(timezone.utc).replace(microsecond=0)
    digest = hashlib.sha1(json.dumps(result.to_dict(), sort_keys=True, default=str).encode()).hexdigest()[:8]
    meta = {
        "format": FORMAT,
        "model_version": f"{result.model_kind}-{trained_at:%Y%m%d%H%M%S}-{digest}",
        "trained_at": trained_at.isoformat(),
        "model_kind": result.model_kind,
        "data": data_label or result.target.source,
        "target": result.target.name,
        "outcome_time_col": result.target.outcome_time_col,
        "maturity_days": result.target.maturity_days,
        "as_of": result.target.as_of,
        "time_col": result.time_col,
        "split": result.split,
        "holdout_share": result.holdout_share,
        "train_window": result.train_window,
        "test_window": result.test_window,
        "n_train": result.n_train,
        "n_test": result.n_test,
        "n_refit": int(result.scorer.n_fit_ + result.scorer.n_calibration_),
        "features": result.plan.to_dict(),
        "excluded": result.plan.excluded,
        "excluded_leakage": result.plan.leakage,
        "metrics": result.metrics,
        "ci95": {k: list(v) for k, v in result.ci.items()},
        "baseline": {"name": result.baseline_name, **result.baseline},
        "drift_train_test": {r.feature: r.psi for r in result.drift.itertuples()},
        "bands": result.bands,
        "priority_cuts": result.priority_cuts,
        "reference": result.reference,
        "notes": result.target.notes + result.notes,
        "model_choice": result.model_choice,
        "quality": result.quality.to_dict() if result.quality else None,
        "deciles": result.deciles.to_dict(orient="records"),
        "calibration_curve": result.calibration.to_dict(orient="records"),
        "gains": result.gains.iloc[::5].to_dict(orient="list"),
        "importance_logodds": _importance(result),
        "versions": _versions(),
    }
    # monitoring reads the inputs by influence (most influential first) to weigh drift
    meta["importance"] = [r["feature"] for r in meta["importance_logodds"]]
    return ScorerModel(result.scorer, json.loads(json.dumps(meta, default=_jsonable)))


def _importance(result) -> list[dict]:
    """Mean absolute contribution per input on the test leads (empty when it cannot be computed)."""
    try:
        return result.importance().to_dict(orient="records")
    except (ValueError, KeyError, AttributeError):  # pragma: no cover - a model without reasons
        return []


def _jsonable(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def card_paths(path: Path) -> tuple[Path, Path]:
    path = Path(path)
    stem = path.with_suffix("")
    return stem.with_name(stem.name + ".card.json"), stem.with_name(stem.name + ".card.md")


def card_markdown(meta: dict) -> str:
    """The model card as Markdown."""
    m, b = meta["metrics"], meta["baseline"]
    ci = meta.get("ci95", {})
    lines = [
        f"# Model card: lead scorer `{meta['model_version']}`", "",
        f"- Model: {meta['model_kind']} (calibrated), trained {meta['trained_at']} with leadlab {meta['versions']['leadlab']}",
        f"- Data: {meta['data']}; target `{meta['target']}`"
        + (f" (reached `{meta['outcome_time_col']}`)" if meta.get("outcome_time_col") else ""),
        f"- Evaluation: {meta['split']} split, holdout {meta['holdout_share']:.0%}: {meta['n_train']:,} training rows, {meta['n_test']:,} test rows",
    ]
    if meta.get("train_window"):
        lines.append(f"- Data window: training {meta['train_window'][0]} – {meta['train_window'][1]}, "
                     f"test {meta['test_window'][0]} – {meta['test_window'][1]}")
    if meta.get("maturity_days") is not None:
        lines.append(f"- Maturity: leads younger than {meta['maturity_days']} days at {meta['as_of']} were left out")
    lines.append(f"- The model in the file was refit on all {meta['n_refit']:,} rows after evaluation")
    for note in meta.get("notes", []):
        lines.append(f"- Note: {note}")
    f = meta["features"]
    lines += ["", "## Features used", ""]
    for kind in ("numeric", "categorical", "boolean", "timestamp"):
        if f[kind]:
            extra = " (as hour, weekday, month)" if kind == "timestamp" else ""
            lines.append(f"- {kind}{extra}: " + ", ".join(f"`{c}`" for c in f[kind]))
    lines += ["", "## Features excluded", "", "| column | why |", "|---|---|"]
    for c, r in meta["excluded"].items():
        lines.append(f"| `{c}` | {'**leakage**: ' if c in meta['excluded_leakage'] else ''}{r} |")
    lines += ["", "## Holdout metrics", "", "| metric | model | 95% CI | baseline |", "|---|---|---|---|"]
    for k in ("roc_auc", "pr_auc", "brier", "brier_skill", "log_loss", "ece", "ks", "lift_top_decile"):
        c = ci.get(k)
        lines.append(f"| {k} | {m[k]:.3f} | {f'{c[0]:.3f}–{c[1]:.3f}' if c else ''} | {b.get(k, float('nan')):.3f} |")
    lines.append(f"\nBaseline: {b['name']}.")
    from leadlab.scoring.quality import of_meta
    from leadlab.scoring.train import choice_sentence

    q = of_meta(meta)
    lines += ["", "## Model choice", "", choice_sentence(meta.get("model_choice") or {}) + "."]
    cands = (meta.get("model_choice") or {}).get("candidates") or {}
    if cands:
        lines += ["", "| candidate | validation ROC AUC | chosen |", "|---|---|---|"]
        for k, v in cands.items():
            lines.append(f"| {k} | {v['roc_auc']:.3f} | {'yes' if k == meta['model_kind'] else ''} |")
    lines += ["", "## Fitness for use", "", f"This model is {q.sentence()}.", "", f"Baseline: {q.baseline_note}."]
    if not q.usable:
        lines.append("`leadlab score apply` and `leadlab score call-list` refuse it unless `--allow-weak-model` is given.")
    bands = meta["bands"]
    lines += ["", "## Grades", "",
              f"A: score ≥ {bands['A']:.1f}; B: ≥ {bands['B']:.1f}; C: ≥ {bands['C']:.1f}; D: below. "
              f"Priority quartile cut points (training scores): {', '.join(f'{v:.1f}' for v in meta['priority_cuts'])}."]
    lines += ["", "## Library versions", "", ", ".join(f"{k} {v}" for k, v in meta["versions"].items()), ""]
    return "\n".join(lines)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def save_model(model: ScorerModel, path: str | Path | None = None) -> Path:
    """Write the skops file and its model card (``.card.json`` and ``.card.md``) atomically."""
    import skops.io as sio

    path = Path(path) if path else default_model_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    meta_json = json.dumps(model.meta, indent=1, default=_jsonable)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".skops")
    os.close(fd)
    try:
        sio.dump({"format": FORMAT, "leadlab_version": leadlab_version(), "scorer": model.scorer, "meta": meta_json}, tmp)
        with zipfile.ZipFile(tmp, "a") as zf:
            zf.writestr(META_ENTRY, json.dumps({"format": FORMAT, "leadlab_version": leadlab_version(),
                                                "model_version": model.meta["model_version"]}))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    card_json, card_md = card_paths(path)
    card = {k: v for k, v in model.meta.items() if k != "reference"}
    _atomic_write(card_json, json.dumps(card, indent=1, default=_jsonable).encode())
    _atomic_write(card_md, card_markdown(model.meta).encode())
    return path


def read_header(path: str | Path) -> dict:
    """The ``leadlab.json`` entry of a model file (nothing is unpickled or constructed)."""
    path = Path(path)
    if not path.exists():
        raise ModelError(f"no model file at {path}; train one first: `leadlab score train`")
    try:
        with zipfile.ZipFile(path) as zf:
            if META_ENTRY not in zf.namelist():
                raise ModelError(f"{path}: not a leadlab model file (no {META_ENTRY} entry); refusing to load it")
            return json.loads(zf.read(META_ENTRY))
    except (zipfile.BadZipFile, json.JSONDecodeError):
        raise ModelError(f"{path}: not a leadlab model file (not a skops archive); refusing to load it") from None


def load_model(path: str | Path | None = None) -> ScorerModel:
    """Load a model file, refusing other leadlab versions and untrusted types (ModelError)."""
    import skops.io as sio

    path = Path(path) if path else default_model_path()
    head = read_header(path)
    if head.get("format") != FORMAT:
        raise ModelError(f"{path}: model file format {head.get('format')} is not the supported format {FORMAT}; retrain with `leadlab score train`")
    if head.get("leadlab_version") != leadlab_version():
        raise ModelError(
            f"{path}: written by leadlab {head.get('leadlab_version')}, this is leadlab {leadlab_version()}; "
            "model files are only loaded by the version that wrote them — retrain with `leadlab score train`"
        )
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise ModelError(f"{path}: cannot read the model file ({type(exc).__name__}: {exc})") from None
    unexpected = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unexpected:
        raise ModelError(
            f"{path}: refusing to load: the file contains types outside leadlab's trusted list "
            f"({', '.join(unexpected)}); it was tampered with or not written by leadlab",
            details=[f"untrusted type: {t}" for t in unexpected],
        )
    try:
        obj = sio.load(path, trusted=TRUSTED_TYPES)
    except Exception as exc:
        raise ModelError(f"{path}: cannot load the model ({type(exc).__name__}: {str(exc)[:200]})") from None
    if not isinstance(obj, dict) or "scorer" not in obj or "meta" not in obj:
        raise ModelError(f"{path}: not a leadlab model file (unexpected content)")
    if obj.get("leadlab_version") != head.get("leadlab_version"):
        raise ModelError(f"{path}: the header and the content disagree about the leadlab version; the file was tampered with")
    from leadlab.scoring.model import LeadScorer

    if not isinstance(obj["scorer"], LeadScorer):
        raise ModelError(f"{path}: the file holds a {type(obj['scorer']).__name__}, not a LeadScorer")
    return ScorerModel(obj["scorer"], json.loads(obj["meta"]))
