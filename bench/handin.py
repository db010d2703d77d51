"""Seconds from drop to result on 提交台账, for a 5,000-row street workbook (issue 15).

``python -m bench.handin [--repeat N] [--browser] [--write]``

A demo street workbook of 5,000 rows (2,500 members, 2,300 wishes, 200 posts, with the demo's
planted mistakes) is synced as an upload source into a SQLite mirror; the benchmark then hands in
a copy with 1% of its phone numbers edited, as staff would. It measures, median of ``--repeat``:

- in the app's process (modules already loaded, as in a running app): ``check_workbook`` (read
  the bytes, check every cell with ``check_source``, plan the mirror's change), drawing the issue
  list's HTML, and making the annotated copy (built only when its button is clicked);
- with ``--browser``: the whole thing as a person sees it, in Chromium against ``streamlit run
  app.py`` — from handing the file to the page's file input to the issue list on screen.

``--write`` puts the table into BENCHMARKS.md (its own section, kept by ``bench/run.py``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COUNTS = {"roster": 2500, "wishes": 2300, "posts": 200}
START, END = "<!-- handin:start -->", "<!-- handin:end -->"
KEY = "YmVuY2htYXJrLWtleS1ub3Qtc2VjcmV0LTMyYnl0ZXM="
PASSWORD = "bench-pass-123"
CHROMIUM = "/usr/bin/chromium"


def workbooks(folder: Path) -> tuple[Path, Path]:
    """The street's workbook as synced, and the edited copy that is handed in (1% of phones changed)."""
    import openpyxl

    from sync.demo.city import generate_street
    from sync.demo.people import STREETS

    slug, street, district, communities = STREETS[0]
    first = generate_street(folder, slug, street, district, communities, COUNTS, seed=2020).path
    book = openpyxl.load_workbook(first)
    sheet = book["报到名册"]
    phone = next(c.column for c in sheet[3] if c.value in ("联系电话", "手机号"))
    for row in range(4, 4 + COUNTS["roster"], 100):  # every 100th member: 1% of the rows
        sheet.cell(row, phone).value = f"139{row:08d}"
    edited = folder / "上站街道-修改.xlsx"
    book.save(edited)
    return first, edited


def world(folder: Path, first: Path) -> dict[str, str]:
    """A configuration with the street as an upload source (its first version synced), and its env."""
    from sync.sources.kinds.upload import version_file

    data = first.read_bytes()
    file = version_file("shangzhan", first.name, data)
    (folder / "data" / file).parent.mkdir(parents=True, exist_ok=True)
    (folder / "data" / file).write_bytes(data)
    config = folder / "taizhang.toml"
    config.write_text(f'[[sources]]\nname = "shangzhan"\nstreet = "上站街道"\ndistrict = "城区"\nkind = "upload"\n'
                      f'path = "{file}"\n', encoding="utf-8")
    return {"TAIZHANG_CONFIG": str(config), "TAIZHANG_DATABASE_URL": f"sqlite:///{folder / 'mirror.db'}",
            "TAIZHANG_DATA_DIR": str(folder / "data"), "TAIZHANG_SECRET_KEY": KEY,
            "TAIZHANG_ADMIN_PASSWORD": PASSWORD, "TAIZHANG_EMBEDDED_WORKER": "0"}


def in_process(edited: Path, repeat: int) -> dict[str, list[float]]:
    from pages.common import annotated_bytes
    from pages.issue_view import issues_html, results_frame
    from sync.registry import get_source
    from sync.service import open_mirror, sync_sources
    from sync.submissions import check_workbook

    mirror = open_mirror()
    sync_sources(mirror)
    source, data = get_source(mirror.engine, "shangzhan"), edited.read_bytes()
    check_workbook(mirror, source, edited.name, data)  # a running app has every module loaded
    times: dict[str, list[float]] = {"check": [], "list": [], "annotated": []}
    for _ in range(repeat):
        t0 = time.perf_counter()
        checked = check_workbook(mirror, source, edited.name, data)
        t1 = time.perf_counter()
        issues_html(results_frame(checked.results))
        t2 = time.perf_counter()
        annotated_bytes(checked.workbook, checked.results)
        t3 = time.perf_counter()
        times["check"].append(t1 - t0)
        times["list"].append(t2 - t1)
        times["annotated"].append(t3 - t2)
    times["issues"] = [float(checked.count("error") + checked.count("warning"))]
    mirror.engine.dispose()
    return times


