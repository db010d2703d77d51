"""Every column rule and row rule of every dataset, good and bad, as staff would see the issue."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest

from schemas import DATASETS, Context
from sync.sources.grid import Grid, Workbook
from sync.check.source import SourceContext, check_source
from tests.validation_cases import KEYS, LI_SI, ZHANG_SAN, person_id, record, rows_of, validate_rows, wrong_check

TODAY = date.today().isoformat()
TOMORROW = (date.today() + timedelta(days=1)).isoformat()
CASE_ROW = 5  # title on row 1, header on row 2, two good rows, then the case

# (dataset, cells changed in a good row, expected issues on that row: (field, check, severity, message fragment))
RULE_CASES = [
    ("roster", {}, []),
    ("roster", {"id_number": ""}, [("id_number", "required", "error", "身份证号不能为空")]),
    ("roster", {"id_number": wrong_check(KEYS["roster"][2])},
     [("id_number", "id_number_valid", "error", f"校验位错误（应为 {KEYS['roster'][2][17]}）")]),
    ("roster", {"id_number": person_id(3, born="19490230")}, [("id_number", "id_number_valid", "error", "出生日期")]),
    ("roster", {"id_number": KEYS["roster"][2][:17]}, [("id_number", "id_number_valid", "error", "应为18位，实为17位")]),
    ("roster", {"id_number": 1.40302197003043e17}, [("id_number", "id_stored_as_number", "error", "末尾数字已丢失")]),
    ("roster", {"name": ""}, [("name", "required", "error", "姓名不能为空")]),
    ("roster", {"name": "张"}, [("name", "length", "error", "姓名应为2至20个字，实为1个字")]),
    ("roster", {"name": "张" * 20}, []),
    ("roster", {"name": "张" * 21}, [("name", "length", "error", "实为21个字")]),
    ("roster", {"name": " 王　五 "}, []),  # padding spaces are not characters of the name
    ("roster", {"gender": "女"}, [("gender", "gender_matches_id", "error", "性别与身份证号不符（身份证号显示为男）")]),
    ("roster", {"gender": "男 "}, []),
    ("roster", {"gender": "M"}, [("gender", "allowed_values", "error", "“M”不是允许的性别（应为：男、女）")]),
    ("roster", {"gender": ""}, []),
    ("roster", {"phone": ""}, [("phone", "required", "error", "联系电话不能为空")]),
    ("roster", {"phone": "1381234567"}, [("phone", "phone_valid", "error", "联系电话格式不正确")]),
    ("roster", {"phone": "12812345678"}, [("phone", "phone_valid", "error", "联系电话格式不正确")]),
    ("roster", {"phone": "0353-2021234"}, []),
    ("roster", {"employer": ""}, [("employer", "required", "error", "工作单位不能为空")]),
    ("roster", {"party_org": ""}, []),
    ("roster", {"community": ""}, [("community", "required", "error", "报到社区不能为空")]),
    ("roster", {"grid": ""}, []),
    ("roster", {"registered_on": ""}, [("registered_on", "required", "error", "报到日期不能为空")]),
    ("roster", {"registered_on": TOMORROW}, [("registered_on", "not_future", "error", "报到日期晚于今天")]),
    ("roster", {"registered_on": TODAY}, []),
    ("roster", {"registered_on": "2020/2/30"}, [("registered_on", "date_invalid", "error", "日期不存在")]),
    ("roster", {"registered_on": "八月十日"}, [("registered_on", "date_invalid", "error", "无法识别的日期")]),
    ("roster", {"post_type": "扫地"}, [("post_type", "allowed_values", "error", "不是允许的认领岗位")]),
    ("roster", {"post_type": "治安巡逻"}, []),
    ("roster", {"post_type": "", "note": "", "party_org": "", "grid": "", "gender": ""}, []),
    ("roster", {"note": "长" * 500}, []),

    ("wishes", {}, []),
    ("wishes", {"wish_id": ""}, [("wish_id", "required", "error", "心愿编号不能为空")]),
    ("wishes", {"community": ""}, [("community", "required", "error", "社区不能为空")]),
    ("wishes", {"wisher": ""}, [("wisher", "required", "error", "心愿人不能为空")]),
    ("wishes", {"wisher_phone": "2021234"}, [("wisher_phone", "phone_valid", "error", "联系电话格式不正确")]),
    ("wishes", {"wisher_phone": ""}, []),
    ("wishes", {"content": ""}, [("content", "required", "error", "心愿内容不能为空")]),
    ("wishes", {"content": "修" * 200}, []),
    ("wishes", {"content": "修" * 201}, [("content", "length", "error", "心愿内容应为不超过200个字，实为201个字")]),
    ("wishes", {"category": "其它"}, [("category", "allowed_values", "error", "“其它”不是允许的心愿类别")]),
    ("wishes", {"category": ""}, []),
    ("wishes", {"raised_on": ""}, [("raised_on", "required", "error", "登记日期不能为空")]),
    ("wishes", {"raised_on": TOMORROW}, [("raised_on", "not_future", "error", "登记日期晚于今天"),
                                         ("claimed_on", "claimed_on_not_before_raised_on", "error", "认领日期早于登记日期")]),
    ("wishes", {"status": ""}, [("status", "required", "error", "状态不能为空")]),
    ("wishes", {"status": "已领"}, [("status", "allowed_values", "error", "应为：待认领、已认领、已完成")]),
    ("wishes", {"status": " 已完成 "}, []),
    ("wishes", {"status": "已认领", "claimer": ""}, [("claimer", "claimer_required", "error", "状态为已认领或已完成时，认领人不能为空")]),
    ("wishes", {"status": "已完成", "claimer": ""}, [("claimer", "claimer_required", "error", "认领人不能为空")]),
    ("wishes", {"status": "已认领", "claimed_on": "", "completed_on": ""},
     [("claimed_on", "claimed_on_required", "error", "认领日期不能为空")]),
    ("wishes", {"status": "已完成", "completed_on": ""}, [("completed_on", "completed_on_required", "error", "状态为已完成时，完成日期不能为空")]),
    ("wishes", {"status": "已认领", "completed_on": ""}, []),
    ("wishes", {"status": "待认领", "claimer": "", "claimer_unit": "", "claimed_on": "", "completed_on": ""}, []),
    ("wishes", {"claimed_on": "2020-07-31"}, [("claimed_on", "claimed_on_not_before_raised_on", "error", "认领日期早于登记日期")]),
    ("wishes", {"claimed_on": "2020-08-01"}, []),  # the same day is fine
    ("wishes", {"completed_on": "2020-08-02"}, [("completed_on", "completed_on_not_before_claimed_on", "error", "完成日期早于认领日期")]),
    ("wishes", {"completed_on": "2020-08-03"}, []),
    ("wishes", {"completed_on": TOMORROW}, [("completed_on", "not_future", "error", "完成日期晚于今天")]),
    ("wishes", {"claimed_on": TOMORROW, "completed_on": ""}, [("claimed_on", "not_future", "error", "认领日期晚于今天"),
                                                            ("completed_on", "completed_on_required", "error", "")]),
    ("wishes", {"claimed_on": "2020/8/33"}, [("claimed_on", "date_invalid", "error", "日期不存在")]),
    ("wishes", {"claimer_unit": ""}, []),

    ("posts", {}, []),
    ("posts", {"post_id": ""}, [("post_id", "required", "error", "岗位编号不能为空")]),
    ("posts", {"community": ""}, [("community", "required", "error", "社区不能为空")]),
    ("posts", {"post_type": ""}, [("post_type", "required", "error", "岗位类型不能为空")]),
    ("posts", {"post_type": "宣讲"}, [("post_type", "allowed_values", "error", "政策宣讲、扶贫济困、公益服务、爱绿护绿、环境维护、治安巡逻")]),
    ("posts", {"post_type": "环境维护"}, []),
    ("posts", {"post_name": ""}, [("post_name", "required", "error", "岗位名称不能为空")]),
    ("posts", {"holder": ""}, [("holder", "holder_required", "error", "状态为在岗时，责任人不能为空")]),
    ("posts", {"holder": "", "status": "空缺"}, []),
    ("posts", {"holder": "", "status": "撤销"}, []),
    ("posts", {"holder_phone": "12345"}, [("holder_phone", "phone_valid", "error", "联系电话格式不正确")]),
    ("posts", {"holder_phone": ""}, []),
    ("posts", {"started_on": TOMORROW}, [("started_on", "not_future", "error", "设岗日期晚于今天")]),
    ("posts", {"started_on": ""}, []),
    ("posts", {"activities": -1}, [("activities", "range", "error", "活动次数不能小于0")]),
    ("posts", {"activities": 0}, []),
    ("posts", {"activities": ""}, []),
    ("posts", {"activities": "30"}, []),
    ("posts", {"activities": 1.5}, [("activities", "integer_invalid", "error", "应为整数")]),
    ("posts", {"activities": "五次"}, [("activities", "integer_invalid", "error", "“五次”")]),
    ("posts", {"service_hours": -0.5}, [("service_hours", "range", "error", "服务时长应在0至10000之间")]),
    ("posts", {"service_hours": 0}, []),
    ("posts", {"service_hours": 10000}, []),
    ("posts", {"service_hours": "10000.0"}, []),
    ("posts", {"service_hours": 10000.5}, [("service_hours", "range", "error", "服务时长应在0至10000之间")]),
    ("posts", {"service_hours": "两小时"}, [("service_hours", "number_invalid", "error", "应为数字")]),
    ("posts", {"service_hours": ""}, []),
    ("posts", {"status": ""}, [("status", "required", "error", "状态不能为空")]),
    ("posts", {"status": "在职"}, [("status", "allowed_values", "error", "应为：在岗、空缺、撤销")]),
]

# (dataset, field, typed header) headers as a sheet may spell them: the issue repeats the spelling
SPELLED_CASES = [
    ("roster", "phone", "手机号码（必填）"),
    ("roster", "id_number", "公民身份号码"),
    ("wishes", "status", "认领 状态"),
    ("posts", "service_hours", "服务时长（小时）"),
]


def _letter(dataset: str, name: str) -> str:
    return chr(ord("A") + list(DATASETS[dataset].fields).index(name))


def _case_rows(dataset: str, changes: dict) -> list[list]:
    records = [record(dataset, 0), record(dataset, 1), record(dataset, 2, **changes)]
    return rows_of(dataset, records, title=f"上站街道{DATASETS[dataset].title}")


@pytest.mark.parametrize("dataset, changes, expected", RULE_CASES)
def test_rule(dataset, changes, expected):
    if date.today().isoformat() != TODAY:  # the cases' 明天 became today: a run that crossed midnight
        pytest.skip("the run crossed midnight after these cases were made")
    result = validate_rows(_case_rows(dataset, changes))
    assert result.header_row == 2 and result.rows == 3
    assert [i for i in result.issues if i.row != CASE_ROW] == []
    found = [(i.field, i.check, i.severity) for i in result.issues]
    assert found == [(f, c, s) for f, c, s, _ in expected]
    for issue, (name, _, _, fragment) in zip(result.issues, expected):
        assert issue.cell == f"{_letter(dataset, name)}{CASE_ROW}"
        assert issue.column == DATASETS[dataset].fields[name].header
        assert fragment in issue.message
        assert re.search(r"[\u4e00-\u9fff]", issue.message)  # Chinese
    errors = any(s == "error" for _, _, s, _ in expected)
    assert result.valid_rows == (2 if errors else 3)
    assert result.frame["valid"].tolist() == [True, True, not errors]


@pytest.mark.parametrize("dataset, name, typed", SPELLED_CASES)
def test_issue_names_the_header_as_spelled(dataset, name, typed):
    bad = {"phone": "123", "id_number": "123", "status": "完成", "service_hours": -1}[name]
    rows = rows_of(dataset, [record(dataset, 0, **{name: bad})], spelled={name: typed})
    [issue] = validate_rows(rows).issues
    assert (issue.column, issue.field, issue.cell) == (typed, name, f"{_letter(dataset, name)}2")


@pytest.mark.parametrize("dataset", DATASETS)
def test_duplicate_keys_name_the_first_row(dataset):
    key = DATASETS[dataset].key
    first = record(dataset, 0)[key]
    again = first.lower() if dataset == "roster" else first
    records = [record(dataset, 0), record(dataset, 1), record(dataset, 2, **{key: again}),
               record(dataset, 3), record(dataset, 0, **{key: f" {first} "})]
    result = validate_rows(rows_of(dataset, records))  # header row 1: data rows 2 to 6
    dupes = [(i.row, i.cell, i.check, i.severity) for i in result.issues]
    assert dupes == [(4, "A4", f"{key}_unique", "error"), (6, "A6", f"{key}_unique", "error")]
    assert all("重复（与第2行相同）" in i.message for i in result.issues)
    assert result.valid_rows == 3


def _street(claimer: str, holder: str, roster_name: str | None = "张　三") -> Workbook:
    grids = [Grid("微心愿", rows_of("wishes", [record("wishes", 0, claimer=claimer), record("wishes", 1)])),
             Grid("志愿服务岗", rows_of("posts", [record("posts", 0), record("posts", 1, holder=holder)]))]
    if roster_name is not None:
        grids.insert(0, Grid("报到名册", rows_of("roster", [record("roster", 0, name=roster_name)])))
    return Workbook("上站街道.xlsx", grids)


def test_claimer_and_holder_not_in_roster_are_warnings():
    roster, wishes, posts = check_source(_street(claimer="钱七", holder="孙八"))
    assert roster.issues == []
    [w] = wishes.issues
    assert (w.severity, w.row, w.cell, w.column, w.field, w.value, w.check) == (
        "warning", 2, "I2", "认领人", "claimer", "钱七", "claimer_in_roster")
    assert "不在本街道的在职党员报到名册中" in w.message
    [p] = posts.issues
    assert (p.severity, p.row, p.cell, p.field, p.value, p.check) == (
        "warning", 3, "E3", "holder", "孙八", "holder_in_roster")
    assert (wishes.valid_rows, posts.valid_rows) == (2, 2)  # warnings let rows in
    assert wishes.frame["warned"].tolist() == [True, False]


def test_names_match_the_roster_after_normalising():
    roster, wishes, posts = check_source(_street(claimer="张 三", holder="张三"))
    assert wishes.issues == posts.issues == []


def test_roster_on_another_sheet_still_checks_the_one_asked_for():
    # Regression: `--sheet 微心愿` dropped the other worksheets before the roster was looked
    # for, so a claimer missing from the same workbook's roster was no longer flagged.
    [wishes] = check_source(_street(claimer="钱七", holder="孙八"), SourceContext(sheet="微心愿"))
    assert [(i.row, i.check) for i in wishes.issues] == [(2, "claimer_in_roster")]
    [posts] = check_source(_street(claimer="钱七", holder="张三"), SourceContext(sheet="志愿服务岗"))
    assert posts.issues == []


def test_no_roster_no_roster_warnings():
    wishes, posts = check_source(_street(claimer="钱七", holder="孙八", roster_name=None))
    assert wishes.issues == posts.issues == []
    result = validate_rows(rows_of("wishes", [record("wishes", 0, claimer="钱七")]), ctx=Context())
    assert result.issues == []


@pytest.mark.parametrize("dataset", DATASETS)
def test_communities_checked_when_configured(dataset):
    grid = Grid("表", rows_of(dataset, [record(dataset, 0), record(dataset, 1, community="滨河西社区")]))
    street = frozenset({"德胜街社区", "金三角社区", "市政府大院社区"})
    [result] = check_source(Workbook("x.xlsx", [grid]), SourceContext(communities=street))
    [issue] = result.issues
    assert (issue.row, issue.field, issue.check, issue.severity, issue.value) == (
        3, "community", "community_in_street", "error", "滨河西社区")
    assert "社区不属于本街道（应为：" in issue.message and "金三角社区" in issue.message
    assert result.valid_rows == 1
    [unconfigured] = check_source(Workbook("x.xlsx", [grid]))
    assert unconfigured.issues == [] and unconfigured.valid_rows == 2


# (dataset, cells, field, masked value shown)
MASK_CASES = [
    ("roster", {"id_number": wrong_check(LI_SI)}, "id_number", LI_SI[:6] + "*" * 8 + wrong_check(LI_SI)[-4:]),
    ("roster", {"id_number": person_id(9, born="19490230")}, "id_number", person_id(9, born="19490230")[:6] + "********"
     + person_id(9, born="19490230")[-4:]),
    ("roster", {"phone": "1381234567"}, "phone", "138***4567"),
    ("roster", {"phone": 1381234567.0}, "phone", "138***4567"),
    ("wishes", {"wisher_phone": "0353-202123"}, "wisher_phone", "035****2123"),
    ("posts", {"holder_phone": "13912345"}, "holder_phone", "139*2345"),
]


@pytest.mark.parametrize("dataset, cells, name, shown", MASK_CASES)
def test_personal_values_are_masked_in_issues(dataset, cells, name, shown):
    result = validate_rows(rows_of(dataset, [record(dataset, 0, **cells)]))
    [issue] = [i for i in result.issues if i.field == name]
    assert issue.value == shown
    raw = str(cells[name]).replace(".0", "")
    assert raw not in json.dumps(issue.as_json(), ensure_ascii=False)


def test_duplicate_id_issue_is_masked():
    result = validate_rows(rows_of("roster", [record("roster", 0), record("roster", 0)]))
    [issue] = result.issues
    assert issue.value == ZHANG_SAN[:6] + "********" + ZHANG_SAN[-4:]
    assert ZHANG_SAN not in json.dumps(issue.as_json(), ensure_ascii=False)


def test_issues_in_sheet_order_and_bad_rows_counted_once():
    records = [record("roster", 0, phone="1", name="张"), record("roster", 1),
               record("roster", 2, registered_on="", employer="")]
    result = validate_rows(rows_of("roster", records))
    assert [i.cell for i in result.issues] == ["B2", "D2", "E4", "I4"]
    assert (result.rows, result.valid_rows) == (3, 1)


def test_messages_name_fields_as_the_sheet_spells_them():
    # Regression: a sheet headed 兑现日期 was told "完成日期不能为空" (the canonical header).
    from sync.sources.grid import Grid
    from sync.check.table import extract_table
    from sync.check.validate import validate_table

    grid = Grid("微心愿", [["编号", "社区", "心愿人", "心愿", "登记日期", "认领状态", "认领人", "认领日期", "兑现日期"],
                           ["W1", "德胜街社区", "刘大妈", "轮椅", "2020-07-01", "已完成", "张三", "2020-07-03", ""]])
    (issue,) = validate_table(extract_table(grid)).issues
    assert (issue.cell, issue.column, issue.message) == ("I2", "兑现日期", "认领状态为已完成时，兑现日期不能为空")
