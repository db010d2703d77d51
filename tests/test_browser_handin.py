"""提交台账 in a real browser (issue 15): a staff user made with ``python -m sync users add`` opens a
bookmarked page, signs in, stays signed in across a reload, drops a workbook with errors, reads the
cell list, downloads the annotated copy, submits a fixed version and sees the dashboard change.

``TAIZHANG_SCREENSHOT_DIR=docs`` also writes the page's desktop and phone screenshots there.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest

from tests.app_world import person_id, street_sheets, synced_world, write_xlsx
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, ROOT, settle, wait_heading
from tests.test_browser import serve

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]
PASSWORD = "liming-pass-2026"


def workbooks(folder: Path) -> tuple[Path, Path]:
    """上站街道's workbook with a bad phone (plus the world's wrong ID number), and a fixed one
    with one more member."""
    sheets, _ids = street_sheets("上站街道")
    bad = {**sheets, "报到名册": [r[:] for r in sheets["报到名册"]]}
    bad["报到名册"][1][3] = "1381234"
    roster = [r for r in sheets["报到名册"] if r[1] != "错号码"]
    roster.append([person_id(5), "周上站", "男", "13812340005", "阳泉市城区人民政府", "德胜街社区", "", "2020-06-10"])
    return (write_xlsx(folder / "上站名册-待改.xlsx", bad), write_xlsx(folder / "上站名册-已改.xlsx", {**sheets, "报到名册": roster}))


def post(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=b"not-a-ticket", headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def members(page) -> str:
    page.get_by_test_id("stSidebarNav").get_by_text("总览", exact=True).click()
    wait_heading(page, "总览", timeout=60_000)
    settle(page)
    return page.get_by_test_id("stMetric").filter(has_text="报到党员").get_by_test_id("stMetricValue").inner_text()


def shoot(page, name: str, width: int, folder: Path) -> None:
    """The whole page (the main area scrolls inside the window, so the window grows to fit it)."""
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_timeout(800)
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": height + 40})
    page.wait_for_timeout(800)
    page.screenshot(path=str(folder / name))


def test_staff_hand_in_a_workbook_in_the_browser(tmp_path):
    world = synced_world(tmp_path / "city", uploads=("shangzhan",))
    added = subprocess.run([sys.executable, "-m", "sync", "users", "add", "liming", "--role", "staff", "--street", "上站街道",
                            "--password-stdin", "--config", str(world.config), "--db", world.db_url],
                           input=PASSWORD + "\n", capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert added.returncode == 0, added.stderr
    bad, good = workbooks(tmp_path)
    shots = Path(os.environ.get("TAIZHANG_SCREENSHOT_DIR") or tmp_path)
    from playwright.sync_api import sync_playwright

    with contextmanager(serve)(world, tmp_path) as url, sync_playwright() as p:
        assert post(f"{url}/auth/session", {}) == 403  # no header: a cross-site form can't sign anyone in
        assert post(f"{url}/auth/session", {"X-Taizhang": "1"}) == 403  # a ticket the app never made
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
            page.goto(url, timeout=90_000)  # the first visit after a start: Streamlit learns the pages
            page.get_by_label("用户名").wait_for(timeout=90_000)
            page.goto(f"{url}/submit", timeout=90_000)  # a bookmark, signed out
            page.get_by_label("用户名").fill("liming", timeout=90_000)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            wait_heading(page, "提交台账", timeout=60_000)  # the bookmarked page
            settle(page)
            cookie = next(c for c in page.context.cookies() if c["name"] == "taizhang_session")
            assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
            page.reload()
            wait_heading(page, "提交台账", timeout=60_000)  # still signed in
            assert page.get_by_label("用户名").count() == 0
            before = members(page)
            page.get_by_test_id("stSidebarNav").get_by_text("提交台账", exact=True).click()
            wait_heading(page, "提交台账", timeout=60_000)
            page.locator("input[type=file]").set_input_files(str(bad))
            wait_heading(page, "需要修改的单元格", timeout=60_000)
            settle(page)
            issues = page.locator("table.tz-issues")
            assert issues.get_by_text("D2", exact=True).is_visible()  # plain text: Ctrl+F finds it
            assert issues.get_by_text("联系电话格式不正确", exact=False).is_visible()
            assert issues.get_by_text("A5", exact=True).is_visible()
            with page.expect_download() as download:
                page.get_by_role("button", name="下载标注问题的工作簿").click()
            book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
            assert book["报到名册"]["D2"].fill.fgColor.rgb.endswith("FFC7CE") and "联系电话" in book["报到名册"]["D2"].comment.text
            assert "校验结果" in book.sheetnames
            shoot(page, "submit-desktop.png", 1280, shots)
            shoot(page, "submit-phone.png", 390, shots)
            page.set_viewport_size({"width": 1280, "height": 900})
            page.get_by_role("button", name="只检查，不提交").click()
            page.get_by_text("没有保存任何内容").wait_for(timeout=60_000)
            settle(page)  # the cleared uploader has replaced the old one
            assert page.locator("input[type=file]").count() == 1 and page.locator("table.tz-issues").count() == 0
            page.locator("input[type=file]").set_input_files(str(good))
            page.get_by_text("没有发现问题").wait_for(timeout=60_000)
            settle(page)
            page.get_by_role("button", name="提交", exact=True).click()
            page.get_by_text("已提交“上站名册-已改.xlsx”").wait_for(timeout=60_000)  # the outcome, after the sync
            settle(page)
            after = members(page)
            assert (before, after) == ("3", "4")  # the new member is on the dashboard
            page.get_by_role("button", name="退出登录").click()
            page.get_by_label("用户名").wait_for(timeout=60_000)
            settle(page)
            page.reload()
            page.get_by_label("用户名").wait_for(timeout=60_000)  # signed out stays signed out
            assert page.locator('[data-testid="stException"]').count() == 0
        finally:
            browser.close()
