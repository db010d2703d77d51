"""Normalisation of every kind of messy cell that domain.md says staff sheets hold."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from sync.check.normalize import normalise
from sync.sources.readers import read_file
from sync.check.source import check_source
from tests.validation_cases import ZHANG_SAN, record, rows_of, validate_rows, write_xlsx

AUG10 = date(2020, 8, 10)

# (raw cell, kind, normalised value); every one of these reads without a problem
READ_CASES = [
    # full-width digits and spaces
    ("１３８１２３４５６７８", "phone", "13812345678"),
    ("１３８　１２３４　５６７８", "phone", "13812345678"),
    ("０３５３－２０２１２３４", "phone", "0353-2021234"),
    ("１２", "int", 12),
    ("２０２０年８月１０日", "date", AUG10),
    # ideographic and stray spaces in names
    ("张　三", "name", "张三"),
    ("　张三　", "name", "张三"),
    (" 张 三 ", "name", "张三"),
    ("欧阳　娜娜", "name", "欧阳娜娜"),
    ("Li Ming", "name", "Li Ming"),  # spaces between Latin letters are part of the name
    # stray spaces around enum values
    ("已完成 ", "enum", "已完成"),
    (" 在岗", "enum", "在岗"),
    ("已完成\u3000", "enum", "已完成"),
    ("\t待认领\n", "enum", "待认领"),
    # free text: trimmed, otherwise as typed
    ("  德胜街社区 ", "text", "德胜街社区"),
    ("\u3000备注\u3000", "text", "备注"),
    (101.0, "text", "101"),
    (101, "text", "101"),
    # phones typed as numbers
    (13812345678, "phone", "13812345678"),
    (13812345678.0, "phone", "13812345678"),
    ("138-1234-5678".replace("-", " "), "phone", "13812345678"),
    # ID numbers typed as text
    ("11010519491231002x", "id", "11010519491231002X"),
    (" 11010519491231002X ", "id", "11010519491231002X"),
    ("110105 19491231 002X", "id", "11010519491231002X"),
    ("１１０１０５１９４９１２３１００２ｘ", "id", "11010519491231002X"),
    # dates in every way staff keep them
    (AUG10, "date", AUG10),
    (datetime(2020, 8, 10, 9, 30), "date", AUG10),
    (44053, "date", AUG10),  # Excel serial (day 0 = 1899-12-30)
    (44053.0, "date", AUG10),
    (44053.75, "date", AUG10),  # a serial with a time of day
    ("44053", "date", AUG10),  # a serial exported to CSV
    ("2020/8/10", "date", AUG10),
    ("2020.8.10", "date", AUG10),
    ("2020-08-10", "date", AUG10),
    ("2020-8-10", "date", AUG10),
    ("2020年8月10日", "date", AUG10),
    ("2020年08月10日", "date", AUG10),
    ("2020 年 8 月 10 日", "date", AUG10),
    ("20200810", "date", AUG10),
    (" 2020/8/10 ", "date", AUG10),
    ("2020-08-10 00:00:00", "date", AUG10),
    ("2020/8/10 9:30", "date", AUG10),
    ("2020-08-10T09:30:00", "date", AUG10),
    # Regression: 20200810 typed into a number cell was taken for a serial and rejected
    # (超出日期范围), though the README lists 20200810 among the accepted forms.
    (20200810, "date", AUG10),
    (20200810.0, "date", AUG10),
    # integers and decimals
    (12, "int", 12),
    (12.0, "int", 12),
    ("12", "int", 12),
    (" 12 ", "int", 12),
    ("1,200", "int", 1200),
    ("0", "int", 0),
    (-3, "int", -3),  # read; the schema's ≥ 0 rule judges it
    (36.5, "number", 36.5),
    (10, "number", 10.0),
    ("36.5", "number", 36.5),
    ("1,234.5", "number", 1234.5),
    ("３６．５", "number", 36.5),
    ("-1", "number", -1.0),
]

# (raw cell, kind, check id, fragment of the Chinese message)
PROBLEM_CASES = [
    # an 18-digit ID number stored as a number has lost its last digits: reported, never repaired
    (1.10105194912310E+17, "id", "id_stored_as_number", "身份证号被存为数字"),
    (110105194912310021, "id", "id_stored_as_number", "末尾数字已丢失"),
    (140302198001010.0, "id", "id_stored_as_number", "身份证号被存为数字"),  # a 15-digit old-style number
    ("1.10105194912310E+17", "id", "id_stored_as_number", "科学计数法"),  # the float exported as text
    ("1.1010519491231e+17", "id", "id_stored_as_number", "科学计数法"),
    ("１．１０１０５Ｅ＋１７", "id", "id_stored_as_number", "科学计数法"),
    # impossible dates and garbage text
    ("2020/2/30", "date", "date_invalid", "日期不存在"),
    ("2021年2月29日", "date", "date_invalid", "日期不存在"),
    ("20201301", "date", "date_invalid", "日期不存在"),
    ("2020-13-01", "date", "date_invalid", "日期不存在"),
    ("去年八月", "date", "date_invalid", "无法识别的日期“去年八月”"),
    ("2020/8", "date", "date_invalid", "无法识别的日期"),
    ("8/10/2020", "date", "date_invalid", "无法识别的日期"),
    ("待定", "date", "date_invalid", "2020-08-10"),  # the message shows how to write one
    (0, "date", "date_invalid", "超出日期范围"),
    (-5, "date", "date_invalid", "超出日期范围"),
    (3e8, "date", "date_invalid", "超出日期范围"),
    (20201301, "date", "date_invalid", "日期不存在"),
    # Regression: a bare year read as an Excel serial (2020 -> 1905-07-12) passed as a date.
    (2020, "date", "date_invalid", "只填了年份"),
    ("2020", "date", "date_invalid", "只填了年份"),
    (1, "date", "date_invalid", "早于1950年"),
    ("0001/1/1", "date", "date_invalid", "早于1950年"),
    (20200810.5, "date", "date_invalid", "超出日期范围"),
    (True, "date", "date_invalid", "不是日期"),
    (time(9, 30), "date", "date_invalid", "不是日期"),
    # formula errors, in any kind of column
    ("#REF!", "text", "formula_error", "#REF!"),
    ("#N/A", "date", "formula_error", "#N/A"),
    (" #N/A ", "phone", "formula_error", "#N/A"),
    ("#DIV/0!", "int", "formula_error", "#DIV/0!"),
    ("#VALUE!", "id", "formula_error", "#VALUE!"),
    ("#NAME?", "enum", "formula_error", "#NAME?"),
    # phones that are not phones
    (13812345678.5, "phone", "phone_valid", "含小数"),
    # integers and decimals that are not
    (1.5, "int", "integer_invalid", "应为整数"),
    ("1.5", "int", "integer_invalid", "应为整数"),
    ("十二", "int", "integer_invalid", "十二"),
    (True, "int", "integer_invalid", "应为整数"),
    # Regression: an integer beyond 64 bits (1e30, or a long ID pasted into 活动次数) raised
    # OverflowError out of validate_table instead of becoming an issue.
    (1e30, "int", "integer_invalid", "数字过大"),
    ("1e30", "int", "integer_invalid", "数字过大"),
    ("99999999999999999999", "int", "integer_invalid", "数字过大"),
    ("abc", "number", "number_invalid", "abc"),
    ("nan", "number", "number_invalid", "应为数字"),
    ("inf", "number", "number_invalid", "应为数字"),
    (False, "number", "number_invalid", "应为数字"),
]

BLANK_CASES = [(raw, kind) for raw in ("", "   ", "\u3000", None, float("nan"))
               for kind in ("text", "name", "id", "phone", "enum", "date", "int", "number")]


@pytest.mark.parametrize("raw, kind, expected", READ_CASES)
def test_reads(raw, kind, expected):
    value, problem = normalise(raw, kind)
    assert problem is None
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("raw, kind, check, fragment", PROBLEM_CASES)
def test_problems(raw, kind, check, fragment):
    value, problem = normalise(raw, kind)
    assert value is None
    assert problem.check == check
    assert fragment in problem.message


@pytest.mark.parametrize("raw, kind", BLANK_CASES)
def test_blank_cells_are_empty_not_wrong(raw, kind):
    assert normalise(raw, kind) == (None, None)


@pytest.mark.parametrize("activities", [1e30, "123456789012345678901234567890"])
def test_huge_integer_is_an_issue_not_a_crash(activities):
    # Regression: OverflowError from pd.Series(dtype="Int64") escaped as a traceback
    result = validate_rows(rows_of("posts", [record("posts", 0, activities=activities)]))
    [issue] = result.issues
    assert (issue.row, issue.cell, issue.field, issue.check) == (2, "H2", "activities", "integer_invalid")
    assert result.valid_rows == 0


@pytest.mark.parametrize("cells, bad_rows", [
    ([1, True, 1.0], {3}),
    ([True, 1], {2}),
    ([1.0, 1, False, 0], {4}),
])
def test_equal_looking_cells_normalise_on_their_own(cells, bad_rows):
    # Regression: the per-column cache keyed on the raw cell, and True == 1 == 1.0 as dict
    # keys, so a TRUE cell took a 1's result (accepted as 1) or a 1 took TRUE's error.
    result = validate_rows(rows_of("posts", [record("posts", n, activities=c) for n, c in enumerate(cells)]))
    assert {i.row for i in result.issues} == bad_rows
    assert all(i.check == "integer_invalid" and i.value in ("TRUE", "FALSE") for i in result.issues)


def _error_cells() -> list[list]:
    return rows_of("wishes", [record("wishes", 0, wisher_phone="#N/A", category="#REF!")])


def test_formula_errors_in_csv_are_reported(tmp_path):
    path = tmp_path / "wishes.csv"
    path.write_text("\n".join(",".join(str(c) for c in row) for row in _error_cells()), encoding="gbk")
    [result] = check_source(read_file(path))
    assert [(i.cell, i.check) for i in result.issues] == [("D2", "formula_error"), ("F2", "formula_error")]
    assert ["#N/A" in i.message for i in result.issues] == [True, False]


def test_formula_errors_in_xlsx_are_reported(tmp_path):
    # Regression: python-calamine 0.9.1 hands error cells back as empty strings, so an #N/A
    # in an optional xlsx column passed as a blank; sync/sources/xlsx_errors.py puts them back.
    path = write_xlsx(tmp_path / "wishes.xlsx", {"微心愿": _error_cells()})  # openpyxl writes them as error cells
    [result] = check_source(read_file(path))
    assert [(i.cell, i.check) for i in result.issues] == [("D2", "formula_error"), ("F2", "formula_error")]


def test_messy_workbook_end_to_end(tmp_path):
    """domain.md's messy sheet, written with real cell types, read through calamine."""
    good = [
        record("roster", 0, name="张　三", phone=13812345678, registered_on=AUG10),
        record("roster", 1, phone="１３９１２３４５６７８", registered_on=44053, gender="女 "),
        record("roster", 2, registered_on="2020年8月10日", id_number=record("roster", 2)["id_number"].lower()),
        record("roster", 3, registered_on=datetime(2020, 8, 10, 14, 0), phone=3532021234),
    ]
    bad_id = record("roster", 0, id_number=float(ZHANG_SAN[:17] + "0"), name="李四",
                    registered_on="2020/8/10")
    rows = rows_of("roster", good + [bad_id], title="上站街道在职党员报到名册（2020年8月）")
    rows.insert(1, [])
    rows.append(["合计", "5人"])
    rows.append(["填表人：王五    审核人：赵六"])
    path = write_xlsx(tmp_path / "messy.xlsx", {"报到名册": rows}, merge_title=True)

    [result] = check_source(read_file(path))
    assert (result.dataset, result.header_row, result.rows) == ("roster", 3, 5)
    found = {(i.row, i.cell, i.check) for i in result.issues}
    # the landline typed as a number lost its leading zero; the ID float lost its last digits
    assert found == {(7, "D7", "phone_valid"), (8, "A8", "id_stored_as_number")}
    assert result.valid_rows == 3
    frame = result.frame.set_index("sheet_row")
    assert frame.loc[4, "name"] == "张三"
    assert frame.loc[5, "phone"] == "13912345678"
    assert frame.loc[5, "gender"] == "女"
    assert frame.loc[6, "id_number"].endswith(record("roster", 2)["id_number"][-1].upper())
    assert {str(d.date()) for d in frame["registered_on"].dropna()} == {"2020-08-10"}
