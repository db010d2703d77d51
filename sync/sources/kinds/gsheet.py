"""Google Sheets (kind ``gsheet``): unchanged when the Drive ``modifiedTime`` is the one already synced."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync.sources.grid import SourceUnreadable, Workbook
from sync.sources.kinds.base import Located


def google_credentials(source: Located) -> dict | str:
    """The source's own service-account key, else the global one (setting or Streamlit secrets)."""
    if source.credentials:
        return source.credentials
    from sync.settings import secret_section, setting
    raw = setting("TAIZHANG_GOOGLE_CREDENTIALS")
    if raw:
        return json.loads(raw) if raw.lstrip().startswith("{") else raw
    section = secret_section("gcp_service_account")
    if not section:
        raise SourceUnreadable("未配置谷歌服务账号密钥：请在数据源中填写 credentials，或设置 TAIZHANG_GOOGLE_CREDENTIALS")
    return section


@dataclass(frozen=True)
class GoogleSheetKind:
    name: str = "gsheet"
    label: str = "Google 表格"
    writes_back = True  # opt-in per source: a 校验结果 worksheet and cell notes (sync.outputs.google_writeback)
    content_fingerprint = False  # Drive modifiedTime: IMPORTRANGE and add-ons change values without moving it

    def read(self, source: Located, known: str | None) -> Workbook | None:
        from sync.sources.google_sheets import read_gsheet  # gspread only for Google sources
        return read_gsheet(source.spreadsheet or "", google_credentials(source),
                           api_endpoint=source.api_endpoint, known_fingerprint=known)

    def describe(self, source: Located) -> str:
        return f"{self.label}：{source.spreadsheet}"

    def check(self, values: Mapping[str, Any]) -> str | None:
        return None if values.get("spreadsheet") else "缺少 spreadsheet（Google 表格的链接或编号）"


GSHEET = GoogleSheetKind()
