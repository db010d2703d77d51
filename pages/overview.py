"""总览: the seed's measures across districts, streets and communities, refreshed live."""

import streamlit as st

from pages.common import LIVE_EVERY, cached, place_filters, require_user, zh
from sync.queries import overview

user = require_user()
st.title("总览")
streets, start, end = place_filters(user)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


@st.fragment(run_every=LIVE_EVERY)
def live() -> None:
    table = cached(overview.by_place, streets=streets, start=start, end=end)
    totals = overview.totals(table)
    row = st.columns(4)
    row[0].metric("报到党员", f"{totals['members']:,}", border=True)
    row[1].metric("微心愿", f"{totals['wishes']:,}", border=True)
    row[2].metric("已认领", f"{totals['claimed']:,}", f"认领率 {percent(totals['claim_rate'])}", "off", border=True,
                  delta_arrow="off")
    row[3].metric("已完成", f"{totals['completed']:,}", f"完成率 {percent(totals['completion_rate'])}", "off",
                  border=True, delta_arrow="off")
    row = st.columns(4)
    row[0].metric("志愿服务岗", f"{totals['posts']:,}", border=True)
    row[1].metric("在岗 / 空缺", f"{totals['staffed']:,} / {totals['vacant']:,}", border=True)
    row[2].metric("开展活动", f"{totals['activities']:,} 次", border=True)
    row[3].metric("服务时长", f"{totals['service_hours']:,.0f} 小时", border=True)
    if table.empty:
        st.info("所选范围内还没有数据：请在“同步记录”中同步数据源，或调整筛选条件。")
        return
    by_street, trend, by_type = st.tabs(["按街道", "月度趋势", "服务岗类型"])
    streets_table = overview.roll_up(table, "street")
    by_street.bar_chart(zh(streets_table), x="街道", y=["报到人数", "微心愿", "已完成"], stack=False,
                        x_label="街道", y_label="数量")
    rates = {label: st.column_config.NumberColumn(format="percent") for label in ("认领率", "完成率")}
    by_street.dataframe(zh(overview.roll_up(table, "district")), hide_index=True, column_config=rates)
    by_street.dataframe(zh(streets_table), hide_index=True, column_config=rates)
    by_street.dataframe(zh(table), hide_index=True)
    months = cached(overview.monthly_trend, streets=streets, start=start, end=end)
    trend.line_chart(zh(months).rename(columns={"提出": "心愿提出", "已完成": "心愿完成"}), x="月份",
                     y=["报到人数", "心愿提出", "心愿完成"], y_label="数量")
    types = cached(overview.posts_by_type, streets=streets)
    by_type.bar_chart(zh(types), x="岗位类型", y=["在岗", "空缺"], x_label="岗位类型", y_label="岗位数")
    by_type.dataframe(zh(types), hide_index=True)
    st.caption(f"每 {LIVE_EVERY.removesuffix('s')} 秒自动刷新；报到人数按报到日期、微心愿按登记日期计入时间段，"
               "服务岗为当前状态（不含已撤销）。")


live()
