"""Anonymising a typical case's write-up: parties become 张某 / 某公司, their identifiers are removed.

Pure functions over clear values the caller has decrypted; nothing here reads the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hub.records.enums import PartyKind
from hub.typical_cases.models import WriteUp

REMOVED = "××"
MIN_NAME = 2  # a one-character "name" would wipe that character from the whole text
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐",
    "端木", "澹台", "独孤", "南宫", "西门", "呼延", "轩辕", "钟离",
})
_ID_CHARS = "0-9A-HJ-NPQRTUWXY"
# Whatever looks like a resident ID, a credit code or a phone goes too, whoever's it is.
PATTERNS = (
    re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])"),  # 居民身份证号码
    re.compile(rf"(?<![0-9A-Za-z])[{_ID_CHARS}]{{2}}\d{{6}}[{_ID_CHARS}]{{10}}(?![0-9A-Za-z])"),  # 统一社会信用代码
    re.compile(r"(?<!\d)1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"),  # 手机号码
    re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)"),  # 固定电话
)


@dataclass(frozen=True)
class PartyData:
    """A party's clear name and identifiers (ID number or credit code, phone, address)."""

    name: str
    kind: PartyKind
    identifiers: tuple[str, ...] = ()


def pseudonym(name: str, kind: PartyKind) -> str:
    """张三 → 张某, 欧阳明 → 欧阳某; an organisation → 某公司 or 某单位."""
    name = name.strip()
    if kind is PartyKind.ORGANISATION:
        return "某公司" if "公司" in name else "某单位"
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]
    return f"{surname}某"


def _remove(text: str, values: Iterable[str]) -> str:
    for value in sorted({v.strip() for v in values if v and v.strip()}, key=len, reverse=True):
        text = re.sub(re.escape(value), REMOVED, text, flags=re.IGNORECASE)
    return text


def anonymise(text: str, *, parties: Sequence[PartyData]) -> str:
    """The text with the parties' identifiers and pattern-matched identifiers removed and their names replaced."""
    text = _remove(text, (i for p in parties for i in p.identifiers))
    for pattern in PATTERNS:
        text = pattern.sub(REMOVED, text)
    names = {p.name.strip(): pseudonym(p.name, p.kind) for p in parties if len(p.name.strip()) >= MIN_NAME}
    if not names:
        return text
    alternation = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    for _ in range(4):  # a replacement next to other text can form a name again; repeat until none is left
        replaced = alternation.sub(lambda m: names[m.group(0)], text)
        if replaced == text:
            break
        text = replaced
    return text


def anonymise_write_up(write_up: WriteUp, *, parties: Sequence[PartyData]) -> WriteUp:
    """Every part of the write-up anonymised."""
    return WriteUp(**{field: anonymise(str(value), parties=parties)
                      for field, value in write_up.model_dump().items()})
