"""The app in a real browser: `streamlit run app.py` on a free port, Debian's Chromium through Playwright."""

from __future__ import annotations

import json

import pytest

from tests.app_world import ADMIN_PASSWORD, build_world, world_env
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, need_chromium, running_app, settle, wait_heading

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
PAGES = ["总览", "街道", "微心愿", "志愿服务岗", "提交台账", "数据质量", "同步记录", "数据源管理", "用户管理"]


@pytest.fixture
def server(tmp_path):
    """The app on a fresh world (first start: creates the database, syncs, creates admin)."""
    yield from serve(build_world(tmp_path / "city"), tmp_path)


def serve(world, tmp_path):
    need_chromium()
    with running_app(world_env(world), tmp_path / "streamlit.log") as url:
        yield url


def sign_in_as_admin(page, url: str) -> None:
    page.goto(url, timeout=90_000)
    page.get_by_label("用户名").fill("admin", timeout=90_000)
    page.get_by_label("密码").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="登录").click()
    wait_heading(page, "总览", timeout=60_000)


def test_every_page_renders_in_chromium(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            sign_in_as_admin(page, server)
            for title in PAGES:
                page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
                wait_heading(page, title, exact=True, timeout=60_000)
                settle(page)
                expect(page.get_by_role("heading", name=title, exact=True)).to_have_count(1)  # the stale copy is gone
                page.screenshot(path=str(tmp_path / f"{PAGES.index(title)}-{title}.png"), full_page=True)
                assert page.locator('[data-testid="stException"]').count() == 0, title
            assert page.get_by_text("张上站").count() == 0  # the overview shows aggregates, never names
        finally:
            browser.close()


@pytest.fixture
def hostile_server(tmp_path):
    """The app on a world with one more source: a CSV whose worksheet title (its file name) is Markdown."""
    from tests.test_app_plain_text import HOSTILE_TITLE, ROSTER_WITHOUT_KEY

    world = build_world(tmp_path / "city")
    path = world.root / f"{HOSTILE_TITLE}.csv"
    path.write_text(ROSTER_WITHOUT_KEY, encoding="utf-8")
    with world.config.open("a", encoding="utf-8") as f:
        f.write(f'\n[[sources]]\nname = "hostile"\nstreet = "上站街道"\nkind = "csv"\npath = {json.dumps(str(path))}\n')
    yield from serve(world, tmp_path)


def test_a_hostile_sheet_title_renders_as_its_characters(hostile_server, tmp_path):
    # Regression (issue 14): a worksheet titled with a Markdown link and :red[**…**] showed a
    # clickable link, a red "system notice" and an image from an outside server above 确认并应用.
    from playwright.sync_api import sync_playwright

    from tests.test_app_plain_text import HOSTILE_TITLE

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            outside = []
            page.on("request", lambda r: outside.append(r.url) if "127.0.0.1" not in r.url else None)
            sign_in_as_admin(page, hostile_server)
            page.get_by_test_id("stSidebarNav").get_by_text("同步记录", exact=True).click()
            wait_heading(page, "同步记录", timeout=60_000)
            settle(page)
            page.screenshot(path=str(tmp_path / "held-hostile.png"), full_page=True)
            alert = page.locator('[data-testid="stAlert"]', has_text="已暂停")
            assert alert.count() == 1
            assert alert.locator("a, img, [class*=katex]").count() == 0
            assert alert.locator("strong").all_inner_texts() == ["上站街道·hostile"]  # our own emphasis only
            assert HOSTILE_TITLE in alert.inner_text().replace("\u200b", "")
            assert outside == []
        finally:
            browser.close()

