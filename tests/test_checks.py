"""Shared checks: GB 11643 ID numbers, phone formats, and the masks that hide them."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.checks import id_check_char, id_gender, id_number_problem, phone_problem
from sync.check.normalize import normalise
from sync.check.privacy import mask, mask_id, mask_phone
from tests.validation_cases import LI_SI, ZHANG_SAN, check_char, person_id, wrong_check

TODAY = date.today()
BORN_TODAY = person_id(5, born=TODAY.strftime("%Y%m%d"))
BORN_TOMORROW = person_id(5, born=(TODAY + timedelta(days=1)).strftime("%Y%m%d"))

# (raw cell, None when valid or a fragment of the Chinese message)
ID_CASES = [
    ("11010519491231002X", None),  # the standard's own example
    (ZHANG_SAN, None),
    (LI_SI, None),
    (person_id(7, born="20000229"), None),  # a leap day
    (person_id(8, born="19000101"), None),  # the earliest birth date accepted
    (BORN_TODAY, None),
    ("11010519491231002x", None),  # lower-case check letter
    (" 11010519491231002X ", None),
    ("１１０１０５１９４９１２３１００２Ｘ", None),  # full-width
    ("110105194912310021", "身份证号校验位错误（应为 X）"),
    (wrong_check(LI_SI), f"身份证号校验位错误（应为 {LI_SI[17]}）"),
    (wrong_check(ZHANG_SAN), f"身份证号校验位错误（应为 {ZHANG_SAN[17]}）"),
    ("11010519491231002", "身份证号应为18位，实为17位"),
    ("11010519491231002X1", "身份证号应为18位，实为19位"),
    ("1101051949123100", "身份证号应为18位，实为16位"),
    ("11010519491231002A", "只能由17位数字和1位数字或X组成"),
    ("1101051949123100X2", "只能由17位数字和1位数字或X组成"),
    ("11O10519491231002X", "只能由17位数字和1位数字或X组成"),  # a letter O for a zero
    (person_id(1, born="19490230"), "不存在"),  # 30 February
    (person_id(1, born="19491301"), "不存在"),
    (person_id(1, born="19490001"), "不存在"),
    (person_id(1, born="19010229"), "不存在"),  # 1901 is no leap year
    (BORN_TOMORROW, "不合理"),
    (person_id(1, born="18991231"), "不合理"),
    ("440524188001010014", "不合理"),  # the standard's 1880 example: right check, too old
]

# (raw cell, valid?)
PHONE_CASES = [
    *[(f"1{second}812345678", True) for second in "3456789"],
    *[(f"1{second}812345678", False) for second in "012"],
    ("1381234567", False),  # 10 digits
    ("138123456789", False),  # 12 digits
    ("23812345678", False),
    ("0353-1234567", True),  # 4-digit area code, 7-digit number
    ("03531234567", True),
    ("010-12345678", True),  # 3-digit area code, 8-digit number
    ("01012345678", True),
    ("0353-12345678", True),
    ("0353-123456", False),  # number too short
    ("0353-123456789", False),  # number too long
    ("353-1234567", False),  # area code lost its leading zero
    ("0353--1234567", False),
    ("0353 1234567", True),  # a space for a dash
    ("０３５３－１２３４５６７", True),  # full-width
    ("138 1234 5678", True),
    ("+86 13812345678", False),
    ("138-1234-5678", False),
    (13812345678, True),  # typed as a number
    (13812345678.0, True),
    (3531234567, False),  # a landline typed as a number lost its leading zero
]

# (value, kind, masked)
MASK_CASES = [
    ("11010519491231002X", "id", "110105********002X"),
    ("140302198506150206", "id", "140302********0206"),
    ("11010519491231002", "id", "110105*******1002"),
    ("1234567890", "id", "12********"),
    ("13812345678", "phone", "138****5678"),
    ("0353-1234567", "phone", "035*****4567"),
    ("1234567", "phone", "1******"),
    ("", "id", ""),
    (None, "phone", None),
    ("张三", "name", "张三"),  # not a personal kind: unchanged
    ("德胜街社区", "text", "德胜街社区"),
]


def id_problem(raw: str) -> str | None:
    value, invalid = normalise(raw, "id")
    assert invalid is None
    # "today" is the day the cases above were made: a run crossing midnight made 明天 today (full run, 00:04)
    return id_number_problem(value, today=TODAY)


@pytest.mark.parametrize("raw, expected", ID_CASES)
def test_id_number(raw, expected):
    problem = id_problem(raw)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and expected in problem


# Regression: the messages for an impossible or implausible birth date repeated the digits
# (e.g. 出生日期19490230不存在) that the masked value 110105********002X hides.
@pytest.mark.parametrize("raw", [raw for raw, expected in ID_CASES if expected in ("不存在", "不合理")])
def test_birth_date_message_does_not_unmask(raw):
    problem, born = id_problem(raw), raw.strip()[6:14]
    assert born not in re.sub(r"\D", "", problem)  # neither as 19490230 nor as 1949-02-30
    assert born[:4] not in problem


@given(st.from_regex(r"\d{17}", fullmatch=True))
def test_check_char_matches_the_standard(first17):
    # GB 11643 derives weight i as 2^(17-i) mod 11; tests.registers computes it that way
    assert id_check_char(first17) == check_char(first17)


@pytest.mark.parametrize("number, gender", [(ZHANG_SAN, "男"), (LI_SI, "女"), ("11010519491231002X", "女"),
                                            ("440524188001010014", "男")])
def test_gender_from_17th_digit(number, gender):
    assert id_gender(number) == gender


@pytest.mark.parametrize("raw, valid", PHONE_CASES)
def test_phone(raw, valid):
    value, invalid = normalise(raw, "phone")
    problem = invalid.message if invalid else phone_problem(value)
    assert (problem is None) is valid
    if not valid:
        assert "联系电话" in problem


@pytest.mark.parametrize("value, kind, masked", MASK_CASES)
def test_mask(value, kind, masked):
    assert mask(value, kind) == masked


@given(st.text(alphabet="0123456789X", min_size=11, max_size=30))
def test_mask_id_keeps_length_and_hides_the_middle(value):
    masked = mask_id(value)
    assert len(masked) == len(value)
    assert masked[6:-4] == "*" * (len(value) - 10)  # birth date and sequence never shown


@given(st.from_regex(r"1[3-9]\d{9}", fullmatch=True))
def test_mask_phone_hides_the_middle_four(value):
    assert mask_phone(value) == value[:3] + "****" + value[-4:]


CHECK_LABEL_CASES = [("required", "必填项为空"), ("wish_id_unique", "编号重复"), ("claimer_in_roster", "不在报到名册中"),
                     ("completed_on_not_before_claimed_on", "日期先后顺序不对"), ("holder_required", "条件必填项为空"),
                     ("something_new", "something_new")]


@pytest.mark.parametrize("check, label", CHECK_LABEL_CASES)
def test_check_labels_in_chinese(check, label):
    from sync.check.issues import check_label

    assert check_label(check) == label
