"""Workbooks and CSV files on a disk or a shared folder the server can read (kinds ``excel``, ``csv``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync.sources.grid import SourceUnreadable, Workbook
from sync.sources.kinds.base import Located
from sync.sources.readers import fingerprint, load_bytes, read_bytes


@dataclass(frozen=True)
class FileKind:
    name: str
    label: str
    writes_back = False  # a staff workbook on a share is never written to
    content_fingerprint = True  # the hash of the very bytes parsed

    def path_of(self, source: Located) -> Path:
        """The file whose bytes are the content (a content-fingerprint kind's)."""
        return Path(source.path or "")

    def read(self, source: Located, known: str | None) -> Workbook | None:
        path = self.path_of(source)
        if not path.is_file():
            raise SourceUnreadable(f"找不到文件：{path}（请检查数据源“{source.name}”的路径）")
        return read_path(path, known)

    def describe(self, source: Located) -> str:
        return f"{self.label}：{source.path}"

    def check(self, values: Mapping[str, Any]) -> str | None:
        return None if values.get("path") else "缺少文件路径（path）：请上传工作簿或填写服务器上的文件路径"


def read_path(path: Path, known: str | None) -> Workbook | None:
    """Read the file once into memory, hash those bytes, and parse the same bytes (None: unchanged)."""
    data = load_bytes(path)
    digest = fingerprint(data)
    return None if digest == known else read_bytes(data, path.name, digest)


EXCEL = FileKind("excel", "Excel/WPS 工作簿")
CSV = FileKind("csv", "CSV 文件")


def file_kind_for(path: str) -> str:
    """The file kind a path names (by its suffix)."""
    return CSV.name if Path(path).suffix.lower() == ".csv" else EXCEL.name
