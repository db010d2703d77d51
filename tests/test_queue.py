"""The job queue on PostgreSQL (issue 19): real worker processes, SIGKILL mid-sync, queueing locks, channels."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select, text

from jobs.queue import SYNC_TASK, close_deferrers, conninfo, defer_source_syncs, deferrer
from sync.service import open_mirror
from sync.store.models import roster, sync_runs
from sync.store.queue_schema import channel_prefix
from tests.conftest import ROOT, _pg_schema
from tests.registers import roster_row, write_config, write_register

SOURCES = 50
STALL_SECONDS = 4  # a killed worker's jobs go back to the queue after this (production: 60)

# `python -m jobs worker ...` whose nth sync pauses inside its data transaction (after
# apply_plan, before the commit) and says so in a marker file, so the test can kill it there.
PAUSING_WORKER = """
import sys, time, pathlib
import sync.run as run
marker, nth = sys.argv[1], int(sys.argv[2])
original, calls = run.apply_plan, []
def paused(*args, **kwargs):
    out = original(*args, **kwargs)
    calls.append(1)
    if len(calls) == nth:
        pathlib.Path(marker).write_text("paused")
        time.sleep(600)
    return out
run.apply_plan = paused
from jobs.cli import main
main(sys.argv[3:], prog_name="python -m jobs")
"""


@pytest.fixture
def city(tmp_path, pg_url):
    """SOURCES small workbooks declared in one config on one PostgreSQL schema."""
    # each source its own people: a person in two streets would make a sync re-check the other source (issue 13)
    books = [write_register(tmp_path / f"s{n:02d}.xlsx", [roster_row(n * 5 + i) for i in range(1, 6)])
             for n in range(SOURCES)]
    config = write_config(tmp_path / "taizhang.toml", pg_url, [
        {"name": f"s{n:02d}", "street": f"街道{n % 5}", "kind": "excel", "path": str(b)} for n, b in enumerate(books)])
    mirror = open_mirror(str(config))
    yield config, mirror
    close_deferrers()
    mirror.engine.dispose()


def start_worker(config: Path, log: Path, *prefix: str) -> subprocess.Popen:
    env = os.environ.copy() | {"TAIZHANG_QUEUE_STALL_SECONDS": str(STALL_SECONDS)}
    proc = subprocess.Popen([sys.executable, *prefix, "worker", "--config", str(config), "--concurrency", "2"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"))
    wait_for(lambda: "任务队列工作进程已启动" in log.read_text(encoding="utf-8"), 60, proc, log)
    return proc


def wait_for(condition, seconds: float, proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"worker exited: {log.read_text(encoding='utf-8') if log else ''}")
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def runs(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(sync_runs).order_by(sync_runs.c.id)).all()


def unfinished_jobs(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = :t "
                                 "AND status IN ('todo', 'doing')"), {"t": SYNC_TASK}).scalar()


@pytest.mark.timeout(300)
def test_two_workers_fifty_sources_one_killed_mid_sync_each_synced_once_never_twice_at_once(city, tmp_path):
    config, mirror = city
    paused = tmp_path / "paused"
    killed = start_worker(config, tmp_path / "a.log", "-c", PAUSING_WORKER, str(paused), "2")
    survivor = start_worker(config, tmp_path / "b.log", "-m", "jobs")
    fired = subprocess.run([sys.executable, "-m", "jobs", "enqueue", "--config", str(config)], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert fired.returncode == 0 and f"已排队 {SOURCES} 个数据源" in fired.stdout, fired.stderr
    try:
        wait_for(paused.exists, 120, killed, tmp_path / "a.log")
        killed.send_signal(signal.SIGKILL)
        killed.wait(30)
        done = lambda: sum(r.status == "ok" for r in runs(mirror.engine)) >= SOURCES  # noqa: E731
        wait_for(lambda: done() and unfinished_jobs(mirror.engine) == 0, 180, survivor, tmp_path / "b.log")
    finally:
        for proc in (killed, survivor):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
    assert survivor.wait(60) == 0
    log = (tmp_path / "b.log").read_text(encoding="utf-8")
    assert "Traceback" not in log and "重新排队" in log  # the survivor took the dead worker's job back

    by_source: dict[str, list] = {}
    for run in runs(mirror.engine):
        by_source.setdefault(run.source, []).append(run)
    assert len(by_source) == SOURCES
    interrupted = []
    for source, history in by_source.items():
        assert [r.status for r in history].count("ok") == 1, (source, history)  # synced exactly once
        for before, after in zip(history, history[1:]):  # and never two runs of it at once
            assert before.finished_at is not None and before.finished_at <= after.started_at, (source, history)
        interrupted += [r for r in history if r.status == "failed"]
    assert interrupted and all(r.pid == killed.pid and "意外中断" in r.message for r in interrupted)
    assert {r.pid for r in runs(mirror.engine) if r.status == "ok"} <= {killed.pid, survivor.pid}
    with mirror.engine.connect() as conn:
        per_source = dict(conn.execute(select(roster.c.source, func.count()).group_by(roster.c.source)).all())
    assert per_source == {f"s{n:02d}": 5 for n in range(SOURCES)}  # the killed transaction left nothing half-done


def test_a_source_is_queued_once_however_often_it_is_deferred(city):
    _config, mirror = city
    assert defer_source_syncs(mirror.engine, ["s01", "s02"]) == (["s01", "s02"], [])
    assert defer_source_syncs(mirror.engine, ["s01"]) == ([], ["s01"])
    queued, waiting = defer_source_syncs(mirror.engine)
    assert (sorted(queued), waiting) == ([f"s{n:02d}" for n in range(SOURCES) if n not in (1, 2)], ["s01", "s02"])
    jobs = deferrer(mirror.engine).job_manager.list_jobs(task=SYNC_TASK)
    assert sorted(j.task_kwargs["source"] for j in jobs) == [f"s{n:02d}" for n in range(SOURCES)]
    assert {j.queueing_lock for j in jobs} == {j.lock for j in jobs} == {f"sync:s{n:02d}" for n in range(SOURCES)}
    assert {j.queue for j in jobs} == {"files"}


def test_the_enqueue_command_refuses_sqlite_in_one_chinese_line(tmp_path):
    book = write_register(tmp_path / "a.xlsx", [roster_row(1)])
    config = write_config(tmp_path / "taizhang.toml", f"sqlite:///{tmp_path / 'm.db'}",
                          [{"name": "a", "street": "上站街道", "kind": "excel", "path": str(book)}])
    out = subprocess.run([sys.executable, "-m", "jobs", "enqueue", "--config", str(config)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "只在 PostgreSQL 上使用" in out.stderr and "Traceback" not in out.stderr


def test_notifications_stay_in_their_own_schema(city, tmp_path):
    # Regression: procrastinate notifies database-wide channels, so a worker of one schema
    # was woken by (and could be asked to abort) the jobs of another schema's queue.
    _config, mirror = city
    schemas = _pg_schema()
    other_url = next(schemas)
    book = write_register(tmp_path / "other.xlsx", [roster_row(1)])
    other = open_mirror(str(write_config(tmp_path / "other.toml", other_url, [
        {"name": "s03", "street": "别的街道", "kind": "excel", "path": str(book)}])))
    try:
        with psycopg.connect(conninfo(mirror.engine), autocommit=True) as conn:
            schema = conn.execute("SELECT current_schema()").fetchone()[0]
            mine = f"{channel_prefix(schema)}procrastinate_any_queue_v1"
            conn.execute(f'LISTEN "{mine}"')
            conn.execute('LISTEN "procrastinate_any_queue_v1"')  # procrastinate's own name: nobody's now
            defer_source_syncs(other.engine, ["s03"])
            assert list(conn.notifies(timeout=1, stop_after=1)) == []
            defer_source_syncs(mirror.engine, ["s03"])
            assert [n.channel for n in conn.notifies(timeout=5, stop_after=1)] == [mine]
    finally:
        close_deferrers()
        other.engine.dispose()
        next(schemas, None)


@pytest.mark.timeout(120)
def test_the_report_waits_for_the_syncs_queued_before_it(tmp_path, pg_url, monkeypatch, caplog):
    from jobs import queue, queue_tasks
    from jobs.queue_worker import QueueThread, QueueWorker
    from sync.store.models import deliveries
    from tests.jobs_support import make_street, smtp_server

    monkeypatch.setattr(queue, "REPORT_DELAY_SECONDS", 0)
    monkeypatch.setattr(queue_tasks, "REPORT_RECHECK_SECONDS", 1)
    caplog.set_level("INFO", "taizhang.jobs")
    street = make_street(tmp_path, pg_url)
    with smtp_server() as inbox:
        street.configure(smtp={"host": "127.0.0.1", "port": inbox.port, "tls": "none",
                               "sender": "台账通 <taizhang@city.example.org>"})
        mirror = street.mirror()
        assert defer_source_syncs(mirror.engine) == (["shangzhan"], [])
        queue.defer_reports(mirror.engine)
        reports_only = QueueThread(QueueWorker(mirror, ["reports"], 1))  # nobody runs the sync yet
        reports_only.start()
        try:
            wait_for(lambda: "校验报告等待 1 个同步任务完成" in caplog.text, 60)
            assert inbox.envelopes == [] and runs(mirror.engine) == []
            files = QueueThread(QueueWorker(mirror, ["files"], 1))
            files.start()
            wait_for(lambda: len(inbox.envelopes) == 2, 60)  # the street's report and the digest
            files.stop()
        finally:
            reports_only.stop()
            close_deferrers()
        with mirror.engine.connect() as conn:
            sent = conn.execute(select(func.min(deliveries.c.created_at))).scalar()
        [synced] = runs(mirror.engine)
        assert synced.status == "ok" and synced.finished_at <= sent
    street.close()


@pytest.mark.timeout(120)
def test_the_apps_embedded_scheduler_works_the_queue_too(tmp_path, pg_url):
    from jobs import tasks
    from jobs.embedded import start_embedded_scheduler, stop_embedded_scheduler
    from tests.jobs_support import make_street

    street = make_street(tmp_path, pg_url)
    engine = street.mirror().engine
    scheduler = start_embedded_scheduler(str(street.config))
    try:
        defer_source_syncs(engine)
        wait_for(lambda: [r.status for r in runs(engine)] == ["ok"], 60)
    finally:
        stop_embedded_scheduler(scheduler)
        tasks.mirror_for.cache_clear()
        close_deferrers()
    assert not scheduler.running and unfinished_jobs(engine) == 0
    street.close()


def test_a_dead_workers_job_is_retried_unless_its_source_is_already_queued_again(city):
    # Without the second branch the retry breaks the queueing lock's unique index, and the dead
    # job stays "doing" for ever, holding the lock sync:<source>: that source would never sync again.
    import asyncio
    from types import SimpleNamespace

    from jobs.queue_tasks import retry_stalled_jobs, worker_app

    _config, mirror = city
    engine = mirror.engine
    defer_source_syncs(engine, ["s01", "s02"])
    with engine.begin() as conn:
        dead = conn.execute(text("SELECT worker_id FROM procrastinate_register_worker_v1()")).scalar()
        conn.execute(text("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'"))
        conn.execute(text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w"), {"w": dead})
    defer_source_syncs(engine, ["s01"])  # s01 changed again while its job was (seemingly) running

    async def sweep():
        app = worker_app(engine, pool_size=2)
        async with app.open_async():
            await retry_stalled_jobs(SimpleNamespace(app=app), 0)

    asyncio.run(sweep())
    with engine.connect() as conn:
        jobs = conn.execute(text("SELECT args->>'source', status, attempts FROM procrastinate_jobs ORDER BY id")).all()
    assert [tuple(j) for j in jobs] == [("s01", "failed", 1), ("s02", "todo", 1), ("s01", "todo", 0)]
