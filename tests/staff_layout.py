"""A workbook laid out the way street staff really lay theirs out (issue 13), built with openpyxl.

- a merged title row;
- a two-level header: group cells (基本信息, 联系方式, 报到信息 …) merged over the real headers,
  and 序号 / 姓名 / 备注 merged down over both header rows;
- header cells typed with Alt+Enter (``身份证\\n号码``);
- 报到社区 / 社区 merged down over the rows of each community's block (网格, 工作单位, 认领单位 and
  a status too), values in the top-left cell only;
- a 序号 column of running numbers; dates as date cells carrying a time;
- a 合计 row and a 填表人 footer.

Every row is valid: ``python -m sync validate`` must report no error for it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl

from tests.validation_cases import person_id

COMMUNITIES = ("德胜街社区", "金三角社区", "市政府大院社区")
BLOCK = 8  # people per community block
ROSTER_ROWS = len(COMMUNITIES) * BLOCK  # 24 valid people


def people() -> list[dict[str, Any]]:
    out = []
    for n in range(ROSTER_ROWS):
        male = n % 2 == 0
        out.append({"序号": n + 1, "姓名": f"党员{chr(0x4e00 + 0x100 + n)}{chr(0x4e00 + 0x200 + n)}",
                    "身份证\n号码": person_id(n + 1, born=f"19{70 + n % 20}0{1 + n % 9}1{n % 9}", male=male),
                    "性别": "男" if male else "女", "联系\n电话": f"139{n:08d}",
                    "工作单位": ("阳泉市供电公司", "阳泉市第一中学")[n // 4 % 2],
                    "所在\n党组织": "城区机关第一党支部", "报到社区": COMMUNITIES[n // BLOCK],
                    "网格": f"第{n // 4 % 2 + 1}网格", "报到日期": datetime(2020, 8, 10 + n % 10, 9, 30),
                    "备注": ""})
    return out


# (group label, first column, last column) of the group row; a column without a group is merged down
ROSTER_COLUMNS = ["序号", "姓名", "身份证\n号码", "性别", "联系\n电话", "工作单位", "所在\n党组织", "报到社区", "网格",
                  "报到日期", "备注"]
ROSTER_GROUPS = [("基本信息", 3, 4), ("联系方式", 5, 5), ("工作情况", 6, 7), ("报到信息", 8, 10)]
WISH_COLUMNS = ["序号", "心愿编号", "社区", "心愿人", "心愿\n内容", "心愿类别", "登记\n日期", "状态", "认领人", "认领单位",
                "认领日期", "完成日期"]
WISH_GROUPS = [("心愿信息", 2, 7), ("认领情况", 8, 12)]
POST_COLUMNS = ["序号", "岗位编号", "社区", "岗位类型", "岗位名称", "责任人", "状态", "活动次数", "服务时长\n（小时）"]
POST_GROUPS = [("岗位信息", 2, 5), ("履职情况", 6, 9)]


def _sheet(book: openpyxl.Workbook, title: str, heading: str, columns: list[str],
           groups: list[tuple[str, int, int]], rows: list[list[Any]], merges: list[str]) -> None:
    ws = book.create_sheet(title)
    width = len(columns)
    ws.append([heading] + [None] * (width - 1))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    grouped = {col for _label, first, last in groups for col in range(first, last + 1)}
    group_row: list[Any] = [None if col in grouped else columns[col - 1] for col in range(1, width + 1)]
    for label, first, _last in groups:
        group_row[first - 1] = label
    ws.append(group_row)
    ws.append([None if col not in grouped else columns[col - 1] for col in range(1, width + 1)])
    for _label, first, last in groups:  # merged after the rows are written: a merge moves openpyxl's append row
        if last > first:
            ws.merge_cells(start_row=2, start_column=first, end_row=2, end_column=last)
    for col in range(1, width + 1):
        if col not in grouped:
            ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
    for row in rows:
        ws.append(row)
    last = ws.max_row
    ws.append(["合计", f"{len(rows)}条"] + [None] * (width - 2))
    ws.append(["填表人：王小红　　审核人：李主任　　填报日期：2020年8月31日"] + [None] * (width - 1))
    ws.merge_cells(start_row=last + 2, start_column=1, end_row=last + 2, end_column=width)
    for ref in merges:
        ws.merge_cells(ref)  # openpyxl blanks every covered cell, as Excel does when staff merge


def _blocks(column: str, first_row: int, sizes: list[int]) -> list[str]:
    refs, row = [], first_row
    for size in sizes:
        if size > 1:
            refs.append(f"{column}{row}:{column}{row + size - 1}")
        row += size
    return refs


def write_staff_workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    members = people()
    roster_rows = [[p[c] for c in ROSTER_COLUMNS] for p in members]
    _sheet(book, "报到名册", "上站街道在职党员报到名册（2020年8月）", ROSTER_COLUMNS, ROSTER_GROUPS, roster_rows,
           _blocks("H", 4, [BLOCK] * 3) + _blocks("I", 4, [4] * 6) + _blocks("F", 4, [4] * 6))
    names = [p["姓名"] for p in members]
    wishes = []
    for n in range(12):
        done = n % 4 != 3
        wishes.append([n + 1, f"XY-{n + 1:03d}", COMMUNITIES[n // 4], "王大爷", "家里水管漏水，希望有人帮忙修理",
                       "家政维修", datetime(2020, 7, 1 + n, 8, 15), "已完成" if done else "待认领",
                       names[n] if done else None, "阳泉市供电公司" if done else None,
                       datetime(2020, 7, 20, 10, 0) if done else None,
                       datetime(2020, 7, 25, 16, 45) if done else None])
    # 社区 merged per block of 4; 状态 and 认领单位 merged over the three completed wishes of each block
    wish_merges = _blocks("C", 4, [4] * 3)
    for block in range(3):
        top = 4 + block * 4
        wish_merges += [f"H{top}:H{top + 2}", f"J{top}:J{top + 2}"]
    _sheet(book, "微心愿", "上站街道微心愿台账", WISH_COLUMNS, WISH_GROUPS, wishes, wish_merges)
    posts = [[n + 1, f"GW-{n + 1:03d}", COMMUNITIES[n // 3], "治安巡逻", "夜间巡逻", names[n], "在岗", 12, 36.5]
             for n in range(9)]
    _sheet(book, "志愿服务岗", "上站街道志愿服务岗", POST_COLUMNS, POST_GROUPS, posts,
           _blocks("C", 4, [3] * 3) + _blocks("G", 4, [9]))
    book.save(path)
    return path


if __name__ == "__main__":  # python -m tests.staff_layout OUT.xlsx: the workbook the figures are measured on
    import sys

    print(write_staff_workbook(Path(sys.argv[1])))
