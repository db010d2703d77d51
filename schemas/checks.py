"""Checks shared by the datasets, registered once with pandera.

Each check has a plain function that says *what* is wrong in Chinese (or None),
so the validator can turn a pandera failure case into a message a person can act on.
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pandera.extensions as extensions

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643-1999
ID_CODES = "10X98765432"  # check character for (weighted sum mod 11)
ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
EARLIEST_BIRTH = date(1900, 1, 1)


def id_check_char(first17: str) -> str:
    return ID_CODES[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS)) % 11]


def made_up_id(region: str, born: date, seq: int) -> str:
    """An 18-digit ID number for demo and example data: region, birth date, sequence (odd = 男),
    and the GB 11643 check character. Never a real person's: the sequence is ours."""
    first17 = f"{region}{born:%Y%m%d}{seq % 1000:03d}"
    return first17 + id_check_char(first17)


def id_birth_date(value: str) -> date | None:
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def id_number_problem(value: str, today: date | None = None) -> str | None:
    """Why an (already normalised) ID number is not valid, in Chinese; None when valid."""
    if len(value) != 18:
        return f"身份证号应为18位，实为{len(value)}位"
    if not ID_SHAPE.match(value):
        return "身份证号只能由17位数字和1位数字或X组成"
    # the birth date is the part masking hides: the message must not repeat it
    born = id_birth_date(value)
    if born is None:
        return "身份证号中的出生日期（第7至14位）不存在"
    if born < EARLIEST_BIRTH or born > (today or date.today()):
        return "身份证号中的出生日期（第7至14位）不合理：应在1900年1月1日至今天之间"
    expected = id_check_char(value[:17])
    if value[17] != expected:
        return f"身份证号校验位错误（应为 {expected}）"
    return None


def phone_problem(value: str) -> str | None:
    if MOBILE.match(value) or LANDLINE.match(value):
        return None
    return "联系电话格式不正确（手机号应为以1开头的11位数字，座机如 0353-1234567）"


def id_gender(value: str) -> str:
    """Gender coded in the ID number's 17th digit: odd is 男."""
    return "男" if int(value[16]) % 2 else "女"


def _is_valid(problem, series: pd.Series) -> pd.Series:
    # pandera wants a pandas Series back (a numpy array raises NotImplementedError)
    return series.map(lambda v: problem(v) is None, na_action="ignore").fillna(True).astype(bool)


@extensions.register_check_method(check_type="vectorized")
def id_number_valid(series: pd.Series) -> pd.Series:
    return _is_valid(id_number_problem, series)


@extensions.register_check_method(check_type="vectorized")
def phone_valid(series: pd.Series) -> pd.Series:
    return _is_valid(phone_problem, series)


@extensions.register_check_method(check_type="vectorized")
def not_future(series: pd.Series) -> pd.Series:
    return (series <= pd.Timestamp(date.today())).fillna(True).astype(bool)


# check name -> (value) -> Chinese message; used to word pandera's failure cases
PROBLEMS = {
    "id_number_valid": id_number_problem,
    "phone_valid": phone_problem,
}
