"""Run one command and report its own wall time, CPU time and peak memory: ``child.py OUT CMD...``.

Linux keeps the pre-exec RSS of a forked child in its ``ru_maxrss``, so a child forked from
the benchmark (which has pandas loaded) would report the benchmark's memory. This tiny
process forks the measured command instead and writes the figures to the JSON file OUT.

Two memory figures: ``peak_kb``, the largest resident set of one process (``ru_maxrss``: the
command or one of its children), and ``tree_kb``, the largest sum over the command and every
process under it of their proportional set size (PSS, from ``/proc/PID/smaps_rollup``, sampled
every 0.1 s): a sync's forked workers share most of their pages with it, which their RSS counts
again in each, and PSS counts once.
"""

import json
import os
import subprocess
import sys
import threading
import time


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                found += [int(p) for p in f.read().split()]
    except OSError:  # gone meanwhile
        pass
    return found


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            return next((int(line.split()[1]) for line in f if line.startswith("Pss:")), 0)
    except OSError:
        return 0


def tree_pss_kb(root: int) -> int:
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _pss_kb(pid)
        todo += _children(pid)
    return total


if __name__ == "__main__":
    started = time.perf_counter()
    child = subprocess.Popen(sys.argv[2:])
    peak_tree, done = [0], threading.Event()

    def sample() -> None:
        delay = 0.02  # then every 0.1 s: each sample reads 3 files per process, ~1% of a core at that pace
        while not done.wait(delay):
            peak_tree[0], delay = max(peak_tree[0], tree_pss_kb(child.pid)), 0.1

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_kb": usage.ru_maxrss,
                   "tree_kb": peak_tree[0] or usage.ru_maxrss,  # gone before the first sample: its own RSS
                   "status": os.waitstatus_to_exitcode(status)}, f)
