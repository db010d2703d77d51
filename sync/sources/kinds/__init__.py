"""Source kinds as one table. Each kind is one module of this folder with the same small interface:

- ``read(source, known)`` -> the source's ``Workbook``, or ``None`` when its content fingerprint
  equals ``known`` (nothing changed: no parsing);
- ``describe(source)`` -> where the sheets are, in Chinese, for pages, logs and reports;
- ``check(values)`` -> what a new or edited source of this kind is missing (Chinese), or ``None``;
- ``content_fingerprint``: whether the fingerprint is of the content itself (a file's hash) or a
  change time that can miss edits (Google's modifiedTime), which ``sync run`` re-reads now and then.

Adding a kind: a module here, and a line in ``KINDS``. Nothing else looks at kind names.
"""

from __future__ import annotations

from sync.sources.grid import SourceUnreadable
from sync.sources.kinds.base import Kind, Located
from sync.sources.kinds.file import CSV, EXCEL
from sync.sources.kinds.gsheet import GSHEET
from sync.sources.kinds.upload import UPLOAD

KINDS: dict[str, Kind] = {kind.name: kind for kind in (EXCEL, CSV, GSHEET, UPLOAD)}

__all__ = ["KINDS", "Kind", "Located", "kind_of", "kind_named"]


def kind_named(name: str | None) -> Kind:
    """The kind called ``name``; a Chinese SourceUnreadable naming the known kinds otherwise."""
    try:
        return KINDS[name or ""]
    except KeyError:
        raise SourceUnreadable(f"来源类型应为 {'、'.join(KINDS)} 之一（实为“{name}”）") from None


def kind_of(source: Located) -> Kind:
    return kind_named(source.kind)
