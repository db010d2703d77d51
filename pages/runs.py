"""同步记录: the history of syncs; 立即同步 for one source or all; confirm-and-apply of a held run."""

import streamlit as st

from pages.common import cached, get_mirror, held_confirmation, local_time, require_user, run_sync, zh
from sync.queries import quality
from sync.registry import list_sources
from sync.terms import RUN_STATUS_WORDS

TRIGGERS = {"cli": "命令行", "app": "应用", "schedule": "定时"}

user = require_user()
mirror = get_mirror()
st.title("同步记录")
mine = [s for s in list_sources(mirror.engine) if user.scope is None or s.street in user.scope]
if user.role != "supervisor" and mine:
    with st.form("sync-now"):
        names = {f"{s.street}·{s.name}": s.name for s in mine if s.enabled}
        choice = st.selectbox("数据源", ["全部数据源", *names])
        force = st.checkbox("即使表格未变化也重新读取和校验")
        submitted = st.form_submit_button("立即同步", type="primary")
    if submitted:
        run_sync(mirror, list(names.values()) if choice == "全部数据源" else [names[choice]], force=force)
for item in quality.held_sources(mirror.engine, user.scope).itertuples(index=False):
    held_confirmation(mirror, user, item.source, item.street, item.message)
source = st.selectbox("查看", ["全部数据源", *(s.name for s in mine)])
history = cached(quality.run_history, streets=user.scope, source=None if source == "全部数据源" else source)
history = history.assign(status=history["status"].map(RUN_STATUS_WORDS), trigger=history["trigger"].map(TRIGGERS),
                         started_at=local_time(history["started_at"]), finished_at=local_time(history["finished_at"]))
st.dataframe(zh(history.drop(columns=["id"])), hide_index=True)
