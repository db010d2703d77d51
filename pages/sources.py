"""数据源管理 (admin): add, edit or disable a source; map worksheets; preview validation before saving;
the versions of a source fed by hand-ins, one of which can be made current again."""

import json

import pandas as pd
import streamlit as st

from pages.channel_form import robots_input, robots_manager
from pages.common import (cached, flash, get_mirror, local_time, plain, require_user, run_sync, template_download,
                          zh)
from jobs.schedule import report_schedule_problem
from pages.source_form import location_input, mapping_input, schedule_input, settings_input, show_preview
from schemas import DATASETS
from sync.queries import quality
from sync.registry import duplicate_sources, get_source, save_source
from sync.store.channels import assign_street
from sync.source_setup import SourceInvalid, check_values, preview
from sync.sources.grid import SourceUnreadable
from sync.sources.kinds.upload import UPLOAD
from sync.sources.readers import read_bytes
from sync.submissions import SubmissionRefused, keep_versions, list_versions, make_current, record_version
from sync.terms import RUN_STATUS_WORDS, split_list

NEW = "（新建数据源）"

user = require_user("admin")
mirror = get_mirror()
st.title("数据源管理")
report_problem = report_schedule_problem(mirror.config.reports)
if report_problem:
    st.error(plain(report_problem))
health = cached(quality.source_health, streets=None)
listing = health[["district", "street", "name", "kind", "enabled", "schedule", "last_ok_at", "errors", "warnings",
                  "retired_at"]]
st.dataframe(zh(listing.assign(last_ok_at=local_time(listing["last_ok_at"]), retired_at=local_time(listing["retired_at"]))),
             hide_index=True)
for source_name, warnings in duplicate_sources(mirror.engine).items():
    st.warning(plain(f"数据源“{source_name}”：" + "；".join(warnings)))
choice = st.selectbox("编辑数据源", [NEW, *health["name"]])
source = None if choice == NEW else get_source(mirror.engine, choice)
if source is not None and any(s["name"] == source.name for s in mirror.config.sources):
    st.caption("该数据源在配置文件中声明：在此修改的项目，下次启动时会按配置文件恢复。")
name = (st.text_input("名称（英文或拼音，保存后不可修改）", source.name if source else "",
                      disabled=source is not None) or "").strip()
left, right = st.columns(2)
district = left.text_input("区县", source.district if source else "")
street = right.text_input("街道", source.street if source else "")
communities = split_list(st.text_area("社区（每行一个；填写后会核对“社区”列）",
                                      "\n".join(source.communities or []) if source else ""))
location, upload = location_input(name, source)
values = {"district": district, "street": street, "communities": communities or None, **location,
          "schedule": schedule_input(source.schedule if source else None), **settings_input(source)}
robots = robots_input(mirror, street)
key = json.dumps([name, values["kind"], values["path"], values["spreadsheet"], values["credentials"]])
if st.button("测试连接并预览校验"):
    try:
        workbook = read_bytes(upload[1], upload[0]) if upload else None
        st.session_state["source_preview"] = (key, preview(mirror.engine, name, values, workbook))
    except SourceUnreadable as exc:
        st.error(f"无法读取：{plain(str(exc))}")
saved_preview = st.session_state.get("source_preview")
current = saved_preview[1] if saved_preview and saved_preview[0] == key else None
values["sheets"] = source.sheets if source else None
if current is not None:
    st.success(f"已读取“{plain(current.workbook.name)}”：{len(current.workbook.grids)} 个工作表")
    values["sheets"] = mapping_input(current, values["sheets"])
    checked = preview(mirror.engine, name, values, current.workbook)
    show_preview(checked)
    twice = quality.street_registers(mirror.engine, street.strip(), name) if street.strip() else {}
    for dataset in sorted({r.dataset for r in checked.results if r.dataset and r.rows} & set(twice)):
        st.warning(f"{plain(street.strip())}已有数据源“{'、'.join(twice[dataset])}”提供{DATASETS[dataset].title}："
                   "两个数据源会把同一批人或心愿重复计数。确需如此再保存，否则请停用旧的数据源。")
elif source is None:
    st.info("保存前请先点击“测试连接并预览校验”，确认表格能读取、工作表识别正确。")
buttons = st.columns(2)
save = buttons[0].button("保存", type="primary", disabled=source is None and current is None)
save_and_sync = buttons[1].button("保存并立即同步", disabled=source is None and current is None)
if save or save_and_sync:
    try:
        save_source(mirror.engine, name, check_values(name, values))
    except SourceInvalid as exc:
        st.error(plain(str(exc)))
    else:
        if robots is not None:
            assign_street(mirror.engine, mirror.vault, street, robots)
        if upload:  # the uploaded workbook becomes the source's first (or next) version
            record_version(mirror.engine, name, upload[0], upload[1], user.username)
        st.cache_data.clear()  # the list above shows the saved source at once
        message = f"已保存数据源“{plain(name)}”。"
        if save_and_sync:
            # a roster change re-checks the sources sharing its people: report this source's own run
            result = next(r for r in run_sync(mirror, [name], force=True) if r.source == name)
            flash(f"{message}同步{RUN_STATUS_WORDS[result.status]}：{plain(result.message)}",
                  "success" if result.status in ("ok", "unchanged") else "warning")
        else:
            flash(message + "可在“同步记录”中立即同步，或点“保存并立即同步”。")
        st.session_state.pop("source_preview", None)
        st.rerun()
if source is not None and source.kind == UPLOAD.name:
    st.subheader("提交的版本")
    versions = list_versions(mirror.engine, source.name)
    st.caption(f"每个版本都按内容保存在数据目录中；保留最近 {keep_versions()} 个（TAIZHANG_KEEP_VERSIONS），当前版本始终保留。")
    labels = {v.id: f"{local_time(pd.Series([v.uploaded_at])).iloc[0]}｜{v.filename}｜{v.uploaded_by or ''}"
              for v in versions}
    st.dataframe(pd.DataFrame([{"提交时间": v.uploaded_at, "文件名": v.filename, "提交人": v.uploaded_by or "",
                                "结果": RUN_STATUS_WORDS.get(v.status or "", ""), "读取行数": v.rows_read, "错误": v.errors,
                                "警告": v.warnings, "当前版本": "✓" if v.current else ""} for v in versions])
                 .assign(提交时间=lambda f: local_time(f["提交时间"])), hide_index=True)
    earlier = [v.id for v in versions if not v.current]
    if earlier:
        picked = st.selectbox("早先的版本", earlier, format_func=labels.get)
        if st.button("设为当前版本并同步"):
            try:
                result = make_current(mirror, source.name, picked)
            except SubmissionRefused as exc:
                st.error(plain(str(exc)))
            else:
                st.cache_data.clear()
                flash(f"已把“{plain(labels[picked])}”设为当前版本。同步{RUN_STATUS_WORDS[result.status]}：{plain(result.message)}",
                      "success" if result.status in ("ok", "unchanged") else "warning")
                st.rerun()
robots_manager(mirror, sorted(set(health["street"])), {c["name"] for c in mirror.config.channels})
st.divider()
st.caption("新建台账时，可把空白模板发给街道：模板由校验规则生成，带下拉选项和填写说明。")
template_download(user)
