"""Exported spreadsheets (sync/outputs/exports.py): formula-like text is neutralised (OWASP CSV injection)."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from sync.outputs.exports import issues_workbook, rows_to_xlsx, safe_cell
from sync.check.issues import Issue

CELLS = [
    ("=1+2", "'=1+2"),
    ("+8613812345678", "'+8613812345678"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=cmd", "'\t=cmd"),
    ("\r=cmd", "'\r=cmd"),
    ("=HYPERLINK(\"http://x\",\"点我\")", "'=HYPERLINK(\"http://x\",\"点我\")"),
    ("张三", "张三"),
    ("a=b", "a=b"),
    ("", ""),
    (None, None),
    (-5, -5),
    (3.5, 3.5),
    (date(2020, 8, 10), date(2020, 8, 10)),
]


@pytest.mark.parametrize(("value", "expected"), CELLS)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_workbook_cells_are_text_not_formulas():
    data = rows_to_xlsx({"表": (["=head", "列"], [["=1+2", 7], ["-1", "ok"]])})
    ws = openpyxl.load_workbook(io.BytesIO(data))["表"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [["'=head", "列"], ["'=1+2", 7], ["'-1", "ok"]]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_issues_workbook_lists_cell_references_in_chinese():
    issue = Issue("error", "报到名册", 7, "C7", "身份证号码", "id_number", "140302********1234",
                  "id_number_valid", "身份证号校验位错误（应为 X）")
    data = issues_workbook([issue, {"source": "s", "dataset": "wishes", "sheet": "微心愿", "row": 3, "cell": "A3",
                                    "column": "心愿编号", "severity": "warning", "value": "=cmd", "message": "m",
                                    "check": "c"}])  # an Issue knows no dataset; a mirror row does
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(io.BytesIO(data))["问题清单"].iter_rows()]
    assert rows[0][:6] == ["数据源", "台账", "工作表", "行号", "单元格", "列"]
    assert rows[1][1:9] == [None, "报到名册", 7, "C7", "身份证号码", "错误", "140302********1234",
                            "身份证号校验位错误（应为 X）"]
    assert rows[2][1] == "微心愿" and rows[2][6:8] == ["警告", "'=cmd"]
