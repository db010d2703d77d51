"""Pytest fixtures for Google Sheets tests: a running emulator and a service account it trusts.

Register once in the top-level conftest: ``pytest_plugins = ["tests.gsheet_fixtures"]``.

- ``sheets_emulator``: a started `SheetsEmulator` (tests/sheets_emulator.py), stopped afterwards.
- ``service_account_info``: a service-account key dict whose ``token_uri`` is the emulator's
  /token and whose public key the emulator knows, so google-auth runs the real JWT grant.
- ``service_account_file``: the same key written to a JSON file under ``tmp_path``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.service_account import make_service_account_info
from tests.sheets_emulator import SheetsEmulator


@pytest.fixture(scope="session")
def rsa_private_key() -> rsa.RSAPrivateKey:
    """One RSA key for the whole session: generating one costs ~0.1 s."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def sheets_emulator() -> Iterator[SheetsEmulator]:
    emulator = SheetsEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def service_account_info(sheets_emulator: SheetsEmulator,
                         rsa_private_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    return make_service_account_info(sheets_emulator, rsa_private_key)


@pytest.fixture
def service_account_file(service_account_info: dict[str, Any], tmp_path: Path) -> Path:
    path = tmp_path / "taizhang-sync-key.json"
    path.write_text(json.dumps(service_account_info, indent=2), encoding="utf-8")
    return path
