"""Table extraction: find the header row in a raw grid and keep only the data rows.

Title rows, blank rows, totals (合计/总计/小计), footer lines (填表人/审核人/…) and the
template's example row are not data. Every kept row keeps its own sheet row number.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any


from schemas import DATASETS, ERROR, INFO, Dataset
from sync.sources.grid import Grid, column_letter
from sync.check.headers import HEADER_SCAN_ROWS, find_header, normalise_header, one_line
from sync.check.issues import Issue
from sync.check.merges import Origins, data_origins, header_rows

TOTALS = ("合计", "总计", "小计")
FOOTERS = ("填表人", "审核人", "填报日期", "制表", "填报单位", "单位负责人", "负责人签字")
_LABEL_STARTS = frozenset(word[0] for word in TOTALS + FOOTERS)
EXAMPLE_MARK = "【示例】"  # the templates' example row carries this; readers skip it
GUIDE_SHEET = "填表说明"  # the templates' instructions worksheet
LISTS_SHEET = "_lists"  # the templates' hidden worksheet of dropdown lists
TEMPLATE_SHEETS = frozenset({GUIDE_SHEET, LISTS_SHEET})  # not registers: readers skip them silently


@dataclass
class Table:
    grid: Grid
    dataset: Dataset
    header_row: int  # the sheet's own row number of the header
    columns: dict[str, int]  # canonical field -> column position in the grid
    headers: dict[str, str]  # canonical field -> the header as the sheet spells it, on one line
    row_index: list[int]  # positions in grid.rows of the data rows
    issues: list[Issue] = field(default_factory=list)
    blocked: bool = False  # a sheet-level error: no row of this sheet may reach the mirror
    origins: Origins = field(default_factory=dict)  # merged cells of data rows -> the cell holding their value

    @property
    def sheet_rows(self) -> list[int]:
        return [self.grid.sheet_row(i) for i in self.row_index]

    def column_values(self, name: str) -> list[Any] | None:
        j = self.columns.get(name)
        if j is None:
            return None
        rows, origins = self.grid.rows, self.origins
        if not origins:
            return [rows[i][j] if j < len(rows[i]) else "" for i in self.row_index]
        cells = (origins.get((i, j), (i, j)) for i in self.row_index)
        return [rows[i][c] if c < len(rows[i]) else "" for i, c in cells]

    def cell_ref(self, position: int, name: str) -> str:
        """The A1 cell of a row's field: for a merged cell, the top-left one, where staff see the value."""
        cell = (self.row_index[position], self.columns[name])
        return self.grid.cell_ref(*self.origins.get(cell, cell))


def sheet_issue(grid: Grid, severity: str, check: str, message: str, *,
                column: str | None = None, name: str | None = None) -> Issue:
    return Issue(severity, grid.title, None, None, column, name, None, check, message)


def _is_label(text: str) -> bool:
    """Whether a cell's text starts a totals or footer line (合计…, 填表人…)."""
    # the cheap test first: a text already in NFKC form without any of the labels' first
    # characters can't normalise to one, and nearly every data cell is such a text
    if _LABEL_STARTS.isdisjoint(text) and unicodedata.is_normalized("NFKC", text):
        return False
    return normalise_header(text).startswith(TOTALS + FOOTERS)


def _blank(cell: Any) -> bool:
    return cell in ("", None) or (isinstance(cell, str) and not cell.strip())


def is_data_row(row: list[Any]) -> bool:
    """Not blank, not a totals or footer line, not the templates' example row: one pass over the
    cells (every row of every sheet comes here)."""
    data, texts = False, 0
    for c in row:
        if isinstance(c, str):
            if not c.strip():
                continue
            texts += 1
            if texts <= 3 and _is_label(c):  # a label leads its row: a note that says 审核人… further right is data
                return False
            if c.lstrip().startswith(EXAMPLE_MARK):
                return False
            data = True
        elif c is not None:
            data = True
    return data


def extract_table(grid: Grid, dataset: str | None = None) -> Table | list[Issue]:
    """The grid's table, or the sheet-level issues saying why there is none."""
    scanned = header_rows(grid, HEADER_SCAN_ROWS)  # a header merged down over a two-level header counts
    match = find_header(scanned, dataset)
    if match is None:
        if dataset:
            d = DATASETS[dataset]
            wanted = "、".join(list(d.fields.values())[i].header for i in range(4))
            return [sheet_issue(grid, ERROR, "header_not_found",
                                f"前{HEADER_SCAN_ROWS}行中找不到“{d.title}”的表头（应有 {wanted} 等列）")]
        return [sheet_issue(grid, INFO, "not_a_register",
                            f"未识别为台账（前{HEADER_SCAN_ROWS}行中没有名册、微心愿或志愿服务岗的表头），已跳过")]
    d = match.dataset
    header = scanned[match.index]
    columns = {f: j for j, f in match.columns.items()}
    headers = {f: one_line(header[j]) for f, j in columns.items()}
    known = sorted(columns.values())  # a row with nothing under a register's columns (only a 序号) is blank
    key_at = columns.get(d.key)

    def repeats_header(row: list[Any]) -> bool:
        # sheets laid out for printing repeat the header on every page: its key cell gives it away
        return key_at is not None and key_at < len(row) and row[key_at] == header[key_at]

    # data rows are told by their own cells, before any merged value is read into them
    data = [i for i, row in enumerate(grid.rows) if i > match.index and is_data_row(row)
            and not all(_blank(row[j]) for j in known if j < len(row)) and not repeats_header(row)]
    table = Table(grid, d, grid.sheet_row(match.index), columns, headers, data,
                  origins=data_origins(grid, match.index, data))
    for name, positions in match.duplicates.items():
        letters = "、".join(column_letter(grid.first_col + j) + "列" for j in positions)
        table.issues.append(sheet_issue(grid, ERROR, "duplicate_header",
                                        f"“{d.fields[name].header}”列重复出现（{letters}）：请删除或改名多余的列",
                                        column=headers[name], name=name))
    for name in d.required:
        if name not in columns:
            meta = d.fields[name]
            also = f"（也可写作：{'、'.join(meta.aliases)}）" if meta.aliases else ""
            table.issues.append(sheet_issue(grid, ERROR, "missing_column",
                                            f"缺少必填列“{meta.header}”{also}", column=meta.header, name=name))
    for text in match.unknown.values():
        table.issues.append(sheet_issue(grid, INFO, "unknown_column",
                                        f"“{text}”列不属于{d.title}，已忽略", column=text))
    for j in match.blank:
        letter = column_letter(grid.first_col + j)
        table.issues.append(sheet_issue(grid, INFO, "blank_header", f"{letter}列有数据但没有列名，已忽略"))
    table.blocked = any(i.severity == ERROR for i in table.issues)
    return table
