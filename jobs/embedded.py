"""The scheduler inside the app process, so ``streamlit run app.py`` alone also runs the schedules.

The app calls ``start_embedded_scheduler`` once per process (from ``st.cache_resource``,
never from page code). It runs the worker's jobs under the same leader lease, so any number
of app processes plus a separate worker still run each job once.
"""

from __future__ import annotations

import atexit
import logging

from apscheduler.schedulers.background import BackgroundScheduler

from jobs.worker import build_scheduler, stop_scheduler
from sync.settings import setting

log = logging.getLogger("taizhang.jobs")


def embedded_enabled() -> bool:
    return setting("TAIZHANG_EMBEDDED_WORKER") != "0"


def start_embedded_scheduler(config_file: str | None = None, db_url: str | None = None) -> BackgroundScheduler | None:
    """Start the schedules in a background thread; None when TAIZHANG_EMBEDDED_WORKER=0."""
    if not embedded_enabled():
        log.info("TAIZHANG_EMBEDDED_WORKER=0：应用进程内不运行定时任务")
        return None
    scheduler, _holder = build_scheduler(BackgroundScheduler, config_file, db_url)
    scheduler.start()
    atexit.register(stop_embedded_scheduler, scheduler)
    return scheduler


def stop_embedded_scheduler(scheduler: BackgroundScheduler | None) -> None:
    """Stop it and give the lease up (suits ``st.cache_resource(on_release=...)``); idempotent."""
    if scheduler is not None and scheduler.running:
        stop_scheduler(scheduler)
