"""微心愿: raised → claimed → completed, days to claim and complete, wishes waiting over 30 days."""

import pandas as pd
import streamlit as st

from pages.common import cached, downloads, get_mirror, place_filters, require_user, zh
from sync.queries import overview, wishes

user = require_user()
st.title("微心愿")
streets, start, end = place_filters(user)
totals = overview.totals(cached(overview.by_place, streets=streets, start=start, end=end))
funnel = pd.DataFrame({"阶段": ["1 提出", "2 认领", "3 完成"],
                       "数量": [totals["wishes"], totals["claimed"], totals["completed"]]})
left, right = st.columns([2, 1])
left.bar_chart(funnel, x="阶段", y="数量", horizontal=True, sort=False)
right.metric("认领率", "—" if totals["claim_rate"] is None else f"{totals['claim_rate']:.1%}", border=True)
right.metric("完成率", "—" if totals["completion_rate"] is None else f"{totals['completion_rate']:.1%}", border=True)
durations = cached(wishes.durations, streets=streets, start=start, end=end)
st.subheader("认领与完成用时")
st.dataframe(zh(durations), hide_index=True)
buckets = cached(wishes.duration_buckets, streets=streets, start=start, end=end)
st.bar_chart(zh(buckets).rename(columns={"认领": "从登记到认领", "完成": "从认领到完成"}), x="用时",
             y=["从登记到认领", "从认领到完成"], stack=False, sort=False, y_label="心愿数")
st.subheader("按类别")
categories = cached(wishes.by_category, streets=streets, start=start, end=end)
st.bar_chart(zh(categories), x="心愿类别", y="微心愿", color="状态", y_label="心愿数")
st.subheader(f"待认领超过 {wishes.WAIT_DAYS} 天")
waiting, total = cached(wishes.waiting, streets=streets)
st.caption(f"共 {total:,} 个" + (f"，显示等待最久的 {len(waiting)} 个" if total > len(waiting) else ""))
st.dataframe(waiting, hide_index=True)
engine = get_mirror().engine
downloads("待认领超30天的微心愿", lambda: wishes.waiting(engine, streets, limit=100_000)[0], key="waiting")
