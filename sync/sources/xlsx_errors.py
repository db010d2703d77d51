"""What we read from an .xlsx/.xlsm package ourselves, around python-calamine.

Formula error cells (#REF!, #N/A, …), which python-calamine hands back as empty strings:
without this an #N/A in an optional column would pass as a blank. Reads only the worksheets'
XML that contains an error cell (``t="e"``), with a regex over the raw bytes: far cheaper
than a second full parse, and no entity is ever expanded.

Declared sizes: each worksheet's ``<dimension ref="A1:K300"/>``, read from the first bytes of
its XML, so a workbook declaring more cells than we read is refused before calamine builds them.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from typing import BinaryIO

from defusedxml import ElementTree

from sync.sources.grid import a1_position

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_ERROR_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*\bt=\"e\"[^>]*)>(.*?)</(?:\w+:)?c>", re.S)
_REF = re.compile(rb"\br=\"([A-Z]+\d+)\"")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*\bref=\"([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)\"")
_HEAD_BYTES = 64 * 1024  # <dimension> comes before <sheetData>, after at most a few properties

Errors = dict[str, dict[tuple[int, int], str]]  # sheet title -> {(row, column) 1-based: "#N/A"}


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet title -> its part name inside the package."""
    book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{PKG_REL}Relationship")}
    parts = {}
    for sheet in book.iter(f"{MAIN}sheet"):
        target = targets.get(sheet.get(f"{REL}id"), "")
        parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return parts


def declared_sizes(path: Path | BinaryIO) -> dict[str, tuple[int, int]]:
    """Worksheet title -> (last row, last column) its ``<dimension>`` declares; sheets without one left out."""
    sizes: dict[str, tuple[int, int]] = {}
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        try:
            parts = _sheet_parts(zf)
        except (KeyError, ElementTree.ParseError):
            return sizes  # calamine decides; the child's memory cap still holds
        for title, part in parts.items():
            if part not in names:
                continue
            with zf.open(part) as f:
                found = _DIMENSION.search(f.read(_HEAD_BYTES))
            if found:
                sizes[title] = a1_position(found.group(1).decode().split(":")[-1])
    return sizes


def formula_errors(path: Path | BinaryIO) -> Errors:
    """Every error cell's position and error text, per worksheet; {} when there are none."""
    found: Errors = {}
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        try:
            parts = _sheet_parts(zf)
        except (KeyError, ElementTree.ParseError):
            return found  # an unusual package layout calamine could read: best effort, no errors known
        for title, part in parts.items():
            if part not in names:
                continue
            data = zf.read(part)
            if b't="e"' not in data:
                continue
            for attrs, body in _ERROR_CELL.findall(data):
                ref, value = _REF.search(attrs), _VALUE.search(body)
                if ref and value:
                    found.setdefault(title, {})[a1_position(ref.group(1).decode())] = value.group(1).decode()
    return found
