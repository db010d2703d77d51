"""The overview page's parts: the ranked table coloured against the whole, the line shown for a
period without data, and the one-page picture for meetings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from sync.outputs.kpi_cards import Card
from sync.queries.periods import Period, month_label
from sync.queries.ranking import versus_city
from sync.queries.scope import Streets

SHADES = {"above": "background-color: rgba(26, 127, 55, 0.16)", "below": "background-color: rgba(207, 34, 46, 0.14)",
          None: ""}
# the ranking's columns in order: what it is ranked by first, so a phone shows it without scrolling
HEADERS = {"rank": "名次", "street": "街道", "community": "社区", "completion_rate": "完成率", "claim_rate": "认领率",
           "members": "报到党员", "wishes": "微心愿", "errors": "未解决错误", "last_ok_at": "最近成功同步",
           "days_unchanged": "表格未更新（天）", "district": "区县"}
RATE_OF = {"认领率": "claimed", "完成率": "completed"}


def empty_message(months: pd.DataFrame, period: Period) -> str:
    """One line for a period (or a scope) without members or wishes."""
    dated = months.loc[(months["members"] + months["wishes"]) > 0, "month"].dropna()
    if dated.empty:
        return "所选范围内还没有数据：请在“同步记录”中同步数据源，或调整筛选条件。"
    return (f"{period.label}没有报到党员或微心愿记录（已有数据的时间：{month_label(dated.min().date())}至"
            f"{month_label(dated.max().date())}），请选择其他时间段。")


def ranked_table(ranked: pd.DataFrame, local_time: Callable[[pd.Series], pd.Series]) -> pd.io.formats.style.Styler:
    """The ranking in Chinese, rates formatted and shaded against the rate of everything in view."""
    whole = {label: ranked[count].sum() / ranked["wishes"].sum() if ranked["wishes"].sum() else None
             for label, count in RATE_OF.items()}
    shown = ranked[[c for c in HEADERS if c in ranked]].copy()
    if "last_ok_at" in shown:
        shown["last_ok_at"] = local_time(shown["last_ok_at"])
    shown = shown.rename(columns=HEADERS)
    return with_rates(shown).apply(lambda column: [SHADES[versus_city(v, whole[column.name])] for v in column],
                                   subset=list(RATE_OF))


def with_rates(frame: pd.DataFrame) -> pd.io.formats.style.Styler:
    """A table whose 认领率 and 完成率 read as percentages, numbers with thousands separators and at most
    one decimal."""
    return frame.style.format({label: "{:.1%}" for label in RATE_OF if label in frame}, na_rep="—", precision=1,
                              thousands=",")


def scope_label(streets: Streets) -> str:
    if streets is None:
        return "全部街道"
    return "、".join(streets) if len(streets) <= 3 else f"{'、'.join(streets[:3])}等{len(streets)}个街道"


def export_buttons(streets: Streets, period: Period, cards: list[Card], ranked: pd.DataFrame, level: str,
                   running: pd.DataFrame, quarters: pd.DataFrame) -> None:
    """PNG and PDF of the overview on one A4 page, drawn when clicked."""
    from sync.outputs.fonts import font_installed

    if not font_installed():
        st.caption("未安装中文字体，无法导出图片：请安装 fonts-noto-cjk。")
        return

    def picture(fmt: str) -> bytes:
        from sync.outputs.overview_picture import OverviewPicture, render
        return render(OverviewPicture(scope_label(streets), period.label, period.versus, cards, ranked, level,
                                      running, quarters, datetime.now(ZoneInfo("Asia/Shanghai"))), fmt)

    name = f"台账通总览_{period.label}"
    left, right = st.columns(2)
    left.download_button("导出会议用总览（PNG）", lambda: picture("png"), f"{name}.png", "image/png", key="export-png",
                         on_click="ignore", icon=":material/image:")
    right.download_button("导出会议用总览（PDF）", lambda: picture("pdf"), f"{name}.pdf", "application/pdf",
                          key="export-pdf", on_click="ignore", icon=":material/picture_as_pdf:")
