"""登录: the gate in front of every page."""

import streamlit as st

from pages.common import get_mirror, sign_in
from sync.users import authenticate

st.title("台账通")
st.caption("街道台账的校验、同步与看板")
message = st.session_state.pop("auth_message", None)
if message:
    st.info(message)
with st.form("login"):
    username = st.text_input("用户名")
    password = st.text_input("密码", type="password")
    submitted = st.form_submit_button("登录", type="primary")
if submitted:
    user = authenticate(get_mirror().engine, username, password)
    if user is None:
        st.error("用户名或密码不正确，或账号已停用")
    else:
        sign_in(user)
        st.rerun()
