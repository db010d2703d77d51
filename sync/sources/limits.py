"""How much of a file we agree to read, checked before anything is built (issue 14).

A street register is a few thousand rows of a dozen columns in a few worksheets. Every limit
here is far above that and far below what would hurt the machine; each refusal is one
Chinese line that names the limit. The rectangle a reader hands on is padded (every row as
wide as the widest), so cells are counted as height × width, over the whole workbook, before
each worksheet's rows are made.
"""

from __future__ import annotations

from sync.sources.grid import SourceUnreadable

MAX_FILE_BYTES = 100 * 1024 * 1024  # a street register is a few MiB; 100 MiB is something else
MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024  # zip bombs: refuse before calamine inflates them
MAX_SHEETS = 200  # worksheets in one workbook
MAX_COLUMNS = 1_000  # a register has a dozen or two
MAX_CELLS = 5_000_000  # padded cells of the whole workbook: ~450,000 rows of 11 columns
MAX_TITLE = 200  # characters of a worksheet title: the mirror's sheet columns (String(200) on PostgreSQL)
# reading happens in a child process with this address-space cap and wall-time limit
# (sync.sources.isolated): what gets past the checks above still cannot exhaust the machine
READ_MEMORY_BYTES = 2 * 1024 * 1024 * 1024
READ_SECONDS = 600


class CellBudget:
    """The padded cells of one workbook, counted worksheet by worksheet before each is built."""

    def __init__(self, file_name: str, what: str = ""):
        self.file_name, self.what, self.used = file_name, what, 0

    def take(self, sheet: str, height: int, width: int) -> None:
        """Count a worksheet of ``height`` rows padded to ``width`` columns; refuse past a limit."""
        check_title(sheet, self.file_name)
        if width > MAX_COLUMNS:
            raise SourceUnreadable(f"工作表“{sheet}”{self.what}有 {width:,} 列，超过 {MAX_COLUMNS:,} 列的上限："
                                   f"请删除右侧多余的列后再提供：{self.file_name}")
        self.used += height * width
        if self.used > MAX_CELLS:
            raise SourceUnreadable(f"工作表“{sheet}”{self.what}过大（{height}行×{width}列），全部工作表合计超过 "
                                   f"{MAX_CELLS:,} 个单元格的上限：请拆分后再提供：{self.file_name}")


def check_title(title: str, file_name: str) -> None:
    """A title the mirror can store on every database (Excel allows 31 characters; a CSV's name or a
    Google Sheet's title can be longer)."""
    if len(title) > MAX_TITLE:
        raise SourceUnreadable(f"工作表名称过长（{len(title)} 个字符），不能超过 {MAX_TITLE} 个字符：请改短后再提供："
                               f"{file_name[:60]}")


def check_sheet_count(count: int, file_name: str) -> None:
    if count > MAX_SHEETS:
        raise SourceUnreadable(f"工作表过多（{count:,} 个），超过 {MAX_SHEETS} 个的上限：请拆分后再提供：{file_name}")
