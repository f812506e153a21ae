"""The one metric vocabulary: complete in both languages, formulas unchanged, one funnel,
one meaning of "connect rate", `kpi list` and docs/kpi.md read it."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from leadlab.errors import ConfigError
from leadlab.i18n import translate, use_lang
from leadlab.vocabulary import (ALIASES, EXPERIMENT_RENAMES, FAMILIES, FUNNEL, METRICS, SCORECARD_RATES, STAGES,
                                UNITS, canonical_id, metric, stages)
from leadlab.vocabulary.render import uses
from leadlab.vocabulary.entry import TESTS
from leadlab.vocabulary.measures import KPI_MEASURES, UNIT_MEASURES

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")

# The KPI catalogue as it was before the vocabulary (leadlab/kpi/definitions.py at 9f6475a):
# old id -> (numerator, denominator, scale, extra numerator, needs spend)
OLD_KPIS = {
    "dials": ("dials", None, 1.0, None, False), "talk_hours": ("talk_seconds", None, 1 / 3600, None, False),
    "avg_talk_seconds": ("conn_talk_seconds", "connected", 1.0, None, False),
    "connect_rate": ("connected", "dials", 1.0, None, False),
    "conversation_rate": ("conversations", "connected", 1.0, None, False),
    "conversations_per_dial": ("conversations", "dials", 1.0, None, False),
    "calls_per_lead": ("dials", "leads_called", 1.0, None, False),
    "followups_per_lead": ("followups", "leads_called", 1.0, None, False),
    "invalid_number_share": ("invalid_number_leads", "leads_called", 1.0, None, False),  # added with issue 11
    "aht_seconds": ("handle_seconds", "handled", 1.0, None, False),
    "complaints_per_1000": ("complaints", "dials", 1000.0, None, False),
    "dnc_per_1000": ("dnc", "dials", 1000.0, None, False),
    "new_leads": ("new_leads", None, 1.0, None, False), "mql": ("mqls", None, 1.0, None, False),
    "sql": ("sqls", None, 1.0, None, False), "sql_per_conversation": ("sqls", "conversations", 1.0, None, False),
    "opportunity_rate": ("opportunities", "sqls", 1.0, None, False), "win_rate": ("won", "opportunities", 1.0, None, False),
    "opportunities": ("opportunities", None, 1.0, None, False), "won": ("won", None, 1.0, None, False),
    "sales_conversion": ("won", "sqls", 1.0, None, False), "revenue": ("revenue", None, 1.0, None, False),
    "avg_deal_size": ("revenue", "won", 1.0, None, False),
    "reached_5m": ("reached_5m", "sp_leads", 1.0, None, False), "reached_1h": ("reached_1h", "sp_leads", 1.0, None, False),
    "reached_24h": ("reached_24h", "sp_leads", 1.0, None, False),
    "response_median_min": ("response_median_min", None, 1.0, None, False),
    "response_p90_min": ("response_p90_min", None, 1.0, None, False),
    "marketing_spend": ("spend", None, 1.0, None, True), "rep_cost": ("rep_cost", None, 1.0, None, False),
    "cost_per_lead": ("spend", "new_leads", 1.0, None, True), "cost_per_sql": ("spend", "sqls", 1.0, "rep_cost", True),
    "rep_cost_per_sql": ("rep_cost", "sqls", 1.0, None, False), "cac": ("spend", "won", 1.0, "rep_cost", True),
}
# The experiments' metrics before (leadlab/experiments/metrics.py at 9f6475a):
# old id -> (numerator, denominator, binary, scale, margin, naive_sq, higher is better)
OLD_STORE_METRICS = {
    "sql_rate": ("sql", "n_leads", True, 1.0, None, "sql", True),
    "connect_rate": ("connected", "n_leads", True, 1.0, None, "connected", True),
    "conversation_rate": ("conversation", "n_leads", True, 1.0, None, "conversation", True),
    "opportunity_rate": ("opportunity", "n_leads", True, 1.0, None, "opportunity", True),
    "win_rate": ("won", "n_leads", True, 1.0, None, "won", True),
    "revenue_per_lead": ("revenue", "n_leads", False, 1.0, None, "revenue_sq", True),
    "sqls_per_call": ("sql", "calls", False, 1.0, None, None, True),
    "talk_seconds_per_call": ("talk_seconds", "calls", False, 1.0, None, "talk_sq", True),
    "complaints_per_1000_calls": ("complaints", "calls", False, 1000.0, 0.25, "complaints", False),
    "dnc_per_1000_calls": ("dnc", "calls", False, 1000.0, 0.25, "dnc", False),
}
# old id -> new id: the intentional renames (everything else kept its id)
RENAMED_KPIS = {"connect_rate": "call_connect_rate", "reached_5m": "called_within_5m",
                "reached_1h": "called_within_1h", "reached_24h": "called_within_24h"}
RENAMED_METRICS = {"connect_rate": "lead_reach_rate", "conversation_rate": "lead_conversation_rate",
                   "opportunity_rate": "lead_opportunity_rate", "win_rate": "lead_conversion_rate",
                   "complaints_per_1000_calls": "complaints_per_1000", "dnc_per_1000_calls": "dnc_per_1000"}
# glossary (/work/shared/glossary.md) terms the Chinese names must use
GLOSSARY = {"dials": "拨打量", "call_connect_rate": "接通率", "conversation_rate": "对话率", "lead_reach_rate": "触达率",
            "aht_seconds": "平均处理时间", "cost_per_lead": "每线索成本", "cost_per_sql": "每个SQL成本",
            "sales_conversion": "销售转化率", "lead_conversion_rate": "线索转化率", "revenue": "贡献销售额",
            "opportunities": "销售机会", "followups_per_lead": "跟进次数", "calls_per_lead": "单线索拨打次数",
            "avg_talk_seconds": "平均通话时长", "called_within_5m": "响应"}


# ---------------------------------------------------------------- completeness

@pytest.mark.parametrize("mid", list(METRICS))
def test_every_metric_is_complete_in_both_languages(mid):
    e = metric(mid)
    assert e.id == mid and e.family in FAMILIES and e.unit in UNITS and e.test in TESTS
    assert isinstance(e.higher_is_better, bool) and e.engines, mid
    with use_lang("en"):
        en = (e.name(), e.definition(), e.formula_text())
    with use_lang("zh"):
        zh = (e.name(), e.definition(), e.formula_text())
    assert all(t.strip() for t in en) and en[1].endswith(".")
    assert CJK.search(zh[0]) or zh[0] in ("SQL数", "MQL数"), zh  # translated, not the English text
    assert CJK.search(zh[1]) and CJK.search(zh[2]) and zh[1].endswith("。")
    assert not re.search(r"[a-z]{3,}", zh[2]), zh[2]  # the formula's words are Chinese too
    assert e.format(0.5) != "" and e.format(float("nan")) == "n/a"
    with use_lang("zh"):
        assert e.format(float("nan")) == "无数据"


def test_formulas_point_to_measures_the_engines_compute():
    from leadlab.kpi.measures import ALL_MEASURES

    kpi_columns = set(ALL_MEASURES)
    assert set(KPI_MEASURES) == kpi_columns  # every measure has a name, every name a measure
    for e in METRICS.values():
        if e.kpi is not None:
            assert set(e.kpi.measures) <= kpi_columns and set(e.kpi.measures) <= set(KPI_MEASURES), e.id
        if e.per_unit is not None:
            assert set(e.per_unit.columns) <= set(UNIT_MEASURES), e.id


def test_per_unit_columns_exist_in_the_experiment_unit_tables(small_store):
    from leadlab.experiments.queries import lead_units, rep_units
    from leadlab.store import connect

    con = connect(small_store.url, read_only=True)
    exps = con.table("experiments").to_pandas().set_index("experiment_id")
    for eid, row in exps.iterrows():
        u, _ = (lead_units(con, eid) if row["unit_type"] == "lead" else rep_units(con, eid, row["started_at"]))
        cols = set(u.columns)
        assert set(UNIT_MEASURES) <= cols, (eid, set(UNIT_MEASURES) - cols)
        for e in METRICS.values():
            if e.per_unit is not None and e.per_unit.naive_sq and row["unit_type"] == "lead":
                assert e.per_unit.naive_sq in cols, e.id


def test_glossary_terms():
    with use_lang("zh"):
        for mid, term in GLOSSARY.items():
            assert term in metric(mid).name(), (mid, metric(mid).name())
        assert [STAGES[s].name() for s in FUNNEL] == ["线索", "拨打", "接通", "对话", "SQL", "销售机会", "赢单"]
        assert [translate(FAMILIES[f]) for f in ("activity", "quality", "outcomes")] == [
            "活动量指标", "质量与效率指标", "结果指标"]


def test_lookup_errors_and_aliases():
    with pytest.raises(ConfigError, match=r"unknown metric 'nope'; valid metrics: dials, talk_hours, .*lead_reach_rate"):
        metric("nope")
    with pytest.raises(ConfigError, match=r"^targets.yml: unknown metric 'x'"):
        canonical_id("x", where="targets.yml")
    with pytest.warns(DeprecationWarning, match="'connect_rate' is deprecated; use 'call_connect_rate'"):
        assert metric("connect_rate").id == "call_connect_rate"
    assert not set(ALIASES) & set(METRICS) and set(ALIASES.values()) <= set(METRICS)
    for old, new in EXPERIMENT_RENAMES.items():
        assert METRICS[new].per_unit is not None and METRICS[new].kpi is None
    assert len(set(METRICS)) == len(METRICS) == 41 + 6 + 1  # + 6 customer KPIs (leadlab.kpi.customer), + invalid_number_share
    assert all("scorecard" in uses(METRICS[r]) for r in SCORECARD_RATES)


# ---------------------------------------------------------------- no number changed

def test_kpi_formulas_equal_the_old_catalogue_on_the_small_store(small_store):
    from leadlab.kpi import KpiData
    from leadlab.kpi.definitions import KPIS, compute
    from leadlab.kpi.measures import measures
    from leadlab.kpi.stats import safe_div
    from leadlab.store import connect

    data = KpiData.from_store(connect(small_store.url, read_only=True))
    per = data.period("last-month")
    m = measures(data, [per, per.previous()])
    new = compute(m)
    # the customer family (surveys, payments: leadlab.kpi.customer) is new, not in the old catalogue
    assert set(RENAMED_KPIS.get(k, k) for k in OLD_KPIS) == {k for k in KPIS if KPIS[k].family != "customer"}
    for old, (num, den, scale, extra, spend) in OLD_KPIS.items():
        x = m[num].astype(float).to_numpy() + (m[extra].astype(float).to_numpy() if extra else 0.0)
        want = x * scale if den is None else np.atleast_1d(safe_div(x, m[den].astype(float).to_numpy())) * scale
        if spend and not m.attrs.get("has_spend"):
            want = np.full(len(m), np.nan)
        got = new[RENAMED_KPIS.get(old, old)].to_numpy(dtype=float)
        np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True, err_msg=old)
    assert np.isfinite(new["call_connect_rate"]).all() and (new["dials"] > 0).all()
    # an old id still computes the same column (targets files, scorecard weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = compute(m, ["connect_rate"])
    np.testing.assert_allclose(old["connect_rate"], new["call_connect_rate"])


def test_experiment_metrics_equal_the_old_declarations():
    from leadlab.experiments.metrics import DEFAULT_METRICS, STORE_METRICS, resolve_metrics

    assert set(RENAMED_METRICS.get(k, k) for k in OLD_STORE_METRICS) == set(STORE_METRICS)
    for old, (num, den, binary, scale, margin, sq, up) in OLD_STORE_METRICS.items():
        m = STORE_METRICS[RENAMED_METRICS.get(old, old)]
        assert (m.numerator, m.denominator, m.binary, m.scale, m.margin, m.naive_sq, m.higher_is_better) == (
            num, den, binary, scale, margin, sq, up), old
        assert m.percent == binary
    assert DEFAULT_METRICS[0] == "sql_rate" and "lead_reach_rate" in DEFAULT_METRICS
    assert [m.name for m in resolve_metrics("")] == list(DEFAULT_METRICS)
    for old, new in EXPERIMENT_RENAMES.items():  # a changed meaning is an error naming the new id
        with pytest.raises(ConfigError, match=f"metric '{old}' .* was renamed: .* use '{new}'"):
            resolve_metrics(old)
    with pytest.warns(DeprecationWarning):
        assert resolve_metrics("complaints_per_1000_calls")[0].name == "complaints_per_1000"
    with use_lang("zh"):
        assert STORE_METRICS["lead_reach_rate"].title == "触达率"


# ---------------------------------------------------------------- one funnel, one "connect rate"

def test_one_funnel_everywhere():
    from leadlab.experiments.metrics import FUNNEL_STAGES
    from leadlab.kpi.funnel import STAGES as KPI_STAGES
    from leadlab.overview import FUNNEL_STAGES as OVERVIEW_STAGES

    assert FUNNEL == ("leads", "dialed", "connected", "conversation", "sql", "opportunity", "won")
    assert tuple(OVERVIEW_STAGES) == FUNNEL
    assert tuple(s for _, s in FUNNEL_STAGES) == FUNNEL
    assert tuple(s for s, _ in KPI_STAGES) == FUNNEL[1:] == tuple(s.id for s in stages("event"))
    # each event step's conversion is the KPI named for it: this stage's measure / the previous one's
    ev = stages("event")
    for prev, cur in zip(ev, ev[1:]):
        k = metric(cur.step_metric).kpi
        assert (k.num, k.den, k.scale) == (cur.event_measure, prev.event_measure, 1.0), cur.id


def test_connect_rate_has_one_meaning():
    with use_lang("en"):
        assert metric("call_connect_rate").formula_text() == "connected calls ÷ dials"
        assert metric("lead_reach_rate").formula_text() == "leads reached ÷ leads"
        names = [e.name() for e in METRICS.values()]
    assert len(set(names)) == len(names)  # no two metrics share a name
    with use_lang("zh"):
        zh = [e.name() for e in METRICS.values()]
    assert len(set(zh)) == len(zh) and zh.count("接通率") == 1
    # the bare old id survives only as a documented alias
    hits = []
    for path in [*ROOT.joinpath("leadlab").rglob("*.py"), *ROOT.joinpath("notebooks").glob("*.ipynb")]:
        if path.name == "metrics.py" and path.parent.name == "vocabulary":
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"(?<![\w])connect_rate\b", line) and "ALIASES" not in line and "old id" not in line:
                hits.append(f"{path.relative_to(ROOT)}:{i}")
    assert not hits, hits


# ---------------------------------------------------------------- kpi list and docs

def _kpi_list(*args: str) -> str:
    from leadlab.cli import cli

    res = CliRunner().invoke(cli, [*args, "kpi", "list"])
    assert res.exit_code == 0, res.output
    return res.output


def test_kpi_list_in_both_languages():
    en = _kpi_list("--lang", "en")
    assert "call_connect_rate — Connect rate" in en and "Formula: connected calls ÷ dials" in en
    assert "lead_reach_rate — Reach rate" in en and all(mid in en for mid in METRICS)
    zh = _kpi_list("--lang", "zh")
    assert "call_connect_rate — 接通率" in zh and "公式：接通次数 ÷ 拨打量" in zh
    assert "lead_reach_rate — 触达率" in zh and "活动量指标" in zh and "用于：" in zh
    assert not re.search(r"Formula|Definition|higher is better", zh)


def test_docs_kpi_table_is_in_step():
    from leadlab.vocabulary.render import DOCS_PATH, docs_in_step, docs_table

    assert docs_in_step(), "docs/kpi.md is out of step: run python -m leadlab.vocabulary.render"
    table = docs_table()
    assert table.count("\n") == len(METRICS) + 1
    assert "| `call_connect_rate` | Connect rate | 接通率 | activity | connected calls ÷ dials |" in table
    text = DOCS_PATH.read_text(encoding="utf-8")
    assert table in text
