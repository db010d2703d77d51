"""The overview in Chromium, on a desktop and on a phone, on the demo data and on a generated city:
the screenshots a supervisor would see, no Vega warning in the console, two KPI cards a row on the
phone, an empty period said in one line, and a click on a ranked street opening its page.

Screenshots go to the test's temporary folder, or to ``TAIZHANG_SCREENSHOTS`` when set
(``TAIZHANG_SCREENSHOTS=docs`` refreshes the README's pictures).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from tests.app_world import ADMIN_PASSWORD
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, ROOT, need_chromium, running_app, settle, wait_heading

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]
DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}
CITY_SCALE = 0.5  # nine streets, about 36,000 rows


def world(kind: str, root: Path) -> dict[str, str]:
    """The app's environment for the committed demo, or for a freshly generated city."""
    if kind == "demo":
        config = ROOT / "data" / "demo" / "taizhang.toml"
    else:
        from sync.demo.city import generate_city, write_sources_toml
        config = write_sources_toml(generate_city(root / "city", CITY_SCALE), root / "city" / "taizhang.toml")
    return {"TAIZHANG_CONFIG": str(config), "TAIZHANG_DATABASE_URL": f"sqlite:///{root / 'mirror.db'}",
            "TAIZHANG_DATA_DIR": str(root / "data"), "TAIZHANG_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "TAIZHANG_SECRET_KEY": base64.urlsafe_b64encode(b"k" * 32).decode(), "TAIZHANG_EMBEDDED_WORKER": "0"}


@pytest.fixture(params=["demo", "city"])
def app(request, tmp_path):
    need_chromium()  # before generating a city
    log_path = tmp_path / "streamlit.log"
    with running_app(world(request.param, tmp_path), log_path) as url:
        yield request.param, url, log_path


def sign_in(browser, url: str, viewport: dict, console: list[str]):
    page = browser.new_page(viewport=viewport, is_mobile=viewport is PHONE, device_scale_factor=1)
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.goto(url, timeout=120_000)
    page.get_by_label("用户名").fill("admin", timeout=120_000)
    page.get_by_label("密码").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="登录").click()
    wait_heading(page, "总览", timeout=120_000)
    page.get_by_text("街道排名").first.wait_for(timeout=60_000)
    settle(page)
    return page


def whole_page(page, path: Path) -> None:
    """A screenshot of the whole page: Streamlit scrolls its main area, not the document, so the
    viewport is stretched to the main area's height first."""
    width = page.viewport_size["width"]
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": max(height, 600)})
    settle(page)
    page.screenshot(path=str(path))


def pick_period(page, choice: str) -> None:
    page.locator('[data-testid="stSelectbox"]').filter(has_text="时间段").click()
    page.get_by_role("option", name=choice, exact=True).click()


def test_overview_on_desktop_and_phone(app, tmp_path):
    from playwright.sync_api import sync_playwright

    kind, url, log_path = app
    shots = Path(os.environ.get("TAIZHANG_SCREENSHOTS") or tmp_path)
    shots = shots if shots.is_absolute() else ROOT / shots
    console: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = sign_in(browser, url, DESKTOP, console)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert page.locator('[data-testid="stMetric"]').count() == 8
            whole_page(page, shots / f"overview-{kind}-desktop.png")
            with page.expect_download(timeout=120_000) as download:  # the meeting picture, drawn when clicked
                page.get_by_role("button", name="导出会议用总览（PNG）").click()
            exported = shots / f"overview-{kind}-export.png"
            download.value.save_as(exported)
            assert exported.read_bytes().startswith(b"\x89PNG")
            page.get_by_role("tab", name="趋势").click()
            page.get_by_text("累计报到党员与微心愿").wait_for()
            settle(page)
            assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 2
            page.locator('[data-testid="stTabs"]').screenshot(path=str(shots / f"overview-{kind}-trends.png"))
            page.set_viewport_size(DESKTOP)

            phone = sign_in(browser, url, PHONE, console)
            cards = [phone.locator('[data-testid="stMetric"]').nth(i).bounding_box() for i in range(3)]
            assert abs(cards[0]["y"] - cards[1]["y"]) < 2 and cards[1]["x"] > cards[0]["x"] + 100  # side by side
            assert cards[2]["y"] > cards[0]["y"] + 40  # the third opens the next row
            assert cards[1]["x"] + cards[1]["width"] <= PHONE["width"]  # nothing runs off the screen
            whole_page(phone, shots / f"overview-{kind}-phone.png")

            # a period without data: one line, no chart, no warning (the demo's data ends before this year)
            pick_period(page, "今年")
            page.get_by_text("没有报到党员或微心愿记录").wait_for(timeout=60_000)
            settle(page)
            assert page.locator('[data-testid="stMetric"]').count() == 0
            assert page.locator('[data-testid="stVegaLiteChart"]').count() == 0

            # a click on the first ranked street opens the 街道 page at that street
            pick_period(page, "全部时间")
            page.get_by_text("街道排名").first.wait_for(timeout=60_000)
            settle(page)
            grid = page.locator('[data-testid="stDataFrame"]').first
            box = grid.bounding_box()
            page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)  # the first row's selection cell
            wait_heading(page, "街道", exact=True, timeout=60_000)
            settle(page)
            assert "street=" in page.url
            assert page.locator('[data-testid="stException"]').count() == 0
        finally:
            browser.close()
    assert [line for line in console if line.startswith(("warning:", "error:"))] == []  # Vega warns here
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log and "warning" not in log.lower(), log[-3000:]
