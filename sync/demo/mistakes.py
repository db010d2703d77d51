"""The mistakes planted in every demo workbook, each with the issue the validator must report.

A mistake whose ``check`` is None is messy but valid: the normaliser must absorb it and
report nothing. The others name the check id and severity ``python -m sync validate``
gives at exactly that cell, so the demo doubles as an end-to-end test of the validator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from schemas import ERROR, WARNING
from schemas.checks import id_gender
from sync.demo.people import People, full_width
from sync.demo.records import Record, claim


@dataclass(frozen=True)
class Scene:
    """What a mistake may look at besides its own row."""

    people: People
    roster: list[Record]  # the street's roster (for claimers)
    rows: list[Record]  # the sheet's rows
    pos: int  # the position of the row being spoiled


@dataclass(frozen=True)
class Mistake:
    field: str  # the cell to blame
    check: str | None  # the validator's check id; None: messy but normalised, no issue
    severity: str | None
    what: str
    plant: Callable[[Record, Scene], None]


def _set(**values) -> Callable[[Record, Scene], None]:
    return lambda row, scene: row.update(values)


def _id_as_float(row: Record, scene: Scene) -> None:
    # Excel keeps 15 significant digits: the last three are gone for good
    row["id_number"] = float(scene.people.id_number(id_gender(row["id_number"]), checks="0123456789"))


def _wrong_check_digit(row: Record, scene: Scene) -> None:
    value = row["id_number"]
    codes = "0123456789X"
    row["id_number"] = value[:17] + codes[(codes.index(value[17]) + 1) % len(codes)]


def _lower_x(row: Record, scene: Scene) -> None:
    row["id_number"] = scene.people.id_number(id_gender(row["id_number"]), checks="X").lower()


def _gender(row: Record, swap: bool, pad: str = "") -> None:
    coded = id_gender(row["id_number"])
    row["gender"] = pad + ({"男": "女", "女": "男"}[coded] if swap else coded) + pad


def _claimed(completed: bool, **after) -> Callable[[Record, Scene], None]:
    """A claimed (or completed) wish, valid until ``after`` spoils one of its fields."""
    def plant(row: Record, scene: Scene) -> None:
        claim(row, scene.people.rng.choice(scene.roster), scene.people.rng, completed)
        row.update({k: v(row, scene) if callable(v) else v for k, v in after.items()})
    return plant


def _outsider(row: Record, scene: Scene) -> str:
    members = {r["name"] for r in scene.roster}
    while (name := scene.people.name(length=3)) in members:
        pass
    return name


MISTAKES: dict[str, tuple[Mistake, ...]] = {
    "roster": (
        Mistake("id_number", "id_stored_as_number", ERROR, "身份证号存成了数字", _id_as_float),
        Mistake("phone", None, None, "手机号是全角数字", lambda r, s: r.update(phone=full_width(r["phone"]))),
        Mistake("id_number", "id_number_valid", ERROR, "身份证号校验位错误", _wrong_check_digit),
        Mistake("name", None, None, "姓名中间有全角空格", lambda r, s: r.update(name=r["name"][0] + "\u3000" + r["name"][1:])),
        Mistake("phone", "phone_valid", ERROR, "手机号少一位", lambda r, s: r.update(phone=r["phone"][:-1])),
        Mistake("id_number", None, None, "身份证号末位是小写x", _lower_x),
        Mistake("employer", "required", ERROR, "工作单位空白", _set(employer=None)),
        Mistake("gender", None, None, "性别前后有空格", lambda r, s: _gender(r, swap=False, pad=" ")),
        Mistake("registered_on", "not_future", ERROR, "报到日期年份打错（2202年）", _set(registered_on="2202年8月10日")),
        Mistake("post_type", "allowed_values", ERROR, "认领岗位不在六类岗位中", _set(post_type="卫生保洁")),
        Mistake("gender", "gender_matches_id", ERROR, "性别与身份证号不符", lambda r, s: _gender(r, swap=True)),
    ),
    "wishes": (
        Mistake("completed_on", "completed_on_required", ERROR, "已完成但没有完成日期",
                _claimed(True, completed_on=None)),
        Mistake("status", None, None, "状态后面多了空格", _claimed(True, status="已完成 ")),
        Mistake("completed_on", "completed_on_not_before_claimed_on", ERROR, "完成日期早于认领日期",
                _claimed(True, completed_on=lambda r, s: r["claimed_on"] - timedelta(days=3))),
        Mistake("category", "allowed_values", ERROR, "心愿类别不在列表中", _set(category="助老服务")),
        Mistake("claimer", "claimer_in_roster", WARNING, "认领人不在本街道名册中", _claimed(False, claimer=_outsider)),
        Mistake("wish_id", "wish_id_unique", ERROR, "心愿编号与上一行重复",
                lambda r, s: r.update(wish_id=s.rows[s.pos - 1]["wish_id"])),
        Mistake("content", "required", ERROR, "心愿内容空白", _set(content=None)),
    ),
    "posts": (
        Mistake("holder", "holder_required", ERROR, "在岗但没有责任人", _set(status="在岗", holder=None, holder_phone=None)),
        Mistake("activities", "range", ERROR, "活动次数为负数", _set(activities=-3)),
        Mistake("status", "allowed_values", ERROR, "状态不在列表中", _set(status="暂停")),
    ),
}


def plant_mistakes(dataset: str, rows: list[Record], people: People, roster: list[Record]) -> dict[int, Mistake]:
    """Spoil rows spread evenly over the sheet, one mistake each: {position: mistake}."""
    mistakes = MISTAKES[dataset]
    planted = {}
    for k, mistake in enumerate(mistakes):
        pos = (k + 1) * len(rows) // (len(mistakes) + 1)
        mistake.plant(rows[pos], Scene(people, roster, rows, pos))
        planted[pos] = mistake
    return planted


def min_rows(dataset: str) -> int:
    """Enough rows that planted mistakes never touch each other or the first row."""
    return 2 * (len(MISTAKES[dataset]) + 1)
