"""用户管理 (admin): create users, set roles and streets, disable accounts, reset passwords."""

import pandas as pd
import streamlit as st

from pages.common import cached, flash, get_mirror, plain, require_user
from sync.queries import overview
from sync.store.users import ROLES, UserError, create_user, list_users, update_user

LEAST_FIRST = ["staff", "supervisor", "admin"]  # a new account starts with the least it could need

me = require_user("admin")
engine = get_mirror().engine
st.title("用户管理")
users = list_users(engine)
st.dataframe(pd.DataFrame([{"用户名": u.username, "姓名": u.display_name, "角色": ROLES[u.role],
                            "街道": "、".join(u.streets) if u.role == "staff" else "全部", "邮箱": u.email or "",
                            "状态": "启用" if u.active else "停用"} for u in users]), hide_index=True)
streets = list(dict.fromkeys(cached(overview.places, streets=None)["street"]))
create, edit = st.tabs(["新建用户", "修改用户"])
with create, st.form("create-user", clear_on_submit=True):
    username = st.text_input("用户名")
    display_name = st.text_input("姓名")
    email = st.text_input("邮箱（配置统一身份认证时按它匹配登录）")
    password = st.text_input("初始密码（至少8位）", type="password")
    role = st.selectbox("角色", LEAST_FIRST, format_func=ROLES.get, key="new-role")
    bound = st.multiselect("街道（街道工作人员必填）", streets, key="new-streets")
    if st.form_submit_button("创建"):
        try:
            create_user(engine, username, password, role, bound, display_name, email)
        except UserError as exc:
            st.error(plain(str(exc)))
        else:
            flash(f"已创建用户“{plain(username.strip())}”")
            st.rerun()
with edit:
    names = [u.username for u in users]
    user = users[names.index(st.selectbox("用户", names))]
    with st.form("edit-user"):
        role = st.selectbox("角色", LEAST_FIRST, LEAST_FIRST.index(user.role), format_func=ROLES.get)
        bound = st.multiselect("街道", sorted(set(streets) | set(user.streets)), list(user.streets))
        email = st.text_input("邮箱", user.email or "")
        active = st.toggle("启用", user.active)
        password = st.text_input("新密码（留空不修改；修改后该用户已登录的浏览器需重新登录）", type="password")
        if st.form_submit_button("保存修改"):
            try:
                update_user(engine, user.username, role=role, streets=bound, active=active, password=password or None,
                            email=email)
            except UserError as exc:
                st.error(plain(str(exc)))
            else:
                flash(f"已保存用户“{plain(user.username)}”")
                st.rerun()
