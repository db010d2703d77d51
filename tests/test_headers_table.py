"""Header matching, dataset detection and table extraction from raw grids."""

from __future__ import annotations

import pytest

from schemas import DATASETS
from sync.sources.grid import Grid, Workbook
from sync.check.headers import HEADER_SCAN_ROWS, find_header, normalise_header
from sync.check.table import extract_table, is_data_row
from sync.check.source import SourceContext, check_source
from sync.check.validate import validate_table
from tests.validation_cases import headers, record, rows_of, table, validate_rows

# (header as typed, normalised)
NORMALISE_CASES = [
    ("身份证号", "身份证号"),
    (" 身份证号 ", "身份证号"),
    ("身份证 号码", "身份证号码"),
    ("身份证\u3000号码", "身份证号码"),  # ideographic space
    ("姓\u3000\u3000名", "姓名"),
    ("联系\n电话", "联系电话"),  # a line break inside the header cell
    ("服务时长（小时）", "服务时长"),  # trailing bracketed unit
    ("服务时长(小时)", "服务时长"),
    ("服务时长 （小时） ", "服务时长"),
    ("服务时长（h）", "服务时长"),
    ("（小时）", "(小时)"),  # nothing but a unit: kept rather than emptied
    ("*姓名", "姓名"),  # a required-field marker
    ("＊姓名＊", "姓名"),
    ("ＩＤ", "ID"),  # full-width letters
    ("心愿（内容）说明", "心愿(内容)说明"),  # a bracket that is not trailing stays
    # Regression: one pass was not idempotent (tests/test_properties.py found 'O¯'), so a header
    # normalised twice could differ from itself normalised once.
    ("*姓名*（必填）", "姓名"),
    ("服务时长（小时）（合计）", "服务时长"),
    ("O\u00af", "\u014c"),  # NFKC splits ¯ into a space and a combining macron
]


def _alias_cases():
    """Every header and alias of every field of every dataset, as typed and as staff space it."""
    for dataset, d in DATASETS.items():
        for name, meta in d.fields.items():
            for typed in meta.names:
                yield dataset, name, typed
                yield dataset, name, f" {typed[0]}\u3000{typed[1:]} "


ALIAS_CASES = list(_alias_cases())

# (header row, detected dataset or None)
DETECT_CASES = [
    (headers("roster"), "roster"),
    (headers("wishes"), "wishes"),
    (headers("posts"), "posts"),
    (["序号", "姓名", "身份证号码", "手机号", "单位", "社区", "报到时间"], "roster"),
    (["编号", "所在社区", "提出人", "心愿", "提出日期", "认领状态"], "wishes"),
    (["编号", "所在社区", "类型", "岗位名称", "状态"], "posts"),
    (["岗位编号", "社区", "岗位类型", "岗位名称", "责任人", "联系电话", "状态"], "posts"),
    (["心愿编号", "社区", "心愿人", "联系电话", "心愿内容", "状态"], "wishes"),
    (["姓名", "联系电话", "工作单位"], "roster"),  # three fields are enough
    (["序号", "姓名", "联系电话"], None),  # two are not
    (["日期", "温度", "地点"], None),
    ([], None),
]

# (row, is a data row?)
DATA_ROW_CASES = [
    (["张三", "13812345678"], True),
    (["", "", ""], False),
    (["  ", "\u3000", None], False),
    ([], False),
    (["合计", "", 40], False),
    (["合  计", "", 40], False),
    (["", "总计：", 40], False),
    (["小计（人）", 12], False),
    (["填表人：王五    审核人：赵六"], False),
    (["", "", "", "审核人：赵六"], False),
    (["填报日期：2020年8月31日"], False),
    (["制表：上站街道党工委"], False),
    (["填报单位（盖章）：上站街道"], False),
    (["【示例】110105194912310021", "张三"], False),
    ([0, "", ""], True),  # a number is data
    (["合作社", "张三"], True),  # starts like 合计 but is not
    (["填表人：", "王五", "审核人：", "赵六", "填报日期：", "2020-08-31"], False),
    # Regression: a footer word in any cell dropped the row without a word, so a member whose
    # 备注 read 审核人：… or whose 工作单位 began 制表… vanished from the register.
    (["11010519491231002X", "张三", "女", "13812345678", "市政府", "", "德胜街社区", "", "2020-08-10", "",
      "审核人：李书记已确认"], True),
    (["11010519491231002X", "张三", "女", "13812345678", "制表厂", "", "德胜街社区"], True),
]


@pytest.mark.parametrize("typed, expected", NORMALISE_CASES)
def test_normalise_header(typed, expected):
    assert normalise_header(typed) == expected


@pytest.mark.parametrize("dataset, name, typed", ALIAS_CASES)
def test_every_alias_maps_to_its_field(dataset, name, typed):
    row = headers(dataset)
    position = list(DATASETS[dataset].fields).index(name)
    row[position] = typed
    found = table([row, list(record(dataset).values())])
    assert found.dataset.name == dataset
    assert found.columns[name] == position
    assert found.headers[name] == typed.strip()  # reported as the sheet spells it
    assert not found.issues


