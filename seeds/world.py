"""The seeded world a case history draws on: places, agencies, mediators, organisations, identities.

Identities are minted from counters through bijective scrambles, so every resident ID, mobile
and credit code is unique and valid (GB 11643 / GB 32100) without remembering the ones issued.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from hub.people.identity import CREDIT_CODE_ALPHABET, credit_code_check_char, resident_id_check_char
from seeds.names import (
    DISTRICT_CODE,
    DISTRICT_NAME,
    FEMALE_GIVEN,
    MALE_GIVEN,
    MOBILE_PREFIXES,
    PROVINCE,
    STREETS,
    SURNAMES,
)

CST = timezone(timedelta(hours=8))

_FIRST_BIRTH = date(1940, 1, 1)
_BIRTH_DAYS = (date(2005, 12, 31) - _FIRST_BIRTH).days + 1
_ID_SPACE = _BIRTH_DAYS * 1000  # (birth date, 3-digit sequence) pairs
_ID_STEP = 7_368_787
_PHONE_SPACE = 10**8
_PHONE_STEP = 38_196_601
_LANDLINE_SPACE = 10**7
_LANDLINE_STEP = 3_819_661
_ORG_SPACE = 31**9  # the 9-character organisation part of a credit code
_ORG_STEP = 7_919_000_004
assert math.gcd(_ID_STEP, _ID_SPACE) == 1 and math.gcd(_PHONE_STEP, _PHONE_SPACE) == 1
assert math.gcd(_LANDLINE_STEP, _LANDLINE_SPACE) == 1 and math.gcd(_ORG_STEP, _ORG_SPACE) == 1


def later(rng: random.Random, at: datetime, low_days: int, high_days: int) -> datetime:
    """A moment after `at`: the same day a little later, or a later day in office hours."""
    days = rng.randint(low_days, high_days)
    if days == 0:
        return at + timedelta(minutes=rng.randint(20, 240))
    day = (at + timedelta(days=days)).date()
    return datetime.combine(day, time(rng.randint(8, 17), rng.randrange(0, 60, 5)), tzinfo=CST)


def person_name(rng: random.Random, male: bool | None = None) -> str:
    """A Chinese name: a surname and one or two given-name characters."""
    if male is None:
        male = rng.random() < 0.5
    pool = MALE_GIVEN if male else FEMALE_GIVEN
    given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.6 else "")
    return rng.choice(SURNAMES) + given


@dataclass(frozen=True, slots=True)
class Person:
    """A party: natural person or organisation, with the identity keys every agency uses."""

    name: str
    kind: str
    phone: str
    address: str
    id_number: str | None = None
    credit_code: str | None = None

    def party(self, role: str, *, with_id: bool = True) -> dict[str, str]:
        """The wire-format party in `role`; a natural person's idNumber only when `with_id`."""
        out = {"role": role, "kind": self.kind, "name": self.name}
        if self.credit_code:
            out["creditCode"] = self.credit_code
        elif with_id and self.id_number:
            out["idNumber"] = self.id_number
        out["phone"] = self.phone
        out["address"] = self.address
        return out


