"""What a template says: the example rows and the 填表说明 worksheet, in plain Chinese.

The rules come from the schemas' own FieldMeta (rule text, required fields, enum values),
so changing a schema changes the instructions with it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from schemas import DATASETS, Dataset
from schemas.checks import made_up_id
from sync.check.table import EXAMPLE_MARK

EXAMPLE_COMMUNITY = "德胜街社区"
EXAMPLE_PERSON = {"name": "张三", "id_number": made_up_id("140302", date(1985, 3, 12), 123),  # seq odd: 男
                  "gender": "男", "phone": "13912345678", "employer": "阳泉市第一中学"}
GENERAL_NOTES = (
    "一、每种台账一个工作表，第2行是表头：请勿修改、删除或调换列名。需要记录其他信息时，可在最右侧加列，该列不会被读取。",
    "二、深蓝色表头为必填列，浅蓝色表头为选填列；把鼠标移到表头上，可以看到该列的填写要求。",
    f"三、第3行是示例（带“{EXAMPLE_MARK}”字样），读取时自动跳过，可以保留，也可以删除。",
    "四、身份证号、联系电话两列已设为文本格式，请直接输入，不要改为数字格式，否则18位身份证号末尾几位会丢失。",
    "五、日期请写成 2020-08-10 或 2020年8月10日，不能晚于今天。",
    "六、带下拉箭头的列请从列表中选择，不要手工输入其他写法。",
    "七、表格下方可以写合计行和落款（填表人、审核人、填报日期），不会被当作数据。",
)
GUIDE_COLUMNS = (("列名", 16), ("是否必填", 10), ("填写要求", 60), ("可选值", 40))


def field_choices(d: Dataset, name: str, communities: tuple[str, ...]) -> tuple[str, ...]:
    """The dropdown values of a field: its enum, or the street's communities when given."""
    return communities if name == "community" else d.choices(name)


def example_row(dataset: str, community: str) -> dict[str, Any]:
    """A valid row by a made-up person; one text cell carries the mark readers skip."""
    p = EXAMPLE_PERSON
    rows = {
        "roster": {**{k: p[k] for k in ("id_number", "name", "gender", "phone", "employer")},
                   "party_org": p["employer"] + "党支部", "community": community, "grid": "第3网格",
                   "registered_on": date(2020, 8, 10), "post_type": "政策宣讲",
                   "note": f"{EXAMPLE_MARK}此行为填写示例，读取时自动跳过"},
        "wishes": {"wish_id": "XY2020-00001", "community": community, "wisher": "李四",
                   "wisher_phone": "0353-2345678", "content": f"{EXAMPLE_MARK}厨房水龙头漏水需要维修",
                   "category": "家政维修", "raised_on": date(2020, 8, 10), "status": "已完成",
                   "claimer": p["name"], "claimer_unit": p["employer"], "claimed_on": date(2020, 8, 12),
                   "completed_on": date(2020, 8, 15)},
        "posts": {"post_id": "GW-001", "community": community, "post_type": "治安巡逻",
                  "post_name": f"{EXAMPLE_MARK}第3网格夜间巡逻岗", "holder": p["name"], "holder_phone": p["phone"],
                  "started_on": date(2020, 9, 1), "activities": 12, "service_hours": 36.5, "status": "在岗"},
    }
    return rows[dataset]


def _required_word(d: Dataset, name: str) -> str:
    if name in d.required:
        return "是"
    return "视情况" if "时必填" in d.fields[name].rule else "否"


def write_guide(sheet: Worksheet, datasets: list[str], communities: tuple[str, ...],
                titles: dict[str, str]) -> None:
    """The 填表说明 worksheet: general notes, then one table of columns per register."""
    wrap = Alignment(wrap_text=True, vertical="top")
    for j, (_, width) in enumerate(GUIDE_COLUMNS, 1):
        sheet.column_dimensions[chr(64 + j)].width = width
    sheet.append(["填表说明"])
    sheet["A1"].font = Font(bold=True, size=14)
    for note in GENERAL_NOTES:
        sheet.append([note])
        sheet.merge_cells(f"A{sheet.max_row}:D{sheet.max_row}")
        sheet.cell(sheet.max_row, 1).alignment = wrap
        sheet.row_dimensions[sheet.max_row].height = 32
    for dataset in datasets:
        d = DATASETS[dataset]
        sheet.append([])
        sheet.append([f"工作表“{titles[dataset]}”：{d.title}"])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True, size=12)
        sheet.append([title for title, _ in GUIDE_COLUMNS])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for name, meta in d.fields.items():
            sheet.append([meta.header, _required_word(d, name), meta.rule,
                          "、".join(field_choices(d, name, communities))])
            for cell in sheet[sheet.max_row]:
                cell.alignment = wrap
