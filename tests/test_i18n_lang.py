"""Language choice: explicit > $LEADLAB_LANG > leadlab.toml > en; aliases; errors naming the source."""

from __future__ import annotations

import threading

import pytest

from leadlab.errors import ConfigError
from leadlab.i18n import LANGS, _, get_lang, resolve_lang, set_lang, use_lang
from leadlab.i18n import lang as lang_mod


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("LEADLAB_HOME", str(tmp_path))
    monkeypatch.delenv("LEADLAB_LANG", raising=False)
    set_lang(None)
    yield tmp_path
    set_lang(None)


@pytest.mark.parametrize("value,expected", [("zh", "zh"), ("zh_CN", "zh"), ("zh-CN", "zh"), ("zh-Hans", "zh"),
                                            (" ZH ", "zh"), ("en", "en"), ("en_US", "en"), ("en-us", "en")])
def test_aliases(value, expected):
    assert resolve_lang(value) == expected


def test_order_explicit_env_config_default(project, monkeypatch):
    assert resolve_lang(None) == "en" and LANGS == ("en", "zh")
    (project / "leadlab.toml").write_text('lang = "zh-Hans"\n', encoding="utf-8")
    assert resolve_lang(None) == "zh"
    monkeypatch.setenv("LEADLAB_LANG", "en_US")
    assert resolve_lang(None) == "en"
    assert resolve_lang("zh") == "zh"
    monkeypatch.setenv("LEADLAB_LANG", "")  # empty counts as unset
    assert resolve_lang(None) == "zh"


def test_config_file_changes_are_seen(project):
    cfg = project / "leadlab.toml"
    cfg.write_text('lang = "zh"\n', encoding="utf-8")
    assert get_lang() == "zh"
    cfg.write_text('lang = "en"   # back to English\n', encoding="utf-8")
    assert get_lang() == "en"
    cfg.write_text('other = 1\n', encoding="utf-8")
    assert get_lang() == "en"


@pytest.mark.parametrize("where,value,source", [
    ("explicit", "fr", "option --lang"),
    ("env", "de_DE", "$LEADLAB_LANG"),
    ("config", '"ja"', "leadlab.toml, key lang"),
    ("config", "3", "leadlab.toml, key lang"),
])
def test_errors_name_the_source_and_the_accepted_values(project, monkeypatch, where, value, source):
    if where == "env":
        monkeypatch.setenv("LEADLAB_LANG", value)
    if where == "config":
        (project / "leadlab.toml").write_text(f"lang = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        resolve_lang(value if where == "explicit" else None, source="option --lang")
    assert source in str(err.value) and "use en or zh" in str(err.value)


def test_hostile_values_are_shown_escaped_and_short(project):
    with pytest.raises(ConfigError) as err:
        resolve_lang("zh\n\x1b[31m" + "x" * 500)
    msg = str(err.value)
    assert "\n" not in msg and "\x1b" not in msg and len(msg) < 200


def test_broken_config_names_the_file(project):
    (project / "leadlab.toml").write_text("lang = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="leadlab.toml: not a valid TOML file"):
        resolve_lang(None)


def test_set_lang_and_nested_use_lang(project):
    assert set_lang("zh-CN") == "zh" and get_lang() == "zh"
    with use_lang("en"):
        assert get_lang() == "en"
        with use_lang("zh_Hans"):
            assert get_lang() == "zh"
        assert get_lang() == "en"
    assert get_lang() == "zh"
    assert set_lang(None) is None and get_lang() == "en"
    with pytest.raises(ConfigError, match="use_lang"):
        with use_lang("klingon"):
            pass


def test_use_lang_is_local_to_its_thread(project):
    seen = {}
    started, release = threading.Event(), threading.Event()

    def other():
        started.wait()
        seen["other"] = get_lang()
        release.set()

    t = threading.Thread(target=other)
    t.start()
    with use_lang("zh"):
        started.set()
        release.wait(5)
        seen["main"] = get_lang()
    t.join()
    assert seen == {"main": "zh", "other": "en"}


def test_messages_fall_back_to_english_when_the_environment_is_wrong(project, monkeypatch):
    monkeypatch.setenv("LEADLAB_LANG", "xx")
    with pytest.raises(ConfigError):
        get_lang()
    assert _("n/a") == "n/a"  # printing the error about $LEADLAB_LANG must not fail itself
    assert lang_mod.lang_or_en() == "en"
