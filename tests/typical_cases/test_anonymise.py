"""Anonymising write-ups: names become 张某 / 某公司, identifiers go; a property test over arbitrary write-ups."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo.asynchronous.database import AsyncDatabase

from hub.cases import service as case_service
from hub.keys.ring import KeyRing
from hub.people.identity import credit_code_check_char, resident_id_check_char
from hub.records.enums import PartyKind
from hub.typical_cases import service as typical_case_service
from hub.typical_cases.anonymise import PartyData, anonymise, pseudonym
from hub.typical_cases.models import TypicalCase, WriteUp
from tests.scenarios import ingest
from tests.factories import T0, batch, days, party, record

SURNAMES = ["张", "王", "李", "赵", "周", "吴", "欧阳", "司马"]
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛超秀霞平刚"  # no surname among them: a name never ends another's surname
FILLER = st.text(alphabet="的了在是与因欠薪纠纷调解协议元月日,。0123456789-() 张王李伟芳公司", max_size=12)
_serial = itertools.count(1)


def test_persons_keep_their_surname_and_organisations_their_kind() -> None:
    # given names of persons and organisations; then the pseudonyms are the house style
    assert pseudonym("张三", PartyKind.NATURAL) == "张某"
    assert pseudonym("欧阳明月", PartyKind.NATURAL) == "欧阳某"
    assert pseudonym("清河建筑有限公司", PartyKind.ORGANISATION) == "某公司"
    assert pseudonym("柳林镇桃源村村民委员会", PartyKind.ORGANISATION) == "某单位"


def test_identifiers_of_anyone_that_look_like_one_are_removed() -> None:
    # given a text with an ID number, a mobile and a landline of nobody in the case, and an amount
    body = "51019919850312501"
    text = f"证人(身份证{body}{resident_id_check_char(body)},手机139-1234-5678,座机028 85551234)确认欠薪8000元"

    # when anonymised; then the identifiers go and the amount stays
    assert anonymise(text, parties=[]) == "证人(身份证××,手机××,座机××)确认欠薪8000元"


@st.composite
def cases_parties(draw: st.DrawFn) -> list[dict[str, str]]:
    """One to three persons with ID number, phone and address, and a company with a credit code."""
    n = next(_serial)
    persons = []
    for i in range(draw(st.integers(min_value=1, max_value=3))):
        name = draw(st.sampled_from(SURNAMES)) + draw(st.text(alphabet=GIVEN, min_size=1, max_size=2))
        born = date(1950, 1, 1) + timedelta(days=draw(st.integers(min_value=0, max_value=50 * 365)))
        body = f"510199{born:%Y%m%d}{(n * 3 + i) % 1000:03d}"
        persons.append({"name": name, "idNumber": body + resident_id_check_char(body),
                        "phone": f"13{draw(st.integers(min_value=3, max_value=9))}{n:04d}{i:04d}",
                        "address": f"清河区{draw(st.sampled_from(['新华路', '滨河路']))}{n}号{i}栋"})
    code = f"91510199MA{n:07d}"[:17]
    company = {"name": f"清河{draw(st.text(alphabet='宏达鑫盛', min_size=1, max_size=3))}有限公司",
               "creditCode": code + credit_code_check_char(code)}
    return [*persons, company]


def secrets_of(parties: list[dict[str, str]]) -> list[str]:
    return [v for p in parties for k, v in p.items()]


@st.composite
def write_ups(draw: st.DrawFn, secrets: list[str]) -> WriteUp:
    """A write-up of five parts, each filler text with the parties' data embedded anywhere."""
    def part(most: int = 8) -> str:
        pieces = draw(st.lists(st.one_of(FILLER, st.sampled_from(secrets)), min_size=1, max_size=most))
        return "".join(pieces) + draw(st.sampled_from(secrets))
    # A title is at most MAX_TITLE (100) characters: at most 4 pieces and a secret, each at most 18, fit.
    return WriteUp(title=part(most=4), facts=part(), process=part(), legal_basis=part(), lessons=part())


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_no_party_data_survives_anonymising_an_arbitrary_text(data: st.DataObject) -> None:
    # given parties and a write-up embedding their data among arbitrary text
    parties = data.draw(cases_parties())
    secrets = secrets_of(parties)
    text = data.draw(write_ups(secrets)).text()
    known = [PartyData(name=p["name"], kind=PartyKind.ORGANISATION if "creditCode" in p else PartyKind.NATURAL,
                       identifiers=tuple(v for k, v in p.items() if k != "name")) for p in parties]

    # when anonymised; then none of it is left
    published = anonymise(text, parties=known)
    assert [s for s in secrets if s in published] == []


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_no_party_data_of_the_case_appears_in_a_published_write_up(
    data: st.DataObject, district: AsyncDatabase, keys: KeyRing
) -> None:
    # given a resolved case whose parties were ingested with their identifiers (stored encrypted)
    parties = data.draw(cases_parties())
    n = next(_serial)
    wire = [party(p["name"], kind="ORGANISATION", role="RESPONDENT", creditCode=p["creditCode"]) if "creditCode" in p
            else party(p["name"], idNumber=p["idNumber"], phone=p["phone"], address=p["address"]) for p in parties]
    ref = {"caseRef": {"sourceSystem": "PMC-A-SYS", "sourceId": f"prop-{n}-1"}}
    [outcome] = await ingest(batch("PMC-A", record(f"prop-{n}-1", "INTAKE", parties=wire),
                                   record(f"prop-{n}-2", "AGREEMENT", at=T0 + days(2), parties=wire, **ref)))
    stored_case = await case_service.get_by_case_no_or_raise(case_no=outcome.results[0].case_no or "")
    assert stored_case.id is not None

    # when it is nominated with an arbitrary write-up embedding the parties' names, ID numbers, phones and addresses
    entry = await typical_case_service.nominate(case_id=stored_case.id, write_up=data.draw(write_ups(secrets_of(parties))),
                                                agency_code="PMC-A", user="测试员", keys=keys)

    # then none of it appears in what is stored and published
    published = (await TypicalCase.get(entry.id)).model_dump_json()  # type: ignore[union-attr]
    assert [s for s in secrets_of(parties) if s in published] == []
