"""Where things live. Every default path comes from here.

The project root is ``$LEADLAB_HOME`` when set, otherwise the current directory.

>>> from leadlab.paths import project_root
>>> project_root().is_dir()
True
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The folder holding ``data/``, ``notebooks/`` and ``reports/``.

    ``$LEADLAB_HOME`` when set; else the nearest of the current folder and its
    parents that holds ``data/leadlab.duckdb`` or a leadlab ``pyproject.toml``
    (so a notebook running in ``notebooks/`` finds the project's store); else the
    current folder.
    """
    if os.environ.get("LEADLAB_HOME"):
        return Path(os.environ["LEADLAB_HOME"]).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "data" / "leadlab.duckdb").exists():
            return folder
        pyproject = folder / "pyproject.toml"
        if pyproject.exists() and 'name = "leadlab"' in pyproject.read_text(errors="ignore"):
            return folder
    return here


def data_dir() -> Path:
    return project_root() / "data"


def default_db_path() -> Path:
    return data_dir() / "leadlab.duckdb"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def reports_dir() -> Path:
    return project_root() / "reports"


def build_dir() -> Path:
    return project_root() / "build"


def ground_truth_path() -> Path:
    return data_dir() / "ground_truth.json"


def models_dir() -> Path:
    return data_dir() / "models"
