"""Handing in a workbook (the app's 提交台账): check it exactly as a sync would and show what the
mirror would change; for an upload source, keep it as the source's current version and sync it.

Any source's workbook can be checked this way without being replaced (staff test an edited copy
of a shared file or a Google sheet before putting it back). Only an ``upload`` source takes a new
version: every version is kept under the data folder by content (``sync.sources.kinds.upload``),
with the user's file name, who, when and the result in ``source_versions``; versions beyond
``TAIZHANG_KEEP_VERSIONS`` are pruned, never the current one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Engine, select, update

from sync.registry import Source, get_source
from sync.run import RunResult, held_reason, source_context, sync_source
from sync.settings import setting
from sync.terms import NO_REGISTER
from sync.sources.grid import Workbook
from sync.sources.kinds.upload import UPLOAD, stored_path, store_version, version_file
from sync.sources.readers import read_bytes
from sync.store.models import now, source_versions, sources

if TYPE_CHECKING:
    from sync.check.validate import SheetResult
    from sync.store.crypto import Vault


class Mirror(Protocol):
    """What a hand-in needs of ``sync.service.Mirror`` (named here so this stage never imports the service)."""

    engine: Engine
    vault: Vault

QUIET = ("unchanged", "skipped")  # outcomes that say nothing new about the current version


class SubmissionRefused(ValueError):
    """The workbook can't be taken as asked; the message is Chinese and says what to do."""


@dataclass(frozen=True)
class RegisterChange:
    """What a sync of the checked workbook would do to one register of the mirror."""

    dataset: str
    rows_read: int
    inserts: int
    updates: int
    deletes: int
    stale: int  # rows kept as their last good version because the sheet's row now has errors
    active_before: int


@dataclass
class Checked:
    source: Source
    filename: str
    workbook: Workbook
    results: list[SheetResult]
    changes: list[RegisterChange]
    problem: str | None  # why a sync of this workbook would be held or fail; None: it would be applied

    @property
    def usable(self) -> bool:
        """Whether any worksheet is a register (else a sync of it fails)."""
        return any(r.dataset for r in self.results)

    def count(self, severity: str) -> int:
        return sum(i.severity == severity for r in self.results for i in r.issues)


@dataclass(frozen=True)
class Version:
    id: int
    source: str
    file: str
    filename: str
    size: int
    uploaded_by: str | None
    uploaded_at: datetime
    status: str | None
    rows_read: int
    errors: int
    warnings: int
    message: str | None
    current: bool


def check_workbook(mirror: Mirror, source: Source, filename: str, data: bytes) -> Checked:
    """Read and check the bytes as ``source``'s workbook, and plan (never apply) the mirror's change.

    The same limits as any read apply; nothing is written anywhere.
    """
    from schemas import DATASETS
    from sync.check.source import check_source
    from sync.store.mirror import collect, plan_dataset

    workbook = read_bytes(data, filename)
    results = check_source(workbook, source_context(mirror.engine, source, mirror.vault))
    incoming = collect(results, mirror.vault)
    with mirror.engine.connect() as conn:  # reads only; the connection's transaction is rolled back
        plans = [plan_dataset(conn, source.name, name, incoming[name]) for name in DATASETS]
        conn.rollback()
    changes = [RegisterChange(p.dataset, p.rows_read, len(p.inserts), len(p.updates), len(p.deletes), len(p.stale),
                              p.active_before) for p in plans if p.rows_read or p.active_before]
    checked = Checked(source, filename, workbook, results, changes, None)
    checked.problem = held_reason(plans) if checked.usable else NO_REGISTER
    return checked


def submit_workbook(mirror: Mirror, checked: Checked, user: str) -> tuple[Version, RunResult]:
    """Keep a checked workbook as its upload source's current version and sync it at once (the held
    rules of any sync apply). A workbook with no register in it is refused: nothing is stored."""
    source, data = checked.source, checked.workbook.data or b""
    if source.kind != UPLOAD.name:
        raise SubmissionRefused(f"数据源“{source.name}”读取的是{_where(source)}：这里只能检查副本，"
                                "不能替换它；检查无误后请把文件放回原处")
    if not checked.usable:
        raise SubmissionRefused(f"未提交：{NO_REGISTER}")
    current = _current(mirror.engine, source.name)
    if current is not None and stored_path(current.file).is_file() and \
            version_file(source.name, checked.filename, data) == current.file:
        raise SubmissionRefused("这个工作簿与当前版本完全相同，无需再次提交")
    version = record_version(mirror.engine, source.name, checked.filename, data, user)
    return version, _sync(mirror, source.name, version.id)


