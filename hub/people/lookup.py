"""Person look-up: everything the hub knows about a party, across all agencies (越级信访 check)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hub.cases import service as case_service
from hub.cases.models import Case
from hub.errors import BadUserInput
from hub.ingest.models import PartyIn
from hub.people import service as person_service
from hub.keys.ring import KeyRing
from hub.people.models import Person
from hub.records.enums import Channel, PartyRole, RecordKind
from hub.records.models import Record

GRASSROOTS_CHANNELS = frozenset({Channel.PEOPLES, Channel.ADMINISTRATIVE})


@dataclass
class Dossier:
    """What a person look-up returns."""

    persons: list[Person] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)

    @property
    def first_contact_at(self) -> datetime | None:
        """The earliest record naming the person."""
        return self.records[0].occurred_at if self.records else None

    @property
    def last_contact_at(self) -> datetime | None:
        """The latest record naming the person."""
        return self.records[-1].occurred_at if self.records else None

    @property
    def agency_codes(self) -> list[str]:
        """Agencies that dealt with the person, in order of first contact."""
        return list(dict.fromkeys(r.agency_code for r in self.records))

    def by_channel(self) -> list[tuple[Channel, list[Record]]]:
        """Records grouped by channel, channels in order of first contact."""
        groups: dict[Channel, list[Record]] = {}
        for record in self.records:
            groups.setdefault(record.channel, []).append(record)
        return list(groups.items())

    @property
    def first_petition_at(self) -> datetime | None:
        """When the person's first petition happened."""
        return next((r.occurred_at for r in self.records if r.kind is RecordKind.PETITION), None)

    def prior_grassroots_mediation(self) -> list[Record]:
        """People's / administrative mediation records before the first petition (all if none)."""
        cutoff = self.first_petition_at
        return [
            r for r in self.records
            if r.channel in GRASSROOTS_CHANNELS and (cutoff is None or r.occurred_at < cutoff)
        ]


def _validated_keys(
    *, keys: KeyRing, id_number: str | None, credit_code: str | None, name: str | None, phone: str | None
) -> list[str]:
    """Checks the identifiers as ingestion does and turns them into match keys."""
    from pydantic import ValidationError

    kind = "ORGANISATION" if credit_code else "NATURAL"
    try:
        party = PartyIn.model_validate({
            "role": PartyRole.PETITIONER, "kind": kind, "name": name or "-",
            "idNumber": id_number, "creditCode": credit_code, "phone": phone,
        })
    except ValidationError as exc:
        first = exc.errors(include_input=False)[0]
        raise BadUserInput(first["msg"], field=str(first["loc"][-1]) if first["loc"] else None,
                           reason=first["type"]) from None
    found = person_service.lookup_keys(
        keys=keys, id_number=party.id_number, credit_code=party.credit_code,
        name=party.name if name else None, phone=party.phone,
    )
    if not found:
        raise BadUserInput("give an idNumber, a creditCode, or a name together with a phone")
    return found


async def lookup(
    *, keys: KeyRing, id_number: str | None = None, credit_code: str | None = None,
    name: str | None = None, phone: str | None = None,
) -> Dossier:
    """Every case and record naming the person, across all agencies, in time order."""
    match_keys = _validated_keys(keys=keys, id_number=id_number, credit_code=credit_code, name=name, phone=phone)
    persons = await person_service.find_by_keys(match_keys=match_keys)
    if not persons:
        return Dossier()
    person_ids = {p.id for p in persons}
    cases = await case_service.get_many(ids=[c for p in persons for c in p.case_ids])
    ordered = sorted(cases.values(), key=lambda c: c.opened_at)
    files = await case_service.get_files(ids=[c.id for c in ordered])
    records = sorted(
        (r for case_file in files.values() for r in case_file.timeline()
         if any(p.person_id in person_ids for p in r.parties)),
        key=lambda r: (r.occurred_at, r.id),
    )
    return Dossier(persons=persons, cases=ordered, records=records)
