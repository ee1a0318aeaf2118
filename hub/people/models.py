"""People: the parties to disputes, natural persons or organisations."""

from __future__ import annotations

from datetime import datetime

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from hub.records.enums import PartyKind


class Person(Document):
    """A party. The clear ID number is never stored: a keyed hash finds it, a mask shows it.

    `identity_key` is the strongest key known (``id:<hash>``, else ``np:<hash>`` of name and
    phone, else ``anon:<source key>``); `match_keys` holds every key that should find this
    person, so one first seen by name and phone is found again once an ID number arrives.
    """

    # The key the person was first created under: stable, so upserts address `_id` (answered
    # from an index by every server, the local store included) and replays never create a twin.
    id: str | None = None  # type: ignore[assignment]
    kind: PartyKind = PartyKind.NATURAL
    name: str
    identity_key: str
    match_keys: list[str]
    verified: bool = False
    id_masked: str | None = None
    id_encrypted: str | None = None
    phone_masked: str | None = None
    phone_encrypted: str | None = None
    address_masked: str | None = None
    address_encrypted: str | None = None
    region_code: str | None = None
    first_seen_at: datetime
    case_ids: list[PydanticObjectId] = Field(default_factory=list)
    merged_into: str | None = None  # another Person this one was found to be (hub.people.merge): a tombstone
    merged_at: datetime | None = None
    # The ring's key (hub.keys) all of this Person's keyed hashes and encrypted fields are made with; None: not
    # known to be one key (written before keys had ids, or fields merged in from a Person of another key).
    # The re-keyer (hub.keys.rekey) brings each Person not on the current key onto it.
    key_id: str | None = None

    class Settings:
        name = "people"
        indexes = [
            # Not unique: two batches at once can give two Persons one ID number before they are merged.
            IndexModel([("identity_key", ASCENDING)], name="identity_key"),
            IndexModel([("match_keys", ASCENDING)]),
            IndexModel([("name", ASCENDING)]),
            IndexModel([("case_ids", ASCENDING)]),  # a case removed is taken off its parties' lists
            IndexModel([("key_id", ASCENDING)]),  # the re-keyer's work: Persons not on the current key
        ]


class PersonKey(Document):
    """One match key of a Person, by `_id`: the local store looks these up from an index."""

    id: str | None = None  # type: ignore[assignment]  # the match key
    person_id: str
    kid: str | None = None  # the ring's key a keyed hash is made with (none: k0, or not a hash: `anon:`)

    class Settings:
        name = "person_keys"
        indexes = [IndexModel([("kid", ASCENDING)])]  # `hub keys retire` drops a key's hashes
