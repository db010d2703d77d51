"""Service-account key files for tests, trusted by the Sheets emulator's token endpoint."""

from __future__ import annotations

import secrets
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.sheets_emulator import SheetsEmulator

SERVICE_ACCOUNT_EMAIL = "taizhang-sync@demo-project.iam.gserviceaccount.com"


def make_service_account_info(emulator: SheetsEmulator, key: rsa.RSAPrivateKey, *,
                              register: bool = True) -> dict[str, Any]:
    """A key file's content as the Google Cloud console hands it out, pointed at `emulator`."""
    key_id = secrets.token_hex(20)
    private_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    if register:
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        emulator.register_account(SERVICE_ACCOUNT_EMAIL, key_id, public_pem)
    return {
        "type": "service_account",
        "project_id": "demo-project",
        "private_key_id": key_id,
        "private_key": private_pem,
        "client_email": SERVICE_ACCOUNT_EMAIL,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": emulator.url + "/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "universe_domain": "googleapis.com",
    }
