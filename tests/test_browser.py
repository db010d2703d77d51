"""The app in a real browser: `streamlit run app.py` on a free port, Debian's Chromium through Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.app_world import ADMIN_PASSWORD, build_world, world_env

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGES = ["总览", "街道", "微心愿", "志愿服务岗", "数据质量", "同步记录", "数据源管理", "用户管理"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, server: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError("streamlit did not become healthy")


@pytest.fixture
def server(tmp_path):
    """The app on a fresh world (first start: creates the database, syncs, creates admin)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    world = build_world(tmp_path / "city")
    port = free_port()
    log = (tmp_path / "streamlit.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env={**os.environ, **world_env(world)}, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def settle(page) -> None:
    """Wait until the page's script run is over and nothing is still loading.

    Called once the page's heading is drawn, so its run has started: Streamlit marks the app
    root ``data-test-script-state="notRunning"`` when the run ends.
    """
    page.wait_for_function("() => document.querySelector('[data-testid=\"stApp\"]')"
                           "?.getAttribute('data-test-script-state') === 'notRunning'"
                           " && !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=60_000)


def test_every_page_renders_in_chromium(server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server, timeout=90_000)
            page.get_by_label("用户名").fill("admin", timeout=90_000)
            page.get_by_label("密码").fill(ADMIN_PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.get_by_role("heading", name="总览").wait_for(timeout=60_000)
            for title in PAGES:
                page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
                page.get_by_role("heading", name=title).wait_for(timeout=60_000)
                settle(page)
                page.screenshot(path=str(tmp_path / f"{PAGES.index(title)}-{title}.png"), full_page=True)
                assert page.locator('[data-testid="stException"]').count() == 0, title
            assert page.get_by_text("张上站").count() == 0  # the overview shows aggregates, never names
        finally:
            browser.close()
