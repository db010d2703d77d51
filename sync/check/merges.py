"""Merged cells, read the way a person reads them.

Staff merge 社区 / 报到社区 (also 网格, 工作单位, 认领单位, a status) down over the rows of each
block, and merge header cells down over a two-level header (序号 and 姓名 beside 基本信息 / 联系方式
group cells). A reader hands the value in the top-left cell only; a person reads it in every cell
of the range. So:

- **the header**: a blank header cell under a cell merged down from a row above takes its text
  (a group cell merged *across* stays where it is: it names no column);
- **the data**: a covered cell of a data row reads the top-left value of its range, and an issue
  about it names the top-left cell, where staff see and edit the value (a note on a covered
  cell is hidden by the merge). Only ranges below the header are filled, and only over data
  rows: a range running on over a blank or totals row never makes that row look like data.

The grid itself is never changed: a workbook may be checked more than once.
"""

from __future__ import annotations

from typing import Any

from sync.sources.grid import Grid

Origins = dict[tuple[int, int], tuple[int, int]]  # covered (row, column) in grid.rows -> its range's top-left


def header_rows(grid: Grid, scan: int) -> list[list[Any]]:
    """``grid.rows`` with the first ``scan`` rows read through vertical merges (for finding the header)."""
    if not grid.merges:
        return grid.rows
    top = [list(row) for row in grid.rows[:scan]]
    for r0, c0, r1, _last_col in grid.merges:
        if r0 >= len(top) or c0 >= len(top[r0]) or _blank(top[r0][c0]):
            continue
        for i in range(r0 + 1, min(r1, len(top) - 1) + 1):
            if c0 < len(top[i]) and _blank(top[i][c0]):
                top[i][c0] = top[r0][c0]  # the column the range starts in: a header merged down
    return top + grid.rows[scan:]


def data_origins(grid: Grid, header_index: int, data_rows: list[int]) -> Origins:
    """Covered cells of the data rows -> the top-left cell whose value they show."""
    if not grid.merges:
        return {}
    wanted = set(data_rows)
    width = max((len(row) for row in grid.rows), default=0)
    origins: Origins = {}
    for r0, c0, r1, c1 in grid.merges:
        if r0 <= header_index or r0 >= len(grid.rows):
            continue  # a title or a header merge; a range reaching past the cells read holds nothing more
        for i in range(r0, min(r1, len(grid.rows) - 1) + 1):
            if i not in wanted:
                continue
            for j in range(c0, min(c1, width - 1) + 1):
                if (i, j) != (r0, c0):
                    origins[(i, j)] = (r0, c0)
    return origins


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())
