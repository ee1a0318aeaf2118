"""Resolved cases to nominate, built through ingestion."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from hub.cases.models import Case
from schema.relay import to_global_id
from tests.factories import T0, batch, credit_code, days, party, record, resident_id
from tests.scenarios import ingest

_serial = itertools.count(1)


@dataclass(frozen=True)
class ResolvedCase:
    """A case settled by an agreement, with a person and a company as parties."""

    case_no: str
    id: str  # global ID
    person_name: str
    id_number: str
    phone: str
    address: str
    company: str
    company_code: str

    @property
    def secrets(self) -> list[str]:
        """Everything personal about its parties that must never be published."""
        return [self.person_name, self.id_number, self.phone, self.address, self.company, self.company_code]


async def resolve_case(*, person_name: str = "张伟", company: str = "清河建筑有限公司", resolved: bool = True,
                       category: str = "LABOUR") -> ResolvedCase:
    """Ingest a case by the people's mediation committee of township A, settled by an agreement unless told."""
    n = next(_serial)
    id_number, phone, code = resident_id(seq=700 + n), f"1391234{n:04d}", credit_code(9000 + n)
    address = f"四川省成都市清河区新华路{n}号"
    parties = [party(person_name, idNumber=id_number, phone=phone, address=address),
               party(company, role="RESPONDENT", kind="ORGANISATION", creditCode=code)]
    ref = {"caseRef": {"sourceSystem": "PMC-A-SYS", "sourceId": f"tc-{n}-1"}}
    records = [record(f"tc-{n}-1", "INTAKE", parties=parties,
                      case={"title": f"{person_name}追索劳动报酬纠纷", "category": category, "regionCode": "510199001001"})]
    if resolved:
        records.append(record(f"tc-{n}-2", "AGREEMENT", at=T0 + days(3), parties=parties, **ref))
    [outcome] = await ingest(batch("PMC-A", *records))
    case_no = outcome.results[0].case_no or ""
    case = await Case.find_one({"case_no": case_no})
    assert case is not None
    return ResolvedCase(case_no=case_no, id=to_global_id("Case", case.id), person_name=person_name,
                        id_number=id_number, phone=phone, address=address, company=company, company_code=code)


@pytest.fixture
async def resolved_case(district: AsyncDatabase) -> ResolvedCase:
    """A labour case in township A that PMC-A settled by an agreement."""
    return await resolve_case()


@pytest.fixture
async def open_case(district: AsyncDatabase) -> ResolvedCase:
    """A case PMC-A accepted and has not settled."""
    return await resolve_case(person_name="李娜", resolved=False)
