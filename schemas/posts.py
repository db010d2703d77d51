"""posts — 志愿服务岗: volunteer service posts held by party members (设岗定责)."""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from schemas import checks  # noqa: F401  registers the shared checks
from schemas.rules import in_communities, in_roster, required_when, unique_key
from schemas.fields import POST_STATUSES, POST_TYPES, meta


class Posts(pa.DataFrameModel):
    post_id: Series[str] = pa.Field(
        nullable=False, metadata=meta("岗位编号", aliases=("编号",), key=True, rule="必填；本表内不得重复"))
    community: Series[str] = pa.Field(
        nullable=False, metadata=meta("社区", aliases=("所在社区",), rule="必填"))
    post_type: Series[str] = pa.Field(
        nullable=False, isin=POST_TYPES,
        metadata=meta("岗位类型", "enum", aliases=("类型",), choices=POST_TYPES,
                      rule="必填；" + "、".join(POST_TYPES) + "之一"))
    post_name: Series[str] = pa.Field(
        nullable=False, metadata=meta("岗位名称", rule="必填"))
    holder: Series[str] = pa.Field(
        nullable=True, metadata=meta("责任人", "name", aliases=("岗位责任人",),
                                     rule="在岗时必填；应为本街道报到名册中的党员"))
    holder_phone: Series[str] = pa.Field(
        nullable=True, phone_valid=(),
        metadata=meta("联系电话", "phone", aliases=("电话",), personal=True, rule="选填；11位手机号或座机号"))
    started_on: Series[pa.DateTime] = pa.Field(
        nullable=True, not_future=(), metadata=meta("设岗日期", "date", rule="选填；日期；不能晚于今天"))
    activities: Series[pa.Int64] = pa.Field(
        nullable=True, ge=0, metadata=meta("活动次数", "int", aliases=("开展活动次数",), rule="选填；不小于0的整数，空白按0计"))
    service_hours: Series[pa.Float64] = pa.Field(
        nullable=True, in_range={"min_value": 0, "max_value": 10000},
        metadata=meta("服务时长", "number", aliases=("服务时长(小时)",), rule="选填；0至10000之间的数字（小时）"))
    status: Series[str] = pa.Field(
        nullable=False, isin=POST_STATUSES,
        metadata=meta("状态", "enum", choices=POST_STATUSES, rule="必填；" + "、".join(POST_STATUSES) + "之一"))

    class Config:
        strict = False
        coerce = False


RULES = (
    unique_key("post_id", "岗位编号"),
    required_when("holder", "责任人", "status", ("在岗",)),
    in_communities("community"),
    in_roster("holder", "责任人"),
)
