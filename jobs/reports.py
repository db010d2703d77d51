"""Validation reports: one mail per street to its sources' recipients, a digest to supervisors, and
the same reports, short, to the streets' and the city's group robots (WeCom, DingTalk, Feishu).

The street mail names every cell to fix (the first LIST_LIMIT in the body, all of them in
the attached workbook); the digest gives supervisors the picture across streets, with a chart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

import requests

from jobs.channels import robot_messages
from jobs.channels.brief import digest_brief, quality_link, street_brief
from jobs.channels.delivery import RobotPolicy, robot_transports
from jobs.chart import ChartUnavailable, digest_chart, street_rates
from jobs.deliveries import Delivery, Outgoing, RobotOutgoing, deliver, retry_failed
from jobs.mail import Attachment, clean_addresses, compose, open_transport, sender_of
from jobs.report_data import StreetData, aware, changed_since, last_report_at, streets
from sync.terms import RUN_STATUS_WORDS, TIMEZONE
from sync.outputs.exports import ISSUE_COLUMNS, issue_rows, issues_workbook, rows_to_xlsx
from sync.service import Mirror
from sync.store.channels import Channel, list_channels

LIST_LIMIT = 200  # a mail listing thousands of cells is not read; the attachment has them all
DEFAULT_STALE_DAYS = 30
DIGEST_COLUMNS = ("区", "街道", "数据源", "读取行数", "合格行数", "错误", "警告", "最近成功同步", "超期未更新的工作表", "同步异常")


def _when(moment: datetime | None) -> str:
    moment = aware(moment)
    return moment.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M") if moment else "—"


TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                        autoescape=select_autoescape(["html.j2"]), undefined=StrictUndefined,
                        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
TEMPLATES.filters["when"] = _when
TEMPLATES.filters["status"] = lambda s: RUN_STATUS_WORDS.get(s, s)


def render(name: str, **context: Any) -> tuple[str, str]:
    """The (plain text, HTML) pair of a report template."""
    return (TEMPLATES.get_template(f"{name}.txt.j2").render(**context),
            TEMPLATES.get_template(f"{name}.html.j2").render(**context))


def street_subject(data: StreetData, day: date) -> str:
    errors, warnings = data.count("error"), data.count("warning")
    found = f"错误 {errors} 处" + (f"，警告 {warnings} 处" if warnings else "") if errors or warnings else "未发现问题"
    failed = f"，{len(data.failed_sources)} 个数据源同步异常" if data.failed_sources else ""
    return f"【台账通】{data.street} 台账校验报告 {day:%Y-%m-%d}：{found}{failed}"


def skip_reason(mirror: Mirror, data: StreetData, robots: bool = False) -> str | None:
    """Why this street gets no report now (None: it gets one), by its sources' ``notify_on``."""
    if not data.recipients and not robots:
        return "未设置收件人或群机器人"
    changed = None
    for source in data.sources:
        mode = source.notify_on or "issues"
        if mode == "always":
            return None
        if mode == "issues" and (source.name in data.failed_sources or any(
                i["source"] == source.name and i["severity"] in ("error", "warning") for i in data.issues)):
            return None
        if mode == "changes":
            if changed is None:
                changed = changed_since(mirror.engine, data, last_report_at(mirror.engine, data.street))
            if changed:
                return None
    modes = sorted({s.notify_on or "issues" for s in data.sources})
    return f"notify_on={'/'.join(modes)}：" + ("没有错误、警告或同步异常" if "changes" not in modes else "上次报告后没有变化")


def _split(data: StreetData, severity: str) -> tuple[list[dict[str, Any]], int]:
    found = [i for i in data.issues if i["severity"] == severity]
    return found[:LIST_LIMIT], max(len(found) - LIST_LIMIT, 0)


def street_message(data: StreetData, sender: str, now: datetime) -> Outgoing:
    errors, more_errors = _split(data, "error")
    warnings, more_warnings = _split(data, "warning")
    text, html = render("street", data=data, now=now, errors=errors, more_errors=more_errors, warnings=warnings,
                        more_warnings=more_warnings, multi=len(data.sources) > 1, limit=LIST_LIMIT)
    attachment = Attachment(f"台账问题清单_{data.street}_{now:%Y-%m-%d}.xlsx", issues_workbook(data.issues))
    return Outgoing("street", data.street,
                    compose(sender, data.recipients, street_subject(data, now.date()), text, html, [attachment]))


def digest_rows(all_streets: list[StreetData], now: datetime, stale_days: int) -> list[dict[str, Any]]:
    stale_before = now - timedelta(days=stale_days)
    rows = []
    for data in all_streets:
        counts = data.datasets()
        last_ok = [aware(s.last_ok_at) for s in data.sources if s.last_ok_at]
        rows.append({"district": data.district, "street": data.street, "sources": len(data.sources),
                     "rows": sum(c["rows"] for c in counts), "valid_rows": sum(c["valid_rows"] for c in counts),
                     "errors": data.count("error"), "warnings": data.count("warning"),
                     "last_ok": max(last_ok) if last_ok else None,
                     "stale": data.stale(stale_before),
                     "problems": data.problems()})
    return rows


