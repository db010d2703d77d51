"""procrastinate's worker for Taizhang: in the foreground of ``python -m jobs worker``, or in a thread of the app.

Either way it serves the queues it is given (default: all) plus ``maintenance``, where the
periodic stalled-job check runs, so any live worker can rescue the jobs of a dead one.
Successful jobs are deleted as they finish: ``sync_runs`` is the history, the queue holds
only what is waiting, running or failed.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Sequence

from jobs import tasks
from jobs.leader import new_holder
from jobs.queue import MAINTENANCE, stall_seconds
from jobs.queue_tasks import worker_app
from sync.service import Mirror

log = logging.getLogger("taizhang.jobs")
DEFAULT_CONCURRENCY = 2  # syncs per worker process at once; processes, not threads, use more cores


class QueueWorker:
    """One procrastinate worker over the mirror's database; ``run`` blocks, ``stop`` may come from any thread."""

    def __init__(self, mirror: Mirror, queues: Sequence[str] = (), concurrency: int = DEFAULT_CONCURRENCY):
        self.mirror, self.queues, self.concurrency = mirror, list(queues), max(concurrency, 1)
        self.name = new_holder()
        self.started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None

    def options(self) -> dict:
        stall = stall_seconds()
        return {"queues": [*self.queues, MAINTENANCE] if self.queues else None, "concurrency": self.concurrency,
                "name": self.name, "install_signal_handlers": False, "delete_jobs": "successful",
                "additional_context": {"mirror": self.mirror},
                "update_heartbeat_interval": stall / 4, "stalled_worker_timeout": stall,
                "shutdown_graceful_timeout": tasks.SHUTDOWN_WAIT_SECONDS}

    async def _main(self, handle_signals: bool) -> None:
        # a sync holds two connections (its transaction and its source lock) on the mirror's
        # engine; procrastinate's own pool needs one per job plus the listener and heartbeat
        app = worker_app(self.mirror.engine, pool_size=self.concurrency + 3)
        async with app.open_async():
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.create_task(app.run_worker_async(**self.options()))
            if handle_signals:
                for signum in (signal.SIGTERM, signal.SIGINT):
                    self._loop.add_signal_handler(signum, self._on_signal, signum)
            log.info("任务队列工作进程已启动：%s，队列 %s，并发 %d", self.name,
                     "、".join(self.queues) or "全部", self.concurrency)
            self.started.set()
            try:
                await self._task
            except asyncio.CancelledError:
                pass  # cancelling run_worker_async is procrastinate's graceful stop: running jobs finished

    def _on_signal(self, signum: int) -> None:
        log.info("收到 %s：不再开始新任务，等待正在运行的任务完成", signal.Signals(signum).name)
        self._cancel()

    def _cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def run(self, handle_signals: bool = True) -> None:
        """Serve jobs until SIGTERM/SIGINT (foreground) or ``stop``."""
        asyncio.run(self._main(handle_signals))

    def stop(self) -> None:
        """Stop taking jobs; running ones finish (thread-safe)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._cancel)


class QueueThread(threading.Thread):
    """A worker inside the app process, so ``streamlit run app.py`` alone still runs the queued syncs."""

    def __init__(self, worker: QueueWorker):
        super().__init__(name="taizhang-queue-worker", daemon=True)
        self.worker = worker

    def run(self) -> None:
        try:
            self.worker.run(handle_signals=False)
        except Exception:  # the app keeps serving pages; the log says why no job runs here
            log.exception("应用进程内的任务队列工作线程已停止")

    def stop(self, timeout: float = tasks.SHUTDOWN_WAIT_SECONDS) -> None:
        self.worker.stop()
        self.join(timeout)
