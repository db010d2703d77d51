"""The annotated workbook (issue 5): the staff's own workbook, invalid cells filled and commented."""

from __future__ import annotations

import hashlib

import openpyxl
import pytest
from click.testing import CliRunner

from jobs.annotate import annotate_workbook
from jobs.cli import main
from sync.sources.grid import SourceUnreadable
from sync.sources.readers import read_file
from sync.check.source import check_source
from tests.jobs_support import messy_register

RED, YELLOW = "00FFC7CE", "00FFEB9C"


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def values(book, sheet):
    return [[c.value for c in row] for row in book[sheet].iter_rows()]


def fill(cell) -> str:
    return cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else ""


def test_invalid_cells_are_filled_and_commented_and_nothing_else_changes(tmp_path):
    book = messy_register(tmp_path / "shangzhan.xlsx")
    before = digest(book)
    out = annotate_workbook(book, check_source(read_file(book)), tmp_path / "out" / "批注.xlsx")
    assert digest(book) == before
    original, marked = openpyxl.load_workbook(book), openpyxl.load_workbook(out)
    for sheet in original.sheetnames:
        assert values(marked, sheet) == values(original, sheet)
    roster, wishes = marked["报到名册"], marked["微心愿"]
    assert fill(roster["D8"]) == RED and "联系电话" in roster["D8"].comment.text
    assert fill(roster["B9"]) == RED and roster["B9"].comment.text.startswith("【错误】身份证号")
    assert fill(wishes["D3"]) == RED and fill(wishes["G4"]) == YELLOW
    assert wishes["G4"].comment.text.startswith("【警告】") and wishes["G4"].comment.author == "台账通"
    marked_cells = {(ws.title, c.coordinate) for ws in marked.worksheets for row in ws.iter_rows() for c in row
                    if c.comment is not None}
    assert marked_cells == {("报到名册", "D8"), ("报到名册", "B9"), ("微心愿", "D3"), ("微心愿", "G4")}
    listing = marked["校验结果"]
    assert [r[4] for r in listing.iter_rows(min_row=2, values_only=True)] == ["D8", "B9", "D3", "G4"]
    assert listing["E2"].hyperlink.location == "'报到名册'!D8"


def test_a_csv_source_becomes_an_xlsx_with_the_same_cell_positions(tmp_path):
    csv = tmp_path / "名册.csv"
    csv.write_text("上站街道名册\n姓名,身份证号,性别,联系电话,工作单位,报到社区,报到日期\n"
                   "张三,110105194912310021,男,12345,=cmd|' /C calc'!A0,德胜街社区,2020-08-10\n", encoding="utf-8")
    out = annotate_workbook(csv, check_source(read_file(csv)), tmp_path / "名册_批注.xlsx")
    ws = openpyxl.load_workbook(out)["名册"]
    assert ws["A1"].value == "上站街道名册" and ws["A3"].value == "张三"
    assert ws["E3"].value == "'=cmd|' /C calc'!A0"  # a formula in a CSV stays inert text
    assert fill(ws["D3"]) == RED and "联系电话" in ws["D3"].comment.text


def test_the_original_file_is_never_the_output(tmp_path):
    book = messy_register(tmp_path / "shangzhan.xlsx")
    with pytest.raises(SourceUnreadable, match="不能是原文件"):
        annotate_workbook(book, [], book)


def test_cli_writes_the_annotated_copy_of_a_registered_source(tmp_path):
    book = messy_register(tmp_path / "shangzhan.xlsx")
    config = tmp_path / "taizhang.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "m.db"}"\n\n[[sources]]\nname = "shangzhan"\n'
                      f'street = "上站街道"\nkind = "excel"\npath = "{book}"\n', encoding="utf-8")
    out = tmp_path / "批注.xlsx"
    result = CliRunner().invoke(main, ["annotate", "shangzhan", "--out", str(out), "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert fill(openpyxl.load_workbook(out)["报到名册"]["D8"]) == RED
    missing = CliRunner().invoke(main, ["annotate", "nope", "--out", str(out), "--config", str(config)])
    assert missing.exit_code == 2 and "没有名为“nope”的数据源" in missing.output
