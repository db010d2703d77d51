"""Registering a source from the app: check the form's values, read and preview the sheets before
anything is saved (an uploaded workbook becomes the source's first version through sync.submissions).
No streamlit here: the page only collects and shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from sync.check.source import check_source
from sync.check.validate import SheetResult
from sync.config import NOTIFY
from sync.registry import Source
from sync.run import read_source, source_context
from sync.terms import EMAIL
from sync.sources.grid import SourceUnreadable, Workbook
from sync.sources.kinds import kind_named
from sync.sources.readers import WORKBOOK_SUFFIXES
from sync.store.lengths import too_long
from sync.store.models import sources

UPLOAD_SUFFIXES = sorted(s.lstrip(".") for s in WORKBOOK_SUFFIXES | {".csv"})


class SourceInvalid(ValueError):
    """What the form must fix before the source can be saved; the message is Chinese."""


@dataclass(frozen=True)
class Preview:
    workbook: Workbook
    results: list[SheetResult]

    @property
    def detected(self) -> dict[str, str | None]:
        return {r.sheet: r.dataset for r in self.results}


def check_values(name: str, values: dict[str, Any]) -> dict[str, Any]:
    """The registry values, tidied; raises SourceInvalid naming the first thing to fix."""
    if not name.strip():
        raise SourceInvalid("请填写数据源名称")
    if not (values.get("street") or "").strip():
        raise SourceInvalid("请填写街道")
    try:
        problem = kind_named(values.get("kind")).check(values)
    except SourceUnreadable as exc:
        raise SourceInvalid(str(exc)) from None
    if problem:
        raise SourceInvalid(problem)
    if values.get("notify_on", "issues") not in NOTIFY:
        raise SourceInvalid(f"通知方式应为 {'、'.join(NOTIFY)} 之一")
    bad = [r for r in values.get("recipients") or [] if not EMAIL.match(r)]
    if bad:
        raise SourceInvalid(f"收件人邮箱格式不正确：{'、'.join(bad)}")
    tidy = {**values, "street": values["street"].strip(), "district": (values.get("district") or "").strip()}
    problem = too_long(sources, {"name": name.strip(), **tidy})
    if problem:
        raise SourceInvalid(problem)
    return tidy


def preview(engine: Engine, name: str, values: dict[str, Any], workbook: Workbook | None = None) -> Preview:
    """Read the source as the values describe it (or reuse a workbook already read) and check it
    exactly as a sync would (the street's roster in the mirror included)."""
    source = Source(id=0, name=name, **{k: v for k, v in values.items() if k in Source.__dataclass_fields__})
    workbook = workbook or read_source(source, None)  # no known fingerprint: always read
    return Preview(workbook, check_source(workbook, source_context(engine, source)))
