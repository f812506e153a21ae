"""Message catalogs: every marked message has a correct Chinese translation; the checks,
the update and the in-memory compilation work (on a throw-away project for the negative cases)."""

from __future__ import annotations

import doctest
import importlib
import json
import tomllib
from pathlib import Path

import pytest

from leadlab.i18n import _, N_, catalog, ngettext, pgettext, translate, use_lang

ROOT = Path(__file__).resolve().parents[1]


def test_every_message_has_a_complete_zh_translation():
    found = catalog.problems("zh")
    assert not found, "message catalog problems (python -m leadlab.i18n.catalog update, then translate):\n" + "\n".join(found)
    done, total = catalog.coverage("zh")
    assert total >= 9 and done == total


def test_extraction_finds_the_core_messages():
    ids = catalog.extract_messages()
    assert {"n/a", "{value} pp", "Week {week}, {year}", "{n} day"} <= ids


def test_compiled_catalog_translates_plurals_context_and_fields():
    with use_lang("zh"):
        assert _("Week {week}, {year}", week="46", year="2026") == "2026年第46周"
        assert ngettext("{n} day", "{n} days", 1, n="1") == ngettext("{n} day", "{n} days", 5, n="1") == "1天"
        assert translate(N_("n/a")) == "无数据"
        assert pgettext("nowhere", "n/a") == "n/a"  # another context: no translation, English shown
        assert _("A sentence nobody marked for {who}", who="王经理") == "A sentence nobody marked for 王经理"
    with use_lang("en"):
        assert ngettext("{n} day", "{n} days", 2, n="2") == "2 days"
        assert _("n/a") == "n/a"


def test_hostile_field_values_are_not_reinterpreted():
    with use_lang("zh"):
        text = _("Week {week}, {year}", week="{year}{0}{__class__}", year="<b>")
    assert text == "<b>年第{year}{0}{__class__}周"


def test_catalogs_ship_as_package_data():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "locale/*/LC_MESSAGES/*.po" in meta["tool"]["setuptools"]["package-data"]["leadlab"]
    assert (ROOT / "leadlab/locale/zh_CN/LC_MESSAGES/leadlab.po").is_file()


# ---------------------------------------------------------------- a throw-away project

def _project(tmp_path: Path, code: str, cells: list[str] | None = None) -> Path:
    (tmp_path / "leadlab" / "kpi").mkdir(parents=True)
    (tmp_path / "leadlab" / "kpi" / "report.py").write_text(code, encoding="utf-8")
    (tmp_path / "notebooks").mkdir()
    nb = {"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [], "execution_count": None}
                    for c in (cells or [])], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "notebooks" / "kpi_report.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return tmp_path


CODE = '''from leadlab.i18n import _, ngettext, N_
def f(r, n):
    # Translators: {rate} is a percentage
    a = _("Connect rate was {rate}.", rate=r)
    b = ngettext("{n} lead", "{n} leads", n, n=str(n))
    return a, b, N_("Dials")
'''


