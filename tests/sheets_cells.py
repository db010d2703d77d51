"""Cell values and A1 ranges the way the Sheets API renders and parses them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl.utils.cell import column_index_from_string

from tests.sheets_errors import ApiError

SHEETS_EPOCH = datetime(1899, 12, 30)  # Google Sheets serial day 0


@dataclass(frozen=True)
class SheetDate:
    """A date or date-time cell: a serial number underneath, text when formatted."""

    value: date | datetime

    def serial(self) -> int | float:
        if isinstance(self.value, datetime):
            return (self.value - SHEETS_EPOCH).total_seconds() / 86400
        return (self.value - SHEETS_EPOCH.date()).days

    def formatted(self) -> str:
        # zh_CN locale default formats: 2020/8/10 and 2020/8/10 9:05:00
        v = self.value
        text = f"{v.year}/{v.month}/{v.day}"
        return f"{text} {v.hour}:{v.minute:02d}:{v.second:02d}" if isinstance(v, datetime) else text



def render_value(value: Any, render: str, date_render: str) -> Any:
    """One cell as values.get renders it; empty cells stay ""."""
    if isinstance(value, SheetDate):
        if render == "UNFORMATTED_VALUE" and date_render == "SERIAL_NUMBER":
            return value.serial()
        return value.formatted()
    if render != "FORMATTED_VALUE" or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value).upper()  # 1.1010519491231e+17 → 1.1010519491231E+17


def quote_title(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


_CELL = re.compile(r"^([A-Z]*)(\d*)$")


def parse_range(text: str) -> tuple[str, int, int, int | None, int | None]:
    """'Title'!A1:C5 → (title, row0, col0, row_end, col_end), 0-based, ends exclusive or None."""
    if text.startswith("'"):
        end = text.find("'", 1)
        while end != -1 and text[end + 1:end + 2] == "'":
            end = text.find("'", end + 2)
        if end == -1:
            raise ApiError(400, f"Unable to parse range: {text}")
        title, rest = text[1:end].replace("''", "'"), text[end + 1:]
    else:
        title, _, cells = text.partition("!")
        rest = "!" + cells if cells else ""
    if not rest:
        return title, 0, 0, None, None
    if not rest.startswith("!"):
        raise ApiError(400, f"Unable to parse range: {text}")
    first, _, last = rest[1:].partition(":")
    (c1, r1), (c2, r2) = _corner(first, text), _corner(last or first, text)
    return title, (r1 or 1) - 1, (c1 or 1) - 1, r2, c2


def _corner(ref: str, text: str) -> tuple[int | None, int | None]:
    match = _CELL.match(ref.upper())
    if not match or not ref:
        raise ApiError(400, f"Unable to parse range: {text}")
    letters, digits = match.groups()
    return (column_index_from_string(letters) if letters else None, int(digits) if digits else None)
