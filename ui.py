"""台账通 — the Streamlit script (served by app.py): a login gate in front of a router over pages/."""

import streamlit as st

from pages.common import browser_session, current_user, get_mirror, plain, show_flash, sign_out
from sync.sources.grid import SourceUnreadable
from sync.store.crypto import SecretKeyInvalid
from sync.store.users import ROLES

st.set_page_config(page_title="台账通", page_icon="📋", layout="wide")

# section -> (file, URL path, title, icon, the one role that sees it or None for every role).
# URL paths differ from the file names on purpose: while no session has called st.navigation
# yet, Streamlit treats pages/ as an old-style page folder and would run pages/x.py for /x
# directly, skipping this gate; an unknown path lands here instead.
PAGES = {
    "看板": [("pages/overview.py", "dashboard", "总览", ":material/dashboard:", None),
             ("pages/street.py", "streets", "街道", ":material/location_city:", None),
             ("pages/wishes.py", "micro-wishes", "微心愿", ":material/volunteer_activism:", None),
             ("pages/posts.py", "service-posts", "志愿服务岗", ":material/badge:", None)],
    "数据": [("pages/handin.py", "submit", "提交台账", ":material/upload_file:", None),
             ("pages/quality.py", "data-quality", "数据质量", ":material/fact_check:", None),
             ("pages/runs.py", "sync-runs", "同步记录", ":material/sync:", None)],
    "管理": [("pages/sources.py", "data-sources", "数据源管理", ":material/table_view:", "admin"),
             ("pages/users.py", "accounts", "用户管理", ":material/group:", "admin")],
}
DEFAULT = "dashboard"

try:
    get_mirror()
except (SourceUnreadable, SecretKeyInvalid) as exc:  # a broken configuration, a lost key: say what to fix
    st.error(plain(exc))
    st.stop()

user = current_user()
browser_session()  # the cookie that keeps this sign-in (or its end) across reloads
if user is None:
    # Every page's address shows the sign-in form, so a bookmarked page opens as itself once the
    # user has signed in (the rerun finds the same address); its filters are put back in the URL.
    st.session_state["wanted_query"] = {k: st.query_params.get_all(k) for k in st.query_params}
    st.navigation([st.Page("pages/login.py", title="登录", icon=":material/login:", url_path=url, default=url == DEFAULT)
                   for pages in PAGES.values() for _path, url, *_rest in pages], position="hidden").run()
else:
    sections = {section: [st.Page(path, title=title, icon=icon, url_path=url, default=url == DEFAULT)
                          for path, url, title, icon, role in pages if role in (None, user.role)]
                for section, pages in PAGES.items()}
    page = st.navigation({s: p for s, p in sections.items() if p})
    with st.sidebar:
        where = "全部街道" if user.scope is None else "、".join(user.scope)
        st.caption(plain(f"{user.display_name or user.username}｜{ROLES[user.role]}｜{where}"))
        st.button("退出登录", on_click=sign_out, icon=":material/logout:")
    for name, values in st.session_state.pop("wanted_query", {}).items():
        st.query_params.setdefault(name, values if len(values) > 1 else values[0])
    show_flash()
    page.run()
