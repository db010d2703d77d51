"""Readers: a workbook or CSV file on disk becomes raw grids of typed cells.

Workbooks go through python-calamine (Rust: fast, and it never evaluates anything);
CSV is decoded as UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030 (a superset
of GBK), never guessed into mojibake.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import python_calamine as calamine

from sync.sources.grid import Grid, SourceUnreadable, Workbook, is_panic
from sync.sources.limits import (MAX_CELLS, MAX_COLUMNS, MAX_FILE_BYTES, MAX_UNZIPPED_BYTES, CellBudget,
                                 check_sheet_count, check_title)
from sync.terms import RESULTS_SHEET

if TYPE_CHECKING:
    from sync.sources.xlsx_errors import Errors

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
ZIP_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".ods"}
CFB_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
SUPPORTED = "xlsx、xlsm、xls、xlsb、ods、csv"


def fingerprint(data: bytes) -> str:
    """Content hash of exactly the bytes that are parsed: an unchanged file costs one read and no parsing."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def load_bytes(path: str | Path) -> bytes:
    """A file's bytes, read once, after the checks that need no parsing (exists, type, size)."""
    path = Path(path)
    if not path.is_file():
        raise SourceUnreadable(f"找不到文件：{path}")
    check_name(path.name)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SourceUnreadable(f"文件过大（{size // 1024 // 1024} MB），超过 {MAX_FILE_BYTES // 1024 // 1024} MB 上限：{path.name}")
    return path.read_bytes()


def check_name(name: str) -> None:
    """Refuse a file type we don't read, by its name's suffix."""
    suffix = Path(name).suffix.lower()
    if suffix not in WORKBOOK_SUFFIXES and suffix != ".csv":
        raise SourceUnreadable(f"不支持的文件类型“{Path(name).suffix or '无扩展名'}”：请使用 {SUPPORTED} 文件")


def read_file(path: str | Path) -> Workbook:
    """Read every worksheet of a file. Raises SourceUnreadable with a Chinese reason."""
    path = Path(path)
    return read_bytes(load_bytes(path), path.name)


def read_bytes(data: bytes, name: str, digest: str | None = None) -> Workbook:
    """Parse a workbook or CSV held in memory; ``name`` (its file name) gives the type.

    The fingerprint is of these very bytes: a file rewritten while it is read can never be
    parsed half-written and then recorded as seen.
    """
    check_name(name)
    if not data:
        raise SourceUnreadable(f"文件是空的（0字节）：{name}")
    if len(data) > MAX_FILE_BYTES:
        raise SourceUnreadable(f"文件过大（{len(data) // 1024 // 1024} MB），超过 {MAX_FILE_BYTES // 1024 // 1024} MB 上限：{name}")
    if Path(name).suffix.lower() in (".xlsx", ".xlsm"):  # imported here, not in the forked child (no import lock there)
        import sync.sources.xlsx_errors  # noqa: F401
    from sync.sources.isolated import read_isolated
    grids = read_isolated(read_grids, data, name, name=name)
    return Workbook(name=name, grids=grids, fingerprint=digest or fingerprint(data), data=data)


def read_grids(data: bytes, name: str) -> list[Grid]:
    """The worksheets of a file's bytes, parsed in this process: ``read_bytes`` runs it in a capped child."""
    return read_csv(data, name) if Path(name).suffix.lower() == ".csv" else read_workbook(data, name)


def _check_zip(data: bytes, name: str) -> None:
    if data[:8] == CFB_MAGIC:  # an encrypted OOXML file is wrapped in an OLE container
        raise SourceUnreadable(f"文件设有密码保护，无法读取：请取消密码后再提供：{name}")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            inflated = sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile:
        raise SourceUnreadable(f"文件已损坏或不是有效的 {Path(name).suffix} 文件（无法解压）：{name}") from None
    if inflated > MAX_UNZIPPED_BYTES:
        raise SourceUnreadable(f"文件解压后过大（{inflated // 1024 // 1024} MB），疑似压缩炸弹，已拒绝：{name}")


def _open(data: bytes, name: str) -> calamine.CalamineWorkbook:
    """calamine over the bytes in memory; its format sniffing hides a format's own error (a password,
    say), so a file it can't place is opened once more by its name's suffix to get that error."""
    try:
        return calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except calamine.PasswordError:
        raise
    except Exception:  # noqa: BLE001 - retried below by suffix, which raises the precise error
        with tempfile.NamedTemporaryFile(suffix=Path(name).suffix.lower()) as copy:
            copy.write(data)
            copy.flush()
            return calamine.CalamineWorkbook.from_path(copy.name)


