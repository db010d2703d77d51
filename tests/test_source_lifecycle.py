"""Sources declared in the TOML have a lifecycle; duplicates are named; Google is read again now and then
(issue 13). SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from sync.queries import overview
from sync.registry import duplicate_sources, get_source, save_source
from sync.service import open_mirror, sync_sources
from sync.store.models import issues, now, roster, sources
from tests.registers import ROSTER_HEADERS, roster_row, write_config, write_register

ROOT = Path(__file__).resolve().parents[1]


def two_streets(tmp_path, db_url, *, keep=("shangzhan", "xiazhan")) -> Path:
    declared = [
        {"name": "shangzhan", "street": "上站街道", "district": "城区", "kind": "excel",
         "path": str(write_register(tmp_path / "shangzhan.xlsx", [roster_row(n) for n in range(1, 4)]))},
        {"name": "xiazhan", "street": "下站街道", "district": "城区", "kind": "excel",
         "path": str(write_register(tmp_path / "xiazhan.xlsx",
                                    [roster_row(n, 报到社区="滨河西社区", 报到日期="2020-09-01") for n in range(11, 13)]))}]
    return write_config(tmp_path / "taizhang.toml", db_url, [s for s in declared if s["name"] in keep])


def sync_cli(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sync", "run", "--config", str(config)], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", timeout=300)


def test_a_source_removed_from_the_toml_is_retired_and_comes_back(tmp_path, db_url):
    config = two_streets(tmp_path, db_url)
    assert sync_cli(config).returncode == 0
    two_streets(tmp_path, db_url, keep=("shangzhan",))  # xiazhan deleted from the file
    done = sync_cli(config)
    assert done.returncode == 0
    assert "数据源“xiazhan”已从配置文件中删除：已停用" in done.stderr
    mirror = open_mirror(str(config))
    try:
        retired = get_source(mirror.engine, "xiazhan")
        assert (retired.enabled, retired.retired_at is not None) == (False, True)
        with mirror.engine.connect() as conn:
            kept = conn.execute(select(func.count()).select_from(roster).where(
                roster.c.source == "xiazhan", roster.c.deleted_at.is_(None))).scalar()
            open_issues = conn.execute(select(func.count()).select_from(issues).where(
                issues.c.source == "xiazhan")).scalar()
        assert (kept, open_issues) == (2, 0)  # the rows stay; nothing is left to fix
        assert set(overview.by_place(mirror.engine, None)["street"]) == {"上站街道"}  # out of the dashboards
        assert set(overview.places(mirror.engine, None)["street"]) == {"上站街道"}
    finally:
        mirror.engine.dispose()
    two_streets(tmp_path, db_url)  # declared again
    done = sync_cli(config)
    assert "重新出现在配置文件中" in done.stderr and done.returncode == 0
    mirror = open_mirror(str(config))
    try:
        back = get_source(mirror.engine, "xiazhan")
        assert (back.enabled, back.retired_at) == (True, None)
        assert set(overview.by_place(mirror.engine, None)["street"]) == {"上站街道", "下站街道"}
    finally:
        mirror.engine.dispose()


def test_a_source_added_in_the_app_is_never_retired(tmp_path, db_url):
    config = two_streets(tmp_path, db_url, keep=("shangzhan",))
    mirror = open_mirror(str(config))
    save_source(mirror.engine, "fromapp", {"street": "新源街道", "district": "矿区", "kind": "excel",
                                           "path": str(tmp_path / "shangzhan.xlsx")})
    mirror.engine.dispose()
    mirror = open_mirror(str(config))
    try:
        assert mirror.notices == [] and get_source(mirror.engine, "fromapp").enabled
    finally:
        mirror.engine.dispose()


def test_two_sources_over_one_file_or_one_streets_register_are_warned(tmp_path, db_url):
    # Regression: a source renamed in the app beside the TOML's one doubled the street
    config = two_streets(tmp_path, db_url)
    mirror = open_mirror(str(config))
    try:
        sync_sources(mirror)
        assert duplicate_sources(mirror.engine) == {}
        save_source(mirror.engine, "shangzhan2", {"street": "上站街道", "kind": "excel",
                                                  "path": str(tmp_path / "." / "shangzhan.xlsx")})
        other = write_register(tmp_path / "xiazhan_more.xlsx", [roster_row(21, 报到社区="滨河西社区")])
        save_source(mirror.engine, "xiazhan2", {"street": "下站街道", "kind": "excel", "path": str(other)})
        results = {r.source: r for r in sync_sources(mirror)}
        assert "注意：与数据源“shangzhan2”读取同一个文件或表格" in results["shangzhan"].message
        assert "注意：与数据源“xiazhan”都有下站街道的在职党员报到名册" in results["xiazhan2"].message
        found = duplicate_sources(mirror.engine)
        assert set(found) == {"shangzhan", "shangzhan2", "xiazhan", "xiazhan2"}
        for name in found:  # what a run asks: its own pairs only, the same words
            assert duplicate_sources(mirror.engine, only=name)[name] == found[name]
        assert duplicate_sources(mirror.engine, only="nobody") == {}
        save_source(mirror.engine, "shangzhan2", {"enabled": False})
        assert set(duplicate_sources(mirror.engine)) == {"xiazhan", "xiazhan2"}
    finally:
        mirror.engine.dispose()


KEY = "1LifecycleRecheck_0123456789abcdefghijklmnop"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("hours, read_again", [(None, True), (0, False)])
def test_a_google_source_is_read_again_when_modified_time_missed_an_edit(
        tmp_path, db_url, sheets_emulator, service_account_file, hours, read_again):
    rows = [["上站街道在职党员报到名册"], ROSTER_HEADERS] + [roster_row(n) for n in range(1, 4)]
    for row in rows[2:]:
        row[ROSTER_HEADERS.index("报到日期")] = "2020-08-10"
    book = sheets_emulator.add_spreadsheet(KEY, "台账", {"报到名册": rows})
    config = write_config(tmp_path / "taizhang.toml", db_url, [{
        "name": "g", "street": "上站街道", "kind": "gsheet", "spreadsheet": KEY,
        "credentials": str(service_account_file), "api_endpoint": sheets_emulator.url}],
        extra="" if hours is None else f"\n[sync]\ngoogle_recheck_hours = {hours}\n")
    mirror = open_mirror(str(config))
    try:
        assert sync_sources(mirror)[0].status == "ok"
        # a value arriving through IMPORTRANGE: the cell changes, Drive's modifiedTime does not
        book.put(book.sheet("报到名册"), 2, ROSTER_HEADERS.index("工作单位"), "阳泉市第二中学")
        assert sync_sources(mirror)[0].status == "unchanged"
        with mirror.engine.begin() as conn:  # a day later
            conn.execute(update(sources).values(read_at=now() - timedelta(hours=25)))
        result = sync_sources(mirror)[0]
        assert (result.status, result.updated) == (("ok", 1) if read_again else ("unchanged", 0))
        if read_again:
            assert sync_sources(mirror)[0].status == "unchanged"  # read_at moved on: trusted for a day again
    finally:
        mirror.engine.dispose()


def test_google_recheck_hours_must_be_a_number_of_hours(tmp_path, db_url):
    from sync.config import ConfigError, load_config
    config = write_config(tmp_path / "taizhang.toml", db_url, [], extra='\n[sync]\ngoogle_recheck_hours = "daily"\n')
    with pytest.raises(ConfigError, match="google_recheck_hours"):
        load_config(str(config))
