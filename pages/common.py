"""What every page shares: the mirror (opened once per process), the signed-in user, cached
queries, place and period filters, Chinese labels and safe downloads. Pages stay thin."""

from __future__ import annotations

import importlib
import io
import json
import re
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from jobs.annotate import annotate, annotate_source
from pages.url_state import url_multiselect, url_select
from jobs.embedded import start_embedded_scheduler, stop_embedded_scheduler
from schemas import DATASETS
from sync.outputs.exports import rows_to_xlsx, safe_cell
from sync.queries import overview
from sync.queries import periods
from sync.queries.periods import Period, add_months, month_label
from sync.queries.quality import run_history
from sync.queries.scope import Streets
from sync.registry import list_sources
from sync.sources.grid import Workbook
from sync.terms import RUN_STATUS_WORDS, TIMEZONE_NAME
from sync.service import Mirror, open_mirror, sync_sources
from sync.settings import data_dir, setting
from sync.outputs.template import build_template
from sync.store.sessions import COOKIE, COOKIE_HEADER, end_session, session_of, start_session
from sync.store.users import ROLES, User, ensure_admin, get_user

SIGNED_OUT = "signed-out"  # st.session_state["cookie"]: drop the browser's session cookie (a ticket is longer)
CACHE_SECONDS = 30  # dashboards are at most this stale; a sync from the app clears them at once
LIVE_EVERY = "60s"
LABELS = {"district": "区县", "street": "街道", "community": "社区", "grid": "网格", "members": "报到人数",
          "wishes": "微心愿", "claimed": "已认领", "completed": "已完成", "posts": "服务岗", "staffed": "在岗",
          "vacant": "空缺", "revoked": "撤销", "activities": "活动次数", "service_hours": "服务时长（小时）",
          "claim_rate": "认领率", "completion_rate": "完成率", "month": "月份", "raised": "提出",
          "post_type": "岗位类型", "days_to_claim": "平均认领天数", "days_to_complete": "平均完成天数",
          "waiting": "待认领超30天", "bucket": "用时", "claim": "认领", "complete": "完成", "category": "心愿类别",
          "status": "状态", "source": "数据源", "sheet": "工作表", "dataset": "台账", "rows": "行数",
          "changed_at": "内容最后变化", "synced_at": "最后读取", "severity": "级别", "check": "检查项",
          "issues": "问题数", "errors": "错误", "warnings": "警告", "trigger": "触发方式", "started_at": "开始时间",
          "finished_at": "结束时间", "rows_read": "读取", "inserted": "新增", "updated": "更新", "deleted": "删除",
          "message": "说明", "name": "名称", "kind": "类型", "enabled": "启用", "schedule": "定时",
          "last_ok_at": "最后成功", "last_status": "最近结果", "last_run_at": "最近同步", "last_message": "最近说明",
          "retired_at": "已从配置文件删除"}


# Every text that came from a sheet, a file name or a person goes through plain() before a
# Streamlit call that reads Markdown (alerts, captions, st.write, status lines, widget labels):
# a worksheet titled "[点此验证](http://…)" or ":red[**系统通知**]" must show as those characters,
# not as a link, a coloured notice or an image fetched from elsewhere (issue 14).
_MARKDOWN = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation: CommonMark lets each be escaped
# GFM turns bare URLs and e-mail addresses into links after escapes are resolved: a zero-width
# space after the scheme or "www" (and before "@") keeps the text and breaks the match
_AUTOLINK = re.compile(r"(?i)(https?|ftp|www)(?=[:.])|(?=@)")
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f]+")


def plain(text: object) -> str:
    """``text`` as Markdown that renders exactly these characters, on one line."""
    flat = _LINE_BREAKS.sub(" ", str(text))
    return _MARKDOWN.sub(r"\\\1", _AUTOLINK.sub(lambda m: (m.group(1) or "") + "\u200b", flat))


def _release(mirror: Mirror) -> None:
    mirror.engine.dispose()


