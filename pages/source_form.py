"""The source editor's widgets (used by pages/sources.py): where the sheets are, the worksheet
mapping with a validation preview, the schedule with its next runs in plain Chinese."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st
from cron_descriptor import ExpressionDescriptor, Options

from jobs.schedule import ScheduleInvalid, parse_schedule
from pages.common import plain
from pages.issue_view import results_frame, show_issues
from schemas import DATASETS
from sync.registry import Source
from sync.source_setup import UPLOAD_SUFFIXES, Preview
from sync.sources.grid import SourceUnreadable
from sync.sources.kinds.file import file_kind_for
from sync.sources.kinds.gsheet import GSHEET
from sync.sources.kinds.upload import UPLOAD, version_file
from sync.terms import TIMEZONE, split_list

LOCATIONS = {GSHEET.name: GSHEET.label, "upload": "上传工作簿", "path": "服务器上的文件"}  # how the form asks
NOTIFY = {"issues": "有问题时", "always": "每次同步后", "changes": "数据有变化时"}
AUTO = "自动识别"
WEEKDAYS = "一二三四五六日"
# Markdown (help texts are Markdown): the expressions in code spans, so `*/30` keeps its asterisks
CRON_HELP = ("五个字段依次是 分、时、日、月、周（0 或 7 是周日）。例如：`*/30 * * * *` 每30分钟；"
             "`0 8 * * *` 每天8点；`0 8 * * 1-5` 工作日8点；`0 8,14 * * *` 每天8点和14点。")


def next_runs(expr: str, count: int = 5) -> list[datetime]:
    """The schedule's next run times in Asia/Shanghai, as the worker will compute them."""
    trigger, now, runs = parse_schedule(expr), datetime.now(TIMEZONE), []
    while len(runs) < count and (now := trigger.get_next_fire_time(runs[-1] if runs else None, now)) is not None:
        runs.append(now)
        now += timedelta(seconds=1)
    return runs


def schedule_input(current: str | None) -> str | None:
    expr = st.text_input("定时同步（cron：分 时 日 月 周，北京时间；留空则只手动同步）", current or "",
                         placeholder="例如 0 8 * * 1-5 表示工作日每天8点", help=CRON_HELP).strip()
    if not expr:
        return None
    try:
        runs = next_runs(expr)
    except ScheduleInvalid as exc:
        st.error(plain(exc))
        return expr
    options = Options()
    options.locale_code, options.use_24hour_time_format = "zh_CN", True
    times = "；".join(f"{t:%Y-%m-%d}（周{WEEKDAYS[t.weekday()]}）{t:%H:%M}" for t in runs)
    st.caption(f"{plain(ExpressionDescriptor(expr, options).get_description())}。接下来：{times}")
    return expr


def location_input(name: str, source: Source | None) -> tuple[dict[str, Any], tuple[str, bytes] | None]:
    """Where the sheets are: a Google Sheet link, an uploaded workbook (kept as the source's versions),
    or a path on the server. Returns the registry values and a newly uploaded (file name, bytes)."""
    current = GSHEET.name if source and source.kind == GSHEET.name else "upload" if source is None or \
        source.kind == UPLOAD.name else "path"
    where = st.radio("来源类型", list(LOCATIONS), list(LOCATIONS).index(current), format_func=LOCATIONS.get,
                     horizontal=True)
    values = {"kind": GSHEET.name, "path": None, "spreadsheet": None, "credentials": None}
    if where == GSHEET.name:
        values["spreadsheet"] = st.text_input("Google 表格链接", source.spreadsheet if source else "") or None
        values["credentials"] = st.text_input("服务账号密钥文件路径（留空用全局设置）",
                                              source.credentials if source and source.credentials else "") or None
        return values, None
    if where == "path":
        path = st.text_input("服务器上的文件路径", source.path if source and source.kind != UPLOAD.name else "") or None
        return {**values, "kind": file_kind_for(path or ""), "path": path}, None
    upload = st.file_uploader("工作簿（之后街道工作人员可在“提交台账”页提交新版本）", type=UPLOAD_SUFFIXES)
    kept = source.path if source and source.kind == UPLOAD.name else None
    if upload is None:
        return {**values, "kind": UPLOAD.name, "path": kept}, None
    data = upload.getvalue()
    try:
        path = version_file(name or "source", upload.name, data)
    except SourceUnreadable as exc:
        st.error(str(exc))
        return {**values, "kind": UPLOAD.name, "path": kept}, None
    return {**values, "kind": UPLOAD.name, "path": path}, (upload.name, data)


def mapping_input(preview: Preview, current: dict[str, str] | None) -> dict[str, str] | None:
    """Worksheet → dataset, defaulting to what was detected; None when everything is detected."""
    options = [AUTO, *DATASETS]
    mapping = {}
    for sheet, detected in preview.detected.items():
        default = (current or {}).get(sheet, AUTO)
        label = f"工作表“{plain(sheet)}”（识别为：{DATASETS[detected].title if detected else '未识别'}）"
        choice = st.selectbox(label, options, options.index(default),
                              format_func=lambda d: DATASETS[d].title if d in DATASETS else d, key=f"map-{sheet}")
        if choice != AUTO:
            mapping[sheet] = choice
    return mapping or None


def show_preview(preview: Preview) -> None:
    summary = pd.DataFrame([{"工作表": r.sheet, "台账": DATASETS[r.dataset].title if r.dataset else "未识别",
                             "表头行": r.header_row, "数据行": r.rows, "合格行": r.valid_rows,
                             "错误": sum(i.severity == "error" for i in r.issues),
                             "警告": sum(i.severity == "warning" for i in r.issues)} for r in preview.results])
    st.dataframe(summary, hide_index=True)
    show_issues(results_frame(preview.results))


def settings_input(source: Source | None) -> dict[str, Any]:
    recipients = st.text_area("报告收件人（邮箱，每行一个）", "\n".join(source.recipients or []) if source else "")
    notify = st.selectbox("何时发送报告", list(NOTIFY), list(NOTIFY).index(source.notify_on if source else "issues"),
                          format_func=NOTIFY.get)
    writeback = st.toggle("把校验结果写回表格（Google 表格：新增“校验结果”工作表）", source.writeback if source else False)
    enabled = st.toggle("启用", source.enabled if source else True)
    return {"recipients": split_list(recipients), "notify_on": notify, "writeback": writeback, "enabled": enabled}
