"""Syncs as jobs of procrastinate, a PostgreSQL task queue, on the mirror's own database.

The APScheduler timetable stays the one place schedules live and still has one leader; on
PostgreSQL the leader only *defers* a "sync source X" job here, and ``python -m jobs worker``
processes on any number of machines run them (``FOR UPDATE SKIP LOCKED``, woken by
LISTEN/NOTIFY). Per source, the job carries

- ``queueing_lock = sync:X``: a source waits in the queue at most once (a second defer while
  one is waiting is a no-op), and
- ``lock = sync:X``: two jobs of one source never run at once (a defer while one runs waits),

on top of the source's own advisory lock and transaction (``sync.run``). A worker killed
mid-job stops sending heartbeats; after ``TAIZHANG_QUEUE_STALL_SECONDS`` the periodic
``retry_stalled_jobs`` task, run by any live worker, puts its jobs back in the queue. The
report job waits until the syncs queued before it have finished.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from sync.registry import get_source, list_sources
from sync.service import UnknownSource
from sync.settings import setting

if TYPE_CHECKING:  # procrastinate (a fifth of a second to import) loads only where the queue is used
    from procrastinate import App

log = logging.getLogger("taizhang.jobs")

FILES, GOOGLE, REPORTS, MAINTENANCE = "files", "google", "reports", "maintenance"
QUEUES = (FILES, GOOGLE, REPORTS)  # what ``--queue`` may name; every worker also serves MAINTENANCE
SYNC_TASK, REPORT_TASK, STALLED_TASK = "taizhang:sync_source", "taizhang:send_reports", "taizhang:retry_stalled_jobs"
REPORT_DELAY_SECONDS = 30  # syncs fired on the same minute as the report are queued before it looks
REPORT_RECHECK_SECONDS = 60
REPORT_MAX_WAIT_SECONDS = 2 * 60 * 60  # a queue that never drains must not hold the reports forever


class QueueUnavailable(RuntimeError):
    """The job queue was asked for on a database that has none (SQLite); the message is Chinese."""


def queue_enabled(engine: Engine) -> bool:
    """Whether syncs go through the job queue: PostgreSQL, unless TAIZHANG_JOB_QUEUE=0."""
    return engine.dialect.name == "postgresql" and setting("TAIZHANG_JOB_QUEUE") != "0"


def stall_seconds() -> float:
    return max(float(setting("TAIZHANG_QUEUE_STALL_SECONDS") or 60), 2.0)


def queue_of(kind: str | None) -> str:
    """Google sources and files may be served by different machines (files must be readable there)."""
    return GOOGLE if kind == "gsheet" else FILES


def sync_lock(source: str) -> str:
    return f"sync:{source}"


def conninfo(engine: Engine) -> str:
    """The engine's URL as libpq takes it (its ``options=-csearch_path=…`` included)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


# --- deferring (the leader, the CLI) -------------------------------------------------------

_DEFERRERS: dict[str, App] = {}
_deferrers_lock = threading.Lock()


def deferrer(engine: Engine) -> App:
    """A small synchronous App per database, opened once and kept by the process that defers."""
    if not queue_enabled(engine):
        raise QueueUnavailable("任务队列只在 PostgreSQL 上使用（且未设置 TAIZHANG_JOB_QUEUE=0）；"
                               "SQLite 上请用 python -m sync run 或 python -m jobs worker")
    from procrastinate import App, SyncPsycopgConnector

    url = conninfo(engine)
    with _deferrers_lock:
        if url not in _DEFERRERS:
            _DEFERRERS[url] = App(connector=SyncPsycopgConnector(conninfo=url, min_size=1, max_size=2)).open()
        return _DEFERRERS[url]


def close_deferrers() -> None:
    with _deferrers_lock:
        for app in _DEFERRERS.values():
            app.close()
        _DEFERRERS.clear()


def defer_sync(app: App, source: str, kind: str | None) -> int | None:
    """Queue one sync of ``source``; None when one is already waiting (it will do)."""
    from procrastinate.exceptions import AlreadyEnqueued

    try:
        return app.configure_task(SYNC_TASK, queue=queue_of(kind), lock=sync_lock(source),
                                  queueing_lock=sync_lock(source)).defer(source=source)
    except AlreadyEnqueued:
        return None


def defer_source_syncs(engine: Engine, names: list[str] | None = None) -> tuple[list[str], list[str]]:
    """Queue a sync of the named sources (default: every enabled one): (queued, already waiting)."""
    app = deferrer(engine)
    found = list_sources(engine, names, enabled_only=not names)
    missing = sorted(set(names or []) - {s.name for s in found})
    if missing:
        raise UnknownSource(f"没有名为“{'、'.join(missing)}”的数据源")
    queued, waiting = [], []
    for source in found:
        (queued if defer_sync(app, source.name, source.kind) is not None else waiting).append(source.name)
    return queued, waiting


def defer_scheduled_sync(engine: Engine, name: str) -> None:
    """What the leader's timetable does on PostgreSQL when a source's schedule fires."""
    source = get_source(engine, name)
    if source is None:
        log.warning("数据源“%s”已不存在，跳过（计划将在下次刷新时移除）", name)
        return
    job = defer_sync(deferrer(engine), name, source.kind)
    log.info("定时同步 %s：%s", name, f"已排队（任务 {job}）" if job else "已在队列中，不重复排队")


def defer_reports(engine: Engine) -> None:
    """What the leader does when the report schedule fires: a report job that waits for the syncs."""
    from procrastinate.exceptions import AlreadyEnqueued

    try:
        job = deferrer(engine).configure_task(REPORT_TASK, queue=REPORTS, queueing_lock="reports",
                                              schedule_in={"seconds": REPORT_DELAY_SECONDS}).defer()
    except AlreadyEnqueued:
        log.info("校验报告任务已在队列中，不重复排队")
        return
    log.info("校验报告已排队（任务 %s），等本轮同步完成后发送", job)
