"""Reading and checking ahead on the second core (issue 17): a run of several sources.

A worker process reads and checks (``check_sheets``: everything but the mirror's rule) the
sources of a run in the run's order, ahead of it, while the run syncs them one after another:
it takes each source's results from the worker (one not started yet it checks itself; while it
waits for one being checked, it takes back the newest source asked and not started and checks
that meanwhile: ``Claims`` says who has each). The worker only reads files and checks cells: it never opens
the database. The run stays the one writer: each source is still synced under its own lock,
in its own transaction, in order, and takes what a worker checked as ``Kept`` results, which
stand only for the very bytes they came from and the street's roster names they were checked
with (else the sync reads and checks again itself). Anything going wrong in the worker is the
sync's to find and report: the worker then just leaves that source to it. Measured on the
scale-1 city (2 cores): one worker going backwards while the run checked from the front,
8.0 s; two workers in order, 7.1 s; the workers also gathering the rows for the mirror, 7.7 s
(pickling 73,000 row dicts back costs more than it saves) and +100 MB. Later, with the writer
made the long path: one worker in order as fast as two and 50-60 MB less for all processes
together, so one (BENCHMARKS.md). Taking work back while waiting: a re-sync of every workbook of
the city 6.8 -> 5.4 s, a full sync 7.7 -> 7.4 s, about 10 MB more for all processes together.

The worker is forked (the parent's modules are loaded: no second import) and used by the
command line only; the app's server process, with its threads, never forks one.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta

from sqlalchemy import Engine

from sync.known import known_content
from sync.registry import Source
from sync.run import Kept, read_source, source_context
from sync.sources.grid import SourceUnreadable
from sync.sources.isolated import read_here_from_now_on
from sync.sources.kinds import kind_of
from sync.sources.readers import fingerprint, load_bytes
from sync.store.crypto import Vault

log = logging.getLogger("taizhang.sync")
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_vault: Vault | None = None  # the worker's, set by ``_start``
_claims: Claims | None = None  # the worker's, set by ``_start``
# one worker reads and checks while the run's own process writes: the two cores stay busy. The writer
# is the long path of a full sync (BENCHMARKS.md): a second worker made it no faster, made a re-sync
# that writes little faster (0.70x a full sync against 0.78x), and held 50-60 MB more of the 300 MB
# a city's run may take
WORKERS = 1
WINDOW = 4  # sources asked of the worker and not yet taken by the run, at most


class Claims:
    """Who checks each source asked of the worker: nobody yet, the worker, or the run (a source the
    run reached first, or took back while it waited). One byte per source in memory shared with the
    forked worker, under one lock: each source is checked once, by whoever claims it first.
    ``claim`` says who had it before: ``FREE`` when the caller has just got it.

    Not ``Future.cancel``: a cancelled future stays in the pool's queue until the worker asks for
    its next task, and if the worker dies meanwhile (a file past the reader's caps), Python 3.11's
    pool fails on it while marking the tasks broken and leaves the ones after it unmarked: waiting
    for their results would never end."""

    FREE, WORKER, RUN = 0, 1, 2

    def __init__(self, count: int):
        self._owner = multiprocessing.get_context("fork").Array("b", count)

    def claim(self, slot: int, who: int) -> int:
        with self._owner.get_lock():
            before = self._owner[slot]
            if before == self.FREE:
                self._owner[slot] = who
            return before


def _start(parent: int, vault: Vault, claims: Claims) -> None:
    """In the worker, first: keep the vault and the claims (inherited through the fork, never
    pickled), and end when the run's process ends, even by SIGKILL (Linux's PR_SET_PDEATHSIG),
    instead of checking on for nobody."""
    global _vault, _claims
    _vault, _claims = vault, claims
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (AttributeError, OSError):  # not Linux: the pool's own checks end it a little later
        pass
    if os.getppid() != parent:  # the run ended before the line above
        os._exit(0)
    # the worker reads its files itself, under the reader's caps: a file that kills it leaves the
    # pool broken, and the run reads and checks the rest itself (each file in a capped child)
    read_here_from_now_on()


def check_ahead(slot: int, source: Source, known: str | None, context, stored: frozenset[str]) -> Kept | None:
    """In the worker: ``checked`` with the worker's vault, or None when the run claimed the source
    first or anything at all goes wrong."""
    try:
        if _claims.claim(slot, Claims.WORKER) != Claims.FREE:
            return None
        return checked(source, known, context, stored, _vault)
    except BaseException:  # noqa: BLE001 - the sync reads it again and reports what it finds
        return None


def checked(source: Source, known: str | None, context, stored: frozenset[str], vault: Vault) -> Kept | None:
    """The source read and checked, or None (unchanged, or left to the sync). With it the vault's
    work: the lookup hashes of its valid ID numbers, and the tokens of those not ``stored`` for the
    source yet (the ones its sync will insert)."""
    from sync.check.source import check_sheets
    workbook = read_source(source, known)
    if workbook is None:
        return None
    local = check_sheets(workbook, context)
    for result in local:
        result.content_digest()  # the run's writer records it
    kept = Kept.of(workbook, local, context, said=False)
    hashes = {n: vault.lookup_hash(n) for n in _id_numbers(local)}
    kept.sealed = (hashes, {n: vault.encrypt(n) for n, h in hashes.items() if h not in stored})
    return kept


def _changed(source: Source, known: str | None) -> bool:
    """Whether the file's bytes are not the known content (a file that can't be read: the sync says why)."""
    if known is None:
        return True
    try:
        return fingerprint(load_bytes(kind_of(source).path_of(source))) != known
    except (SourceUnreadable, OSError):
        return False


def _id_numbers(results) -> set[str]:
    """The ID numbers of the valid rows: the ones the mirror hashes and, when new, encrypts."""
    from schemas import DATASETS
    numbers: set[str] = set()
    for r in results:
        if r.frame is None or r.dataset is None:
            continue
        name = DATASETS[r.dataset].id_field
        if name is not None:
            numbers.update(v for v, ok in zip(r.frame[name].tolist(), r.frame["valid"].tolist())
                           if ok and isinstance(v, str))
    return numbers


def _stored_hashes(engine: Engine, source: str) -> frozenset[str]:
    """The source's ID lookup hashes in the mirror, deleted rows too: a key among them is never inserted."""
    from sqlalchemy import select

    from schemas import DATASETS
    from sync.store.models import DATA_TABLES
    found: set[str] = set()
    with engine.connect() as conn:
        for d in DATASETS.values():
            if d.id_field is not None:
                table = DATA_TABLES[d.name]
                found.update(conn.execute(select(table.c[f"{d.id_field}_hash"]).where(table.c.source == source)).scalars())
    return frozenset(found)


