"""Google Sheets reading and write-back: the real gspread over real HTTP against the emulator."""

from __future__ import annotations

import copy
import json
import logging
import time
from datetime import date

import pytest

from sync.sources.grid import SourceUnreadable
from sync.outputs.google_writeback import write_back
from sync.sources.google_http import RetryPolicy
from sync.sources.google_sheets import read_gsheet
from sync.terms import RESULTS_SHEET
from sync.outputs.google_writeback import NOTE_MARK
from sync.check.issues import Issue
from tests.service_account import SERVICE_ACCOUNT_EMAIL, make_service_account_info
from tests.sheets_cells import SheetDate

pytestmark = pytest.mark.timeout(30)

KEY = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-Sheet"
FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05, total=10)
D0701, D0810, D0812 = (SheetDate(date(2020, m, d)) for m, d in ((7, 1), (8, 10), (8, 12)))

# domain.md's messy layout: merged title, blank rows, IDs as text and as a float that lost
# digits, phones as numbers, date serials, a 合计 row and a 填表人 footer.
ROSTER = [
    ["上站街道在职党员报到名册（2020年8月）"],
    [],
    ["序号", "姓名", "身份证号", "联系电话", "工作单位", "报到社区", "报到日期", "备注"],
    [1, "张三", "11010519491231002X", 13800138000, "市财政局", "德胜街社区", D0810, ""],
    [2, "李　四", 1.10105194912310e17, "0353-2345678", "矿区医院", "金三角社区", D0812, "调入"],
    [3, "王五", "140302198001011235", 13912345678, "城区税务局", "德胜街社区", "2020.8.15"],
    [],
    ["合计", "", "", "", "", "", "", "3人"],
    ["填表人：赵六　审核人：钱七"],
]
WISHES = [
    ["心愿编号", "社区", "心愿人", "心愿内容", "状态", "登记日期"],
    ["W001", "德胜街社区", "刘奶奶", "一辆轮椅", "已认领", D0701],
    ["0002", "金三角社区", "陈爷爷", "修水管", "待认领", D0701],
]
POSTS = [["岗位编号", "岗位类型", "活动次数", "服务时长"], ["P01", "治安巡逻", 12, 36.5]]
SHEETS = {"报到名册": ROSTER, "微心愿": WISHES, "志愿服务岗 (Tom's)": POSTS}


@pytest.fixture
def book(sheets_emulator):
    return sheets_emulator.add_spreadsheet(KEY, "上站街道台账", copy.deepcopy(SHEETS),
                                           hidden=["志愿服务岗 (Tom's)"])


def read(emulator, credentials, **kwargs):
    kwargs.setdefault("retry", FAST)
    return read_gsheet(KEY, credentials, api_endpoint=emulator.url, **kwargs)


def test_first_read_keeps_every_value_exact(sheets_emulator, book, service_account_file):
    workbook = read(sheets_emulator, service_account_file)

    assert workbook.name == "上站街道台账"
    assert workbook.timezone == "Asia/Shanghai"
    assert workbook.fingerprint.endswith("Z")
    assert [(g.title, g.hidden) for g in workbook.grids] == [
        ("报到名册", False), ("微心愿", False), ("志愿服务岗 (Tom's)", True)]
    roster = workbook.grids[0]
    assert (roster.first_row, roster.first_col) == (1, 1)
    assert all(len(row) == 8 for row in roster.rows)  # padded to a rectangle
    assert roster.rows[0] == ["上站街道在职党员报到名册（2020年8月）"] + [""] * 7
    assert roster.rows[1] == [""] * 8
    assert roster.rows[3] == [1, "张三", "11010519491231002X", 13800138000, "市财政局",
                              "德胜街社区", 44053, ""]
    assert roster.rows[4][2] == 1.1010519491231e17  # reported by the validator, never repaired
    assert roster.rows[4][6] == 44055
    assert roster.rows[5][6] == "2020.8.15"
    assert roster.rows[7][0] == "合计" and roster.rows[8][0] == "填表人：赵六　审核人：钱七"
    assert len(roster.rows) == 9  # the 1,000 default rows never come back
    assert workbook.grids[1].rows[2][0] == "0002"  # text stays text: leading zeros kept
    assert workbook.grids[2].rows[1] == ["P01", "治安巡逻", 12, 36.5]

    batch_get = sheets_emulator.requests[-1]
    assert batch_get.query["ranges"] == ["'报到名册'", "'微心愿'", "'志愿服务岗 (Tom''s)'"]
    assert batch_get.query["valueRenderOption"] == ["UNFORMATTED_VALUE"]
    assert batch_get.query["dateTimeRenderOption"] == ["SERIAL_NUMBER"]


