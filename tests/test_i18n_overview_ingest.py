"""The data overview, ingest errors and synth output in Chinese and English.

Same facts, two languages: the zh rendering uses the glossary's terms, leaves no English
message behind (only data and codes such as table and column names), and the English
rendering keeps its meaning.
"""

from __future__ import annotations

import re

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
from testkit import run_captured  # noqa: E402

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
    n_checks = int(re.search(r"All (\d+) data-quality checks passed; the numbers can be trusted\.", verdict)[1])
    assert n_checks == len(ov.findings) and n_checks >= 17
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


def _cli(args: list[str], lang: str, home, monkeypatch, capsys) -> tuple[int, str, str]:
    """``leadlab ARGS`` in-process (the language comes from $LEADLAB_LANG, read by main() at each
    call; ``python -m leadlab.cli`` in a subprocess is tests/test_core.py's): (exit code, stdout, stderr)."""
    monkeypatch.setenv("LEADLAB_LANG", lang)
    monkeypatch.setenv("LEADLAB_HOME", str(home))
    monkeypatch.delenv("LEADLAB_DB", raising=False)
    return run_captured(args, capsys)


def test_synth_cli_in_both_languages(tmp_path, monkeypatch, capsys):
    db = f"duckdb:///{tmp_path}/s.duckdb"
    code, out, err = _cli(["synth", "--leads", "500", "--seed", "1", "--db", db, "-q"], "zh", tmp_path, monkeypatch, capsys)
    assert code == 0, err
    assert "已将模拟业务数据写入" in out and "SQL 转化率" in out and "下一步：leadlab report all" in out
    code, out, err = _cli(["synth", "--leads", "500", "--seed", "1", "--db", db], "zh", tmp_path, monkeypatch, capsys)
    assert code == 2 and "错误：数据库中已有数据" in err and "--replace" in err
    code, out, err = _cli(["synth", "--leads", "100", "--db", db], "en", tmp_path, monkeypatch, capsys)
    assert code == 2 and "--leads must be an integer of at least 500 (got 100)" in err


# -- ingest: representative errors and the summary through the CLI, LEADLAB_LANG=zh / en -------

EXAMPLES = __import__("pathlib").Path(__file__).resolve().parents[1] / "data" / "examples"
CALLS_HEADER = "call_id,lead_id,rep_id,started_at,talk_seconds,disposition"


@pytest.fixture(scope="module")
def ingest_store(tmp_path_factory):
    import os

    from leadlab.ingest import ingest_file

    path = tmp_path_factory.mktemp("ingest_i18n") / "store.duckdb"
    old = os.environ.get("LEADLAB_PII_KEY")
    os.environ["LEADLAB_PII_KEY"] = "test-key-not-secret"
    try:
        ingest_file("reps", EXAMPLES / "reps.csv", url=f"duckdb://{path}")
        ingest_file("leads", EXAMPLES / "leads_zh.csv", mapping=EXAMPLES / "mapping_zh.yml", url=f"duckdb://{path}")
    finally:
        if old is None:
            del os.environ["LEADLAB_PII_KEY"]
        else:
            os.environ["LEADLAB_PII_KEY"] = old
    return path


