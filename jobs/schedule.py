"""What the scheduler runs: a sync job per scheduled source, the report job, and housekeeping.

Jobs name importable functions (``jobs.tasks:…``) and carry only plain arguments, so
any scheduler — the worker or the app's embedded one — registers the same jobs.
"""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from jobs.leader import HEARTBEAT_SECONDS
from sync.registry import Source, list_sources
from sync.service import Mirror
from sync.terms import TIMEZONE

log = logging.getLogger("taizhang.jobs")

DEFAULT_REPORT_SCHEDULE = "0 8 * * *"
REPORT_ID = "report"
HEARTBEAT_ID = "leader-heartbeat"
RELOAD_ID = "reload-schedules"
RELOAD_MINUTES = 5  # sources edited in the app get their new schedule within this delay
# a run late by less than this still happens (APScheduler's default of 1 s silently skips it)
SYNC_GRACE_SECONDS = 15 * 60
REPORT_GRACE_SECONDS = 2 * 60 * 60
# crontab counts weekdays from Sunday (0 or 7); APScheduler 3's from_crontab from Monday
CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class ScheduleInvalid(ValueError):
    """A schedule that is not a crontab expression; the message is Chinese."""


def _day(token: str) -> int:
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token.lower()[:3] in CRON_DAYS:
        return CRON_DAYS.index(token.lower()[:3])
    raise ValueError(token)


def _weekdays(field: str) -> str:
    """A crontab day-of-week field as APScheduler weekday names, with crontab's meaning."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for item in field.split(","):
        base, _, step = item.partition("/")
        if base == "*":
            low, high = 0, 6
        elif "-" in base:
            low, high = (_day(t) for t in base.split("-", 1))
        else:
            low = _day(base)
            high = 6 if step else low
        if high < low or (step and not step.isdigit()):
            raise ValueError(item)
        days.update(d % 7 for d in range(low, high + 1, int(step or 1)))
    return ",".join(CRON_DAYS[d] for d in sorted(days))


def parse_schedule(expr: str) -> CronTrigger:
    """A five-field crontab line (minute hour day month weekday) in Asia/Shanghai."""
    fields = (expr or "").split()
    try:
        if len(fields) != 5:
            raise ValueError(expr)
        fields[4] = _weekdays(fields[4])
        return CronTrigger.from_crontab(" ".join(fields), timezone=TIMEZONE)
    except ValueError:
        raise ScheduleInvalid(f"定时计划“{expr}”格式不正确：应为5段 cron 表达式（分 时 日 月 周），"
                              "例如“0 8 * * *”表示每天8点，“*/30 8-18 * * 1-5”表示工作日8至18点每半小时") from None


def report_schedule_problem(reports: dict) -> str | None:
    """What is wrong with ``[reports] schedule``, in Chinese, or None.

    A bad one used to raise while the scheduler was built, so every page of the app (sign-in
    included) showed an exception (issue 14).
    """
    try:
        parse_schedule(str(reports.get("schedule", DEFAULT_REPORT_SCHEDULE)))
    except ScheduleInvalid as exc:
        return f"配置文件 [reports] schedule 有误，校验报告不会定时发送：{exc}"
    return None


def job_options(grace_seconds: int) -> dict:
    return {"replace_existing": True, "coalesce": True, "max_instances": 1, "misfire_grace_time": grace_seconds}


def sync_job_id(source: str) -> str:
    return f"sync:{source}"


def refresh_sync_jobs(scheduler: BaseScheduler, sources: list[Source], config_file: str | None,
                      db_url: str | None, holder: str) -> None:
    """Make the sync jobs match the registry: one per enabled source with a valid schedule."""
    wanted = {sync_job_id(s.name): s for s in sources if s.enabled and s.schedule}
    for job in scheduler.get_jobs():
        if job.id.startswith("sync:") and job.id not in wanted:
            scheduler.remove_job(job.id)
            log.info("已移除同步任务 %s", job.id)
    for job_id, source in wanted.items():
        try:
            trigger = parse_schedule(source.schedule or "")
        except ScheduleInvalid as exc:
            log.error("数据源“%s”未排入计划：%s", source.name, exc)
            continue
        existing = scheduler.get_job(job_id)
        if existing is not None and str(existing.trigger) == str(trigger):
            continue  # unchanged: keep its next run time
        scheduler.add_job("jobs.tasks:run_sync", trigger, args=[source.name, config_file, db_url, holder],
                          id=job_id, name=f"同步 {source.name}", **job_options(SYNC_GRACE_SECONDS))


def install_jobs(scheduler: BaseScheduler, mirror: Mirror, config_file: str | None, db_url: str | None,
                 holder: str) -> None:
    """Register every job of a Taizhang scheduler whose leader lease is held as ``holder``."""
    plain = [config_file, db_url, holder]
    scheduler.add_job("jobs.tasks:heartbeat", IntervalTrigger(seconds=HEARTBEAT_SECONDS, timezone=TIMEZONE),
                      args=plain, id=HEARTBEAT_ID, name="调度主节点心跳", executor="leader",
                      next_run_time=datetime.now(TIMEZONE), **job_options(HEARTBEAT_SECONDS))
    scheduler.add_job("jobs.tasks:reload_schedules", IntervalTrigger(minutes=RELOAD_MINUTES, timezone=TIMEZONE),
                      args=plain, id=RELOAD_ID, name="重新读取定时计划", **job_options(RELOAD_MINUTES * 60))
    problem = report_schedule_problem(mirror.config.reports)
    if problem:  # the syncs still run, and the app still starts; the sources page says it too
        log.error(problem)
    else:
        report = mirror.config.reports.get("schedule", DEFAULT_REPORT_SCHEDULE)
        scheduler.add_job("jobs.tasks:run_reports", parse_schedule(report), args=plain, id=REPORT_ID,
                          name="发送校验报告", **job_options(REPORT_GRACE_SECONDS))
    refresh_sync_jobs(scheduler, list_sources(mirror.engine, enabled_only=True), config_file, db_url, holder)
