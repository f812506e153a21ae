"""Docstring examples of every leadlab module run in ``make test`` (``--doctest-modules leadlab``).

They run in English, in a throw-away project (``$LEADLAB_HOME``) holding a small seeded
demo store (2,000 leads, seed 11, built once per session), so an example can say
``leadlab.connect()`` and get data — tea-tasting's ``make_users_data`` habit. The
doctest namespace also offers ``store_url`` (that store's URL), ``leadlab``, ``np`` and
``pd``. No connection is held open between examples (DuckDB refuses a second connection
with another read-only setting in the same process).
"""

from __future__ import annotations

import sys

import pytest

#: Modules whose import has side effects (running the CLI).
collect_ignore = ["leadlab/cli/__main__.py"]

#: The longest test files (CPU seconds, a few of them waiting on a JVM or a server), longest
#: first. ``make test`` hands out whole files (``--dist loadfile --no-loadscope-reorder``: in
#: this order, not by test count); starting these first, and ending with the docstring examples
#: of leadlab (many small files), keeps the run from ending with one worker alone on a long
#: file while the other core idles.
LONGEST_FIRST = (
    "tests/test_backends_spark.py",
    "tests/test_hostile_reports.py",
    "tests/test_notebooks.py",
    "tests/test_scoring_model.py",
    "tests/test_synth.py",
    "tests/test_scoring_reports.py",
    "tests/test_ingest.py",
    "tests/test_hostile_ingest.py",
    "tests/test_kpi_synthetic.py",
    "tests/test_backends.py",
    "tests/test_scoring_store.py",
    "tests/test_scoring_bank.py",
)

DOCTEST_LEADS = 2000
DOCTEST_SEED = 11


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The LONGEST_FIRST files first, the docstring examples last; otherwise the collected order (stable sort)."""
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}

    def place(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return rank.get(path, len(rank) + path.startswith("leadlab/"))

    items.sort(key=place)


@pytest.fixture(scope="session")
def doctest_project(tmp_path_factory):
    """A project folder with ``data/leadlab.duckdb`` (seeded synthetic store) and its ground truth."""
    from leadlab.synth import synthesize

    root = tmp_path_factory.mktemp("doctest_project")
    data = root / "data"
    data.mkdir()
    synthesize(n_leads=DOCTEST_LEADS, seed=DOCTEST_SEED, url=f"duckdb://{data / 'leadlab.duckdb'}", truth_dir=data,
               progress=False)
    return root


@pytest.fixture(autouse=True)
def _doctest_environment(request, monkeypatch):
    """For doctest items only: the demo project as ``$LEADLAB_HOME``, English, no store override."""
    if not isinstance(request.node, pytest.DoctestItem):
        yield
        return
    root = request.getfixturevalue("doctest_project")
    monkeypatch.setenv("LEADLAB_HOME", str(root))
    monkeypatch.setenv("LEADLAB_LANG", "en")
    monkeypatch.delenv("LEADLAB_DB", raising=False)
    monkeypatch.chdir(root)
    import matplotlib

    from leadlab.i18n import set_lang

    set_lang(None)
    with matplotlib.rc_context():  # an example calling plots.apply_style() must not restyle later tests
        yield
    set_lang(None)
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture(autouse=True)
def _doctest_namespace(request):
    """``store_url``, ``np``, ``pd`` and ``leadlab`` in every docstring example."""
    if not isinstance(request.node, pytest.DoctestItem):
        yield
        return
    import numpy as np
    import pandas as pd

    import leadlab

    root = request.getfixturevalue("doctest_project")
    ns = request.getfixturevalue("doctest_namespace")
    ns.update(store_url=f"duckdb://{root / 'data' / 'leadlab.duckdb'}", np=np, pd=pd, leadlab=leadlab)
    yield
