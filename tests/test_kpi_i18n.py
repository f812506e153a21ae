"""The KPI engine's results in English and Simplified Chinese: the same facts, words from
the catalog at render time (summary, HTML, figures, executive summary, CLI, notebook words)."""

from __future__ import annotations

import re

import matplotlib
import pandas as pd
import pytest

from leadlab.i18n import use_lang
from leadlab.kpi import KpiData
from leadlab.kpi.report import SECTIONS, definitions_table, kpi_report, section
from test_kpi_fixtures import tiny_frames

matplotlib.use("Agg")

TARGETS = """
- {scope: company, kpi: sql, period: 2026-10, value: 10}
- {scope: company, kpi: connect_rate, period: 2026-10, value: 0.8}
- {scope: team, name: East, kpi: sql, period: 2026-10, value: 1}
"""
#: Latin text a Chinese page may keep: proper names, codes, method names, units, data
ALLOWED = re.compile(r"Aalen–Johansen|Kaplan–Meier|Welch t|Laney p′/u′|Asia/Shanghai|UTC|leadlab kpi list|docs/kpi\.md"
                     r"|Wilson|beta|ISO|SQL|MQL|East|West|North|South|R\d|CN¥")
#: three or more English words in a row = an English sentence left in the Chinese output
ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[ ,;:]+[A-Za-z]{2,}){2,}")


@pytest.fixture(scope="module")
def rep(tmp_path_factory):
    path = tmp_path_factory.mktemp("kpi_i18n") / "targets.yml"
    path.write_text(TARGETS)
    return kpi_report(KpiData.from_frames(**tiny_frames()), "2026-10", targets_path=str(path))


def parts(rep):
    return [rep.table, rep.targets, rep.scorecard, rep.speed, rep.cycle, rep.pool, rep.trend]


def english_left(text: str) -> list[str]:
    return ENGLISH.findall(ALLOWED.sub(" ", text))


def test_facts_do_not_depend_on_the_language(rep):
    with use_lang("en"):
        en = [p.to_pandas() for p in parts(rep)]
    with use_lang("zh"):
        zh = [p.to_pandas() for p in parts(rep)]
    for a, b in zip(en, zh):
        pd.testing.assert_frame_equal(a, b)


def test_executive_summary_in_both_languages(rep):
    with use_lang("en"):
        en = rep.summary.sentences()
    with use_lang("zh"):
        zh = rep.summary.sentences()
    assert en[0] == "October 2026: dials 7, SQLs 2, won deals 1, revenue CN¥1,000."
    assert zh[0] == "2026年10月：拨打 7 次，SQL 2 个，赢单 1 单，成交额 ¥1,000。"
    # 2 SQLs by Oct 6 12:00 → projected 2 / (5.5 / 31) ≈ 11.3 → 113% of 10
    assert en[1] == "SQLs: 2 against a target of 10 (projected attainment 113%, on track)."
    assert zh[1] == "SQL 目前 2 个，目标 10 个，预计完成率 113%（正常）。"
    # connect rate 5/7 = 71.4% vs 1/1 in September; target 80% (old id connect_rate in the file)
    assert zh[2].startswith("接通率 71.4%，比上月下降 28.6个百分点") and "目标 80.0%（落后）" in zh[2]
    assert en[2].startswith("Connect rate 71.4%, down 28.6 pp from the previous month")
    assert any(s.startswith("目标：共 3 项，") for s in zh) and any(s.startswith("线索池：未结线索") for s in zh)
    assert len(en) == len(zh)
    for s in zh:
        assert not english_left(s), s


def test_summary_html_and_figures_in_chinese(rep):
    import matplotlib.pyplot as plt

    glossary = {"table": "接通率", "targets": "目标", "scorecard": "销售", "speed": "响应时间", "cycle": "销售周期",
                "pool": "线索池", "trend": "拨打量"}
    with use_lang("zh"):
        for name, part in zip(glossary, parts(rep)):
            text, page = part.summary(), part._repr_html_()
            assert glossary[name] in text and "2026年10月" in part.title(), name
            assert not english_left(text), (name, english_left(text))
            assert not english_left(re.sub(r"<[^>]+>", " ", page)), (name, english_left(page))
            ax = part.plot()
            labels = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
            legend = ax.get_legend()
            labels += [t.get_text() for t in legend.get_texts()] if legend else []
            for label in labels:
                assert not english_left(label), (name, label)
            assert re.search(r"[\u4e00-\u9fff]", ax.get_title()), name
            plt.close("all")


def test_english_output_keeps_its_meaning(rep):
    with use_lang("en"):
        assert "Signal" in rep.table.summary() and "KPIs · October 2026" in rep.table.summary()
        assert "Targets and pacing · October 2026" in rep.targets.summary()
        assert "Alerts:" in rep.targets.summary() and "behind" in rep.targets.summary()
        assert "Observational" in rep.speed.summary()
        assert rep.cycle.plot().get_xlabel() == "days since lead creation"
        assert rep.title == "KPI report — October 2026"
        assert "China Time (Asia/Shanghai, UTC+08:00)" in rep.subtitle


def test_report_words_and_time_zone_in_chinese(rep):
    with use_lang("zh"):
        assert rep.title == "关键指标报告 — 2026年10月"
        assert "时间均为中国时间（Asia/Shanghai，UTC+08:00）。" in rep.subtitle
        assert "数据截至：2026年10月6日 12:00。" in rep.subtitle  # the latest call, business time zone
        for key in SECTIONS:
            text = section(key)
            assert text.startswith("## ") and re.search(r"[\u4e00-\u9fff]", text)
            assert not english_left(text.replace("\\", "")), key
        table = definitions_table()
        assert "接通率" in table.iloc[:, 0].tolist()


def test_hostile_team_name_is_escaped_in_every_language():
    frames = tiny_frames()
    frames["reps"] = frames["reps"].assign(team=["<img src=x onerror=alert(1)>", "West"])
    data = KpiData.from_frames(**frames)
    team = data.teams[0]
    for lang in ("en", "zh"):
        with use_lang(lang):
            r = kpi_report(data, "2026-10", team=team)
            for part in parts(r):
                assert "<img" not in part._repr_html_()
            assert not re.search(r"(?<!\\)<img", r.header_markdown()) and "<img" not in r.summary._repr_html_()


def test_cli_output_in_chinese(tmp_path, capsys, monkeypatch):
    from test_kpi_fixtures import tiny_store

    from leadlab.cli import main

    url = tiny_store(tmp_path)
    monkeypatch.setenv("LEADLAB_LANG", "zh")
    for args, expected in ((["kpi", "show", "--period", "2026-10"], "关键指标 · 2026年10月"),
                           (["kpi", "show", "--period", "2026-10", "--by", "team"], "按团队的关键指标"),
                           (["kpi", "pool", "--period", "2026-10"], "线索池健康度"),
                           (["kpi", "summary", "--period", "2026-10"], "本期要点")):
        try:
            main([*args, "--db", url])
        except SystemExit as exc:
            assert exc.code in (0, None), (args, capsys.readouterr())
        out = capsys.readouterr().out
        assert expected in out, (args, out[:300])
