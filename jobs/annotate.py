"""The annotated workbook: a copy of the staff's own workbook with every invalid cell marked.

Errors get a light red fill, warnings a yellow one, and each marked cell a comment with the
message; a ``校验结果`` worksheet lists every issue (sheet-level ones included) with a link
to its cell. The original file is only read. ``.xlsx``/``.xlsm`` are copied with openpyxl
(values and formulas as they were); ``.xls``/``.xlsb``/``.ods``/``.csv`` and Google sheets
are rewritten as a new ``.xlsx`` holding the read grid at the same cell positions.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from schemas import ERROR, WARNING
from sync.outputs.exports import ISSUE_COLUMNS, add_sheet, issue_rows, safe_cell
from sync.check.issues import SEVERITY_WORDS
from sync.terms import RESULTS_SHEET
from sync.sources.grid import Grid, SourceUnreadable
from sync.sources.grid import Workbook as SourceWorkbook
from sync.check.issues import Issue
from sync.sources.readers import read_file
from sync.registry import get_source
from sync.run import read_source, source_context
from sync.service import Mirror, UnknownSource
from sync.check.source import check_source
from sync.check.validate import SheetResult

FILLS = {ERROR: PatternFill("solid", fgColor="FFC7CE"),  # Excel's own "light red fill"
         WARNING: PatternFill("solid", fgColor="FFEB9C")}  # and its "yellow fill"
OPENPYXL_SUFFIXES = {".xlsx", ".xlsm"}
AUTHOR = "台账通"


def _target(ws: Worksheet, ref: str):
    """The cell to mark: a merged area is marked on its top-left cell, the only one Excel shows."""
    cell = ws[ref]
    if isinstance(cell, MergedCell):
        area = next(r for r in ws.merged_cells.ranges if ref in r)
        cell = ws.cell(area.min_row, area.min_col)
    return cell


def _mark(ws: Worksheet, found: list[Issue]) -> None:
    by_cell: dict[str, list[Issue]] = defaultdict(list)
    for issue in found:
        if issue.cell and issue.severity in FILLS:
            by_cell[issue.cell].append(issue)
    for ref, here in by_cell.items():
        cell = _target(ws, ref)
        cell.fill = FILLS[ERROR if any(i.severity == ERROR for i in here) else WARNING]
        lines = list(dict.fromkeys(f"【{SEVERITY_WORDS[i.severity]}】{i.message}" for i in here))  # a merged block: once
        cell.comment = Comment("\n".join(lines), AUTHOR, width=320, height=40 + 20 * len(lines))


def _results_sheet(book: Workbook, results: list[SheetResult]) -> None:
    title = RESULTS_SHEET
    while title in book.sheetnames:
        title = f"{title}_"
    found = [i for r in results for i in r.issues]
    add_sheet(book, title, [t for _k, t in ISSUE_COLUMNS], issue_rows(
        asdict(i) | {"dataset": r.dataset} for r in results for i in r.issues))
    ws = book[title]
    cell_column = [k for k, _t in ISSUE_COLUMNS].index("cell") + 1
    for row, issue in enumerate(found, start=2):
        if issue.cell and issue.sheet in book.sheetnames:
            link = ws.cell(row, cell_column)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{issue.sheet}'!{issue.cell}")


def _sheet_title(title: str, taken: list[str]) -> str:
    """A valid, unused worksheet title (Excel: at most 31 characters, none of []:*?/\\)."""
    clean = re.sub(r"[\[\]:*?/\\]", "_", title)[:31] or "Sheet"
    while clean in taken:
        clean = clean[:29] + "_" + str(len(taken))
    return clean


def grids_workbook(grids: list[Grid], results: list[SheetResult], out: Path) -> Path:
    """A new .xlsx of the read grids, cells at their original positions, marked."""
    book = Workbook()
    book.remove(book.active)
    by_sheet = {r.sheet: r.issues for r in results}
    for grid in grids:
        ws = book.create_sheet(_sheet_title(grid.title, book.sheetnames))
        for i, row in enumerate(grid.rows):
            for j, value in enumerate(row):
                if value not in ("", None):
                    ws.cell(grid.first_row + i, grid.first_col + j, safe_cell(value))
        _mark(ws, by_sheet.get(grid.title, []))
    _results_sheet(book, results)
    book.save(out)
    return out


def annotate(workbook: SourceWorkbook, results: list[SheetResult], out: str | Path) -> Path:
    """Write the annotated copy of a workbook just read and checked to ``out``.

    An .xlsx/.xlsm file is copied from the very bytes that were checked (values, formulas and
    formats as they were); any other file and Google sheets become a new .xlsx of the read grids.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = Path(workbook.name).suffix.lower()
    if workbook.data is None or suffix not in OPENPYXL_SUFFIXES:
        return grids_workbook(workbook.grids, results, out)
    keep_vba = suffix == ".xlsm" and out.suffix.lower() == ".xlsm"
    try:
        book = load_workbook(io.BytesIO(workbook.data), keep_vba=keep_vba, rich_text=True)
    except Exception as exc:  # openpyxl raises many kinds for files calamine could read; none is a traceback
        raise SourceUnreadable(f"无法用 openpyxl 打开工作簿（{type(exc).__name__}）：{workbook.name}") from None
    for r in results:
        if r.sheet in book.sheetnames:
            _mark(book[r.sheet], r.issues)
    _results_sheet(book, results)
    book.save(out)
    return out


def annotate_workbook(path: str | Path, results: list[SheetResult], out: str | Path) -> Path:
    """Write the annotated copy of the workbook at ``path`` to ``out``; ``path`` is never written."""
    path, out = Path(path), Path(out)
    if out.resolve() == path.resolve():
        raise SourceUnreadable(f"输出文件不能是原文件本身：{out}")
    return annotate(read_file(path), results, out)


def annotate_source(mirror: Mirror, source_name: str, out: Path) -> Path:
    """Check the source as it is now and write its annotated copy to ``out``."""
    source = get_source(mirror.engine, source_name)
    if source is None:
        raise UnknownSource(f"没有名为“{source_name}”的数据源")
    workbook = read_source(source, None)
    return annotate(workbook, check_source(workbook, source_context(mirror.engine, source, mirror.vault)), out)
