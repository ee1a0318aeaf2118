"""The key ring: every key the hub signs, hashes and encrypts with, by id, and which one is current.

`k0` is `HUB_SECRET_KEY` itself, as the hub has always used it, so a deployment that never rotates keeps every
token, hash and ciphertext it has. `hub keys rotate` adds a random key (`k1`, `k2`, …) to the `hub_keys`
collection, wrapped (Fernet) under a key derived from `HUB_SECRET_KEY`, to become current at `active_from`,
a little later than now: every hub process reads the ring again every HUB_KEYS_REFRESH_SECONDS, so each one
knows a key before any writes with it, and a look-up always hashes under every key a writer may have used.

- Tokens carry the id of the key that signed them (the JWT's `kid`; none: k0) and stay valid until they
  expire, or until their key is retired.
- Look-ups hash an identifier under every key of the ring; new keyed hashes use the current key.
- Encryption uses the current key; decryption tries each key (Fernet tokens say nothing of their key).
- The re-keyer (hub.keys.rekey) moves what was written under an older key to the current one, in the
  background, and `hub keys retire` then drops the older key.

The audit trail's key (hub.audit.chain) and a backup's key check stay derived from HUB_SECRET_KEY.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from hub.people.crypto import PersonalDataKeys, derive_key

MASTER_ID = "k0"
COLLECTION = "hub_keys"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def wrapping_key(master: str) -> Fernet:
    """The key that wraps the ring's keys in the database, derived from HUB_SECRET_KEY."""
    return Fernet(base64.urlsafe_b64encode(derive_key(master, b"mediation-hub/key-wrap/v1")))


@dataclass(frozen=True)
class RingKey:
    """One key of the ring: its id, its secret (a token-signing key, and what the personal-data keys derive
    from), and when it becomes current."""

    id: str
    secret: str = field(repr=False)
    active_from: datetime = EPOCH

    @cached_property
    def data(self) -> PersonalDataKeys:
        """The keyed hash and encryption this key derives."""
        return PersonalDataKeys(self.secret)


class KeyRing:
    """The keys of a deployment. One per process, shared by everything that signs, hashes or encrypts, and
    brought up to date in place by `refresh` (so every holder sees a rotation)."""

    def __init__(self, master: str, keys: Sequence[RingKey] = (), *, master_retired: bool = False) -> None:
        self.master = master
        self._set(keys, master_retired=master_retired)

    def _set(self, keys: Sequence[RingKey], master_retired: bool = False) -> None:
        ring = [] if master_retired else [RingKey(MASTER_ID, self.master)]
        self._keys: tuple[RingKey, ...] = tuple(sorted([*ring, *keys], key=lambda k: (k.active_from, key_number(k.id))))
        self._by_id = {k.id: k for k in self._keys}
        self.__dict__.pop("_fernet", None)

    @classmethod
    def from_documents(cls, master: str, documents: Sequence[Mapping[str, Any]]) -> KeyRing:
        """The ring the `hub_keys` documents describe (retired keys left out)."""
        ring = cls(master)
        ring._set(*_parse(master, documents))
        return ring

    @classmethod
    async def load(cls, *, database: Any, master: str) -> KeyRing:
        """The ring as the database holds it now."""
        return cls.from_documents(master, await database[COLLECTION].find({}).to_list())

    async def refresh(self, *, database: Any) -> None:
        """Read the ring again, in place."""
        documents = await database[COLLECTION].find({}).to_list()
        self._set(*_parse(self.master, documents))

    # The keys

    @cached_property
    def master_keys(self) -> PersonalDataKeys:
        """The personal-data keys of HUB_SECRET_KEY itself, whatever the ring (a backup's key check)."""
        return PersonalDataKeys(self.master)

    @property
    def keys(self) -> tuple[RingKey, ...]:
        """Every key not retired, the oldest first (pending ones included)."""
        return self._keys

    def get(self, key_id: str) -> RingKey | None:
        """A key by id (None: unknown or retired)."""
        return self._by_id.get(key_id)

    def current_at(self, moment: datetime) -> RingKey:
        """The key new tokens, hashes and ciphertexts use at `moment`: the latest one active by then."""
        active = [k for k in self._keys if k.active_from <= moment]
        if not active:
            raise RuntimeError("the key ring has no active key (was HUB_SECRET_KEY's key retired with no other?)")
        return active[-1]

    @property
    def current(self) -> RingKey:
        """The key in use now."""
        return self.current_at(datetime.now(timezone.utc))

    # What callers do with them (the interface of PersonalDataKeys, over the ring)

    def hash(self, *, purpose: str, value: str) -> str:
        """The keyed hash of value under the current key: what new match keys are written as."""
        return self.current.data.hash(purpose=purpose, value=value)

    def hashes(self, *, purpose: str, value: str, first: RingKey | None = None) -> list[str]:
        """The keyed hash of value under every key, the current one (or `first`) first: what a look-up searches."""
        first = first or self.current
        return [first.data.hash(purpose=purpose, value=value),
                *(k.data.hash(purpose=purpose, value=value) for k in reversed(self._keys) if k.id != first.id)]

    def encrypt(self, value: str) -> str:
        """Encrypt a clear value under the current key."""
        return self.current.data.encrypt(value)

    @cached_property
    def _fernet(self) -> MultiFernet:
        return MultiFernet([k.data.fernet for k in reversed(self._keys)])

    def decrypt(self, token: str) -> str:
        """Decrypt a value stored under any key of the ring."""
        return self._fernet.decrypt(token.encode()).decode()

    def decrypts(self, token: str) -> bool:
        """Whether some key of the ring decrypts this value."""
        try:
            self._fernet.decrypt(token.encode())
        except InvalidToken:
            return False
        return True


def key_number(key_id: str) -> int:
    """k0, k1, … in number order (ids are `k` and a number)."""
    return int(key_id[1:]) if key_id[1:].isdigit() else -1


def _parse(master: str, documents: Sequence[Mapping[str, Any]]) -> tuple[list[RingKey], bool]:
    """The live keys of these documents, and whether k0 is retired."""
    wrap = wrapping_key(master)
    keys, master_retired = [], False
    for doc in documents:
        if doc.get("retired_at") is not None:
            master_retired = master_retired or doc["_id"] == MASTER_ID
            continue
        if doc["_id"] == MASTER_ID or not doc.get("wrapped"):
            continue
        try:
            secret = wrap.decrypt(doc["wrapped"].encode()).decode()
        except InvalidToken:
            raise RuntimeError(f"key {doc['_id']} of the ring was not wrapped with this HUB_SECRET_KEY: "
                               "the hub must run with the secret the ring was made with") from None
        active = doc["active_from"]
        keys.append(RingKey(doc["_id"], secret, active if active.tzinfo else active.replace(tzinfo=timezone.utc)))
    return keys, master_retired
