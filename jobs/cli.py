"""``python -m jobs``: the scheduler worker, reports sent now, annotated workbooks."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from jobs.queue import QUEUES
from sync.cli_fail import fail

def _known_errors() -> tuple[type[Exception], ...]:
    """Errors whose Chinese message is the whole story: shown as one line, no traceback."""
    from jobs.mail import MailConfigError
    from jobs.schedule import ScheduleInvalid
    from sync.store.crypto import SecretKeyInvalid
    from sync.sources.grid import SourceUnreadable
    from sync.service import UnknownSource
    from jobs.queue import QueueUnavailable
    return SourceUnreadable, UnknownSource, MailConfigError, ScheduleInvalid, SecretKeyInvalid, QueueUnavailable


def _run(action):
    try:
        return action()
    except _known_errors() as exc:
        fail(str(exc))
    except Exception as exc:  # the database can't be reached or upgraded: one line, no traceback
        fail(f"无法打开数据库或执行任务（{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}）")


def _mirror(config_file: str | None, db_url: str | None):
    from sync.service import open_mirror
    return open_mirror(config_file, db_url)


def config_options(command):
    command = click.option("--db", "db_url", help="数据库 URL，如 sqlite:///data/taizhang.db 或 postgresql+psycopg://…")(command)
    return click.option("--config", "config_file", help="配置文件；默认 taizhang.toml，不存在时用演示配置。")(command)


@click.group(invoke_without_command=True,
             help="台账通定时任务：按计划同步数据源并发送校验报告。不带子命令时等同于 worker。")
@config_options
@click.pass_context
def main(ctx: click.Context, config_file: str | None, db_url: str | None) -> None:
    ctx.obj = {"config_file": config_file, "db_url": db_url}
    if ctx.invoked_subcommand is None:
        ctx.invoke(worker, config_file=config_file, db_url=db_url)


def _defaults(config_file: str | None, db_url: str | None) -> tuple[str | None, str | None]:
    obj = click.get_current_context().find_root().obj or {}
    return config_file or obj.get("config_file"), db_url or obj.get("db_url")


@main.command(help="前台运行定时任务（各数据源的定时同步、每日校验报告）；收到 SIGTERM 或 Ctrl-C 时等正在运行的任务完成后退出。"
                   "PostgreSQL 上同时执行任务队列中的同步任务，可在多台机器上各运行一个。")
@config_options
@click.option("--queue", "queues", multiple=True, type=click.Choice(QUEUES),
              help="只执行这个队列的任务（可重复）：files 文件数据源、google 谷歌表格、reports 校验报告；默认全部。仅 PostgreSQL。")
@click.option("--concurrency", type=click.IntRange(1, 64),
              help="同时执行的任务数（默认 2）。仅 PostgreSQL；多用 CPU 请多开进程。")
def worker(config_file: str | None, db_url: str | None, queues: tuple[str, ...] = (),
           concurrency: int | None = None) -> None:
    from jobs.worker import run_worker

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("apscheduler", "alembic", "procrastinate"):  # our own lines say what was scheduled and what ran
        logging.getLogger(noisy).setLevel(logging.WARNING)
    config_file, db_url = _defaults(config_file, db_url)
    _run(lambda: run_worker(config_file, db_url, queues, concurrency))


@main.command(help="立即把数据源的同步排入任务队列（仅 PostgreSQL），由 worker 执行；已在队列中等待的数据源不重复排队。")
@config_options
@click.option("--source", "names", multiple=True, help="只排这个数据源（可重复）；默认全部启用的数据源。")
def enqueue(config_file: str | None, db_url: str | None, names: tuple[str, ...]) -> None:
    from jobs.queue import defer_source_syncs

    config_file, db_url = _defaults(config_file, db_url)
    queued, waiting = _run(lambda: defer_source_syncs(_mirror(config_file, db_url).engine, list(names) or None))
    click.echo(f"已排队 {len(queued)} 个数据源" + (f"，{len(waiting)} 个已在队列中等待" if waiting else ""))


def _describe(outgoing) -> str:
    msg = outgoing.message
    files = [f"{a.get_filename()}（{len(a.get_content()) // 1024 + 1} KB）" for a in msg.iter_attachments()]
    return "\n".join([f"收件人：{msg['To']}", f"主题：{msg['Subject']}", f"附件：{'、'.join(files) or '无'}",
                      "-" * 40, msg.get_body(("plain",)).get_content().rstrip(), "=" * 40])


def _dry_run(mirror, names: list[str] | None) -> None:
    from jobs.channels import describe
    from jobs.deliveries import pending_retries
    from jobs.reports import plan_reports
    from sync.store.channels import list_channels

    plan = plan_reports(mirror, names)
    retries = pending_retries(mirror.engine)
    robots = {c.name: c for c in list_channels(mirror.engine, mirror.vault)}
    mails = sum(o.channel is None for o in plan.outgoing)
    click.echo(f"演练：将发送 {mails} 封报告邮件、{len(plan.outgoing) - mails} 条群机器人消息，"
               f"重试 {len(retries)} 条失败的发送（不发送、不记录）\n")
    for outgoing in plan.outgoing:
        click.echo(_describe(outgoing) if outgoing.channel is None else describe(outgoing, robots.get(outgoing.channel)))
    for d in retries:
        click.echo(f"待重试：#{d.id} {d.subject} → {d.to}（已尝试 {d.attempts} 次：{d.error}）")
    for note in plan.skipped:
        click.echo(f"跳过：{note}")


STATUS_WORDS = {"sent": "已发送", "outbox": "已写入发件箱", "failed": "失败"}


@main.command(help="立即发送校验报告：先重试上次失败的发送，再给各街道发报告、给督导发全市汇总（邮件和群机器人）。")
@config_options
@click.option("--source", "names", multiple=True,
              help="只发送这个数据源所在街道的报告（可重复）；指定后不发全市汇总。")
@click.option("--dry-run", is_flag=True, help="只显示将要发送的邮件和群机器人消息，不发送、不记录。")
def report(config_file: str | None, db_url: str | None, names: tuple[str, ...], dry_run: bool) -> None:
    from jobs.reports import send_reports
    from sync.registry import list_sources
    from sync.service import UnknownSource

    config_file, db_url = _defaults(config_file, db_url)

    def go():
        mirror = _mirror(config_file, db_url)
        missing = sorted(set(names) - {s.name for s in list_sources(mirror.engine, list(names))})
        if missing:
            raise UnknownSource(f"没有名为“{'、'.join(missing)}”的数据源")
        if dry_run:
            return _dry_run(mirror, list(names) or None)
        return send_reports(mirror, list(names) or None)

    outcome = _run(go)
    if dry_run:
        return
    for d in outcome.deliveries:
        click.echo(f"{STATUS_WORDS[d.status]}：{d.subject} → {d.to}" + (f"（{d.error}）" if d.error else ""))
    for note in outcome.skipped:
        click.echo(f"跳过：{note}")
    if outcome.failed:
        mails = sum(d.channel is None for d in outcome.failed)
        counts = [f"{mails} 封邮件"] * bool(mails) + [f"{len(outcome.failed) - mails} 条群机器人消息"] * bool(
            len(outcome.failed) - mails)
        fail(f"{'、'.join(counts)}发送失败：{outcome.failed[0].error}。已记录，下次发送报告时自动重试", 1)


@main.command(help="生成批注工作簿：复制数据源的工作簿，把有错误的单元格标红、有警告的标黄并附批注（原文件不改动）。")
@click.argument("source")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="输出文件（.xlsx；.xlsm 源文件可输出 .xlsm 保留宏）。")
@config_options
def annotate(source: str, out: str, config_file: str | None, db_url: str | None) -> None:
    from jobs.annotate import annotate_source

    config_file, db_url = _defaults(config_file, db_url)
    written = _run(lambda: annotate_source(_mirror(config_file, db_url), source, Path(out)))
    click.echo(f"已写入批注工作簿：{written}")