def test_requests_per_sync_first_unchanged_and_one_edit(sheets_emulator, book,
                                                       service_account_info):
    first = read(sheets_emulator, service_account_info)
    assert sheets_emulator.kinds() == ["token", "drive.get", "sheets.get", "values.batchGet"]

    sheets_emulator.clear_log()
    assert read(sheets_emulator, service_account_info,
                known_fingerprint=first.fingerprint) is None
    assert sheets_emulator.kinds() == ["token", "drive.get"]

    sheets_emulator.edit(KEY, "微心愿", "E3", "已认领")
    sheets_emulator.clear_log()
    edited = read(sheets_emulator, service_account_info, known_fingerprint=first.fingerprint)
    assert sheets_emulator.kinds() == ["token", "drive.get", "sheets.get", "values.batchGet"]
    assert edited.fingerprint > first.fingerprint
    assert edited.grids[1].rows[2][4] == "已认领"


def test_link_instead_of_key(sheets_emulator, book, service_account_file):
    link = f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=1000"
    workbook = read_gsheet(link, service_account_file, api_endpoint=sheets_emulator.url)
    assert workbook.name == "上站街道台账"


def test_credentials_as_json_text(sheets_emulator, book, service_account_info):
    workbook = read(sheets_emulator, json.dumps(service_account_info))
    assert len(workbook.grids) == 3


def test_rate_limited_twice_then_success(sheets_emulator, book, service_account_info):
    sheets_emulator.fail("values.batchGet", status=429, times=2)
    workbook = read(sheets_emulator, service_account_info)
    assert len(workbook.grids) == 3
    assert sheets_emulator.count("values.batchGet") == 3


def test_drive_rate_limit_403_is_retried(sheets_emulator, book, service_account_info):
    body = {"error": {"code": 403, "message": "User Rate Limit Exceeded", "errors": [
        {"domain": "usageLimits", "reason": "userRateLimitExceeded",
         "message": "User Rate Limit Exceeded"}]}}
    sheets_emulator.fail("drive.get", status=403, body=body)
    assert read(sheets_emulator, service_account_info) is not None
    assert sheets_emulator.count("drive.get") == 2


def test_not_shared_names_key_and_service_account(sheets_emulator, service_account_info):
    sheets_emulator.add_spreadsheet(KEY, "未共享", {"Sheet1": [["a"]]}, role=None)
    with pytest.raises(SourceUnreadable) as caught:
        read(sheets_emulator, service_account_info)
    assert KEY in str(caught.value) and SERVICE_ACCOUNT_EMAIL in str(caught.value)
    assert sheets_emulator.kinds() == ["token", "drive.get"]  # no retry of a 404


def test_permission_denied_names_service_account(sheets_emulator, book, service_account_info):
    sheets_emulator.fail("sheets.get", status=403)
    with pytest.raises(SourceUnreadable) as caught:
        read(sheets_emulator, service_account_info)
    assert str(caught.value) == (
        f"无权读取该表格：请将表格共享给 {SERVICE_ACCOUNT_EMAIL}（查看者权限即可）")
    assert sheets_emulator.count("sheets.get") == 1


def test_unknown_key(sheets_emulator, service_account_info):
    with pytest.raises(SourceUnreadable, match=f"找不到表格（{KEY}）"):
        read(sheets_emulator, service_account_info)


def test_drive_api_disabled(sheets_emulator, book, service_account_info):
    sheets_emulator.disabled_apis.add("drive")
    with pytest.raises(SourceUnreadable, match="未启用.*Google Drive API"):
        read(sheets_emulator, service_account_info)


def test_bad_link(service_account_info):
    with pytest.raises(SourceUnreadable, match="无法识别表格编号"):
        read_gsheet("https://example.com/not-a-sheet", service_account_info)


BAD_KEYS = [  # (what to do to the key file, words the message must hold)
    ("missing", "找不到服务账号密钥文件"),
    ("not json", "不是有效的 JSON"),
    ("oauth client", "不是服务账号密钥"),
    ("no email", "缺少字段 client_email"),
    ("broken key", "私钥无法解析"),
    ("unknown key", "invalid_grant: Invalid JWT Signature."),
]


