"""Small, valid registers written with openpyxl, for tests that need a real workbook."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any


from tests.validation_cases import person_id, write_xlsx

ROSTER_HEADERS = ["姓名", "身份证号", "性别", "联系电话", "工作单位", "报到社区", "报到日期"]
WISH_HEADERS = ["心愿编号", "社区", "心愿人", "心愿内容", "登记日期", "状态", "认领人", "认领日期", "完成日期"]
POST_HEADERS = ["岗位编号", "社区", "岗位类型", "岗位名称", "责任人", "状态", "活动次数", "服务时长（小时）"]


def roster_row(n: int, **changes: Any) -> list[Any]:
    row = {"姓名": f"党员{n:03d}", "身份证号": person_id(n, born="19850307", male=n % 2 == 1), "性别": "男" if n % 2 == 1 else "女",
           "联系电话": f"138{n:08d}", "工作单位": "阳泉市供电公司", "报到社区": "德胜街社区",
           "报到日期": date(2020, 8, 10)}
    row.update(changes)
    return [row[h] for h in ROSTER_HEADERS]


def wish_row(n: int, **changes: Any) -> list[Any]:
    row = {"心愿编号": f"W{n:04d}", "社区": "德胜街社区", "心愿人": "刘大妈", "心愿内容": "需要一台轮椅",
           "登记日期": date(2020, 7, 1), "状态": "已完成", "认领人": "党员001", "认领日期": date(2020, 7, 3),
           "完成日期": date(2020, 7, 9)}
    row.update(changes)
    return [row[h] for h in WISH_HEADERS]


def post_row(n: int, **changes: Any) -> list[Any]:
    row = {"岗位编号": f"G{n:03d}", "社区": "德胜街社区", "岗位类型": "治安巡逻", "岗位名称": "夜间巡逻",
           "责任人": "党员001", "状态": "在岗", "活动次数": 12, "服务时长（小时）": 36.5}
    row.update(changes)
    return [row[h] for h in POST_HEADERS]


def write_register(path: Path, roster: list[list[Any]] | None = None, wishes: list[list[Any]] | None = None,
                   posts: list[list[Any]] | None = None, title: str = "上站街道在职党员报到名册") -> Path:
    """A workbook with up to three worksheets, each with a title row above its header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_xlsx(path, {sheet: [[title], headers, *rows] for sheet, headers, rows in (
        ("报到名册", ROSTER_HEADERS, roster), ("微心愿", WISH_HEADERS, wishes), ("志愿服务岗", POST_HEADERS, posts))
        if rows is not None})


def toml_value(value: Any) -> str:
    """A TOML literal for the simple values our configs hold (JSON's string escapes are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def write_config(path: Path, db_url: str, sources: list[dict[str, Any]], extra: str = "") -> Path:
    """A taizhang.toml naming the database and the given sources."""
    lines = ["[database]", f"url = {toml_value(db_url)}", ""]
    for source in sources:
        lines.append("[[sources]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in source.items()]
        lines.append("")
    path.write_text("\n".join(lines) + extra, encoding="utf-8")
    return path


class OneSource:
    """A one-source setup: a register workbook, a config pointing at it, and helpers to sync and query
    (the ``street`` fixture of conftest.py)."""

    def __init__(self, tmp_path: Path, db_url: str):
        self.path = tmp_path / "shangzhan.xlsx"
        self.config = write_config(tmp_path / "taizhang.toml", db_url, [
            {"name": "shangzhan", "street": "上站街道", "district": "城区", "kind": "excel", "path": str(self.path)}])

    def write(self, roster_rows=None, wish_rows=None):
        write_register(self.path, roster_rows, wish_rows)

    def write_all(self, **registers):
        write_register(self.path, **registers)

    def sync(self, **kw):
        from sync.service import open_mirror, sync_sources
        mirror = open_mirror(str(self.config))
        try:
            return sync_sources(mirror, **kw)[0]
        finally:
            mirror.engine.dispose()

    def query(self, statement):
        from sync.service import open_mirror
        mirror = open_mirror(str(self.config))
        try:
            with mirror.engine.connect() as conn:
                return conn.execute(statement).all()
        finally:
            mirror.engine.dispose()


def active(street: OneSource, table=None) -> int:
    """Rows of ``table`` (default: the roster) in the sheet now."""
    from sqlalchemy import func, select

    from sync.store.models import roster
    table = roster if table is None else table
    return street.query(select(func.count()).select_from(table).where(table.c.deleted_at.is_(None)))[0][0]
