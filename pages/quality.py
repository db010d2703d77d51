"""数据质量: open errors and warnings per street, dataset and check; the issue list to fix; stale sheets."""

from datetime import UTC, datetime

import streamlit as st

from pages.common import (annotated_download, cached, downloads, get_mirror, local_time,
                          require_user, sheet_link, template_download, zh)
from pages.issue_view import LIMIT, show_issues
from pages.url_state import url_select
from schemas import DATASETS
from sync.check.issues import SEVERITY_WORDS, check_label
from sync.queries import quality
from sync.terms import RUN_STATUS_WORDS

DATASET_WORDS = {name: d.title for name, d in DATASETS.items()}

user = require_user()
engine = get_mirror().engine
st.title("数据质量")
health = cached(quality.source_health, streets=user.scope)
health = health[health["retired_at"].isna()]  # a source gone from the configuration has nothing left to fix
row = st.columns(4)
row[0].metric("未解决的错误", f"{int(health['errors'].sum()):,}", border=True)
row[1].metric("警告", f"{int(health['warnings'].sum()):,}", border=True)
row[2].metric("有错误的数据源", f"{int((health['errors'] > 0).sum())} / {len(health)}", border=True)
row[3].metric("同步失败或暂停", int(health["last_status"].isin(["failed", "held"]).sum()), border=True)
sources = health.assign(last_status=health["last_status"].map(RUN_STATUS_WORDS),
                        last_ok_at=local_time(health["last_ok_at"]), link=health["spreadsheet"].map(sheet_link))
st.dataframe(zh(sources[["district", "street", "name", "last_status", "last_ok_at", "errors", "warnings", "path",
                         "link"]]).rename(columns={"path": "文件"}),
             hide_index=True, column_config={"link": st.column_config.LinkColumn("表格", display_text="打开表格")})
counts = cached(quality.issue_counts, streets=user.scope)
if not counts.empty:
    counts = counts.assign(dataset=counts["dataset"].map(DATASET_WORDS),
                           severity=counts["severity"].map(SEVERITY_WORDS), check=counts["check"].map(check_label))
    st.subheader("问题统计")
    left, right = st.columns(2)
    pivot = counts.pivot_table("issues", ["street", "dataset"], "severity", "sum", fill_value=0)
    left.dataframe(zh(pivot.reindex(columns=[w for w in SEVERITY_WORDS.values() if w in pivot.columns])
                      .reset_index()), hide_index=True)
    right.dataframe(zh(counts.groupby(["severity", "check"], as_index=False)["issues"].sum()
                       .sort_values("issues", ascending=False)), hide_index=True)
st.subheader("问题清单")
pick = st.columns(4)
street = pick[0].selectbox("街道", ["全部", *dict.fromkeys(health["street"])])
names = health[health["street"] == street]["name"] if street != "全部" else health["name"]
filters = {"street": None if street == "全部" else street,
           "source": url_select(pick[1].selectbox, "数据源", ["全部", *names], "source"),
           "dataset": pick[2].selectbox("台账", ["全部", *DATASET_WORDS], format_func=lambda d: DATASET_WORDS.get(d, d)),
           "severity": pick[3].selectbox("级别", ["全部", *quality.SEVERITIES],
                                         format_func=lambda s: SEVERITY_WORDS.get(s, s))}
filters = {k: (None if v == "全部" else v) for k, v in filters.items()}
# one street's staff know their street (and, with one source, their source): no columns for them
hidden = [c for c, few in (("街道", health["street"].nunique() <= 1), ("数据源", len(health) <= 1)) if few]


def issue_table(limit: int | None):
    rows, total = quality.issue_list(engine, user.scope, limit=limit, **filters)
    return rows.drop(columns=hidden).assign(dataset=rows["dataset"].map(DATASET_WORDS),
                                            severity=rows["severity"].map(SEVERITY_WORDS),
                                            检查项=rows["检查项"].map(check_label)), total


issues, total = issue_table(LIMIT)
st.caption(f"共 {total:,} 个问题。单元格是原表格中的位置：请在原表格中修改，再提交或重新同步。")
scope = health if filters["street"] is None else health[health["street"] == filters["street"]]
annotated = [filters["source"]] if filters["source"] else \
    scope.loc[scope["errors"] + scope["warnings"] > 0, "name"].tolist()
for source in annotated[:6]:  # always in reach, whatever the filters; more than six: pick a source above
    annotated_download(get_mirror(), source)
show_issues(zh(issues), total)
downloads("问题清单", lambda: zh(issue_table(None)[0]), key="issues")
twice, _ = quality.issue_list(engine, user.scope, check="registered_elsewhere")
if not twice.empty:  # 双报到 is one home community: each side of a pair is listed at its own cell
    st.subheader("同一人在多处报到")
    st.caption("同一身份证号同时出现在两个街道（或本街道两个社区）的名册中。请与对方街道核实，只保留一处。")
    st.dataframe(zh(twice.drop(columns=["dataset", "severity", "检查项"])), hide_index=True)
st.subheader("长期未更新的工作表")
days = st.number_input("多少天未变化", min_value=1, value=30, step=1)
stale = quality.stale_sheets(engine, user.scope, int(days), datetime.now(UTC))
st.dataframe(zh(stale.assign(dataset=stale["dataset"].map(DATASET_WORDS), changed_at=local_time(stale["changed_at"]),
                             synced_at=local_time(stale["synced_at"]))), hide_index=True)
st.subheader("空白模板")
template_download(user)
