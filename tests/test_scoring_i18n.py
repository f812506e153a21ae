"""The scorer in Chinese and English: one set of facts, rendered per language. The Chinese output
uses the sales team's terms, the numbers are the same in both languages, and no English sentence
is left in the Chinese output (only data and codes)."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from leadlab.cli import main
from leadlab.errors import ModelError
from leadlab.i18n import use_lang
from leadlab.scoring import card, pages, persist, text
from leadlab.scoring.call_list import call_list_display
from leadlab.scoring.monitor import MonitorResult, calibration_drift, recommend
from leadlab.scoring.quality import assess, check_usable
from leadlab.scoring.train import train_scorer

ENGLISH_WORDS = re.compile(r"\b(the|and|model|leads?|score[sd]?|baseline|rows?|not|fit|calibrat\w*|than)\b")


def english_left(zh: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """English words left in a Chinese text (data such as column names and versions removed first)."""
    for a in allowed:
        zh = zh.replace(a, " ")
    return ENGLISH_WORDS.findall(zh)


def numbers(s: str) -> list[str]:
    return re.findall(r"\d+\.\d{3}", s)


def frame(n=3000, seed=3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    src = rng.choice(["web", "event", "list"], n)
    return pd.DataFrame({
        "created_at": pd.date_range("2026-01-01", periods=n, freq="3h"),
        "source": src, "views": rng.poisson(3, n).astype(float), "email": [f"u{i}@x.cn" for i in range(n)],
        "converted": (rng.random(n) < np.where(src == "event", 0.35, 0.08)).astype(int),
    })


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    res = train_scorer(frame(), target="converted", time_col="created_at", n_boot=30)
    folder = tmp_path_factory.mktemp("i18n_model")
    path = persist.save_model(persist.from_training(res, data_label="leads.csv"), folder / "m.skops")
    return res, persist.load_model(path), folder


def test_training_summary_in_both_languages(trained):
    res, model, _ = trained
    with use_lang("en"):
        en = res.summary()
    with use_lang("zh"):
        zh = res.summary()
    assert "Lead scorer" in en and "Calling the top 10% of leads" in en and "Lift, top 10% of leads" in en
    for term in ("线索评分模型", "前10%线索提升度", "测试集", "基准", "校准", "个人信息"):
        assert term in zh, term
    assert text.kind_label(res.model_kind) in en
    with use_lang("zh"):
        assert text.kind_label(res.model_kind) in zh and text.kind_label(res.model_kind) in ("逻辑回归", "梯度提升")
    assert numbers(en) == numbers(zh) and f"{res.metrics['roc_auc']:.3f}" in zh  # the numbers do not change
    assert english_left(zh, allowed=("created_at", "source", "views", "email", "converted")) == []


def test_model_card_markdown_written_in_both_languages(trained):
    res, model, folder = trained
    en = (folder / "m.card.md").read_text()
    zh = (folder / "m.card.zh.md").read_text()
    assert en.startswith("# Model card: lead scorer") and "## Holdout metrics" in en
    assert zh.startswith("# 模型卡：线索评分模型") and "## 测试集指标" in zh and "## 线索等级" in zh
    assert "| 前10%线索提升度 |" in zh and "| Lift, top 10% of leads |" in en
    # the facts are stored once, in the JSON card; both Markdown files render the same numbers
    auc = f"{model.meta['metrics']['roc_auc']:.3f}"
    assert f"| ROC AUC | {auc} |" in en and f"| ROC AUC | {auc} |" in zh
    versions = tuple(f"{k} {v}" for k, v in model.meta["versions"].items()) + (model.version,)
    assert english_left(zh, allowed=versions + ("leadlab score apply", "leadlab score call-list", "leads.csv",
                                                "allow-weak-model", "created_at", "source", "views", "email")) == []


def test_card_tables_and_pages_localized(trained):
    _res, model, _ = trained
    meta = model.meta
    with use_lang("zh"):
        assert list(card.metrics_table(meta).columns) == ["指标", "模型", "95% 置信区间", "基准"]
        assert list(card.deciles_display(meta).columns)[:4] == ["十分位", "线索数", "转化数", "转化率"]
        assert "已排除" in set(card.features_table(meta)["状态"])
        assert pages.section("headline").startswith("## 核心指标")
        assert "`leadlab score train` 会替换它" in pages.saved_model_markdown(meta, "m.skops")
    with use_lang("en"):
        assert list(card.metrics_table(meta).columns) == ["Measure", "Model", "95% interval", "Baseline"]
    with use_lang("zh"):
        zh_cells = card.metrics_table(meta).iloc[:, 1].tolist()
    with use_lang("en"):
        assert card.metrics_table(meta).iloc[:, 1].tolist() == zh_cells


def test_weak_model_gate_speaks_both_languages():
    meta = {"model_version": "v1", "metrics": {"roc_auc": 0.49, "lift_top_decile": 0.9},
            "baseline": {"name": "source", "roc_auc": 0.55}, "ci95": {}}
    with use_lang("en"), pytest.raises(ModelError, match=r"^model v1 is not fit for use: holdout ROC AUC 0\.490"):
        check_usable(meta, action="apply")
    with use_lang("zh"), pytest.raises(ModelError) as exc:
        check_usable(meta, action="apply")
    msg = str(exc.value)
    assert msg.startswith("模型 v1 不宜使用：测试集 ROC AUC 0.490 不高于 0.5") and "--allow-weak-model" in msg
    assert "“仅用 source”基准" in msg
    q = assess({"roc_auc": 0.53, "lift_top_decile": 1.2}, {"roc_auc": 0.45}, "source", {"roc_auc": (0.49, 0.57)})
    with use_lang("zh"):
        assert "比随机还差" in q.baseline_note and "95% 置信区间" in q.sentence()


def test_monitoring_recommendation_in_both_languages():
    psi = pd.DataFrame({"feature": ["score", "source"], "psi": [0.41, 0.12], "level": ["major", "moderate"]})
    cal = calibration_drift(np.r_[np.ones(300), np.zeros(700)], np.full(1000, 0.15), "2026-09")
    action, reasons = recommend(psi, cal)
    shares = pd.DataFrame({"bin": ["< 10", "10–20"], "training": [0.5, 0.5], "current": [0.3, 0.7]})
    mon = MonitorResult("m-1", "2026-10", 1234, ("2026-01-01", "2026-08-31"), psi, cal, action, reasons, shares,
                        {"campaign": 17})
    with use_lang("en"):
        en = mon.summary()
    with use_lang("zh"):
        zh = mon.summary()
    assert action == "retrain" and en.count("Retrain the scorer now.") == 1
    assert "October 2026" in en and "1,234" in en
    for term in ("请立即重新训练评分模型", "2026年10月", "重大偏移", "评分发生重大偏移", "校准出现偏差", "2026年9月"):
        assert term in zh, term
    assert "PSI 0.41 ≥ 0.25" in en and "PSI 0.41 ≥ 0.25" in zh
    assert english_left(zh, allowed=("campaign", "source", "m-1")) == []


def test_call_list_headers_for_reps():
    lst = pd.DataFrame({"rep_id": ["R1"], "rank": [1], "lead_id": ["L9"], "score": [57.25], "grade": ["A"],
                        "priority": [1], "source": ["展会"], "created_at": [pd.Timestamp("2026-10-02 09:30")],
                        "attempts": [2], "last_call": [pd.NaT]})
    with use_lang("zh"):
        zh = call_list_display(lst)
    with use_lang("en"):
        en = call_list_display(lst)
    assert list(zh.columns) == ["销售", "排名", "线索编号", "评分", "等级", "优先级", "线索来源", "创建时间", "拨打次数",
                                "最近一次拨打"]
    assert list(en.columns)[:6] == ["Rep", "Rank", "Lead ID", "Score", "Grade", "Priority"]
    assert zh.iloc[0, 3] == en.iloc[0, 3] == "57.2" and zh.iloc[0, 6] == "展会"  # data unchanged, one decimal
    assert zh.iloc[0, 7].startswith("2026年10月2日")


def test_holdout_figure_labels_in_chinese(trained):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _res, model, _ = trained
    with use_lang("zh"):
        axes = card.plot_holdout(model.meta)
    titles = [ax.get_title() for ax in axes]
    plt.close("all")
    assert titles == ["校准（测试集线索）", "累计增益", "各十分位提升度"]
    assert axes[1].get_legend().get_texts()[0].get_text() == "模型"


def test_cli_evaluate_and_errors_in_chinese(tmp_path, capsys):
    csv = tmp_path / "leads.csv"
    frame(2000).to_csv(csv, index=False)
    main(["score", "evaluate", "--data", str(csv), "--target", "converted", "--time-col", "created_at",
          "--model-kind", "logistic", "--lang", "zh"])
    out = capsys.readouterr().out
    assert out.startswith("线索评分模型（逻辑回归），按时间划分，留出 20%") and "前10%线索提升度" in out
    with pytest.raises(SystemExit) as exc:
        main(["score", "evaluate", "--data", str(csv), "--target", "converted", "--holdout", "0.9", "--lang", "zh"])
    err = capsys.readouterr().err
    assert exc.value.code != 0 and "holdout_share=0.9：必须在 0.05 到 0.5 之间" in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["score", "apply", "--model", str(tmp_path / "none.skops"), "--lang", "zh",
              "--db", f"duckdb://{tmp_path / 'x.duckdb'}"])
    err = capsys.readouterr().err
    assert "没有模型文件；请先训练：`leadlab score train`" in err


def test_store_monitoring_in_chinese(small_store, tmp_path):
    """The monitoring of a store-trained model renders in Chinese end to end (the same numbers)."""
    from leadlab.scoring.monitor import monitor_store
    from leadlab.store import connect

    db = tmp_path / "s.duckdb"
    shutil.copy(small_store.path, db)
    con = connect(f"duckdb://{db}")
    res = train_scorer("store", con=con, n_boot=20, model_kind="logistic")
    model = persist.from_training(res)
    mon = monitor_store(model, con, period="2026-10")
    with use_lang("zh"):
        zh = mon.summary()
    with use_lang("en"):
        en = mon.summary()
    con.disconnect()
    assert "2026年10月" in zh and "PSI" in zh and text.recommendation(mon.action) in en
    assert re.findall(r"\d+\.\d{3}", en) == re.findall(r"\d+\.\d{3}", zh)