@st.cache_resource(show_spinner="正在准备数据库（首次启动会读取并校验全部数据源）…", on_release=_release)
def _open(config: str | None, database: str | None, folder: str) -> Mirror:
    mirror = open_mirror()
    ensure_admin(mirror.engine)
    if run_history(mirror.engine, None, limit=1).empty:  # a fresh database: fill it once, now
        sync_sources(mirror, trigger="app")
    return mirror


@st.cache_resource(on_release=stop_embedded_scheduler)
def _scheduler(config: str | None, database: str | None) -> object:
    """The schedules in this process (unless TAIZHANG_EMBEDDED_WORKER=0); one per process."""
    return start_embedded_scheduler(config, database)


def get_mirror() -> Mirror:
    """The process's mirror, per configuration (so tests with other settings get their own)."""
    config, database = setting("TAIZHANG_CONFIG"), setting("TAIZHANG_DATABASE_URL")
    mirror = _open(config, database, str(data_dir()))
    _scheduler(config, database)
    return mirror


def _session_minutes() -> float:
    return float(setting("TAIZHANG_SESSION_MINUTES") or 480)


def sign_in(user: User) -> None:
    """Sign the user in for this tab, and (through the next run's browser_session) for reloads."""
    session_id, ticket = start_session(get_mirror().engine, user.username, _session_minutes())
    st.session_state["auth"] = {"username": user.username, "since": time.time(), "session": session_id}
    st.session_state["cookie"] = ticket


def browser_session() -> None:
    """Hand the browser this sign-in's one-time ticket (app.py's /auth/session sets the HttpOnly
    cookie), or tell it to drop the cookie after a sign-out. Runs once per change, invisibly."""
    change = st.session_state.pop("cookie", None)
    if change is None:
        return
    route, body = ("/auth/signout", "") if change == SIGNED_OUT else ("/auth/session", change)
    st.html(f"<script>fetch({json.dumps(route)}, {{method: 'POST', credentials: 'same-origin', "
            f"headers: {{'{COOKIE_HEADER}': '1'}}, body: {json.dumps(body)}}});</script>",
            unsafe_allow_javascript=True, width="content")


def _cookie() -> str | None:
    """The session cookie the tab was opened with (None without one, and in headless tests)."""
    token = st.context.cookies.get(COOKIE)
    return token if isinstance(token, str) else None


def _restore() -> dict | None:
    """A sign-in from the session cookie this tab was opened with (a reload, a bookmark)."""
    found = session_of(get_mirror().engine, _cookie())
    if found is None:
        return None
    session_id, username, since = found
    st.session_state["auth"] = {"username": username, "since": since.timestamp(), "session": session_id}
    return st.session_state["auth"]


def client_address() -> str:
    """Who is signing in, for login throttling: the first X-Forwarded-For address behind a proxy
    (else every user would share the proxy's count), the connection's address, or "local"."""
    forwarded = (st.context.headers.get("X-Forwarded-For") or "").split(",")[0].strip()
    return forwarded or st.context.ip_address or "local"


