"""Reading an untrusted file in a child process under a memory cap and a time limit (issue 14).

The limits in ``sync.sources.limits`` are checked before each rectangle is built, but a reader
can still be asked for memory before we see any size: python-calamine builds a worksheet's
dense range from its cells' positions, and a 2 KB xlsx with one cell at XFD1048576 makes it
ask for 512 GiB, which aborts the whole process (the app and its scheduler with it). So the
read runs in a forked child whose address space may grow by at most ``memory`` (``RLIMIT_AS``);
whatever happens there — a refused allocation, a Rust panic, a crash, a hang — the caller gets
``SourceUnreadable``, and the child's grids come back pickled through a pipe.

Why fork and not forkserver or spawn: those re-run the parent's main script in every child
(``streamlit``'s launcher imports all of streamlit; a script without a ``__main__`` guard
fails), and a fresh interpreter costs half a second of imports per file. A fork costs a few
milliseconds. The child runs only the reader (modules the parent imported before forking, so
it never waits for an import lock another thread held) and leaves with ``os._exit``, so the
parent's threads, connections and files are never touched there.
"""

from __future__ import annotations

import faulthandler
import logging
import math
import multiprocessing
import os
import resource
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from sync.sources.grid import SourceUnreadable, is_panic
from sync.sources.limits import READ_MEMORY_BYTES, READ_SECONDS

log = logging.getLogger("taizhang.sync")
T = TypeVar("T")
_disposable = False  # this process is itself capped and may die for a file (``read_here_from_now_on``)


def _address_space() -> int:
    """This process's current virtual size in bytes (the parent's, inherited by the fork)."""
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _cap(memory: int) -> None:
    """Let this process's address space grow by at most ``memory`` bytes from now, quietly."""
    limit = _address_space() + memory
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # a refused allocation makes Rust print a backtrace and abort (and faulthandler, when on, dump
    # the stack): the caller says it in one line
    faulthandler.disable()
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)


def read_here_from_now_on(memory: int = READ_MEMORY_BYTES) -> None:
    """For a process that is itself disposable, whose death its parent takes in its stride (a
    ``sync.ahead`` worker: the run then reads and checks that source itself): cap it as a reader's
    child is capped, and let ``read_isolated`` read in it, with no fork per file (a fork and the
    grids pickled back cost 0.065 s of CPU per workbook of the scale-1 city, 1.2 s in all). A read
    that asks too much fails or ends the process; one that hangs ends it (SIGALRM's own action)."""
    global _disposable
    _cap(memory)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    _disposable = True


def _outcome(func: Callable[..., Any], args: tuple) -> tuple[str, Any]:
    """``("ok", func(*args))``, or how the read failed: the same words where it runs, child or not."""
    try:
        return "ok", func(*args)
    except SourceUnreadable as exc:
        return "unreadable", str(exc)
    except MemoryError:
        return "memory", None
    except BaseException as exc:  # a Rust panic is a BaseException; nothing else may reach the caller raw
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return ("panic" if is_panic(exc) else "error"), f"{type(exc).__name__}: {str(exc)[:200]}"


def _child(conn: Connection, func: Callable[..., Any], args: tuple, memory: int) -> None:
    _cap(memory)
    outcome = _outcome(func, args)
    try:
        conn.send(outcome)
    except MemoryError:  # the result itself did not fit under the cap
        conn.send(("memory", None))
    finally:
        conn.close()


def read_isolated(func: Callable[..., T], *args: Any, name: str, memory: int = READ_MEMORY_BYTES,
                  seconds: float = READ_SECONDS) -> T:
    """``func(*args)`` in a forked child that may grow by ``memory`` bytes and run ``seconds``;
    every failure there is a SourceUnreadable about ``name``. The result must pickle."""
    if _disposable:  # this process is the capped one: read here, an alarm ends a hang
        signal.alarm(math.ceil(seconds))
        try:
            kind, payload = _outcome(func, args)
        finally:
            signal.alarm(0)
        if kind == "ok":
            return payload
        raise _refusal(kind, payload, name, memory, seconds)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, func, args, memory), daemon=True)
    process.start()
    sender.close()
    kind, payload = "timeout", None
    try:
        if receiver.poll(seconds):
            kind, payload = receiver.recv()
    except EOFError:  # the child died without a word: killed by the cap (Rust aborts) or a crash
        kind = "died"
    finally:
        if kind == "timeout":
            process.kill()
        process.join()
        receiver.close()
    if kind == "ok":
        return payload
    if kind not in ("unreadable", "timeout"):
        log.info("reading %s stopped in the child: %s %s (exit code %s)", name, kind, payload or "", process.exitcode)
    raise _refusal(kind, payload, name, memory, seconds)


def _refusal(kind: str, payload: Any, name: str, memory: int, seconds: float) -> SourceUnreadable:
    """The one Chinese line for a read that ended as ``kind``."""
    if kind == "unreadable":
        return SourceUnreadable(payload)
    if kind == "timeout":
        return SourceUnreadable(f"读取超时（超过 {seconds:.0f} 秒），已停止：请检查文件是否异常：{name}")
    if kind in ("memory", "died"):
        return SourceUnreadable(f"读取时所需内存超过 {memory // 1024 // 1024:,} MB 的上限（表格范围异常大或文件已损坏），"
                                f"已停止：请检查或另存后再提供：{name}")
    if kind == "panic":
        return SourceUnreadable(f"读取组件出错（{payload}），文件可能已损坏或表格范围异常大：{name}")
    return SourceUnreadable(f"文件已损坏或格式无法识别（{payload}）：{name}")
