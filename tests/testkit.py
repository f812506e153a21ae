"""Small helpers shared by test modules (import with ``from testkit import ...``)."""

from __future__ import annotations

import shutil
from pathlib import Path

#: the pseudonymization key the ingest tests use (never a real one)
PII_KEY = "test-key-not-secret"


def private_copy(store, tmp_path_factory, name: str) -> tuple[str, Path, Path]:
    """A private copy of a session store for a test module that writes to it: ``(url, db, folder)``."""
    folder = tmp_path_factory.mktemp(name)
    db = folder / "leadlab.duckdb"
    shutil.copy(store.path, db)
    return f"duckdb://{db}", db, folder


def run_cli(args: list[str]) -> int:
    """Run the leadlab CLI in-process; the exit code (0 when it returns normally)."""
    from leadlab.cli import main

    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def run_captured(args: list, capsys) -> tuple[int, str, str]:
    """Run ``leadlab ARGS`` in-process through ``main()``: ``(exit code, stdout, stderr)``."""
    code = run_cli([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err
