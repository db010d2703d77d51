"""Registering a source from the app: check the form's values, keep an uploaded workbook, read and
preview it before anything is saved. No streamlit here: the page only collects and shows."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync.config import KINDS, NOTIFY
from sync.sources.grid import Workbook
from sync.sources.readers import WORKBOOK_SUFFIXES
from sync.registry import Source
from sync.run import read_source
from sync.settings import data_dir
from sync.check.validate import SheetResult, validate_workbook

UPLOAD_SUFFIXES = sorted(s.lstrip(".") for s in WORKBOOK_SUFFIXES | {".csv"})
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SPLIT = re.compile(r"[\s,，、;；]+")


class SourceInvalid(ValueError):
    """What the form must fix before the source can be saved; the message is Chinese."""


@dataclass(frozen=True)
class Preview:
    workbook: Workbook
    results: list[SheetResult]

    @property
    def detected(self) -> dict[str, str | None]:
        return {r.sheet: r.dataset for r in self.results}


def split_list(text: str | None) -> list[str]:
    """Items typed one per line or separated by commas or 、."""
    return [item for item in SPLIT.split(text or "") if item]


def save_upload(name: str, filename: str, data: bytes) -> Path:
    """Keep an uploaded workbook under data/uploads/ (named by source and content, never by the user)."""
    suffix = Path(filename).suffix.lower()
    if suffix.lstrip(".") not in UPLOAD_SUFFIXES:
        raise SourceInvalid(f"不支持的文件类型“{suffix or '无扩展名'}”：请上传 {'、'.join(UPLOAD_SUFFIXES)} 文件")
    digest = hashlib.sha256(data).hexdigest()[:12]
    slug = re.sub(r"[^\w-]+", "_", name).strip("_") or "source"
    path = data_dir() / "uploads" / f"{slug}-{digest}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def check_values(name: str, values: dict[str, Any]) -> dict[str, Any]:
    """The registry values, tidied; raises SourceInvalid naming the first thing to fix."""
    if not name.strip():
        raise SourceInvalid("请填写数据源名称")
    if not (values.get("street") or "").strip():
        raise SourceInvalid("请填写街道")
    kind = values.get("kind")
    if kind not in KINDS:
        raise SourceInvalid(f"来源类型应为 {'、'.join(KINDS)} 之一")
    if kind == "gsheet" and not values.get("spreadsheet"):
        raise SourceInvalid("请填写 Google 表格的链接")
    if kind != "gsheet" and not values.get("path"):
        raise SourceInvalid("请上传工作簿或填写服务器上的文件路径")
    if values.get("notify_on", "issues") not in NOTIFY:
        raise SourceInvalid(f"通知方式应为 {'、'.join(NOTIFY)} 之一")
    bad = [r for r in values.get("recipients") or [] if not EMAIL.match(r)]
    if bad:
        raise SourceInvalid(f"收件人邮箱格式不正确：{'、'.join(bad)}")
    return {**values, "street": values["street"].strip(), "district": (values.get("district") or "").strip()}


def kind_for(path: str) -> str:
    return "csv" if Path(path).suffix.lower() == ".csv" else "excel"


def preview(name: str, values: dict[str, Any], workbook: Workbook | None = None) -> Preview:
    """Read the source as the values describe it (or reuse a workbook already read) and validate it."""
    source = Source(id=0, name=name, **{k: v for k, v in values.items() if k in Source.__dataclass_fields__})
    workbook = workbook or read_source(source, None)  # no known fingerprint: always read
    communities = frozenset(source.communities) if source.communities else None
    return Preview(workbook, validate_workbook(workbook, sheets=source.sheets, communities=communities))
