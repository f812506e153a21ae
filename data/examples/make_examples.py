"""Regenerate the example exports in this folder (seeded; run from the project root).

    .venv/bin/python data/examples/make_examples.py

reps.csv (UTF-8), leads_zh.csv (GB18030, Chinese headers, raw fake phones /
e-mails / names: use mapping_zh.yml), calls.csv (UTF-8 with BOM),
experiments.csv and assignments.csv (UTF-8). All consistent, so loading them in
this order into an empty store works.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
rng = random.Random(2026)

REPS = [
    ("R001", "Zhang Wei", "north"), ("R002", "Li Na", "north"), ("R003", "Wang Fang", "south"),
    ("R004", "Liu Yang", "south"), ("R005", "Chen Jie", "east"), ("R006", "Ann Becker", "east"),
]
SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳"]
SOURCES = ["web_form", "paid_search", "referral", "list_purchase", "event"]
REGIONS = ["华北", "华东", "华南", "西南"]
INDUSTRIES = ["制造", "零售", "软件", "物流"]
TITLES = ["c_level", "manager", "staff"]
DISPOSITIONS = ["no_answer", "busy", "voicemail", "not_interested", "callback", "qualified", "wrong_number"]


def write(path: Path, rows: list[list], encoding: str) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def fmt(ts: datetime, style: str = "iso") -> str:
    return ts.strftime("%Y/%m/%d %H:%M" if style == "zh" else "%Y-%m-%d %H:%M:%S")


def main() -> None:
    write(HERE / "reps.csv", [["rep_id", "rep_name", "team", "hired_at", "hourly_cost"]] + [
        [rid, name, team, f"202{rng.randint(2, 5)}-0{rng.randint(1, 9)}-15", rng.choice([38, 42, 45, 50])]
        for rid, name, team in REPS], "utf-8")

    leads = []
    header = ["线索编号", "创建时间", "来源", "活动", "区域", "负责人", "公司规模", "行业", "职位",
              "页面浏览", "下载次数", "参加网络研讨会", "邮件打开", "电话", "邮箱", "姓名",
              "成为MQL时间", "成为SQL时间", "成为商机时间", "赢单时间", "输单时间", "收入", "备注"]
    rows = [header]
    start = datetime(2026, 10, 1, 9, 0)
    for i in range(1, 21):
        created = start + timedelta(days=rng.randint(0, 40), minutes=rng.randint(0, 480))
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + ("" if rng.random() < 0.5 else rng.choice(GIVEN))
        phone = f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
        phone_shown = rng.choice([phone, "+86 " + phone, f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"])
        email = f"lead{i:02d}.{rng.choice(['wang', 'li', 'zhang'])}@example.cn"
        mql = created + timedelta(days=1) if rng.random() < 0.7 else None
        sql_ = mql + timedelta(days=2) if mql and rng.random() < 0.5 else None
        opp = sql_ + timedelta(days=3) if sql_ and rng.random() < 0.6 else None
        won = opp + timedelta(days=7) if opp and rng.random() < 0.5 else None
        lost = created + timedelta(days=20) if not won and rng.random() < 0.3 else None
        rep = REPS[(i - 1) % len(REPS)][0]
        lid = f"L{i:04d}"
        leads.append((lid, created, rep))
        rows.append([
            lid, fmt(created, "zh"), rng.choice(SOURCES), f"CMP-{rng.randint(1, 3)}", rng.choice(REGIONS), rep,
            rng.choice([12, 50, 200, 1000, ""]), rng.choice(INDUSTRIES), rng.choice(TITLES),
            rng.randint(0, 30), rng.randint(0, 4), rng.choice(["是", "否"]), rng.randint(0, 12),
            phone_shown, email.upper() if i % 5 == 0 else email, name,
            fmt(mql, "zh") if mql else "", fmt(sql_, "zh") if sql_ else "", fmt(opp, "zh") if opp else "",
            fmt(won, "zh") if won else "", fmt(lost, "zh") if lost else "",
            rng.choice([8000, 15000, 30000]) if won else "", "请上午联系" if i % 4 == 0 else "",
        ])
    write(HERE / "leads_zh.csv", rows, "gb18030")

    calls = [["call_id", "lead_id", "rep_id", "started_at", "ring_seconds", "talk_seconds", "hold_seconds",
              "wrap_seconds", "disposition", "script"]]
    n = 0
    for lid, created, rep in leads:
        t = created
        for _ in range(rng.randint(1, 4)):
            n += 1
            t = t + timedelta(hours=rng.randint(1, 30))
            disp = rng.choice(DISPOSITIONS)
            talk = 0 if disp in ("no_answer", "busy", "voicemail") else rng.randint(20, 600)
            calls.append([f"C{n:05d}", lid, rep, fmt(t), rng.randint(3, 30), talk, rng.choice([0, 0, 15]),
                          rng.randint(10, 90), disp, "A" if int(lid[1:]) % 2 else "B"])
    write(HERE / "calls.csv", calls, "utf-8-sig")

    write(HERE / "experiments.csv", [
        ["experiment_id", "name", "unit_type", "control_arm", "primary_metric", "started_at", "ended_at", "description"],
        ["EXP-EXAMPLE", "Opening line test", "lead", "A", "sql_rate", "2026-10-01 00:00:00", "",
         "Script B opens with the customer's industry."],
    ], "utf-8")
    write(HERE / "assignments.csv", [["experiment_id", "unit_type", "unit_id", "arm", "assigned_at"]] + [
        ["EXP-EXAMPLE", "lead", lid, "A" if int(lid[1:]) % 2 else "B", fmt(created)] for lid, created, _ in leads
    ], "utf-8")


if __name__ == "__main__":
    main()
