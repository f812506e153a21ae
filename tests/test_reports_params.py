"""Parameter checking of report notebooks: types, unknown names, credentials (no kernel)."""

from __future__ import annotations

import pytest

from leadlab.errors import ConfigError
from leadlab.reports.params import (
    Param,
    check_parameters,
    convert,
    declared_parameters,
    looks_like_credential,
    parse_assignments,
)
from leadlab.reports.runner import plan_run, scrub, secrets_in_environment
from reports_helpers import write_notebook

PARAMS = '''period = "last-month"  # the period
alpha = 0.05  # significance level
min_calls = 30
show_reps = True
metrics = ["sql_rate", "connect_rate"]  # metrics to analyse
team = None  # one team or None for all
options = {"a": 1}'''


@pytest.fixture
def nb(tmp_path):
    return write_notebook(tmp_path / "notebooks" / "demo.ipynb", PARAMS, "print(period)")


def test_declared_parameters_types_defaults_help(nb):
    d = declared_parameters(nb)
    assert list(d) == ["period", "alpha", "min_calls", "show_reps", "metrics", "team", "options"]
    assert {k: p.type for k, p in d.items()} == {
        "period": "str", "alpha": "float", "min_calls": "int", "show_reps": "bool",
        "metrics": "list", "team": "any", "options": "dict"}
    assert d["period"].default_value == "last-month"
    assert d["alpha"].help == "significance level"
    assert d["metrics"].default_value == ["sql_rate", "connect_rate"]


def test_text_values_are_converted(nb):
    got = check_parameters(nb, {"alpha": "0.1", "min_calls": "50", "show_reps": "no", "metrics": "sql_rate",
                                "team": "North", "options": '{"b": 2}', "period": "2026-10"}, from_text=True)
    assert got == {"alpha": 0.1, "min_calls": 50, "show_reps": False, "metrics": ["sql_rate"], "team": "North",
                   "options": {"b": 2}, "period": "2026-10"}
    assert check_parameters(nb, {"team": "none", "metrics": '["a", "b"]'}, from_text=True) == {"team": None, "metrics": ["a", "b"]}
    assert check_parameters(nb, {"min_calls": "7"}, from_text=True)["min_calls"] == 7


def test_unknown_parameter_lists_valid_ones(nb):
    with pytest.raises(ConfigError) as err:
        check_parameters(nb, {"perod": "2026-10"})
    assert "no parameter 'perod'" in err.value.message
    assert any(line.startswith('period = "last-month"') and "the period" in line for line in err.value.details)
    assert len(err.value.details) == 7


@pytest.mark.parametrize("name,value,expected", [
    ("alpha", "high", "not a number"),
    ("min_calls", "3.5", "not an integer"),
    ("show_reps", "maybe", "not true or false"),
    ("options", "[1]", "JSON object"),
])
def test_wrong_type_from_text(nb, name, value, expected):
    with pytest.raises(ConfigError) as err:
        check_parameters(nb, {name: value}, from_text=True)
    assert name in err.value.message and expected in err.value.message
    assert err.value.details  # the valid parameters


@pytest.mark.parametrize("name,value", [
    ("alpha", "0.1"), ("min_calls", 2.5), ("min_calls", True), ("show_reps", 1), ("metrics", "sql_rate"), ("period", 10),
])
def test_wrong_type_from_python(nb, name, value):
    with pytest.raises(ConfigError, match=f"parameter {name}"):
        check_parameters(nb, {name: value})


def test_int_accepted_for_float(tmp_path):
    nb = write_notebook(tmp_path / "notebooks" / "budget.ipynb", "budget = 100.0  # euros")
    assert check_parameters(nb, {"budget": 1}) == {"budget": 1.0}


@pytest.mark.parametrize("name,value", [
    ("db_password", "x"), ("api_token", "x"), ("secret", "x"), ("aws_key", "x"), ("PGPASSWD", "x"),
    ("team", "postgres://ann:s3cret@db.example/sales"), ("metrics", ["a", "https://u:p@h/x"]),
])
def test_credentials_refused(nb, name, value):
    assert looks_like_credential(name, value)
    with pytest.raises(ConfigError, match="looks like a credential"):
        check_parameters(nb, {name: value})


