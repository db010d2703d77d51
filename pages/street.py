"""街道: one street drilled down by community and grid; searchable registers; downloads."""

import streamlit as st

from pages.common import cached, downloads, get_mirror, require_user, zh
from schemas import DATASETS
from sync.queries import overview, records

user = require_user()
mirror = get_mirror()
st.title("街道")
places = cached(overview.places, streets=user.scope)
if places.empty:
    st.info("还没有可查看的街道：请先添加数据源并同步。")
    st.stop()
labels = {f"{d}·{s}": s for d, s in places.itertuples(index=False)}
wanted = st.query_params.get("street")  # the overview's ranking and chart link here with ?street=…&community=…
street = labels[st.selectbox("街道", list(labels), index=list(labels.values()).index(wanted)
                             if wanted in labels.values() else 0)]
scope = (street,)
table = cached(overview.by_place, streets=scope)
st.dataframe(zh(table.drop(columns=["district", "street"])), hide_index=True)
grids = cached(records.grids, streets=scope)
left, middle, right = st.columns(3)
communities = ["全部社区", *table["community"].dropna()]
wanted = st.query_params.get("community")
community = left.selectbox("社区", communities, index=communities.index(wanted) if wanted in communities else 0)
community = None if community == "全部社区" else community
grid_options = grids[grids["community"] == community] if community else grids
grid = middle.selectbox("网格（名册）", ["全部网格", *dict.fromkeys(grid_options["grid"])])
grid = None if grid == "全部网格" else grid
search = right.text_input("搜索", placeholder="姓名、单位、编号、内容，或完整身份证号")
with st.expander("各社区、网格的报到人数"):
    st.dataframe(zh(grid_options.drop(columns=["street"])), hide_index=True)
reveal = user.is_admin and st.toggle("显示完整身份证号和电话（仅管理员可见，下载的文件始终脱敏）")
for dataset, tab in zip(DATASETS, st.tabs([d.title for d in DATASETS.values()])):
    params = {"community": community, "grid": grid if dataset == "roster" else None, "search": search}
    with tab:
        rows, total = records.records(mirror.engine, mirror.vault, dataset, scope, reveal=reveal, **params)
        shown = f"，显示前 {len(rows)} 行（请用筛选或搜索缩小范围）" if total > len(rows) else ""
        st.caption(f"共 {total:,} 行{shown}。标记“未通过校验”的行显示的是上次校验通过的内容。")
        st.dataframe(rows, hide_index=True)
        downloads(f"{street}{DATASETS[dataset].title}",
                  lambda d=dataset, p=params: records.records(mirror.engine, mirror.vault, d, scope, limit=None,
                                                              **p)[0],
                  key=f"download-{dataset}")
