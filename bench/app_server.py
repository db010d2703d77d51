"""Starting the Streamlit app on a free port and waiting for it, for the browser benchmark and the browser tests.

Only the standard library: ``bench/handin.py`` and the browser tests (tests/test_browser*.py) both import it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streamlit_command(port: int) -> list[str]:
    """``streamlit run app.py`` on 127.0.0.1:``port``, headless (run it with the project as cwd)."""
    return [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
            "--server.address", "127.0.0.1", "--server.headless", "true"]


def wait_healthy(url: str, server: subprocess.Popen | None = None, seconds: float = 90) -> None:
    """Wait until the app at ``url`` answers its health endpoint; with ``server``, fail at once if it exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError("streamlit did not become healthy")


def wait_heading(page, name: str, *, exact: bool = False, timeout: float = 60_000) -> None:
    """Wait until a heading called ``name`` is on screen.

    While a page reruns, Streamlit keeps the previous run's element beside the new one until the run
    ends, so for a moment the same heading is there twice (CI, 2026-12-02: clicking 总览 while on 总览
    found two ``<h1>`` and Playwright's strict mode failed the test). Any one of them will do here;
    ``settle`` (tests/browser_support.py) then waits for the run to end, and the stale copy with it.
    """
    page.get_by_role("heading", name=name, exact=exact).first.wait_for(timeout=timeout)
