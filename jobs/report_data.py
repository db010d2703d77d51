"""What a report says, read from the mirror: per street its issues, sheets, last syncs and changes.

Everything sheet-derived is masked again here, once, before any template or attachment sees
it: issue values are stored masked, but a phone typed into a note or an ID in a sheet name
must not reach a mail either.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, or_, select

from jobs.mail import clean_addresses
from schemas import DATASETS
from sync.store.models import deliveries, issues, sheets, sync_runs
from sync.check.privacy import mask, mask_text
from sync.registry import Source, list_sources
from sync.store.models import aware
from sync.terms import RUN_STATUS_WORDS

TEXT_FIELDS = ("sheet", "column", "value")


def safe_issue(row: Any) -> dict[str, Any]:
    """An issue row as a dict with its personal field masked (again) and its text masked."""
    issue = dict(row._mapping)
    meta = DATASETS[issue["dataset"]].fields.get(issue["field"]) if issue["dataset"] in DATASETS else None
    if meta is not None and meta.personal and issue["value"]:
        issue["value"] = mask(issue["value"], meta.kind)
    issue["message"] = mask_text(issue["message"], landlines=False)
    return {k: mask_text(v) if k in TEXT_FIELDS else v for k, v in issue.items()}


@dataclass
class StreetData:
    street: str
    district: str
    sources: list[Source]
    issues: list[dict[str, Any]] = field(default_factory=list)
    sheets: list[dict[str, Any]] = field(default_factory=list)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)  # source -> its last finished run

    @property
    def recipients(self) -> list[str]:
        return clean_addresses([r for s in self.sources for r in (s.recipients or [])])

    def count(self, severity: str) -> int:
        return sum(i["severity"] == severity for i in self.issues)

    def stale(self, before: datetime) -> list[str]:
        """Worksheets whose content last changed before ``before``."""
        return [s["sheet"] for s in self.sheets if s["changed_at"] and s["changed_at"] < before]

    @property
    def failed_sources(self) -> list[str]:
        return [name for name, run in self.runs.items() if run["status"] in ("failed", "held")]

    def problems(self) -> list[str]:
        """Each source whose last sync failed or was held, with the reason."""
        return [f"{name}：{RUN_STATUS_WORDS[self.runs[name]['status']]}，{self.runs[name]['message']}"
                for name in self.failed_sources]

    def datasets(self) -> list[dict[str, Any]]:
        """Per dataset: rows read, rows without errors, errors, warnings."""
        rows: Counter = Counter()
        valid: Counter = Counter()
        for s in self.sheets:
            rows[s["dataset"]] += s["rows"]
            valid[s["dataset"]] += s["valid_rows"]
        found = Counter((i["dataset"], i["severity"]) for i in self.issues)
        return [{"dataset": name, "title": d.title, "rows": rows[name], "valid_rows": valid[name],
                 "errors": found[name, "error"], "warnings": found[name, "warning"]}
                for name, d in DATASETS.items() if rows[name] or found[name, "error"] or found[name, "warning"]]


def streets(engine: Engine, names: list[str] | None = None) -> list[StreetData]:
    """Every street with an enabled source (or only those of the named sources), with its data."""
    grouped: dict[str, list[Source]] = defaultdict(list)
    for source in list_sources(engine, names, enabled_only=True):
        grouped[source.street].append(source)
    out = [StreetData(street, group[0].district, group) for street, group in grouped.items()]
    with engine.connect() as conn:
        for data in out:
            members = [s.name for s in data.sources]
            data.issues = [safe_issue(r) for r in conn.execute(
                # ids follow the workbook: worksheets in their order, each sheet's issues by row
                select(issues).where(issues.c.source.in_(members)).order_by(issues.c.source, issues.c.id))]
            data.sheets = [{**r._mapping, "sheet": mask_text(r.sheet), "changed_at": aware(r.changed_at),
                            "synced_at": aware(r.synced_at)}
                           for r in conn.execute(select(sheets).where(sheets.c.source.in_(members))
                                                 .order_by(sheets.c.source, sheets.c.id))]
            last = (select(func.max(sync_runs.c.id)).where(sync_runs.c.source.in_(members),
                                                           sync_runs.c.status != "running")
                    .group_by(sync_runs.c.source))
            data.runs = {r.source: {**r._mapping, "message": mask_text(r.message, landlines=False),
                                 "finished_at": aware(r.finished_at)}
                         for r in conn.execute(select(sync_runs).where(sync_runs.c.id.in_(last)))}
    return out


def last_report_at(engine: Engine, street: str) -> datetime | None:
    """When this street was last sent (or given to the outbox) a report."""
    with engine.connect() as conn:
        return aware(conn.execute(select(func.max(deliveries.c.created_at)).where(
            deliveries.c.kind == "street", deliveries.c.source == street,
            deliveries.c.status.in_(("sent", "outbox")))).scalar())


def changed_since(engine: Engine, data: StreetData, since: datetime | None) -> bool:
    """Whether a sheet's content, the mirror's rows or the issues changed since ``since``.

    A sheet's ``changed_at`` moves when its content does; a run that wrote rows or was held
    (the sheet changed in a way that needs fixing) counts too. Never reported: changed.
    """
    if since is None:
        return True
    names = [s.name for s in data.sources]
    with engine.connect() as conn:
        sheet_changed = conn.execute(select(func.count()).select_from(sheets).where(
            sheets.c.source.in_(names), sheets.c.changed_at > since)).scalar()
        run_changed = conn.execute(select(func.count()).select_from(sync_runs).where(
            sync_runs.c.source.in_(names), sync_runs.c.finished_at > since,
            or_(sync_runs.c.inserted + sync_runs.c.updated + sync_runs.c.deleted > 0,
                sync_runs.c.status == "held"))).scalar()
    return bool(sheet_changed or run_changed)
