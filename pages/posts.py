"""志愿服务岗: posts by type and community, staffed vs vacant, activities and service hours."""

import streamlit as st

from pages.common import cached, downloads, get_mirror, place_filters, require_user, zh
from sync.queries import overview, records

user = require_user()
mirror = get_mirror()
st.title("志愿服务岗")
streets, _start, _end = place_filters(user, period=False)
types = cached(overview.posts_by_type, streets=streets)
table = cached(overview.by_place, streets=streets)
totals = overview.totals(table)
row = st.columns(4)
row[0].metric("服务岗（不含撤销）", f"{totals['posts']:,}", border=True)
row[1].metric("在岗", f"{totals['staffed']:,}", border=True)
row[2].metric("空缺", f"{totals['vacant']:,}", border=True)
row[3].metric("服务时长", f"{totals['service_hours']:,.0f} 小时", border=True)
st.subheader("按岗位类型")
st.bar_chart(zh(types), x="岗位类型", y=["在岗", "空缺"], y_label="岗位数")
st.dataframe(zh(types), hide_index=True)
st.subheader("按社区")
communities = table[table["posts"] > 0][["district", "street", "community", "posts", "staffed", "vacant",
                                         "activities", "service_hours"]]
st.bar_chart(zh(communities), x="社区", y=["在岗", "空缺"], horizontal=True, y_label="岗位数")
st.dataframe(zh(communities), hide_index=True)
st.subheader("空缺岗位")
vacant, total = records.records(mirror.engine, mirror.vault, "posts", streets, status="空缺")
st.caption(f"共 {total:,} 个空缺岗位" + (f"，显示前 {len(vacant)} 个" if total > len(vacant) else ""))
st.dataframe(vacant, hide_index=True)
downloads("空缺岗位", lambda: records.records(mirror.engine, mirror.vault, "posts", streets, status="空缺",
                                             limit=None)[0], key="vacant")
