"""A Google Sheets source through the whole sync: real gspread, real HTTP, the emulator."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from sync.store.models import roster, sync_runs
from sync.service import open_mirror, sync_sources
from tests.registers import ROSTER_HEADERS, roster_row, write_config
from tests.service_account import SERVICE_ACCOUNT_EMAIL
from tests.sheets_cells import SheetDate

pytestmark = pytest.mark.timeout(120)

KEY = "1ShangzhanRegister_0123456789abcdefghijklmnop"


def sheet_rows(n: int) -> list[list]:
    rows = [["上站街道在职党员报到名册"], ROSTER_HEADERS]
    for i in range(1, n + 1):
        row = roster_row(i)
        row[ROSTER_HEADERS.index("报到日期")] = SheetDate(date(2020, 8, 10))
        row[ROSTER_HEADERS.index("联系电话")] = int(row[ROSTER_HEADERS.index("联系电话")])  # typed as a number
        rows.append(row)
    return rows


@pytest.fixture
def gsheet(tmp_path, db_url, sheets_emulator, service_account_file):
    def configure(**extra):
        return write_config(tmp_path / "taizhang.toml", db_url, [{
            "name": "shangzhan", "street": "上站街道", "kind": "gsheet", "spreadsheet": KEY,
            "credentials": str(service_account_file), "api_endpoint": sheets_emulator.url, **extra}])

    def sync(**kw):
        mirror = open_mirror(str(configure.path))
        try:
            result = sync_sources(mirror, **kw)[0]
            with mirror.engine.connect() as conn:
                rows = conn.execute(select(func.count()).select_from(roster)
                                    .where(roster.c.deleted_at.is_(None))).scalar()
            return result, rows
        finally:
            mirror.engine.dispose()

    configure.path = configure()
    configure.sync = sync
    return configure


def test_first_sync_unchanged_and_one_edit(gsheet, sheets_emulator, caplog):
    sheets_emulator.add_spreadsheet(KEY, "上站街道台账", {"报到名册": sheet_rows(12)})
    result, rows = gsheet.sync()
    # Regression: google-auth's regional-access-boundary lookup went to iamcredentials.googleapis.com
    # around the configured endpoint.
    assert "iamcredentials" not in caplog.text
    assert (result.status, result.inserted, rows) == ("ok", 12, 12)
    assert sheets_emulator.kinds() == ["token", "drive.get", "sheets.get", "values.batchGet"]

    sheets_emulator.clear_log()
    result, _ = gsheet.sync()
    assert result.status == "unchanged"
    assert sheets_emulator.kinds() == ["token", "drive.get"]

    sheets_emulator.clear_log()
    sheets_emulator.edit(KEY, "报到名册", "E5", "阳泉市第二中学")
    result, rows = gsheet.sync()
    assert (result.status, result.updated, result.inserted, rows) == ("ok", 1, 0, 12)
    assert sheets_emulator.count("values.batchGet") == 1


def test_unshared_sheet_fails_naming_the_service_account_and_keeps_the_mirror(gsheet, sheets_emulator):
    book = sheets_emulator.add_spreadsheet(KEY, "上站街道台账", {"报到名册": sheet_rows(5)})
    assert gsheet.sync()[0].status == "ok"
    sheets_emulator.edit(KEY, "报到名册", "E3", "别处")
    book.role = None  # someone stopped sharing the sheet
    result, rows = gsheet.sync()
    assert result.status == "failed" and SERVICE_ACCOUNT_EMAIL in result.message
    assert rows == 5


def test_server_error_storm_fails_in_bounded_time_and_keeps_the_mirror(gsheet, sheets_emulator):
    sheets_emulator.add_spreadsheet(KEY, "上站街道台账", {"报到名册": sheet_rows(5)})
    assert gsheet.sync()[0].status == "ok"
    sheets_emulator.edit(KEY, "报到名册", "E3", "别处")
    sheets_emulator.fail("values.batchGet", status=500, times=100)
    result, rows = gsheet.sync()
    assert result.status == "failed" and "500" in result.message
    assert result.seconds < 60 and rows == 5
    mirror = open_mirror(str(gsheet.path))
    with mirror.engine.connect() as conn:
        assert conn.execute(select(sync_runs.c.status).order_by(sync_runs.c.id)).scalars().all() == ["ok", "failed"]
    mirror.engine.dispose()


def test_write_back_puts_the_issues_into_the_staff_spreadsheet(gsheet, sheets_emulator):
    rows = sheet_rows(3)
    rows[3][ROSTER_HEADERS.index("联系电话")] = "12345"
    book = sheets_emulator.add_spreadsheet(KEY, "上站街道台账", {"报到名册": rows})
    gsheet.path = gsheet(writeback=True)
    result, _ = gsheet.sync()
    assert result.status == "ok" and "回写失败" not in result.message
    results = book.sheet("校验结果")
    flat = [str(c) for r in results.rows for c in r]
    assert "D4" in flat and any("联系电话格式不正确" in c for c in flat)
    assert book.sheet("报到名册").rows[3][ROSTER_HEADERS.index("联系电话")] == "12345"  # staff value untouched
    assert any(a1 == "D4" for _sheet, a1 in book.notes)


CALLS = ["token", "drive.get", "sheets.get", "values.batchGet"]


@pytest.mark.parametrize("kind", CALLS)
@pytest.mark.parametrize("fault, times, outcome", [
    ({"status": 429}, 2, "ok"),  # rate limited twice, then through
    ({"status": 503}, 1, "ok"),
    ({"reset": True}, 1, "ok"),  # connection dropped once
    ({"status": 500}, 100, "failed"),  # a storm: bounded retries, then a clear failure
])
def test_google_faults_at_every_call_are_retried_or_fail_clearly_never_wiping(gsheet, sheets_emulator, kind,
                                                                              fault, times, outcome):
    sheets_emulator.add_spreadsheet(KEY, "上站街道台账", {"报到名册": sheet_rows(6)})
    assert gsheet.sync()[0].status == "ok"
    sheets_emulator.edit(KEY, "报到名册", "E3", "阳泉市第三中学")
    sheets_emulator.fail(kind, times=times, **fault)
    result, rows = gsheet.sync()
    assert (result.status, rows) == (outcome, 6), result.message
    if outcome == "ok":
        assert result.updated == 1
    else:
        assert result.seconds < 90 and "暂时不可用" in result.message