@pytest.mark.parametrize("damage, words", BAD_KEYS)
def test_bad_credentials(sheets_emulator, book, rsa_private_key, tmp_path, damage, words):
    info = make_service_account_info(sheets_emulator, rsa_private_key)
    if damage == "unknown key":  # a key deleted in the console: its id is no longer known
        info = make_service_account_info(sheets_emulator, rsa_private_key, register=False)
    content = {
        "not json": "-----BEGIN PRIVATE KEY-----\n" + info["private_key"][28:80],
        "oauth client": json.dumps({"installed": {"client_id": "x", "client_secret": "y"}}),
        "no email": json.dumps({**info, "client_email": ""}),
        "broken key": json.dumps({**info, "private_key": info["private_key"][:200]}),
    }.get(damage, json.dumps(info))
    path = tmp_path / "key.json"
    if damage != "missing":
        path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceUnreadable) as caught:
        read(sheets_emulator, path)
    message = str(caught.value)
    assert words in message and str(path) in message
    assert "PRIVATE KEY" not in message and info["private_key"][40:80] not in message
    error = caught.value  # nothing chained that a log could print with the key in it
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def test_server_error_storm_gives_up_in_bounded_time(sheets_emulator, book,
                                                      service_account_info):
    sheets_emulator.fail("drive.get", status=500, times=1000)
    policy = RetryPolicy(attempts=5, base=0.05, cap=0.2, total=10)
    started = time.monotonic()
    with pytest.raises(SourceUnreadable) as caught:
        read(sheets_emulator, service_account_info, retry=policy)
    elapsed = time.monotonic() - started
    print(f"500 storm, {policy}: gave up after {elapsed:.2f} s: {caught.value}")
    assert "HTTP 500" in str(caught.value) and "共尝试 5 次" in str(caught.value)
    assert sheets_emulator.count("drive.get") == 5
    assert elapsed < 0.05 + 0.1 + 0.2 + 0.2 + 1  # four waits at most, plus slack


def test_server_error_storm_stops_at_total_time(sheets_emulator, book, service_account_info):
    sheets_emulator.fail("values.batchGet", status=503, times=1000)
    started = time.monotonic()
    with pytest.raises(SourceUnreadable, match="HTTP 503"):
        read(sheets_emulator, service_account_info,
             retry=RetryPolicy(attempts=1000, base=0.05, cap=0.1, total=0.6))
    assert time.monotonic() - started < 1.5


def test_slow_answer_times_out_and_is_retried(sheets_emulator, book, service_account_info):
    sheets_emulator.fail("sheets.get", delay=2)
    assert read(sheets_emulator, service_account_info, timeout=0.3) is not None
    assert sheets_emulator.count("sheets.get") == 2


def test_timeouts_until_giving_up(sheets_emulator, book, service_account_info):
    sheets_emulator.fail("sheets.get", delay=2, times=10)
    started = time.monotonic()
    with pytest.raises(SourceUnreadable, match="请求超时（超过 0.3 秒）.*共尝试 3 次"):
        read(sheets_emulator, service_account_info, timeout=0.3,
             retry=RetryPolicy(attempts=3, base=0.01, cap=0.02, total=10))
    assert time.monotonic() - started < 1.8


def test_connection_reset_is_retried(sheets_emulator, book, service_account_info):
    sheets_emulator.fail("values.batchGet", reset=True)
    assert read(sheets_emulator, service_account_info) is not None
    assert sheets_emulator.count("values.batchGet") == 2


def test_connection_resets_until_giving_up(sheets_emulator, book, service_account_info):
    sheets_emulator.fail("drive.get", reset=True, times=10)
    with pytest.raises(SourceUnreadable, match="连接中断"):
        read(sheets_emulator, service_account_info)


def test_fault_by_call_number(sheets_emulator, book, service_account_info):
    sheets_emulator.fail(call=3, status=502)  # token, drive.get, then sheets.get
    assert read(sheets_emulator, service_account_info) is not None
    assert [r.status for r in sheets_emulator.requests] == [200, 200, 502, 200, 200]


def test_html_instead_of_json(sheets_emulator, book, service_account_info):
    sheets_emulator.fail("drive.get", status=200, body="<html>请先登录网络</html>")
    with pytest.raises(SourceUnreadable, match="无法识别的内容.*api_endpoint"):
        read(sheets_emulator, service_account_info)


def test_wrong_endpoint_names_the_host(service_account_info):
    with pytest.raises(SourceUnreadable, match="与 127.0.0.1:9 的连接中断或无法建立"):
        read_gsheet(KEY, service_account_info, api_endpoint="http://127.0.0.1:9", retry=FAST)


def test_no_secret_in_messages_or_logs(sheets_emulator, book, service_account_info, caplog):
    caplog.set_level(logging.DEBUG)
    sheets_emulator.fail("values.batchGet", status=500, times=10)
    with pytest.raises(SourceUnreadable) as caught:
        read(sheets_emulator, service_account_info)
    secrets = list(sheets_emulator._tokens) + [service_account_info["private_key"][40:80]]
    assert secrets and "retry" in caplog.text
    for secret in secrets:
        assert secret not in caplog.text and secret not in str(caught.value)


# ---- write-back ----------------------------------------------------------------------------

def issue(severity, sheet, cell, column, message):
    row = int("".join(ch for ch in cell if ch.isdigit())) if cell else None
    return Issue(severity, sheet, row, cell, column, None, None, "test", message)


