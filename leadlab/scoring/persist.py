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
from leadlab.i18n import _
from leadlab.scoring import text
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
        raise ConfigError(_("{parameter}: must name a model file inside data/models/ (e.g. "
                            "data/models/lead_scorer.skops)", parameter=parameter))
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
            raise DataError(text.missing_columns(text.source(source), missing, self.version))

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
        **result.card_facts(),  # the facts the card renders (one source with the training result)
        "format": FORMAT,
        "model_version": f"{result.model_kind}-{trained_at:%Y%m%d%H%M%S}-{digest}",
        "trained_at": trained_at.isoformat(),
        "outcome_time_col": result.target.outcome_time_col,
        "maturity_days": result.target.maturity_days,
        "as_of": result.target.as_of,
        "time_col": result.time_col,
        "n_refit": int(result.scorer.n_fit_ + result.scorer.n_calibration_),
        "bands": result.bands,
        "priority_cuts": result.priority_cuts,
        "reference": result.reference,
        "quality": result.quality.to_dict() if result.quality else None,
        "gains": result.gains.iloc[::5].to_dict(orient="list"),
        "importance_logodds": _importance(result),
        "versions": _versions(),
    }
    if data_label:
        meta["data"] = data_label
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
    """The model card's facts (``.card.json``) and its English Markdown (``.card.md``)."""
    path = Path(path)
    stem = path.with_suffix("")
    return stem.with_name(stem.name + ".card.json"), stem.with_name(stem.name + ".card.md")


def card_markdown_paths(path: Path) -> dict[str, Path]:
    """The model card's Markdown per language: ``.card.md`` (English) and ``.card.zh.md`` (Chinese)."""
    from leadlab.i18n import LANGS

    en = card_paths(path)[1]
    return {lang: en if lang == "en" else en.with_name(en.name[: -len(".md")] + f".{lang}.md") for lang in LANGS}


def card_markdown(meta: dict, lang: str | None = None) -> str:
    """The model card as Markdown, in ``lang`` (default: the current language)."""
    from leadlab.i18n import use_lang
    from leadlab.scoring.card import card_markdown as render

    if lang is None:
        return render(meta)
    with use_lang(lang):
        return render(meta)


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
    for lang, md_path in card_markdown_paths(path).items():
        _atomic_write(md_path, card_markdown(model.meta, lang).encode())
    return path


def read_header(path: str | Path) -> dict:
    """The ``leadlab.json`` entry of a model file (nothing is unpickled or constructed)."""
    path = Path(path)
    if not path.exists():
        raise ModelError(_("no model file at {path}; train one first: `leadlab score train`", path=str(path)))
    try:
        with zipfile.ZipFile(path) as zf:
            if META_ENTRY not in zf.namelist():
                raise ModelError(_("{path}: not a leadlab model file (no {entry} entry); refusing to load it",
                                   path=str(path), entry=META_ENTRY))
            return json.loads(zf.read(META_ENTRY))
    except (zipfile.BadZipFile, json.JSONDecodeError):
        raise ModelError(_("{path}: not a leadlab model file (not a skops archive); refusing to load it",
                           path=str(path))) from None


def load_model(path: str | Path | None = None) -> ScorerModel:
    """Load a model file, refusing other leadlab versions and untrusted types (ModelError)."""
    import skops.io as sio

    path = Path(path) if path else default_model_path()
    head = read_header(path)
    if head.get("format") != FORMAT:
        raise ModelError(_("{path}: model file format {found} is not the supported format {supported}; retrain with "
                           "`leadlab score train`", path=str(path), found=str(head.get("format")), supported=str(FORMAT)))
    if head.get("leadlab_version") != leadlab_version():
        raise ModelError(_("{path}: written by leadlab {found}, this is leadlab {current}; model files are only loaded "
                           "by the version that wrote them — retrain with `leadlab score train`", path=str(path),
                           found=str(head.get("leadlab_version")), current=leadlab_version()))
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise ModelError(_("{path}: cannot read the model file ({problem})", path=str(path),
                           problem=f"{type(exc).__name__}: {exc}")) from None
    unexpected = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unexpected:
        raise ModelError(
            _("{path}: refusing to load: the file contains types outside leadlab's trusted list ({types}); it was "
              "tampered with or not written by leadlab", path=str(path), types=", ".join(unexpected)),
            details=[_("untrusted type: {type}", type=t) for t in unexpected],
        )
    try:
        obj = sio.load(path, trusted=TRUSTED_TYPES)
    except Exception as exc:
        raise ModelError(_("{path}: cannot load the model ({problem})", path=str(path),
                           problem=f"{type(exc).__name__}: {str(exc)[:200]}")) from None
    if not isinstance(obj, dict) or "scorer" not in obj or "meta" not in obj:
        raise ModelError(_("{path}: not a leadlab model file (unexpected content)", path=str(path)))
    if obj.get("leadlab_version") != head.get("leadlab_version"):
        raise ModelError(_("{path}: the header and the content disagree about the leadlab version; the file was "
                           "tampered with", path=str(path)))
    from leadlab.scoring.model import LeadScorer

    if not isinstance(obj["scorer"], LeadScorer):
        raise ModelError(_("{path}: the file holds a {kind}, not a LeadScorer", path=str(path),
                           kind=type(obj["scorer"]).__name__))
    return ScorerModel(obj["scorer"], json.loads(obj["meta"]))
