"""The overview's eight KPI cards as text: value, change against the previous period, and which
way is good. The app's metrics and the exported picture show the same cards."""

from __future__ import annotations

from dataclasses import dataclass

Numbers = dict[str, float | int | None]


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    delta: str | None  # "+12（+5.0%）", "-1.5 个百分点", "持平"; None: nothing to compare with
    sign: int  # +1 up, -1 down, 0 flat (the arrow)
    good: int  # +1 when up is good, -1 when up is bad (vacant posts)
    help: str = ""


# key, label (with the unit: a unit in the value would make its card taller), whether up is good
COUNTS = (("members", "报到党员", 1), ("wishes", "微心愿", 1), ("posts", "志愿服务岗", 1), ("vacant", "空缺岗位", -1),
          ("activities", "开展活动（次）", 1), ("service_hours", "服务时长（小时）", 1))
RATES = (("claim_rate", "认领率", "claimed", "已认领"), ("completion_rate", "完成率", "completed", "已完成"))
ORDER = ("members", "wishes", "claim_rate", "completion_rate", "posts", "vacant", "activities", "service_hours")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _sign(change: float) -> int:
    return (change > 0) - (change < 0)


def count_delta(now: float, before: float) -> tuple[str, int]:
    change = now - before
    if round(change, 1) == 0:
        return "持平", 0
    text = f"{change:+,.0f}"
    if before:
        text += f"（{change / before:+.1%}）"
    return text, _sign(change)


def rate_delta(now: float | None, before: float | None) -> tuple[str | None, int]:
    if now is None or before is None:
        return None, 0
    points = round((now - before) * 100, 1)
    return ("持平", 0) if points == 0 else (f"{points:+.1f} 个百分点", _sign(points))


def kpi_cards(now: Numbers, before: Numbers) -> list[Card]:
    """The cards in display order (two rows of four; two columns on a phone)."""
    cards: dict[str, Card] = {}
    for key, label, good in COUNTS:
        delta, sign = count_delta(now[key], before[key])
        cards[key] = Card(label, f"{now[key]:,.0f}", delta, sign, good,
                          f"在岗 {now['staffed']:,}，空缺 {now['vacant']:,}" if key == "vacant" else "")
    for key, label, count, word in RATES:
        delta, sign = rate_delta(now[key], before[key])
        cards[key] = Card(label, percent(now[key]), delta, sign, 1, f"{word} {now[count]:,} 个，共 {now['wishes']:,} 个")
    return [cards[key] for key in ORDER]
