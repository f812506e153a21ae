"""The environment files stay in step, and notebooks are committed stripped."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_deps() -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = list(meta["dependencies"])
    for extra in meta.get("optional-dependencies", {}).values():
        deps += extra
    return {d.replace(" ", "") for d in deps}


def _environment_pip_deps() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pips = [d for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert pips, "environment.yml has no pip section"
    return {d.replace(" ", "") for d in pips[0]["pip"]}


def test_environment_yml_matches_pyproject():
    py, env = _pyproject_deps(), _environment_pip_deps()
    assert py == env, f"only in pyproject.toml: {sorted(py - env)}; only in environment.yml: {sorted(env - py)}"


def test_every_dependency_is_pinned():
    unpinned = [d for d in _pyproject_deps() if "==" not in d]
    assert not unpinned, f"unpinned dependencies: {unpinned}"


def test_environment_pins_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    assert any(isinstance(d, str) and d.startswith("python=") for d in env["dependencies"])


def test_lock_agrees_with_pins():
    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line:
            name, ver = line.split("==")
            lock[name.lower().replace("_", "-")] = ver
    for dep in _pyproject_deps():
        name, ver = dep.split("==")
        name = name.split("[")[0].lower().replace("_", "-")
        assert lock.get(name) == ver, f"{name}: pyproject pins {ver}, requirements.lock has {lock.get(name)}"


def test_notebooks_are_committed_without_outputs():
    dirty = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
                dirty.append(path.name)
                break
    assert not dirty, f"notebooks with outputs (strip them before committing): {dirty}"


def test_data_model_doc_is_current():
    from leadlab.schema import to_markdown

    doc = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert doc.strip() == to_markdown().strip(), "docs/data-model.md is stale: python -m leadlab.schema > docs/data-model.md"
