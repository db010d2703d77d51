"""The overview's Altair charts (Chinese labels, readable scales) and the phone layout of its KPIs.

Charts are only drawn from frames with rows: an empty frame gets a one-line message on the page
instead, never an empty chart with zero axes.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

PICK = "pick"  # the place chart's selection: a click on a bar selects its street (or community)

# Streamlit stacks columns into one below 640 px; the KPI grid stays two cards wide there.
KPI_CSS = """<style>
@media (max-width: 640px) {
  .st-key-kpis [data-testid="stHorizontalBlock"] { flex-wrap: wrap !important; gap: 0.5rem !important; }
  .st-key-kpis [data-testid="stColumn"] { flex: 1 1 calc(50% - 0.25rem) !important;
    width: calc(50% - 0.25rem) !important; min-width: calc(50% - 0.25rem) !important; }
  .st-key-kpis [data-testid="stMetricValue"] { font-size: 1.5rem !important; }
}
</style>"""


def place_bars(frame: pd.DataFrame, place: str) -> alt.Chart:
    """Members, wishes and completed wishes per place, bars side by side, in the ranking's order."""
    measures = ["报到人数", "微心愿", "已完成"]
    long = frame.melt(id_vars=[place], value_vars=measures, var_name="指标", value_name="数量")
    pick = alt.selection_point(name=PICK, fields=[place], on="click")
    return (alt.Chart(long).mark_bar()
            .encode(x=alt.X(f"{place}:N", sort=list(frame[place]), title=None, axis=alt.Axis(labelAngle=-40)),
                    xOffset=alt.XOffset("指标:N", sort=measures),
                    y=alt.Y("数量:Q", title="人数 / 个数"),
                    color=alt.Color("指标:N", sort=measures, title=None, legend=alt.Legend(orient="top")),
                    opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
                    tooltip=[alt.Tooltip(f"{place}:N"), alt.Tooltip("指标:N"), alt.Tooltip("数量:Q", format=",")])
            .add_params(pick))


def cumulative_lines(frame: pd.DataFrame) -> alt.Chart:
    """Running totals of members and wishes, month by month."""
    long = (frame.rename(columns={"month": "月份", "members": "累计报到党员", "wishes": "累计微心愿"})
            .melt(id_vars=["月份"], var_name="指标", value_name="累计"))
    return (alt.Chart(long).mark_line(point=len(frame) <= 24)
            .encode(x=alt.X("月份:T", title=None, axis=alt.Axis(format="%Y-%m")),
                    y=alt.Y("累计:Q", title="累计数量"),
                    color=alt.Color("指标:N", sort=["累计报到党员", "累计微心愿"], title=None,
                                    legend=alt.Legend(orient="top")),
                    tooltip=[alt.Tooltip("月份:T", format="%Y-%m"), alt.Tooltip("指标:N"),
                             alt.Tooltip("累计:Q", format=",")]))


def quarterly_lines(frame: pd.DataFrame) -> alt.Chart:
    """Per quarter of raising: the share of the wishes claimed and completed by now."""
    long = (frame.rename(columns={"quarter": "季度", "wishes": "心愿数", "claim_rate": "已认领比例",
                                  "completion_rate": "已完成比例"})
            .melt(id_vars=["季度", "心愿数"], var_name="指标", value_name="比例"))
    return (alt.Chart(long).mark_line(point=True)
            .encode(x=alt.X("季度:O", sort=list(frame["quarter"]), title="登记季度", axis=alt.Axis(labelAngle=-40)),
                    y=alt.Y("比例:Q", title=None, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
                    color=alt.Color("指标:N", sort=["已认领比例", "已完成比例"], title=None,
                                    legend=alt.Legend(orient="top")),
                    tooltip=[alt.Tooltip("季度:O"), alt.Tooltip("指标:N"), alt.Tooltip("比例:Q", format=".1%"),
                             alt.Tooltip("心愿数:Q", format=",")]))


def type_bars(frame: pd.DataFrame) -> alt.Chart:
    """Staffed and vacant posts per post type, stacked."""
    long = frame.melt(id_vars=["岗位类型"], value_vars=["在岗", "空缺"], var_name="状态", value_name="岗位数")
    return (alt.Chart(long).mark_bar()
            .encode(x=alt.X("岗位类型:N", title=None, axis=alt.Axis(labelAngle=0)), y=alt.Y("岗位数:Q"),
                    color=alt.Color("状态:N", title=None, legend=alt.Legend(orient="top")),
                    tooltip=[alt.Tooltip("岗位类型:N"), alt.Tooltip("状态:N"), alt.Tooltip("岗位数:Q", format=",")]))
