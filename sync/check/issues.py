"""One finding about a source: a cell, a row or a whole worksheet that staff should look at."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sync.check.privacy import mask_text


@dataclass(frozen=True)
class Issue:
    severity: str  # error | warning | info
    sheet: str  # worksheet title as the workbook spells it
    row: int | None  # the sheet's own 1-based row number; None for a sheet-level issue
    cell: str | None  # A1 reference; None for a sheet-level issue
    column: str | None  # the header as the sheet spells it
    field: str | None  # canonical field name (domain.md)
    value: str | None  # the offending value as text, personal data masked
    check: str
    message: str  # Chinese, says what to do

    def __post_init__(self) -> None:
        """Whatever looks like an ID number or a phone is masked, whichever column it came from
        (issue 14): every issue stored, shown, downloaded, mailed or printed as JSON is built here."""
        value, message = self.value, self.message
        masked = mask_text(value)
        if masked != value:
            object.__setattr__(self, "value", masked)
            message = message.replace(value, masked)  # a message may quote the value (allowed_values)
        object.__setattr__(self, "message", mask_text(message, landlines=False))

    def as_json(self) -> dict[str, Any]:
        """The validate JSON contract's issue object (the sheet is implied by its parent)."""
        out = asdict(self)
        del out["sheet"]
        return out


SEVERITY_WORDS = {"error": "错误", "warning": "警告", "info": "提示"}

CHECK_LABELS = {
    "required": "必填项为空", "length": "长度不符", "allowed_values": "不是允许的值", "range": "数值超出范围",
    "not_future": "日期晚于今天", "id_number_valid": "身份证号不正确", "id_stored_as_number": "身份证号被存为数字",
    "phone_valid": "电话格式不正确", "date_invalid": "日期无法识别", "integer_invalid": "不是整数",
    "number_invalid": "不是数字", "formula_error": "公式错误", "gender_matches_id": "性别与身份证号不符",
    "missing_column": "缺少必填列", "duplicate_header": "列名重复", "header_not_found": "找不到表头",
    "not_a_register": "不是台账", "unknown_column": "多余的列", "blank_header": "列名为空", "hidden_sheet": "隐藏工作表",
    "registered_elsewhere": "重复报到（另一街道或社区）",
}
_PATTERNS = (("_unique", "编号重复"), ("_required", "条件必填项为空"), ("_in_roster", "不在报到名册中"),
             ("_in_street", "社区不属于本街道"))


def check_label(check: str) -> str:
    """A check id in words staff understand (the id itself stays the stable contract)."""
    if check in CHECK_LABELS:
        return CHECK_LABELS[check]
    if "_not_before_" in check:
        return "日期先后顺序不对"
    return next((label for suffix, label in _PATTERNS if check.endswith(suffix)), check)