def oidc_configured() -> bool:
    """Whether ``[auth]`` in .streamlit/secrets.toml configures st.login (OIDC)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


def sign_out(reason: str | None = None) -> None:
    auth = st.session_state.pop("auth", None)
    engine = get_mirror().engine
    if auth and auth.get("session") is not None:
        end_session(engine, session_id=auth["session"])
    if _cookie():
        end_session(engine, token=_cookie())  # the tab still holds the cookie it was opened with
    st.session_state["cookie"] = SIGNED_OUT
    if reason:
        st.session_state["auth_message"] = reason
    if oidc_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()  # else the identity provider's session would sign the user straight back in


def current_user() -> User | None:
    """The signed-in user, re-read every run so a disabled account or a new role applies at once."""
    auth = st.session_state.get("auth") or _restore()
    if not auth:
        return None
    if time.time() - auth["since"] > _session_minutes() * 60:
        sign_out("登录已过期，请重新登录")
        return None
    user = get_user(get_mirror().engine, auth["username"])
    if user is None or not user.active:
        sign_out("账号已停用，请联系管理员")
        return None
    return user


def require_user(role: str | None = None) -> User:
    """The signed-in user; stops the page when the user lacks the role (pages of other roles)."""
    user = current_user()
    if user is None or (role is not None and user.role != role):
        st.error(f"此页面仅限{ROLES.get(role or '', '已登录用户')}使用")
        st.stop()
    return user


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _cached(module: str, name: str, database: str, params: dict[str, Any]) -> Any:
    return getattr(importlib.import_module(module), name)(get_mirror().engine, **params)


def cached(query: Callable[..., Any], **params: Any) -> Any:
    """A query from sync.queries, its result cached for CACHE_SECONDS per database and parameters."""
    database = get_mirror().engine.url.render_as_string(hide_password=True)
    return _cached(query.__module__, query.__name__, database, params)


def scope_filters(user: User, *, period: bool = True) -> tuple[Streets, Period | None]:
    """District, street and period pickers limited to the user's streets; returns the effective scope.
    The choices live in the URL (``?district=…&street=…&period=…``) and follow the user across pages."""
    places = cached(overview.places, streets=user.scope)
    columns = st.columns(3 if period else 2)
    districts = url_multiselect(columns[0].multiselect, "区县", sorted(places["district"].unique()), "district",
                                placeholder="全部区县")
    options = places[places["district"].isin(districts)] if districts else places
    chosen = url_multiselect(columns[1].multiselect, "街道", options["street"].tolist(), "street",
                             placeholder="全部街道")
    streets = tuple(chosen) if chosen else (tuple(options["street"]) if districts else user.scope)
    if user.scope is not None:
        streets = tuple(s for s in streets if s in user.scope)
    return streets, (_period(columns[2], streets) if period else None)


def place_filters(user: User, *, period: bool = True) -> tuple[Streets, date | None, date | None]:
    """scope_filters with the period as its first and last day (None, None: all time)."""
    streets, chosen = scope_filters(user, period=period)
    return streets, (chosen.start if chosen else None), (chosen.end if chosen else None)


def _period(column: Any, streets: Streets) -> Period:
    """Whole months (the dashboards count per month); 自定义 picks a range of months."""
    today = date.today()
    choice = url_select(column.selectbox, "时间段", periods.CHOICES, "period")
    if choice != "自定义":
        return periods.period(choice, today)
    dated = cached(overview.monthly, streets=streets)["month"].dropna()
    first = dated.min().date() if len(dated) else add_months(today, -11)
    months = [add_months(first, i) for i in range((today.year - first.year) * 12 + today.month - first.month + 1)]
    picked = column.select_slider("月份范围", months, value=(months[max(0, len(months) - 3)], months[-1]),
                                  format_func=month_label)
    return periods.period(choice, today, picked)


def zh(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns renamed to their Chinese labels."""
    return frame.rename(columns=LABELS)


def local_time(values: pd.Series) -> pd.Series:
    """Stored UTC times as Beijing time text."""
    return pd.to_datetime(values, utc=True).dt.tz_convert(TIMEZONE_NAME).dt.strftime("%Y-%m-%d %H:%M").fillna("")


def sheet_link(spreadsheet: str | None) -> str | None:
    """A Google Sheet's address from the registry's key or link (None for file sources)."""
    if not spreadsheet:
        return None
    if spreadsheet.startswith("https://"):
        return spreadsheet
    return f"https://docs.google.com/spreadsheets/d/{spreadsheet}/edit"


def _template(street: str | None) -> bytes:
    sources = list_sources(get_mirror().engine)
    communities = sorted({c for s in sources if s.street == street for c in s.communities or ()})
    buffer = io.BytesIO()
    build_template(list(DATASETS), street, communities).save(buffer)
    return buffer.getvalue()


