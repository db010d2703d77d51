"""数据源管理 (admin): add, edit or disable a source; map worksheets; preview validation before saving."""

import json

import streamlit as st

from pages.channel_form import robots_input, robots_manager
from pages.common import cached, get_mirror, local_time, plain, require_user, template_download, zh
from jobs.schedule import report_schedule_problem
from pages.source_form import location_input, mapping_input, schedule_input, settings_input, show_preview
from sync.sources.grid import SourceUnreadable
from sync.queries import quality
from sync.registry import duplicate_sources, get_source, save_source
from sync.store.channels import assign_street
from sync.source_setup import SourceInvalid, check_values, preview, split_list

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
values = {"district": district, "street": street, "communities": communities or None,
          **location_input(name, source), "schedule": schedule_input(source.schedule if source else None),
          **settings_input(source)}
robots = robots_input(mirror, street)
key = json.dumps([name, values["kind"], values["path"], values["spreadsheet"], values["credentials"]])
if st.button("测试连接并预览校验"):
    try:
        st.session_state["source_preview"] = (key, preview(mirror.engine, name, values))
    except SourceUnreadable as exc:
        st.error(f"无法读取：{plain(exc)}")
saved_preview = st.session_state.get("source_preview")
current = saved_preview[1] if saved_preview and saved_preview[0] == key else None
values["sheets"] = source.sheets if source else None
if current is not None:
    st.success(f"已读取“{plain(current.workbook.name)}”：{len(current.workbook.grids)} 个工作表")
    values["sheets"] = mapping_input(current, values["sheets"])
    show_preview(preview(mirror.engine, name, values, current.workbook))
elif source is None:
    st.info("保存前请先点击“测试连接并预览校验”，确认表格能读取、工作表识别正确。")
if st.button("保存", type="primary", disabled=source is None and current is None):
    try:
        save_source(mirror.engine, name, check_values(name, values))
    except SourceInvalid as exc:
        st.error(plain(exc))
    else:
        if robots is not None:
            assign_street(mirror.engine, mirror.vault, street, robots)
        st.cache_data.clear()
        st.success(f"已保存数据源“{plain(name)}”。可在“同步记录”中立即同步。")
robots_manager(mirror, sorted(set(health["street"])), {c["name"] for c in mirror.config.channels})
st.divider()
st.caption("新建台账时，可把空白模板发给街道：模板由校验规则生成，带下拉选项和填写说明。")
template_download(user)
