"""Files and folders only their owner may read: the SQLite database, uploaded workbooks, the mail
outbox, the key and the first admin password (issue 14: they were created 0644 / 0755 and
readable by every account on the machine). Folders are made 0700 and files 0600 when we create
them; folders an operator made are left as they are.
"""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def create_private(path: Path) -> None:
    """An empty file readable only by its owner, unless one is there (SQLite then fills it)."""
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def write_private(path: Path, data: bytes) -> Path:
    """Write ``data`` to a file readable only by its owner (an older file of that name is replaced)."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), 0o600)  # a file that was already there keeps no wider mode
        f.write(data)
    return path