CHART_CID = "taizhang-digest-chart"


def digest_message(all_streets: list[StreetData], rows: list[dict[str, Any]], supervisors: list[str], sender: str,
                   now: datetime, stale_days: int, chart: bytes | None = None) -> Outgoing:
    totals = {k: sum(r[k] for r in rows) for k in ("rows", "valid_rows", "errors", "warnings")}
    text, html = render("digest", rows=rows, totals=totals, now=now, stale_days=stale_days,
                        chart=CHART_CID if chart else None)
    table = [[r["district"], r["street"], r["sources"], r["rows"], r["valid_rows"], r["errors"], r["warnings"],
              _when(r["last_ok"]), "、".join(r["stale"]), "；".join(r["problems"])] for r in rows]
    workbook = rows_to_xlsx({"街道汇总": (DIGEST_COLUMNS, table),
                             "问题清单": ([t for _k, t in ISSUE_COLUMNS], issue_rows(i for s in all_streets for i in s.issues))})
    subject = (f"【台账通】全市台账校验汇总 {now:%Y-%m-%d}：{len(rows)} 个街道，"
               f"错误 {totals['errors']} 处，警告 {totals['warnings']} 处")
    inline = [(CHART_CID, Attachment("各街道台账校验与微心愿进展.png", chart, "image", "png"))] if chart else []
    return Outgoing("digest", None, compose(sender, supervisors, subject, text, html,
                                            [Attachment(f"台账问题清单_全市_{now:%Y-%m-%d}.xlsx", workbook)], inline))


@dataclass
class ReportPlan:
    outgoing: list[Outgoing | RobotOutgoing] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "street: reason"


def _plan_digest(mirror: Mirror, plan: ReportPlan, all_streets: list[StreetData], robots: list[Channel],
                 sender: str, now: datetime, stale: int) -> None:
    to = clean_addresses(mirror.config.reports.get("supervisors"))
    robots = [c for c in robots if c.digest]
    if not to and not robots:
        plan.skipped.append("全市汇总：[reports] 未设置 supervisors，也没有 digest = true 的群机器人")
        return
    rows, rates = digest_rows(all_streets, now, stale), street_rates(mirror.engine)
    try:
        chart = digest_chart(rows, rates)
    except ChartUnavailable as exc:
        chart = None
        plan.skipped.append(f"全市汇总图：{exc}")
    if to:
        plan.outgoing.append(digest_message(all_streets, rows, to, sender, now, stale, chart))
    brief = digest_brief(rows, rates, now, quality_link(mirror.config.app),
                         "各街道汇总图见全市汇总邮件" if chart and to else None)
    for channel in robots:
        plan.outgoing += robot_messages(channel, brief, chart)


def plan_reports(mirror: Mirror, names: list[str] | None = None, now: datetime | None = None) -> ReportPlan:
    """The messages a report run sends now; with ``names`` only those sources' streets, no digest."""
    now = now or datetime.now(TIMEZONE)
    sender = sender_of(mirror.config.smtp)
    stale = int(mirror.config.reports.get("stale_days", DEFAULT_STALE_DAYS))
    robots = list_channels(mirror.engine, mirror.vault, enabled_only=True)
    plan = ReportPlan()
    all_streets = streets(mirror.engine, names)
    for data in all_streets:
        street_robots = [c for c in robots if data.street in c.streets]
        reason = skip_reason(mirror, data, bool(street_robots))
        if reason:
            plan.skipped.append(f"{data.street}：{reason}")
            continue
        if data.recipients:
            plan.outgoing.append(street_message(data, sender, now))
        brief = street_brief(data, now, stale, quality_link(mirror.config.app))
        for channel in street_robots:
            plan.outgoing += robot_messages(channel, brief)
    if names is None:
        _plan_digest(mirror, plan, all_streets, robots, sender, now, stale)
    return plan


@dataclass
class ReportOutcome:
    deliveries: list[Delivery]
    skipped: list[str]

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.status == "failed"]

    def summary(self) -> str:
        count = {s: sum(d.status == s for d in self.deliveries) for s in ("sent", "outbox", "failed")}
        return (f"已发送 {count['sent']} 条，写入发件箱 {count['outbox']} 封，失败 {count['failed']} 条"
                + (f"；跳过：{'；'.join(self.skipped)}" if self.skipped else ""))


DEFAULT_POLICY = RobotPolicy()


def send_reports(mirror: Mirror, names: list[str] | None = None, policy: RobotPolicy = DEFAULT_POLICY) -> ReportOutcome:
    """Retry earlier failures, then send this run's reports (mail and robots); every attempt is recorded."""
    mail = open_transport(mirror.config.smtp)
    with requests.Session() as session:
        transports = {None: mail, **robot_transports(list_channels(mirror.engine, mirror.vault, enabled_only=True),
                                                     mirror.vault, policy, session)}
        try:
            done = retry_failed(mirror.engine, transports)
            plan = plan_reports(mirror, names)
            done += deliver(mirror.engine, transports, plan.outgoing)
        finally:
            mail.close()
    return ReportOutcome(done, plan.skipped)
