"""Core pieces: periods, store connection, errors and the CLI shell."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

import leadlab
from leadlab import schema, store
from leadlab.errors import ConfigError, StoreError
from leadlab.periods import parse_period


@pytest.mark.parametrize(
    "text,start,end,label",
    [
        ("2026-10", "2026-10-01", "2026-11-01", "2026-10"),
        ("2026-W46", "2026-11-09", "2026-11-16", "2026-W46"),
        ("2026-Q4", "2026-10-01", "2027-01-01", "2026-Q4"),
        ("2026", "2026-01-01", "2027-01-01", "2026"),
        ("2026-02-28", "2026-02-28", "2026-03-01", "2026-02-28"),
    ],
)
def test_parse_period(text, start, end, label):
    p = parse_period(text)
    assert (p.start, p.end, p.label) == (pd.Timestamp(start), pd.Timestamp(end), label)


def test_relative_periods_are_latest_complete():
    as_of = "2026-11-20 09:00"  # a Friday
    assert parse_period("last-month", as_of=as_of).label == "2026-10"
    assert parse_period("last-week", as_of=as_of).label == "2026-W46"
    assert parse_period("last-quarter", as_of=as_of).label == "2026-Q3"
    # on the first day of a month the month just ended is the latest complete one
    assert parse_period("last-month", as_of="2026-11-01 00:00").label == "2026-10"


def test_previous_and_same_last_year():
    assert parse_period("2026-01").previous().label == "2025-12"
    assert parse_period("2026-Q1").previous().label == "2025-Q4"
    assert parse_period("2026-W01").previous().label == "2025-W52"
    assert parse_period("2026-W46").same_last_year().label == "2025-W46"
    assert parse_period("2026-Q4").same_last_year().label == "2025-Q4"


def test_elapsed_share():
    p = parse_period("2026-11")
    assert p.elapsed_share("2026-11-16") == pytest.approx(15 / 30)
    assert p.elapsed_share("2027-01-01") == 1.0
    assert p.elapsed_share("2026-01-01") == 0.0


@pytest.mark.parametrize("bad", ["2026-13", "2026-W60", "Q4-2026", "last-decade", ""])
def test_malformed_period_names_the_parameter_and_formats(bad):
    with pytest.raises(ConfigError) as exc:
        parse_period(bad)
    assert "period" in str(exc.value) and "2026-W46" in str(exc.value)


def test_redact_url_hides_password_only():
    assert store.redact_url("postgres://ann:pw@h:5432/db") == "postgres://ann:***@h:5432/db"
    assert store.redact_url("duckdb:///tmp/x.duckdb") == "duckdb:///tmp/x.duckdb"


def test_connect_failure_never_shows_password():
    with pytest.raises(StoreError) as exc:
        store.connect("postgres://ann:hunter2@127.0.0.1:1/sales")
    assert "hunter2" not in str(exc.value)
    assert "***" in str(exc.value)


def test_read_only_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        store.connect(f"duckdb://{tmp_path / 'none.duckdb'}", read_only=True)


def test_env_var_selects_store(tmp_path, monkeypatch):
    url = f"duckdb://{tmp_path / 'env.duckdb'}"
    monkeypatch.setenv("LEADLAB_DB", url)
    assert store.resolve_url() == url
    assert store.resolve_url("duckdb://other") == "duckdb://other"


def test_tables_round_trip_with_canonical_types(tmp_path):
    con = store.connect(f"duckdb://{tmp_path / 's.duckdb'}")
    store.ensure_tables(con)
    assert set(schema.TABLES) <= set(con.list_tables())
    reps = pd.DataFrame({"rep_id": ["R1"], "team": ["East"], "hourly_cost": [30]})
    store.write_table(con, "reps", reps)
    out = store.table(con, "reps").execute()
    assert list(out.columns) == schema.TABLES["reps"].names
    assert out.loc[0, "hourly_cost"] == 30.0
    with pytest.raises(StoreError, match="leadlab ingest"):
        store.table(con, "no_such_table")


def test_as_table_accepts_dataframes_without_pandas_grouping():
    df = pd.DataFrame({"arm": ["A", "B", "B"], "y": [1, 0, 1]})
    t = store.as_table(df)
    agg = t.group_by("arm").agg(n=t.y.count(), s=t.y.sum()).order_by("arm").execute()
    assert agg["n"].tolist() == [1, 2] and agg["s"].tolist() == [1, 1]
    with pytest.raises(TypeError):
        store.as_table(42)


def test_schema_rules_are_consistent():
    for t in schema.TABLES.values():
        assert set(t.key) <= set(t.names), t.name
        for col, ref in t.references.items():
            other, other_col = ref.split(".")
            assert other_col in schema.TABLES[other].names
    assert set(schema.CONVERSATION_DISPOSITIONS) <= set(schema.CONNECTED_DISPOSITIONS)
    with pytest.raises(ConfigError, match="valid tables"):
        schema.get_table("lead")


def test_public_namespace():
    assert leadlab.__version__
    assert issubclass(leadlab.DataError, leadlab.LeadlabError)


def _cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "leadlab.cli", *args], capture_output=True, text=True, **kw)


def test_cli_help_lists_commands_with_one_line_help():
    out = _cli("--help")
    assert out.returncode == 0
    assert "Commands" in out.stdout or "Usage" in out.stdout


def test_cli_unknown_command_is_one_clear_line():
    out = _cli("no-such-command")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr


def test_public_api_resolves_and_import_stays_light():
    """Every public name of ``import leadlab`` exists, and importing the package loads no heavy library."""
    for name in leadlab.__all__:
        assert getattr(leadlab, name) is not None, name
    assert {"connect", "analyze", "kpi_table", "LeadScorer", "train_scorer", "run_report", "synthesize",
            "ingest_file", "use_lang", "set_lang"} <= set(leadlab.__all__)
    code = "import sys, leadlab; print(sorted(m for m in ('ibis', 'pandas', 'duckdb', 'babel', 'matplotlib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    with pytest.raises(AttributeError):
        leadlab.no_such_name  # noqa: B018


def test_subpackages_expose_their_public_names():
    import importlib

    for pkg in ("leadlab.experiments", "leadlab.kpi", "leadlab.scoring", "leadlab.reports", "leadlab.i18n",
                "leadlab.ingest", "leadlab.synth", "leadlab.vocabulary"):
        mod = importlib.import_module(pkg)
        missing = [n for n in getattr(mod, "__all__", []) if not hasattr(mod, n)]
        assert mod.__all__ and not missing, (pkg, missing)


def test_cli_language_option_everywhere_and_error_prefix(tmp_path):
    env = {**os.environ, "LEADLAB_HOME": str(tmp_path)}
    env.pop("LEADLAB_LANG", None)
    zh = _cli("--lang", "zh", "no-such-command", env=env)
    assert zh.returncode == 2 and zh.stderr.startswith("错误：") and "no-such-command" in zh.stderr
    sub = _cli("kpi", "--lang", "zh", "--no-such-option", env=env)
    assert sub.returncode == 2 and sub.stderr.startswith("错误：没有选项 '--no-such-option'"), sub.stderr
    en = _cli("kpi", "--no-such-option", env=env)
    assert en.stderr.startswith("error: No such option '--no-such-option'"), en.stderr
    env_zh = _cli("no-such-command", env={**env, "LEADLAB_LANG": "zh"})
    assert env_zh.stderr.startswith("错误：")
    bad = _cli("--lang", "fr", "kpi", env=env)
    assert bad.returncode != 0 and "option --lang: 'fr' is not a supported language" in bad.stderr
    assert "Traceback" not in bad.stderr + zh.stderr + sub.stderr
    help_zh = _cli("--lang", "zh", "--help", env=env)
    assert "命令" in help_zh.stdout and "用法" in help_zh.stdout and "--lang" in help_zh.stdout
