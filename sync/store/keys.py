"""The master key and the database must agree, or nothing starts and nothing syncs (issue 14).

A container whose data folder was not kept used to start with a fresh ``secret.key``: the ID
numbers stored could never be decrypted again, a search by ID found nothing, and the next
forced sync soft-deleted and re-inserted every roster row under the new key. Now the database
keeps the key's check value (``meta.key_check``): a start without the key, or with another
one, is refused with a message saying what to restore, and so is a sync by a process whose key
has since been rotated. ``rotate_key`` re-encrypts every stored value in one transaction.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.exc import IntegrityError

from sync.store.crypto import (SecretKeyInvalid, SecretKeyMismatch, Vault, decode_key, key_file, load_master_key,
                               new_key, write_key_file)
from sync.store.locks import source_lock
from sync.store.models import meta, now, sources
from sync.settings import setting

log = logging.getLogger("taizhang.sync")
KEY_CHECK = "key_check"
# every column holding Fernet tokens of the master key: table -> columns; a roster ID number's
# lookup hash (id_number_hash) depends on the key too. "env:NAME" in a robot's webhook or secret
# is a reference to the environment, not a token (sync.store.channels).
ENCRYPTED = {"roster": ("id_number_enc",), "channels": ("webhook", "secret", "mobiles")}
ENV_PREFIX = "env:"
PENDING_SUFFIX = ".new"  # a rotated key waiting to replace secret.key (see rotate_key)
MISMATCH = ("个人信息加密密钥与数据库不匹配（数据库中的身份证号是用另一个密钥加密的）：请恢复原来的 data/secret.key "
            "或 TAIZHANG_SECRET_KEY 后再启动；更换密钥请用原密钥运行 python -m sync rotate-key")


def stored_check(conn: Connection) -> str | None:
    return conn.execute(select(meta.c.value).where(meta.c.name == KEY_CHECK)).scalar()


def _encrypted_sample(conn: Connection) -> str | None:
    """One stored ciphertext, or None when nothing is encrypted yet (plain SQL: no schema import)."""
    for table, columns in ENCRYPTED.items():
        for column in columns:
            found = conn.execute(text(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL "
                                      f"AND {column} NOT LIKE '{ENV_PREFIX}%' LIMIT 1")).scalar()
            if found is not None:
                return found
    return None


def _decrypts(vault: Vault, token: str) -> bool:
    try:
        vault.decrypt(token)
    except SecretKeyInvalid:
        return False
    return True


def pending_key_path() -> Path:
    path = key_file()
    return path.with_name(path.name + PENDING_SUFFIX)


def _finish_pending_rotation(check: str) -> Vault | None:
    """A rotation that committed but was stopped before its key file replaced secret.key."""
    pending = pending_key_path()
    if not pending.exists():
        return None
    vault = Vault(decode_key(pending.read_bytes().strip()))
    if vault.check_value != check:
        return None
    if setting("TAIZHANG_SECRET_KEY"):
        raise SecretKeyMismatch(f"个人信息加密密钥已更换，新密钥在 {pending}：请把 TAIZHANG_SECRET_KEY 改为该文件的内容，"
                                "再删除该文件后重启")
    write_key_file(key_file(), pending.read_bytes(), replace=True)
    pending.unlink()
    log.warning("上次更换密钥已提交但未替换密钥文件：已用 %s 替换 %s", pending, key_file())
    return vault


def open_vault(engine: Engine) -> Vault:
    """The vault for this database; raises SecretKeyMissing or SecretKeyMismatch (Chinese) when the
    key is not the one its values were encrypted with. Called on every start."""
    with engine.connect() as conn:
        check = stored_check(conn)
        sample = _encrypted_sample(conn) if check is None else None
    vault = Vault(load_master_key(create=check is None and sample is None))
    if check is not None:
        if vault.check_value != check:
            vault = _finish_pending_rotation(check) or _refuse()
        return vault
    if sample is not None and not _decrypts(vault, sample):  # a mirror from before the check value
        _refuse()
    try:
        with engine.begin() as conn:
            conn.execute(meta.insert().values(name=KEY_CHECK, value=vault.check_value, updated_at=now()))
    except IntegrityError:  # another process stored it first: it must be this key's
        with engine.connect() as conn:
            if stored_check(conn) != vault.check_value:
                _refuse()
    return vault


def _refuse() -> Vault:
    raise SecretKeyMismatch(MISMATCH)


def verify_vault(conn: Connection, vault: Vault) -> None:
    """Before a sync writes: the key this process holds is still the database's (not rotated since)."""
    check = stored_check(conn)
    if check is not None and check != vault.check_value:
        raise SecretKeyMismatch("个人信息加密密钥已在数据库中更换，本进程仍在用旧密钥，未同步：请重启应用或定时任务进程")


def _reencrypt(conn: Connection, old: Vault, new: Vault) -> int:
    """Every stored token decrypted with ``old`` and encrypted with ``new``; roster lookup hashes
    recomputed. Returns how many roster ID numbers were re-encrypted."""
    def seal(token: str | None) -> str | None:
        return token if token is None or token.startswith(ENV_PREFIX) else new.encrypt(old.decrypt(token))

    rows = conn.execute(text("SELECT id, id_number_enc FROM roster")).all()
    changes = [{"i": row_id, "e": new.encrypt(plain), "h": new.lookup_hash(plain)}
               for row_id, plain in ((r[0], old.decrypt(r[1])) for r in rows)]
    if changes:
        conn.execute(text("UPDATE roster SET id_number_enc = :e, id_number_hash = :h WHERE id = :i"), changes)
    columns = ENCRYPTED["channels"]
    robots = conn.execute(text(f"SELECT id, {', '.join(columns)} FROM channels")).all()
    if robots:
        conn.execute(text(f"UPDATE channels SET {', '.join(f'{c} = :{c}' for c in columns)} WHERE id = :i"),
                     [{"i": r[0], **{c: seal(v) for c, v in zip(columns, r[1:])}} for r in robots])
    return len(changes)


def rotate_key(engine: Engine, vault: Vault) -> tuple[int, Path]:
    """Re-encrypt every stored secret under a new key — ID numbers (and their lookup hashes), the
    robots' webhooks, signing secrets and phones — in ONE transaction, with every source's sync
    lock held. Returns (ID numbers re-encrypted, where the new key was written).

    The new key goes to ``secret.key.new`` first; after the commit it replaces ``secret.key``
    (or, with TAIZHANG_SECRET_KEY, waits there for the operator). A rotation stopped between
    the two is finished by the next start (``open_vault``).
    """
    new_master = new_key()
    fresh = Vault(decode_key(new_master))
    pending = pending_key_path()
    write_key_file(pending, new_master, replace=True)
    with ExitStack() as held:
        with engine.connect() as conn:
            names = conn.execute(select(sources.c.name)).scalars().all()
        if not all(held.enter_context(source_lock(engine, name)) for name in names):
            pending.unlink()
            raise SecretKeyInvalid("有数据源正在同步，未更换密钥：请稍后再试（或先停止定时任务）")
        with engine.begin() as conn:
            if stored_check(conn) != vault.check_value:
                pending.unlink()
                raise SecretKeyMismatch(MISMATCH)
            rotated = _reencrypt(conn, vault, fresh)
            conn.execute(update(meta).where(meta.c.name == KEY_CHECK).values(value=fresh.check_value, updated_at=now()))
    if not setting("TAIZHANG_SECRET_KEY"):
        write_key_file(key_file(), new_master, replace=True)
        pending.unlink()
        return rotated, key_file()
    return rotated, pending
