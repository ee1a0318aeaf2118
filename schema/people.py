"""Persons (parties), always shown masked."""

from __future__ import annotations

from datetime import datetime

import strawberry

from hub.people.models import Person
from schema.enums import PartyKind, PartyRole
from schema.relay import Node, to_global_id


@strawberry.type(name="Person", description="当事人 — a party. Identifiers are shown masked (e.g. 510***********123X).")
class PersonType(Node):
    kind: PartyKind = strawberry.field(description="Natural person or organisation.")  # type: ignore[valid-type]
    name: str = strawberry.field(description="Name.")
    verified: bool = strawberry.field(description="Known by a checked ID number or credit code.")
    id_number: str | None = strawberry.field(description="ID number or credit code, masked.")
    phone: str | None = strawberry.field(description="Phone, masked (e.g. 138****5678).")
    address: str | None = strawberry.field(description="Address, masked.")
    first_seen_at: datetime = strawberry.field(description="When the hub first heard of this person.")

    @classmethod
    def from_model(cls, person: Person) -> "PersonType":
        """Convert the document, masked."""
        return cls(
            id=to_global_id("Person", person.id), kind=person.kind, name=person.name, verified=person.verified,
            id_number=person.id_masked, phone=person.phone_masked, address=person.address_masked,
            first_seen_at=person.first_seen_at,
        )


@strawberry.type(name="Party", description="A party to a case or record, with their role.")
class PartyType:
    role: PartyRole = strawberry.field(description="申请人、被申请人、信访人、第三人.")  # type: ignore[valid-type]
    name: str = strawberry.field(description="The name as the record gives it.")
    person_id: strawberry.Private[object]

    @strawberry.field(description="The person, linked across agencies.")
    async def person(self, info: strawberry.Info) -> PersonType | None:
        return await info.context.loaders.person_by_id.load(self.person_id)
