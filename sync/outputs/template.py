"""Register templates generated from ``schemas/`` alone, so template and validator never drift.

Each register worksheet has a title row, the canonical headers (frozen, styled, with the
rule as a comment), an example row marked 【示例】 that readers skip, and below it rows
pre-formatted and guarded by Excel data validation: dropdowns for every enum (and for the
street's communities when given), date and number ranges, text format on ID and phone
columns so Excel never turns an 18-digit ID number into a float. A 填表说明 worksheet
explains the rules in plain Chinese.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.cell import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from schemas import DATASETS, Dataset
from sync.check.normalize import EARLIEST
from sync.check.table import GUIDE_SHEET, LISTS_SHEET
from sync.outputs.template_content import EXAMPLE_COMMUNITY, example_row, field_choices, write_guide

SHEET_TITLES = {"roster": "报到名册", "wishes": "微心愿", "posts": "志愿服务岗"}
EXCEL_TEXT_LIMIT = 255  # Excel rejects a longer inline list or validation message
TITLE_ROW, HEADER_ROW, EXAMPLE_ROW = 1, 2, 3
READY_ROWS = 5000  # rows below the example that get formats and validation (a big street's roster)
LAST_ROW = EXAMPLE_ROW + READY_ROWS
KIND_WIDTHS = {"id": 22, "phone": 16, "date": 13, "int": 12, "number": 12, "name": 10}
KIND_FORMATS = {"id": "@", "phone": "@", "date": "yyyy-mm-dd"}
THIN = Side(style="thin", color="8EA9DB")
# required headers dark with white text, optional ones light: 填表说明 explains the colours
HEADER_FONTS = {True: Font(bold=True, color="FFFFFF"), False: Font(bold=True)}
HEADER_FILLS = {True: PatternFill("solid", fgColor="1F4E78"), False: PatternFill("solid", fgColor="DDEBF7")}
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
HEADER_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
EXAMPLE_FONT = Font(italic=True, color="7F7F7F")


def display_width(text: str) -> int:
    """Columns a text needs: a CJK character is two wide."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def check_stats(d: Dataset, name: str, *checks: str) -> dict[str, Any] | None:
    """Statistics of the first of ``checks`` the field's pandera column carries."""
    return next((c.statistics for c in d.schema.columns[name].checks if c.name in checks), None)


def column_width(dataset: str, name: str, header: str | None = None) -> int:
    """Wide enough for the header, the allowed values and a typical value of the field."""
    d = DATASETS[dataset]
    meta = d.fields[name]
    longest = (check_stats(d, name, "str_length") or {}).get("max_value") or 0
    return max(display_width(header or meta.header) + 4, KIND_WIDTHS.get(meta.kind, 14),
               max((display_width(c) + 4 for c in d.choices(name)), default=0),
               40 if longest >= 100 else 0)


class Lists:
    """Dropdown sources: inline when Excel allows it, else a column of the hidden _lists sheet."""

    def __init__(self, book: Workbook):
        self.book = book
        self.sheet: Worksheet | None = None
        self.used = 0  # columns of the _lists sheet taken so far

    def formula(self, values: tuple[str, ...]) -> str:
        inline = ",".join(values)
        if len(inline) + 2 <= EXCEL_TEXT_LIMIT and all("," not in v and '"' not in v for v in values):
            return f'"{inline}"'
        if self.sheet is None:
            self.sheet = self.book.create_sheet(LISTS_SHEET)
            self.sheet.sheet_state = "hidden"
        self.used += 1
        column = get_column_letter(self.used)
        for i, value in enumerate(values, 1):
            self.sheet[f"{column}{i}"] = value
        return f"'{LISTS_SHEET}'!${column}$1:${column}${len(values)}"


