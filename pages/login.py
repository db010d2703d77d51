"""登录: the gate in front of every page (password, or the organisation's OIDC when configured)."""

import streamlit as st

from pages.common import client_address, get_mirror, oidc_configured, sign_in
from sync.store.throttle import LIMITS, LOCK, LoginLocked
from sync.store.users import authenticate, user_by_email

st.title("台账通")
st.caption("街道台账的校验、同步与看板")
message = st.session_state.pop("auth_message", None)
if message:
    st.info(message)
if oidc_configured():
    if getattr(st.user, "is_logged_in", False):
        user = user_by_email(get_mirror().engine, st.user.get("email"))
        if user is None:
            st.error("该账号尚未在台账通开通或已停用：请联系管理员用此邮箱创建用户")
            st.button("换一个账号", on_click=st.logout)
            st.stop()
        sign_in(user)
        st.rerun()
    st.button("使用单位统一身份认证登录", on_click=st.login, type="primary")
    st.divider()
with st.form("login"):
    username = st.text_input("用户名")
    password = st.text_input("密码", type="password")
    submitted = st.form_submit_button("登录", type="primary")
if submitted:
    try:
        user = authenticate(get_mirror().engine, username, password, client_address())
    except LoginLocked as exc:
        st.error(str(exc))
    else:
        if user is None:
            st.error("用户名或密码不正确，或账号已停用")
            st.caption(f"连续输错 {LIMITS['user']} 次，该账号将锁定 {LOCK.seconds // 60} 分钟。")
        else:
            sign_in(user)
            st.rerun()
