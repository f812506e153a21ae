"""The experiments engine speaks Chinese and English: the same facts, rendered in either
language — verdicts, summaries, HTML, report tables, notebook sections, figures, the CLI."""

from __future__ import annotations

import json
import re

import matplotlib
import pandas as pd
import pytest
from click.testing import CliRunner

matplotlib.use("Agg")

from leadlab.cli import cli  # noqa: E402
from leadlab.experiments import analyze, analyze_table, from_counts  # noqa: E402
from leadlab.experiments import design as D  # noqa: E402
from leadlab.experiments.metrics import Metric  # noqa: E402
from leadlab.experiments.report import SECTIONS, ExperimentReport, experiment_report, section  # noqa: E402
from leadlab.i18n import use_lang  # noqa: E402

#: English words that must not survive in Chinese output (data and codes aside).
ENGLISH = re.compile(r"\b(Ship|Keep|raises|lowers|Inconclusive|Verdict|Sample ratio|significant|look \d|"
                     r"planned end date|control|arm value|guardrail|Experiment|randomized|analysed|units? |leads? |reps? )\b")


def _zh(fn):
    with use_lang("zh"):
        return fn()


def _en(fn):
    with use_lang("en"):
        return fn()


def test_ship_verdict_in_both_languages_same_numbers():
    r = from_counts([("A", 10000, 790), ("B", 10000, 910)])
    en, zh = _en(r.verdict), _zh(r.verdict)
    assert en == "B raises the conversion rate from 7.9% to 9.1% (+1.2 pp, 95% CI +0.4 to +2.0). Ship B."
    assert zh == "B 话术显著提升了转化率：从 7.9% 升至 9.1%（+1.2个百分点，95% 置信区间 +0.4 至 +2.0），建议全面推广 B。"
    # the facts do not depend on the language of rendering
    assert r.decision == "ship" and r.verdict_code == "ship"
    summary = _zh(r.summary)
    assert "结论：" in summary and "样本比例检查：通过" in summary and "显著" in summary
    assert not ENGLISH.search(summary), ENGLISH.search(summary)


def test_sql_rate_verdict_uses_the_chinese_metric_name(small_store):
    r = analyze(experiment_id="EXP-LEAD-SCRIPT", url=small_store.url, metrics="sql_rate", segments=False,
                funnel=False)
    zh, en = _zh(r.verdict), _en(r.verdict)
    assert "SQL转化率" in zh and "SQL conversion rate" in en
    assert "置信区间" in zh and "个百分点" in zh
    for text in (_zh(r.summary), _zh(r._repr_html_)):
        assert "实验 EXP-LEAD-SCRIPT" in text and not ENGLISH.search(text), ENGLISH.search(text)
    # the same numbers in both: every number of the English verdict appears in the Chinese one
    nums = re.compile(r"[+-]?\d[\d,]*\.?\d*%?")
    assert sorted(nums.findall(en)) == sorted(nums.findall(zh))


def test_more_units_needed_comes_from_the_decision_rule_in_both_languages():
    r = from_counts([("A", 2000, 160), ("B", 2000, 170)])
    need = D.sample_size(0.08, 0.008) - 2000
    assert r.verdict_code == "need_units"
    assert f"about {need:,} more units per arm would give 80% power" in _en(r.verdict)
    zh = _zh(r.verdict)
    assert zh.startswith("暂无定论：") and f"每组还需约 {need:,} 个样本" in zh and "80% 的检验效能" in zh


def test_srm_and_keep_control_and_hold():
    srm = from_counts([("A", 10000, 800), ("B", 11000, 900)])
    assert srm.verdict_code == "invalid"
    assert "样本比例失衡" in _zh(srm.verdict) and "sample-ratio mismatch" in _en(srm.verdict)
    worse = from_counts([("A", 10000, 910), ("B", 10000, 790)])
    assert worse.decision == "keep_control" and _zh(worse.verdict).endswith("建议保留 A。")
    assert "显著降低了" in _zh(worse.verdict)


def test_sequential_status_in_chinese():
    import numpy as np

    rng = np.random.default_rng(3)
    df = pd.DataFrame({"rep": [f"R{i}" for i in range(16)], "arm": ["A", "B"] * 8,
                       "sql": rng.integers(5, 15, 16) + np.array([0, 8] * 8), "calls": rng.integers(200, 260, 16)})
    early = analyze_table(df, metrics=[Metric("sqls_per_call", "sql", "calls")], unit="rep", looks=(2, 20))
    assert early.decision == "continue"
    assert "look 2 of 20" in _en(early.verdict)
    zh = _zh(early.verdict)
    assert zh.startswith("继续测试：") and "第 2 次查看，共计划 20 次" in zh
    assert _zh(lambda: early.sequential_status).startswith("继续测试")
    assert _en(lambda: early.sequential_status).startswith("keep running")


