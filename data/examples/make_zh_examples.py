"""Regenerate the Chinese CRM / dialer example exports (run from the project root).

    .venv/bin/python data/examples/make_zh_examples.py

Hand-made, small enough to check by hand (tests/test_mapping_examples.py does):

* reps_zh.csv — rep roster with names (UTF-8): preset ``crm_reps_zh``
* crm_leads_zh.csv (GB18030) and crm_leads_zh.xlsx — a CRM lead export with a lead status
  (线索状态), the owner rep by name, size bands and money: preset ``crm_leads_zh``
* crm_followups_zh.csv (UTF-8 with BOM) — a follow-up / stage-history export: preset ``crm_followups_zh``
* dialer_calls_zh.csv (UTF-8 with BOM) — a dialer CDR with Chinese dispositions and hh:mm:ss
  durations: preset ``dialer_cdr_zh``
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent

REPS = [["工号", "姓名", "团队", "入职日期", "时薪"],
        ["R01", "张伟", "华北", "2022-03-01", "¥45"],
        ["R02", "李娜", "华北", "2023-07-15", "¥40"],
        ["R03", "王芳", "华东", "2021-11-01", "¥50"],
        ["R04", "刘洋", "华东", "2024-02-20", "¥38"]]

LEADS_HEADER = ["线索编号", "创建时间", "线索来源", "所属销售", "公司规模", "行业", "联系人", "手机", "是否参加研讨会",
                "线索状态", "最后跟进时间", "成交金额", "备注"]
LEADS = [
    ["L001", "2026-09-01 09:00", "官网表单", "张伟", "20-99人", "制造", "赵强", "13800000001", "否", "新线索", "2026-09-01 10:00", "", ""],
    ["L002", "2026-09-01 10:00", "百度推广", "张伟", "100-499人", "零售", "钱敏", "13800000002", "是", "已转MQL", "2026-09-03 10:00", "", "想要报价"],
    ["L003", "2026-09-02 09:00", "客户推荐", "李娜", "1-19人", "软件", "孙丽", "13800000003", "否", "已转SQL", "2026-09-05 15:00", "", ""],
    ["L004", "2026-09-02 11:00", "展会", "李娜", "500-999人", "物流", "李军", "13800000004", "是", "商机", "2026-09-10 11:00", "", ""],
    ["L005", "2026-09-03 09:30", "官网表单", "王芳", "20-99人", "制造", "周洋", "13800000005", "是", "赢单", "2026-09-21 16:00", "¥12,800.00", "年付"],
    ["L006", "2026-09-03 14:00", "购买名单", "王芳", "1000人以上", "零售", "吴静", "13800000006", "否", "输单", "2026-09-15 10:00", "", "空号"],
    ["L007", "2026-09-04 10:00", "百度推广", "刘洋", "100-499人", "软件", "郑勇", "13800000007", "否", "赢单", "2026-09-30 17:00", "1.2万", ""],
    ["L008", "2026-09-05 15:00", "客户推荐", "刘洋", "20-99人", "物流", "王艳", "13800000008", "是", "已转SQL", "2026-09-12 09:00", "", "投诉过"],
]

FOLLOWUPS = [["线索编号", "跟进时间", "原阶段", "新阶段", "跟进人"],
             ["L005", "2026-09-04 10:00", "新线索", "已转MQL", "王芳"],
             ["L005", "2026-09-06 14:00", "已转MQL", "已转SQL", "王芳"],
             ["L005", "2026-09-10 11:00", "已转SQL", "商机", "王芳"],
             ["L005", "2026-09-21 16:00", "商机", "赢单", "王芳"],
             ["L007", "2026-09-05 09:00", "新线索", "已转SQL", "刘洋"],
             ["L007", "2026-09-15 10:00", "已转SQL", "商机", "刘洋"],
             ["L007", "2026-09-30 17:00", "商机", "赢单", "刘洋"]]

CALLS = [["呼叫编号", "客户编号", "坐席", "呼叫开始时间", "振铃时长", "通话时长", "通话结果"],
         ["C01", "L001", "张伟", "2026-09-01 09:05:00", "12", "00:00:00", "未接通"],
         ["C02", "L001", "张伟", "2026-09-01 14:00:00", "3", "00:00:00", "空号"],
         ["C03", "L002", "张伟", "2026-09-01 10:20:00", "8", "00:03:25", "已接通-有意向"],
         ["C04", "L003", "李娜", "2026-09-02 09:30:00", "15", "00:00:00", "忙线"],
         ["C05", "L003", "李娜", "2026-09-02 11:00:00", "6", "00:12:40", "预约回访"],
         ["C06", "L004", "李娜", "2026-09-02 11:20:00", "7", "00:01:05", "已接通-无意向"],
         ["C07", "L005", "王芳", "2026-09-03 10:00:00", "20", "00:00:00", "关机"],
         ["C08", "L005", "王芳", "2026-09-04 09:50:00", "9", "00:08:02", "已接通-有意向"],
         ["C09", "L006", "王芳", "2026-09-03 14:30:00", "4", "00:00:00", "空号"],
         ["C10", "L007", "刘洋", "2026-09-04 10:30:00", "10", "01:02:03", "已接通-有意向"],
         ["C11", "L008", "刘洋", "2026-09-05 15:10:00", "9", "00:00:45", "拒绝再联系"],
         ["C12", "L008", "刘洋", "2026-09-06 09:00:00", "11", "00:02:30", "投诉"]]


def write_csv(path: Path, rows: list[list], encoding: str) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def write_xlsx(path: Path, rows: list[list]) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "线索"
    for i, row in enumerate(rows):
        out = []
        for j, v in enumerate(row):
            if i and j in (1, 10):  # real Excel date-times, as CRMs export them
                out.append(datetime.strptime(v, "%Y-%m-%d %H:%M"))
            else:
                out.append(v if v != "" else None)
        sheet.append(out)
    book.save(path)


if __name__ == "__main__":
    write_csv(HERE / "reps_zh.csv", REPS, "utf-8")
    write_csv(HERE / "crm_leads_zh.csv", [LEADS_HEADER, *LEADS], "gb18030")
    write_xlsx(HERE / "crm_leads_zh.xlsx", [LEADS_HEADER, *LEADS])
    write_csv(HERE / "crm_followups_zh.csv", FOLLOWUPS, "utf-8-sig")
    write_csv(HERE / "dialer_calls_zh.csv", CALLS, "utf-8-sig")
