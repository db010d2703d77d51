"""Building a Taizhang scheduler and running it as the worker process (``python -m jobs``)."""

from __future__ import annotations

import logging
import signal
from collections.abc import Sequence
from typing import TypeVar

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from jobs import tasks
from jobs.leader import new_holder, release
from jobs.queue import close_deferrers, queue_enabled
from jobs.schedule import install_jobs
from sync.terms import TIMEZONE

log = logging.getLogger("taizhang.jobs")
SchedulerT = TypeVar("SchedulerT", bound=BaseScheduler)
SYNC_THREADS = 4  # a few sources at once; more only queue on the database and two cores


def build_scheduler(cls: type[SchedulerT], config_file: str | None = None,
                    db_url: str | None = None) -> tuple[SchedulerT, str]:
    """A scheduler of ``cls`` with every job registered, and the holder name it leads as."""
    mirror = tasks.mirror_for(config_file, db_url)
    # the heartbeat has a thread of its own: long syncs must not let the lease lapse
    scheduler = cls(timezone=TIMEZONE, executors={"default": ThreadPoolExecutor(SYNC_THREADS),
                                                  "leader": ThreadPoolExecutor(1)})
    holder = new_holder()
    install_jobs(scheduler, mirror, config_file, db_url, holder)
    tasks.SCHEDULERS[holder] = tasks.Registered(scheduler, mirror)
    return scheduler, holder


def stop_scheduler(scheduler: BaseScheduler) -> None:
    """Stop taking jobs, let running ones finish, give the lease up."""
    if scheduler.state != STATE_STOPPED:
        scheduler.shutdown(wait=False)  # wait=True could deadlock with a job that edits the timetable
    if not tasks.wait_idle(tasks.SHUTDOWN_WAIT_SECONDS):
        log.warning("仍有任务未完成，已停止等待")
    for holder, entry in list(tasks.SCHEDULERS.items()):
        if entry.scheduler is scheduler:
            del tasks.SCHEDULERS[holder]
            release(entry.mirror.engine, holder)
    if not tasks.SCHEDULERS:
        close_deferrers()


def run_worker(config_file: str | None = None, db_url: str | None = None, queues: Sequence[str] = (),
               concurrency: int | None = None) -> None:
    """Run the schedules in the foreground until SIGTERM or SIGINT; then stop cleanly.

    On PostgreSQL (the job queue) the timetable runs in a background thread and only queues
    syncs; this process also works the queue (``queues``, ``concurrency`` jobs at once).
    """
    if queue_enabled(tasks.mirror_for(config_file, db_url).engine):
        return _run_queue_worker(config_file, db_url, queues, concurrency)
    if queues or concurrency:
        log.info("--queue/--concurrency 只在 PostgreSQL 任务队列模式下生效，SQLite 上按原方式运行")
    scheduler, _holder = build_scheduler(BlockingScheduler, config_file, db_url)

    def on_signal(signum: int, _frame) -> None:
        if scheduler.state != STATE_STOPPED:
            log.info("收到 %s：不再开始新任务，等待正在运行的任务完成", signal.Signals(signum).name)
            scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("定时任务进程已启动：%s", "、".join(f"{j.id}（{j.trigger}）" for j in scheduler.get_jobs()))
    scheduler.start()
    stop_scheduler(scheduler)
    log.info("定时任务进程已停止")


def _run_queue_worker(config_file: str | None, db_url: str | None, queues: Sequence[str],
                      concurrency: int | None) -> None:
    from jobs.queue_worker import DEFAULT_CONCURRENCY, QueueWorker

    scheduler, _holder = build_scheduler(BackgroundScheduler, config_file, db_url)
    scheduler.start()
    log.info("定时任务进程已启动（任务队列模式）：%s", "、".join(f"{j.id}（{j.trigger}）" for j in scheduler.get_jobs()))
    try:
        QueueWorker(tasks.mirror_for(config_file, db_url), queues, concurrency or DEFAULT_CONCURRENCY).run()
    finally:
        stop_scheduler(scheduler)
    log.info("定时任务进程已停止")
