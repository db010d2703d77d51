"""The dashboards' periods (whole months, each with the period it is compared with) and the KPI
cards' change texts: table-driven."""

from __future__ import annotations

from datetime import date

import pytest

from sync.outputs.kpi_cards import count_delta, kpi_cards, rate_delta
from sync.queries.periods import period

TODAY = date(2026, 11, 26)

# choice, custom months -> start, end, previous start, previous end, label, versus
PERIODS = [
    ("全部时间", None, None, None, None, date(2026, 10, 31), "全部时间", "较上月底"),
    ("本月", None, date(2026, 11, 1), TODAY, date(2026, 10, 1), date(2026, 10, 31), "2026年11月", "较上月"),
    ("今年", None, date(2026, 1, 1), TODAY, date(2025, 1, 1), date(2025, 11, 30), "2026年", "较去年同期"),
    ("近12个月", None, date(2025, 12, 1), TODAY, date(2024, 12, 1), date(2025, 11, 30), "近12个月（2025年12月起）",
     "较前12个月"),
    ("自定义", (date(2020, 6, 1), date(2020, 8, 1)), date(2020, 6, 1), date(2020, 8, 31), date(2020, 3, 1),
     date(2020, 5, 31), "2020年6月至2020年8月", "较前3个月"),
    ("自定义", (date(2024, 2, 1), date(2024, 2, 1)), date(2024, 2, 1), date(2024, 2, 29), date(2024, 1, 1),
     date(2024, 1, 31), "2024年2月", "较上月"),
    ("自定义", (date(2021, 3, 1), date(2020, 12, 1)), date(2020, 12, 1), date(2021, 3, 31), date(2020, 8, 1),
     date(2020, 11, 30), "2020年12月至2021年3月", "较前4个月"),
]


@pytest.mark.parametrize("choice, months, start, end, before_start, before_end, label, versus", PERIODS)
def test_periods(choice, months, start, end, before_start, before_end, label, versus):
    p = period(choice, TODAY, months)
    assert (p.start, p.end, p.previous, p.label, p.versus) == (start, end, (before_start, before_end), label, versus)


def test_this_year_in_january_compares_with_last_january():
    assert period("今年", date(2027, 1, 5)).previous == (date(2026, 1, 1), date(2026, 1, 31))


def test_an_unknown_period_is_refused_in_chinese():
    with pytest.raises(ValueError, match="未知的时间段"):
        period("上辈子", TODAY)


# now, before -> the delta text and the arrow
COUNT_DELTAS = [(120, 100, "+20（+20.0%）", 1), (80, 100, "-20（-20.0%）", -1), (5, 0, "+5", 1), (7, 7, "持平", 0),
                (1234567, 1000000, "+234,567（+23.5%）", 1), (307411.6, 307411.6, "持平", 0)]
RATE_DELTAS = [(0.5, 0.25, "+25.0 个百分点", 1), (0.25, 0.5, "-25.0 个百分点", -1), (0.333, 0.333, "持平", 0),
               (None, 0.5, None, 0), (0.5, None, None, 0)]


@pytest.mark.parametrize("now, before, text, sign", COUNT_DELTAS)
def test_count_deltas(now, before, text, sign):
    assert count_delta(now, before) == (text, sign)


@pytest.mark.parametrize("now, before, text, sign", RATE_DELTAS)
def test_rate_deltas(now, before, text, sign):
    assert rate_delta(now, before) == (text, sign)


def test_cards_in_order_with_vacant_posts_rising_shown_as_bad():
    now = {"members": 10, "wishes": 4, "claimed": 2, "completed": 1, "posts": 6, "staffed": 3, "vacant": 3,
           "activities": 108, "service_hours": 219.0, "claim_rate": 0.5, "completion_rate": 0.25}
    before = {**now, "vacant": 2, "wishes": 0, "claimed": 0, "completed": 0, "claim_rate": None, "completion_rate": None}
    cards = kpi_cards(now, before)
    assert [c.label for c in cards] == ["报到党员", "微心愿", "认领率", "完成率", "志愿服务岗", "空缺岗位", "开展活动（次）",
                                     "服务时长（小时）"]
    assert [c.value for c in cards] == ["10", "4", "50.0%", "25.0%", "6", "3", "108", "219"]
    vacant = cards[5]
    assert (vacant.delta, vacant.sign, vacant.good, vacant.help) == ("+1（+50.0%）", 1, -1, "在岗 3，空缺 3")
    assert cards[2].delta is None and cards[2].help == "已认领 2 个，共 4 个"  # nothing to compare a rate with
