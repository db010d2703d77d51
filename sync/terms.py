"""Words and constants every stage shares: one home each, so a change is made once.

A leaf module (standard library only): any stage may import it.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

TIMEZONE_NAME = "Asia/Shanghai"  # street offices, schedules and reports all keep Beijing time
TIMEZONE = ZoneInfo(TIMEZONE_NAME)

RESULTS_SHEET = "校验结果"  # our worksheet of issues (annotated copies, Google write-back); never a register

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (tab and CR as well: CSV injection); text we write into a sheet is neutralised first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Outcomes of a source's sync (sync_runs.status), in the words staff read.
RUN_STATUS_WORDS = {"ok": "成功", "unchanged": "未变化", "held": "已暂停（镜像未更新）", "failed": "失败",
                    "skipped": "已跳过", "running": "进行中"}

# A workbook none of whose worksheets is a register (``validate`` on an unrelated file, a source mapped wrong).
NO_REGISTER = "未找到任何台账工作表（名册、微心愿或志愿服务岗的表头）"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # report recipients, users' addresses (OIDC matches on them)
SPLIT = re.compile(r"[\s,，、;；]+")  # between items a person types in one field


def split_list(text: str | None) -> list[str]:
    """Items typed one per line or separated by commas, 、 or semicolons."""
    return [item for item in SPLIT.split(text or "") if item]