def _validation(d: Dataset, name: str, choices: tuple[str, ...], lists: Lists) -> DataValidation | None:
    meta = d.fields[name]
    common = {"allow_blank": True, "showErrorMessage": True, "errorTitle": f"{meta.header}填写有误",
              "error": meta.rule[:EXCEL_TEXT_LIMIT]}
    if choices:
        return DataValidation(type="list", formula1=lists.formula(choices), **common)
    if meta.kind == "date":
        latest = "TODAY()" if check_stats(d, name, "not_future") is not None else "DATE(9999,12,31)"
        return DataValidation(type="date", operator="between", formula1=f"DATE({EARLIEST.year},{EARLIEST.month},{EARLIEST.day})", formula2=latest, **common)
    bounds = check_stats(d, name, "greater_than_or_equal_to", "in_range")
    if meta.kind in ("int", "number") and bounds:
        kind = "whole" if meta.kind == "int" else "decimal"
        if bounds.get("max_value") is None:
            return DataValidation(type=kind, operator="greaterThanOrEqual", formula1=str(bounds["min_value"]), **common)
        return DataValidation(type=kind, operator="between", formula1=str(bounds["min_value"]),
                              formula2=str(bounds["max_value"]), **common)
    length = check_stats(d, name, "str_length")
    if length:
        return DataValidation(type="textLength", operator="between", formula1=str(length.get("min_value") or 0),
                              formula2=str(length["max_value"]), **common)
    if meta.kind in ("id", "phone"):
        return DataValidation(imeMode="off", **common)  # no IME: no full-width digits
    return None


def _header(sheet: Worksheet, j: int, d: Dataset, name: str, choices: tuple[str, ...]) -> None:
    """The header cell: canonical text, coloured by required or not, the rule as a comment."""
    meta = d.fields[name]
    required = name in d.required
    cell = sheet.cell(HEADER_ROW, j, meta.header)
    cell.font, cell.fill = HEADER_FONTS[required], HEADER_FILLS[required]
    cell.alignment, cell.border = HEADER_ALIGNMENT, HEADER_BORDER
    listed = "、".join(choices)
    note = meta.rule + (f"\n可选：{listed}" if choices and listed not in meta.rule else "")
    cell.comment = Comment(f"{meta.header}：{note}", "台账通", height=110, width=260)


def _register_sheet(book: Workbook, dataset: str, street: str | None, communities: tuple[str, ...],
                    lists: Lists) -> None:
    d = DATASETS[dataset]
    sheet = book.create_sheet(SHEET_TITLES[dataset])
    sheet.merge_cells(f"A{TITLE_ROW}:{get_column_letter(len(d.fields))}{TITLE_ROW}")
    title = sheet.cell(TITLE_ROW, 1, f"{street or ''}{d.title}")
    title.font = Font(bold=True, size=14)
    title.alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[TITLE_ROW].height = 28
    sheet.row_dimensions[HEADER_ROW].height = 30
    example = example_row(dataset, communities[0] if communities else EXAMPLE_COMMUNITY)
    for j, (name, meta) in enumerate(d.fields.items(), 1):
        letter = get_column_letter(j)
        choices = field_choices(d, name, communities)
        _header(sheet, j, d, name, choices)
        sheet.column_dimensions[letter].width = column_width(dataset, name)
        sheet.cell(EXAMPLE_ROW, j, example[name]).font = EXAMPLE_FONT
        if meta.kind in KIND_FORMATS:
            for row in range(EXAMPLE_ROW, LAST_ROW + 1):
                sheet.cell(row, j).number_format = KIND_FORMATS[meta.kind]
        validation = _validation(d, name, choices, lists)
        if validation is not None:
            validation.add(f"{letter}{EXAMPLE_ROW}:{letter}{LAST_ROW}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = f"A{EXAMPLE_ROW}"


def build_template(datasets: list[str], street: str | None = None,
                   communities: list[str] | None = None) -> Workbook:
    """One workbook: a worksheet per dataset (in the order given) plus 填表说明."""
    unknown = [d for d in datasets if d not in DATASETS]
    if unknown:
        raise ValueError(f"未知的台账类型：{'、'.join(unknown)}")
    book = Workbook()
    book.remove(book.active)
    lists = Lists(book)
    names = tuple(communities or ())
    for dataset in datasets:
        _register_sheet(book, dataset, street, names, lists)
    write_guide(book.create_sheet(GUIDE_SHEET), datasets, names, SHEET_TITLES)
    if lists.sheet is not None:
        book.move_sheet(lists.sheet, len(book.sheetnames) - 1 - book.index(lists.sheet))  # last, out of the way
    return book


def parse_communities(text: str | None) -> list[str] | None:
    """``德胜街社区,金三角社区`` (commas of either width, or 、) -> the names; None when empty."""
    names = [n.strip() for n in re.split(r"[,，、]", text or "") if n.strip()]
    return names or None


def write_template(path: str | Path, datasets: list[str], street: str | None = None,
                   communities: list[str] | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_template(datasets, street, communities).save(path)
    return path
