"""Personal-data protection at rest: Fernet encryption plus an HMAC-SHA256 lookup hash.

One master key (TAIZHANG_SECRET_KEY, or a generated ``data/secret.key`` readable only by
its owner) is split with HKDF into an encryption key, a hashing key and a check key, so the
lookup hash can match ID numbers without ever decrypting them, and the database can tell a
wrong key (``sync.store.keys``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sync.settings import data_dir, setting
from sync.private_files import private_dir

KEY_FILE = "secret.key"


class SecretKeyInvalid(Exception):
    """The master key is missing or malformed; the message is Chinese."""


class SecretKeyMissing(SecretKeyInvalid):
    """No key, while the database holds values encrypted with one."""


class SecretKeyMismatch(SecretKeyInvalid):
    """A key other than the one the database's values were encrypted with."""


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"taizhang", info=purpose).derive(master)


def key_file(directory: Path | None = None) -> Path:
    return (directory or data_dir()) / KEY_FILE


def new_key() -> bytes:
    return base64.urlsafe_b64encode(os.urandom(32))


def write_key_file(path: Path, key: bytes, *, replace: bool = False) -> bool:
    """Write a key file readable only by its owner, atomically: the name appears with the whole key
    or not at all (eight first starts at once once read a half-written file). Without ``replace``
    an existing file wins; returns whether this key was written."""
    private_dir(path.parent)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(key)
            f.flush()
            os.fsync(f.fileno())
        if replace:
            os.replace(temporary, path)
            return True
        try:
            os.link(temporary, path)  # unlike rename, never replaces an existing key
        except FileExistsError:
            return False
        return True
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def load_master_key(directory: Path | None = None, *, create: bool = True) -> bytes:
    """TAIZHANG_SECRET_KEY, else the key file; the file is generated when missing only if ``create``."""
    configured = setting("TAIZHANG_SECRET_KEY")
    if configured:
        return decode_key(configured.encode())
    path = key_file(directory)
    if not path.exists():
        if not create:
            raise SecretKeyMissing(
                f"找不到个人信息加密密钥文件 {path}（也未设置 TAIZHANG_SECRET_KEY），而数据库中已有用它加密的身份证号："
                "请从备份恢复该文件后再启动；不会生成新密钥，否则这些身份证号再也无法解密")
        write_key_file(path, new_key())
    return decode_key(path.read_bytes().strip())


def decode_key(raw: bytes) -> bytes:
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
        # stored in the database: tells whether a key is the one the stored values need,
        # without storing anything that helps to find the key
        self.check_value = hmac.new(_derive(master, b"check"), b"taizhang key check", hashlib.sha256).hexdigest()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretKeyInvalid("无法解密：加密密钥与数据库中的数据不匹配") from None

    def lookup_hash(self, value: str) -> str:
        return hmac.digest(self._hash_key, value.encode(), "sha256").hex()  # hmac.new(...).hexdigest(), one C call


class Presealed:
    """A vault whose work for one source was done ahead, in a worker (``sync.ahead``): the lookup
    hashes of its ID numbers and the tokens of those new to the mirror. Anything else, it asks the
    vault; each token is used once."""

    def __init__(self, vault: Vault, hashes: dict[str, str], tokens: dict[str, str]):
        self._vault, self._hashes, self._tokens = vault, hashes, tokens

    def lookup_hash(self, value: str) -> str:
        found = self._hashes.get(value)
        return found if found is not None else self._vault.lookup_hash(value)

    def encrypt(self, value: str) -> str:
        token = self._tokens.pop(value, None)
        return token if token is not None else self._vault.encrypt(value)

    def __getattr__(self, name: str):
        return getattr(self._vault, name)


def default_vault() -> Vault:
    """The vault of the configured key, unchecked against any database (sync.store.keys.open_vault checks)."""
    return Vault(load_master_key())
