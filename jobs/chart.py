"""The city digest's chart: per street, errors and warnings beside the wishes' claim and completion
rates, drawn to PNG by matplotlib (Agg: no browser, no display).

The text is Chinese, so the font must have the glyphs: Noto Sans CJK SC, from Debian's
``fonts-noto-cjk`` (which .ci/run installs when missing). Without it matplotlib would draw boxes;
``digest_chart`` refuses instead, and the digest goes out without its picture.
"""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import Engine

FONT = "Noto Sans CJK SC"
ERROR_RED, WARNING_AMBER, CLAIM_BLUE, DONE_GREEN = "#c62828", "#f9a825", "#1e88e5", "#43a047"
Rates = dict[str, tuple[float | None, float | None]]  # street -> (claim rate, completion rate)


class ChartUnavailable(Exception):
    """The chart can't be drawn here (no CJK font); the message is Chinese."""


def street_rates(engine: Engine) -> Rates:
    """Each street's claim and completion rate of its live wishes (as the overview computes them)."""
    from sync.queries.overview import by_place, roll_up

    table = roll_up(by_place(engine, None), "street")
    return {r.street: (None if r.wishes == 0 else float(r.claim_rate), None if r.wishes == 0 else float(r.completion_rate))
            for r in table.itertuples()}


def _font_file() -> str:
    from matplotlib import font_manager

    try:
        return font_manager.findfont(font_manager.FontProperties(family=FONT), fallback_to_default=False)
    except ValueError:
        raise ChartUnavailable(f"未找到中文字体 {FONT}（Debian 软件包 fonts-noto-cjk），全市汇总图未生成") from None


def _label(value: float | None, rate: bool) -> str:
    if value is None:
        return "无微心愿"
    return f"{value:.0%}" if rate else f"{value}"


def digest_chart(rows: list[dict[str, Any]], rates: Rates) -> bytes:
    """The PNG: one row per street, left its errors and warnings, right its claim and completion rates."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    _font_file()
    labels = [r["street"] for r in rows][::-1]  # barh draws bottom-up: the first street on top
    errors, warnings = [r["errors"] for r in rows][::-1], [r["warnings"] for r in rows][::-1]
    claim = [rates.get(s, (None, None))[0] for s in labels]  # None: the street has no wishes
    done = [rates.get(s, (None, None))[1] for s in labels]
    y, h = range(len(labels)), 0.38
    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": [FONT], "axes.unicode_minus": False}):
        fig = Figure(figsize=(10, 1.6 + 0.5 * len(labels)), dpi=110, layout="constrained")
        FigureCanvasAgg(fig)
        left, right = fig.subplots(1, 2, sharey=True)
        for ax, values, colors, names in ((left, (errors, warnings), (ERROR_RED, WARNING_AMBER), ("错误", "警告")),
                                         (right, (claim, done), (CLAIM_BLUE, DONE_GREEN), ("认领率", "完成率"))):
            for shift, data, color, name in zip((h / 2, -h / 2), values, colors, names):
                bars = ax.barh([i + shift for i in y], [v or 0 for v in data], height=h, color=color, label=name)
                ax.bar_label(bars, labels=[_label(v, ax is right) for v in data], padding=3, fontsize=9)
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=2, fontsize=9, frameon=False)
            ax.spines[["top", "right"]].set_visible(False)
        left.set_yticks(list(y), labels)
        left.set_title("台账问题（处）")
        right.set_title("微心愿认领率、完成率")
        right.set_xlim(0, 1.15)
        right.xaxis.set_major_formatter(PercentFormatter(1.0))
        left.set_xlim(0, max(errors + warnings + [1]) * 1.2)
        left.xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.suptitle("各街道台账校验与微心愿进展", fontsize=14)
        out = io.BytesIO()
        fig.savefig(out, format="png")
    return out.getvalue()
