"""Persons (parties), their identifiers masked unless the caller may see them."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from hub.auth import policy
from hub.people.models import Person
from schema.enums import PartyKind, PartyRole
from schema.relay import Node, to_global_id


@strawberry.type(
    name="Person",
    description="当事人 — a party. ID numbers, credit codes, phones and addresses are masked (510***********123X, "
                "138****5678) unless the caller holds the `pii` role.",
)
class PersonType(Node):
    kind: PartyKind = strawberry.field(description="Natural person or organisation.")  # type: ignore[valid-type]
    name: str = strawberry.field(description="Name.")
    verified: bool = strawberry.field(description="Known by a checked ID number or credit code.")
    first_seen_at: datetime = strawberry.field(description="When the hub first heard of this person.")
    model: strawberry.Private[Person]

    def _shown(self, info: Info, masked: str | None, encrypted: str | None) -> str | None:
        if encrypted and policy.sees_personal_data(info.context.principal):
            return info.context.keys.decrypt(encrypted)
        return masked

    @strawberry.field(description="ID number or credit code: masked unless the caller holds the `pii` role.")
    def id_number(self, info: Info) -> str | None:
        return self._shown(info, self.model.id_masked, self.model.id_encrypted)

    @strawberry.field(description="Phone: masked (e.g. 138****5678) unless the caller holds the `pii` role.")
    def phone(self, info: Info) -> str | None:
        return self._shown(info, self.model.phone_masked, self.model.phone_encrypted)

    @strawberry.field(description="Address: masked unless the caller holds the `pii` role.")
    def address(self, info: Info) -> str | None:
        return self._shown(info, self.model.address_masked, self.model.address_encrypted)

    @classmethod
    def from_model(cls, person: Person) -> "PersonType":
        """Convert the document (identifiers are shown per caller)."""
        return cls(id=to_global_id("Person", person.id), kind=person.kind, name=person.name,
                   verified=person.verified, first_seen_at=person.first_seen_at, model=person)


@strawberry.type(name="Party", description="A party to a case or record, with their role.")
class PartyType:
    role: PartyRole = strawberry.field(description="申请人、被申请人、信访人、第三人.")  # type: ignore[valid-type]
    name: str = strawberry.field(description="The name as the record gives it.")
    person_id: strawberry.Private[object]

    @strawberry.field(description="The person, linked across agencies.")
    async def person(self, info: strawberry.Info) -> PersonType | None:
        return await info.context.loaders.person_by_id.load(self.person_id)
