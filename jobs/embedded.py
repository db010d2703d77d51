"""The scheduler inside the app process, so ``streamlit run app.py`` alone also runs the schedules.

The app calls ``start_embedded_scheduler`` once per process (from ``st.cache_resource``,
never from page code). It runs the worker's jobs under the same leader lease, so any number
of app processes plus a separate worker still run each job once. On PostgreSQL it also runs
a queue worker thread (one job at a time), so queued syncs run even without ``python -m jobs worker``.
"""

from __future__ import annotations

import atexit
import logging

from apscheduler.schedulers.background import BackgroundScheduler

from jobs import tasks
from jobs.queue import queue_enabled
from jobs.worker import build_scheduler, stop_scheduler
from sync.settings import setting

log = logging.getLogger("taizhang.jobs")
EMBEDDED_CONCURRENCY = 1  # the app's own CPU serves pages first; more workers: python -m jobs worker
_QUEUE_THREADS: dict[int, object] = {}  # id(scheduler) -> its queue worker thread


def embedded_enabled() -> bool:
    return setting("TAIZHANG_EMBEDDED_WORKER") != "0"


def start_embedded_scheduler(config_file: str | None = None, db_url: str | None = None) -> BackgroundScheduler | None:
    """Start the schedules in a background thread; None when TAIZHANG_EMBEDDED_WORKER=0."""
    if not embedded_enabled():
        log.info("TAIZHANG_EMBEDDED_WORKER=0：应用进程内不运行定时任务")
        return None
    scheduler, _holder = build_scheduler(BackgroundScheduler, config_file, db_url)
    scheduler.start()
    mirror = tasks.mirror_for(config_file, db_url)
    if queue_enabled(mirror.engine):  # PostgreSQL: the app works the job queue too, one command still runs all
        from jobs.queue_worker import QueueThread, QueueWorker
        _QUEUE_THREADS[id(scheduler)] = thread = QueueThread(QueueWorker(mirror, concurrency=EMBEDDED_CONCURRENCY))
        thread.start()
    atexit.register(stop_embedded_scheduler, scheduler)
    return scheduler


def stop_embedded_scheduler(scheduler: BackgroundScheduler | None) -> None:
    """Stop it and give the lease up (suits ``st.cache_resource(on_release=...)``); idempotent."""
    if scheduler is None:
        return
    thread = _QUEUE_THREADS.pop(id(scheduler), None)
    if thread is not None:
        thread.stop()
    if scheduler.running:
        stop_scheduler(scheduler)
