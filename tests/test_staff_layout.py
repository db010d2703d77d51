"""Sheets laid out the way staff lay them out (issue 13): merged cells, two-level headers, line
breaks in header cells, a 序号 column, and a file with no register in it at all."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from sync.check.source import SourceContext, check_source
from sync.sources.grid import Grid, Workbook
from sync.sources.readers import read_file
from tests.staff_layout import ROSTER_ROWS, write_staff_workbook
from tests.validation_cases import record, rows_of, write_xlsx

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "calamine"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared spreadsheet corpus is not beside the repo ({CORPUS})")


def validate(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sync", "validate", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def test_the_staff_workbook_validates_with_no_false_error(tmp_path):
    # Regression (issue 13): 社区 merged over blocks, a two-level header (序号 and 姓名 merged down),
    # 身份证\n号码 headers and dates carrying a time drew 69 false errors and 18 false warnings;
    # every roster row was refused.
    book = write_staff_workbook(tmp_path / "staff.xlsx")
    done = validate(book, "--format", "json")
    report = json.loads(done.stdout)
    found = {s["sheet"]: (s["dataset"], s["header_row"], s["rows"], s["valid_rows"]) for s in report["sheets"]}
    assert found == {"报到名册": ("roster", 3, ROSTER_ROWS, ROSTER_ROWS), "微心愿": ("wishes", 3, 12, 12),
                     "志愿服务岗": ("posts", 3, 9, 9)}
    assert [i for s in report["sheets"] for i in s["issues"]] == []
    assert done.returncode == 0


def roster_grid(merges: list[tuple[int, int, int, int]], n: int = 4, community_col: int = 6) -> Grid:
    """A header and ``n`` good roster rows with their own ID numbers; 报到社区 only where not covered."""
    rows = rows_of("roster", [record("roster", i) for i in range(n)],
                   ["name", "id_number", "gender", "phone", "employer", "registered_on", "community"])
    covered = {(i, j) for r0, c0, r1, c1 in merges for i in range(r0, r1 + 1) for j in range(c0, c1 + 1)
               if (i, j) != (r0, c0)}
    for i, row in enumerate(rows):
        for j in range(len(row)):
            if (i, j) in covered:
                row[j] = ""  # what a reader hands for a covered cell
    return Grid("报到名册", rows, merges=merges)


# (what, merges, blank community rows after the fill → errors expected at these cells)
MERGE_CASES = [
    ("no merge: a blank community is an error", [], [(3, "G3")], {2: ""}),
    ("community merged down over a block", [(1, 6, 4, 6)], [], {}),
    ("two blocks", [(1, 6, 2, 6), (3, 6, 4, 6)], [], {}),
    ("a merge whose top-left is blank is blank all down, reported at the top-left",
     [(1, 6, 2, 6)], [(2, "G2"), (3, "G2")], {1: ""}),
]


@pytest.mark.parametrize("what, merges, errors, blanks", MERGE_CASES, ids=[c[0] for c in MERGE_CASES])
def test_merged_community_reads_down_its_block(what, merges, errors, blanks):
    grid = roster_grid(merges)
    for i, value in blanks.items():
        grid.rows[i][6] = value
    (result,) = check_source(Workbook("x.xlsx", [grid]))
    assert [(i.row, i.cell) for i in result.issues if i.severity == "error"] == errors
    if not errors:
        assert result.valid_rows == 4


def test_a_horizontal_merge_in_the_data_reads_across():
    # 工作单位 merged across into 报到日期's neighbour would be odd; a value merged over 性别 and 联系电话 is not
    # a phone: the fill must put what a person reads into each covered cell, and blame the top-left
    grid = roster_grid([(2, 2, 2, 3)])
    grid.rows[2][2] = "女"
    (result,) = check_source(Workbook("x.xlsx", [grid]))
    assert [(i.row, i.cell, i.field, i.check) for i in result.issues] == [(3, "C3", "phone", "phone_valid")]


def test_a_merge_running_over_blank_and_totals_rows_adds_no_data_row():
    grid = roster_grid([(1, 6, 8, 6)])
    grid.rows += [[""] * 7, ["合计", "", "", "", "", "", ""], [""] * 7, [""] * 7]
    (result,) = check_source(Workbook("x.xlsx", [grid]))
    assert (result.rows, result.valid_rows, result.issues) == (4, 4, [])


def test_a_merged_title_and_group_row_do_not_move_the_header():
    header = ["序号", "姓名", "基本信息", "", "联系方式", "工作单位", "报到社区", "报到日期"]
    sub = ["", "", "身份证\n号码", "性别", "联系\n电话", "", "", ""]
    good = record("roster", 0)
    row = [1, good["name"], good["id_number"], good["gender"], good["phone"], good["employer"], good["community"],
           date(2020, 8, 10)]
    rows = [["上站街道在职党员报到名册"] + [""] * 7, header, sub, row]
    merges = [(0, 0, 0, 7), (1, 2, 1, 3), (1, 0, 2, 0), (1, 1, 2, 1), (1, 5, 2, 5), (1, 6, 2, 6), (1, 7, 2, 7)]
    (result,) = check_source(Workbook("x.xlsx", [Grid("名册", rows, merges=merges)]))
    assert (result.dataset, result.header_row, result.rows, result.valid_rows, result.issues) == ("roster", 3, 1, 1, [])
    assert result.headers["id_number"] == ("C", "身份证号码")


def test_a_header_typed_with_line_breaks_is_spelled_on_one_line():
    # Regression: "【身份证\n号码】身份证\n号码校验位错误" — a header typed with Alt+Enter went into messages as typed
    rows = rows_of("roster", [record("roster", 0, id_number=record("roster", 0)["id_number"][:17] + "0")],
                   spelled={"id_number": "身份证\n号码", "phone": "联系 \r\n电话"})
    (result,) = check_source(Workbook("x.xlsx", [Grid("名册", rows)]))
    (issue,) = [i for i in result.issues if i.field == "id_number"]
    assert (issue.column, issue.message.startswith("身份证号码校验位错误")) == ("身份证号码", True)
    assert all("\n" not in (i.column or "") + i.message for i in result.issues)


def test_validate_says_when_a_file_holds_no_register(tmp_path):
    # Regression: `validate` on an unrelated workbook ended with "没有需要修改的错误" and exit 0
    book = write_xlsx(tmp_path / "budget.xlsx", {"预算": [["项目", "金额"], ["办公用品", 1200]]})
    text = validate(book)
    assert text.returncode == 1
    assert "未找到任何台账工作表" in text.stdout and "没有需要修改的错误" not in text.stdout
    as_json = validate(book, "--format", "json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["sheets"][0]["dataset"] is None


def test_merges_reach_the_grid_from_xlsx(tmp_path):
    book = write_staff_workbook(tmp_path / "staff.xlsx")
    grid = read_file(book).grids[0]
    assert (3, 7, 10, 7) in grid.merges  # H4:H11, the first community block
    assert (0, 0, 0, 10) in grid.merges  # the title


@needs_corpus
@pytest.mark.parametrize("name, merges", [
    ("merged_range.xls", {(0, 0, 1, 0), (0, 2, 1, 3), (3, 2, 3, 3)}),  # calamine reads .xls merges too
    ("merge_cells.xlsx", {(0, 0, 0, 1), (1, 0, 3, 0), (1, 1, 3, 3)}),
])
def test_merges_reach_the_grid_from_corpus_files(name, merges):
    grid = read_file(CORPUS / name).grids[0]
    assert merges <= set(grid.merges)


def test_merges_come_with_the_google_sheet(sheets_emulator, service_account_info):
    from sync.sources.google_sheets import read_gsheet
    rows = rows_of("roster", [record("roster", i) for i in range(3)],
                   ["name", "id_number", "gender", "phone", "employer", "registered_on", "community"])
    sheets_emulator.add_spreadsheet("KEY13", "台账", {"名册": rows})
    sheets_emulator.merge("KEY13", "名册", "G2:G4")
    book = read_gsheet("KEY13", service_account_info, api_endpoint=sheets_emulator.url)
    assert book.grids[0].merges == [(1, 6, 3, 6)]
    assert [r[6] for r in book.grids[0].rows[1:]] == ["德胜街社区", "", ""]
    (result,) = check_source(book, SourceContext(communities=frozenset({"德胜街社区"})))
    assert (result.valid_rows, result.issues) == (3, [])



def write_ods(path: Path, title: str, rows: list[str]) -> Path:
    """A minimal OpenDocument spreadsheet from rows of ready-made ``<table:table-row>`` XML."""
    import zipfile

    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="{title}">{"".join(rows)}'
               '</table:table></office:spreadsheet></office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content)
        zf.writestr("META-INF/manifest.xml", manifest)
    return path


def _cell(value: str = "", span: tuple[int, int] = (1, 1)) -> str:
    spans = "".join(f' table:number-{k}-spanned="{n}"' for k, n in zip(("rows", "columns"), span) if n > 1)
    if not value:
        return f"<table:table-cell{spans}/>"
    return f'<table:table-cell office:value-type="string"{spans}><text:p>{value}</text:p></table:table-cell>'


def test_merges_of_an_ods_file_are_read_from_its_xml(tmp_path):
    fields = ["name", "id_number", "gender", "phone", "employer", "registered_on", "community"]
    header, *data = rows_of("roster", [record("roster", i) for i in range(3)], fields)
    row = "<table:table-row>{}</table:table-row>".format
    xml = [row(_cell("上站街道在职党员报到名册", (1, 7)) + '<table:covered-table-cell table:number-columns-repeated="6"/>'),
           '<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="7"/>'
           '</table:table-row>',
           row("".join(_cell(h) for h in header))]
    for i, values in enumerate(data):  # 报到社区 merged down over the three people
        community = _cell(values[6], (3, 1)) if i == 0 else "<table:covered-table-cell/>"
        xml.append(row("".join(_cell(str(v)) for v in values[:6]) + community))
    grid = read_file(write_ods(tmp_path / "roster.ods", "报到名册", xml)).grids[0]
    assert grid.merges == [(0, 0, 0, 6), (4, 6, 6, 6)]
    (result,) = check_source(Workbook("roster.ods", [grid]))
    assert (result.header_row, result.rows, result.valid_rows, result.issues) == (4, 3, 3, [])


def test_a_merged_block_is_marked_once_at_its_top_left_cell(tmp_path):
    import openpyxl

    from jobs.annotate import annotate_workbook
    from sync.outputs.google_writeback import note_requests

    book = write_staff_workbook(tmp_path / "staff.xlsx")
    workbook = openpyxl.load_workbook(book)
    workbook["报到名册"]["F4"] = None  # the 工作单位 of a block of four, merged F4:F7, cleared
    workbook.save(book)
    results = check_source(read_file(book))
    assert [(i.row, i.cell, i.message) for i in results[0].issues] == [(r, "F4", "工作单位不能为空") for r in range(4, 8)]
    out = annotate_workbook(book, results, tmp_path / "marked.xlsx")
    assert openpyxl.load_workbook(out)["报到名册"]["F4"].comment.text == "【错误】工作单位不能为空"
    sheets = {"报到名册": {"sheetId": 7, "gridProperties": {"rowCount": 1000, "columnCount": 26}}}
    (request,) = note_requests(sheets, {}, results[0].issues)  # Google: one note, the message once
    assert request["updateCells"]["rows"][0]["values"][0]["note"].count("工作单位不能为空") == 1
