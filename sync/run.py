"""One sync of one source: fingerprint, read, validate, plan, and ONE transaction.

Every outcome is a ``sync_runs`` row: ok, unchanged, held (the mirror left as it was
because the change looks like an accident), or failed (with a reason a person can act
on). A per-source lock keeps two processes from syncing one source at once.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine, delete, select, update

from sync.sources.grid import SourceUnreadable, Workbook, is_panic
from sync.sources.kinds import kind_of
from sync.check.issues import Issue
from sync.store.crypto import SecretKeyInvalid
from sync.store.keys import verify_vault
from sync.store.locks import source_lock
from sync.store.models import issues, sheets, sources, sync_runs
from sync.known import STILL_HELD, known_content, known_values, standing_hold
from sync.registry import Source, duplicate_notice
from sync.store.models import now
from sync.terms import NO_REGISTER
from sync.store.summary import refresh_summary

# The validation and mirror modules (pandas, pandera, the schemas) are imported where a
# changed source needs them: an unchanged source costs a hash and two small transactions.
if TYPE_CHECKING:
    from sync.check.source import SourceContext
    from sync.check.validate import SheetResult
    from sync.store.crypto import Vault

log = logging.getLogger("taizhang.sync")
Progress = Callable[[str], None]


@dataclass
class RunResult:
    source: str
    status: str  # ok | unchanged | held | failed | skipped
    message: str = ""
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    errors: int = 0
    warnings: int = 0
    run_id: int | None = None
    seconds: float = 0.0
    recheck: list[str] = field(default_factory=list)  # other sources whose next sync must check them again


@dataclass
class Kept:
    """A source's results up to the mirror's rule (``check_sheets``), from earlier in this run or
    checked ahead by ``sync.ahead``: its sync, or a re-check of the same content (``sync.same_person``),
    applies only that rule again, without reading or validating. They stand for the very bytes they
    came from (the sync hashes the file again) and for the street's roster names they were checked with."""

    workbook: Workbook  # its fingerprint and name; grids and bytes dropped
    results: list[SheetResult]
    own_roster: bool  # claimers and holders were checked against the workbook's own roster
    roster_names: frozenset[str] | None  # else against these names of the street's roster in the mirror
    sheets: int  # the workbook's worksheets
    said: bool = True  # the "checking" progress line was said (False: checked ahead, out of sight)
    sealed: tuple[dict[str, str], dict[str, str]] | None = None  # a worker's vault work (``Presealed``), used once

    @classmethod
    def of(cls, workbook: Workbook, results: list[SheetResult], context: SourceContext, said: bool = True) -> Kept:
        own = any(r.dataset == "roster" and r.frame is not None for r in results)
        return cls(replace(workbook, grids=[], data=None), results, own, context.roster_names, len(workbook.grids), said)

    def stands_for(self, context: SourceContext) -> bool:
        return self.own_roster or self.roster_names == context.roster_names


class Held(Exception):
    """The change looks like an accident; the mirror is left untouched."""


def read_source(source: Source, known: str | None) -> Workbook | None:
    """The source's workbook, or None when its kind says the content is the one ``known``."""
    return kind_of(source).read(source, known)


def source_context(engine: Engine, source: Source, vault: Vault | None = None) -> SourceContext:
    """What the source's workbook is checked against: its mapping, communities and street roster,
    and (with the vault's lookup hash) the other sources' rosters."""
    from sync.check.source import SourceContext
    names = None
    if not any(s == "roster" for s in (source.sheets or {}).values()):
        names = street_roster_names(engine, source)
    elsewhere = None
    if vault is not None:
        from sync.same_person import registered_elsewhere
        elsewhere = registered_elsewhere(engine, vault, source.name)
    return SourceContext(sheets=source.sheets, roster_names=names,
                         communities=frozenset(source.communities) if source.communities else None,
                         street=source.street, registered_elsewhere=elsewhere)


