"""A large, deterministic village-committee ledger for the fault tests, and what it should give.

Each dispute is one to three rows (受理, 调解, 协议) of the same two parties, category and village, a few
days apart: the hub matches the later rows to the case the first one opened. An applicant may come back
with another dispute (another respondent), so persons recur across cases; every party has a resident ID,
so the persons the hub should hold are exactly the distinct ID numbers.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hub.people.identity import resident_id_check_char
from tests.factories import DISTRICT, VILLAGE_A1, VILLAGE_A2

CATEGORIES = ("NEIGHBOUR", "MARRIAGE_FAMILY", "PROPERTY_MANAGEMENT", "PRIVATE_LENDING", "CONTRACT", "LABOUR")
TITLES = {"NEIGHBOUR": "相邻通行纠纷", "MARRIAGE_FAMILY": "赡养费纠纷", "PROPERTY_MANAGEMENT": "物业费纠纷",
          "PRIVATE_LENDING": "民间借贷纠纷", "CONTRACT": "买卖合同纠纷", "LABOUR": "拖欠工资纠纷"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华"
START = datetime(2025, 1, 6, 9, 0, tzinfo=timezone(timedelta(hours=8)))


@dataclass
class Ledger:
    """The file and what importing it must give."""

    path: Path
    rows: int = 0
    disputes: int = 0
    keys: list[str] = field(default_factory=list)  # the rows' sourceIds, in file order
    id_numbers: set[str] = field(default_factory=set)


def _resident_id(n: int) -> str:
    born = START.date() - timedelta(days=365 * 20 + n // 900)  # 900 numbers a day of birth
    body = f"{DISTRICT}{born:%Y%m%d}{n % 900 + 100:03d}"
    return body + resident_id_check_char(body)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)


def write_ledger(path: Path, *, rows: int, seed: int = 14) -> Ledger:
    """Write about `rows` rows (exactly `rows`) of the ingestion wire format as JSON Lines."""
    rng = random.Random(seed)
    ledger = Ledger(path=path)
    people = 0
    applicants: list[tuple[str, str]] = []
    with path.open("w", encoding="utf-8") as out:
        while ledger.rows < rows:
            if applicants and rng.random() < 0.3:
                applicant = rng.choice(applicants)  # someone back with another dispute
            else:
                applicant = (_name(rng), _resident_id(people))
                people += 1
                applicants.append(applicant)
            respondent = (_name(rng), _resident_id(people))
            people += 1
            category = rng.choice(CATEGORIES)
            village = rng.choice((VILLAGE_A1, VILLAGE_A2))
            opened = START + timedelta(minutes=ledger.disputes * 7)
            ledger.disputes += 1
            steps = ("INTAKE", "MEDIATION_SESSION", "AGREEMENT")[: min(rng.randint(1, 3), rows - ledger.rows)]
            for n, kind in enumerate(steps):
                source_id = f"TY-{ledger.disputes:06d}-{n}"
                record: dict[str, Any] = {
                    "sourceId": source_id, "kind": kind,
                    "occurredAt": (opened + timedelta(days=3 * n)).isoformat(),
                    "summary": f"{applicant[0]}与{respondent[0]}{TITLES[category]}，第{n + 1}次登记",
                    "case": {"title": TITLES[category], "category": category, "regionCode": village},
                    "parties": [
                        {"role": "APPLICANT", "name": applicant[0], "idNumber": applicant[1]},
                        {"role": "RESPONDENT", "name": respondent[0], "idNumber": respondent[1]},
                    ],
                    "details": {"INTAKE": {}, "MEDIATION_SESSION": {"mediators": ["王调解"], "outcome": "CONTINUING"},
                                "AGREEMENT": {"terms": "双方自愿和解", "amount": 1000 + n}}[kind],
                }
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                ledger.keys.append(source_id)
                ledger.id_numbers.update((applicant[1], respondent[1]))
                ledger.rows += 1
    return ledger
