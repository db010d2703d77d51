"""Readers: a workbook or CSV file on disk becomes raw grids of typed cells.

Workbooks go through python-calamine (Rust: fast, and it never evaluates anything);
CSV is decoded as UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030 (a superset
of GBK), never guessed into mojibake.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import python_calamine as calamine

from sync.sources.grid import Grid, SourceUnreadable, Workbook

if TYPE_CHECKING:
    from sync.sources.xlsx_errors import Errors

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
ZIP_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".ods"}
MAX_FILE_BYTES = 100 * 1024 * 1024  # a street register is a few MiB; 100 MiB is something else
MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024  # zip bombs: refuse before calamine inflates them
MAX_CELLS = 5_000_000  # ~450,000 rows of 11 columns: far beyond a street register; refuse, not swap
CFB_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
SUPPORTED = "xlsx、xlsm、xls、xlsb、ods、csv"


def fingerprint(path: Path) -> str:
    """Content hash: an unchanged file costs one read of its bytes and no parsing."""
    with path.open("rb") as f:
        return "sha256:" + hashlib.file_digest(f, "sha256").hexdigest()


def read_file(path: str | Path, digest: str | None = None) -> Workbook:
    """Read every worksheet of a file. Raises SourceUnreadable with a Chinese reason.

    ``digest`` is the file's fingerprint when the caller has just taken it. It is taken before
    parsing: a file saved again mid-read then differs from it, and the next sync reads it anew.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceUnreadable(f"找不到文件：{path}")
    suffix = path.suffix.lower()
    if suffix not in WORKBOOK_SUFFIXES and suffix != ".csv":
        raise SourceUnreadable(f"不支持的文件类型“{path.suffix or '无扩展名'}”：请使用 {SUPPORTED} 文件")
    size = path.stat().st_size
    if size == 0:
        raise SourceUnreadable(f"文件是空的（0字节）：{path.name}")
    if size > MAX_FILE_BYTES:
        raise SourceUnreadable(f"文件过大（{size // 1024 // 1024} MB），超过 {MAX_FILE_BYTES // 1024 // 1024} MB 上限：{path.name}")
    digest = digest or fingerprint(path)
    grids = read_csv(path) if suffix == ".csv" else read_workbook(path)
    return Workbook(name=path.name, grids=grids, fingerprint=digest)


def _check_zip(path: Path) -> None:
    with path.open("rb") as f:
        if f.read(8) == CFB_MAGIC:  # an encrypted OOXML file is wrapped in an OLE container
            raise SourceUnreadable(f"文件设有密码保护，无法读取：请取消密码后再提供：{path.name}")
    try:
        with zipfile.ZipFile(path) as zf:
            inflated = sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile:
        raise SourceUnreadable(f"文件已损坏或不是有效的 {path.suffix} 文件（无法解压）：{path.name}") from None
    if inflated > MAX_UNZIPPED_BYTES:
        raise SourceUnreadable(f"文件解压后过大（{inflated // 1024 // 1024} MB），疑似压缩炸弹，已拒绝：{path.name}")


def read_workbook(path: Path) -> list[Grid]:
    if path.suffix.lower() in ZIP_SUFFIXES:
        _check_zip(path)
    try:
        book = calamine.CalamineWorkbook.from_path(str(path))
        grids = [_read_sheet(book, meta) for meta in book.sheets_metadata
                 if meta.typ == calamine.SheetTypeEnum.WorkSheet]
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            from sync.sources.xlsx_errors import formula_errors  # openpyxl inside: not for a fingerprint check
            _restore_errors(grids, formula_errors(path))
    except SourceUnreadable:
        raise
    except calamine.PasswordError:
        raise SourceUnreadable(f"文件设有密码保护，无法读取：请取消密码后再提供：{path.name}") from None
    except Exception as exc:  # calamine raises many kinds for corrupt input; none may escape as a traceback
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise SourceUnreadable(f"文件已损坏或格式无法识别（{reason}）：{path.name}") from None
    if not grids:
        raise SourceUnreadable(f"文件中没有工作表：{path.name}")
    return grids


def _restore_errors(grids: list[Grid], errors: Errors) -> None:
    """Put back the error text (#N/A …) of cells calamine read as empty."""
    for grid in grids:
        for (row, column), text in errors.get(grid.title, {}).items():
            if row <= len(grid.rows) and column <= len(grid.rows[row - 1]) and grid.rows[row - 1][column - 1] == "":
                grid.rows[row - 1][column - 1] = text


def _read_sheet(book: calamine.CalamineWorkbook, meta: calamine.SheetMetadata) -> Grid:
    sheet = book.get_sheet_by_name(meta.name)
    end = sheet.end  # (last row, last column), 0-based; None for an empty sheet
    height, width = (end[0] + 1, end[1] + 1) if end else (0, 0)
    if height * width > MAX_CELLS:
        raise SourceUnreadable(
            f"工作表“{meta.name}”过大（{height}行×{width}列），"
            f"超过 {MAX_CELLS:,} 个单元格的上限：请拆分后再提供")
    rows = sheet.to_python(skip_empty_area=False)
    return Grid(title=meta.name, rows=rows, hidden=meta.visible != calamine.SheetVisibleEnum.Visible)


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


def read_csv(path: Path) -> list[Grid]:
    text = decode_text(path.read_bytes(), path.name)
    try:  # only the delimiter: the sniffer's quoting guesses come from a sample and can be wrong
        delimiter = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    rows: list[list[str]] = []
    cells = 0
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            cells += len(row)
            if cells > MAX_CELLS:  # checked while reading: a huge file never fills memory first
                raise SourceUnreadable(f"CSV 过大（超过 {MAX_CELLS:,} 个单元格的上限）：请拆分后再提供：{path.name}")
            rows.append(row)
    except csv.Error as exc:
        raise SourceUnreadable(f"CSV 格式错误（{exc}）：{path.name}") from None
    width = max((len(r) for r in rows), default=0)
    return [Grid(title=path.stem, rows=[r + [""] * (width - len(r)) for r in rows])]
