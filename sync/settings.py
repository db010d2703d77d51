"""Every setting in one table: (name, default, help). Read here and nowhere else.

Precedence: the process environment, then ``.streamlit/secrets.toml`` (top-level keys,
lower-case names without the TAIZHANG_ prefix also accepted), then the default.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path

SETTINGS: dict[str, tuple[str | None, str]] = {
    "TAIZHANG_CONFIG": (None, "数据源配置文件（TOML）；默认 taizhang.toml，不存在时用 data/demo/taizhang.toml"),
    "TAIZHANG_DATABASE_URL": (None, "镜像数据库 URL；默认取配置文件 [database] url，再默认 sqlite:///data/taizhang.db"),
    "TAIZHANG_DATA_DIR": ("data", "数据目录：SQLite 文件、密钥文件、发件箱、上传的工作簿"),
    "TAIZHANG_SECRET_KEY": (None, "个人信息加密主密钥（urlsafe base64，32字节）；未设置时空库首次启动生成 data/secret.key（仅属主可读）；数据库记录其校验值，密钥丢失或不符时拒绝启动"),
    "TAIZHANG_ADMIN_PASSWORD": (None, "首次启动时创建的 admin 用户的密码；未设置时随机生成，写入数据目录下的 admin-password.txt（仅属主可读），控制台只提示位置"),
    "TAIZHANG_EMBEDDED_WORKER": ("1", "设为 0 时，streamlit run app.py 不在进程内运行定时任务（改用 python -m jobs）"),
    "TAIZHANG_JOB_QUEUE": ("1", "PostgreSQL 上定时同步作为 procrastinate 任务排队，由 python -m jobs worker 执行；设为 0 时与 SQLite 一样在调度进程内运行"),
    "TAIZHANG_QUEUE_STALL_SECONDS": ("60", "任务队列：工作进程超过这么多秒没有心跳即视为已终止，其正在执行的任务交给其他进程重试"),
    "TAIZHANG_GOOGLE_REQUESTS_PER_MINUTE": ("60", "任务队列：每个谷歌服务账号每分钟最多发出的 Sheets 读请求数（写请求另计同样的数），所有工作进程共享"),
    "TAIZHANG_SMTP_PASSWORD": (None, "SMTP 密码"),
    "TAIZHANG_GOOGLE_CREDENTIALS": (None, "谷歌服务账号密钥 JSON（数据源未指定 credentials 时使用）"),
    "TAIZHANG_SESSION_MINUTES": ("480", "登录会话的有效时长（分钟）；刷新或重新打开浏览器标签页仍保持登录，直到到期或退出"),
    "TAIZHANG_KEEP_VERSIONS": ("20", "每个“提交的工作簿”数据源保留的版本数；更早的版本（当前版本除外）及其文件会被清理"),
    "TAIZHANG_TEST_DATABASE_URL": (None, "测试用 PostgreSQL URL；设置后镜像测试也在 PostgreSQL 上运行"),
}
SECRETS_FILE = Path(".streamlit/secrets.toml")


@cache
def _secrets() -> dict:
    try:
        return tomllib.loads(SECRETS_FILE.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def setting(name: str) -> str | None:
    """The value of one setting from SETTINGS."""
    default, _help = SETTINGS[name]
    if os.environ.get(name):
        return os.environ[name]
    secrets = _secrets()
    for key in (name, name.lower(), name.removeprefix("TAIZHANG_").lower()):
        if key in secrets and not isinstance(secrets[key], dict):
            return str(secrets[key])
    return default


def secret_section(name: str) -> dict:
    """A table of ``.streamlit/secrets.toml`` (e.g. ``[smtp]``, ``[gcp_service_account]``)."""
    value = _secrets().get(name)
    return dict(value) if isinstance(value, dict) else {}


def data_dir() -> Path:
    return Path(setting("TAIZHANG_DATA_DIR") or "data")
