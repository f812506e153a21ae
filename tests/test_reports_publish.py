"""Rendering without code, atomic publishing and the report index (no kernel)."""

from __future__ import annotations

import json
import os
import re

import nbformat
import pytest

from leadlab.errors import ReportError
from leadlab.reports.publish import (
    RunRecord,
    atomic_write_text,
    index_html,
    load_index,
    publish,
    record_run,
    safe_label,
)
from leadlab.reports.render import clean_notebook, render_html


def executed_notebook() -> nbformat.NotebookNode:
    """What papermill leaves behind: parameters + injected-parameters cells, papermill metadata."""
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell('period = "last-month"  # the period')
    p.metadata["tags"] = ["parameters"]
    inj = nbformat.v4.new_code_cell('# Parameters\nperiod = "2026-10"\n')
    inj.metadata["tags"] = ["injected-parameters"]
    body = nbformat.v4.new_code_cell("secret_looking_source_code = 42\nprint('hello manager')")
    body.execution_count = 3
    body.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="hello manager\n"),
        nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: something internal\n"),
    ]
    body.metadata["papermill"] = {"duration": 0.1}
    nb.cells = [p, inj, nbformat.v4.new_markdown_cell("## Calls per day\nWhat it means."), body]
    nb.metadata["papermill"] = {"parameters": {"period": "2026-10"}, "input_path": "x.ipynb"}
    return nb


def test_clean_notebook_drops_parameters_and_papermill_metadata():
    nb = clean_notebook(executed_notebook())
    assert [c.cell_type for c in nb.cells] == ["markdown", "code"]
    assert "papermill" not in nb.metadata
    assert "papermill" not in nb.cells[1].metadata
    assert [o["name"] for o in nb.cells[1].outputs] == ["stdout"]
    assert nb.cells[1].execution_count is None


def test_html_has_no_code_no_parameters_and_a_real_title():
    page = render_html(executed_notebook(), title="Data overview — 2026-10", meta={"period": "2026-10"})
    assert "<title>Data overview — 2026-10</title>" in page
    assert "hello manager" in page and "Calls per day" in page
    assert "secret_looking_source_code" not in page  # no code
    assert "injected-parameters" not in page and "# Parameters" not in page
    assert 'period = "' not in page
    # markdown cells render inside jp-InputArea; code cells must have no input area at all
    body = page.split("<body", 1)[1]
    assert "jp-InputArea-editor" not in body and "highlight hl-ipython3" not in body
    assert "input_area" not in body
    code_cells = re.findall(r'<div class="jp-Cell jp-CodeCell.*?(?=<div class="jp-Cell |</main>)', body, flags=re.S)
    assert len(code_cells) == 2  # the header (back link, run facts) and the body cell
    for cell in code_cells:
        assert "jp-InputArea" not in cell
    assert "FutureWarning" not in page
    assert "../index.html" in page  # back link for readers
    assert "require.min.js" not in page and "mathjax" not in page.lower()


def test_images_get_alt_text_from_the_heading_above():
    nb = executed_notebook()
    fig = nbformat.v4.new_code_cell("plot()")
    fig.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})]
    nb.cells.append(fig)
    page = render_html(nb, title="t")
    assert 'alt="Chart: Calls per day"' in page and "No description has been provided" not in page


