"""The data overview, ingest errors and synth output in Chinese and English.

Same facts, two languages: the zh rendering uses the glossary's terms, leaves no English
message behind (only data and codes such as table and column names), and the English
rendering keeps its meaning.
"""

from __future__ import annotations

import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from leadlab.errors import location, row_label  # noqa: E402
from leadlab.i18n import use_lang  # noqa: E402
from leadlab.overview import SECTIONS, overview, section  # noqa: E402
from leadlab.schema import TABLES, table_label  # noqa: E402
from leadlab.store import connect  # noqa: E402
from reports_helpers import make_tiny_store  # noqa: E402

#: Words of the English templates that must not survive in a Chinese rendering.
ENGLISH_WORDS = re.compile(r"\b(the|and|is|are|was|were|of|in|every|leads? created|calls? made|problem|warning|"
                           r"note|missing|rows?|column|funnel|store|period|checks?|passed|per day|average)\b", re.I)
#: Codes that legitimately stay as they are in Chinese text (table/column ids, acronyms).
CODES = re.compile(r"\b(leads|calls|reps|assignments|experiments|spend|lead_scores|[a-z]+_[a-z_]+|SQL|MQL|"
                   r"Asia/Shanghai|UTC|leadlab|report|all|ingest|KPI|CRM)\b")


def _english_left(text: str) -> list[str]:
    return ENGLISH_WORDS.findall(CODES.sub("", text))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    url = make_tiny_store(tmp_path_factory.mktemp("ovi18n") / "leadlab.duckdb")
    con = connect(url, read_only=True)
    yield con
    con.disconnect()


@pytest.fixture(scope="module")
def ov(store):
    return overview(store, "2026-10")


def test_overview_renders_in_chinese(ov):
    with use_lang("zh"):
        text, html, verdict = ov.summary(), ov._repr_html_(), ov.verdict()
        volume = ov.call_volume_sentence()
    assert text.startswith("数据概览 — 2026年10月")
    assert "2026年10月数据：新建线索 122 条，拨打 244 次。" in verdict
    assert "数据质量检查全部通过" in verdict
    assert "5 条线索（1.7%）从未拨打过" in text and "[提示]" in text and "[正常]" in text
    for term in ("线索", "拨打", "接通", "对话", "销售机会", "赢单", "占线索比例", "上一阶段转化率"):
        assert term in text, term
    assert "比2026年9月" in volume and "拨打量" in volume
    assert "<h4>数据质量</h4>" in html and "<h4>漏斗</h4>" in html
    assert not _english_left(text), _english_left(text)
    assert not _english_left(verdict + volume)


def test_overview_english_keeps_its_meaning(ov):
    with use_lang("en"):
        text, verdict = ov.summary(), ov.verdict()
    assert text.startswith("Data overview — October 2026")
    assert "Data for October 2026: 122 leads created, 244 calls made." in verdict
    assert "All 17 data-quality checks passed; the numbers can be trusted." in verdict
    assert "5 leads (1.7%) were never called" in text
    assert "every lead_id in leads is unique" in text


def test_overview_facts_hold_no_sentences(ov):
    """The result keeps codes and numbers; sentences appear only when rendered."""
    facts = ov.findings_facts
    assert "message" not in facts.columns
    assert set(facts.severity) <= {"problem", "warning", "note", "ok"}
    with use_lang("zh"):
        zh = ov.findings.message.tolist()
    with use_lang("en"):
        en = ov.findings.message.tolist()
    assert len(zh) == len(en) == len(facts) and all(a != b for a, b in zip(zh, en))


def test_overview_tables_and_badges_are_escaped_and_localized(ov):
    with use_lang("zh"):
        findings = ov.findings_html()
        tables = ov.tables_html()
    assert findings.count("<span style='background:") == len(ov.findings_facts)
    assert ">正常</span>" in findings and ">提示</span>" in findings
    assert "<th style='text-align:left'>检查项</th>" in findings
    assert "2026年10月行数" in tables and "通话（拨打记录）" in tables


def test_notebook_sections_in_both_languages(ov):
    for lang, heading in (("en", "## Data quality"), ("zh", "## 数据质量")):
        with use_lang(lang):
            texts = {name: section(name) for name in SECTIONS}
            title = section("title", ov)
        assert texts["quality"].startswith(heading)
        assert all(t.startswith("## ") for t in texts.values())
    assert title.startswith("# 数据概览 — 2026年10月")
    assert "中国时间" in title


def test_overview_charts_draw_chinese_labels(ov):
    with use_lang("zh"):
        ax = ov.plot("funnel")
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert labels[:3] == ["线索", "拨打", "接通"]
        assert "2026年10月新建线索的漏斗" in (ax.get_title(), ax.get_title(loc="left"))
        ax = ov.plot("calls_per_day")
        legend = {t.get_text() for t in ax.get_legend().get_texts()}
        assert any("拨打量" in t for t in legend) and any("接通量" in t for t in legend)
        assert ax.get_ylabel() == "每日拨打量"
    plt.close("all")


def test_empty_period_in_chinese(store):
    ov = overview(store, "2025-01")
    with use_lang("zh"):
        msg = ov.no_data_message()
        assert "2025年1月没有新建线索，也没有拨打记录" in msg and "2026年9月1日" in msg
        assert "本期没有数据" in ov.no_data_html()
        assert "没有新建线索，因此没有漏斗可展示" in ov.no_funnel_message()


def test_schema_descriptions_in_both_languages():
    col = TABLES["calls"].column("talk_seconds")
    with use_lang("zh"):
        assert col.description() == "通话时长（秒）。" and table_label("reps") == "销售代表"
        assert all(c.description() != c.meaning for t in TABLES.values() for c in t.columns)
    with use_lang("en"):
        assert col.description() == "Seconds talking." and TABLES["leads"].label() == "Leads"


def test_error_location_in_both_languages():
    with use_lang("zh"):
        assert location("leads.csv", row_label(12), "phone") == "文件 leads.csv 第 12 行，列 phone"
        assert location("calls.xlsx", row_label(3, sheet_row=4)) == "文件 calls.xlsx 第 3 行（工作表第 4 行）"
    with use_lang("en"):
        assert location("leads.csv", row_label(12, line=13), "phone") == "leads.csv, row 12 (line 13), column phone"


def _cli(args: list[str], lang: str, home) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "LEADLAB_LANG": lang, "LEADLAB_HOME": str(home)}
    env.pop("LEADLAB_DB", None)
    return subprocess.run([sys.executable, "-m", "leadlab.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_synth_cli_in_both_languages(tmp_path):
    db = f"duckdb:///{tmp_path}/s.duckdb"
    zh = _cli(["synth", "--leads", "500", "--seed", "1", "--db", db, "-q"], "zh", tmp_path)
    assert zh.returncode == 0, zh.stderr
    assert "已将模拟业务数据写入" in zh.stdout and "SQL 转化率" in zh.stdout and "下一步：leadlab report all" in zh.stdout
    again = _cli(["synth", "--leads", "500", "--seed", "1", "--db", db], "zh", tmp_path)
    assert again.returncode == 2 and "错误：数据库中已有数据" in again.stderr and "--replace" in again.stderr
    en = _cli(["synth", "--leads", "100", "--db", db], "en", tmp_path)
    assert en.returncode == 2 and "--leads must be an integer of at least 500 (got 100)" in en.stderr