def street_roster_names(engine: Engine, source: Source) -> frozenset[str] | None:
    """Names in the mirror's roster for the source's street (for claimers and post holders)."""
    from sync.store.models import roster
    same_street = select(sources.c.name).where(sources.c.street == source.street)
    with engine.connect() as conn:
        names = conn.execute(select(roster.c.name).distinct().where(
            roster.c.source.in_(same_street), roster.c.deleted_at.is_(None))).scalars().all()
    return frozenset(names) if names else None


def _start_run(engine: Engine, source: Source, trigger: str) -> int:
    with engine.begin() as conn:
        conn.execute(update(sync_runs).where(sync_runs.c.source == source.name, sync_runs.c.status == "running")
                     .values(status="failed", finished_at=now(), message="上次同步意外中断（进程被终止），本次已重新同步"))
        return conn.execute(sync_runs.insert().values(
            source=source.name, status="running", started_at=now(), trigger=trigger, pid=os.getpid())
            .returning(sync_runs.c.id)).scalar_one()


def _finish(conn, run_id: int, result: RunResult) -> None:
    conn.execute(update(sync_runs).where(sync_runs.c.id == run_id).values(
        status=result.status, finished_at=now(), message=result.message, rows_read=result.rows_read,
        inserted=result.inserted, updated=result.updated, deleted=result.deleted,
        errors=result.errors, warnings=result.warnings))


def _replace_issues(conn, source: Source, run_id: int, results: list[SheetResult]) -> None:
    conn.execute(delete(issues).where(issues.c.source == source.name))
    rows = [{"source": source.name, "run_id": run_id, "dataset": r.dataset, "sheet": i.sheet, "severity": i.severity,
             "row": i.row, "cell": i.cell, "column": i.column, "field": i.field, "value": i.value,
             "check": i.check, "message": i.message}
            for r in results for i in r.issues]
    if rows:
        conn.execute(issues.insert(), rows)


def _record_sheets(conn, source: Source, results: list[SheetResult], when: datetime) -> None:
    existing = {r.sheet: r for r in conn.execute(select(sheets).where(sheets.c.source == source.name))}
    for r in results:
        digest = r.content_digest()
        values = {"dataset": r.dataset, "content_hash": digest, "rows": r.rows, "valid_rows": r.valid_rows,
                  "synced_at": when}
        old = existing.get(r.sheet)
        if old is None:
            conn.execute(sheets.insert().values(source=source.name, sheet=r.sheet, changed_at=when, **values))
        else:
            changed = {"changed_at": when} if old.content_hash != digest else {}
            conn.execute(update(sheets).where(sheets.c.id == old.id).values(**values, **changed))


def _guard(plans, allow_mass_delete: bool) -> None:
    """Hold what looks like an accident, per register: a source's large roster must not hide its
    posts losing 4 of 5 rows."""
    from schemas import DATASETS
    blocked = [s for p in plans for s in p.blocked]
    if blocked:
        raise Held(f"工作表“{'、'.join(blocked)}”有表头错误（缺少必填列或列名重复），镜像保持不变：请按问题清单修改表头")
    if allow_mass_delete:
        return
    for p in plans:
        title, deleting = DATASETS[p.dataset].title, len(p.deletes)
        if p.active_before and p.rows_read == 0:
            raise Held(f"{title}读取到0行（原有{p.active_before}行），疑似误删或换表，镜像保持不变；"
                       "确认无误请使用 --allow-mass-delete 或在应用中确认")
        if p.active_before and deleting * 2 > p.active_before:
            raise Held(f"本次同步将删除{title}{deleting}行（原有{p.active_before}行，超过一半），镜像保持不变；"
                       "确认无误请使用 --allow-mass-delete 或在应用中确认")


def held_reason(plans, allow_mass_delete: bool = False) -> str | None:
    """Why a sync with these plans would be held, or None (the app's preview of a hand-in)."""
    try:
        _guard(plans, allow_mass_delete)
    except Held as exc:
        return str(exc)
    return None


