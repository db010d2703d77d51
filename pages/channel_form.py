"""The sources page's group-robot widgets: which robots get a street's report (beside the e-mail
recipients), and the robots themselves. A webhook or secret is typed in and never shown back:
the list shows the host and the key's last four characters, and the form clears on saving."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.common import plain
from sync.config import ConfigError, check_channel
from sync.service import Mirror
from sync.terms import split_list
from sync.store.crypto import SecretKeyInvalid
from sync.store.channels import (KIND_WORDS, Channel, list_channels, masked_mobiles, masked_webhook, reveal_stored,
                                 save_channel)

NEW = "（新建群机器人）"


def robots_input(mirror: Mirror, street: str) -> list[str] | None:
    """The robots that get this street's report; None when there are none to choose from."""
    robots = list_channels(mirror.engine, mirror.vault)
    if not robots:
        st.caption("还没有群机器人：可在本页下方“群机器人”中添加企业微信、钉钉或飞书群机器人。")
        return None
    names = [c.name for c in robots]
    kinds = {c.name: KIND_WORDS[c.kind] for c in robots}
    return st.multiselect("报告同时发到这些群机器人", names, [c.name for c in robots if street and street in c.streets],
                          format_func=lambda n: f"{n}（{kinds[n]}）")


def _listing(mirror: Mirror, robots: list[Channel]) -> pd.DataFrame:
    return pd.DataFrame([{"名称": c.name, "类型": KIND_WORDS[c.kind], "webhook": masked_webhook(mirror.vault, c.webhook_ref),
                          "签名密钥": "已设置" if c.secret_ref else "未设置", "街道报告": "、".join(c.streets),
                          "全市汇总": c.digest, "@提醒": "、".join(masked_mobiles(c)), "启用": c.enabled}
                         for c in robots])


SECRET_FIELDS = ("robot_webhook", "robot_secret", "robot_mobiles")


def _save(mirror: Mirror, robot: Channel | None) -> None:
    """The form's submit callback: check and save, then forget what was typed (it may be a secret)."""
    state = st.session_state
    name = robot.name if robot else state["robot_name"].strip()
    values = {"name": name, "kind": state["robot_kind"], "streets": state["robot_streets"],
              "digest": state["robot_digest"], "enabled": state["robot_enabled"],
              "webhook": state["robot_webhook"].strip() or (reveal_stored(mirror.vault, robot.webhook_ref) if robot else ""),
              "mobiles": split_list(state["robot_mobiles"]) or (list(robot.mobiles) if robot else [])}
    kept_secret = reveal_stored(mirror.vault, robot.secret_ref) if robot else None
    values["secret"] = None if state.get("robot_clear_secret") else state["robot_secret"].strip() or kept_secret
    for key in SECRET_FIELDS:
        state[key] = ""
    try:
        check_channel(values)
    except ConfigError as exc:
        state["robot_saved"] = ("error", str(exc))
        return
    try:
        save_channel(mirror.engine, mirror.vault, name, values)
    except SecretKeyInvalid as exc:  # the key was rotated since this app started
        state["robot_saved"] = ("error", str(exc))
        return
    state["robot_saved"] = ("success", f"已保存群机器人“{name}”。")


def _form(mirror: Mirror, robot: Channel | None, streets: list[str]) -> None:
    with st.form("robot"):
        if robot is None:
            st.text_input("名称（如“上站街道工作群”）", key="robot_name")
        st.radio("平台", list(KIND_WORDS), list(KIND_WORDS).index(robot.kind) if robot else 0,
                 format_func=KIND_WORDS.get, horizontal=True, key="robot_kind")
        st.text_input("webhook 地址（或 env:环境变量名）" + ("；留空则不修改" if robot else ""), type="password",
                      key="robot_webhook")
        st.text_input("签名密钥（钉钉“加签”、飞书“签名校验”；留空则不修改）", type="password", key="robot_secret")
        if robot and robot.secret_ref:
            st.checkbox("清除签名密钥", key="robot_clear_secret")
        st.multiselect("发送这些街道的报告", sorted(set(streets) | set(robot.streets if robot else ())),
                       list(robot.streets) if robot else [], key="robot_streets")
        st.text_area("@提醒的手机号（每行一个；留空则不修改）" if robot else "@提醒的手机号（每行一个，可不填）",
                     key="robot_mobiles")
        st.toggle("发送全市汇总", robot.digest if robot else False, key="robot_digest")
        st.toggle("启用", robot.enabled if robot else True, key="robot_enabled")
        st.form_submit_button("保存群机器人", on_click=_save, args=(mirror, robot))
    kind, message = st.session_state.pop("robot_saved", (None, None))
    if kind:
        getattr(st, kind)(plain(message))


def robots_manager(mirror: Mirror, streets: list[str], declared: set[str]) -> None:
    """The robots: masked list, and a form to add or edit one."""
    with st.expander("群机器人（企业微信、钉钉、飞书）"):
        robots = list_channels(mirror.engine, mirror.vault)
        if robots:
            st.dataframe(_listing(mirror, robots), hide_index=True)
        choice = st.selectbox("编辑群机器人", [NEW, *(c.name for c in robots)])
        robot = next((c for c in robots if c.name == choice), None)
        if robot is not None and robot.name in declared:
            st.caption("该群机器人在配置文件中声明：在此修改的项目，下次启动时会按配置文件恢复。")
        _form(mirror, robot, streets)
