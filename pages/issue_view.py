"""The issue list as text on the page: cell, column and message first, the message wrapped, blanks
blank; a card per issue on a phone. Plain HTML with every value escaped (sheet text is never read as
markup or Markdown), so the browser's find (Ctrl+F) reaches every cell reference and message —
a canvas grid would hide them."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

import pandas as pd
import streamlit as st

from schemas import DATASETS
from sync.check.issues import SEVERITY_WORDS, check_label

SHOWN = ("单元格", "列", "问题说明", "级别", "工作表", "当前值", "街道", "数据源")  # in this order, when present
LIMIT = 300  # issues drawn on the page; the downloads hold every one
SEVERITY_CLASS = {word: name for name, word in SEVERITY_WORDS.items()}
CSS = """<style>
.tz-issues {width: 100%; border-collapse: collapse; font-size: 0.92rem;}
.tz-issues th {text-align: left; font-weight: 600; border-bottom: 2px solid rgba(49,51,63,.2); padding: 4px 8px;}
.tz-issues td {border-bottom: 1px solid rgba(49,51,63,.1); padding: 4px 8px; vertical-align: top;}
.tz-issues th, .tz-issues td {white-space: nowrap;}
.tz-issues td.tz-message, .tz-issues td.tz-value {white-space: normal; overflow-wrap: anywhere;}
.tz-issues td.tz-cell {font-family: ui-monospace, monospace; font-weight: 600; white-space: nowrap;}
.tz-issues td.tz-message {min-width: 16em; width: 55%;} .tz-issues td.tz-value {min-width: 10em;}
.tz-issues .tz-error {color: #b3261e; font-weight: 600;} .tz-issues .tz-warning {color: #8a5a00; font-weight: 600;}
@media (max-width: 640px) {
  .tz-issues thead {display: none;}
  .tz-issues, .tz-issues tbody, .tz-issues tr, .tz-issues td {display: block; width: auto;}
  .tz-issues tr {border: 1px solid rgba(49,51,63,.2); border-radius: 8px; margin: 0 0 8px; padding: 6px 10px;}
  .tz-issues td {border: none; padding: 1px 0; white-space: normal;}
  .tz-issues td.tz-cell, .tz-issues td.tz-column {display: inline-block; margin-right: .6em; font-size: 1.05rem;}
  .tz-issues td.tz-message, .tz-issues td.tz-value {font-size: 1rem; min-width: 0; width: auto;}
  .tz-issues td.tz-more::before {content: attr(data-label) "："; color: rgba(49,51,63,.6);}
}
</style>"""
CLASSES = {"单元格": "tz-cell", "列": "tz-column", "问题说明": "tz-message", "当前值": "tz-more tz-value"}


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return html.escape(str(value))


def issues_html(frame: pd.DataFrame, limit: int = LIMIT) -> str:
    """The first ``limit`` issues as an escaped HTML table (a card list on a narrow screen)."""
    columns = [c for c in SHOWN if c in frame.columns]
    head = "".join(f"<th>{c}</th>" for c in columns)
    body = []
    for record in frame.head(limit)[columns].itertuples(index=False, name=None):
        cells = []
        for name, value in zip(columns, record):
            css = CLASSES.get(name, "tz-more")
            if name == "级别":
                css += f" tz-{SEVERITY_CLASS.get(value, 'info')}"
            cells.append(f'<td class="{css}" data-label="{name}">{_text(value)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f'{CSS}<table class="tz-issues"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def show_issues(frame: pd.DataFrame, total: int | None = None) -> None:
    """The issue list, or a line saying there is none; how many are drawn when there are more."""
    total = len(frame) if total is None else total
    if not total:
        st.success("没有发现问题")
        return
    st.html(issues_html(frame))
    if total > min(len(frame), LIMIT):
        st.caption(f"页面上列出前 {min(len(frame), LIMIT):,} 个问题，共 {total:,} 个：全部问题见下载的清单或标注工作簿。")


def results_frame(results: Iterable[Any]) -> pd.DataFrame:
    """Issues of checked worksheets (``SheetResult``s) in the page's columns; row numbers whole."""
    rows = [{"工作表": i.sheet, "台账": DATASETS[r.dataset].title if r.dataset else "", "级别": SEVERITY_WORDS[i.severity],
             "行": i.row, "单元格": i.cell, "列": i.column, "当前值": i.value, "问题说明": i.message,
             "检查项": check_label(i.check)} for r in results for i in r.issues]
    frame = pd.DataFrame(rows, columns=["工作表", "台账", "级别", "行", "单元格", "列", "当前值", "问题说明", "检查项"])
    return frame.astype({"行": "Int64"})


def issue_dicts(results: Iterable[Any]) -> list[dict[str, Any]]:
    """Issues with their register, as sync.outputs.exports.issue_rows takes them."""
    return [asdict(i) | {"dataset": r.dataset} for r in results for i in r.issues]