def read_workbook(data: bytes, name: str) -> list[Grid]:
    suffix = Path(name).suffix.lower()
    ooxml = suffix in (".xlsx", ".xlsm")
    if suffix in ZIP_SUFFIXES:
        _check_zip(data, name)
    try:
        if ooxml:  # openpyxl inside: not for a fingerprint check
            from sync.sources.xlsx_errors import declared_sizes, formula_errors
            declared = CellBudget(name, "（按文件声明的范围）")
            for title, (height, width) in declared_sizes(io.BytesIO(data)).items():
                declared.take(title, height, width)
        book = _open(data, name)
        worksheets = [m for m in book.sheets_metadata
                      if m.typ == calamine.SheetTypeEnum.WorkSheet and m.name != RESULTS_SHEET]
        check_sheet_count(len(worksheets), name)
        budget = CellBudget(name)
        grids = [_read_sheet(book, meta, budget) for meta in worksheets]
        if ooxml:
            _restore_errors(grids, formula_errors(io.BytesIO(data)))
        if suffix == ".ods":  # calamine knows no .ods merges
            from sync.sources.ods_merges import ods_merges
            merges = ods_merges(io.BytesIO(data))
            for grid in grids:
                grid.merges = merges.get(grid.title, [])
    except SourceUnreadable:
        raise
    except MemoryError:  # the child's cap: reported as such, not as a corrupt file
        raise
    except calamine.PasswordError:
        raise SourceUnreadable(f"文件设有密码保护，无法读取：请取消密码后再提供：{name}") from None
    except Exception as exc:  # calamine raises many kinds for corrupt input; none may escape as a traceback
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise SourceUnreadable(f"文件已损坏或格式无法识别（{reason}）：{name}") from None
    except BaseException as exc:  # a Rust panic inside calamine (a BaseException); Ctrl-C and exit pass
        if not is_panic(exc):
            raise
        reason = str(exc).splitlines()[0][:120] if str(exc) else "panic"
        raise SourceUnreadable(f"读取组件出错（{reason}），文件可能已损坏或表格范围异常大：{name}") from None
    if not grids:
        raise SourceUnreadable(f"文件中没有工作表：{name}")
    return grids


def _restore_errors(grids: list[Grid], errors: Errors) -> None:
    """Put back the error text (#N/A …) of cells calamine read as empty."""
    for grid in grids:
        for (row, column), text in errors.get(grid.title, {}).items():
            if row <= len(grid.rows) and column <= len(grid.rows[row - 1]) and grid.rows[row - 1][column - 1] == "":
                grid.rows[row - 1][column - 1] = text


def _read_sheet(book: calamine.CalamineWorkbook, meta: calamine.SheetMetadata, budget: CellBudget) -> Grid:
    sheet = book.get_sheet_by_name(meta.name)
    end = sheet.end  # (last row, last column), 0-based; None for an empty sheet
    height, width = (end[0] + 1, end[1] + 1) if end else (0, 0)
    budget.take(meta.name, height, width)  # before the rows are made
    rows = sheet.to_python(skip_empty_area=False)
    # calamine knows the merged ranges of .xlsx/.xlsm/.xls (absolute, like these rows); .ods: ods_merges; .xlsb: None
    merges = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or ()]
    return Grid(title=meta.name, rows=rows, hidden=meta.visible != calamine.SheetVisibleEnum.Visible, merges=merges)


def _looks_chinese(text: str, sample: int = 65536) -> bool:
    """GB18030 decodes most byte soups: Latin-1 or Big5 text comes out as rare hanzi and private-use
    characters (Fran鏾is). Real GBK registers are mostly GB2312 characters, rare names included:
    refuse when more than a third of the non-ASCII characters are outside GB2312."""
    head = text[:sample]
    wide = sum(1 for c in head if c > "\x7f")
    uncommon = head.encode("gb2312", errors="replace").count(b"?") - head.count("?")
    return uncommon * 3 <= wide


def decode_text(data: bytes, name: str) -> str:
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceUnreadable(f"文件不是文本格式的 CSV（含二进制内容）：{name}")
    for encoding in ("utf-8-sig", "utf-16", "gb18030"):
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding != "gb18030" or _looks_chinese(text):
            return text
    raise SourceUnreadable(f"无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV：{name}")


def read_csv(data: bytes, name: str) -> list[Grid]:
    title = Path(name).stem
    check_title(title, name)  # the file's name is the worksheet's title
    text = decode_text(data, name)
    try:  # only the delimiter: the sniffer's quoting guesses come from a sample and can be wrong
        delimiter = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    rows: list[list[str]] = []
    width = 0
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(row)
            width = max(width, len(row))
            if width > MAX_COLUMNS or len(rows) * width > MAX_CELLS:
                # the padded rectangle so far, before it is built: a huge file never fills memory first
                CellBudget(name).take(title, len(rows), width)
    except csv.Error as exc:
        raise SourceUnreadable(f"CSV 格式错误（{exc}）：{name}") from None
    return [Grid(title=title, rows=[r + [""] * (width - len(r)) for r in rows])]
