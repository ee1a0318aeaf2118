"""People: the parties to disputes, natural persons or organisations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

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
        indexes = [IndexModel([("kid", ASCENDING)]),  # `hub keys retire` drops a key's hashes
                   IndexModel([("person_id", ASCENDING)])]  # a merge points the loser's keys at the winner


class ReviewStatus(StrEnum):
    """Where a pair in the identity review queue stands."""

    OPEN = "OPEN"  # waiting for a coordination centre
    MERGED = "MERGED"  # found to be one person: merged, with a log to undo it by
    KEPT_APART = "KEPT_APART"  # found to be two: never queued again
    UNDONE = "UNDONE"  # merged, then the merge was undone exactly


class ReviewReason(StrEnum):
    """Why a pair that matching did not merge looks like one person."""

    SIMILAR_PHONE = "SIMILAR_PHONE"  # the same name, phones one edit apart
    SIMILAR_ID_NUMBER = "SIMILAR_ID_NUMBER"  # the same name, checked ID numbers (or credit codes) two edits apart
    SAME_NAME_IN_CASE = "SAME_NAME_IN_CASE"  # the same name among one case's parties


class IdentityReview(Document):
    """One pair of Persons the matching left apart that look alike (hub.people.review); `_id` is the pair,
    its two ids in order, so a pair is queued once whatever finds it."""

    id: str | None = None  # type: ignore[assignment]
    person_ids: list[str]  # the two, in order
    reasons: list[ReviewReason]
    scores: dict[str, float] = Field(default_factory=dict)  # jellyfish's figures behind the reasons
    region_paths: list[str] = Field(default_factory=list)  # the regions of their cases: which centres review it
    status: ReviewStatus = ReviewStatus.OPEN
    found_at: datetime
    decided_at: datetime | None = None
    decided_by: dict[str, str] | None = None  # {agency, user}
    reason: str | None = None  # the centre's, for its decision
    merge_log: dict[str, Any] | None = None  # what the merge changed (hub.people.merge.MergeLog): undo reads it
    history: list[dict[str, Any]] = Field(default_factory=list)  # every decision and undo, in order

    class Settings:
        name = "identity_reviews"
        # A centre's queue, newest first, keyset-paged on (found_at, _id): with and without a status.
        indexes = [IndexModel([("region_paths", ASCENDING), ("status", ASCENDING), ("found_at", DESCENDING),
                               ("_id", DESCENDING)]),
                   IndexModel([("region_paths", ASCENDING), ("found_at", DESCENDING), ("_id", DESCENDING)])]


class PersonName(Document):
    """The Persons of one name, by `_id` (the name): what the identity review queue compares a batch's Persons
    with. A look-up by `_id`, which every store answers from an index (the local store scans for `name`)."""

    id: str | None = None  # type: ignore[assignment]  # the name
    person_ids: list[str] = Field(default_factory=list)  # in the order they were first named

    class Settings:
        name = "person_names"