def _ingest(store, lang: str, monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    from leadlab.cli import main

    monkeypatch.setenv("LEADLAB_LANG", lang)
    monkeypatch.setenv("LEADLAB_PII_KEY", "test-key-not-secret")
    monkeypatch.delenv("LEADLAB_DB", raising=False)
    code = 0
    try:
        main(["ingest", *args, "--db", f"duckdb://{store}", "-q"])
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def bad_calls(tmp_path):
    path = tmp_path / "calls_bad.csv"
    path.write_text(f"{CALLS_HEADER}\nX1,L0001,R001,2026-11-20 10:00:00,12,hung_up\n"
                    "X2,L0001,R001,next tuesday,5,busy\nX1,L0001,R001,2026-11-20 11:00:00,3,busy\n", encoding="utf-8")
    return str(path)


def test_ingest_errors_in_chinese(ingest_store, bad_calls, monkeypatch, capsys):
    code, _out, err = _ingest(ingest_store, "zh", monkeypatch, capsys, "calls", bad_calls, "--dry-run")
    assert code == 2 and "Traceback" not in err
    first = err.splitlines()[0]
    # the file, row (with its line) and column named in Chinese; the data value quoted as it was
    assert first.startswith("错误：文件 calls_bad.csv 第 2 行（文件第 3 行），列 started_at：'next tuesday' 不是形如")
    assert "[另有 2 条规则被违反，见下方列表]" in first
    assert "[无法解析的日期时间] 列 started_at：1 行" in err
    assert "第 1 行（文件第 2 行）：'hung_up' 不是有效的 disposition" in err          # bad disposition value
    assert "disposition 的有效取值：no_answer, busy" in err
    assert "[文件内主键重复] 列 call_id：1 行 — 每个 call_id 在一个文件中只能出现一次" in err  # duplicate key
    assert "第 3 行（文件第 4 行）：主键 'X1' 与第 1 行重复" in err
    assert "未写入任何数据" in err
    body = re.sub(r"'[^']*'", "", err)  # data values may be English words
    assert not re.search(r"\b(row|line|column|is not|also in|rule|broken|nothing|written)\b", body), body


def test_ingest_errors_in_english(ingest_store, bad_calls, monkeypatch, capsys):
    code, _out, err = _ingest(ingest_store, "en", monkeypatch, capsys, "calls", bad_calls, "--dry-run")
    assert code == 2
    assert err.startswith("error: calls_bad.csv, row 2 (line 3), column started_at: 'next tuesday' is not a date-time")
    assert "row 1 (line 2): 'hung_up' is not a valid disposition" in err
    assert "row 3 (line 4): key 'X1' also in row 1" in err
    assert "[and 2 more rule(s) broken, listed below]" in err


def test_ingest_reference_and_lifecycle_errors_in_chinese(ingest_store, tmp_path, monkeypatch, capsys):
    calls = tmp_path / "calls_ref.csv"
    calls.write_text(f"{CALLS_HEADER}\nY1,L4040,R001,2026-11-20 10:00:00,12,busy\n", encoding="utf-8")
    code, _out, err = _ingest(ingest_store, "zh", monkeypatch, capsys, "calls", str(calls), "--dry-run")
    assert code == 2 and "列 lead_id：'L4040' 不在数据库的 leads 表中" in err
    assert "共 1 个不存在的 lead_id：L4040；请先导入 leads（`leadlab ingest leads FILE`）" in err
    missing = tmp_path / "calls_cols.csv"
    missing.write_text("call_id,lead_id\nZ1,L0001\n", encoding="utf-8")
    code, _out, err = _ingest(ingest_store, "zh", monkeypatch, capsys, "calls", str(missing))
    assert code == 2 and err.startswith("错误：calls_cols.csv：缺少 calls 表的必填字段 rep_id, started_at")
    assert "文件中的列：call_id, lead_id" in err


def test_ingest_summary_in_both_languages(ingest_store, tmp_path, monkeypatch, capsys):
    reps = tmp_path / "reps_new.csv"
    reps.write_text("rep_id,team,rep_name\nR900,东区,张伟\n", encoding="utf-8")
    code, out, _err = _ingest(ingest_store, "zh", monkeypatch, capsys, "reps", str(reps), "--dry-run")
    assert code == 0
    assert out.splitlines()[0] == "reps ← reps_new.csv：1 行 — 将新增 1 行、将更新 0 行、将保持不变 0 行"
    assert "已假名化（带密钥的哈希）：rep_name" in out and "试运行：未写入任何数据" in out
    code, out, _err = _ingest(ingest_store, "en", monkeypatch, capsys, "reps", str(reps), "--dry-run")
    assert out.splitlines()[0] == "reps ← reps_new.csv: 1 row — 1 would be inserted, 0 would be updated, 0 would be unchanged"
    assert "pseudonymized (keyed hash): rep_name" in out and "dry run: nothing was written" in out


def test_ingest_result_html_uses_the_one_table_helper():
    from pathlib import Path

    from leadlab.ingest import IngestResult

    r = IngestResult("reps", Path("<b>reps.csv"), "duckdb://s.duckdb", "csv", "utf-8", 3, 2, 1, 0)
    with use_lang("zh"):
        page = r._repr_html_()
    assert "<table class='leadlab-table'>" in page and "&lt;b&gt;reps.csv" in page and "<b>reps" not in page
    assert ">新增</td>" in page and ">结果</th>" in page
