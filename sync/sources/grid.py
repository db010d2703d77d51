"""The raw material every reader hands on: one grid of typed cells per worksheet."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sync.terms import TIMEZONE_NAME

Merge = tuple[int, int, int, int]  # a merged range: first row, first column, last row, last column (0-based in ``rows``)


_A1 = re.compile(r"([A-Z]{1,3})([0-9]+)")


def column_letter(column: int) -> str:
    """The letters of a 1-based column: 1 -> "A", 27 -> "AA", 16384 -> "XFD".

    openpyxl's ``get_column_letter`` and ``coordinate_from_string`` do this, but importing openpyxl
    (its package loads everything) costs 0.19 s, a seventh of a sync of one changed workbook;
    ``tests/test_readers.py`` holds these to openpyxl's over every column a sheet can have.
    """
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def a1_position(ref: str) -> tuple[int, int]:
    """(row, column), both 1-based, of an A1 reference such as "XFD1048576"; ValueError when it is none."""
    found = _A1.fullmatch(ref)
    if found is None or int(found.group(2)) == 0:
        raise ValueError(f"not an A1 cell reference: {ref!r}")
    column = 0
    for letter in found.group(1):
        column = column * 26 + ord(letter) - 64
    return int(found.group(2)), column


class SourceUnreadable(Exception):
    """A source that cannot be read at all; the message is Chinese and says what to do."""


def is_panic(exc: BaseException) -> bool:
    """Whether ``exc`` is a Rust panic surfacing through PyO3 (python-calamine's reader).

    ``pyo3_runtime.PanicException`` derives from BaseException, so ``except Exception`` lets it
    through, and its module exists only once a panic happened: it is recognised by name.
    """
    return any(t.__module__ == "pyo3_runtime" and t.__name__ == "PanicException" for t in type(exc).__mro__)


@dataclass
class Grid:
    """One worksheet's cells as the reader found them.

    ``rows[i][j]`` is the cell at sheet row ``first_row + i`` and column ``first_col + j``
    (both 1-based). Cells are str ("" for empty), int, float, bool, date, datetime or time.
    """

    title: str
    rows: list[list[Any]]
    first_row: int = 1
    first_col: int = 1
    hidden: bool = False
    notes: list[str] = field(default_factory=list)  # reader remarks worth an info issue
    merges: list[Merge] = field(default_factory=list)  # merged ranges; a value sits in the top-left cell only

    def sheet_row(self, index: int) -> int:
        return self.first_row + index

    def cell_ref(self, index: int, col: int) -> str:
        """A1 reference of ``rows[index][col]``."""
        return f"{column_letter(self.first_col + col)}{self.first_row + index}"


@dataclass
class Workbook:
    """All worksheets of one source plus a fingerprint that changes when the content does."""

    name: str
    grids: list[Grid]
    fingerprint: str = ""
    timezone: str = TIMEZONE_NAME
    data: bytes | None = field(default=None, repr=False)  # a file's bytes as parsed (annotated copies start from them)
