"""The dashboards' periods, in whole months (the summary table counts per month), each with the
period it is compared against for the KPI deltas."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

CHOICES = ("全部时间", "本月", "今年", "近12个月", "自定义")


@dataclass(frozen=True)
class Period:
    start: date | None  # first day of the first month; None: from the first row on
    end: date | None  # last day (or today) of the last month; None: up to now
    previous: tuple[date | None, date | None]  # what the deltas compare with
    label: str  # the period in words, for headings and the exported picture
    versus: str  # the comparison in words, beside each delta


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return add_months(day, 1) - timedelta(days=1)


def month_label(day: date) -> str:
    return f"{day.year}年{day.month}月"


def period(choice: str, today: date, months: tuple[date, date] | None = None) -> Period:
    """The period for a choice of CHOICES; 自定义 takes ``months`` (first days of the first and last month)."""
    this_month = today.replace(day=1)
    if choice == "全部时间":
        last_month_end = this_month - timedelta(days=1)
        return Period(None, None, (None, last_month_end), "全部时间", "较上月底")
    if choice == "本月":
        before = add_months(this_month, -1)
        return Period(this_month, today, (before, month_end(before)), month_label(this_month), "较上月")
    if choice == "今年":
        start = date(today.year, 1, 1)
        return Period(start, today, (date(today.year - 1, 1, 1), month_end(this_month.replace(year=today.year - 1))),
                      f"{today.year}年", "较去年同期")
    if choice == "近12个月":
        start = add_months(this_month, -11)
        return Period(start, today, (add_months(start, -12), start - timedelta(days=1)),
                      f"近12个月（{month_label(start)}起）", "较前12个月")
    if choice == "自定义" and months:
        first, last = sorted(months)
        count = (last.year - first.year) * 12 + last.month - first.month + 1
        label = month_label(first) if count == 1 else f"{month_label(first)}至{month_label(last)}"
        return Period(first, month_end(last), (add_months(first, -count), first - timedelta(days=1)), label,
                      "较上月" if count == 1 else f"较前{count}个月")
    raise ValueError(f"未知的时间段：{choice}")
