"""Field metadata shared by the three dataset models.

Every column of a dataset model carries a :class:`FieldMeta` in its pandera
``metadata`` so that the header matcher, the normaliser, the templates and the
mirror all read one definition and can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["text", "name", "id", "phone", "date", "int", "number", "enum"]

ERROR = "error"
WARNING = "warning"
INFO = "info"

POST_TYPES = ("政策宣讲", "扶贫济困", "公益服务", "爱绿护绿", "环境维护", "治安巡逻")
WISH_CATEGORIES = ("生活物资", "助学助困", "医疗健康", "就业帮扶", "家政维修", "文化娱乐", "其他")
WISH_STATUSES = ("待认领", "已认领", "已完成")
POST_STATUSES = ("在岗", "空缺", "撤销")
GENDERS = ("男", "女")


@dataclass(frozen=True)
class FieldMeta:
    """What a column means to staff: its header, aliases and how to read it."""

    header: str
    kind: Kind = "text"
    aliases: tuple[str, ...] = ()
    personal: bool = False
    key: bool = False
    rule: str = ""  # the rule in plain Chinese, for header comments and 填表说明
    choices: tuple[str, ...] = field(default=())

    @property
    def names(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


def meta(header: str, kind: Kind = "text", **kwargs) -> dict:
    """pandera ``metadata`` for one column."""
    return {"field": FieldMeta(header, kind, **kwargs)}