class Identities:
    """Mints people and organisations with unique, valid identity keys from counters."""

    def __init__(self, rng: random.Random) -> None:
        """Seeded offsets make different seeds issue different numbers."""
        self._people = 0
        self._orgs = 0
        self._id_offset = rng.randrange(_ID_SPACE)
        self._phone_offset = rng.randrange(_PHONE_SPACE)
        self._landline_offset = rng.randrange(_LANDLINE_SPACE)
        self._org_offset = rng.randrange(_ORG_SPACE)

    def person(self, rng: random.Random, address: str) -> Person:
        """A new natural person: 510199 + birth date + sequence + check digit, and a mobile."""
        n = self._people
        self._people += 1
        slot = (n * _ID_STEP + self._id_offset) % _ID_SPACE
        born = _FIRST_BIRTH + timedelta(days=slot // 1000)
        sequence = slot % 1000
        first17 = f"{DISTRICT_CODE}{born:%Y%m%d}{sequence:03d}"
        phone = rng.choice(MOBILE_PREFIXES) + f"{(n * _PHONE_STEP + self._phone_offset) % _PHONE_SPACE:08d}"
        name = person_name(rng, male=sequence % 2 == 1)  # GB 11643: odd sequence = male
        return Person(name, "NATURAL", phone, address, id_number=first17 + resident_id_check_char(first17))

    def organisation(self, name: str, address: str, *, public: bool = False) -> Person:
        """A new organisation: 91 (enterprise) or 12 (public institution) + 510199 + 9 chars + check."""
        n = self._orgs
        self._orgs += 1
        value = (n * _ORG_STEP + self._org_offset) % _ORG_SPACE
        chars = []
        for _ in range(9):
            value, digit = divmod(value, 31)
            chars.append(CREDIT_CODE_ALPHABET[digit])
        first17 = ("12" if public else "91") + DISTRICT_CODE + "".join(chars)
        landline = 80_000_000 + (n * _LANDLINE_STEP + self._landline_offset) % _LANDLINE_SPACE
        code = first17 + credit_code_check_char(first17)
        return Person(name, "ORGANISATION", f"028-{landline}", address, credit_code=code)


@dataclass(frozen=True, slots=True)
class Village:
    """A village or community with its township and grids."""

    code: str
    name: str
    township_code: str
    township_name: str
    township_no: int
    grids: tuple[str, ...]

    @property
    def community(self) -> bool:
        """社区 (urban) rather than 村 (rural)."""
        return self.name.endswith("社区")


@dataclass
class World:
    """Everything a case history draws on, built once per seed."""

    villages: list[Village]
    agency_names: dict[str, str]
    agency_kinds: dict[str, str]
    local_pmc: dict[str, str]  # village code -> its own committee, else the township's
    township_pmc: dict[str, str]  # township code -> people's mediation committee
    township_cc: dict[str, str]  # township code -> coordination centre
    court_for: dict[str, str]  # township code -> court or people's tribunal
    mediators: dict[str, list[str]]  # agency code -> mediator names
    grid_workers: dict[str, list[str]]  # village code -> grid worker names
    orgs: dict[str, list[Person]]
    people: Identities
    counters: dict[str, int] = field(default_factory=dict)

    def next_number(self, counter: str) -> int:
        """The next value of a named counter, from 1."""
        value = self.counters.get(counter, 0) + 1
        self.counters[counter] = value
        return value

    def next_source_id(self, agency: str, year: int) -> str:
        """A source id unique within the agency's system, ledger-style."""
        return f"{agency}-{year}-{self.next_number(agency):07d}"

    def home_address(self, village: Village, rng: random.Random) -> str:
        """A fictitious home address in the village (组/号) or community (路/栋/单元/室)."""
        head = f"{PROVINCE}{DISTRICT_NAME}{village.township_name}{village.name}"
        if village.community:
            street = rng.choice(STREETS)
            return (
                f"{head}{street}{rng.randint(1, 300)}号{rng.randint(1, 20)}栋"
                f"{rng.randint(1, 4)}单元{rng.randint(1, 30)}0{rng.randint(1, 4)}室"
            )
        return f"{head}{rng.randint(1, 12)}组{rng.randint(1, 80)}号"

    def new_person(self, village: Village, rng: random.Random) -> Person:
        """A resident of the village with a fresh identity."""
        return self.people.person(rng, self.home_address(village, rng))

    def parties(self, category: str, issue: str, village: Village, mass: bool,
                rng: random.Random) -> tuple[list[Person], list[Person], list[Person]]:
        """Applicants, respondents and third parties that fit the category (10-60 applicants if mass)."""
        person = lambda: self.new_person(village, rng)  # noqa: E731
        org = lambda pool: rng.choice(self.orgs[pool])  # noqa: E731
        # land is taken by the district's expropriation centre or the village's own township
        public = rng.choice((self.orgs["public"][0], self.orgs["public"][1 + village.township_no]))
        if mass:
            crowd = [person() for _ in range(rng.randint(10, 60))]
            if category == "LAND_ACQUISITION":
                return crowd, [public], []
            return crowd, [org("employer" if category == "LABOUR" else "factory")], []
        pools = {"LABOUR": "employer", "PROPERTY_MANAGEMENT": "property", "MEDICAL": "hospital",
                 "ENVIRONMENT": "factory", "FOOD_DRUG_SAFETY": "shop", "CONTRACT": "company",
                 "ENTERPRISE_RESTRUCTURING": "employer", "MILITARY_RELATED": "employer"}
        # an IP holder (pooled company) against an individual seller: two pooled organisations
        # would give distinct cases identical party sets, which ingestion merges as one dispute
        applicants = [org("company")] if category == "INTELLECTUAL_PROPERTY" else [person()]
        if category in ("ENVIRONMENT", "LAND_ACQUISITION"):
            applicants += [person() for _ in range(rng.choice((0, 0, 1, 2)))]
        if category == "LAND_ACQUISITION":
            respondents = [public]
        else:
            respondents = [org(pools[category])] if category in pools else [person()]
        if category == "MARRIAGE_FAMILY" and "赡养" in issue:
            respondents += [person() for _ in range(rng.randint(1, 2))]
        third = [org("insurer")] if category == "TRAFFIC_ACCIDENT" and rng.random() < 0.6 else []
        if category == "PROPERTY_MANAGEMENT" and issue == "物业费收缴":
            applicants, respondents = respondents, applicants  # the company claims unpaid fees
        return applicants, respondents, third