def test_plain_values_are_not_credentials():
    assert not looks_like_credential("period", "2026-10")
    assert not looks_like_credential("data_source", "duckdb:///tmp/x.duckdb")
    assert not looks_like_credential("url", "https://example.com/a@b")


def test_parse_assignments():
    assert parse_assignments(["period=2026-10", "expr=a=b"]) == {"period": "2026-10", "expr": "a=b"}
    with pytest.raises(ConfigError, match="not key=value"):
        parse_assignments(["period"])
    with pytest.raises(ConfigError, match="not a parameter name"):
        parse_assignments(["my-param=1"])


def test_plan_checks_before_running_and_resolves_period(tmp_path, nb):
    root = tmp_path
    run = plan_run("demo", {"period": "2026-W46"}, root=root)
    assert run.label == "2026-W46" and run.title == "Demo — Week 46, 2026"
    # relative period without a store: relative to today, still a concrete label
    run = plan_run("demo", {}, root=root)
    assert run.parameters["period"][:2] == "20" and not run.parameters["period"].startswith("last")
    with pytest.raises(ConfigError, match="cannot read 'octobre'"):
        plan_run("demo", {"period": "octobre"}, root=root)
    with pytest.raises(ConfigError, match="no report notebook 'nope'.*available: demo"):
        plan_run("nope", {}, root=root)
    assert not (root / "build").exists() and not (root / "reports").exists()


def test_secrets_from_url_and_environment(monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "hunter2-very-secret")
    monkeypatch.setenv("SHORT_KEY", "abc")  # too short to scrub safely
    monkeypatch.setenv("PWD", "/home/ann/project")  # the working folder, not a password
    monkeypatch.setenv("SSH_KEY_FILE", "/home/ann/.ssh/id")
    found = secrets_in_environment("postgres://ann:pw-123456@db/sales")
    assert "pw-123456" in found and "hunter2-very-secret" in found and "abc" not in found
    assert "/home/ann/project" not in found and "/home/ann/.ssh/id" not in found
    assert scrub("x hunter2-very-secret y pw-123456", found) == "x *** y ***"


def test_param_describe():
    assert Param("alpha", "float", "0.05", "level").describe() == "alpha = 0.05  (float)  # level"
    assert convert(Param("flag", "bool", "True", ""), "YES") is True


def test_experiment_ids_from_the_store(tmp_path):
    import pandas as pd

    from leadlab.reports.runner import experiment_ids
    from leadlab.store import connect, write_table
    from reports_helpers import make_tiny_store

    url = make_tiny_store(tmp_path / "s.duckdb")
    assert experiment_ids(url) == []
    con = connect(url)
    write_table(con, "assignments", pd.DataFrame({
        "experiment_id": ["EXP-B", "EXP-A", "EXP-B"], "unit_type": "lead", "unit_id": ["L1", "L2", "L3"],
        "arm": "A", "assigned_at": pd.Timestamp("2026-10-01")}))
    con.disconnect()
    assert experiment_ids(url) == ["EXP-A", "EXP-B"]
    assert experiment_ids(f"duckdb://{tmp_path / 'missing.duckdb'}") == []


def test_corrupt_notebook_is_a_clear_error(tmp_path):
    bad = tmp_path / "notebooks" / "broken.ipynb"
    bad.parent.mkdir()
    bad.write_text("{ not a notebook")
    with pytest.raises(ConfigError, match="broken.ipynb is not a readable notebook"):
        declared_parameters(bad)


def test_parameters_papermill_cannot_parse_are_still_declared(tmp_path):
    nb = write_notebook(tmp_path / "n.ipynb",
                        'time_col = "created_at"  # ordering column; "" = row order\n'
                        'limit: int | None = None  # at most this many rows\n'
                        'alpha = 0.05')
    d = declared_parameters(nb)
    assert list(d) == ["time_col", "limit", "alpha"]
    assert d["time_col"].type == "str" and d["time_col"].help == 'ordering column; "" = row order'
    assert d["limit"].type == "any" and d["limit"].default == "None"  # Optional: None or a value
    assert check_parameters(nb, {"time_col": "", "limit": "10"}, from_text=True) == {"time_col": "", "limit": 10}


