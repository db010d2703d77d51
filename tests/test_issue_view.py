"""The issue list's HTML (pages.issue_view): escaped, blanks blank, cell + column + message first."""

from __future__ import annotations

import pandas as pd
import pytest

from pages.issue_view import SHOWN, issues_html, results_frame
from sync.check.issues import Issue
from sync.check.validate import SheetResult
from tests.app_world import IssueTable


def rows_of(html: str) -> tuple[list[str], list[list[str]]]:
    table = IssueTable()
    table.feed(html)
    return table.headers, table.rows


@pytest.mark.parametrize("value, shown", [
    (None, ""),  # regression: blanks were drawn as "None"
    (float("nan"), ""),
    (pd.NA, ""),
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),  # text, never markup
    (":red[**假通知**] [点此](http://evil.example)", ":red[**假通知**] [点此](http://evil.example)"),
    ("140302********001X", "140302********001X"),
])
def test_values_are_text_and_blanks_are_blank(value, shown):
    frame = pd.DataFrame([{"单元格": "C7", "列": "姓名", "问题说明": "必填", "当前值": value}])
    html = issues_html(frame)
    assert "<script>alert" not in html
    headers, [row] = rows_of(html)
    assert dict(zip(headers, row))["当前值"] == shown


def test_cell_column_and_message_come_first_and_row_numbers_are_whole():
    results = [SheetResult("报到名册", "roster", 3, 10, 9, issues=[
        Issue("error", "报到名册", None, None, None, None, None, "missing_column", "缺少必填列【姓名】"),
        Issue("warning", "报到名册", 14, "D14", "联系电话", "phone", "138****5678", "phone_valid", "电话格式不正确")])]
    frame = results_frame(results)
    assert frame["行"].tolist()[1] == 14 and str(frame["行"].dtype) == "Int64"  # regression: 14.0 in downloads
    headers, rows = rows_of(issues_html(frame))
    assert headers[:3] == ["单元格", "列", "问题说明"] and set(headers) <= set(SHOWN)
    assert rows[0][:3] == ["", "", "缺少必填列【姓名】"] and rows[1][:3] == ["D14", "联系电话", "电话格式不正确"]
