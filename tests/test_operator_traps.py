"""Issue 14, point 6: what a careless operator ran into. (Concurrent first starts racing on the
migrations: tests/test_migrations.py.)"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import create_engine, select
from streamlit.testing.v1 import AppTest

from jobs.mail import OutboxTransport
from jobs.schedule import REPORT_ID
from jobs.worker import build_scheduler, stop_scheduler
from sync.source_setup import SourceInvalid, check_values
from sync.sources.kinds.upload import store_version, version_file
from sync.sources.limits import MAX_TITLE
from sync.store.db import make_engine
from sync.store.models import DATA_TABLES, issues, sheets, sources, sync_runs, users
from sync.store.users import UserError, create_user
from tests.app_world import APP, ADMIN_PASSWORD, apply_env, build_world, forget_app_state, sign_in
from tests.conftest import ROOT
from tests.registers import roster_row, write_config, write_register


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sync", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=180, env=os.environ.copy())


def test_one_title_limit_for_every_sheet_column():
    columns = [sheets.c.sheet, issues.c.sheet, *(t.c.sheet for t in DATA_TABLES.values())]
    assert {c.type.length for c in columns} == {MAX_TITLE}


def test_a_long_source_name_is_refused_alike_on_both_databases(tmp_path, db_url):
    # Regression (issue 14): a name over 100 characters stopped the CLI on PostgreSQL only.
    book = write_register(tmp_path / "a.xlsx", [roster_row(1)])
    config = write_config(tmp_path / "taizhang.toml", db_url,
                          [{"name": "n" * 101, "street": "上站街道", "kind": "excel", "path": str(book)}])
    done = cli("run", "--config", str(config))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "名称过长（101 个字符），不能超过 100 个字符" in done.stderr


def test_a_long_worksheet_title_fails_its_source_alike_on_both_databases(tmp_path, db_url):
    # Regression (issue 14): a title over 200 characters failed every sync on PostgreSQL, not on SQLite.
    long = tmp_path / f"{'t' * (MAX_TITLE + 1)}.csv"
    long.write_text("姓名,身份证号\n", encoding="utf-8")
    book = write_register(tmp_path / "ok.xlsx", [roster_row(1)])
    config = write_config(tmp_path / "taizhang.toml", db_url, [
        {"name": "long", "street": "上站街道", "kind": "csv", "path": str(long)},
        {"name": "ok", "street": "下站街道", "kind": "excel", "path": str(book)}])
    done = cli("run", "--config", str(config))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    engine = create_engine(db_url)
    with engine.connect() as conn:
        runs = {r.source: r for r in conn.execute(select(sync_runs))}
    engine.dispose()
    assert (runs["long"].status, runs["ok"].status) == ("failed", "ok")
    assert f"工作表名称过长（{MAX_TITLE + 1} 个字符），不能超过 {MAX_TITLE} 个字符" in runs["long"].message


@pytest.mark.parametrize("field, value, words", [
    ("name", "n" * 101, "名称过长"), ("street", "街" * 101, "街道过长"), ("district", "区" * 101, "区县过长"),
    ("schedule", "0 8 * * *" + " " * 100, "定时计划过长"),
])
def test_the_source_form_checks_every_length(field, value, words):
    values = {"street": "上站街道", "kind": "excel", "path": "a.xlsx", "schedule": None, field: value}
    with pytest.raises(SourceInvalid, match=words):
        check_values(values.pop("name", "shangzhan"), values)


def test_user_names_are_checked_where_they_enter(db_url):
    from sync.service import open_mirror

    engine = open_mirror(db_url=db_url).engine
    with pytest.raises(UserError, match="用户名过长"):
        create_user(engine, "u" * (users.c.username.type.length + 1), "a-long-password", "supervisor")
    with pytest.raises(UserError, match="姓名过长"):
        create_user(engine, "liming", "a-long-password", "supervisor", display_name="名" * 101)
    assert sources.c.name.type.length == 100
    engine.dispose()


@pytest.fixture
def bad_report_schedule(tmp_path, monkeypatch):
    world = build_world(tmp_path / "city")
    with world.config.open("a", encoding="utf-8") as f:
        f.write('\n[reports]\nschedule = "every day at 8"\n')
    apply_env(monkeypatch, world)
    monkeypatch.setenv("TAIZHANG_EMBEDDED_WORKER", "1")  # the app builds its scheduler, as it does by default
    yield world
    forget_app_state()


def test_a_bad_report_schedule_does_not_break_the_app(bad_report_schedule):
    # Regression (issue 14): every page, sign-in included, showed the ScheduleInvalid exception.
    at = AppTest.from_file(str(APP), default_timeout=90).run()
    assert not at.exception, at.exception
    assert [b.label for b in at.button] == ["登录"]
    at = sign_in("admin", ADMIN_PASSWORD)
    assert at.metric
    at.switch_page("pages/sources.py").run()
    assert not at.exception, at.exception
    assert any(r"\[reports\] schedule 有误" in e.value for e in at.error)  # shown as plain text


def test_a_bad_report_schedule_is_in_the_worker_log_and_syncs_still_run(bad_report_schedule, caplog):
    caplog.set_level(logging.ERROR, logger="taizhang.jobs")
    scheduler, _holder = build_scheduler(BackgroundScheduler, str(bad_report_schedule.config))
    try:
        ids = {job.id for job in scheduler.get_jobs()}
        assert REPORT_ID not in ids and "leader-heartbeat" in ids
        assert any("[reports] schedule 有误" in r.getMessage() for r in caplog.records)
    finally:
        stop_scheduler(scheduler)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_database_uploads_and_outbox_are_readable_only_by_their_owner(tmp_path):
    # Regression (issue 14): they were created 0644 in 0755 folders.
    from sync.settings import data_dir
    from sync.store.db import upgrade

    database = tmp_path / "new" / "taizhang.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    with engine.connect():  # while a connection is open, the -wal and -shm files are there
        created = [database.parent, *database.parent.glob("taizhang.db*")]
        assert {p.name: mode(p) for p in created} == {p.name: 0o700 if p.is_dir() else 0o600 for p in created}
    engine.dispose()
    assert {p.name for p in created} >= {"new", "taizhang.db", "taizhang.db-wal", "taizhang.db-shm"}
    upload = store_version(version_file("shangzhan", "名册.xlsx", b"PK\x03\x04"), b"PK\x03\x04")
    assert (mode(upload), mode(upload.parent)) == (0o600, 0o700)
    OutboxTransport().send(b"Subject: x\r\n\r\nbody", "digest")
    [message] = (data_dir() / "outbox").iterdir()
    assert (mode(message), mode(message.parent)) == (0o600, 0o700)