# ---------------------------------------------------------------- language of a run
@pytest.fixture
def lang_nb(tmp_path):
    params = 'period = "last-month"  # the period\nteam = ""  # one team\nlang = ""  # en or zh'
    return write_notebook(tmp_path / "notebooks" / "lang_demo.ipynb", params, "print(lang)")


def test_language_is_concrete_and_names_the_file(tmp_path, lang_nb, monkeypatch):
    from leadlab.i18n import use_lang

    monkeypatch.delenv("LEADLAB_LANG", raising=False)
    monkeypatch.setenv("LEADLAB_HOME", str(tmp_path))
    en = plan_run("lang_demo", {"period": "2026-10"}, root=tmp_path)
    assert (en.label, en.lang, en.parameters["lang"]) == ("2026-10", "en", "en")
    zh = plan_run("lang_demo", {"period": "2026-10", "lang": "zh-CN"}, root=tmp_path)
    assert (zh.label, zh.lang, zh.parameters["lang"], zh.title) == ("2026-10.zh", "zh", "zh", "Lang demo — 2026年10月")
    team = plan_run("lang_demo", {"period": "2026-10", "team": "East"}, root=tmp_path, lang="zh")
    assert team.label == "2026-10_team-East.zh"  # other parameters stay in the name, the language at the end
    monkeypatch.setenv("LEADLAB_LANG", "zh")  # the project default
    assert plan_run("lang_demo", {"period": "2026-10"}, root=tmp_path).label == "2026-10.zh"
    assert plan_run("lang_demo", {"period": "2026-10", "lang": "en"}, root=tmp_path).label == "2026-10"
    with use_lang("en"):  # --lang en beats $LEADLAB_LANG
        assert plan_run("lang_demo", {"period": "2026-10"}, root=tmp_path).lang == "en"
    assert plan_run("lang_demo", {"period": "2026-10"}, root=tmp_path, label="board").label == "board.zh"


def test_unsupported_language_is_refused_before_anything_runs(tmp_path, lang_nb, monkeypatch):
    monkeypatch.delenv("LEADLAB_LANG", raising=False)
    with pytest.raises(ConfigError, match=r"report lang_demo: parameter lang: 'fr' is not a supported language; use en or zh"):
        plan_run("lang_demo", {"period": "2026-10", "lang": "fr"}, root=tmp_path)
    monkeypatch.setenv("LEADLAB_LANG", "klingon")
    with pytest.raises(ConfigError, match=r"\$LEADLAB_LANG: 'klingon' is not a supported language"):
        plan_run("lang_demo", {"period": "2026-10"}, root=tmp_path)


def test_reindex_keeps_the_language_of_each_page(tmp_path):
    from leadlab.reports.publish import RunRecord, load_index, publish, reindex
    from leadlab.reports.render import run_meta_tag

    reports = tmp_path / "reports"
    for label, lang in (("2026-10", "en"), ("2026-10.zh", "zh")):
        rec = RunRecord("kpi_report", label, "t", {"period": "2026-10"}, "ok", "2026-11-22T10:00:00+00:00", 1.0, "0.1.0",
                        lang=lang)
        facts = {k: v for k, v in rec.__dict__.items() if k not in ("status", "error", "html", "notebook")}
        publish(reports, rec, f"<html><head>{run_meta_tag(facts)}</head><body>x</body></html>")
    (reports / "kpi_report" / "2026-09.zh.html").write_text("<html>an older page without run facts</html>")
    n, skipped = reindex(reports)
    assert n == 3 and skipped == ["kpi_report/2026-09.zh.html"]
    assert {(r["label"], r["lang"]) for r in load_index(reports)} == {("2026-10", "en"), ("2026-10.zh", "zh"),
                                                                      ("2026-09.zh", "zh")}