def in_browser(edited: Path, env: dict[str, str], repeat: int, log: Path) -> list[float]:
    from playwright.sync_api import sync_playwright

    from bench.app_server import free_port, streamlit_command, wait_heading, wait_healthy

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        server = subprocess.Popen(streamlit_command(port), cwd=ROOT, env={**os.environ, **env}, stdout=out,
                                  stderr=subprocess.STDOUT)
        try:
            wait_healthy(url, seconds=120)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(url, timeout=120_000)
                page.get_by_label("用户名").fill("admin", timeout=120_000)
                page.get_by_label("密码").fill(PASSWORD)
                page.get_by_role("button", name="登录").click()
                wait_heading(page, "总览", timeout=120_000)
                page.goto(f"{url}/submit", timeout=120_000)
                seconds = []
                for _ in range(repeat + 1):  # the first drop also loads the page's modules: not counted
                    wait_heading(page, "提交台账", timeout=120_000)
                    page.wait_for_timeout(1500)
                    t0 = time.perf_counter()
                    page.locator("input[type=file]").set_input_files(str(edited))
                    page.locator("table.tz-issues").wait_for(timeout=120_000)
                    seconds.append(time.perf_counter() - t0)
                    page.get_by_role("button", name="只检查，不提交").click()
                    page.get_by_text("没有保存任何内容").wait_for(timeout=120_000)
                browser.close()
            return seconds[1:]
        finally:
            server.terminate()
            server.wait(timeout=30)


def table(times: dict[str, list[float]], browser: list[float] | None, repeat: int) -> list[str]:
    med = {k: statistics.median(v) for k, v in times.items()}
    rows = [f"A 5,000-row street workbook (2,500 members, 2,300 wishes, 200 posts; {int(med['issues'])} issues), "
            f"handed in to a SQLite mirror holding its previous version; median of {repeat} "
            f"(`python -m bench.handin --browser --write`), {time.strftime('%Y-%m-%d')}, this 2-core machine, "
            f"load average {os.getloadavg()[0]:.1f} (shared with other runs: wall times are noisy).", "",
            "| step | seconds |", "|---|---|",
            f"| read + check every cell + plan the mirror's change (`check_workbook`) | {med['check']:.2f} |",
            f"| draw the issue list (HTML, first 300) | {med['list']:.3f} |",
            f"| annotated copy (built when its button is clicked) | {med['annotated']:.2f} |"]
    if browser:
        rows.append(f"| **drop to result in Chromium** (file input → issue list on screen) | "
                    f"**{statistics.median(browser):.2f}** |")
    return rows


def write(rows: list[str], path: Path) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    section = "\n".join([START, "### 提交台账: drop to result (issue 15)", "", *rows, END])
    if START in text:
        text = text.split(START, 1)[0] + section + text.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--browser", action="store_true", help="also measure in Chromium against the running app")
    parser.add_argument("--write", action="store_true", help="put the table into BENCHMARKS.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="handin-") as tmp:
        folder = Path(tmp)
        first, edited = workbooks(folder)
        env = world(folder, first)
        os.environ.update(env)
        times = in_process(edited, args.repeat)
        browser = in_browser(edited, env, args.repeat, folder / "streamlit.log") if args.browser else None
    rows = table(times, browser, args.repeat)
    print("\n".join(rows))
    if args.write:
        write(rows, ROOT / "BENCHMARKS.md")


if __name__ == "__main__":
    main()
