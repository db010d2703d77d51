"""The scheduler (issue 5): jobs from config, crontab meaning, the leader lease, coalescing, SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select, text

from jobs import tasks
from jobs.embedded import start_embedded_scheduler, stop_embedded_scheduler
from jobs.leader import current_holder, release, try_lead
from sync.terms import TIMEZONE
from jobs.schedule import (HEARTBEAT_ID, REPORT_GRACE_SECONDS, SYNC_GRACE_SECONDS, ScheduleInvalid, parse_schedule,
                           sync_job_id)
from jobs.worker import build_scheduler, stop_scheduler
from sync.store.models import leases, sync_runs
from tests.conftest import ROOT
from tests.jobs_support import make_street

MONDAY = datetime(2026, 11, 23, 0, 0, tzinfo=TIMEZONE)


@pytest.fixture
def street(tmp_path):
    street = make_street(tmp_path, f"sqlite:///{tmp_path / 'mirror.db'}", schedule="*/10 * * * 1-5")
    yield street
    street.close()


@pytest.fixture
def schedulers():
    made = []

    def make(street):
        scheduler, holder = build_scheduler(BackgroundScheduler, str(street.config))
        made.append(scheduler)
        return scheduler, holder

    yield make
    for scheduler in made:
        stop_scheduler(scheduler)
    tasks.mirror_for.cache_clear()


def weekdays(expr: str) -> list[str]:
    trigger, moment, days = parse_schedule(expr), MONDAY, []
    for _ in range(7):
        moment = trigger.get_next_fire_time(None, moment + timedelta(minutes=1))
        days.append(f"{moment:%a}")
    return sorted(set(days), key=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].index)


@pytest.mark.parametrize(("expr", "days"), [
    ("0 8 * * *", ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
    ("0 8 * * 1", ["Mon"]),  # APScheduler 3's own from_crontab would say Tuesday
    ("0 8 * * 0", ["Sun"]),
    ("0 8 * * 7", ["Sun"]),
    ("0 8 * * 1-5", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
    ("0 8 * * 5-7", ["Fri", "Sat", "Sun"]),
    ("0 8 * * */2", ["Tue", "Thu", "Sat", "Sun"]),
    ("0 8 * * sun,wed", ["Wed", "Sun"]),
])
def test_crontab_weekdays_mean_what_cron_means(expr, days):
    assert weekdays(expr) == days


@pytest.mark.parametrize("expr", ["0 8 * *", "61 8 * * *", "0 8 * * 8", "0 8 * * 5-2", "每天八点", ""])
def test_a_schedule_that_is_not_crontab_is_refused_in_chinese(expr):
    with pytest.raises(ScheduleInvalid, match="格式不正确"):
        parse_schedule(expr)


def test_jobs_are_registered_from_config(street, schedulers):
    street.configure(reports={"schedule": "30 7 * * 1-5", "supervisors": ["boss@city.example.org"]})
    scheduler, holder = schedulers(street)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"leader-heartbeat", "reload-schedules", "report", "sync:shangzhan"}
    sync = jobs["sync:shangzhan"]
    assert sync.func_ref == "jobs.tasks:run_sync" and sync.args == ("shangzhan", str(street.config), None, holder)
    assert isinstance(sync.trigger, CronTrigger) and str(sync.trigger.timezone) == "Asia/Shanghai"
    assert str(sync.trigger) == "cron[month='*', day='*', day_of_week='mon,tue,wed,thu,fri', hour='*', minute='*/10']"
    assert (sync.coalesce, sync.max_instances, sync.misfire_grace_time) == (True, 1, SYNC_GRACE_SECONDS)
    report = jobs["report"]
    assert report.func_ref == "jobs.tasks:run_reports" and report.misfire_grace_time == REPORT_GRACE_SECONDS
    assert "hour='7', minute='30'" in str(report.trigger) and "mon,tue,wed,thu,fri" in str(report.trigger)


def test_a_bad_or_missing_schedule_registers_no_sync_job(tmp_path, schedulers):
    street = make_street(tmp_path, f"sqlite:///{tmp_path / 'mirror.db'}", schedule="每天八点")
    scheduler, _ = schedulers(street)
    assert sync_job_id("shangzhan") not in {job.id for job in scheduler.get_jobs()}
    street.close()


def test_the_lease_has_one_holder_until_released_or_expired(db_url, tmp_path):
    street = make_street(tmp_path, db_url)
    engine = street.mirror().engine
    assert try_lead(engine, "a") and not try_lead(engine, "b") and try_lead(engine, "a")
    assert current_holder(engine) == "a"
    release(engine, "a")
    assert try_lead(engine, "b") and not try_lead(engine, "a")
    assert try_lead(engine, "b", seconds=-1)  # b stops renewing: its lease is already over
    assert try_lead(engine, "a") and current_holder(engine) == "a"
    street.close()


def executed(scheduler, job_id: str) -> threading.Event:
    done = threading.Event()
    scheduler.add_listener(lambda e: e.job_id == job_id and done.set(), EVENT_JOB_EXECUTED)
    return done


def runs(street) -> int:
    with street.mirror().engine.connect() as conn:
        return len(conn.execute(select(sync_runs.c.id).where(sync_runs.c.trigger == "schedule")).all())


def test_two_schedulers_under_one_lease_run_each_job_once(tmp_path, db_url, schedulers):
    street = make_street(tmp_path, db_url, schedule="*/10 * * * 1-5")
    first, first_holder = schedulers(street)
    second, _ = schedulers(street)
    job = sync_job_id("shangzhan")
    fired = [executed(s, job) for s in (first, second)]
    leading = executed(first, HEARTBEAT_ID)
    first.start()
    assert leading.wait(10)  # its first heartbeat took the lease
    second.start()
    assert current_holder(street.mirror().engine) == first_holder  # its heartbeat ran first
    soon = datetime.now(TIMEZONE) + timedelta(seconds=1)
    for s, at in ((first, soon), (second, soon + timedelta(seconds=1.5))):
        s.modify_job(job, trigger=DateTrigger(at, timezone=TIMEZONE), next_run_time=at)
    assert all(f.wait(10) for f in fired)  # both fired, the second after the first had finished
    engine = street.mirror().engine
    if engine.dialect.name == "postgresql":  # the leader only queues it for a worker (jobs.queue): once
        with engine.connect() as conn:
            queued = conn.execute(text("SELECT args->>'source' FROM procrastinate_jobs")).scalars().all()
        assert (queued, runs(street)) == (["shangzhan"], 0)
    else:
        assert runs(street) == 1
    street.close()


def test_missed_runs_are_coalesced_into_one_after_a_pause(street, schedulers):
    scheduler, _ = schedulers(street)
    job = sync_job_id("shangzhan")
    fired, leading = executed(scheduler, job), executed(scheduler, HEARTBEAT_ID)
    scheduler.start()
    assert leading.wait(10)  # the lease is held: a sync that fires will run
    scheduler.pause()
    # three run times, all already past while the scheduler is paused (within the misfire grace)
    start = datetime.now(TIMEZONE) - timedelta(seconds=4)
    trigger = IntervalTrigger(seconds=1, start_date=start, end_date=start + timedelta(seconds=3), timezone=TIMEZONE)
    scheduler.modify_job(job, trigger=trigger, next_run_time=start + timedelta(seconds=1))
    scheduler.resume()
    assert fired.wait(10)
    stop_scheduler(scheduler)  # waits for running jobs: whatever else was due has run by now
    assert runs(street) == 1


def test_embedded_scheduler_runs_the_same_jobs_and_can_be_turned_off(street, monkeypatch):
    scheduler = start_embedded_scheduler(str(street.config))
    try:
        assert scheduler.running and sync_job_id("shangzhan") in {j.id for j in scheduler.get_jobs()}
    finally:
        stop_embedded_scheduler(scheduler)
        tasks.mirror_for.cache_clear()
    assert not scheduler.running and current_holder(street.mirror().engine) is None
    monkeypatch.setenv("TAIZHANG_EMBEDDED_WORKER", "0")
    assert start_embedded_scheduler(str(street.config)) is None


def test_sigterm_stops_the_worker_cleanly_and_frees_the_lease(street):
    worker = subprocess.Popen([sys.executable, "-m", "jobs", "--config", str(street.config)], cwd=ROOT,
                              env=os.environ.copy(), stderr=subprocess.PIPE, text=True)
    lines = []
    for line in worker.stderr:
        lines.append(line)
        if "成为调度主节点" in line:
            break
    assert any("sync:shangzhan" in line for line in lines), lines
    worker.send_signal(signal.SIGTERM)
    rest = worker.stderr.read()
    assert worker.wait(30) == 0, rest
    assert "收到 SIGTERM" in rest and "定时任务进程已停止" in rest and "Traceback" not in rest
    with street.mirror().engine.connect() as conn:
        assert conn.execute(select(leases)).all() == []
