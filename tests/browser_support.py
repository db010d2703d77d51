"""The browser tests' server: `streamlit run app.py` on a free port, for Debian's Chromium through Playwright."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.app_server import free_port, streamlit_command, wait_heading, wait_healthy  # noqa: F401 (wait_heading: for the tests)

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")


@contextmanager
def running_app(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """The app with ``env`` over this process's environment, its output in ``log_path``: its URL once
    healthy; stopped (killed if it does not stop within 15 s) when the block ends."""
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(streamlit_command(port), cwd=ROOT, env={**os.environ, **env}, stdout=log,
                                   stderr=subprocess.STDOUT)
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


def settle(page) -> None:
    """Wait until the page's script run is over and nothing is still loading.

    Called once the page's heading is drawn, so its run has started: Streamlit marks the app
    root ``data-test-script-state="notRunning"`` when the run ends.
    """
    page.wait_for_function("() => document.querySelector('[data-testid=\"stApp\"]')"
                           "?.getAttribute('data-test-script-state') === 'notRunning'"
                           " && !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=60_000)
