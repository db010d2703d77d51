"""What the workers of the job queue run, and the procrastinate App they run it with.

``sync_job`` and ``report_job`` get the worker's opened mirror from the job context; the
stalled-job check is procrastinate's own recipe (a periodic task calling
``get_stalled_jobs`` and ``retry_job``), run on the ``maintenance`` queue every worker serves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from procrastinate import App, PsycopgConnector
from procrastinate import exceptions as queue_errors
from procrastinate.job_context import JobContext
from procrastinate.jobs import Status
from sqlalchemy import Engine, text

from jobs.google_quota import google_paced
from jobs.queue import (MAINTENANCE, REPORT_MAX_WAIT_SECONDS, REPORT_RECHECK_SECONDS, REPORT_TASK, REPORTS,
                        STALLED_TASK, SYNC_TASK, conninfo, stall_seconds)
from sync.service import UnknownSource, sync_sources
from sync.store.queue_schema import channel_prefix

log = logging.getLogger("taizhang.jobs")


class SchemaConnector(PsycopgConnector):
    """procrastinate's connector, listening on the channels of this schema only (sync.store.queue_schema)."""

    def __init__(self, *, prefix: str, **kwargs):
        super().__init__(**kwargs)
        self.prefix = prefix

    async def listen_notify(self, on_notification, channels: Iterable[str]) -> None:
        async def unprefixed(*, channel: str, payload: str) -> None:
            await on_notification(channel=channel.removeprefix(self.prefix), payload=payload)
        await super().listen_notify(unprefixed, [self.prefix + c for c in channels])


def schema_of(engine: Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT current_schema()")).scalar_one()


def sync_job(context: JobContext, source: str) -> None:
    mirror = context.additional_context["mirror"]
    with google_paced(mirror.engine):
        try:
            result = sync_sources(mirror, [source], trigger="schedule")[0]
        except UnknownSource:
            log.warning("数据源“%s”已不存在，跳过", source)
            return
    log.info("同步 %s：%s %s", source, result.status, result.message)


def pending_syncs(app: App, among: set[int] | None = None) -> set[int]:
    """Ids of sync jobs waiting or running (only those of ``among`` when given)."""
    found = {job.id for status in (Status.TODO, Status.DOING)
             for job in app.job_manager.list_jobs(task=SYNC_TASK, status=status.value)}
    return found if among is None else found & among


def report_job(context: JobContext, waiting_for: list[int] | None = None, since: float | None = None) -> None:
    """Send the reports once the syncs that were queued when it first ran are done (or too long waited)."""
    from jobs.tasks import send_and_log

    since = since or time.time()
    still = pending_syncs(context.app, None if waiting_for is None else set(waiting_for))
    if still and time.time() - since < REPORT_MAX_WAIT_SECONDS:
        log.info("校验报告等待 %d 个同步任务完成", len(still))
        context.app.configure_task(REPORT_TASK, queue=REPORTS, schedule_in={"seconds": REPORT_RECHECK_SECONDS}) \
            .defer(waiting_for=sorted(still), since=since)
        return
    if still:
        log.warning("校验报告已等待 %d 秒，仍有 %d 个同步任务未完成，现在发送", REPORT_MAX_WAIT_SECONDS, len(still))
    send_and_log(context.additional_context["mirror"])


async def retry_stalled_jobs(context: JobContext, timestamp: int) -> None:
    """Put the jobs of workers that stopped sending heartbeats back in the queue."""
    manager = context.app.job_manager
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stall_seconds()):
        try:
            await manager.retry_job(job)
            log.warning("工作进程已失联，任务 %s（%s）重新排队", job.id, job.call_string)
        except queue_errors.UniqueViolation:
            # a newer job of the same source is already waiting (queueing lock): it does the work
            await manager.finish_job(job, status=Status.FAILED, delete_job=False)
            log.warning("工作进程已失联，任务 %s 结束：同一数据源已有新任务排队", job.id)


def retry_cron(seconds: float) -> str:
    """How often stalled jobs are looked for: every half stall time, at least every minute."""
    every = max(int(seconds // 2), 1)
    return "* * * * *" if every >= 60 else f"* * * * * */{every}"


def worker_app(engine: Engine, pool_size: int) -> App:
    """The App a worker runs: an async pool on this schema's channels, with the tasks above."""
    connector = SchemaConnector(prefix=channel_prefix(schema_of(engine)), conninfo=conninfo(engine),
                                min_size=1, max_size=pool_size)
    app = App(connector=connector)
    app.task(name=SYNC_TASK, pass_context=True)(sync_job)
    app.task(name=REPORT_TASK, pass_context=True)(report_job)
    stalled = app.task(name=STALLED_TASK, pass_context=True, queue=MAINTENANCE, queueing_lock=STALLED_TASK)
    app.periodic(cron=retry_cron(stall_seconds()), periodic_id="stalled")(stalled(retry_stalled_jobs))
    return app
