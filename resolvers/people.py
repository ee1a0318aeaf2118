"""The person look-up."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.auth import policy
from hub.errors import BadUserInput
from hub.people import lookup as person_lookup
from resolvers.context import Context
from schema.audit import Audited
from schema.cases import CaseType
from schema.lookup import ChannelRecordsType, PersonLookupType
from schema.people import PersonType
from schema.permissions import CanLookUpPersons
from schema.records import record_from_model


@strawberry.type
class PersonQuery:
    @strawberry.field(
        description=(
            "当事人查询 — on an escalated petition (越级信访), find every case and record naming the "
            "petitioner across all agencies, and their earlier grassroots mediation. Give an idNumber, "
            "a creditCode, or a name with a phone, and the purpose (kept in the audit trail). A bad check "
            "digit is BAD_USER_INPUT. The petition bureau's."
        ),
        permission_classes=[CanLookUpPersons],
        extensions=[Audited(targets=lambda kwargs, result: result.target_ids if result else [])],
    )
    async def person_lookup(
        self, info: Info[Context, None],
        purpose: Annotated[str, strawberry.argument(
            description="Why the look-up is made (查询事由), in a few words; kept in the audit trail.")],
        id_number: Annotated[str | None, strawberry.argument(
            description="居民身份证号码: 18 characters with the GB 11643 check digit.")] = None,
        credit_code: Annotated[str | None, strawberry.argument(
            description="统一社会信用代码: 18 characters with the GB 32100 check character.")] = None,
        name: Annotated[str | None, strawberry.argument(description="The person's name; together with `phone`.")] = None,
        phone: Annotated[str | None, strawberry.argument(description="The person's phone number; together with `name`.")] = None,
    ) -> PersonLookupType:
        if not policy.purpose_is_stated(purpose):
            raise BadUserInput("state the purpose of the look-up (at least a few words)", field="purpose")
        dossier = await person_lookup.lookup(
            keys=info.context.keys, id_number=id_number, credit_code=credit_code, name=name, phone=phone
        )
        visible = partial(policy.visible_records, info.context.principal)
        agencies = await info.context.loaders.agency_by_code.load_many(dossier.agency_codes)
        return PersonLookupType(
            found=bool(dossier.persons),
            persons=[PersonType.from_model(p) for p in dossier.persons],
            cases=[CaseType.from_model(c) for c in dossier.cases],
            records_by_channel=[
                ChannelRecordsType(channel=channel, records=[record_from_model(r) for r in visible(records)])
                for channel, records in dossier.by_channel() if visible(records)
            ],
            first_contact_at=dossier.first_contact_at,
            last_contact_at=dossier.last_contact_at,
            first_petition_at=dossier.first_petition_at,
            agencies=[a for a in agencies if a is not None],
            prior_grassroots_mediation=[record_from_model(r) for r in visible(dossier.prior_grassroots_mediation())],
            target_ids=[p.id for p in dossier.persons if p.id] + [c.case_no for c in dossier.cases],
        )
