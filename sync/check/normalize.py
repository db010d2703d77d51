"""Normalisation: one raw cell -> the value the schema checks, or the reason it can't be read.

Nothing is "repaired": a value that lost information (an ID number stored as a number)
is reported, never reconstructed. What is normalised is only presentation: full-width
digits, padding spaces, a lower-case check letter, the many ways staff write a date.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

EXCEL_EPOCH = date(1899, 12, 30)  # Excel (1900 system) and Google Sheets serial day 0
MAX_SERIAL = 2958465  # 9999-12-31
EARLIEST = date(1950, 1, 1)  # no register here records an event before this: a bare year (2020) read as serial 2020 is 1905
MAX_INTEGER = 2**53  # exact in a float and far inside the mirror's 64-bit integer column
FORMULA_ERRORS = {"#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!",
                  "#CALC!", "#GETTING_DATA", "#ERROR!"}
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?E[+-]?\d+$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")



class Invalid(ValueError):
    """Raised inside a normaliser: the cell can't be read as its field's kind."""

    def __init__(self, check: str, message: str):
        super().__init__(message)
        self.check = check
        self.message = message


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


def number_text(value: int | float) -> str:
    """A number typed into a text column, as the digits staff typed."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return number_text(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def text(value: Any) -> str:
    """Free text: trimmed, ideographic spaces treated as spaces, otherwise as typed."""
    return as_text(value).replace("\u3000", " ").strip()


def name(value: Any) -> str:
    """A person's name: padding spaces between Chinese characters (张　三) removed."""
    return _CJK_GAP.sub("", unicodedata.normalize("NFKC", as_text(value)).strip())


def code(value: Any) -> str:
    """Codes and enum values: half-width, no padding, inner runs of spaces kept single."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", as_text(value))).strip()


def id_number(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise Invalid("id_stored_as_number", "身份证号被存为数字，末尾数字已丢失：请把该列设为文本格式后重新录入")
    out = _SPACES.sub("", unicodedata.normalize("NFKC", as_text(value))).upper()
    if _SCIENTIFIC.match(out):
        raise Invalid("id_stored_as_number", "身份证号被存为数字（科学计数法），末尾数字已丢失：请把该列设为文本格式后重新录入")
    return out


def phone(value: Any) -> str:
    if isinstance(value, float) and not value.is_integer():
        raise Invalid("phone_valid", "联系电话格式不正确（含小数）")
    return _SPACES.sub("", code(value))


def serial_date(value: float) -> date:
    if not 1 <= value <= MAX_SERIAL:
        raise Invalid("date_invalid", f"不是有效的日期（数字 {number_text(value)} 超出日期范围）")
    return EXCEL_EPOCH + timedelta(days=int(value))


def _read_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or isinstance(value, (time, timedelta)):
        raise Invalid("date_invalid", "不是日期")
    if isinstance(value, (int, float)):
        if 10_000_000 <= value <= 99_999_999 and float(value).is_integer():
            value = str(int(value))  # 20200810 typed into a number cell: no serial is that large
        else:
            return serial_date(value)
    raw = code(value)
    match = _DATE_TEXT.match(raw) or _COMPACT_DATE.match(raw)
    if match:
        try:
            return date(*(int(g) for g in match.groups()[:3]))
        except ValueError:
            raise Invalid("date_invalid", f"日期不存在：{raw}") from None
    if re.fullmatch(r"\d{1,7}(\.\d+)?", raw):
        return serial_date(float(raw))
    raise Invalid("date_invalid", f"无法识别的日期“{raw}”：请写成 2020-08-10 或 2020年8月10日")


def a_date(value: Any) -> date:
    day = _read_date(value)
    if day < EARLIEST:
        raise Invalid("date_invalid", f"日期 {day.isoformat()} 早于1950年，不合理：请检查是否只填了年份或序号，应写成 2020-08-10")
    return day


def integer(value: Any) -> int:
    if isinstance(value, bool):
        raise Invalid("integer_invalid", "应为整数")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        try:
            number = float(code(value).replace(",", ""))
        except ValueError:
            raise Invalid("integer_invalid", f"应为整数，而不是“{code(value)}”") from None
    if not number.is_integer():
        raise Invalid("integer_invalid", f"应为整数，而不是 {number_text(number)}")
    if abs(number) > MAX_INTEGER:
        raise Invalid("integer_invalid", f"数字过大（{number_text(number)}）：请检查是否填错")
    return int(number)


def decimal(value: Any) -> float:
    if isinstance(value, bool):
        raise Invalid("number_invalid", "应为数字")
    if isinstance(value, (int, float)):
        return float(value)
    try:
        number = float(code(value).replace(",", ""))
    except ValueError:
        raise Invalid("number_invalid", f"应为数字，而不是“{code(value)}”") from None
    if not math.isfinite(number):
        raise Invalid("number_invalid", "应为数字")
    return number


NORMALISERS: dict[str, Callable[[Any], Any]] = {
    "text": text, "name": name, "id": id_number, "phone": phone, "enum": code,
    "date": a_date, "int": integer, "number": decimal,
}


CLEAN_KINDS = frozenset({"text", "name", "enum", "phone", "id"})  # kinds whose normaliser keeps a clean text


def already_clean(value: str, kind: str) -> str | None:
    """``normalise(value, kind)``'s value when the normaliser can only keep it (an ID upper-cased),
    else None: a non-empty text of printable characters (so no whitespace but the ASCII space),
    without that space, not a formula error, already in NFKC form. Most cells of a register are
    such texts, and this is a few C calls where the normaliser is a dozen Python ones."""
    if not value or not value.isprintable() or " " in value or value[0] == "#" or (
            not value.isascii() and not unicodedata.is_normalized("NFKC", value)):
        return None
    if kind == "id":
        value = value.upper()
        return None if _SCIENTIFIC.match(value) else value
    return value


def normalise(value: Any, kind: str) -> tuple[Any, Invalid | None]:
    """(value, None) or (None, problem); blank cells and formula errors handled for every kind."""
    if is_blank(value):
        return None, None
    if isinstance(value, str) and value.strip() in FORMULA_ERRORS:
        return None, Invalid("formula_error", f"单元格是公式错误 {value.strip()}：请修正公式或改为直接填写")
    try:
        out = NORMALISERS[kind](value)
    except Invalid as exc:
        # kept by the caller, a problem must hold no frames: its traceback (or that of an
        # exception it interrupted) would tie the caller's whole workbook into a reference
        # cycle that only the garbage collector frees, late (+40 MB peak on a city sync)
        exc.__context__ = None
        return None, exc.with_traceback(None)
    return (None, None) if out == "" else (out, None)
