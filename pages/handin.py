"""提交台账: hand in a workbook, see every cell to fix and what the mirror would change, then submit it
as the source's current version (upload sources) or leave it at a check (any source, nothing stored)."""

import hashlib

import pandas as pd
import streamlit as st

from pages.common import (annotated_bytes, downloads, flash, get_mirror, held_confirmation, local_time, plain,
                          require_user)
from pages.issue_view import results_frame, show_issues
from pages.url_state import url_select
from schemas import DATASETS
from sync.queries import quality
from sync.registry import list_sources
from sync.source_setup import UPLOAD_SUFFIXES
from sync.sources.grid import SourceUnreadable
from sync.sources.kinds import kind_of
from sync.sources.kinds.upload import UPLOAD
from sync.submissions import SubmissionRefused, check_workbook, list_versions, submit_workbook
from sync.terms import RUN_STATUS_WORDS

user = require_user()
mirror = get_mirror()
st.title("提交台账")
mine = {s.name: s for s in list_sources(mirror.engine, enabled_only=True) if user.scope is None or s.street in user.scope}
if not mine:
    st.info("您的街道还没有数据源：请联系管理员在“数据源管理”中添加。")
    st.stop()
name = url_select(st.selectbox, "数据源", list(mine), "source",
                  format_func=lambda n: f"{mine[n].street}·{n}（{kind_of(mine[n]).label}）")
source = mine[name]
may_submit = source.kind == UPLOAD.name and user.role != "supervisor"
if source.kind != UPLOAD.name:
    st.caption(f"此数据源读取{plain(kind_of(source).describe(source))}。在这里检查修改后的副本不会替换它；"
               "检查无误后，请把文件放回原处（或改到 Google 表格中）。")
elif not may_submit:
    st.caption("督导可以检查工作簿，提交由街道工作人员或管理员进行。")
else:
    st.caption("拖入修改好的工作簿：先看检查结果，确认后点“提交”，它就成为当前版本并立即同步。")
for item in quality.held_sources(mirror.engine, (source.street,)).itertuples(index=False):
    if item.source == name:
        held_confirmation(mirror, user, item.source, item.street, item.message)
nonce = st.session_state.setdefault("handin_nonce", 0)  # a new uploader once a workbook is dealt with
upload = st.file_uploader("拖入或选择工作簿", type=UPLOAD_SUFFIXES, key=f"handin-{nonce}",
                          help="xlsx、xlsm、xls、xlsb、ods 或 csv；大小和内容的限制与同步时相同")


def done(message: str, kind: str = "success") -> None:
    flash(message, kind)
    st.session_state["handin_nonce"] = nonce + 1
    st.session_state.pop("handin", None)
    st.rerun()


def history() -> None:
    versions = list_versions(mirror.engine, name)
    if versions:
        st.subheader("提交记录")
        st.dataframe(pd.DataFrame([{"文件名": v.filename, "提交人": v.uploaded_by or "", "提交时间": v.uploaded_at,
                                    "结果": RUN_STATUS_WORDS.get(v.status or "", ""), "错误": v.errors,
                                    "警告": v.warnings, "当前版本": "✓" if v.current else ""} for v in versions])
                     .assign(提交时间=lambda f: local_time(f["提交时间"])), hide_index=True)


if upload is None:
    if source.kind == UPLOAD.name:
        history()
    st.stop()
data = upload.getvalue()
key = (name, str(source.last_ok_at), hashlib.sha256(data).hexdigest())
if st.session_state.get("handin", (None,))[0] != key:
    try:
        with st.spinner("正在读取和检查…"):
            st.session_state["handin"] = (key, check_workbook(mirror, source, upload.name, data))
    except SourceUnreadable as exc:
        st.error(f"无法读取：{plain(str(exc))}")
        st.stop()
checked = st.session_state["handin"][1]
rows, valid = sum(r.rows for r in checked.results), sum(r.valid_rows for r in checked.results)
st.markdown(f"**读取 {rows:,} 行，合格 {valid:,} 行；错误 {checked.count('error'):,} 处，"
            f"警告 {checked.count('warning'):,} 处**")
if not checked.usable:
    st.error(plain(checked.problem))
elif checked.problem:
    st.warning(f"这个工作簿同步时会暂停（数据库保持不变）：{plain(checked.problem)}")
st.caption("各台账读取的行数，以及提交后数据库的变化：" if may_submit else "各台账读取的行数，以及如果这个工作簿生效，数据库的变化：")
for change in checked.changes:
    valid = sum(r.valid_rows for r in checked.results if r.dataset == change.dataset)
    st.markdown(f"- {DATASETS[change.dataset].title}：读取 {change.rows_read} 行（合格 {valid} 行）。新增 {change.inserts} 行，"
                f"更新 {change.updates} 行，删除 {change.deletes} 行"
                + (f"；{change.stale} 行现有错误，数据库保留其上次的正确版本" if change.stale else ""))
actions = st.container(horizontal=True)
actions.download_button("下载标注问题的工作簿", lambda: annotated_bytes(checked.workbook, checked.results),
                           f"{name}-校验标注.xlsx", key="handin-annotated", on_click="ignore", icon=":material/download:",
                           help="您的工作簿副本：错误单元格标红、警告标黄，附批注和“校验结果”工作表")
if may_submit and checked.usable and actions.button("提交", type="primary", icon=":material/send:",
                                    help="保存为当前版本并立即同步（与定时同步的规则相同）"):
    try:
        with st.spinner("正在提交并同步…"):
            version, result = submit_workbook(mirror, checked, user.username)
    except SubmissionRefused as exc:
        st.error(plain(str(exc)))
        st.stop()
    st.cache_data.clear()  # dashboards show the new mirror at once
    kind = {"ok": "success", "unchanged": "info", "held": "warning"}.get(result.status, "error")
    done(f"已提交“{plain(version.filename)}”，成为当前版本。同步{RUN_STATUS_WORDS[result.status]}：{plain(result.message)}",
         kind)
if actions.button("只检查，不提交" if may_submit else "检查完毕", icon=":material/check:"):
    done("只做了检查：没有保存任何内容。", "info")
st.subheader("需要修改的单元格")
frame = results_frame(checked.results)
show_issues(frame)
if not frame.empty:
    downloads("问题清单", lambda: frame, key="handin-issues")
with st.expander("各工作表"):
    st.dataframe(pd.DataFrame([{"工作表": r.sheet, "台账": DATASETS[r.dataset].title if r.dataset else "不是台账",
                                "表头行": r.header_row, "读取行数": r.rows, "合格行数": r.valid_rows}
                               for r in checked.results]), hide_index=True)
