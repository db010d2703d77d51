"""总览: the KPIs with their change, the streets ranked, readable trends, and a one-page picture
for meetings; refreshed live."""

from datetime import UTC, datetime

import streamlit as st

from pages.charts import KPI_CSS, PICK, cumulative_lines, place_bars, quarterly_lines, type_bars
from pages.common import LIVE_EVERY, cached, local_time, require_user, scope_filters, zh
from pages.overview_parts import empty_message, export_buttons, ranked_table, with_rates
from sync.outputs.kpi_cards import kpi_cards
from sync.queries import overview, ranking

user = require_user()
st.title("总览")
streets, period = scope_filters(user)
st.html(KPI_CSS)


def open_street(street: str, community: str | None = None) -> None:
    st.switch_page("pages/street.py", query_params={"street": street} | ({"community": community} if community else {}))


@st.fragment(run_every=LIVE_EVERY)
def live() -> None:
    months = cached(overview.monthly, streets=streets)
    table = cached(overview.by_place, streets=streets, start=period.start, end=period.end)
    now = overview.kpis(months, period.start, period.end)
    if table.empty or (period.start is not None and not now["members"] and not now["wishes"]):
        st.info(empty_message(months, period))
        return
    cards = kpi_cards(now, overview.kpis(months, *period.previous))
    with st.container(key="kpis"):
        for row in (cards[:4], cards[4:]):
            for column, card in zip(st.columns(4), row):
                colour = "off" if card.sign == 0 else ("inverse" if card.good < 0 else "normal")
                column.metric(card.label, card.value, card.delta, colour,
                              help=card.help or None, border=True, delta_description=period.versus,
                              delta_arrow="off" if card.sign == 0 else "auto")
    level = ranking.level_for(streets)
    health = cached(ranking.street_health, streets=streets) if level == "street" else None
    ranked = ranking.ranking(table, health, level, datetime.now(UTC))
    place = "街道" if level == "street" else "社区"
    st.subheader(f"{place}排名")
    st.caption(f"按完成率排名。认领率、完成率：绿色高于、红色低于所选范围的整体水平。点击一行或下方图中的柱子，打开该{place}。")
    picked = st.dataframe(ranked_table(ranked, local_time), on_select="rerun", selection_mode="single-row",
                          hide_index=True, key="ranking")
    if picked.selection.rows:
        row = ranked.iloc[picked.selection.rows[0]]
        open_street(row["street"], row["community"] if level == "community" else None)
    compare, trend, types = st.tabs([f"按{place}对比", "趋势", "服务岗类型"])
    with compare:
        st.subheader(f"各{place}报到人数、微心愿与已完成")
        clicked = st.altair_chart(place_bars(zh(ranked), place), on_select="rerun", key="bars")
        chosen = clicked.selection.get(PICK) if clicked else None
        if chosen:
            name = chosen[0][place]
            street = name if level == "street" else ranked.loc[ranked["community"] == name, "street"].iloc[0]
            open_street(street, None if level == "street" else name)
        st.subheader("按区县汇总")
        st.dataframe(with_rates(zh(overview.roll_up(table, "district"))), hide_index=True)
        st.subheader("按社区明细")
        st.dataframe(zh(table), hide_index=True)
    with trend:
        st.subheader("累计报到党员与微心愿")
        running = overview.cumulative(months, period.start, period.end)
        if len(running):
            st.altair_chart(cumulative_lines(running))
        else:
            st.info("所选时间段没有报到或微心愿记录。")
        st.subheader("按登记季度：已认领、已完成的比例")
        quarters = overview.quarterly(months, period.start, period.end)
        if len(quarters):
            st.altair_chart(quarterly_lines(quarters))
            st.dataframe(with_rates(zh(quarters.rename(columns={"quarter": "登记季度", "wishes": "心愿数"}))),
                         hide_index=True)
        else:
            st.info("所选时间段没有登记微心愿。")
    with types:
        st.subheader("各类服务岗（当前状态）")
        posts = cached(overview.posts_by_type, streets=streets)
        if len(posts):
            st.altair_chart(type_bars(zh(posts)))
            st.dataframe(zh(posts), hide_index=True)
        else:
            st.info("还没有志愿服务岗记录。")
    export_buttons(streets, period, cards, ranked, level, running, quarters)
    st.caption(f"每 {LIVE_EVERY.removesuffix('s')} 秒自动刷新。时间段按整月计：报到党员按报到日期、微心愿按登记日期计入；"
               "服务岗为当前状态（不含已撤销），其变化按设岗日期计算。")


live()
