"""The TOML configuration file: database, sources, reports and SMTP.

One registry, two ways in: sources declared here are provisioned into the database by
name (idempotently); sources added in the app live only in the database.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sync.sources.grid import SourceUnreadable
from sync.sources.kinds import kind_named
from sync.settings import data_dir, setting

DEFAULT_CONFIG = Path("taizhang.toml")
DEMO_CONFIG = Path("data/demo/taizhang.toml")
NOTIFY = ("always", "issues", "changes")


class ConfigError(SourceUnreadable):
    """The configuration file is wrong; the message is Chinese and names the place."""


@dataclass
class Config:
    path: Path | None
    database_url: str
    sources: list[dict[str, Any]] = field(default_factory=list)
    reports: dict[str, Any] = field(default_factory=dict)
    smtp: dict[str, Any] = field(default_factory=dict)


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
    return source


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
    url = (db_url or setting("TAIZHANG_DATABASE_URL") or data.get("database", {}).get("url")
           or f"sqlite:///{data_dir() / 'taizhang.db'}")
    return Config(path, url, sources, data.get("reports", {}), data.get("smtp", {}))