def record_version(engine: Engine, source_name: str, filename: str, data: bytes, user: str | None) -> Version:
    """Store the bytes as a new version of the source and make it current (no sync)."""
    file = version_file(source_name, filename, data)
    store_version(file, data)
    with engine.begin() as conn:
        version_id = conn.execute(source_versions.insert().values(
            source=source_name, file=file, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
            filename=filename, uploaded_by=user, uploaded_at=now()).returning(source_versions.c.id)).scalar_one()
        conn.execute(update(sources).where(sources.c.name == source_name).values(path=file, updated_at=now()))
    prune_versions(engine, source_name)
    return next(v for v in list_versions(engine, source_name) if v.id == version_id)


def make_current(mirror: Mirror, source_name: str, version_id: int) -> RunResult:
    """Make an earlier version the source's current one again, and sync it."""
    version = next((v for v in list_versions(mirror.engine, source_name) if v.id == version_id), None)
    if version is None:
        raise SubmissionRefused("没有这个版本（可能已被清理）")
    if not stored_path(version.file).is_file():
        raise SubmissionRefused(f"这个版本的文件不见了（{version.file}）：无法恢复")
    with mirror.engine.begin() as conn:
        conn.execute(update(sources).where(sources.c.name == source_name).values(path=version.file, updated_at=now()))
    return _sync(mirror, source_name, version_id)


def _sync(mirror: Mirror, source_name: str, version_id: int) -> RunResult:
    source = get_source(mirror.engine, source_name)
    result = sync_source(mirror.engine, source, mirror.vault, trigger="app")
    with mirror.engine.begin() as conn:
        conn.execute(update(source_versions).where(source_versions.c.id == version_id).values(**_outcome(result)))
    return result


def _outcome(result: RunResult) -> dict:
    return {"run_id": result.run_id, "status": result.status, "rows_read": result.rows_read,
            "errors": result.errors, "warnings": result.warnings, "message": result.message}


def note_results(engine: Engine, results: list[RunResult]) -> None:
    """Record a sync's outcome on the current version of each upload source it read (a held
    hand-in confirmed later, a version restored by hand): the version list shows the last word."""
    for result in results:
        if result.status in QUIET or result.run_id is None:
            continue
        current = _current(engine, result.source)
        if current is not None:
            with engine.begin() as conn:
                conn.execute(update(source_versions).where(source_versions.c.id == current.id)
                             .values(**_outcome(result)))


def list_versions(engine: Engine, source_name: str) -> list[Version]:
    """The source's versions, newest first."""
    with engine.connect() as conn:
        path = conn.execute(select(sources.c.path).where(sources.c.name == source_name)).scalar()
        rows = conn.execute(select(source_versions).where(source_versions.c.source == source_name)
                            .order_by(source_versions.c.id.desc())).all()
    latest_current = next((r.id for r in rows if r.file == path), None)  # one file may be handed in twice
    return [Version(r.id, r.source, r.file, r.filename, r.size, r.uploaded_by, r.uploaded_at, r.status, r.rows_read,
                    r.errors, r.warnings, r.message, r.id == latest_current) for r in rows]


def _current(engine: Engine, source_name: str) -> Version | None:
    return next((v for v in list_versions(engine, source_name) if v.current), None)


def keep_versions() -> int:
    """How many versions a source keeps (TAIZHANG_KEEP_VERSIONS; at least 1)."""
    try:
        return max(1, int(setting("TAIZHANG_KEEP_VERSIONS") or 20))
    except ValueError:
        return 20


def prune_versions(engine: Engine, source_name: str, keep: int | None = None) -> int:
    """Forget the versions beyond the newest ``keep`` (never the current one) and delete their files
    when no remaining version uses them. Returns how many versions went."""
    versions = list_versions(engine, source_name)
    keep = keep or keep_versions()
    gone = [v for n, v in enumerate(versions) if n >= keep and not v.current]
    if not gone:
        return 0
    with engine.begin() as conn:
        conn.execute(source_versions.delete().where(source_versions.c.id.in_([v.id for v in gone])))
        used = set(conn.execute(select(source_versions.c.file).distinct()).scalars())
        used |= set(conn.execute(select(sources.c.path).where(sources.c.kind == UPLOAD.name)).scalars())
    for file in {v.file for v in gone} - used:
        stored_path(file).unlink(missing_ok=True)
    return len(gone)


def version_bytes(version: Version) -> bytes:
    """A version's bytes, to download it as it was handed in."""
    path = stored_path(version.file)
    if not path.is_file():
        raise SubmissionRefused(f"这个版本的文件不见了（{version.file}）")
    return path.read_bytes()


def _where(source: Source) -> str:
    from sync.sources.kinds import kind_of
    return kind_of(source).describe(source)
