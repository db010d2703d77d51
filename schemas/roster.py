"""roster — 在职党员报到名册: in-service party members registered at their home community."""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

import pandas as pd

from schemas.checks import ID_SHAPE, id_gender
from schemas.rules import Context, RowRule, in_communities, messages, unique_key
from schemas.fields import GENDERS, POST_TYPES, meta


class Roster(pa.DataFrameModel):
    id_number: Series[str] = pa.Field(
        nullable=False, id_number_valid=(),
        metadata=meta("身份证号", "id", aliases=("身份证号码", "公民身份号码", "身份证"), personal=True, key=True,
                      rule="必填；18位，末位可为X；校验位与出生日期须正确；请设为文本格式，勿存为数字"))
    name: Series[str] = pa.Field(
        nullable=False, str_length={"min_value": 2, "max_value": 20},
        metadata=meta("姓名", "name", aliases=("党员姓名",), rule="必填；2至20个字"))
    gender: Series[str] = pa.Field(
        nullable=True, isin=GENDERS,
        metadata=meta("性别", "enum", choices=GENDERS, rule="选填；男或女，须与身份证号第17位一致"))
    phone: Series[str] = pa.Field(
        nullable=False, phone_valid=(),
        metadata=meta("联系电话", "phone", aliases=("手机号", "手机号码", "电话"), personal=True,
                      rule="必填；11位手机号或座机号（如 0353-1234567）"))
    employer: Series[str] = pa.Field(
        nullable=False, metadata=meta("工作单位", aliases=("单位",), rule="必填"))
    party_org: Series[str] = pa.Field(
        nullable=True, metadata=meta("所在党组织", aliases=("党组织", "党支部"), rule="选填"))
    community: Series[str] = pa.Field(
        nullable=False, metadata=meta("报到社区", aliases=("社区", "所在社区"), rule="必填；本街道的社区"))
    grid: Series[str] = pa.Field(
        nullable=True, metadata=meta("网格", aliases=("所在网格", "网格编号"), rule="选填"))
    registered_on: Series[pa.DateTime] = pa.Field(
        nullable=False, not_future=(),
        metadata=meta("报到日期", "date", aliases=("报到时间",), rule="必填；日期，如 2020-08-10；不能晚于今天"))
    post_type: Series[str] = pa.Field(
        nullable=True, isin=POST_TYPES,
        metadata=meta("认领岗位", "enum", aliases=("岗位类型",), choices=POST_TYPES,
                      rule="选填；" + "、".join(POST_TYPES) + "之一"))
    note: Series[str] = pa.Field(nullable=True, metadata=meta("备注", rule="选填"))

    class Config:
        strict = False
        coerce = False


def _gender_matches_id(df: pd.DataFrame, ctx: Context) -> pd.Series:
    ids = df["id_number"].where(df["id_number"].str.match(ID_SHAPE.pattern).fillna(False).astype(bool))
    coded = ids.map(id_gender, na_action="ignore")
    return messages(df["gender"].notna() & coded.notna() & (df["gender"] != coded),
                    "性别与身份证号不符（身份证号显示为" + coded.astype(object).where(coded.notna(), "") + "）")


RULES = (
    unique_key("id_number", "身份证号"),
    RowRule("gender_matches_id", "gender", _gender_matches_id),
    in_communities("community"),
)