def test_notices_are_codes_rendered_per_language():
    import numpy as np

    df = pd.DataFrame({"arm": ["A", "B"] * 50, "revenue": [100.0, 120.0, np.nan, 90.0] * 25})
    r = analyze_table(df, metrics=["revenue"])
    assert [n.code for n in r.notices] == ["metric_missing"]
    assert _en(lambda: r.warnings) == ["25 units with a missing (NULL/NaN) revenue were left out of that metric "
                                       "(A: 25, B: 0)"]
    assert _zh(lambda: r.warnings) == ["25 个样本的revenue缺失（NULL/NaN），计算该指标时已剔除（A：25、B：0）"]
    assert json.dumps(r.to_dict())


def test_report_tables_sections_and_figures_in_chinese(small_store):
    import leadlab

    con = leadlab.connect(small_store.url, read_only=True)
    rep = experiment_report("EXP-REP-SCRIPT", con=con)
    with use_lang("zh"):
        assert rep.heading().startswith("# 实验 EXP\\-REP\\-SCRIPT")
        assert "按 **销售** 随机分组" in rep.subtitle
        assert list(rep.checks().columns) == ["检查项", "结果", "说明"]
        assert {"指标", "组", "效果", "状态"} <= set(rep.effects().columns)
        assert "优于对照组的概率" in rep.bayes().columns and "决策" in rep.sequential().columns
        assert list(rep.funnel_table()["阶段"])[:3] == ["线索", "拨打", "接通"]
        assert "名销售" in rep.naive_sentence() and "朴素分析" in rep.naive_sentence()
        assert "朴素区间窄了" in rep.naive_comparison().columns
        html = rep.verdict_html() + rep.result._repr_html_()
        assert "结论：" in html and not ENGLISH.search(re.sub(r"<[^>]+>", " ", html))
        ax = rep.result.plot("effects")
        assert "提升幅度" in ax.get_title() and any("SQL转化率" in t.get_text() for t in ax.get_yticklabels())
        ax = rep.result.plot("funnel")
        assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["线索", "拨打"] and "漏斗" in ax.get_title()
        ax = rep.plot_naive()
        assert "同一份数据" in ax.get_title()
    with use_lang("en"):
        assert list(rep.checks().columns) == ["check", "result", "detail"]
        assert "Same data" in rep.plot_naive().get_title()
    matplotlib.pyplot.close("all")


def test_report_tables_hold_the_same_numbers_in_both_languages():
    r = from_counts([("A", 10000, 790), ("B", 10000, 910)])
    rep = ExperimentReport(r, None)
    en, zh = _en(rep.effects), _zh(rep.effects)
    assert en.shape == zh.shape
    nums = re.compile(r"[+-]?\d[\d,]*\.?\d*")
    for a, b in zip(en.to_numpy().ravel(), zh.to_numpy().ravel()):
        assert nums.findall(str(a)) == nums.findall(str(b))


def test_notebook_has_no_english_prose_and_sections_translate():
    nb = json.load(open("notebooks/experiment_report.ipynb", encoding="utf-8"))
    assert all(c["cell_type"] == "code" for c in nb["cells"])
    src = "".join("".join(c["source"]) for c in nb["cells"])
    assert "lang = \"\"" in src and "set_lang(lang or None)" in src
    for key in SECTIONS:
        en, zh = _en(lambda: section(key)), _zh(lambda: section(key))
        assert en.startswith("## ") and zh.startswith("## ") and en != zh
        assert re.search(r"[\u4e00-\u9fff]", zh)


def _cli(*args):
    return CliRunner().invoke(cli, list(args))


def test_cli_output_and_errors_in_chinese():
    out = _cli("--lang", "zh", "ab", "from-counts", "--arm", "A:10000:790", "--arm", "B:10000:910")
    assert out.exit_code == 0 and "结论：B 话术显著提升了转化率" in out.output and "样本比例检查：通过" in out.output
    design = _cli("--lang", "zh", "ab", "design", "--baseline", "0.08", "--mde", "0.01", "--daily", "400")
    assert "每组所需线索数：12,205" in design.output and "按每天 400 条线索计算，所需天数：62" in design.output
    en = _cli("--lang", "en", "ab", "design", "--baseline", "0.08", "--mde", "0.01", "--daily", "400")
    assert "leads needed per arm: 12,205" in en.output and "days needed at 400 leads/day: 62" in en.output
    bad = _cli("--lang", "zh", "ab", "from-counts", "--arm", "A:10x:790", "--arm", "B:10000:910")
    assert bad.exit_code != 0 and "样本数和成功数必须是整数" in str(bad.exception)
    bad = _cli("--lang", "zh", "ab", "from-counts", "--arm", "A:1000:80", "--arm", "B:1000:90", "--alpha", "2")
    assert bad.exit_code != 0 and "必须介于 0 和 1 之间" in str(bad.exception)
