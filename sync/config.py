"""The TOML configuration file: database, sources, reports and SMTP.

One registry, two ways in: sources declared here are provisioned into the database by
name (idempotently); sources added in the app live only in the database.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sync.sources.grid import SourceUnreadable
from sync.sources.kinds import kind_named
from sync.store.lengths import too_long
from sync.store.models import sources
from sync.settings import data_dir, setting

DEFAULT_CONFIG = Path("taizhang.toml")
DEMO_CONFIG = Path("data/demo/taizhang.toml")
NOTIFY = ("always", "issues", "changes")
CHANNEL_KINDS = ("wecom", "dingtalk", "feishu")
MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
ENV_REF_RE = re.compile(r"env:[A-Za-z_][A-Za-z0-9_]*")
GOOGLE_RECHECK_HOURS = 24  # [sync] google_recheck_hours: values via IMPORTRANGE or add-ons never move modifiedTime


class ConfigError(SourceUnreadable):
    """The configuration file is wrong; the message is Chinese and names the place."""


@dataclass
class Config:
    path: Path | None
    database_url: str
    sources: list[dict[str, Any]] = field(default_factory=list)
    reports: dict[str, Any] = field(default_factory=dict)
    smtp: dict[str, Any] = field(default_factory=dict)
    channels: list[dict[str, Any]] = field(default_factory=list)  # group robots, see _check_channel
    app: dict[str, Any] = field(default_factory=dict)  # [app] base_url: links in robot messages
    google_recheck_hours: float = GOOGLE_RECHECK_HOURS

    @property
    def recheck(self) -> timedelta | None:
        """How long a Google source's modifiedTime is trusted before a forced read; None: for ever (0 hours)."""
        return timedelta(hours=self.google_recheck_hours) if self.google_recheck_hours else None


def config_path(explicit: str | Path | None = None) -> Path | None:
    for candidate in (explicit, setting("TAIZHANG_CONFIG"), DEFAULT_CONFIG, DEMO_CONFIG):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
        if candidate and candidate == explicit:
            raise ConfigError(f"找不到配置文件：{candidate}")
    return None


def _check_source(i: int, source: dict[str, Any]) -> dict[str, Any]:
    where = f"配置文件第{i + 1}个 [[sources]]"
    for key in ("name", "street", "kind"):
        if not source.get(key):
            raise ConfigError(f"{where} 缺少 {key}")
    try:
        problem = kind_named(source["kind"]).check(source)
    except SourceUnreadable as exc:
        problem = str(exc)
    if problem:
        raise ConfigError(f"{where}（{source['name']}）{problem}")
    if source.get("notify_on", "issues") not in NOTIFY:
        raise ConfigError(f"{where}（{source['name']}）的 notify_on 应为 {'、'.join(NOTIFY)} 之一")
    problem = too_long(sources, source)
    if problem:
        raise ConfigError(f"{where}（{str(source['name'])[:30]}…）：{problem}")
    return source


def check_channel(channel: dict[str, Any], where: str = "群机器人") -> dict[str, Any]:
    """One group robot (a ``[[channels]]`` table, or the app's form). Messages never quote the webhook
    or the secret: both are secrets."""
    for key in ("name", "kind", "webhook"):
        if not channel.get(key) or not isinstance(channel[key], str):
            raise ConfigError(f"{where} 缺少 {key}")
    where += f"（{channel['name']}）"
    if channel["kind"] not in CHANNEL_KINDS:
        raise ConfigError(f"{where}的 kind 应为 {'、'.join(CHANNEL_KINDS)} 之一")
    webhook, secret = channel["webhook"], channel.get("secret")
    if not (ENV_REF_RE.fullmatch(webhook) or re.match(r"https?://", webhook)):
        raise ConfigError(f"{where}的 webhook 应为完整地址（https://…）或 env:环境变量名")
    if secret is not None and not (isinstance(secret, str) and secret
                                   and (ENV_REF_RE.fullmatch(secret) or not secret.startswith("env:"))):
        raise ConfigError(f"{where}的 secret 应为密钥文本或 env:环境变量名")
    streets, mobiles = channel.get("streets", []), channel.get("mobiles", [])
    if not isinstance(streets, list) or not all(isinstance(s, str) and s for s in streets):
        raise ConfigError(f"{where}的 streets 应为街道名称列表，如 [\"上站街道\"]")
    for key in ("digest", "enabled"):
        if not isinstance(channel.get(key, False), bool):
            raise ConfigError(f"{where}的 {key} 应为 true 或 false")
    if not streets and not channel.get("digest"):
        raise ConfigError(f"{where}既没有 streets 也没有 digest = true，不会收到任何消息")
    if not isinstance(mobiles, list) or not all(isinstance(m, str) and MOBILE_RE.fullmatch(m) for m in mobiles):
        raise ConfigError(f"{where}的 mobiles 应为 11 位手机号列表（用于 @ 提醒）")
    if mobiles and channel["kind"] == "feishu":
        raise ConfigError(f"{where}：飞书自定义机器人不能按手机号 @ 成员，请删除 mobiles")
    return channel


def load_config(explicit: str | Path | None = None, db_url: str | None = None) -> Config:
    """Read the configuration; ``db_url`` (e.g. ``--db``) wins over the environment and file."""
    path = config_path(explicit)
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"配置文件无法读取（{exc}）：{path}") from None
    sources = [_check_source(i, s) for i, s in enumerate(data.get("sources", []))]
    names = [s["name"] for s in sources]
    if len(set(names)) != len(names):
        raise ConfigError(f"配置文件中数据源名称重复：{path}")
    channels = [check_channel(c, f"配置文件第{i + 1}个 [[channels]]") for i, c in enumerate(data.get("channels", []))]
    if len({c["name"] for c in channels}) != len(channels):
        raise ConfigError(f"配置文件中群机器人名称重复：{path}")
    base_url = data.get("app", {}).get("base_url")
    if base_url is not None and not (isinstance(base_url, str) and re.match(r"https?://", base_url)):
        raise ConfigError("配置文件 [app] base_url 应为应用的完整地址，如 https://taizhang.example.org")
    url = (db_url or setting("TAIZHANG_DATABASE_URL") or data.get("database", {}).get("url")
           or f"sqlite:///{data_dir() / 'taizhang.db'}")
    return Config(path, url, sources, data.get("reports", {}), data.get("smtp", {}), channels, data.get("app", {}),
                  _recheck_hours(data, path))


def _recheck_hours(data: dict[str, Any], path: Path | None) -> float:
    value = data.get("sync", {}).get("google_recheck_hours", GOOGLE_RECHECK_HOURS)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"配置文件 [sync] google_recheck_hours 应为不小于0的小时数（0 表示不强制重读），实为“{value}”：{path}")
    return float(value)
