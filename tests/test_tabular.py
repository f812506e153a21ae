"""leadlab.tabular: the BOM rule (on in Chinese, off otherwise, explicit override), the format chosen
by the suffix, and its refusals in both languages."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from leadlab.errors import ConfigError
from leadlab.i18n import use_lang
from leadlab.tabular import default_bom, write_csv_stream, write_table

BOM = b"\xef\xbb\xbf"
FRAME = pd.DataFrame({"销售": ["张伟", "=1+1"], "评分": [57.3, 8.0]})


@pytest.mark.parametrize("lang, bom, expected", [
    ("zh", None, True), ("en", None, False), ("zh", False, False), ("en", True, True),
])
@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_bom_rule(tmp_path, lang, bom, expected, suffix):
    with use_lang(lang):
        assert default_bom() is (lang == "zh")
        path = write_table(FRAME, tmp_path / f"t{suffix}", bom=bom)
    raw = path.read_bytes()
    assert raw.startswith(BOM) is expected
    text = raw.decode("utf-8-sig")
    sep = "\t" if suffix == ".tsv" else ","
    assert text.splitlines()[1] == sep.join(["张伟", "57.3"]) and "'=1+1" in text  # same cells either way


def test_stream_never_has_a_bom(capsys):
    with use_lang("zh"):
        write_csv_stream(FRAME)
    assert not capsys.readouterr().out.startswith("\ufeff")


def test_xlsx_is_chosen_by_the_suffix(tmp_path):
    with use_lang("zh"):
        path = write_table(FRAME, tmp_path / "t.XLSX", sheet="拨打清单")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["拨打清单"]
    rows = [[c.value for c in r] for r in wb.active.iter_rows()]
    assert rows == [["销售", "评分"], ["张伟", 57.3], ["'=1+1", 8]]
    ws = wb.active  # for people: the header row stays in view, columns fit their text (CJK counts two)
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["A"].width == 8 and ws.column_dimensions["B"].width == 8
    wide = write_table(pd.DataFrame({"联系人（脱敏代号）": ["甲"]}), tmp_path / "w.xlsx")  # 9 wide characters
    assert openpyxl.load_workbook(wide).active.column_dimensions["A"].width == 2 * 9 + 2


def test_refusals_speak_the_language(tmp_path):
    with use_lang("zh"), pytest.raises(ConfigError) as zh:
        write_table(FRAME, tmp_path / "t.xls")
    with use_lang("en"), pytest.raises(ConfigError) as en:
        write_table(FRAME, tmp_path / "nope" / "t.csv")
    assert "不支持的文件类型 .xls" in zh.value.message and "'t.xls'" in zh.value.message
    assert "the folder" in en.value.message and "does not exist" in en.value.message
    assert not list(tmp_path.iterdir())
