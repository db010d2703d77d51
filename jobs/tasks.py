"""The functions scheduled jobs point at (``jobs.tasks:run_sync`` …), all with plain arguments.

Each checks the leader lease as it fires: a scheduler that does not hold it returns at once,
so however many schedulers run, each job runs once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler

from jobs.leader import try_lead
from jobs.queue import defer_reports, defer_scheduled_sync, queue_enabled
from sync.registry import list_sources
from sync.service import Mirror, UnknownSource, open_mirror, sync_sources

log = logging.getLogger("taizhang.jobs")
SHUTDOWN_WAIT_SECONDS = 600  # a sync or a mail run in flight is allowed this long to finish



@dataclass(frozen=True)
class Registered:
    scheduler: BaseScheduler
    mirror: Mirror


SCHEDULERS: dict[str, Registered] = {}  # holder -> its scheduler, for the reload job and shutdown
_leading: dict[str, bool] = {}
_idle = threading.Condition()
_running = 0


@lru_cache(maxsize=8)
def mirror_for(config_file: str | None, db_url: str | None) -> Mirror:
    """One opened mirror per configuration and process (opening upgrades and provisions)."""
    return open_mirror(config_file, db_url)


@contextmanager
def _in_flight() -> Iterator[None]:
    global _running
    with _idle:
        _running += 1
    try:
        yield
    finally:
        with _idle:
            _running -= 1
            _idle.notify_all()


def wait_idle(timeout: float | None = None) -> bool:
    """Wait until no job of this process is running (a clean shutdown); False on timeout."""
    with _idle:
        return _idle.wait_for(lambda: _running == 0, timeout)


def _lead(mirror: Mirror, holder: str) -> bool:
    entry = SCHEDULERS.get(holder)
    if entry is None or entry.scheduler.state == STATE_STOPPED:
        return False  # stopping: the lease is about to be given up, not renewed
    leading = try_lead(mirror.engine, holder)
    if leading != _leading.get(holder):
        log.info("%s调度主节点（%s）", "成为" if leading else "不是", holder)
        _leading[holder] = leading
    return leading


def heartbeat(config_file: str | None, db_url: str | None, holder: str) -> None:
    with _in_flight():
        _lead(mirror_for(config_file, db_url), holder)


def run_sync(source: str, config_file: str | None, db_url: str | None, holder: str) -> None:
    mirror = mirror_for(config_file, db_url)
    with _in_flight():
        if not _lead(mirror, holder):
            return
        if queue_enabled(mirror.engine):  # PostgreSQL: a worker of the job queue runs it
            return defer_scheduled_sync(mirror.engine, source)
        try:
            result = sync_sources(mirror, [source], trigger="schedule")[0]
        except UnknownSource:
            log.warning("数据源“%s”已不存在，跳过（计划将在下次刷新时移除）", source)
            return
    log.info("定时同步 %s：%s %s", source, result.status, result.message)


def send_and_log(mirror: Mirror) -> None:
    from jobs.mail import MailConfigError
    from jobs.reports import send_reports  # mail and templates load only where reports are sent

    try:
        outcome = send_reports(mirror)
    except MailConfigError as exc:
        log.error("校验报告未发送：%s", exc)
        return
    log.info("校验报告：%s", outcome.summary())


def run_reports(config_file: str | None, db_url: str | None, holder: str) -> None:
    mirror = mirror_for(config_file, db_url)
    with _in_flight():
        if not _lead(mirror, holder):
            return
        if queue_enabled(mirror.engine):  # PostgreSQL: sent by a worker once this round's syncs are done
            return defer_reports(mirror.engine)
        send_and_log(mirror)


def reload_schedules(config_file: str | None, db_url: str | None, holder: str) -> None:
    from jobs.schedule import refresh_sync_jobs

    entry = SCHEDULERS.get(holder)
    if entry is None or entry.scheduler.state == STATE_STOPPED:
        return
    sources = list_sources(entry.mirror.engine, enabled_only=True)
    refresh_sync_jobs(entry.scheduler, sources, config_file, db_url, holder)