@pytest.mark.parametrize("dataset", DATASETS)
def test_no_alias_is_claimed_by_two_fields_of_a_dataset(dataset):
    claims = {(normalise_header(n), name) for name, meta in DATASETS[dataset].fields.items() for n in meta.names}
    headers_seen = [h for h, _ in claims]
    assert len(headers_seen) == len(set(headers_seen))


@pytest.mark.parametrize("row, expected", DETECT_CASES)
def test_dataset_detected_from_headers(row, expected):
    match = find_header([["上站街道台账"], row])
    assert (match.dataset.name if match else None) == expected
    if match:
        assert match.index == 1


@pytest.mark.parametrize("row, expected", DATA_ROW_CASES)
def test_data_rows(row, expected):
    assert is_data_row(row) is expected


@pytest.mark.parametrize("blank_rows", [0, 1, 5, HEADER_SCAN_ROWS - 2])
def test_header_found_below_title_and_blank_rows(blank_rows):
    rows = rows_of("roster", [record("roster", 0), record("roster", 1)], title="上站街道在职党员报到名册（2020年8月）")
    rows[1:1] = [[""] * 3 for _ in range(blank_rows)]
    result = validate_rows(rows)
    assert result.header_row == blank_rows + 2
    assert result.frame["sheet_row"].tolist() == [blank_rows + 3, blank_rows + 4]
    assert result.valid_rows == 2


@pytest.mark.parametrize("dataset, severity, check", [("roster", "error", "header_not_found"),
                                                      (None, "info", "not_a_register")])
def test_header_beyond_the_scan_is_not_found(dataset, severity, check):
    rows = rows_of("roster", [record("roster", 0)])
    rows[0:0] = [["说明"]] * HEADER_SCAN_ROWS  # the header lands on row 21
    [issue] = extract_table(Grid("名册", rows), dataset)
    assert (issue.severity, issue.check, issue.row, issue.cell) == (severity, check, None, None)
    assert f"前{HEADER_SCAN_ROWS}行" in issue.message
    [result] = check_source(Workbook("x.xlsx", [Grid("名册", rows)]), SourceContext(dataset=dataset))
    assert (result.dataset, result.header_row, result.rows, result.valid_rows) == (dataset, None, 0, 0)


def test_non_data_rows_skipped_and_row_numbers_kept():
    a, b, c = (record("roster", n) for n in range(3))
    rows = rows_of("roster", [], title="上站街道在职党员报到名册（2020年8月）")
    rows += [[], list(a.values()), [""] * 11, list(b.values()),
             ["【示例】" + a["id_number"], "示例"], list(c.values()),
             ["合计", "3人"], [], ["填表人：王五", "", "审核人：赵六"], ["填报日期：2020年8月31日"]]
    found = table(rows)
    assert found.header_row == 2
    assert found.sheet_rows == [4, 6, 8]
    result = validate_table(found)
    assert (result.rows, result.valid_rows) == (3, 3)
    assert result.frame["sheet_row"].tolist() == [4, 6, 8]
    assert result.frame["id_number"].tolist() == [a["id_number"], b["id_number"], c["id_number"]]


def test_prenumbered_empty_rows_are_blank_rows():
    # Regression: staff number rows 1..200 in a 序号 column ahead of time; each numbered but
    # otherwise empty row was read as data and drew one 不能为空 error per required column.
    rows = rows_of("posts", [record("posts", 0), record("posts", 1)])
    for n, row in enumerate(rows):
        row.insert(0, "序号" if n == 0 else n)
    rows.insert(2, [1.5, "", "", "", ""])  # short rows too
    rows += [[n] + [""] * 10 for n in range(3, 6)] + [[6, " ", "\u3000"]]
    result = validate_rows(rows)
    assert (result.rows, result.valid_rows) == (2, 2)
    assert result.frame["sheet_row"].tolist() == [2, 4]
    assert result.issues == []  # 序号 is a column every register may have, not an unknown one (issue 13)


def test_grid_offset_keeps_sheet_rows_and_cells():
    rows = rows_of("posts", [record("posts", 0, status="空 缺")])
    result = validate_table(extract_table(Grid("岗位", rows, first_row=5, first_col=3)))
    [issue] = result.issues
    assert (issue.row, issue.cell) == (6, "L6")  # 状态 is the 10th column, starting at C


# (dataset, field, second header that claims the same field)
DUPLICATE_CASES = [
    ("roster", "phone", "手机号"),
    ("roster", "name", "姓名"),
    ("roster", "id_number", "身份证号码"),
    ("wishes", "status", "认领状态"),
    ("posts", "post_type", "类型"),
]


