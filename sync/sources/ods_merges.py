"""Merged ranges of .ods files, which python-calamine reports for .xlsx/.xls only.

An OpenDocument spreadsheet marks a merge on its top-left cell (``table:number-rows-spanned``,
``table:number-columns-spanned``); the cells it covers follow as ``table:covered-table-cell``.
Positions are counted the way calamine lays out its rows (from A1, repeated rows and cells
expanded). The XML is streamed (defusedxml: no entity is ever expanded) and only when the
content holds a span at all.
"""

from __future__ import annotations

import io
import zipfile
from typing import BinaryIO

from defusedxml.ElementTree import iterparse

from sync.sources.grid import Merge

TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
CELLS = (f"{TABLE}table-cell", f"{TABLE}covered-table-cell")


def _count(element, name: str) -> int:
    return int(element.get(f"{TABLE}{name}", 1))


def ods_merges(source: BinaryIO) -> dict[str, list[Merge]]:
    """Worksheet title -> its merged ranges; {} when there are none (or no content part)."""
    with zipfile.ZipFile(source) as zf:
        if "content.xml" not in zf.namelist():
            return {}
        data = zf.read("content.xml")
    if b"-spanned=" not in data:
        return {}
    found: dict[str, list[Merge]] = {}
    title, depth, row, col = "", 0, 0, 0
    for event, element in iterparse(io.BytesIO(data), events=("start", "end")):
        tag = element.tag
        if tag == f"{TABLE}table":
            depth += 1 if event == "start" else -1
            if event == "start" and depth == 1:
                title, row = element.get(f"{TABLE}name", ""), 0
        elif depth != 1:  # a table inside a cell: its rows are not the sheet's
            continue
        elif tag == f"{TABLE}table-row":
            if event == "start":
                col = 0
            else:
                row += _count(element, "number-rows-repeated")
                element.clear()
        elif tag in CELLS and event == "start":
            rows, cols = _count(element, "number-rows-spanned"), _count(element, "number-columns-spanned")
            if rows > 1 or cols > 1:
                found.setdefault(title, []).append((row, col, row + rows - 1, col + cols - 1))
            col += _count(element, "number-columns-repeated")
    return found
