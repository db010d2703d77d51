"""The group-robot registry (WeCom, DingTalk, Feishu): provisioned from ``[[channels]]``, edited in the app.

A robot's webhook URL carries its access key and its signing secret signs every message, so
both are secrets: stored encrypted with the master key (Fernet, the vault of personal data) or
kept as an ``env:NAME`` reference resolved only when a message goes out; shown back only
masked (``masked_webhook``). The phones a robot @-mentions are personal data and are stored
encrypted too.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, select

from sync.check.privacy import mask_phone
from sync.store.crypto import Vault
from sync.store.keys import verify_vault
from sync.store.models import channels, now

KIND_WORDS = {"wecom": "企业微信", "dingtalk": "钉钉", "feishu": "飞书"}
ENV_PREFIX = "env:"
EDITABLE = ("kind", "webhook", "secret", "streets", "digest", "mobiles", "enabled")


class ChannelUnresolved(Exception):
    """A robot's webhook or secret can't be had now (an unset variable); the message is Chinese."""


@dataclass(frozen=True)
class Channel:
    id: int
    name: str
    kind: str
    webhook_ref: str = ""  # "env:NAME" or Fernet ciphertext: never the URL itself
    secret_ref: str | None = None
    streets: tuple[str, ...] = ()
    digest: bool = False
    mobiles: tuple[str, ...] = ()
    enabled: bool = True

    @property
    def label(self) -> str:
        return f"{KIND_WORDS[self.kind]}群机器人“{self.name}”"


def _seal(vault: Vault, value: str | None) -> str | None:
    """What is stored for a secret value: an env reference as it is, anything else encrypted."""
    if not value:
        return None
    return value if value.startswith(ENV_PREFIX) else vault.encrypt(value)


def reveal(vault: Vault, ref: str | None, what: str) -> str | None:
    """The secret behind a stored reference, read when a message goes out."""
    if not ref:
        return None
    if ref.startswith(ENV_PREFIX):
        value = os.environ.get(ref[len(ENV_PREFIX):])
        if not value:
            raise ChannelUnresolved(f"环境变量 {ref[len(ENV_PREFIX):]} 未设置（{what}）")
        return value
    return vault.decrypt(ref)


def masked_webhook(vault: Vault, ref: str) -> str:
    """A webhook as the app shows it: the host and the last four characters of the key."""
    if ref.startswith(ENV_PREFIX):
        return f"环境变量 {ref[len(ENV_PREFIX):]}"
    url = vault.decrypt(ref)
    key = re.split(r"[=/]", url.rstrip("/"))[-1]
    return f"{urlsplit(url).scheme}://{urlsplit(url).hostname}/…{key[-4:] if len(key) > 8 else ''}"


def masked_mobiles(channel: Channel) -> list[str]:
    return [mask_phone(m) for m in channel.mobiles]


def _row(vault: Vault, values: dict[str, Any]) -> dict[str, Any]:
    row = {k: values[k] for k in EDITABLE if k in values}
    for key in ("webhook", "secret"):
        if key in row:
            row[key] = _seal(vault, row[key])
    if "streets" in row:
        row["streets"] = sorted(set(row["streets"] or []))
    if "mobiles" in row:
        row["mobiles"] = vault.encrypt(json.dumps(list(row["mobiles"]))) if row["mobiles"] else None
    return row


def _from_row(vault: Vault, row: Any) -> Channel:
    return Channel(row.id, row.name, row.kind, row.webhook, row.secret, tuple(row.streets or ()), row.digest,
                   tuple(json.loads(vault.decrypt(row.mobiles))) if row.mobiles else (), row.enabled)


def list_channels(engine: Engine, vault: Vault, *, enabled_only: bool = False) -> list[Channel]:
    query = select(channels).order_by(channels.c.name)
    if enabled_only:
        query = query.where(channels.c.enabled.is_(True))
    with engine.connect() as conn:
        return [_from_row(vault, r) for r in conn.execute(query)]


def _same(vault: Vault, old: Channel, values: dict[str, Any]) -> bool:
    """Whether a declared robot is already stored as declared (ciphertexts differ each time: compare plain)."""
    plain = {"kind": old.kind, "webhook": reveal_stored(vault, old.webhook_ref),
             "secret": reveal_stored(vault, old.secret_ref), "streets": sorted(old.streets), "digest": old.digest,
             "mobiles": list(old.mobiles), "enabled": old.enabled}
    wanted = {"secret": None, "streets": [], "digest": False, "mobiles": [], "enabled": True,
              **{k: values[k] for k in EDITABLE if k in values}}
    wanted["streets"] = sorted(set(wanted["streets"]))
    return plain == wanted


def reveal_stored(vault: Vault, ref: str | None) -> str | None:
    """The stored value in the form it was given (an env reference stays one)."""
    return ref if not ref or ref.startswith(ENV_PREFIX) else vault.decrypt(ref)


def save_channel(engine: Engine, vault: Vault, name: str, values: dict[str, Any]) -> None:
    """Insert or update one robot by name; only the keys given change (a blank webhook keeps the old one)."""
    row = _row(vault, {k: v for k, v in values.items() if not (k == "webhook" and not v)})
    with engine.begin() as conn:
        verify_vault(conn, vault)  # a process still holding a rotated-out key must not seal with it
        existing = conn.execute(select(channels.c.id).where(channels.c.name == name)).scalar()
        if existing is None:
            conn.execute(channels.insert().values(name=name, created_at=now(), updated_at=now(), **row))
        else:
            conn.execute(channels.update().where(channels.c.id == existing).values(updated_at=now(), **row))


def provision_channels(engine: Engine, vault: Vault, declared: list[dict[str, Any]]) -> None:
    """Load the TOML's robots by name; idempotent, robots added in the app are left alone."""
    if not declared:
        return
    existing = {c.name: c for c in list_channels(engine, vault)}
    for values in declared:
        old = existing.get(values["name"])
        if old is None or not _same(vault, old, values):
            save_channel(engine, vault, values["name"], {"secret": None, "streets": [], "digest": False,
                                                         "mobiles": [], "enabled": True, **values})


def assign_street(engine: Engine, vault: Vault, street: str, names: list[str]) -> None:
    """The source editor's robot choice: exactly the named robots get this street's report."""
    for channel in list_channels(engine, vault):
        has, wants = street in channel.streets, channel.name in names
        if has != wants:
            streets = set(channel.streets) | {street} if wants else set(channel.streets) - {street}
            save_channel(engine, vault, channel.name, {"streets": sorted(streets)})