@pytest.mark.parametrize("dataset, name, second", DUPLICATE_CASES)
def test_duplicate_header_is_a_sheet_error(dataset, name, second):
    fields = list(DATASETS[dataset].fields)
    rows = rows_of(dataset, [record(dataset, 0), record(dataset, 1)])
    rows[0].append(second)
    for row, n in zip(rows[1:], range(2)):
        row.append(record(dataset, n)[name])
    result = validate_rows(rows)
    [issue] = [i for i in result.issues if i.check == "duplicate_header"]
    assert (issue.severity, issue.row, issue.cell, issue.field) == ("error", None, None, name)
    assert issue.column == DATASETS[dataset].fields[name].header
    letters = f"{chr(ord('A') + fields.index(name))}列、{chr(ord('A') + len(fields))}列"
    assert DATASETS[dataset].fields[name].header in issue.message and letters in issue.message
    assert result.valid_rows == 0 and result.rows == 2


MISSING_CASES = [(dataset, name) for dataset, d in DATASETS.items() for name in d.required]


@pytest.mark.parametrize("dataset, name", MISSING_CASES)
def test_missing_required_column_is_a_sheet_error(dataset, name):
    d = DATASETS[dataset]
    fields = [f for f in d.fields if f != name]
    rows = rows_of(dataset, [record(dataset, 0), record(dataset, 1)], fields=fields)
    result = validate_rows(rows, dataset)
    sheet_level = [i for i in result.issues if i.row is None]
    assert [(i.severity, i.check, i.field, i.cell) for i in sheet_level] == [("error", "missing_column", name, None)]
    assert f"缺少必填列“{d.fields[name].header}”" in sheet_level[0].message
    assert not [i for i in result.issues if i.field == name and i.row is not None]  # not once per row
    assert (result.rows, result.valid_rows) == (2, 0)


def test_key_is_required_in_every_dataset():
    assert [(name, d.key in d.required) for name, d in DATASETS.items()] == [
        ("roster", True), ("wishes", True), ("posts", True)]


def test_unknown_column_reported_once_as_info():
    rows = rows_of("wishes", [record("wishes", n) for n in range(3)])
    rows[0].insert(0, "序号")
    rows[0].append("微信号")
    for n, row in enumerate(rows[1:], 1):
        row.insert(0, n)
        row.append(f"wx_{n}")
    result = validate_rows(rows)
    unknown = [i for i in result.issues if i.check == "unknown_column"]
    # 序号 is normal in every register: only 微信号 is unknown (issue 13)
    assert [(i.severity, i.column, i.row) for i in unknown] == [("info", "微信号", None)]
    assert "已忽略" in unknown[0].message
    assert result.valid_rows == 3
    assert result.frame.columns.tolist()[:2] == ["wish_id", "community"]


def test_column_with_data_but_no_header_is_info():
    rows = rows_of("posts", [record("posts", 0)])
    rows[0].append("")
    rows[1].append("多出来的数据")
    result = validate_rows(rows)
    [issue] = result.issues
    assert (issue.severity, issue.check) == ("info", "blank_header")
    assert "K列" in issue.message
    assert result.valid_rows == 1


def _book(hidden: bool) -> Workbook:
    roster = Grid("报到名册", rows_of("roster", [record("roster", 0)]), hidden=hidden)
    posts = Grid("志愿服务岗", rows_of("posts", [record("posts", 0, holder="钱七")]))
    return Workbook("book.xlsx", [roster, posts])


def test_hidden_sheet_skipped():
    roster, posts = check_source(_book(hidden=True))
    assert (roster.sheet, roster.dataset, roster.rows) == ("报到名册", None, 0)
    assert [(i.severity, i.check) for i in roster.issues] == [("info", "hidden_sheet")]
    assert posts.dataset == "posts" and posts.rows == 1


def test_hidden_sheet_read_when_named():
    [roster] = check_source(_book(hidden=True), SourceContext(sheet="报到名册"))
    assert (roster.dataset, roster.rows, roster.valid_rows, roster.issues) == ("roster", 1, 1, [])


def test_hidden_sheet_read_when_mapped():
    roster, posts = check_source(_book(hidden=True), SourceContext(sheets={"报到名册": "roster"}))
    assert (roster.dataset, roster.rows) == ("roster", 1)
    [warning] = posts.issues  # the mapped roster lets the holder be checked against it
    assert warning.check == "holder_in_roster"


def test_hidden_sheet_skipped_when_the_dataset_is_forced():
    # Regression: `--dataset` counted as a mapping, so every hidden sheet (a 填表说明, an
    # old copy) was validated as that dataset and failed with header_not_found.
    roster, posts = check_source(_book(hidden=True), SourceContext(dataset="posts"))
    assert [(i.severity, i.check) for i in roster.issues] == [("info", "hidden_sheet")]
    assert (posts.dataset, posts.rows, posts.valid_rows) == ("posts", 1, 1)


def test_header_repeated_on_every_printed_page_is_not_data():
    # Regression: a header row repeated further down (sheets laid out for printing) became a
    # data row with one error per column.
    from sync.sources.grid import Grid
    from sync.check.table import extract_table

    header = ["心愿编号", "社区", "心愿人", "心愿内容", "登记日期", "状态"]
    row = ["W1", "德胜街社区", "刘大妈", "轮椅", "2020-07-01", "待认领"]
    table = extract_table(Grid("微心愿", [header, row, header, ["W2", *row[1:]]]))
    assert table.sheet_rows == [2, 4]