def _annotated(mirror: Mirror, source: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return annotate_source(mirror, source, Path(folder) / f"{source}.xlsx").read_bytes()


def annotated_bytes(workbook: Workbook, results: list) -> bytes:
    """The annotated copy of a workbook just checked, made from the very bytes that were checked."""
    with tempfile.TemporaryDirectory() as folder:
        return annotate(workbook, results, Path(folder) / "annotated.xlsx").read_bytes()


def annotated_download(mirror: Mirror, source: str) -> None:
    """The staff's own workbook with every problem cell coloured and commented (built when clicked)."""
    st.download_button(f"下载标注问题的工作簿（{plain(source)}）", lambda: _annotated(mirror, source),
                       f"{source}-校验标注.xlsx", key=f"annotated-{source}", on_click="ignore",
                       help="原表格的副本：错误单元格标红、警告标黄，并附批注和“校验结果”工作表")


def template_download(user: User) -> None:
    """The blank register template, with the street's communities as a dropdown for staff of one street."""
    street = user.scope[0] if user.scope and len(user.scope) == 1 else None
    st.download_button("下载台账模板（名册、微心愿、志愿服务岗）", lambda: _template(street),
                       f"{street or ''}台账模板.xlsx", key="template", on_click="ignore")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.map(safe_cell).to_csv(index=False).encode("utf-8-sig")  # BOM: Excel/WPS read UTF-8


def xlsx_bytes(title: str, frame: pd.DataFrame) -> bytes:
    plain = frame.astype(object).where(frame.notna(), None)
    return rows_to_xlsx({title: ([str(c) for c in plain.columns], plain.itertuples(index=False, name=None))})


def downloads(title: str, make: Callable[[], pd.DataFrame], key: str) -> None:
    """CSV and Excel buttons; the file is built when clicked, every text cell formula-safe."""
    row = st.container(horizontal=True)
    row.download_button("下载 CSV", lambda: csv_bytes(make()), f"{title}.csv", "text/csv", key=f"{key}-csv",
                         on_click="ignore")
    row.download_button("下载 Excel", lambda: xlsx_bytes(title, make()), f"{title}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{key}-xlsx",
                          on_click="ignore")


def run_sync(mirror: Mirror, names: list[str], *, force: bool = False, allow_mass_delete: bool = False) -> list:
    """Sync sources now, as the worker would (same function, same per-source lock), showing progress."""
    with st.status("正在同步…", expanded=True) as status:
        results = sync_sources(mirror, names, force=force, allow_mass_delete=allow_mass_delete, trigger="app",
                               progress=status.write)
        for r in results:
            status.write(plain(f"{r.source}：{RUN_STATUS_WORDS[r.status]}。{r.message}"))
        bad = [r for r in results if r.status in ("failed", "held")]
        status.update(label=f"同步完成：{len(results) - len(bad)} 个成功" + (f"，{len(bad)} 个需要处理" if bad else ""),
                      state="error" if bad else "complete")
    st.cache_data.clear()  # dashboards show the new mirror at once
    return results


def flash(message: str, kind: str = "success") -> None:
    """A message that survives the rerun a change ends with (shown once, above the next page)."""
    st.session_state.setdefault("flash", []).append((kind, message))


def show_flash() -> None:
    for kind, message in st.session_state.pop("flash", []):
        getattr(st, kind)(message)


def held_confirmation(mirror: Mirror, user: User, source: str, street: str, message: str) -> None:
    """A held run's reason; for an admin, the confirmation that applies it (mass deletes allowed)."""
    with st.container(border=True):
        st.warning(f"**{plain(street)}·{plain(source)}** 的上次同步已暂停，镜像保持不变：{plain(message)}")
        if not user.is_admin:
            st.caption("请核对表格；如确属有意删除，请联系管理员确认并应用。")
            return
        sure = st.checkbox("我已核对表格，确认这些删除是有意的", key=f"sure-{source}")
        if st.button("确认并应用", key=f"apply-{source}", disabled=not sure):
            run_sync(mirror, [source], force=True, allow_mass_delete=True)
            flash(f"已确认并应用“{plain(source)}”的同步")
            st.rerun()  # redraw without the warning; the run is in the history
