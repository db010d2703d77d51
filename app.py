"""台账通 — the Streamlit entry point (a router; pages live in pages/)."""

import streamlit as st

st.set_page_config(page_title="台账通", page_icon="📋", layout="wide")
st.title("台账通")
st.write("街道台账的校验与同步。")
