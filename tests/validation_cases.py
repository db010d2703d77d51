"""Builders for the registers the validator tests feed in: made-up people, good rows, grids, workbooks.

The ID check character is computed here independently of ``schemas.checks`` (weight i is
2^(17-i) mod 11, as GB 11643-1999 derives it), so a wrong weight table there cannot hide itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl

from schemas import DATASETS
from sync.sources.grid import Grid
from sync.check.table import Table, extract_table
from sync.check.validate import SheetResult, validate_table


def check_char(first17: str) -> str:
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    return "10X98765432"[total % 11]


def person_id(n: int, *, born: str = "19800101", male: bool = True, region: str = "140302") -> str:
    """THE test helper for ID numbers: a made-up 18-character number with a correct check character
    (computed here, independently of schemas.checks). ``n`` (0-499) makes it unique among people
    born the same day; the 17th digit's parity codes the gender."""
    order = (n % 500) * 2 + (1 if male else 0)
    first17 = f"{region}{born}{order:03d}"
    return first17 + check_char(first17)


def wrong_check(number: str) -> str:
    """The same ID number with a check character that is wrong."""
    return number[:17] + next(c for c in "0123456789X" if c != number[17])


ZHANG_SAN = person_id(1, born="19800101", male=True)
LI_SI = person_id(2, born="19850615", male=False)

GOOD = {
    "roster": {
        "id_number": ZHANG_SAN, "name": "张三", "gender": "男", "phone": "13812345678",
        "employer": "阳泉市城区人民政府", "party_org": "城区机关第一党支部", "community": "德胜街社区",
        "grid": "第一网格", "registered_on": "2020-08-10", "post_type": "政策宣讲", "note": "",
    },
    "wishes": {
        "wish_id": "XY-001", "community": "德胜街社区", "wisher": "王大爷", "wisher_phone": "0353-2021234",
        "content": "家里水管漏水，希望有人帮忙修理", "category": "家政维修", "raised_on": "2020-08-01",
        "status": "已完成", "claimer": "张三", "claimer_unit": "阳泉市城区人民政府",
        "claimed_on": "2020-08-03", "completed_on": "2020-08-05",
    },
    "posts": {
        "post_id": "GW-001", "community": "德胜街社区", "post_type": "政策宣讲", "post_name": "政策宣讲员",
        "holder": "张三", "holder_phone": "13812345678", "started_on": "2020-06-01",
        "activities": 12, "service_hours": 36.5, "status": "在岗",
    },
}
# the keys of the first rows of a table, one each
KEYS = {"roster": [ZHANG_SAN, LI_SI, person_id(3, born="19700304"), person_id(4, born="19900909", male=False)],
        "wishes": ["XY-001", "XY-002", "XY-003", "XY-004"],
        "posts": ["GW-001", "GW-002", "GW-003", "GW-004"]}


def headers(dataset: str) -> list[str]:
    return [meta.header for meta in DATASETS[dataset].fields.values()]


def record(dataset: str, n: int = 0, **overrides: Any) -> dict[str, Any]:
    """The n-th good row of a dataset as {field: cell}, some cells replaced."""
    row = dict(GOOD[dataset])
    key = DATASETS[dataset].key
    row[key] = KEYS[dataset][n]
    if dataset == "roster":
        row["gender"] = "男" if int(row[key][16]) % 2 else "女"
    row.update(overrides)
    return row


def rows_of(dataset: str, records: list[dict[str, Any]], fields: list[str] | None = None,
            title: str | None = None, spelled: dict[str, str] | None = None) -> list[list[Any]]:
    """A sheet: optional title row, the header row (``spelled`` overrides headers), one row per record."""
    fields = fields or list(DATASETS[dataset].fields)
    spelled = spelled or {}
    out: list[list[Any]] = []
    if title is not None:
        out.append([title] + [""] * (len(fields) - 1))
    out.append([spelled.get(f, DATASETS[dataset].fields[f].header) for f in fields])
    out.extend([r.get(f, "") for f in fields] for r in records)
    return out


def table(rows: list[list[Any]], dataset: str | None = None, title: str = "Sheet1") -> Table:
    found = extract_table(Grid(title, rows), dataset)
    assert isinstance(found, Table), found
    return found


def validate_rows(rows: list[list[Any]], dataset: str | None = None, ctx=None,
                  title: str = "Sheet1") -> SheetResult:
    return validate_table(table(rows, dataset, title), ctx)


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]], hidden: tuple[str, ...] = (),
               merge_title: bool = False) -> Path:
    """An .xlsx with one worksheet per entry, cells written with their Python types."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
        if merge_title and rows:
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(r) for r in rows))
        if name in hidden:
            ws.sheet_state = "hidden"
    book.save(path)
    return path
