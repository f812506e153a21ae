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


EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples"

#: The example CRM exports and their presets, in the order a store is loaded.
CRM_EXAMPLES = {"reps": ("reps_zh.csv", "crm_reps_zh"), "leads": ("crm_leads_zh.csv", "crm_leads_zh"),
                "lead_stages": ("crm_followups_zh.csv", "crm_followups_zh")}


def crm_store(path: Path, tables: tuple[str, ...], key: bytes) -> Path:
    """A DuckDB store at ``path`` with the example CRM exports of ``tables`` ingested (PII key ``key``)."""
    from leadlab.ingest import ingest_file

    for name in tables:
        file, preset = CRM_EXAMPLES[name]
        ingest_file(name, EXAMPLES / file, preset=preset, url=f"duckdb://{path}", pii_key=key)
    return path
