"""The person look-up the petition bureau runs on an escalated petition."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.cases import CaseType
from schema.enums import Channel
from schema.people import PersonType
from schema.records import RecordType
from schema.reference import AgencyType


@strawberry.type(name="ChannelRecords", description="A person's records in one channel.")
class ChannelRecordsType:
    channel: Channel = strawberry.field(description="The channel.")  # type: ignore[valid-type]
    records: list[RecordType] = strawberry.field(description="Records in time order.")


@strawberry.type(
    name="PersonLookup",
    description="当事人查询 — everything the hub knows about a party across all agencies.",
)
class PersonLookupType:
    found: bool = strawberry.field(description="Whether anyone matched.")
    persons: list[PersonType] = strawberry.field(description="The matching person(s), masked.")
    cases: list[CaseType] = strawberry.field(description="Every case the person is party to, oldest first.")
    records_by_channel: list[ChannelRecordsType] = strawberry.field(description="Every record naming them, by channel.")
    first_contact_at: datetime | None = strawberry.field(description="Earliest record naming them.")
    last_contact_at: datetime | None = strawberry.field(description="Latest record naming them.")
    first_petition_at: datetime | None = strawberry.field(description="Their first petition, if any.")
    agencies: list[AgencyType] = strawberry.field(description="Agencies that dealt with them, by first contact.")
    prior_grassroots_mediation: list[RecordType] = strawberry.field(
        description="People's and administrative mediation records before their first petition (基层调解记录)."
    )
    target_ids: strawberry.Private[list[str]]
