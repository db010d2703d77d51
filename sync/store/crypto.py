"""Personal-data protection at rest: Fernet encryption plus an HMAC-SHA256 lookup hash.

One master key (TAIZHANG_SECRET_KEY, or a generated ``data/secret.key`` readable only by
its owner) is split with HKDF into an encryption key and a hashing key, so the lookup
hash can match ID numbers without ever decrypting them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sync.settings import data_dir, setting

KEY_FILE = "secret.key"


class SecretKeyInvalid(Exception):
    """The master key is missing or malformed; the message is Chinese."""


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"taizhang", info=purpose).derive(master)


def load_master_key(directory: Path | None = None) -> bytes:
    configured = setting("TAIZHANG_SECRET_KEY")
    if configured:
        raw = configured.encode()
    else:
        path = (directory or data_dir()) / KEY_FILE
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL: two first starts at once must not write two different keys
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as f:
                    f.write(base64.urlsafe_b64encode(os.urandom(32)))
        raw = path.read_bytes().strip()
    try:
        master = base64.urlsafe_b64decode(raw)
    except ValueError:
        master = b""
    if len(master) < 32:
        raise SecretKeyInvalid("个人信息加密密钥格式不正确：应为32字节的 urlsafe base64 字符串")
    return master


class Vault:
    """Encrypts, decrypts and hashes personal values with keys derived from one master key."""

    def __init__(self, master: bytes):
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(master, b"encrypt")))
        self._hash_key = _derive(master, b"lookup")

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretKeyInvalid("无法解密：加密密钥与数据库中的数据不匹配") from None

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()


def default_vault() -> Vault:
    return Vault(load_master_key())
