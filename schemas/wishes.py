"""wishes — 微心愿: residents' small wishes, claimed and fulfilled by party members."""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from schemas import checks  # noqa: F401  registers the shared checks
from schemas.rules import in_communities, in_roster, not_before, required_when, unique_key
from schemas.fields import WISH_CATEGORIES, WISH_STATUSES, meta


class Wishes(pa.DataFrameModel):
    wish_id: Series[str] = pa.Field(
        nullable=False, metadata=meta("心愿编号", aliases=("编号",), key=True, rule="必填；本表内不得重复"))
    community: Series[str] = pa.Field(
        nullable=False, metadata=meta("社区", aliases=("所在社区",), rule="必填"))
    wisher: Series[str] = pa.Field(
        nullable=False, metadata=meta("心愿人", "name", aliases=("提出人", "姓名"), rule="必填"))
    wisher_phone: Series[str] = pa.Field(
        nullable=True, phone_valid=(),
        metadata=meta("联系电话", "phone", aliases=("电话",), personal=True, rule="选填；11位手机号或座机号"))
    content: Series[str] = pa.Field(
        nullable=False, str_length={"max_value": 200},
        metadata=meta("心愿内容", aliases=("心愿",), rule="必填；不超过200字"))
    category: Series[str] = pa.Field(
        nullable=True, isin=WISH_CATEGORIES,
        metadata=meta("心愿类别", "enum", aliases=("类别",), choices=WISH_CATEGORIES,
                      rule="选填；" + "、".join(WISH_CATEGORIES) + "之一"))
    raised_on: Series[pa.DateTime] = pa.Field(
        nullable=False, not_future=(),
        metadata=meta("登记日期", "date", aliases=("提出日期",), rule="必填；日期；不能晚于今天"))
    status: Series[str] = pa.Field(
        nullable=False, isin=WISH_STATUSES,
        metadata=meta("状态", "enum", aliases=("认领状态",), choices=WISH_STATUSES,
                      rule="必填；" + "、".join(WISH_STATUSES) + "之一"))
    claimer: Series[str] = pa.Field(
        nullable=True, metadata=meta("认领人", "name", aliases=("认领党员",),
                                     rule="已认领或已完成时必填；应为本街道报到名册中的党员"))
    claimer_unit: Series[str] = pa.Field(nullable=True, metadata=meta("认领单位", rule="选填"))
    claimed_on: Series[pa.DateTime] = pa.Field(
        nullable=True, not_future=(),
        metadata=meta("认领日期", "date", rule="已认领或已完成时必填；不能早于登记日期"))
    completed_on: Series[pa.DateTime] = pa.Field(
        nullable=True, not_future=(),
        metadata=meta("完成日期", "date", aliases=("兑现日期",), rule="已完成时必填；不能早于认领日期"))

    class Config:
        strict = False
        coerce = False


CLAIMED = ("已认领", "已完成")
RULES = (
    unique_key("wish_id", "心愿编号"),
    required_when("claimer", "认领人", "status", CLAIMED),
    required_when("claimed_on", "认领日期", "status", CLAIMED),
    required_when("completed_on", "完成日期", "status", ("已完成",)),
    not_before("claimed_on", "认领日期", "raised_on", "登记日期"),
    not_before("completed_on", "完成日期", "claimed_on", "认领日期"),
    in_communities("community"),
    in_roster("claimer", "认领人"),
)