def test_update_adds_ids_by_area_and_keeps_translations(tmp_path):
    root = _project(tmp_path, CODE, cells=["%matplotlib inline\nfrom leadlab import i18n\ni18n._(\"Calls by hour\")"])
    locale = tmp_path / "locale"
    changed = catalog.update(root=root, locale_dir=locale)
    kpi_po = locale / "zh_CN/LC_MESSAGES/kpi.po"
    nb_po = locale / "zh_CN/LC_MESSAGES/notebooks.po"
    assert sorted(changed) == sorted([kpi_po, nb_po])
    text = kpi_po.read_text(encoding="utf-8")
    assert 'msgid "Connect rate was {rate}."' in text and "#. {rate} is a percentage" in text
    assert 'msgid_plural "{n} leads"' in text and 'msgid "Dials"' in text
    assert 'msgid "Calls by hour"' in nb_po.read_text(encoding="utf-8")
    missing = catalog.problems("zh", root=root, locale_dir=locale)
    assert sum("is not translated" in p for p in missing) == 4

    text = (text.replace('msgid "Connect rate was {rate}."\nmsgstr ""', 'msgid "Connect rate was {rate}."\nmsgstr "接通率为{rate}。"')
            .replace('msgid "Dials"\nmsgstr ""', 'msgid "Dials"\nmsgstr "拨打量"')
            .replace('msgstr[0] ""', 'msgstr[0] "{n}条线索"'))
    kpi_po.write_text(text, encoding="utf-8")
    (root / "leadlab/kpi/report.py").write_text(CODE + 'X = _("Dials per rep")\n', encoding="utf-8")
    assert catalog.update(["kpi"], root=root, locale_dir=locale) == [kpi_po]
    po = catalog.read_catalogs("zh", locale)["kpi"]
    assert po.get("Connect rate was {rate}.").string == "接通率为{rate}。"
    assert po.get("Dials per rep") is not None
    assert catalog.update(["kpi"], root=root, locale_dir=locale) == []  # nothing new: file untouched
    remaining = catalog.problems("zh", root=root, locale_dir=locale)
    assert any("'Calls by hour' is not translated" in p for p in remaining)
    assert any("'Dials per rep'" in p and ("fuzzy" in p or "not translated" in p) for p in remaining)
    assert not any("Connect rate" in p or "'Dials' " in p for p in remaining)


def test_problems_catch_placeholder_fuzzy_and_missing(tmp_path):
    root = _project(tmp_path, CODE)
    locale = tmp_path / "locale"
    catalog.update(root=root, locale_dir=locale)
    po = locale / "zh_CN/LC_MESSAGES/kpi.po"
    text = po.read_text(encoding="utf-8")
    text = (text.replace('msgid "Connect rate was {rate}."\nmsgstr ""', 'msgid "Connect rate was {rate}."\nmsgstr "接通率为{ratio}。"')
            .replace('msgstr[0] ""', 'msgstr[0] "{n}条线索"')
            .replace('msgid "Dials"', '#, fuzzy\nmsgid "Dials"').replace('msgid "Dials"\nmsgstr ""', 'msgid "Dials"\nmsgstr "拨打"'))
    po.write_text(text, encoding="utf-8")
    found = catalog.problems("zh", root=root, locale_dir=locale)
    assert any("'Connect rate was {rate}.'" in p and "['ratio']" in p and "['rate']" in p for p in found), found
    assert any("'Dials' is marked fuzzy" in p for p in found), found
    assert not any("{n} lead" in p for p in found), found
    assert all(str(locale) in p for p in found), found


def test_call_checks_catch_what_babel_skips(tmp_path):
    root = _project(tmp_path, '''from leadlab.i18n import _, ngettext, pgettext
def f(name, r):
    a = _(f"Hello {name}")
    b = _(name)
    c = _("Rate {rate:.1%}", rate=r)
    d = _("Rate {rate}", ratio=r)
    e = ngettext("{n} lead", "{n} leads", 3)
    ok = _("Rate {rate}", **{"rate": r}), pgettext("header", "Rate")
''')
    found = catalog.check_calls(root)
    lines = {int(p.split(":")[1]) for p in found}
    assert lines == {3, 4, 5, 6, 7}, found
    assert any("['rate']" in p and "lacks" in p for p in found) and any("['ratio']" in p for p in found)


def test_a_broken_po_file_is_a_config_error(tmp_path):
    from leadlab.errors import ConfigError

    folder = tmp_path / "zh_CN/LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "kpi.po").write_text('msgid "a"\nmsgtsr "b"\n', encoding="utf-8")  # a misspelt keyword
    with pytest.raises(ConfigError, match="kpi.po"):
        catalog.read_catalogs("zh", tmp_path)


@pytest.mark.parametrize("name", ["leadlab.i18n", "leadlab.i18n.lang", "leadlab.i18n.messages", "leadlab.i18n.catalog",
                                  "leadlab.i18n.fmt", "leadlab.i18n.fonts"])
def test_doctests(name, monkeypatch):
    monkeypatch.delenv("LEADLAB_LANG", raising=False)
    monkeypatch.delenv("LEADLAB_TZ", raising=False)
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
