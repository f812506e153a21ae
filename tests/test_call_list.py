"""The call list carries what a rep needs to act, from hand-built facts (no synthetic store, no model):
name token, source, attempts, last call and its result, the next step, the rounded score; and the
people's view and file in both languages."""

from __future__ import annotations

import pandas as pd
import pytest

from leadlab.i18n import use_lang
from leadlab.scoring.call_list import call_list, call_list_display
from leadlab.store import connect, write_table

T0 = pd.Timestamp("2026-11-02 09:00")


def _leads() -> pd.DataFrame:
    ids = [f"L{i}" for i in range(1, 11)]
    return pd.DataFrame({
        "lead_id": ids, "created_at": [T0] * 10, "source": ["web_form", "展会", "referral", "event", "web_form",
                                                            "web_form", "web_form", "partner", "event", "event"],
        "rep_id": ["R1"] * 10, "contact_name": [f"tok_{i:016x}" for i in range(1, 11)],
        "sql_at": [pd.NaT] * 6 + [T0 + pd.Timedelta(days=1), pd.NaT, pd.NaT, pd.NaT],
    })


def _calls() -> pd.DataFrame:
    rows = [  # (lead, minutes after T0, disposition)
        ("L2", 60, "no_answer"), ("L2", 120, "callback"),
        ("L3", 60, "not_interested"),
        ("L4", 60, "wrong_number"),
        ("L5", 60, "no_answer"), ("L5", 180, "busy"),
        ("L6", 60, "qualified"), ("L6", 300, "no_answer"),
        *[("L8", 10 * k, "no_answer") for k in range(8)],
        ("L9", 60, "unreachable"),  # 关机: not reached, try again
        ("L10", 60, "no_answer"), ("L10", 90, "invalid_number"),  # 空号: never again
    ]
    return pd.DataFrame({
        "call_id": [f"C{i}" for i in range(len(rows))], "lead_id": [r[0] for r in rows], "rep_id": "R1",
        "started_at": [T0 + pd.Timedelta(minutes=r[1]) for r in rows], "talk_seconds": 30.0,
        "disposition": [r[2] for r in rows],
    })


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    c = connect(f"duckdb://{tmp_path_factory.mktemp('calllist') / 's.duckdb'}")
    write_table(c, "leads", _leads())
    write_table(c, "calls", _calls())
    write_table(c, "lead_scores", pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(1, 11)],
        "score": [90.04, 80.0, 70.0, 65.0, 57.26, 50.0, 99.0, 98.0, 40.0, 97.0],
        "grade": ["A", "A", "B", "B", "B", "C", "A", "A", "C", "A"], "priority": [1, 1, 2, 2, 2, 3, 1, 1, 3, 1],
        "model_version": "m1", "scored_at": T0}))
    return c


def test_each_row_says_what_to_do_next(con):
    lst = call_list(con, capacity=10).set_index("lead_id")
    # L4 had a wrong number, L10 an invalid one (空号), L7 is already SQL, L8 was dialled 8 times: off the list
    assert list(lst.index) == ["L1", "L2", "L3", "L5", "L6", "L9"]
    assert lst.next_step.to_dict() == {"L1": "first_call", "L2": "call_back", "L3": "follow_up", "L5": "retry",
                                       "L6": "retry", "L9": "retry"}  # L6: the *last* call (no answer) decides
    assert lst.attempts.to_dict() == {"L1": 0, "L2": 2, "L3": 1, "L5": 2, "L6": 2, "L9": 1}
    assert lst.loc["L5", "last_disposition"] == "busy" and lst.loc["L5", "last_call"] == T0 + pd.Timedelta(hours=3)
    assert pd.isna(lst.loc["L1", "last_call"]) and pd.isna(lst.loc["L1", "last_disposition"])
    assert lst.loc["L2", "source"] == "展会" and lst.loc["L3", "contact_name"] == f"tok_{3:016x}"
    assert lst.loc["L5", "score"] == 57.3  # one decimal of a 0-100 score = a probability to 3 decimals
    assert list(lst["rank"]) == [1, 2, 3, 4, 5, 6]


def test_connected_without_conversation_is_call_again(con):
    lst = call_list(con, capacity=10, exclude_dispositions=()).set_index("lead_id")
    assert lst.loc["L4", "next_step"] == "call_again" and lst.loc["L4", "last_disposition"] == "wrong_number"


def test_people_view_in_both_languages(con):
    lst = call_list(con, capacity=10)
    with use_lang("zh"):
        zh_file = call_list_display(lst, for_file=True)
        zh_text = call_list_display(lst)
    with use_lang("en"):
        en_file = call_list_display(lst, for_file=True)
    assert list(zh_file.columns) == ["销售", "排名", "线索编号", "联系人（脱敏代号）", "线索来源", "创建时间", "拨打次数",
                                     "最近一次拨打", "最近通话结果", "下一步", "评分", "等级", "优先级"]
    assert list(zh_file["下一步"]) == ["首次拨打", "按约回访", "跟进上次通话"] + ["重拨：上次未接通"] * 3
    assert zh_file["最近通话结果"].iloc[5] == "关机/无法接通"
    assert list(en_file["Next step"])[:3] == ["First call", "Call back as agreed", "Follow up the conversation"]
    assert list(zh_file["最近通话结果"])[1:4] == ["预约回访", "已接通-无意向", "忙线"]
    # the file keeps numbers and date-times typed; the terminal view is text
    assert zh_file["评分"].dtype == "float64" and zh_file["拨打次数"].dtype == "int64"
    assert pd.api.types.is_datetime64_any_dtype(zh_file["最近一次拨打"])
    assert zh_text["最近一次拨打"].iloc[3] == "2026年11月2日 12:00" and zh_text["最近一次拨打"].iloc[0] == ""
    assert zh_text["评分"].iloc[3] == "57.3"


def test_no_calls_table_means_first_call_for_everyone(tmp_path):
    c = connect(f"duckdb://{tmp_path / 'n.duckdb'}")
    write_table(c, "leads", _leads())
    write_table(c, "lead_scores", pd.DataFrame({"lead_id": ["L1", "L2"], "score": [10.0, 20.0], "grade": "C",
                                                "priority": 3, "model_version": "m1", "scored_at": T0}))
    lst = call_list(c, capacity=5)
    assert list(lst.lead_id) == ["L2", "L1"] and set(lst.next_step) == {"first_call"} and set(lst.attempts) == {0}
