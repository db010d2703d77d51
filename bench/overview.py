"""Time the overview page's queries on a mirror: ``python bench/overview.py URL [REPEAT]``.

Prints JSON {name: median milliseconds} from the app's own ``time_overview_queries``
(every query for every street, plus the whole page's SQL for every street and for one).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.overview_queries import time_overview_queries  # noqa: E402
from sync.store.db import make_engine  # noqa: E402


def median_ms(url: str, repeat: int) -> dict[str, float]:
    engine = make_engine(url)
    runs = [time_overview_queries(engine) for _ in range(repeat)]
    engine.dispose()
    return {name: statistics.median(r[name] for r in runs) * 1000 for name in runs[0]}


if __name__ == "__main__":
    print(json.dumps(median_ms(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5)))
