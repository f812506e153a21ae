"""The shared presentation helpers colour and escape what they are given, where they are told."""

from __future__ import annotations

import re

import pandas as pd

from leadlab.presentation import coloured_status_table, warning_box


def _styled_cells(html: str) -> set[str]:
    """``rowR_colC`` of every cell the Styler gave a rule with a colour."""
    return set(re.findall(r"#T_\w+_(row\d+_col\d+)\s*\{[^}]*color", html))


def test_the_status_column_is_coloured_not_the_last_one():
    disp = pd.DataFrame({"KPI": ["SQLs", "<b>x</b>"], "Status": ["behind", "on track"], "Set by": ["entered", "split"]})
    styles = {"behind": "color: #D55E00", "on track": "color: #009E73"}
    html = coloured_status_table(disp, ["behind", "on track"], styles, "t1", column="Status")
    assert _styled_cells(html) == {"row0_col1", "row1_col1"}
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    default = coloured_status_table(disp, ["behind", "on track"], styles, "t2")
    assert _styled_cells(default) == {"row0_col2", "row1_col2"}


def test_warning_box_escapes_every_text():
    box = warning_box("<script>", "a & b", "")
    assert "<script>" not in box and "&lt;script&gt;" in box and "a &amp; b" in box