def test_no_script_even_when_the_page_has_maths():
    """Pages carry script-src 'none', so MathJax is never loaded: maths stays as TeX source."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("The lift is $\\hat\\theta = p_B / p_A - 1$.")]
    page = render_html(nb, title="t")
    assert "<script" not in page.lower() and "mathjax" not in page.lower()
    assert "\\hat\\theta" in page and "script-src 'none'" in page


def test_atomic_write_leaves_old_file_when_writing_fails(tmp_path, monkeypatch):
    dest = tmp_path / "r" / "2026-10.html"
    atomic_write_text(dest, "good")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(dest, "half-written new version")
    monkeypatch.undo()
    assert dest.read_text() == "good"
    assert [p.name for p in dest.parent.iterdir()] == ["2026-10.html"]  # no temp file left


def test_atomic_write_cleans_up_when_interrupted_mid_write(tmp_path):
    dest = tmp_path / "x.html"

    with pytest.raises(TypeError):
        atomic_write_text(dest, 12345)  # type: ignore[arg-type] - write fails inside
    assert list(tmp_path.iterdir()) == []


def _record(label="2026-10", status="ok", started="2026-11-22T10:00:00+00:00", **kw) -> RunRecord:
    return RunRecord(report=kw.pop("report", "data_overview"), label=label, title=f"Data overview — {label}",
                     parameters={"period": label}, status=status, started_at=started, seconds=4.2,
                     leadlab_version="0.1.0", **kw)


def test_index_records_runs_and_keeps_last_good_link(tmp_path):
    good = _record()
    publish(tmp_path, good, "<html>good</html>")
    assert good.html == "data_overview/2026-10.html"
    record_run(tmp_path, good)
    record_run(tmp_path, _record(label="2026-09", started="2026-11-22T09:00:00+00:00", html="data_overview/2026-09.html"))
    record_run(tmp_path, _record(status="failed", started="2026-11-22T11:00:00+00:00",
                                 error="StoreError: the store has no table 'calls'"))
    runs = load_index(tmp_path)
    assert [(r["label"], r["status"]) for r in runs] == [("2026-10", "failed"), ("2026-10", "ok"), ("2026-09", "ok")]
    page = (tmp_path / "index.html").read_text()
    assert "StoreError: the store has no table &#x27;calls&#x27;" in page
    assert "href='data_overview/2026-10.html'" in page  # the last good page stays linked
    assert "still shown" in page and "1 report failed in its latest run" in page
    assert page.index(">2026-10<") < page.index(">2026-09<")  # newest period first
    assert "0.1.0" in page and "4.2 s" in page and "period: <b>2026-10</b>" in page


def test_index_groups_by_report_in_registry_order(tmp_path):
    record_run(tmp_path, _record(report="experiment_report", label="EXP-LEAD-SCRIPT"))
    record_run(tmp_path, _record(html="data_overview/2026-10.html"))
    page = (tmp_path / "index.html").read_text()
    assert page.index("<h2>Data overview</h2>") < page.index("<h2>Experiment report</h2>")
    assert "All reports ran successfully" in page


def test_index_keeps_bounded_history(tmp_path):
    for i in range(15):
        record_run(tmp_path, _record(started=f"2026-11-22T10:{i:02d}:00+00:00"))
    assert len(load_index(tmp_path)) == 10


def test_corrupt_index_is_a_clear_error(tmp_path):
    (tmp_path / "index.json").write_text("{not json")
    with pytest.raises(ReportError, match="index.json is not valid JSON"):
        load_index(tmp_path)


def test_empty_index_page_says_how_to_start():
    assert "leadlab report all --period last-month" in index_html([])


def test_safe_label():
    assert safe_label("2026-W46") == "2026-W46"
    assert safe_label("../../etc/passwd") == "etc-passwd"
    assert safe_label("") == "run"


def test_index_json_is_plain_json(tmp_path):
    record_run(tmp_path, _record())
    data = json.loads((tmp_path / "index.json").read_text())
    assert data["version"] == 1 and data["runs"][0]["leadlab_version"] == "0.1.0"


# ---------------------------------------------------------------- languages
def test_chinese_page_embeds_exactly_the_glyphs_it_uses_and_says_its_language():
    import base64
    import io

    from fontTools.ttLib import TTFont

    from leadlab.i18n import use_lang
    from leadlab.reports.webfont import cjk_characters

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 关键指标报告\n\n接通率 31.2%，对话率 28.7%（环比下降）。")]
    with use_lang("zh"):
        page = render_html(nb, title="关键指标报告 — 2026年10月", meta={"期间": "2026年10月"})
    assert '<html lang="zh-CN">' in page and "← 全部报告" in page and "期间：<b>2026年10月</b>" in page
    m = re.search(r'font-family: "leadlab CJK"; src: url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)', page)
    assert m, "a page with Chinese text embeds its font"
    font = TTFont(io.BytesIO(base64.b64decode(m.group(1))))
    covered = {chr(c) for c in font.getBestCmap()}
    assert cjk_characters(page) <= covered and len(covered) < 200, "the subset holds the page's characters only"
    assert "script-src 'none'" in page and "font-src data:" in page and "<script" not in page
    english = render_html(nb_english := nbformat.v4.new_notebook(), title="KPI report")
    assert "@font-face" not in english and '<html lang="en">' in english and nb_english.cells == []


def test_index_in_the_project_language_lists_both_languages(tmp_path, monkeypatch):
    en = _record(report="kpi_report", html="kpi_report/2026-10.html")
    zh = _record(report="kpi_report", label="2026-10.zh", started="2026-11-22T10:05:00+00:00",
                 html="kpi_report/2026-10.zh.html", lang="zh")
    failed = _record(report="kpi_report", label="2026-09.zh", status="failed", error="StoreError: no table 'calls'",
                     lang="zh")
    runs = [r.__dict__ for r in (en, zh, failed)]
    monkeypatch.setenv("LEADLAB_LANG", "zh")
    page = index_html(runs)  # the project language: $LEADLAB_LANG
    assert '<html lang="zh-CN">' in page and "<title>leadlab 报告</title>" in page
    for word in ("语言", "状态", "参数", "生成时间", "运行耗时", "已发布", "失败", "关键指标报告", "期间", "业务时区"):
        assert word in page, word
    assert "English" in page and "中文" in page
    assert "href='kpi_report/2026-10.html'" in page and "href='kpi_report/2026-10.zh.html'" in page
    assert "最近一次运行有 1 份报告失败" in page and "2026年11月22日 18:00" in page  # 10:00 UTC in Asia/Shanghai
    monkeypatch.setenv("LEADLAB_LANG", "en")
    english = index_html(runs)
    assert '<html lang="en">' in english and "1 report failed in its latest run" in english and "中文" in english
