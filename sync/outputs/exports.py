"""Spreadsheets we hand out (mail attachments, app downloads): safe to open in Excel or WPS.

A cell that starts with ``= + - @``, a tab or a carriage return is read as a formula by
spreadsheet programs (CSV/formula injection, OWASP), so text from staff sheets is
neutralised with a leading apostrophe before it lands in a file we produce.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from schemas import DATASETS
from sync.check.issues import SEVERITY_WORDS
from sync.terms import FORMULA_STARTS

ISSUE_COLUMNS = (("source", "数据源"), ("dataset", "台账"), ("sheet", "工作表"), ("row", "行号"),
                 ("cell", "单元格"), ("column", "列"), ("severity", "级别"), ("value", "当前值"),
                 ("message", "问题说明"), ("check", "规则"))
MAX_WIDTH = 60


def safe_cell(value: Any) -> Any:
    """The value, with text that a spreadsheet would run as a formula made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _width(value: Any) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)  # CJK glyphs take two columns


def add_sheet(book: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """One worksheet: a bold, frozen, filterable header row and the rows, every cell neutralised."""
    ws = book.create_sheet(title)
    ws.append([safe_cell(h) for h in headers])
    widths = [_width(h) for h in headers]
    for row in rows:
        ws.append([safe_cell(v) for v in row])
        widths = [max(w, _width(v)) for w, v in zip(widths, row)] + widths[len(row):]
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    if ws.max_row > 1:
        ws.auto_filter.ref = ws.dimensions
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(width + 2, MAX_WIDTH)


def rows_to_xlsx(sheets: Mapping[str, tuple[Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """An .xlsx with one worksheet per entry: ``{title: (headers, rows)}``."""
    book = Workbook()
    book.remove(book.active)
    for title, (headers, rows) in sheets.items():
        add_sheet(book, title, headers, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _as_mapping(item: Any) -> Mapping[str, Any]:
    if dataclasses.is_dataclass(item):
        return dataclasses.asdict(item)
    return item if isinstance(item, Mapping) else item._mapping  # SQLAlchemy rows too


def issue_rows(issues: Iterable[Any]) -> list[list[Any]]:
    """Issues (mappings, SQLAlchemy rows or ``sync.check.issues.Issue``) as rows under ISSUE_COLUMNS."""
    rows = []
    for item in issues:
        issue = _as_mapping(item)
        dataset = issue.get("dataset")
        words = {"dataset": DATASETS[dataset].title if dataset in DATASETS else dataset,
                 "severity": SEVERITY_WORDS.get(issue.get("severity"), issue.get("severity"))}
        rows.append([words.get(key, issue.get(key)) for key, _title in ISSUE_COLUMNS])
    return rows


def issues_workbook(issues: Iterable[Any], title: str = "问题清单") -> bytes:
    """An .xlsx listing issues with their cell references, one row each."""
    return rows_to_xlsx({title: ([t for _k, t in ISSUE_COLUMNS], issue_rows(issues))})
