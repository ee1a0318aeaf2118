"""Keys for personal data: a keyed hash for lookup, authenticated encryption for storage."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cached_property

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hub.people import identity


def derive_key(secret: str, label: bytes) -> bytes:
    """A 32-byte key for one purpose (`label`), derived from the hub's secret (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret.encode())


_derive = derive_key


@dataclass(frozen=True)
class PersonalDataKeys:
    """Both keys, derived from the hub's secret so one secret configures a deployment."""

    secret: str

    @cached_property
    def hash_key(self) -> bytes:
        """The HMAC key for identity hashes."""
        return _derive(self.secret, b"mediation-hub/identity-hash/v1")

    @cached_property
    def fernet(self) -> Fernet:
        """The encryption key for clear values kept where policy allows."""
        return Fernet(base64.urlsafe_b64encode(_derive(self.secret, b"mediation-hub/pii-encryption/v1")))

    def hash(self, *, purpose: str, value: str) -> str:
        """The keyed hash of value for purpose."""
        return identity.keyed_hash(key=self.hash_key, purpose=purpose, value=value)

    def encrypt(self, value: str) -> str:
        """Encrypt a clear value for storage."""
        return self.fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Decrypt a stored value (only for callers allowed to see it in clear)."""
        return self.fernet.decrypt(token.encode()).decode()
