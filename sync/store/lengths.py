"""The same length limits on SQLite and PostgreSQL, checked where a value enters (issue 14).

PostgreSQL refuses a value longer than its column's ``VARCHAR(n)``; SQLite keeps anything. So a
source name over 100 characters stopped the CLI on PostgreSQL only, and a worksheet title over
200 failed every sync there. The limits are read from the tables themselves, so a check can
never disagree with the column it guards; each refusal names the field in Chinese.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table

LABELS = {"name": "名称", "street": "街道", "district": "区县", "schedule": "定时计划", "kind": "来源类型",
          "notify_on": "通知方式", "username": "用户名", "display_name": "姓名", "sheet": "工作表名称"}


def limit(table: Table, column: str) -> int | None:
    return getattr(table.c[column].type, "length", None)


def too_long(table: Table, values: Mapping[str, Any]) -> str | None:
    """A Chinese sentence about the first value longer than its column allows, else None."""
    for column in table.columns:
        most, value = getattr(column.type, "length", None), values.get(column.name)
        if most and isinstance(value, str) and len(value) > most:
            return f"{LABELS.get(column.name, column.name)}过长（{len(value)} 个字符），不能超过 {most} 个字符"
    return None
