"""Workbooks handed in through the app (kind ``upload``): where Google is out of reach, handing in a
workbook IS the connector.

Every version handed in is kept under the data folder, named by the source and its content (never
by the user's file name, which is only recorded); ``sources.path`` names the current version,
relative to the data folder. ``sync.submissions`` records versions and makes one current; reading
is the file kind's: the bytes read once, hashed, and parsed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync.settings import data_dir
from sync.sources.grid import SourceUnreadable, Workbook
from sync.sources.kinds.base import Located
from sync.sources.kinds.file import read_path
from sync.sources.readers import check_name

FOLDER = "uploads"


def version_file(source_name: str, filename: str, data: bytes) -> str:
    """Where a version of ``source_name`` with these bytes lives, relative to the data folder.

    Only the suffix of the user's file name is kept (it says how to parse the bytes).
    """
    check_name(filename)
    slug = re.sub(r"[^\w-]+", "_", source_name).strip("_") or "source"
    return f"{FOLDER}/{slug}/{hashlib.sha256(data).hexdigest()[:32]}{Path(filename).suffix.lower()}"


def stored_path(file: str) -> Path:
    """A version's file on disk (a relative name is under the data folder)."""
    path = Path(file)
    return path if path.is_absolute() else data_dir() / path


def store_version(file: str, data: bytes) -> Path:
    """Write a version's bytes, readable only by the owner (once: the name is the content, so an
    existing file is the same)."""
    from sync.private_files import write_private  # owner-only, like every upload (issue 14)

    path = stored_path(file)
    if not path.is_file():
        partial = write_private(path.with_suffix(path.suffix + ".part"), data)
        partial.replace(path)  # atomic: a reader never sees half a version
    return path


@dataclass(frozen=True)
class UploadKind:
    name: str = "upload"
    label: str = "提交的工作簿"
    writes_back = False  # the staff's own copy is on their computer: the annotated copy is a download
    content_fingerprint = True  # the hash of the very bytes parsed, as for any file

    def path_of(self, source: Located) -> Path:
        """The current version's file (a content-fingerprint kind's)."""
        return stored_path(source.path or "")

    def read(self, source: Located, known: str | None) -> Workbook | None:
        if not source.path:
            raise SourceUnreadable(f"数据源“{source.name}”还没有提交过工作簿：请在“提交台账”页提交")
        path = stored_path(source.path)
        if not path.is_file():
            raise SourceUnreadable(f"数据源“{source.name}”当前版本的文件不见了（{source.path}）："
                                   "请重新提交，或在“数据源管理”中把一个早先的版本设为当前版本")
        return read_path(path, known)

    def describe(self, source: Located) -> str:
        return f"{self.label}（在“提交台账”页提交）"

    def check(self, values: Mapping[str, Any]) -> str | None:
        return None if values.get("path") else "还没有工作簿：请先上传一个工作簿作为第一个版本"


UPLOAD = UploadKind()