ISSUES = [
    issue("error", "报到名册", "D5", "联系电话", "联系电话格式不对：应为手机号或带区号的固定电话"),
    issue("warning", "报到名册", "G6", "报到日期", "日期写法不规范（2020.8.15）"),
    issue("error", "报到名册", "C5", "身份证号", "身份证号被存成了数字，后几位已丢失：请改为文本后重填"),
    issue("info", "微心愿", None, None, "=HYPERLINK(\"http://evil\")"),
    issue("error", "微心愿", "A3", "-心愿编号", "@编号重复"),
]


def results_of(book):
    return book.sheet(RESULTS_SHEET).rows


def test_write_back_results_sheet_and_notes(sheets_emulator, book, service_account_file):
    staff_before = copy.deepcopy([s.rows for s in book.sheets])
    write_back(KEY, service_account_file, ISSUES, api_endpoint=sheets_emulator.url, retry=FAST)

    assert sheets_emulator.kinds() == ["token", "sheets.get", "batchUpdate"]
    assert results_of(book)[:6] == [
        ["工作表", "行号", "单元格", "列名", "级别", "问题说明"],
        ["报到名册", 5, "D5", "联系电话", "错误", "联系电话格式不对：应为手机号或带区号的固定电话"],
        ["报到名册", 6, "G6", "报到日期", "警告", "日期写法不规范（2020.8.15）"],
        ["报到名册", 5, "C5", "身份证号", "错误", "身份证号被存成了数字，后几位已丢失：请改为文本后重填"],
        ["微心愿", "", "", "", "提示", "'=HYPERLINK(\"http://evil\")"],  # never a formula
        ["微心愿", 3, "A3", "'-心愿编号", "错误", "'@编号重复"],
    ]
    assert book.sheet(RESULTS_SHEET).frozen_rows == 1
    staff_notes = {ref: text for ref, text in book.notes.items() if ref[0] != RESULTS_SHEET}
    assert staff_notes == {
        ("报到名册", "D5"): NOTE_MARK + "\n[错误] 联系电话格式不对：应为手机号或带区号的固定电话",
        ("报到名册", "G6"): NOTE_MARK + "\n[警告] 日期写法不规范（2020.8.15）",
        ("报到名册", "C5"): NOTE_MARK + "\n[错误] 身份证号被存成了数字，后几位已丢失：请改为文本后重填",
        ("微心愿", "A3"): NOTE_MARK + "\n[错误] @编号重复",
    }
    assert [s.rows for s in book.sheets[:3]] == staff_before  # staff values untouched


def test_write_back_again_clears_fixed_cells_and_keeps_staff_notes(
        sheets_emulator, book, service_account_info):
    roster = book.sheet("报到名册")
    book.set_note(roster, 4, 3, "张三说下月换号")  # D5, written by staff
    write_back(KEY, service_account_info, ISSUES, api_endpoint=sheets_emulator.url)
    assert book.notes[("报到名册", "D5")].startswith("张三说下月换号\n\n" + NOTE_MARK)

    write_back(KEY, service_account_info, ISSUES[1:2], api_endpoint=sheets_emulator.url)
    staff_notes = {ref: text for ref, text in book.notes.items() if ref[0] != RESULTS_SHEET}
    assert staff_notes == {("报到名册", "D5"): "张三说下月换号",
                           ("报到名册", "G6"): NOTE_MARK + "\n[警告] 日期写法不规范（2020.8.15）"}
    assert [row for row in results_of(book) if any(row)] == [
        ["工作表", "行号", "单元格", "列名", "级别", "问题说明"],
        ["报到名册", 6, "G6", "报到日期", "警告", "日期写法不规范（2020.8.15）"],
    ]


def test_write_back_unchanged_sends_no_update(sheets_emulator, book, service_account_info):
    write_back(KEY, service_account_info, ISSUES, api_endpoint=sheets_emulator.url)
    modified = book.modified
    sheets_emulator.clear_log()
    write_back(KEY, service_account_info, ISSUES, api_endpoint=sheets_emulator.url)
    assert sheets_emulator.kinds() == ["token", "sheets.get"]
    assert book.modified == modified  # the next sync still sees the source unchanged


def test_read_skips_the_results_sheet(sheets_emulator, book, service_account_info):
    write_back(KEY, service_account_info, ISSUES, api_endpoint=sheets_emulator.url)
    workbook = read(sheets_emulator, service_account_info)
    assert RESULTS_SHEET not in [g.title for g in workbook.grids]


def test_write_back_needs_editor(sheets_emulator, service_account_info):
    sheets_emulator.add_spreadsheet(KEY, "只读", copy.deepcopy(SHEETS), role="reader")
    with pytest.raises(SourceUnreadable, match=f"共享给 {SERVICE_ACCOUNT_EMAIL}（编辑者权限"):
        write_back(KEY, service_account_info, ISSUES, api_endpoint=sheets_emulator.url)
