"""One finding about a source: a cell, a row or a whole worksheet that staff should look at."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


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

    def as_json(self) -> dict[str, Any]:
        """The validate JSON contract's issue object (the sheet is implied by its parent)."""
        out = asdict(self)
        del out["sheet"]
        return out
