"""Builders for reference data and ingestion records used across tests."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

from hub.agencies import service as agency_service
from hub.agencies.models import Agency, AgencyKind
from hub.people.identity import credit_code_check_char, resident_id_check_char
from hub.regions import service as region_service
from hub.regions.models import Region, RegionLevel

DISTRICT = "510199"
TOWNSHIP_A = "510199001"
TOWNSHIP_B = "510199002"
VILLAGE_A1 = "510199001001"
VILLAGE_A2 = "510199001002"
VILLAGE_B1 = "510199002001"

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
_serial = itertools.count(1)


def resident_id(birth: str = "19850312", seq: int | None = None) -> str:
    """A valid, plainly fictitious resident ID (region prefix 510199)."""
    body = f"{DISTRICT}{birth}{(seq if seq is not None else next(_serial)) % 1000:03d}"
    return body + resident_id_check_char(body)


def credit_code(serial: int = 1) -> str:
    """A valid unified social credit code for a fictitious organisation."""
    body = f"91{DISTRICT}MA{serial:07d}"[:17]
    return body + credit_code_check_char(body)


def regions() -> list[Region]:
    """The test district's regions (Beanie documents exist only once models are bound)."""
    return [
        Region(code=DISTRICT, name="清河区", level=RegionLevel.DISTRICT, parent_code=None, path=[DISTRICT]),
        Region(code=TOWNSHIP_A, name="柳林镇", level=RegionLevel.TOWNSHIP, parent_code=DISTRICT, path=[DISTRICT, TOWNSHIP_A]),
        Region(code=TOWNSHIP_B, name="清河街道", level=RegionLevel.TOWNSHIP, parent_code=DISTRICT, path=[DISTRICT, TOWNSHIP_B]),
        Region(code=VILLAGE_A1, name="桃源村", level=RegionLevel.VILLAGE, parent_code=TOWNSHIP_A, path=[DISTRICT, TOWNSHIP_A, VILLAGE_A1]),
        Region(code=VILLAGE_A2, name="杏花村", level=RegionLevel.VILLAGE, parent_code=TOWNSHIP_A, path=[DISTRICT, TOWNSHIP_A, VILLAGE_A2]),
        Region(code=VILLAGE_B1, name="滨河社区", level=RegionLevel.VILLAGE, parent_code=TOWNSHIP_B, path=[DISTRICT, TOWNSHIP_B, VILLAGE_B1]),
    ]


def agencies() -> list[Agency]:
    """The test district's agencies, one or more of every kind."""
    return [
        Agency(code="CC", name="清河区大调解协调中心", kind=AgencyKind.COORDINATION_CENTRE, region_code=DISTRICT),
        Agency(code="CC-A", name="柳林镇大调解协调中心", kind=AgencyKind.COORDINATION_CENTRE, region_code=TOWNSHIP_A, parent_code="CC"),
        Agency(code="CC-B", name="清河街道大调解协调中心", kind=AgencyKind.COORDINATION_CENTRE, region_code=TOWNSHIP_B, parent_code="CC"),
        Agency(code="PMC-A", name="柳林镇人民调解委员会", kind=AgencyKind.PEOPLES_MEDIATION_COMMITTEE, region_code=TOWNSHIP_A),
        Agency(code="PMC-B", name="清河街道人民调解委员会", kind=AgencyKind.PEOPLES_MEDIATION_COMMITTEE, region_code=TOWNSHIP_B),
        Agency(code="HRSS", name="清河区人力资源和社会保障局", kind=AgencyKind.ADMINISTRATIVE_DEPARTMENT, region_code=DISTRICT),
        Agency(code="COURT", name="清河区人民法院", kind=AgencyKind.COURT, region_code=DISTRICT),
        Agency(code="JB", name="清河区司法局", kind=AgencyKind.JUSTICE_BUREAU, region_code=DISTRICT),
        Agency(code="PB", name="清河区信访局", kind=AgencyKind.PETITION_BUREAU, region_code=DISTRICT),
        Agency(code="SO", name="清河区维稳办", kind=AgencyKind.STABILITY_OFFICE, region_code=DISTRICT),
        Agency(code="GC", name="清河区综治中心", kind=AgencyKind.GOVERNANCE_CENTRE, region_code=DISTRICT),
        Agency(code="SMO", name="清河区医疗纠纷人民调解委员会", kind=AgencyKind.SOCIAL_MEDIATION_ORG, region_code=DISTRICT),
        Agency(code="MKT", name="清河区市场监督管理局", kind=AgencyKind.ADMINISTRATIVE_DEPARTMENT, region_code=DISTRICT),
    ]


async def load_reference_data() -> None:
    """Regions and agencies of the test district."""
    await region_service.upsert_many(regions=regions())
    await agency_service.upsert_many(agencies=agencies())


def party(name: str = "张三", *, role: str = "APPLICANT", **extra: Any) -> dict[str, Any]:
    """A party in wire format."""
    return {"role": role, "name": name, **extra}


def record(
    source_id: str,
    kind: str = "INTAKE",
    *,
    at: datetime | None = None,
    details: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A record in wire format; opens a labour case in village A1 unless told otherwise."""
    base: dict[str, Any] = {
        "sourceId": source_id,
        "kind": kind,
        "occurredAt": (at or T0).isoformat(),
        "summary": f"{kind} 记录 {source_id}",
        "details": details if details is not None else default_details(kind),
    }
    if not any(k in extra for k in ("caseNo", "caseRef", "case")):
        base["case"] = {"title": "拖欠工资纠纷", "category": "LABOUR", "regionCode": VILLAGE_A1}
    base.update(extra)
    return base


def default_details(kind: str) -> dict[str, Any]:
    """Minimal valid details for each record kind."""
    return {
        "SCREENING": {"screeningMode": "ROLLING"},
        "INTAKE": {},
        "MEDIATION_SESSION": {"mediators": ["李调解"], "outcome": "CONTINUING"},
        "AGREEMENT": {"terms": "一次性支付工资 8000 元"},
        "JUDICIAL_CONFIRMATION": {"confirmed": True},
        "HANDOVER": {"toAgency": "HRSS"},
        "ESCALATION": {"toAgency": "CC"},
        "REFERRAL": {"target": "LITIGATION"},
        "PETITION": {"levelReached": "DISTRICT"},
        "STABILITY_ASSESSMENT": {"riskLevel": "HIGH"},
        "STABILITY_PLAN": {"responsibleUnit": "柳林镇政府", "responsiblePerson": "王镇长", "measures": ["每周走访"]},
        "FOLLOW_UP": {"satisfied": True},
        "CLOSURE": {"outcome": "RESOLVED"},
    }[kind]


def batch(agency: str, *records: dict[str, Any], system: str | None = None) -> dict[str, Any]:
    """A batch in wire format."""
    return {"sourceSystem": system or f"{agency}-SYS", "agency": agency, "records": list(records)}


def days(n: float) -> timedelta:
    """Shorthand for timedelta(days=n)."""
    return timedelta(days=n)
