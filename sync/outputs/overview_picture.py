"""The overview for a meeting: one A4 landscape page (PNG or PDF) with the KPI cards and their
changes, the ranked streets (or communities) and the two trends, drawn with matplotlib in Noto
Sans CJK (Debian's fonts-noto-cjk, which .ci/run installs) so every Chinese character renders.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import matplotlib
import pandas as pd
from matplotlib.dates import AutoDateLocator, DateFormatter
from matplotlib.figure import Figure  # no pyplot: no GUI backend, safe in the app's threads
from matplotlib.patches import FancyBboxPatch

from sync.outputs.fonts import chinese_font
from sync.outputs.kpi_cards import Card, percent
from sync.queries.ranking import versus_city

TABLE_ROWS = 18  # a city's streets; more are summed up in one line
UP, DOWN, GOOD, BAD, MUTED = "▲", "▼", "#1a7f37", "#cf222e", "#57606a"
SHADES = {"above": "#dafbe1", "below": "#ffebe9", None: "white"}


@dataclass(frozen=True)
class OverviewPicture:
    scope: str  # "全部街道", "上站街道"
    period: str  # "2026年", "全部时间"
    versus: str  # "较去年同期"
    cards: list[Card]
    ranking: pd.DataFrame  # sync.queries.ranking.ranking
    level: str  # street | community
    cumulative: pd.DataFrame  # sync.queries.overview.cumulative
    quarterly: pd.DataFrame  # sync.queries.overview.quarterly
    made_at: datetime


def _cards(fig, cards: list[Card], versus: str) -> None:
    for i, card in enumerate(cards):
        ax = fig.add_axes((0.03 + (i % 4) * 0.2375, 0.785 - (i // 4) * 0.14, 0.225, 0.125))
        ax.set_axis_off()
        ax.add_patch(FancyBboxPatch(
            (0.01, 0.02), 0.98, 0.96, boxstyle="round,pad=0,rounding_size=0.06", transform=ax.transAxes,
            facecolor="#f6f8fa", edgecolor="#d0d7de"))
        ax.text(0.06, 0.78, card.label, fontsize=13, color=MUTED, transform=ax.transAxes)
        ax.text(0.06, 0.38, card.value, fontsize=24, weight="bold", transform=ax.transAxes)
        if card.delta is not None:
            arrow = {1: UP, -1: DOWN, 0: "＝"}[card.sign]
            colour = MUTED if card.sign == 0 else (GOOD if card.sign * card.good > 0 else BAD)
            ax.text(0.06, 0.1, f"{arrow} {card.delta} {versus}", fontsize=11, color=colour, transform=ax.transAxes)


def _table(fig, ranking: pd.DataFrame, level: str) -> None:
    ax = fig.add_axes((0.03, 0.03, 0.53, 0.57))
    ax.set_axis_off()
    place = "街道" if level == "street" else "社区"
    shown = ranking.head(TABLE_ROWS)
    city = {r: (ranking["completed" if r == "completion_rate" else "claimed"].sum() / ranking["wishes"].sum()
                if ranking["wishes"].sum() else None) for r in ("claim_rate", "completion_rate")}
    header = ["名次", place, "报到党员", "微心愿", "认领率", "完成率"]
    if "errors" in shown:
        header += ["未解决错误", "未更新天数"]
    rows, shades = [], []
    for _, r in shown.iterrows():
        row = ["" if pd.isna(r["rank"]) else str(r["rank"]), r[level], f"{r['members']:,}", f"{r['wishes']:,}",
               percent(None if pd.isna(r["claim_rate"]) else r["claim_rate"]),
               percent(None if pd.isna(r["completion_rate"]) else r["completion_rate"])]
        shade = ["white"] * 4 + [SHADES[versus_city(r[k], city[k])] for k in ("claim_rate", "completion_rate")]
        if "errors" in shown:
            row += [f"{r['errors']:,}", "" if pd.isna(r["days_unchanged"]) else str(r["days_unchanged"])]
            shade += ["white", "white"]
        rows.append(row)
        shades.append(shade)
    if len(ranking) > TABLE_ROWS:
        rows.append(["", f"另有 {len(ranking) - TABLE_ROWS} 个"] + [""] * (len(header) - 2))
        shades.append(["white"] * len(header))
    ax.text(0, 1.0, f"{place}排名（按完成率）", fontsize=14, weight="bold", transform=ax.transAxes, va="bottom")
    ax.text(0, 0.985, f"绿色：高于所选范围整体（认领率 {percent(city['claim_rate'])}，完成率 "
            f"{percent(city['completion_rate'])}）；红色：低于", fontsize=9, color=MUTED, transform=ax.transAxes, va="top")
    table = ax.table(cellText=rows, colLabels=header, cellColours=shades, bbox=(0, 0.94 - 0.045 * (len(rows) + 1),
                                                                                1, 0.045 * (len(rows) + 1)),
                     cellLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(10)


def _trends(fig, cumulative: pd.DataFrame, quarterly: pd.DataFrame) -> None:
    top = fig.add_axes((0.62, 0.36, 0.35, 0.22))
    top.set_title("累计报到党员与微心愿", loc="left", fontsize=14, weight="bold")
    if cumulative.empty:
        top.set_axis_off()
        top.text(0.5, 0.5, "所选时间段没有数据", ha="center", color=MUTED, transform=top.transAxes)
    else:
        few = len(cumulative) <= 24  # a few months: one labelled point each, else a date axis
        x = cumulative["month"].dt.strftime("%Y-%m") if few else cumulative["month"]
        top.plot(x, cumulative["members"], label="累计报到党员", color="#0969da", marker="o" if few else None)
        top.plot(x, cumulative["wishes"], label="累计微心愿", color="#bf8700", marker="o" if few else None)
        top.legend(loc="upper left", fontsize=9, frameon=False)
        top.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
        if few:
            step = max(1, len(cumulative) // 8)
            top.set_xticks(range(0, len(x), step), x.iloc[::step], fontsize=9)
        else:
            top.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=8))
            top.xaxis.set_major_formatter(DateFormatter("%Y-%m"))
        top.grid(alpha=0.3)
    bottom = fig.add_axes((0.62, 0.05, 0.35, 0.22))
    bottom.set_title("按登记季度：已认领、已完成的比例", loc="left", fontsize=14, weight="bold")
    if quarterly.empty:
        bottom.set_axis_off()
        bottom.text(0.5, 0.5, "所选时间段没有微心愿", ha="center", color=MUTED, transform=bottom.transAxes)
        return
    step = max(1, len(quarterly) // 8)  # at most about eight quarter labels
    bottom.plot(quarterly["quarter"], quarterly["claim_rate"], marker="o", label="已认领比例", color="#0969da")
    bottom.plot(quarterly["quarter"], quarterly["completion_rate"], marker="o", label="已完成比例", color="#1a7f37")
    bottom.set_xticks(range(0, len(quarterly), step), quarterly["quarter"].iloc[::step], fontsize=9)
    bottom.set_ylim(0, 1.05)  # a point at 100% drawn whole
    bottom.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    bottom.legend(loc="lower left", fontsize=9, frameon=False)
    bottom.grid(alpha=0.3)


def render(picture: OverviewPicture, fmt: str = "png") -> bytes:
    """The page as PNG (150 dpi) or PDF bytes."""
    family = chinese_font()
    with matplotlib.rc_context({"font.family": family, "axes.unicode_minus": False, "pdf.fonttype": 42}):
        fig = Figure(figsize=(16.54, 11.69))  # A4 landscape, inches
        fig.text(0.03, 0.955, f"台账通 · 总览　{picture.scope}　{picture.period}", fontsize=22, weight="bold")
        fig.text(0.97, 0.955, f"导出于 {picture.made_at:%Y-%m-%d %H:%M}", fontsize=11, color=MUTED, ha="right")
        _cards(fig, picture.cards, picture.versus)
        _table(fig, picture.ranking, picture.level)
        _trends(fig, picture.cumulative, picture.quarterly)
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=150)
    return buffer.getvalue()