def sync_source(engine: Engine, source: Source, vault: Vault, *, force: bool = False,
                allow_mass_delete: bool = False, trigger: str = "cli", progress: Progress | None = None,
                recheck: timedelta | None = None, kept: dict[str, Kept] | None = None) -> RunResult:
    """Sync one source under its lock; never raises for a bad source, always records the run.

    ``recheck``: how long a change-time fingerprint (Google) is trusted before a forced read.
    ``kept``: results by source kept through a run of several sources (read and added to).
    """
    say = progress or (lambda _msg: None)
    started = time.monotonic()
    with source_lock(engine, source.name) as taken:
        if not taken:
            return RunResult(source.name, "skipped", "另一个同步正在处理该数据源，已跳过")
        run_id = _start_run(engine, source, trigger)
        result = RunResult(source.name, "failed", run_id=run_id)
        try:
            current = _sync_locked(engine, source, vault, result, force, allow_mass_delete, say, recheck, kept)
            if current is not None and source.writeback and kind_of(source).writes_back:
                say(f"{source.name}：回写校验结果")
                _write_back(engine, source, current, result)
            notice = duplicate_notice(engine, source)  # another enabled source over the same sheets or register
            if notice:
                result.message += f"；注意：{notice}"
                with engine.begin() as conn:
                    _finish(conn, run_id, result)
        except BaseException as exc:  # a bad source, a bug, a database fault, a Rust panic: recorded, mirror untouched
            if not isinstance(exc, Exception) and not is_panic(exc):
                raise  # Ctrl-C or exit: the next run marks this one failed
            if isinstance(exc, (SourceUnreadable, SecretKeyInvalid)):
                result.message = str(exc)
            else:
                log.exception("sync of %s failed", source.name)
                result.message = f"同步出错（{type(exc).__name__}），镜像保持不变：请联系管理员查看日志"
            result.status = "failed"
            with engine.begin() as conn:
                _finish(conn, run_id, result)
        result.seconds = time.monotonic() - started
        return result


def _write_back(engine: Engine, source: Source, current: list[Issue], result: RunResult) -> None:
    """Opt-in: the issues into the staff's own spreadsheet. A failure here never undoes the sync."""
    try:
        from sync.outputs.google_writeback import write_back_source
        write_back_source(source, current)
    except SourceUnreadable as exc:
        result.message += f"；校验结果回写失败：{exc}"
        with engine.begin() as conn:
            _finish(conn, result.run_id, result)