class Ahead:
    """The worker and what it was asked for; ``take(name)`` before syncing each source."""

    def __init__(self, engine: Engine, vault: Vault, sources: list[Source], kept: dict[str, Kept], *, force: bool,
                 recheck: timedelta | None):
        self.kept, self.vault = kept, vault
        self.futures: dict[str, Future] = {}
        self.asked: dict[str, tuple] = {}  # what each source was asked with (its slot first)
        self.waiting: deque[Source] = deque()
        self.pool = None
        # a Google sheet is asked for its change time first: the sync does that itself; an unchanged
        # file costs the run a hash here, and no worker is started for a run of unchanged files
        known = {s.name: None if force else known_content(s, recheck) for s in sources}
        changed = [s for s in sources if kind_of(s).content_fingerprint and _changed(s, known[s.name])]
        if len(changed) < 2:  # one changed source: nothing to overlap its check with but hashes
            return
        import sync.check.source  # noqa: F401 - imported once, here, not once in each worker
        import sync.store.mirror  # noqa: F401
        self.engine, self.known = engine, known
        self.waiting = deque(changed)
        self.slots = {s.name: i for i, s in enumerate(changed)}
        self.claims = Claims(len(changed))
        first = [self._ask(self.waiting.popleft()) for _ in range(min(WINDOW, len(self.waiting)))]
        # the worker must hold no database connection: a run killed with SIGKILL ends its sessions
        # (and their locks) only when every process holding their sockets is gone. It is forked
        # at the first submit; what is asked later is prepared after that.
        engine.dispose()
        self.pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("fork"),
                                        initializer=_start, initargs=(os.getpid(), vault, self.claims))
        self.futures = {ask[1].name: self._submit(ask) for ask in first}

    def _submit(self, ask: tuple) -> Future:
        self.asked[ask[1].name] = ask
        return self.pool.submit(check_ahead, *ask)

    def _claim(self, name: str) -> int:
        """Claim ``name`` for the run; who had it before (``Claims.FREE``: the run has just got it)."""
        return self.claims.claim(self.slots[name], Claims.RUN)

    def _steal(self) -> bool:
        """The run waits for the worker: the newest source asked of it and not started yet is taken
        back and checked here meanwhile (in the run's order the worker reaches it last). False when
        there is none: every source asked is the worker's, or checked here already."""
        for name in reversed(list(self.futures)):
            if self._claim(name) != Claims.FREE:  # the worker's, or checked here already
                continue
            try:
                found = checked(*self.asked[name][1:], self.vault)
            except Exception:  # noqa: BLE001 - the sync reads it again and reports what it finds
                log.info("checking %s ahead here failed", name, exc_info=True)
                return True
            if found is not None:
                self.kept[name] = found
            return True
        return False

    def _ask(self, source: Source) -> tuple:
        return (self.slots[source.name], source, self.known[source.name], source_context(self.engine, source),
                _stored_hashes(self.engine, source.name))

    def take(self, name: str) -> None:
        """What the worker checked of ``name`` becomes kept; not started yet: the sync does it. The
        worker is kept at most ``WINDOW`` sources ahead, so memory does not grow with the city."""
        future = self.futures.pop(name, None)
        try:
            if future is None or self._claim(name) != Claims.WORKER:  # taken back, or the worker skips it
                self.waiting = deque(s for s in self.waiting if s.name != name)
                return
            while not future.done() and self._steal():
                pass
            try:
                found = future.result()
            except Exception:  # noqa: BLE001 - a worker that died: the sync does the work itself
                log.info("checking %s ahead failed", name, exc_info=True)
                return
            if found is not None:
                self.kept[name] = found
        finally:
            self.asked.pop(name, None)
            while self.waiting and len(self.futures) < WINDOW:
                ask = self._ask(self.waiting.popleft())
                try:
                    self.futures[ask[1].name] = self._submit(ask)
                except BrokenProcessPool:  # a worker died (a file past the caps): the run does the rest
                    log.info("the worker stopped; the run checks the remaining sources itself")
                    self.waiting.clear()

    def close(self) -> None:
        """Claim what the worker has not started (it skips those), and wait for it to end."""
        for name in self.futures:
            self._claim(name)
        if self.pool is not None:
            self.pool.shutdown(wait=True)
