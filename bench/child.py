"""Run one command and report its own wall time, CPU time and peak RSS: ``child.py OUT CMD...``.

Linux keeps the pre-exec RSS of a forked child in its ``ru_maxrss``, so a child forked from
the benchmark (which has pandas loaded) would report the benchmark's memory. This tiny
process forks the measured command instead and writes the figures to the JSON file OUT.
"""

import json
import os
import subprocess
import sys
import time

if __name__ == "__main__":
    started = time.perf_counter()
    child = subprocess.Popen(sys.argv[2:])
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
                   "peak_kb": usage.ru_maxrss, "status": os.waitstatus_to_exitcode(status)}, f)