def _sync_locked(engine: Engine, source: Source, vault: Vault, result: RunResult, force: bool,
                 allow_mass_delete: bool, say: Progress, recheck: timedelta | None,
                 kept: dict[str, Kept] | None) -> list[Issue] | None:
    """The sync proper; returns the source's current issues, or None when it was unchanged."""
    say(f"{source.name}：检查是否有变化")
    earlier = kept.get(source.name) if kept is not None else None
    # a confirmed mass delete reads again: the content it confirms was held, and held content is "known"
    known = None if force or allow_mass_delete else known_content(source, recheck)
    workbook = read_source(source, earlier.workbook.fingerprint if earlier else known)
    context = local = None
    if workbook is None and earlier is not None:  # the very bytes checked earlier in this run
        if earlier.sealed is not None:  # the hashes and tokens of its ID numbers, done by a worker
            from sync.store.crypto import Presealed
            vault = Presealed(vault, *earlier.sealed)
            # once: a re-check inserts next to nothing and hashes a few thousand numbers (ms), while
            # keeping every source's numbers and hashes to the run's end held 20-30 MB of the city sync
            earlier.sealed = None
        context = source_context(engine, source, vault)
        if earlier.stands_for(context):
            workbook, local = earlier.workbook, earlier.results
            if not earlier.said:
                say(f"{source.name}：校验 {earlier.sheets} 个工作表")
                earlier.said = True
        else:  # the street's roster moved since: validate afresh
            workbook = read_source(source, None)
    if workbook is None:
        held = standing_hold(engine, source)  # unchanged since a held run: still held, issues still open
        result.status, result.message = ("held", STILL_HELD + held) if held is not None else ("unchanged", "表格未变化")
        with engine.begin() as conn:
            conn.execute(update(sources).where(sources.c.id == source.id).values(last_checked_at=now()))
            _finish(conn, result.run_id, result)
        return None
    from schemas import ERROR, WARNING
    from sync.check.source import against_mirror, check_sheets
    from sync.store.mirror import collect
    context = context or source_context(engine, source, vault)
    if local is None:
        say(f"{source.name}：校验 {len(workbook.grids)} 个工作表")
        local = check_sheets(workbook, context)
        if kept is not None and any(r.dataset == "roster" and r.frame is not None for r in local):
            kept[source.name] = Kept.of(workbook, local, context)
    results = against_mirror(local, context)  # check_source, the sheets' part done once per content
    if not any(r.dataset for r in results):
        raise SourceUnreadable(f"{NO_REGISTER}：请检查表头或工作表映射")
    incoming = collect(results, vault)
    result.rows_read = sum(r.rows for r in results)
    all_issues = [i for r in results for i in r.issues]
    result.errors = sum(i.severity == ERROR for i in all_issues)
    result.warnings = sum(i.severity == WARNING for i in all_issues)
    say(f"{source.name}：写入数据库")
    when = now()
    try:
        _write(engine, source, vault, result, workbook, results, incoming, allow_mass_delete, when)
    except Held as exc:
        result.status, result.message = "held", str(exc)
        with engine.begin() as conn:  # staff still learn what to fix; the data stays as it was
            _replace_issues(conn, source, result.run_id, results)
            # the held content's results stand: the same bytes again are "unchanged" (still held), and
            # any other content - the last good bytes restored, say - is read and checked afresh
            conn.execute(update(sources).where(sources.c.id == source.id).values(
                **known_values(source, workbook, when)))
            _finish(conn, result.run_id, result)
    return all_issues


def apply_plan(conn, source: str, plan, vault: Vault, run_id: int, when: datetime) -> None:
    """sync.store.mirror's apply_plan, imported when a source has changed (a name here for the kill tests)."""
    from sync.store.mirror import apply_plan as write_plan
    write_plan(conn, source, plan, vault, run_id, when)


def _write(engine, source, vault, result, workbook, results, incoming, allow_mass_delete, when) -> None:
    from schemas import DATASETS
    from sync.store.mirror import plan_dataset
    with engine.begin() as conn:
        verify_vault(conn, vault)  # a key rotated since this process started must not write
        plans = [plan_dataset(conn, source.name, name, incoming[name]) for name in DATASETS]
        _guard(plans, allow_mass_delete)
        for plan in plans:
            apply_plan(conn, source.name, plan, vault, result.run_id, when)
        from sync.same_person import recheck_sharing  # the people this roster gained or lost, elsewhere too
        result.recheck = recheck_sharing(conn, [source.name], next(p for p in plans if p.dataset == "roster").moved_keys)
        refresh_summary(conn, source.name)  # the dashboards' counts, in step with the rows in this transaction
        result.inserted = sum(len(p.inserts) for p in plans)
        result.updated = sum(len(p.updates) for p in plans)
        result.deleted = sum(len(p.deletes) for p in plans)
        _replace_issues(conn, source, result.run_id, results)
        _record_sheets(conn, source, results, when)
        conn.execute(update(sources).where(sources.c.id == source.id).values(
            **known_values(source, workbook, when), last_ok_at=when))
        result.status = "ok"
        result.message = f"读取{result.rows_read}行：新增{result.inserted}，更新{result.updated}，删除{result.deleted}"
        _finish(conn, result.run_id, result)
